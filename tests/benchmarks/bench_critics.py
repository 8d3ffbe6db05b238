"""Critics over many proposals: `reverie propose --file` with 1,000 and 10,000 proposals.

    python tests/benchmarks/bench_critics.py [--sizes 1000 10000] [--artifacts 300]

Builds a proposals file of realistic rules, instincts, memories, skills and a
few hooks (paraphrases, contradictions and duplicates included, two sessions of
evidence each) and a workspace whose CLAUDE.md holds `--artifacts` hand-written
lines, then runs the real CLI in a fresh store for each size. Prints the wall
time of the whole command and of the critics alone, and the growth ratio
between sizes (10× the proposals costing ~10× the time is linear; comparing
every pair, as the critics did before, costs ~100×). Asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

TOOLS = ["pnpm", "npm", "yarn", "uv", "pip", "poetry", "ruff", "black", "pytest", "vitest", "jest", "make", "docker"]
TASKS = ["installing packages", "formatting", "running the tests", "building", "linting", "type checks", "releases"]
DIRS = ["src/gen", "db/migrations", "vendor", "dist", "web/public", "infra/terraform", "scripts", "docs/api"]
NOUNS = ["the cache", "the API client", "the schema", "fixtures", "the CLI", "feature flags", "the changelog"]


def proposal(rng: random.Random, i: int) -> dict[str, object]:
    a, b = rng.sample(TOOLS, 2)
    shape = rng.random()
    kind, scope, paths = "instinct", "project", []
    if shape < 0.25:
        body = f"Use {a} for {rng.choice(TASKS)}, not {b}."
    elif shape < 0.45:
        d = rng.choice(DIRS)
        body = f"Never edit files under {d}/ by hand; regenerate them with `make {d.split('/')[-1]}`."
        kind, scope, paths = "rule", "path", [f"{d}/**"]
    elif shape < 0.6:
        body = (
            f"Run `{a} {rng.choice(['test', 'run lint', 'build'])}` before committing changes to {rng.choice(NOUNS)}."
        )
        kind = "rule"
    elif shape < 0.8:
        body = f"{rng.choice(NOUNS).capitalize()} lives in {rng.choice(DIRS)}/ (note {i})."
        kind = "memory"
    elif shape < 0.99:
        steps = "\n".join(f"{n}. {rng.choice(['Run', 'Check', 'Update'])} {rng.choice(NOUNS)}" for n in range(1, 4))
        body, kind = f"## Steps\n{steps}", rng.choice(["skill", "command"])
    else:
        d = rng.choice(DIRS)
        body = (
            "#!/usr/bin/env python3\nimport json, sys\n"
            f"p = json.load(sys.stdin).get('tool_input', {{}}).get('file_path', '')\n"
            f"sys.exit(2 if '/{d}/' in p else 0)\n"
        )
        kind = "hook"
    return {
        "kind": kind,
        "scope": scope,
        "paths": paths,
        "title": body.splitlines()[0][:60],
        "body": body,
        "confidence": round(rng.uniform(0.4, 0.9), 2),
        "meta": {"matcher": "Edit|Write"} if kind == "hook" else {},
        "evidence": [
            {"session_id": f"s-{rng.randrange(500)}", "event_uuid": f"e-{i}-{k}", "trust": "user", "quote": body[:80]}
            for k in range(2)
        ],
    }


def workspace(root: Path, artifacts: int, rng: random.Random) -> Path:
    ws = root / "project"
    ws.mkdir()
    lines = [f"- Use {rng.choice(TOOLS)} for {rng.choice(TASKS)}." for _ in range(artifacts)]
    (ws / "CLAUDE.md").write_text("# Notes\n\n" + "\n".join(lines) + "\n")
    for d in DIRS:
        (ws / d).mkdir(parents=True, exist_ok=True)
    return ws


def run(n: int, artifacts: int) -> tuple[float, float]:
    from reverie.console.cli import main
    from reverie.dreamer import critics

    rng = random.Random(n)
    with tempfile.TemporaryDirectory(prefix="reverie-bench-critics-") as tmp:
        root = Path(tmp)
        os.environ["HOME"] = str(root / "home")
        (root / "home").mkdir()
        ws = workspace(root, artifacts, rng)
        path = root / "proposals.json"
        path.write_text(json.dumps({"proposals": [proposal(rng, i) for i in range(n)]}))
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
            assert main(["init", "--json", "-w", str(ws)]) == 0
        spent = [0.0]
        real = critics.run_critics

        def timed(*args: object, **kw: object) -> object:
            t = time.perf_counter()
            try:
                return real(*args, **kw)  # type: ignore[arg-type]  # same arguments, passed through
            finally:
                spent[0] += time.perf_counter() - t

        critics.run_critics = timed  # type: ignore[assignment]  # count the critics' share of the command
        import reverie.dreamer.review as review

        review.run_critics = timed  # type: ignore[assignment]  # the name the review path calls
        started = time.perf_counter()
        try:
            with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
                rc = main(["propose", "--json", "--file", str(path), "-w", str(ws)])
        finally:
            critics.run_critics = real
            review.run_critics = real
        assert rc == 0
        return time.perf_counter() - started, spent[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--artifacts", type=int, default=300)
    args = parser.parse_args()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    from reverie.dreamer.redact import _gate_scanner, _kingfisher

    _kingfisher(), _gate_scanner()  # built once per process (seconds), not part of what is measured
    results = []
    for n in args.sizes:
        total, crit = run(n, args.artifacts)
        results.append((n, total, crit))
        print(
            f"propose --file {n:>6} proposals ({args.artifacts} CLAUDE.md lines): {total:6.2f} s, critics {crit:6.2f} s"
        )
    for (n0, t0, c0), (n1, t1, c1) in itertools.pairwise(results):
        print(
            f"growth {n0} -> {n1} ({n1 / n0:.0f}x proposals): command {t1 / t0:.1f}x, critics {c1 / max(c0, 1e-9):.1f}x "
            f"(linear ~{n1 / n0:.0f}x, all pairs ~{(n1 / n0) ** 2:.0f}x)"
        )


if __name__ == "__main__":
    main()
