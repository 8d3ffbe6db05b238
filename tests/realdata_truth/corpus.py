"""Dream over one real-data corpus the way a user would, for the benchmark.

A user copies nothing into Reverie: they run `reverie dream` in their own
checkout with their own HOME. So each corpus gets a fresh temp dir holding a
git workspace (a copy of the corpus tree, or an empty repo with the corpus's
own agent files when there is no tree), an empty HOME, and the CLI is run with
`--transcripts` pointing at the corpus in place (read-only, never copied).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.realdata_truth.score import Report, score
from tests.realdata_truth.truth import TruthFile
from tests.shared_data import shared_dir

REPO = Path(__file__).resolve().parents[2]


def shared_root() -> Path | None:
    """The folder holding the real corpora (``realdata``, ``realdata2``); None in a fresh clone."""
    return shared_dir("realdata") or shared_dir("realdata2")


@dataclass
class DreamRun:
    workspace: Path
    home: Path
    transcripts: list[Path]
    seconds: float
    doc: dict[str, Any]


def prepare_workspace(truth: TruthFile, corpus_dir: Path, root: Path) -> tuple[Path, Path, list[Path]]:
    """Create `root/ws` (a git repo) and `root/home`; return them and the transcripts dirs to pass."""
    ws, home = root / "ws", root / "home"
    if truth.tree is not None:
        shutil.copytree(corpus_dir / truth.tree, ws, symlinks=True)
    else:
        ws.mkdir(parents=True)
        for rel in truth.tree_files:
            src = corpus_dir / rel
            if src.is_dir():
                shutil.copytree(src, ws / rel, symlinks=True)
            elif src.is_file():
                (ws / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, ws / rel)
    for path in ws.rglob("*"):  # the shared data is read-only; the copy must be writable for apply/undo
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o200)
    ws.chmod(ws.stat().st_mode | 0o200)
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    home.mkdir(parents=True, exist_ok=True)
    transcripts = [corpus_dir / t for t in truth.transcripts]
    missing = [str(t) for t in transcripts if not t.exists()]
    if missing:
        raise FileNotFoundError(f"{truth.corpus}: transcripts not found: {', '.join(missing)}")
    return ws, home, transcripts


def run_dream(ws: Path, home: Path, transcripts: list[Path], extra: list[str] | None = None) -> tuple[float, dict]:
    """`reverie dream --workspace ws --transcripts … --json` with HOME=home; returns (seconds, JSON document)."""
    cmd = [sys.executable, "-m", "reverie.console.cli", "dream", "--workspace", str(ws), "--json"]
    for t in transcripts:
        cmd += ["--transcripts", str(t)]
    cmd += extra or []
    env = {**os.environ, "HOME": str(home), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "CODEX_HOME", "CLAUDE_CONFIG_DIR"):
        env.pop(var, None)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ws, env=env, capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise RuntimeError(f"reverie dream exited {proc.returncode}: {tail[0]}")
    return seconds, json.loads(proc.stdout)


def dream_corpus(truth: TruthFile, data_root: Path, root: Path, extra: list[str] | None = None) -> DreamRun:
    """Prepare the corpus's workspace under `root` and dream over it."""
    corpus_dir = data_root / truth.corpus_dir
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"{truth.corpus}: corpus not found at {corpus_dir}")
    ws, home, transcripts = prepare_workspace(truth, corpus_dir, root)
    seconds, doc = run_dream(ws, home, transcripts, extra)
    return DreamRun(ws, home, transcripts, seconds, doc)


def measure(truth: TruthFile, data_root: Path, root: Path, extra: list[str] | None = None) -> tuple[Report, DreamRun]:
    """Dream over the corpus of `truth` as a user would and score the proposals against it."""
    run = dream_corpus(truth, data_root, root, extra)
    return score(run.doc.get("proposals") or [], truth, run.workspace), run
