"""Codex rollouts (envelope and legacy) and Gemini CLI sessions through the real ingest."""

from __future__ import annotations

import json
from pathlib import Path

from reverie.dreamer.ingest import ingest
from reverie.store.sessions import SessionIndex
from tests.ingest.fixtures import (
    codex_agent_turn,
    codex_call,
    codex_envelope,
    codex_user_turn,
    gemini_doc,
    write_jsonl,
)


def test_codex_envelope_dedup_exit_codes_compaction(db, tmp_path: Path) -> None:
    sid = "019c8a70-dda7-7f33-98ea-f30553347322"
    items = [
        (
            "response_item",
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "rules"}]},
        ),
        (
            "response_item",
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "<environment_context><cwd>/w</cwd></environment_context>"}],
            },
        ),
        ("turn_context", {"cwd": "/w/sub", "model": "gpt-5"}),
        *codex_user_turn("add a test"),
        *codex_agent_turn("I'll add it"),
        *codex_call("exec_command", {"cmd": "pytest"}, "Exit code: 1\nWall time: 1s\nOutput:\nFAILED"),
        *codex_call("shell", {"command": ["ls"]}, json.dumps({"output": "a\nb", "metadata": {"exit_code": 0}})),
        *codex_call("exec_command", {"cmd": "rm -rf /"}, "exec command rejected by user"),
        *codex_call("github__get_issue", {"n": 1}, "issue body"),
        ("event_msg", {"type": "token_count", "info": None}),
        ("compacted", {"message": "summary of earlier turns", "replacement_history": []}),
        ("event_msg", {"type": "turn_aborted", "reason": "interrupted"}),
    ]
    path = write_jsonl(tmp_path / "t" / f"rollout-2026-02-23T12-19-38-{sid}.jsonl", codex_envelope(sid, "/w", items))
    report = ingest(db, tmp_path / "ws", [path.parent], home=False)
    a = report.by_agent["codex"]
    assert (report.sessions, a.user_prompts, a.tool_calls, a.tool_errors, a.rejections, a.interruptions) == (
        1,
        1,
        4,
        1,
        1,
        1,
    )
    ev = list(SessionIndex(db).iter_events(sid))
    assert [e.text for e in ev if e.kind == "assistant_text"] == ["I'll add it"]
    assert [e.text for e in ev if e.kind == "user_prompt"] == ["add a test"]
    assert sum(e.kind == "system" for e in ev) == 1  # the environment context, not a prompt
    assert next(e for e in ev if e.tool_name == "github__get_issue" and e.kind == "tool_result").trust == "external"
    assert next(e for e in ev if e.kind == "tool_call").tool_input == {"cmd": "pytest"}
    assert any(e.kind == "compaction" for e in ev)
    assert ev[-1].cwd == "/w/sub"


def test_codex_legacy_without_envelope(db, tmp_path: Path) -> None:
    recs = [
        {"id": "legacy-1", "timestamp": "2025-05-01T10:00:00Z", "instructions": ""},
        {"record_type": "state"},
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "<environment_context>\n<cwd>/w</cwd>\n</environment_context>"}],
        },
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "fix the bug"}]},
        {"type": "function_call", "name": "shell", "arguments": '{"command": ["make"]}', "call_id": "c1"},
        {"type": "function_call_output", "call_id": "c1", "output": '{"output": "err", "metadata": {"exit_code": 2}}'},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "done"}]},
    ]
    path = write_jsonl(tmp_path / "t" / "rollout-2025-05-01-legacy.jsonl", recs)
    report = ingest(db, tmp_path / "ws", [path.parent], home=False)
    a = report.by_agent["codex"]
    assert (report.sessions, a.user_prompts, a.tool_calls, a.tool_errors) == (1, 1, 1, 1)
    assert SessionIndex(db).session("legacy-1")["cwd"] == "/w"


def test_gemini_document(db, tmp_path: Path) -> None:
    doc = gemini_doc(
        "gem-1",
        [
            {"id": "m1", "timestamp": "2026-06-05T04:59:42Z", "type": "user", "content": [{"text": "list files"}]},
            {
                "id": "m2",
                "timestamp": "2026-06-05T04:59:44Z",
                "type": "gemini",
                "content": "sure",
                "toolCalls": [
                    {
                        "id": "tc1",
                        "name": "run_shell_command",
                        "args": {"command": "ls"},
                        "status": "success",
                        "result": [
                            {
                                "functionResponse": {
                                    "id": "tc1",
                                    "name": "run_shell_command",
                                    "response": {"output": "a b"},
                                }
                            }
                        ],
                    },
                    {
                        "id": "tc2",
                        "name": "web_fetch",
                        "args": {"url": "https://x"},
                        "status": "error",
                        "result": [{"functionResponse": {"response": {"error": "404"}}}],
                    },
                    {"id": "tc3", "name": "write_file", "args": {"file_path": "a"}, "status": "cancelled"},
                ],
            },
            {"id": "m3", "type": "info", "content": "Request cancelled."},
        ],
    )
    path = tmp_path / "t" / "session-2026.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(doc))
    report = ingest(db, tmp_path / "ws", [path.parent], home=False)
    a = report.by_agent["gemini"]
    assert (report.sessions, a.user_prompts, a.tool_calls, a.tool_errors, a.rejections) == (1, 1, 3, 1, 1)
    ev = list(SessionIndex(db).iter_events("gem-1"))
    fetch = next(e for e in ev if e.kind == "tool_result" and e.tool_name == "web_fetch")
    assert fetch.trust == "external" and fetch.text == "404"
    # a rewritten document replaces the session's events (it is not appended to)
    doc["messages"].append({"id": "m4", "type": "user", "content": "thanks"})
    path.write_text(json.dumps(doc))
    report = ingest(db, tmp_path / "ws", [path.parent], home=False)
    assert report.by_agent["gemini"].user_prompts == 2
    assert SessionIndex(db).session("gem-1")["events"] == len(ev) + 1
