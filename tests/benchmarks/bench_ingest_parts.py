"""Where a cold ingest's time goes, part by part, against the bare orjson loop over the same files.

    python tests/benchmarks/bench_ingest_parts.py [--mb 200] [--repeat 3]

`bench_ingest.py` measures `reverie ingest` end to end; this one takes it apart,
in CPU seconds (steadier than wall time on the shared 2-core machine), each part
measured in this process on the same corpus (`corpus.copies`) in the same round
as the baseline:

- bare: read every line and `orjson.loads` it (the baseline of the ratio);
- decode floor: msgspec into a Struct with one field (`type`): the least any JSON
  reader of these lines does (it still has to walk every byte);
- read + decode + adapters: `scan_lines(raw=True)` over every file, the events
  kept unredacted (what the adapters cost on top of the decode);
- redaction: `scan_lines` with redaction minus the raw read (the batch secret
  scan, `redact_events`, `event_row`);
- SQLite: the redacted rows written by `RowWriter` into a fresh sessions index
  (WAL, one transaction), closed;
- scanner load: building the kingfisher scanner from its warm cache plus the gate
  scanner, in a fresh process (paid once per process that redacts);
- process start: `reverie ingest` on an empty transcripts dir (interpreter,
  imports, store open) — a CLI run pays it once, a parallel one again in the forkserver.

It prints the parts, their sum as a ratio (what the in-process CLI can reach at
best), and the lower bound on 2 cores: the mandatory parts (process start twice,
scanner load, decode floor, redaction scan, SQLite) divided over 2 CPUs, as if
adapters, transport and coordination cost nothing. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import ROOT, cli_env, compile_sources, copies, corpus_args, decode_lines

LOAD_SCANNER = (
    "import time; t = time.process_time()\n"
    "from reverie.dreamer.redact import _gate_scanner, _kingfisher\n"
    "_kingfisher(); _gate_scanner(); print(time.process_time() - t)\n"
)


class _TypeOnly(msgspec.Struct):
    type: Any = None


def _cpu(fn: Any) -> tuple[float, Any]:
    t = time.process_time()
    out = fn()
    return time.process_time() - t, out


def _child_cpu(args: list[str], env: dict[str, str]) -> float:
    """CPU seconds (user + system) of one child process."""
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{args[:3]} failed: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parsed = corpus_args()
    if parsed is None:
        return
    args, shared = parsed
    work = Path(tempfile.mkdtemp(prefix="reverie-bench-parts-"))
    home = work / "home"
    home.mkdir()
    os.environ["HOME"] = str(home)  # the scanner's rule cache lives in HOME: never the real one
    try:
        _run(work, home, shared, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(work: Path, home: Path, shared: Path, args: argparse.Namespace) -> None:
    import sqlite_utils

    from reverie.dreamer import discovery, ingest
    from reverie.dreamer.redact import _gate_scanner, _kingfisher
    from reverie.store.sessions import RowWriter, SessionIndex

    corpus = work / "corpus"
    size = copies(corpus, args.mb, shared / "realdata")
    paths = sorted(str(p) for p in corpus.rglob("*.jsonl"))
    infos = [i for i in (discovery.sniff(p) for p in paths) if i is not None]
    print(f"corpus: {size / 1e6:.0f} MB in {len(paths)} files")
    compile_sources()
    env = cli_env(home)
    py = [sys.executable, "-c"]
    _child_cpu([*py, LOAD_SCANNER], env)  # compiles the rule cache once (a user's first run)
    _kingfisher()
    _gate_scanner()
    empty, ws = work / "empty", work / "ws"
    empty.mkdir()
    ws.mkdir()
    decoder = msgspec.json.Decoder(_TypeOnly)

    def bare() -> None:
        decode_lines(paths, orjson.loads)

    def floor() -> None:
        decode_lines(paths, decoder.decode)

    def scan(raw: bool) -> list[Any]:
        out: list[Any] = []
        for info in infos:
            ingest.scan_lines(info, 0, {}, 0, out.append, raw=raw)
        return out

    def store(batches: list[Any]) -> None:
        db_dir = Path(tempfile.mkdtemp(dir=work))
        db = sqlite_utils.Database(db_dir / "sessions.db")
        db.conn.execute("PRAGMA journal_mode = WAL")
        db.conn.execute("PRAGMA synchronous = NORMAL")
        index = SessionIndex(db)
        writer = RowWriter(index)
        db.conn.execute("BEGIN IMMEDIATE")
        for rows in batches:
            writer.append(1, rows)
        db.conn.execute("COMMIT")
        db.close()
        shutil.rmtree(db_dir)

    rounds: list[dict[str, float]] = []
    for i in range(max(1, args.repeat)):
        r: dict[str, float] = {}
        r["bare"], _ = _cpu(bare)
        r["floor"], _ = _cpu(floor)
        r["raw"], _ = _cpu(lambda: scan(True))
        redacted_s, batches = _cpu(lambda: scan(False))
        r["redact"] = redacted_s - r["raw"]
        t = time.process_time()
        store(batches)
        r["sqlite"] = time.process_time() - t
        del batches
        r["scanner"] = float(
            subprocess.run([*py, LOAD_SCANNER], env=env, capture_output=True, text=True, cwd=ROOT).stdout.strip()
        )
        shutil.rmtree(ws / ".reverie", ignore_errors=True)
        cli = "import sys; from reverie.console.cli import main; sys.exit(main())"
        r["start"] = _child_cpu(
            [*py, cli, "ingest", "--json", "--workspace", str(ws), "--transcripts", str(empty)], env
        )
        r["bare"] = (r["bare"] + _cpu(bare)[0]) / 2
        rounds.append(r)
        print(f"round {i + 1} (load {os.getloadavg()[0]:.1f}): " + ", ".join(f"{k} {v:.2f}s" for k, v in r.items()))
    m = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    b = m["bare"]
    adapters = m["raw"] - m["floor"]
    parts = [
        ("process start (interpreter, imports, store)", m["start"]),
        ("scanner load (kingfisher + gates, warm cache)", m["scanner"]),
        ("decode floor (msgspec, one field)", m["floor"]),
        ("adapters + line loop on top of the decode", adapters),
        ("redaction (batch secret scan, redact_events, rows)", m["redact"]),
        ("SQLite writes (RowWriter, one transaction, WAL)", m["sqlite"]),
    ]
    total = sum(s for _, s in parts)
    print(f"\nparts of a cold ingest of {size / 1e6:.0f} MB, CPU seconds, median of {len(rounds)} rounds")
    print(f"  {'bare orjson loop (baseline)':52} {b:5.2f}s")
    for name, s in parts:
        print(f"  {name:52} {s:5.2f}s  ({s / b:4.2f}x the baseline)")
    print(f"  {'sum: one process doing all of it':52} {total:5.2f}s  -> at best {b / total:.2f}x in-process")
    mandatory = 2 * m["start"] + m["scanner"] + m["floor"] + m["redact"] + m["sqlite"]
    print(
        f"lower bound on 2 CPUs (start twice, scanner, decode floor, redaction, SQLite; adapters, transport and "
        f"coordination free; perfectly split): {mandatory:.2f}s CPU / 2 = {mandatory / 2:.2f}s -> at best "
        f"{b / (mandatory / 2):.2f}x (goal 0.5x)"
    )


if __name__ == "__main__":
    main()
