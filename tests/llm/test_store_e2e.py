"""End to end with the real Store: its SQLite cache, its active artifacts, a candidate with our stats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reverie.dreamer.engines.base import DreamContext, SessionRef
from reverie.dreamer.engines.llm import LLMEngine
from tests.llm.conftest import pnpm_session
from tests.llm.fake_openai import FakeOpenAI

pytestmark = pytest.mark.usefixtures("litellm_module")
core = pytest.importorskip("reverie.store.core", reason="store.core not built yet")


def answer(request: dict[str, Any]) -> str:
    if request["messages"][0]["content"].startswith("You review one condensed transcript"):
        return json.dumps({"lessons": [{"title": "Use pnpm", "statement": "Use pnpm", "citations": [{"event": "e4"}]}]})
    payload = json.loads(request["messages"][1]["content"])
    stale = [a["id"] for a in payload["existing_artifacts"] if "npm" in a["body"]]
    return json.dumps(
        {
            "proposals": [
                {
                    "action": "update",
                    "kind": "instinct",
                    "title": "Use pnpm, not npm",
                    "body": "- Use pnpm, not npm.",
                    "replaces": stale,
                    "confidence": 0.8,
                    "rationale": "corrected in both sessions",
                    "evidence": [{"session_id": l["session_id"], "event": "e4"} for l in payload["candidate_lessons"]],
                }
            ]
        }
    )


def dream(store: Any, server: FakeOpenAI, sessions: dict[str, list]) -> tuple[list, dict]:
    ctx = DreamContext(
        workspace=store.workspace,
        sessions=[
            SessionRef(
                sid,
                "claude",
                f"/t/{sid}.jsonl",
                str(store.workspace),
                f"h{sid}",
                started_at=f"2026-02-0{i + 1}T00:00:00Z",
            )
            for i, sid in enumerate(sessions)
        ],
        artifacts=store.active_artifacts(),
        load_events=lambda sid: iter(sessions[sid]),
        cache_get=store.cache_get,
        cache_put=store.cache_put,
    )
    engine = LLMEngine("openai/fake-model", api_base=server.api_base, api_key="test", num_retries=0, timeout=10)
    return engine.propose(ctx), ctx.stats


def test_llm_dream_through_the_real_store(workspace: Path) -> None:
    (workspace / "CLAUDE.md").write_text("# Project\n\n- Use npm for everything.\n", encoding="utf-8")
    sessions = {"s1": pnpm_session("s1"), "s2": pnpm_session("s2")}
    store = core.Store.open(workspace, create=True)
    store.init()
    with FakeOpenAI(answer, prompt_tokens=200, completion_tokens=30) as server:
        proposals, stats = dream(store, server, sessions)
        assert server.count == 3
        cand = store.open_candidate(proposals, engine="llm", stats=stats, sessions_read=2, events_read=12)
        stored = store.proposals(cand.id)
        assert len(stored) == 1 and stored[0].evidence[0].event_uuid == "s1-u4"
        assert {e.session_id for e in stored[0].evidence} == {"s1", "s2"}
        active = store.active_artifacts()  # the importer read CLAUDE.md; the model saw it and replaced it
        assert len(active) == 1
        assert stored[0].action == "update" and stored[0].replaces == [active[0].id]
        saved = {c.id: c for c in store.candidates()}[cand.id]
        assert saved.engine == "llm"
        assert saved.stats["llm_tokens_prompt"] == 600 and saved.stats["llm_calls"] == 3
        store.close()

        # a new process-like reopen: the cache lives in reverie.db, so no request at all
        store = core.Store.open(workspace)
        again, stats2 = dream(store, server, sessions)
        assert server.count == 3
        assert stats2["llm_cache_hits"] == 3 and stats2["llm_calls"] == 0
        assert [p.title for p in again] == [p.title for p in proposals]
        store.close()
    assert (workspace / "CLAUDE.md").read_text(encoding="utf-8") == "# Project\n\n- Use npm for everything.\n"
