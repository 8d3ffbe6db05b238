"""Store benchmark (not part of the default test run): prints numbers.

    python tests/benchmarks/bench_store.py [--edits 1000] [--artifacts 1000]

1. apply 1,000 artifacts (rules, team instincts in CLAUDE.md, commands);
2. store growth over 1,000 one-line edits to a 50 KB CLAUDE.md, each one a full
   propose → approve → apply cycle (bytes per edit);
3. restore across those ~3,000 operations (back to the start and forward again).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from reverie.store.core import Store
from reverie.store.models import Proposal


def _db_bytes(s: Store) -> int:
    s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in s.db_path.parent.glob(s.db_path.name + "*") if p.is_file())


def _timed(label: str, fn):
    t = time.perf_counter()
    out = fn()
    print(f"  {label:<44} {time.perf_counter() - t:8.3f} s", flush=True)
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
    _timed("plan_apply (dry run)", lambda: s.plan_apply())
    res = _timed("apply (one op, files written)", lambda: s.apply())
    files = sum(1 for _ in ws.rglob("*") if _.is_file() and ".reverie" not in _.parts)
    print(f"  applied {len(res.applied)}, conflicts {len(res.conflicts)}, workspace files {files}")
    _timed("undo the apply (files removed)", lambda: s.undo())
    _timed("redo the apply", lambda: s.redo())
    s.close()


def bench_edits(root: Path, edits: int) -> None:
    ws = root / "edits"
    ws.mkdir()
    filler = "".join(f"- Hand-written guideline number {i:05d}: keep the code tidy and tested.\n" for i in range(700))
    (ws / "CLAUDE.md").write_text("# Project\n\n" + filler)
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
    start_op = s.head().id
    db0 = _db_bytes(s)
    ops0 = s.oplog.count()
    print(f"{edits} one-line edits to a {size0 / 1024:.1f} KB CLAUDE.md (propose → approve → apply each)")
    t = time.perf_counter()
    marks: list[float] = []
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
        s.apply(c.id)
    dt = time.perf_counter() - t
    marks.append(time.perf_counter())
    k = max(1, edits // 10)
    first = (marks[k] - marks[0]) / k * 1000
    last = (marks[-1] - marks[-1 - k]) / k * 1000
    db1 = _db_bytes(s)
    ops = s.oplog.count() - ops0
    print(f"  {edits} edit cycles ({ops} operations)            {dt:8.3f} s  ({dt / edits * 1000:.1f} ms per cycle)")
    print(f"  first {k} cycles {first:.1f} ms each, last {k} cycles {last:.1f} ms each (history growth)")
    print(
        f"  store growth: {db1 - db0} bytes total, {(db1 - db0) / edits:.0f} bytes per edit "
        f"(whole-file zlib blobs; file is {size0} bytes)"
    )
    end_op = s.head().id
    print(f"restore across {ops} operations")
    _timed("restore to the state before the edits", lambda: s.restore(start_op))
    _timed("restore forward to the last edit", lambda: s.restore(end_op))
    _timed("undo (back) / log(limit=50)", lambda: (s.undo(), s.log(50)))
    gc = _timed("gc --older-than 0 (prune all but head)", lambda: s.gc(0))
    print(f"  gc: {gc}; db now {_db_bytes(s)} bytes")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
