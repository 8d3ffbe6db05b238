"""Ingest benchmark: `reverie ingest --json` end to end against a bare JSON parse loop, in one run.

    python tests/benchmarks/bench_ingest.py [--mb 200] [--repeat 3]

Builds a corpus in a temp dir from ../shared/realdata transcripts (Claude Code and
Codex; `corpus.copies`: each copy with fresh session ids and uuids). Each round
measures, back to back so they see the same machine load:

- the baseline: a bare orjson loop over every line of the same files;
- the CLI, as a user runs it: a new process with Reverie's sources byte-compiled as
  an install has them (`corpus.compile_sources`), a workspace with no `.reverie`, the
  kingfisher rule cache already warm in the benchmark's HOME (a user's first run
  compiles it once; that cost is printed apart), redaction on, the default
  choice of reader processes; then the same CLI forced in-process
  (REVERIE_INGEST_WORKERS=0);
- the re-ingest of the unchanged corpus (CLI again, same workspace).

The ratio is baseline time / CLI wall time within one round; the median over
rounds is the figure (other engineers share this 2-core machine). Also printed:
peak RSS of the CLI process (wait4), the fixed cost of the CLI on an empty
transcripts dir, and a cProfile summary (top 10 by cumulative time) of one
in-process CLI ingest. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import ROOT, cli_env, compile_sources, copies, corpus_args, decode_lines

REVERIE = [sys.executable, "-c", "import sys; from reverie.console.cli import main; sys.exit(main())"]


CPU: dict[str, float] = {}
"""CPU seconds of the last `bare_loop` and the last `cli` process (less sensitive to other load than wall time)."""


def bare_loop(files: list[Path]) -> float:
    """Seconds to read and orjson-decode every non-empty line of `files`."""
    c = time.process_time()
    t = time.perf_counter()
    decode_lines(files, orjson.loads)
    CPU["bare"] = time.process_time() - c
    return time.perf_counter() - t


def cli(args: list[str], env: dict[str, str], prefix: list[str] | None = None) -> tuple[float, float, dict]:
    """(wall seconds, peak RSS MB of the process, --json output) of one `reverie` run."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen([*(prefix or REVERIE), *args], env=env, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            err.seek(0)
            raise SystemExit(f"reverie {' '.join(args)} failed: {err.read().decode()[-2000:]}")
        out.seek(0)
        data = out.read()
    CPU["cli"] = usage.ru_utime + usage.ru_stime
    return wall, usage.ru_maxrss / 1024, json.loads(data) if data.strip() else {}


def fresh(ws: Path) -> None:
    shutil.rmtree(ws / ".reverie", ignore_errors=True)


