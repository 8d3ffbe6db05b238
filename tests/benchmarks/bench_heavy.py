"""A heavy user's history: the first `reverie dream` in one project of ~1 GB of transcripts, then the second.

    python tests/benchmarks/bench_heavy.py [--gb 1.0] [--projects 12] [--repeat 1]

Generates, in a temp HOME, ~1 GB of real-shaped Claude Code history
(`corpus.heavy_history`: real transcripts from ../shared joined into long
sessions, spread over many projects by cwd, with big tool results), then runs
the CLI as a user would (sources byte-compiled, as installed) in one of those projects: `reverie dream --json`
(first: ingests that project's sessions and dreams), and again (second: nothing
new). Prints wall time, peak RSS of the process (wait4) and, as the same-run
baseline, a bare orjson loop over that project's own files and a plain read of
every byte of the history (what reading everything would cost at least).
Goals: first < 60 s with peak RSS < 300 MB, second < 1 s.
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

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import ROOT, cli_env, compile_sources, heavy_history, shared_dir

REVERIE = [sys.executable, "-c", "import sys; from reverie.console.cli import main; sys.exit(main())"]


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, bytes]:
    """(wall seconds, peak RSS MB, stdout) of one `reverie` process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen([*REVERIE, *args], env=env, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        if os.waitstatus_to_exitcode(status):
            err.seek(0)
            raise SystemExit(f"reverie {' '.join(args)} failed: {err.read().decode()[-2000:]}")
        out.seek(0)
        return wall, usage.ru_maxrss / 1024, out.read()


def bare(files: list[Path]) -> float:
    t = time.perf_counter()
    for f in files:
        with open(f, "rb") as fh:
            for line in fh:
                if line.strip():
                    orjson.loads(line)
    return time.perf_counter() - t


def read_all(files: list[Path]) -> float:
    t = time.perf_counter()
    for f in files:
        with open(f, "rb") as fh:
            while fh.read(1 << 20):
                pass
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=1.0)
    ap.add_argument("--projects", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    if shared_dir() is None:
        print("skipped: ../shared/realdata not found (fresh clone)")
        return
    work = Path(tempfile.mkdtemp(prefix="reverie-heavy-"))
    try:
        home = work / "home"
        projects = [work / "code" / f"project-{i:02d}" for i in range(args.projects)]
        t = time.perf_counter()
        written = heavy_history(home, args.gb * 1000, projects)
        files = sorted((home / ".claude" / "projects").rglob("*.jsonl"))
        target = projects[3]
        target.mkdir(parents=True)
        (target / "CLAUDE.md").write_text("# Project\n\nUse the Makefile targets.\n", encoding="utf-8")
        mine = [f for f in files if f.parent.name == str(target).replace("/", "-").replace(".", "-")]
        print(
            f"history: {sum(written.values()) / 1e6:.0f} MB in {len(files)} sessions over {args.projects} projects, "
            f"built in {time.perf_counter() - t:.0f}s; the project dreamed in holds {len(mine)} sessions, "
            f"{written[str(target)] / 1e6:.0f} MB"
        )
        compile_sources()
        env = cli_env(home)
        warm = work / "warm"
        warm.mkdir()
        run(["ingest", "--json", "--workspace", str(warm), "--transcripts", str(mine[0])], env)  # kingfisher cache
        firsts, seconds, rss = [], [], []
        for i in range(max(1, args.repeat)):
            shutil.rmtree(target / ".reverie", ignore_errors=True)
            t_read = read_all(files)
            t_bare = bare(mine)
            first, peak, _ = run(["dream", "--json", "--workspace", str(target)], env)
            second, _, _ = run(["dream", "--json", "--workspace", str(target)], env)
            floor, _, _ = run(["--help"], env)  # the CLI's own start: interpreter + argument parser
            firsts.append(first)
            seconds.append(second)
            rss.append(peak)
            print(
                f"round {i + 1} (load {os.getloadavg()[0]:.1f}): first dream {first:.1f}s (peak RSS {peak:.0f} MB), "
                f"second {second:.2f}s (= {second / floor:.1f}x `reverie --help`, {floor:.2f}s); "
                f"baselines: bare orjson over the project's files {t_bare:.2f}s "
                f"→ first dream = {first / t_bare:.1f}x that; plain read of all {len(files)} files {t_read:.2f}s"
            )
        print(
            f"median: first dream {statistics.median(firsts):.1f}s (goal < 60 s), peak RSS "
            f"{statistics.median(rss):.0f} MB (goal < 300 MB), second dream {statistics.median(seconds):.2f}s "
            f"(goal < 1 s)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
