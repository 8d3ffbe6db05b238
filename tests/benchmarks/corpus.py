"""Benchmark corpora built from the real transcripts in ../shared (never stored in the repo).

`copies(dest, mb)` fills a temp dir with copies of the Claude Code and Codex
transcripts of `realdata/`, each copy with fresh session ids and uuids, until it
holds `mb` megabytes. Shared by bench_ingest.py and bench_heavy.py.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def shared_dir() -> Path | None:
    """<repo>/../shared, falling back to /work/shared; None when neither exists (a fresh clone)."""
    for p in (ROOT.parent / "shared", Path("/work/shared")):
        if (p / "realdata").is_dir():
            return p
    return None


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
