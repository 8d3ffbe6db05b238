"""Every file of ../shared/realdata ingests; counts equal an independent plain-json count."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from reverie.dreamer.ingest import ingest
from tests.conftest import realdata_or_skip

REJECT = "The user doesn't want to"
SYSTEM_PREFIXES = (
    "<local-command-stdout>",
    "<local-command-stderr>",
    "<bash-stdout>",
    "<bash-stderr>",
    "<task-notification>",
    "<local-command-caveat>",
    "Caveat: The messages below",
    "<system-reminder>",
)


def _texts(content):
    if isinstance(content, str):
        return [content]
    return [b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text"]


def _count_claude(path: Path, c: Counter, sessions: set) -> None:
    sidechain_file = path.name.startswith("agent-") or path.parent.name == "subagents"
    tool_ids = set()
    queued: list[str] = []  # typed while the agent worked: a `remove` hands one over mid-turn
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        if r.get("type") == "queue-operation":
            op, content = r.get("operation"), r.get("content")
            if op == "enqueue" and isinstance(content, str) and content.strip():
                queued.append(content)
            elif op == "dequeue" and queued:
                queued.pop(0)
            elif op == "remove" and queued:
                text = queued.pop(queued.index(content) if content in queued else 0).lstrip()
                if not text.startswith(("<", "{")) and not sidechain_file:
                    c["user_prompts"] += 1
            elif op in ("popAll", "clear"):
                queued.clear()
            continue
        if r.get("type") not in ("user", "assistant"):
            continue
        sessions.add(r.get("sessionId") or path.stem)
        content = r["message"].get("content")
        if r["type"] == "assistant":
            for b in content if isinstance(content, list) else []:
                if b.get("type") == "tool_use" and b["id"] not in tool_ids:
                    tool_ids.add(b["id"])
                    c["tool_calls"] += 1
            continue
        blocks = content if isinstance(content, list) else []
        results = [b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_result"]
        for b in results:
            text = json.dumps(b.get("content"))
            if REJECT in text[:500]:
                c["rejections"] += 1
            elif b.get("is_error"):
                c["tool_errors"] += 1
        if results or r.get("isMeta") or r.get("isCompactSummary") or r.get("isSidechain") or sidechain_file:
            continue
        texts = [t for t in _texts(content) if not t.lstrip().startswith(("<ide_", "<system-reminder>"))]
        text = "\n".join(t for t in texts if t).lstrip()
        if any(isinstance(b, dict) and b.get("type") == "image" for b in blocks):
            text = text or "[image]"
        if not text:
            continue
        if text.startswith("[Request interrupted"):
            c["interruptions"] += 1
        elif not text.startswith(SYSTEM_PREFIXES):
            c["user_prompts"] += 1


def _count_codex(path: Path, c: Counter, sessions: set) -> None:
    sessions.add(path.name)
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        p = r.get("payload") or {}
        if r.get("type") == "event_msg" and p.get("type") == "user_message":
            c["user_prompts"] += 1
        if r.get("type") == "response_item" and p.get("type") in (
            "function_call",
            "custom_tool_call",
            "local_shell_call",
            "web_search_call",
        ):
            c["tool_calls"] += 1


def _count_gemini(path: Path, c: Counter, sessions: set) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    sessions.add(doc["sessionId"])
    for m in doc["messages"]:
        if m.get("type") == "user":
            c["user_prompts"] += 1
        c["tool_calls"] += len(m.get("toolCalls") or [])


@pytest.mark.realdata
def test_every_realdata_file_ingests_with_expected_counts(db, tmp_path: Path) -> None:
    root = realdata_or_skip()
    manifest = json.loads((root / "manifest.json").read_text())
    expected = {a: Counter() for a in ("claude", "codex", "gemini")}
    sessions = {a: set() for a in expected}
    manifest_errors = 0
    for entry in manifest:
        path = root / entry["local"]
        agent = entry["agent"]
        if agent.startswith("Claude Code") and path.suffix == ".jsonl":
            _count_claude(path, expected["claude"], sessions["claude"])
            manifest_errors += entry["features"].get("tool_error", 0)
        elif agent.startswith("OpenAI Codex"):
            _count_codex(path, expected["codex"], sessions["codex"])
        elif agent.startswith("Gemini CLI"):
            _count_gemini(path, expected["gemini"], sessions["gemini"])
    # the manifest counts rejections among tool errors: a second, outside check
    assert expected["claude"]["tool_errors"] + expected["claude"]["rejections"] == manifest_errors

    report = ingest(db, tmp_path / "ws", [root], home=False)
    assert report.malformed_lines == 0
    for agent, exp in expected.items():
        got = report.by_agent[agent]
        assert got.sessions == len(sessions[agent]), agent
        for key in ("user_prompts", "tool_calls", "tool_errors", "rejections", "interruptions"):
            assert getattr(got, key) == exp[key], (agent, key)
    assert report.sessions == sum(len(s) for s in sessions.values())

    again = ingest(db, tmp_path / "ws", [root], home=False)
    assert again.files_read == 0 and again.events == report.events
