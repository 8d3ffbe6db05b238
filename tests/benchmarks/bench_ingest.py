"""Ingest benchmark: MB/s vs a bare JSON parse loop, re-ingest cost, peak memory at two sizes.

    python tests/benchmarks/bench_ingest.py [--mb 200] [--repeat 3]

Builds a corpus in a temp dir from ../shared/realdata transcripts (Claude Code and
Codex), each copy with fresh session ids and uuids, then measures in one run:
a bare orjson and msgspec parse loop over the same files (the faster is the
baseline), a cold ingest with redaction on (kingfisher rules pre-loaded), the
re-ingest of the unchanged corpus, and peak RSS of an ingest child process at
half and full size. Ingest runs twice per round: in-process (workers=0) and with
one reader process per CPU (`dreamer.ingest_parallel`; the forkserver start,
which builds kingfisher once, is timed apart like the in-process kingfisher
build). With --repeat N the bare loop and the cold ingests of the full corpus
run N times, each ratio taken within one round, and the median is reported
(other processes on the machine make single runs noisy; the load average is
printed). Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import msgspec
import orjson

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
REALDATA = ROOT.parent / "shared" / "realdata"

_ID = re.compile(rb'"(uuid|parentUuid|leafUuid|sessionId)":"[0-9a-f]{8}')


def sources() -> list[tuple[Path, bytes]]:
    manifest = json.loads((REALDATA / "manifest.json").read_text())
    out = []
    for e in manifest:
        p = REALDATA / e["local"]
        if p.suffix == ".jsonl" and (e["agent"].startswith("Claude Code") or e["agent"].startswith("OpenAI Codex")):
            data = p.read_bytes()
            if data:
                out.append((p, data))
    return out


def build(dest: Path, mb: float) -> int:
    """Copies of every source with fresh ids until the corpus reaches `mb` megabytes."""
    srcs = sources()
    total, copy = 0, 0
    while total < mb * 1e6:
        copy += 1
        for p, data in srcs:
            new_sid = str(uuid.uuid4())
            old = p.stem.split("-", 4)[-1] if p.name.startswith("rollout-") else p.stem
            prefix = f"{copy:08x}".encode()
            data2 = _ID.sub(lambda m, prefix=prefix: b'"' + m.group(1) + b'":"' + prefix, data)
            data2 = data2.replace(old.encode(), new_sid.encode())
            name = p.name.replace(old, new_sid)
            sub = dest / f"copy{copy:04d}" / p.parent.name
            sub.mkdir(parents=True, exist_ok=True)
            (sub / name).write_bytes(data2)
            total += len(data2)
            if total >= mb * 1e6:
                break
    return total


def bare_loop(files: list[Path]) -> tuple[float, float]:
    t = time.perf_counter()
    for f in files:
        with open(f, "rb") as fh:
            for line in fh:
                if line.strip():
                    orjson.loads(line)
    t_orjson = time.perf_counter() - t
    dec = msgspec.json.Decoder()
    t = time.perf_counter()
    for f in files:
        with open(f, "rb") as fh:
            for line in fh:
                if line.strip():
                    dec.decode(line)
    return t_orjson, time.perf_counter() - t


CHILD = """
import sys, time, resource, json
sys.path.insert(0, {root!r})
from pathlib import Path
from reverie.store.db import open_db
from reverie.dreamer import ingest_parallel
from reverie.dreamer.ingest import ingest
from reverie.dreamer.redact import _kingfisher, _gate_scanner
t = time.perf_counter()
_kingfisher()
_gate_scanner()
startup = time.perf_counter() - t
if {workers} >= 2:
    t = time.perf_counter()
    ingest_parallel.warm()
    startup = time.perf_counter() - t
db = open_db(Path({db!r}), create=True)
t = time.perf_counter()
r = ingest(db, Path({ws!r}), [Path({corpus!r})], home=False, workers={workers})
cold = time.perf_counter() - t
stats = dict(ingest_parallel.STATS)
t = time.perf_counter()
r2 = ingest(db, Path({ws!r}), [Path({corpus!r})], home=False, workers={workers})
warm = time.perf_counter() - t
print(json.dumps({{"cold": cold, "warm": warm, "startup": startup, "bytes": r.bytes_read, "sessions": r.sessions,
                  "events": r.events, "files": r.files,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_rss_mb": stats.get("worker_rss_mb", 0.0) if {workers} >= 2 else 0.0,
                  "warm_files_read": r2.files_read}}))
