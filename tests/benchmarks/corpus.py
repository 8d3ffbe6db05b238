"""Benchmark corpora built from the real transcripts in ../shared (never stored in the repo).

`copies(dest, mb)` fills a temp dir with copies of the Claude Code and Codex
transcripts of `realdata/`, each copy with fresh session ids and uuids, until it
holds `mb` megabytes. Shared by bench_ingest.py, bench_ingest_parts.py and bench_heavy.py
(with the bare decode loop their ratios divide by, `decode_lines`, and their `--mb`/`--repeat`, `corpus_args`).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import sys
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks run as scripts from tests/benchmarks
    sys.path.insert(0, str(ROOT))

from tests.shared_data import shared_dir  # noqa: E402  (the one locator of the real corpora, re-exported)


def cli_env(home: Path) -> dict[str, str]:
    """The environment of a `reverie` process run as a user runs it: a temp HOME, no REVERIE_* overrides,
    and Python allowed to use cached bytecode (`compile_sources`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVERIE_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(HOME=str(home), PYTHONPATH=os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(ROOT)])))
    return env


def corpus_args() -> tuple[argparse.Namespace, Path] | None:
    """`--mb` and `--repeat` of a benchmark over `copies`, with the shared data; None (said why) on a fresh clone."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    shared = shared_dir()
    if shared is None:
        print("skipped: ../shared/realdata not found (fresh clone)")
        return None
    return args, shared


def decode_lines(files: Iterable[str | Path], decode: Callable[[bytes], Any]) -> None:
    """Read every non-empty line of `files` and `decode` it: the bare loop the ingest benchmarks divide by."""
    for f in files:
        with open(f, "rb") as fh:
            for line in fh:
                if line.strip():
                    decode(line)


def compile_sources() -> None:
    """Byte-compile Reverie's sources as `pip install` does.

    This environment sets PYTHONDONTWRITEBYTECODE, so an editable checkout recompiles
    every module in every process (~0.15 s of each CLI run) — a cost no installed copy has.
    """
    for name in ("store", "dreamer", "console"):
        compileall.compile_dir(str(ROOT / name), quiet=1)


_ID = re.compile(rb'"(uuid|parentUuid|leafUuid|sessionId)":"[0-9a-f]{8}')


def sources(realdata: Path) -> list[tuple[Path, bytes]]:
    """The non-empty Claude Code and Codex JSONL transcripts of `realdata`, with their bytes."""
    manifest = json.loads((realdata / "manifest.json").read_text())
    out = []
    for e in manifest:
        p = realdata / e["local"]
        if p.suffix == ".jsonl" and (e["agent"].startswith("Claude Code") or e["agent"].startswith("OpenAI Codex")):
            data = p.read_bytes()
            if data:
                out.append((p, data))
    return out


def fresh_ids(p: Path, data: bytes, copy: int) -> tuple[str, bytes]:
    """(file name, bytes) of copy number `copy` of one transcript: new session id, new uuid prefixes."""
    new_sid = str(uuid.uuid4())
    old = p.stem.split("-", 4)[-1] if p.name.startswith("rollout-") else p.stem
    prefix = f"{copy:08x}".encode()
    data2 = _ID.sub(lambda m: b'"' + m.group(1) + b'":"' + prefix, data)
    data2 = data2.replace(old.encode(), new_sid.encode())
    return p.name.replace(old, new_sid), data2


def copies(dest: Path, mb: float, realdata: Path) -> int:
    """Copies of every source with fresh ids until the corpus reaches `mb` megabytes; returns bytes."""
    srcs = sources(realdata)
    total, copy = 0, 0
    while total < mb * 1e6:
        copy += 1
        for p, data in srcs:
            name, data2 = fresh_ids(p, data, copy)
            sub = dest / f"copy{copy:04d}" / p.parent.name
            sub.mkdir(parents=True, exist_ok=True)
            (sub / name).write_bytes(data2)
            total += len(data2)
            if total >= mb * 1e6:
                break
    return total


# --- a heavy user's history -----------------------------------------------------

_CWD = re.compile(rb'"cwd":"(?:[^"\\]|\\.)*"')
_SID = re.compile(rb'"sessionId":"[^"]*"')


def claude_sources(shared: Path) -> list[bytes]:
    """Every non-empty Claude Code main-session transcript of realdata and realdata2."""
    out = [data for p, data in sources(shared / "realdata") if not p.name.startswith("rollout-")]
    out.extend(p.read_bytes() for p in sorted((shared / "realdata2").glob("*/transcripts/**/full.jsonl")))
    return [d for d in out if d.strip() and b'"sessionId"' in d]


def text_pool(shared: Path, limit: int = 4_000_000) -> str:
    """Real source text (from the realdata2 project trees) to fill big tool results."""
    parts, size = [], 0
    for p in sorted((shared / "realdata2").glob("*/tree/**/*")):
        if p.suffix in (".go", ".ts", ".tsx", ".md", ".py", ".json", ".yaml") and p.is_file():
            try:
                text = p.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            parts.append(text)
            size += len(text)
            if size >= limit:
                break
    return "\n".join(parts)


def _big_result(sid: str, cwd: str, text: str, n: int) -> bytes:
    """One Claude Code user record carrying a big tool result (a file read, a long build log)."""
    record = {
        "parentUuid": f"big-{n:08x}-parent",
        "isSidechain": False,
        "userType": "external",
        "cwd": cwd,
        "sessionId": sid,
        "version": "2.1.39",
        "type": "user",
        "message": {
            "role": "user",
            "content": [{"tool_use_id": f"toolu_big{n:08x}", "type": "tool_result", "content": text}],
        },
        "uuid": f"big-{n:08x}-{uuid.uuid4()}",
        "timestamp": "2026-01-01T00:00:00.000Z",
    }
    return json.dumps(record).encode() + b"\n"


def heavy_history(home: Path, target_mb: float, projects: list[Path], seed: int = 7) -> dict[str, int]:
    """Fill `home/.claude/projects` with long real-shaped sessions spread over `projects` (by cwd).

    Each session joins 2-4 real transcripts under one fresh session id, with every
    record's cwd set to its project's path, and a big tool result (100 KB - 1 MB
    of real source text) after every ~40 lines. Returns bytes written per project.
    """
    import random

    shared = shared_dir()
    assert shared is not None
    rng = random.Random(seed)
    srcs = claude_sources(shared)
    pool = text_pool(shared)
    root = home / ".claude" / "projects"
    written = {str(p): 0 for p in projects}
    total, n = 0, 0
    while total < target_mb * 1e6:
        project = projects[n % len(projects)]
        cwd = str(project)
        sid = str(uuid.uuid4())
        prefix = f"{n:08x}".encode()
        cwd_field = b'"cwd":' + json.dumps(cwd).encode()
        out = bytearray()
        for data in rng.sample(srcs, rng.randint(2, 4)):
            data = _ID.sub(lambda m, prefix=prefix: b'"' + m.group(1) + b'":"' + prefix, data)
            data = _CWD.sub(lambda m, cwd_field=cwd_field: cwd_field, data)
            data = _SID.sub(f'"sessionId":"{sid}"'.encode(), data)
            lines = data.splitlines(keepends=True)
            for i, line in enumerate(lines):
                out += line if line.endswith(b"\n") else line + b"\n"
                if i % 40 == 39:
                    size = rng.randint(100_000, 1_000_000)
                    start = rng.randrange(0, max(1, len(pool) - size))
                    out += _big_result(sid, cwd, pool[start : start + size], n * 100_000 + i)
        d = root / cwd.replace("/", "-").replace(".", "-")
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{sid}.jsonl").write_bytes(out)
        written[cwd] += len(out)
        total += len(out)
        n += 1
    return written
