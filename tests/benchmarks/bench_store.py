"""Store benchmark (not part of the default test run): prints numbers, each with a same-run baseline.

    python tests/benchmarks/bench_store.py [--edits 1000] [--artifacts 1000]

1. apply 1,000 artifacts (rules, team instincts in CLAUDE.md, commands); baseline:
   writing the same files with the same atomic write, no store;
2. store growth over 1,000 one-line edits to a 48 KB CLAUDE.md, each one a full
   propose → approve → apply cycle (three operations, a candidate, a proposal):
   bytes per edit in total and for the apply operation alone, against the
   baseline of one whole-file zlib blob of the file;
3. store growth over one-line hand edits of the same file, each read in by
   `import` (one operation): the cost of recording a new version of the file;
4. restore across those ~3,000 operations (back to the start and forward
   again); baseline: reading the file and writing it back atomically.

Only the public Store API is used, so the same script measures an older checkout
(`PYTHONPATH=<old-tree-with-reverie-links> python tests/benchmarks/bench_store.py`).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from reverie.store.core import Store
from reverie.store.fsutil import atomic_write
from reverie.store.models import Proposal
from reverie.store.store import ApplyResult

T = TypeVar("T")
FILLER = "".join(f"- Hand-written guideline number {i:05d}: keep the code tidy and tested.\n" for i in range(700))


def _db_bytes(s: Store) -> int:
    s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in s.db_path.parent.glob(s.db_path.name + "*") if p.is_file())


def _used_bytes(s: Store) -> int:
    """Bytes the database pages hold (free space inside pages left out): exact, where file size moves by pages."""
    s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return int(s.db.execute("SELECT sum(pgsize - unused) FROM dbstat").fetchone()[0])


def _used_by_name(s: Store) -> dict[str, int]:
    """Bytes used in pages per table and index (dbstat), for the breakdown of what an edit stores."""
    s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {str(n): int(u) for n, u in s.db.execute("SELECT name, sum(pgsize - unused) FROM dbstat GROUP BY name")}


def _print_breakdown(before: dict[str, int], after: dict[str, int], count: int, unit: str) -> None:
    """Growth per `unit` of every table and index that grew, largest first."""
    grown = {n: (after.get(n, 0) - before.get(n, 0)) / count for n in set(before) | set(after)}
    print(f"  per {unit}, bytes used in pages by table / index:")
    for name, per in sorted(grown.items(), key=lambda kv: -abs(kv[1])):
        if abs(per) >= 0.5:
            print(f"    {name:<36} {per:8.0f}")


def _timed(label: str, fn: Callable[[], T], baseline: float | None = None) -> T:
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    ratio = f"  ({dt / baseline:.2f}x the baseline)" if baseline else ""
    print(f"  {label:<48} {dt:8.3f} s{ratio}", flush=True)
    return out


def bench_apply(root: Path, n: int) -> None:
    ws = root / "apply"
    ws.mkdir()
    (ws / "CLAUDE.md").write_text("# Project\n\nHand text.\n")
    s = Store.open(ws, create=True)
    s.init()
    props = []
    for i in range(n):
        kind, scope = [("rule", "path"), ("instinct", "team"), ("command", "team")][i % 3]
        props.append(
            Proposal(
                id="",
                action="add",
                kind=kind,
                scope=scope,
                title=f"artifact {i}",
                body=f"Artifact number {i}: do the thing the way we agreed.",
                paths=["src/**"] if scope == "path" else [],
            )
        )
    print(f"apply {n} artifacts")
    cand = _timed(f"open candidate ({n} proposals, previews)", lambda: s.open_candidate(props, engine="bench"))
    ids = [p.id for p in s.proposals(cand.id)]
    _timed("approve all (one op)", lambda: s.approve(ids))
    plan = _timed("plan_apply (dry run)", lambda: s.plan_apply())
    res = _apply_with_baseline(s, ws, [Path(f["path"]) for f in plan.files], root / "apply-baseline")
    files = sum(1 for _ in ws.rglob("*") if _.is_file() and ".reverie" not in _.parts)
    print(f"  applied {len(res.applied)}, conflicts {len(res.conflicts)}, workspace files {files}")
    _timed("undo the apply (files removed)", lambda: s.undo())
    _timed("redo the apply", lambda: s.redo())
    s.close()


def _apply_with_baseline(s: Store, ws: Path, paths: list[Path], copy_root: Path) -> ApplyResult:
    """Apply between two runs of the baseline: as many files written with the same atomic write, no store.

    Why two: the time is mostly fsync, which other work on the machine slows
    down from one second to the next; the mean of a run just before and one
    just after is fairer than either.
    """

    def baseline(tag: str) -> float:
        t = time.perf_counter()
        for path in paths:
            atomic_write(copy_root / tag / path.relative_to(ws), b"the same kind of small file\n")
        return time.perf_counter() - t

    before = baseline("before")
    t = time.perf_counter()
    res = s.apply()
    took = time.perf_counter() - t
    after = baseline("after")
    base = (before + after) / 2
    print(f"  {'apply (one op, files written)':<48} {took:8.3f} s")
    print(
        f"  {'baseline: as many atomic writes, no store':<48} {base:8.3f} s  (before {before:.3f}, after {after:.3f})"
    )
    print(f"  apply / baseline: {took / base:.2f}x")
    return res


def bench_edits(root: Path, edits: int) -> None:
    ws = root / "edits"
    ws.mkdir()
    (ws / "CLAUDE.md").write_text("# Project\n\n" + FILLER)
    s = Store.open(ws, create=True)
    s.init()
    cand = s.open_candidate(
        [
            Proposal(
                id="", action="add", kind="instinct", scope="team", title=f"entry {i}", body=f"Entry {i}, version 0."
            )
            for i in range(20)
        ]
    )
    s.approve([p.id for p in s.proposals(cand.id)])
    s.apply()
    size0 = (ws / "CLAUDE.md").stat().st_size
    whole = len(zlib.compress((ws / "CLAUDE.md").read_bytes(), 6))
    start_op = s.head().id
    db0, used0, by_name0 = _db_bytes(s), _used_bytes(s), _used_by_name(s)
    ops0 = len(s.log())
    print(f"{edits} one-line edits to a {size0 / 1024:.1f} KB CLAUDE.md (propose → approve → apply each)")
    t, cpu = time.perf_counter(), time.process_time()
    marks: list[float] = []
    apply_growth = 0
    sample = max(1, edits // 50)  # measure the apply operation alone on every `sample`-th cycle
    for i in range(edits):
        marks.append(time.perf_counter())
        arts = [a for a in s.active_artifacts() if a.meta.get("layout") != "document"]
        a = arts[i % len(arts)]
        c = s.open_candidate(
            [
                Proposal(
                    id="",
                    action="update",
                    kind=a.kind,
                    scope=a.scope,
                    title=a.title,
                    body=f"{a.title}, version {i + 1}.",
                    replaces=[a.id],
                )
            ]
        )
        s.approve([p.id for p in s.proposals(c.id)])
        if i % sample == 0:
            before = _used_bytes(s)
            s.apply(c.id)
            apply_growth += _used_bytes(s) - before
        else:
            s.apply(c.id)
    dt, cpu = time.perf_counter() - t, time.process_time() - cpu
    marks.append(time.perf_counter())
    k = max(1, edits // 10)
    first = (marks[k] - marks[0]) / k * 1000
    last = (marks[-1] - marks[-1 - k]) / k * 1000
    db1, used1, by_name1 = _db_bytes(s), _used_bytes(s), _used_by_name(s)
    ops = len(s.log()) - ops0
    per_edit, per_edit_used = (db1 - db0) / edits, (used1 - used0) / edits
    per_apply = apply_growth / len(range(0, edits, sample))
    print(f"  {edits} edit cycles ({ops} operations)            {dt:8.3f} s  ({dt / edits * 1000:.1f} ms per cycle)")
    print(f"  CPU time of this process {cpu:.3f} s ({cpu / edits * 1000:.1f} ms per cycle; waits for fsync left out)")
    print(f"  first {k} cycles {first:.1f} ms each, last {k} cycles {last:.1f} ms each (history growth)")
    print(f"  baseline: one whole-file zlib blob of the file: {whole} bytes (file is {size0} bytes)")
    print(
        f"  store growth per edit cycle (3 ops, a candidate, a proposal): {per_edit:.0f} bytes of database file"
        f" ({per_edit / whole:.2f}x), {per_edit_used:.0f} bytes used in pages ({per_edit_used / whole:.2f}x)"
    )
    print(
        f"  store growth per apply operation (the new file version): {per_apply:.0f} bytes used in pages"
        f" ({per_apply / whole:.2f}x)"
    )
    _print_breakdown(by_name0, by_name1, edits, "edit cycle")
    end_op = s.head().id
    print(f"restore across {ops} operations")
    base = _restore_baseline(ws)
    _timed("restore to the state before the edits", lambda: s.restore(start_op), base)
    _timed("restore forward to the last edit", lambda: s.restore(end_op), base)
    _timed("undo (back) / log(limit=50)", lambda: (s.undo(), s.log(50)), base)
    gc = _timed("gc --older-than 0 (prune all but head)", lambda: s.gc(0))
    print(f"  gc: {gc}; db now {_db_bytes(s)} bytes")
    s.close()


def _restore_baseline(ws: Path) -> float:
    """Seconds to read CLAUDE.md and write it back atomically (the least a restore of it does), best of 5."""
    path = ws / "CLAUDE.md"
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        atomic_write(path, path.read_bytes())
        best = min(best, time.perf_counter() - t)
    print(f"  {'baseline: read + atomic_write of CLAUDE.md':<48} {best:8.3f} s")
    return best


def bench_hand_edits(root: Path, edits: int) -> None:
    ws = root / "hand"
    ws.mkdir()
    path = ws / "CLAUDE.md"
    path.write_text("# Project\n\n" + FILLER)
    s = Store.open(ws, create=True)
    s.init()
    whole = len(zlib.compress(path.read_bytes(), 6))
    db0, used0, by_name0 = _db_bytes(s), _used_bytes(s), _used_by_name(s)
    lines = path.read_text().splitlines(keepends=True)
    t = time.perf_counter()
    for i in range(edits):
        lines[2 + i % 700] = f"- Hand-written guideline number {i % 700:05d}: edited by hand, round {i}.\n"
        path.write_text("".join(lines))
        s.import_workspace()
    dt = time.perf_counter() - t
    per_edit, per_edit_used = (_db_bytes(s) - db0) / edits, (_used_bytes(s) - used0) / edits
    print(f"{edits} one-line hand edits of the {path.stat().st_size / 1024:.1f} KB CLAUDE.md, each read in by import")
    print(f"  {edits} imports                                   {dt:8.3f} s  ({dt / edits * 1000:.1f} ms each)")
    print(
        f"  store growth per hand edit (one import op): {per_edit:.0f} bytes of database file,"
        f" {per_edit_used:.0f} bytes used in pages ({per_edit_used / whole:.2f}x a whole blob)"
    )
    _print_breakdown(by_name0, _used_by_name(s), edits, "hand edit")
    s.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--artifacts", type=int, default=1000)
    ap.add_argument("--edits", type=int, default=1000)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="reverie-bench-") as tmp:
        root = Path(tmp)
        os.environ["HOME"] = str(root / "home")  # never touch the real home
        (root / "home").mkdir()
        bench_apply(root, a.artifacts)
        bench_edits(root, a.edits)
        bench_hand_edits(root, max(10, a.edits // 5))
    return 0


if __name__ == "__main__":
    sys.exit(main())
