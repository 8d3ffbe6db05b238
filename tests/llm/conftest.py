"""Fixtures for the LLM engine tests: contexts over in-memory events and a real SQLite cache."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from reverie.dreamer.engines.base import DreamContext, SessionRef
from reverie.store.models import Artifact, Event


@pytest.fixture(scope="session")
def litellm_module() -> Any:
    """Import litellm once per test session, offline (local cost map)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    from reverie.dreamer.engines.llm import _litellm

    return _litellm()


class SqliteCache:
    """ctx.cache_get/cache_put over a real sqlite table in a temp database."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite_utils.Database(path)
        self.db["cache"].create(
            {"namespace": str, "key": str, "value": str}, pk=("namespace", "key"), if_not_exists=True
        )

    def get(self, namespace: str, key: str) -> Any:
        rows = list(self.db.query("SELECT value FROM cache WHERE namespace = ? AND key = ?", [namespace, key]))
        return json.loads(rows[0]["value"]) if rows else None

    def put(self, namespace: str, key: str, value: Any) -> None:
        self.db["cache"].upsert(
            {"namespace": namespace, "key": key, "value": json.dumps(value)}, pk=("namespace", "key")
        )

    def count(self) -> int:
        return self.db["cache"].count


def point_llm_at(monkeypatch: pytest.MonkeyPatch, api_base: str, key: str = "test") -> None:
    """Point the LLM engine at a server on 127.0.0.1, through the environment as a user would."""
    monkeypatch.setenv("REVERIE_LLM_API_BASE", api_base)
    monkeypatch.setenv("REVERIE_LLM_API_KEY", key)


def ev(session: str, seq: int, kind: str, text: str = "", trust: str = "", **kw: Any) -> Event:
    """An Event with a deterministic uuid (``<session>-u<seq>``)."""
    default_trust = {"user_prompt": "user", "tool_result": "tool", "interruption": "user"}.get(kind, "agent")
    return Event(
        session_id=session,
        seq=seq,
        kind=kind,
        trust=trust or default_trust,
        text=text,
        uuid=f"{session}-u{seq}",
        timestamp=f"2026-01-0{min(seq, 9)}T00:00:00Z",
        **kw,
    )


def pnpm_session(session: str) -> list[Event]:
    """A session where the agent used npm and the user corrected it to pnpm."""
    return [
        ev(session, 1, "user_prompt", "please run the tests"),
        ev(session, 2, "tool_call", tool_name="Bash", tool_input={"command": "npm test"}),
        ev(session, 3, "tool_result", "npm ERR! lockfile pnpm-lock.yaml found", status="error", tool_name="Bash"),
        ev(session, 4, "user_prompt", "no, we use pnpm in this repo, not npm"),
        ev(session, 5, "tool_call", tool_name="Bash", tool_input={"command": "pnpm test"}),
        ev(session, 6, "tool_result", "42 passed", status="ok", tool_name="Bash"),
    ]


@pytest.fixture
def cache(tmp_path: Path) -> SqliteCache:
    return SqliteCache(tmp_path / "cache.db")


@pytest.fixture
def make_ctx(tmp_path: Path, cache: SqliteCache) -> Callable[..., DreamContext]:
    """Build a DreamContext from {session_id: [Event]} and optional artifacts."""

    def build(
        sessions: dict[str, list[Event]], artifacts: list[Artifact] | None = None, **options: Any
    ) -> DreamContext:
        refs = [
            SessionRef(
                session_id=sid,
                agent="claude",
                path=f"/t/{sid}.jsonl",
                cwd="/work/proj",
                content_hash=f"h-{sid}",
                started_at=f"2026-01-{i + 1:02d}T00:00:00Z",
                events=len(evs),
            )
            for i, (sid, evs) in enumerate(sessions.items())
        ]
        return DreamContext(
            workspace=tmp_path,
            sessions=refs,
            artifacts=list(artifacts or []),
            load_events=lambda sid: iter(sessions[sid]),
            cache_get=cache.get,
            cache_put=cache.put,
            options=options,
        )

    return build