"""


def run_child(corpus: Path, work: Path, workers: int) -> dict:
    """One ingest child process: cold ingest then re-ingest, with `workers` reader processes (0: in-process)."""
    db = work / f"bench-{corpus.name}-{workers}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    code = CHILD.format(root=str(ROOT), db=str(db), ws=str(work / "ws"), corpus=str(corpus), workers=workers)
    env = dict(os.environ, REVERIE_KINGFISHER_CACHE=str(ROOT / ".pytest_cache" / "kingfisher"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    data["db_mb"] = db.stat().st_size / 1e6
    return data


def _label(workers: int) -> str:
    return f"{workers} workers" if workers else "in-process"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=200)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    if not REALDATA.is_dir():
        print(f"skipped: {REALDATA} not found")
        return
    work = Path(tempfile.mkdtemp(prefix="reverie-bench-"))
    try:
        (work / "ws").mkdir()
        half, full = work / "half", work / "full"
        t = time.perf_counter()
        size_half = build(half, args.mb / 2)
        size_full = build(full, args.mb)
        print(
            f"corpus: {size_full / 1e6:.0f} MB (and {size_half / 1e6:.0f} MB) built in {time.perf_counter() - t:.1f}s"
        )
        files = sorted(full.rglob("*.jsonl"))
        from reverie.dreamer.ingest_parallel import cpu_count

        par = max(2, cpu_count())
        print(
            f"{par} CPUs; in-process ingest vs {par} reader processes (kingfisher pre-built in both; "
            "pool start timed apart)"
        )
        r_half = {w: run_child(half, work, w) for w in (0, par)}
        rounds = []
        for i in range(max(1, args.repeat)):
            t_orjson, t_msgspec = bare_loop(files)
            base = min(t_orjson, t_msgspec)
            runs = {w: run_child(full, work, w) for w in (0, par)}
            rounds.append((base / runs[par]["cold"], base / runs[0]["cold"], runs, t_orjson, t_msgspec))
            print(
                f"round {i + 1}: load {os.getloadavg()[0]:.1f}; bare orjson {size_full / 1e6 / t_orjson:.0f} MB/s, "
                f"msgspec {size_full / 1e6 / t_msgspec:.0f} MB/s; "
                + "; ".join(
                    f"{_label(w)} {r['bytes'] / 1e6 / r['cold']:.1f} MB/s = {100 * base / r['cold']:.0f}%"
                    for w, r in runs.items()
                )
            )
        rounds.sort(key=lambda r: r[0])
        _, _, runs, t_orjson, t_msgspec = rounds[len(rounds) // 2]
        print(
            f"bare parse loop: orjson {size_full / 1e6 / t_orjson:.0f} MB/s, "
            f"msgspec {size_full / 1e6 / t_msgspec:.0f} MB/s"
            + (" (median round by parallel ratio)" if len(rounds) > 1 else "")
        )
        for w, r in runs.items():
            mbps = r["bytes"] / 1e6 / r["cold"]
            base = min(t_orjson, t_msgspec)
            print(
                f"{_label(w)}: cold ingest (redaction on) {r['cold']:.1f}s = {mbps:.1f} MB/s, "
                f"ratio {100 * base / r['cold']:.0f}% (goal >= 50%); with start-up {r['startup']:.2f}s: "
                f"{100 * base / (r['cold'] + r['startup']):.0f}% "
                f"({r['sessions']} sessions, {r['events']} events, {r['files']} files, db {r['db_mb']:.0f} MB)"
            )
            print(
                f"  re-ingest unchanged: {r['warm'] * 1000:.0f} ms = {100 * r['warm'] / r['cold']:.2f}% of cold "
                f"(goal < 1%; files read: {r['warm_files_read']})"
            )
            hw = r_half[w]
            print(
                f"  peak RSS: parent {hw['rss_mb']:.0f} MB at {size_half / 1e6:.0f} MB corpus, "
                f"{r['rss_mb']:.0f} MB at {size_full / 1e6:.0f} MB"
                + (f"; each worker {hw['worker_rss_mb']:.0f} MB / {r['worker_rss_mb']:.0f} MB" if w else "")
            )
        med = sorted(r[1] for r in rounds)[len(rounds) // 2]
        medp = sorted(r[0] for r in rounds)[len(rounds) // 2]
        print(f"median ratio over {len(rounds)} rounds: in-process {100 * med:.0f}%, {par} workers {100 * medp:.0f}%")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