def main() -> None:
    parsed = corpus_args()
    if parsed is None:
        return
    args, shared = parsed
    work = Path(tempfile.mkdtemp(prefix="reverie-bench-"))
    try:
        home, ws, corpus, empty = work / "home", work / "ws", work / "corpus", work / "empty"
        for d in (home, ws, empty):
            d.mkdir()
        t = time.perf_counter()
        size = copies(corpus, args.mb, shared / "realdata")
        files = sorted(corpus.rglob("*.jsonl"))
        print(f"corpus: {size / 1e6:.0f} MB in {len(files)} files, built in {time.perf_counter() - t:.1f}s")
        compile_sources()
        env = cli_env(home)
        ingest_args = ["ingest", "--json", "--workspace", str(ws), "--transcripts", str(corpus)]
        one = work / "one"
        one.mkdir()
        shutil.copy(files[0], one / files[0].name)
        compile_s, _, _ = cli(["ingest", "--json", "--workspace", str(ws), "--transcripts", str(one)], env)
        fresh(ws)
        fixed, _, _ = cli(["ingest", "--json", "--workspace", str(ws), "--transcripts", str(empty)], env)
        fresh(ws)
        fixed_one, _, _ = cli(["ingest", "--json", "--workspace", str(ws), "--transcripts", str(one)], env)
        print(
            f"fixed cost of `reverie ingest`: {fixed:.2f}s on no transcripts, {fixed_one:.2f}s on one "
            f"{files[0].stat().st_size / 1e6:.1f} MB file (loads the kingfisher rules); a user's first run ever "
            f"compiles them into HOME's cache: {compile_s:.2f}s"
        )
        env0 = dict(env, REVERIE_INGEST_WORKERS="0")
        rounds = []
        for i in range(max(1, args.repeat)):
            base = bare_loop(files)
            fresh(ws)
            t_auto, rss_auto, rep = cli(ingest_args, env)
            t_warm, _, rep2 = cli(ingest_args, env)
            cpu_bare = CPU["bare"]
            fresh(ws)
            t_in, rss_in, _ = cli(ingest_args, env0)
            cpu_in = CPU["cli"]
            base2 = bare_loop(files)
            b = (base + base2) / 2
            cpu_ratio = (cpu_bare + CPU["bare"]) / 2 / cpu_in
            rounds.append(
                {
                    "base": b,
                    "auto": t_auto,
                    "in": t_in,
                    "warm": t_warm,
                    "rss_auto": rss_auto,
                    "rss_in": rss_in,
                    "cpu_ratio": cpu_ratio,
                }
            )
            print(
                f"round {i + 1} (load {os.getloadavg()[0]:.1f}): bare orjson {size / 1e6 / b:.0f} MB/s; "
                f"CLI {size / 1e6 / t_auto:.0f} MB/s = {b / t_auto:.2f}x "
                f"({rep.get('workers', '?')} reader processes), in-process {size / 1e6 / t_in:.0f} MB/s = "
                f"{b / t_in:.2f}x (CPU time {cpu_ratio:.2f}x); "
                f"re-ingest {t_warm * 1000:.0f} ms ({rep2.get('files_read')} files read)"
            )
        med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
        ratio_auto = statistics.median(r["base"] / r["auto"] for r in rounds)
        ratio_in = statistics.median(r["base"] / r["in"] for r in rounds)
        print(
            f"ingest {size / 1e6:.0f} MB ({rep['sessions']} sessions, {rep['events']} events) through the CLI, "
            f"median of {len(rounds)} rounds: {med['auto']:.2f}s = {ratio_auto:.2f}x the bare orjson loop "
            f"({med['base']:.2f}s) (goal >= 0.5x); in-process {med['in']:.2f}s = {ratio_in:.2f}x; "
            f"re-ingest unchanged {med['warm'] * 1000:.0f} ms"
        )
        print(
            f"in-process, by CPU time (bare loop CPU / CLI process CPU, steadier on a busy machine): "
            f"{med['cpu_ratio']:.2f}x"
        )
        print(f"peak RSS of the CLI process: {med['rss_auto']:.0f} MB (in-process {med['rss_in']:.0f} MB)")
        prof = work / "ingest.prof"
        fresh(ws)
        profiled = [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "reverie.console.cli"]
        cli(ingest_args, env0, prefix=profiled)
        stats = pstats.Stats(str(prof), stream=io.StringIO())
        total = stats.total_tt  # type: ignore[attr-defined]  # pstats keeps these undocumented
        rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][3])  # type: ignore[attr-defined]  # as above
        print(f"profile of one in-process CLI ingest ({total:.2f}s under cProfile), top 10 by cumulative time")
        print("(frames above ingest.run, which hold everything, left out):")
        shown = 0
        for (path, line, name), (_cc, calls, tottime, cumtime, _callers) in rows:
            if cumtime > 0.9 * total:
                continue
            where = f"{Path(path).parent.name}/{Path(path).name}:{line}" if line else path
            print(f"  {cumtime:6.2f}s cum {tottime:6.2f}s own {calls:8d} calls  {name}  {where}")
            shown += 1
            if shown == 10:
                break
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
