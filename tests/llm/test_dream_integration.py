"""`run_dream(engine="llm")` over generated Claude Code transcripts, against the fake server.

Real transcripts in the real record format → ingest → digests → the engine →
critics → a candidate store. Checks the wiring other modules rely on: the
engine is configured from the environment, evidence maps back to the
transcript's own uuids, secrets never reach the model, stats reach the candidate.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.llm.conftest import point_llm_at
from tests.llm.fake_openai import FakeOpenAI

pytestmark = pytest.mark.usefixtures("litellm_module")
dream_mod = pytest.importorskip("reverie.dreamer.dream", reason="dreamer.dream not built yet")
scenarios = pytest.importorskip("reverie.dreamer.scenarios", reason="dreamer.scenarios not built yet")
core = pytest.importorskip("reverie.store.core", reason="store.core not built yet")

USER_LINE = re.compile(r"^\[(e\d+) user says\] (.*)$", re.M)


def llm_dream(store: Any, transcripts: Path) -> Any:
    """A dream by the LLM engine over `transcripts` (the fake server's model; the home folder left out)."""
    return dream_mod.run_dream(store, [transcripts], engine="llm", model="openai/fake-model", options={"home": False})


def answer(request: dict[str, Any]) -> str:
    """Map: one lesson citing the digest's last user line. Reduce: one memory per lesson."""
    content = request["messages"][1]["content"]
    if request["messages"][0]["content"].startswith("You review one condensed transcript"):
        hits = USER_LINE.findall(content)
        if not hits:
            return '{"lessons": []}'
        ref, text = hits[-1]
        return json.dumps(
            {
                "lessons": [
                    {
                        "kind": "memory",
                        "title": text[:60] or "lesson",
                        "statement": text[:200] or "x",
                        "citations": [{"event": ref, "quote": text[:40]}],
                    }
                ]
            }
        )
    lessons = json.loads(content)["candidate_lessons"]
    return json.dumps(
        {
            "proposals": [
                {
                    "action": "add",
                    "kind": "memory",
                    "scope": "project",
                    "title": f"{l['title'][:50]} ({i})",
                    "body": l["statement"],
                    "confidence": 0.5,
                    "evidence": [
                        {"session_id": l["session_id"], "event": c["event"], "quote": c["quote"]}
                        for c in l["citations"]
                    ],
                }
                for i, l in enumerate(lessons)
            ]
        }
    )


def test_run_dream_with_llm_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws, transcripts = tmp_path / "ws", tmp_path / "transcripts"
    transcripts.mkdir()
    secret_scn = scenarios.build_scenario("secrets", ws, transcripts=transcripts)
    scenarios.build_scenario("repeated_correction", ws, transcripts=transcripts, day0=3)
    store = core.Store.open(ws, create=True)
    store.init()
    with FakeOpenAI(answer, prompt_tokens=300, completion_tokens=40) as server:
        point_llm_at(monkeypatch, server.api_base)
        result = llm_dream(store, transcripts)
        sent = b"".join(server.bodies)
        assert server.count >= 2
        calls = server.count
        # nothing new: a second dream asks the model nothing
        again = llm_dream(store, transcripts)
        assert server.count == calls
        assert again.stats["llm_cache_hits"] >= 2
    for secret in secret_scn.secrets:
        assert secret.encode() not in sent, "a secret reached the model"
    doc = json.dumps(result.to_json())
    assert all(secret not in doc for secret in secret_scn.secrets)
    assert result.engine == "llm" and result.proposals
    assert result.stats["llm_calls"] == calls
    assert result.stats["llm_tokens_prompt"] == 300 * calls
    # evidence points at real transcript uuids (not the digest's eN references)
    uuids = set()
    for path in transcripts.rglob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            uuids.add(json.loads(line).get("uuid", ""))
    for p in result.proposals:
        assert p.evidence and all(e.event_uuid in uuids for e in p.evidence)
        assert all(e.trust == "user" for e in p.evidence)
    store.close()


def test_an_llm_update_of_claude_md_lands_as_a_line_edit_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model rewrites CLAUDE.md whole; the dream keeps only the line it changed, with its cited evidence."""
    import os

    ws, transcripts = tmp_path / "ws", tmp_path / "transcripts"
    transcripts.mkdir()
    scenarios.build_scenario("repeated_correction", ws, transcripts=transcripts)
    text = "# acme\n\n- Install packages with npm.\n- Keep components small.\n"
    (ws / "CLAUDE.md").write_text(text)
    os.utime(ws / "CLAUDE.md", (1735689600, 1735689600))  # written before the sessions

    def rewrite(request: dict[str, Any]) -> str:
        if request["messages"][0]["content"].startswith("You review one condensed transcript"):
            return answer(request)
        payload = json.loads(request["messages"][1]["content"])
        doc = next(a for a in payload["existing_artifacts"] if "npm" in a["body"])
        lesson = payload["candidate_lessons"][0]
        cite = [{"session_id": lesson["session_id"], "event": c["event"]} for c in lesson["citations"]]
        return json.dumps(
            {
                "proposals": [
                    {
                        "action": "update",
                        "kind": "instinct",
                        "title": "Use pnpm",
                        "body": doc["body"].replace("Install packages with npm.", "Install packages with pnpm."),
                        "replaces": [doc["id"]],
                        "confidence": 0.8,
                        "rationale": "corrected in several sessions",
                        "evidence": cite,
                    },
                    {
                        "action": "update",
                        "kind": "instinct",
                        "title": "Rewrite everything",
                        "body": "# acme\n\nEverything here is new.\nEvery line.\nAll of them.\nReally.\nYes.\n",
                        "replaces": [doc["id"]],
                        "confidence": 0.8,
                        "evidence": cite,
                    },
                ]
            }
        )

    store = core.Store.open(ws, create=True)
    store.init()
    with FakeOpenAI(rewrite, prompt_tokens=100, completion_tokens=20) as server:
        point_llm_at(monkeypatch, server.api_base)
        result = llm_dream(store, transcripts)
    store.close()
    updates = [p for p in result.proposals if p.action == "update"]
    assert [p.title for p in updates] == ["Use pnpm"], "a whole rewrite of a hand-written file is dropped"
    [edit] = updates[0].edits
    assert (edit.path, edit.line, edit.old, edit.new) == (
        "CLAUDE.md",
        3,
        ["- Install packages with npm."],
        ["- Install packages with pnpm."],
    )
    assert edit.evidence and all(e.trust == "user" for e in edit.evidence)
    dropped = [e for e in result.explain if e["source"] == "proposal"]
    assert any(
        "Rewrite everything" in e["reason"] and "rewrites 2 of the 2 stating lines" in e["reason"] for e in dropped
    )
