"""Play the agent: real file layouts under a temporary HOME and workspace, real transcripts, a real store."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reverie.dreamer.ingest import ingest
from reverie.dreamer.observe import ObserveReport, observe
from reverie.dreamer.scenarios.transcript import SessionWriter
from reverie.store.core import Store
from reverie.store.paths import claude_memory_dir

MEMORY_INDEX = "# Memory\n- [Testing](testing.md) — run pytest before saying done\n- [Style](style.md) — tabs\n"
TESTING = (
    "---\nname: Testing\ndescription: run pytest before saying done\ntype: feedback\n---\nRun `pytest -q` first.\n"
)
STYLE = "---\nname: Style\ndescription: tabs\ntype: user\n---\nThe user indents with tabs.\n"


def memory_dir(ws: Path) -> Path:
    return claude_memory_dir(ws)


def project(ws: Path) -> Store:
    """A workspace with CLAUDE.md and Claude Code auto memory, Reverie initialized (baseline taken)."""
    (ws / "CLAUDE.md").write_text("# Project\n\n- Use pytest.\n")
    mem = memory_dir(ws)
    mem.mkdir(parents=True, exist_ok=True)
    (mem / "MEMORY.md").write_text(MEMORY_INDEX)
    (mem / "testing.md").write_text(TESTING)
    (mem / "style.md").write_text(STYLE)
    store = Store.open(ws, create=True)
    store.init()
    observe(store, noticed_by="init")
    return store


def session(ws: Path, key: str = "s1", minutes_ago: float = 30) -> SessionWriter:
    """A Claude Code session in this workspace that started a while ago (its calls precede the writes)."""
    return SessionWriter.new(ws, key, datetime.now(UTC) - timedelta(minutes=minutes_ago))


def catch_up(store: Store, transcripts: list[Path] | None = None) -> ObserveReport:
    """What `reverie ingest` does: read new transcripts, then the observation pass."""
    ingest(store, store.workspace, transcripts or [])
    return observe(store, noticed_by="ingest")


def sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def snapshot(*dirs: Path) -> dict[str, str]:
    out = {}
    for d in dirs:
        for dirpath, dirnames, files in os.walk(d):
            dirnames[:] = [x for x in dirnames if x != ".reverie"]
            for f in files:
                p = Path(dirpath) / f
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def gemini_session(path: Path, session_id: str, fact: str, when: datetime) -> Path:
    """A Gemini CLI chat document whose model called save_memory(fact)."""
    ts = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    doc = {
        "sessionId": session_id,
        "projectHash": "0" * 64,
        "startTime": ts,
        "lastUpdated": ts,
        "kind": "main",
        "messages": [
            {"id": "m1", "timestamp": ts, "type": "user", "content": [{"text": "remember that I prefer tabs"}]},
            {
                "id": "m2",
                "timestamp": ts,
                "type": "gemini",
                "content": "Saved.",
                "toolCalls": [
                    {
                        "id": "save_memory-1",
                        "name": "save_memory",
                        "args": {"fact": fact},
                        "result": [{"functionResponse": {"response": {"output": "ok"}}}],
                        "status": "success",
                        "timestamp": ts,
                    }
                ],
            },
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path
