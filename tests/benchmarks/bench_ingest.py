"""Ingest benchmark: MB/s vs a bare JSON parse loop, re-ingest cost, peak memory at two sizes.

    python tests/benchmarks/bench_ingest.py [--mb 200] [--repeat 3]

Builds a corpus in a temp dir from ../shared/realdata transcripts (Claude Code and
Codex), each copy with fresh session ids and uuids, then measures in one run:
a bare orjson and msgspec parse loop over the same files (the faster is the
baseline), a cold ingest with redaction on (kingfisher rules pre-loaded), the
re-ingest of the unchanged corpus, and peak RSS of an ingest child process at
half and full size. With --repeat N the bare loop and the cold ingest of the full
corpus run N times, each ratio taken within one round, and the median is
reported (other processes on the machine make single runs noisy; the load
average is printed). Prints numbers; asserts nothing.
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
            data2 = _ID.sub(lambda m: b'"' + m.group(1) + b'":"' + prefix, data)
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
from store.db import open_db
from dreamer.ingest import ingest
from dreamer.redact import _kingfisher, _gate_scanner
_kingfisher()
_gate_scanner()
db = open_db(Path({db!r}), create=True)
t = time.perf_counter()
r = ingest(db, Path({ws!r}), [Path({corpus!r})], home=False)
cold = time.perf_counter() - t
t = time.perf_counter()
r2 = ingest(db, Path({ws!r}), [Path({corpus!r})], home=False)
warm = time.perf_counter() - t
print(json.dumps({{"cold": cold, "warm": warm, "bytes": r.bytes_read, "sessions": r.sessions, "events": r.events,
                  "files": r.files, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "warm_files_read": r2.files_read}}))
"""


def run_child(corpus: Path, work: Path) -> dict:
    db = work / f"bench-{corpus.name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    code = CHILD.format(root=str(ROOT), db=str(db), ws=str(work / "ws"), corpus=str(corpus))
    env = dict(os.environ, REVERIE_KINGFISHER_CACHE=str(ROOT / ".pytest_cache" / "kingfisher"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    data["db_mb"] = db.stat().st_size / 1e6
    return data


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
        print(f"corpus: {size_full / 1e6:.0f} MB (and {size_half / 1e6:.0f} MB) built in {time.perf_counter() - t:.1f}s")
        files = sorted(full.rglob("*.jsonl"))
        r_half = run_child(half, work)
        rounds = []
        for i in range(max(1, args.repeat)):
            t_orjson, t_msgspec = bare_loop(files)
            base = min(t_orjson, t_msgspec)
            r_full = run_child(full, work)
            ratio = base / r_full["cold"]
            rounds.append((ratio, r_full, t_orjson, t_msgspec))
            print(f"round {i + 1}: load {os.getloadavg()[0]:.1f}; bare orjson {size_full / 1e6 / t_orjson:.0f} MB/s, "
                  f"msgspec {size_full / 1e6 / t_msgspec:.0f} MB/s; ingest {r_full['bytes'] / 1e6 / r_full['cold']:.1f} MB/s; "
                  f"ratio {100 * ratio:.0f}%")
        rounds.sort(key=lambda r: r[0])
        ratio, r_full, t_orjson, t_msgspec = rounds[len(rounds) // 2]
        print(f"bare parse loop: orjson {size_full / 1e6 / t_orjson:.0f} MB/s, msgspec {size_full / 1e6 / t_msgspec:.0f} MB/s"
              + (" (median round)" if len(rounds) > 1 else ""))
        mbps = r_full["bytes"] / 1e6 / r_full["cold"]
        print(f"cold ingest (redaction on): {r_full['cold']:.1f}s = {mbps:.1f} MB/s "
              f"({r_full['sessions']} sessions, {r_full['events']} events, {r_full['files']} files, db {r_full['db_mb']:.0f} MB)")
        print(f"ratio to the bare loop: {100 * ratio:.0f}% (goal >= 50%)")
        print(f"re-ingest unchanged: {r_full['warm'] * 1000:.0f} ms = {100 * r_full['warm'] / r_full['cold']:.2f}% of cold "
              f"(goal < 1%; files read: {r_full['warm_files_read']})")
        print(f"peak RSS: {r_half['rss_mb']:.0f} MB at {size_half / 1e6:.0f} MB corpus, "
              f"{r_full['rss_mb']:.0f} MB at {size_full / 1e6:.0f} MB corpus")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
