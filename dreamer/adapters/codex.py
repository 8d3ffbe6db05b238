"""OpenAI Codex CLI rollout JSONL → events.

Current files wrap each record in a ``{timestamp, type, payload}`` envelope
(session_meta, turn_context, response_item, event_msg, compacted); legacy files
have a bare meta object on line one and bare response items after it.

Codex writes most messages twice: a ``response_item`` message and an
``event_msg`` (user_message / agent_message) right next to it. In envelope
files the person's prompts are the ``user_message`` events; a ``response_item``
user message without that twin is injected context (environment, AGENTS.md),
stored as a system event. Adjacent twins are stored once.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from reverie.dreamer.adapters.common import (
    SYSTEM_LIMIT,
    TEXT_LIMIT,
    TOOL_RESULT_LIMIT,
    LineAdapter,
    make_event,
    text_of,
    tool_trust,
)
from reverie.store.models import Event

AGENT = "codex"

CONTEXT_PREFIXES = (
    "<environment_context>",
    "<user_instructions>",
    "# AGENTS.md instructions",
    "<permissions instructions>",
    "<INSTRUCTIONS>",
    "<user_shell_command>",
    "<turn_aborted>",
)
REJECTION_MARKERS = ("rejected by user", "declined by user", "aborted by user", "user denied", "denied by the user")
_EXIT = re.compile(r"(?:^|\n)\s*(?:Exit code|exit code|Process exited with code)[:\s]+(-?\d+)")
CWD_TAG = re.compile(r"<cwd>\s*(.*?)\s*</cwd>", re.S)
"""The working directory Codex states in its injected ``<environment_context>`` (discovery reads it too)."""
RESPONSE_ITEM_TYPES = frozenset(
    {
        "message",
        "function_call",
        "function_call_output",
        "custom_tool_call",
        "custom_tool_call_output",
        "reasoning",
        "web_search_call",
        "local_shell_call",
        "local_shell_call_output",
    }
)


def codex_trust(name: str) -> str:
    """MCP tools in Codex are named ``server__tool``; web search is external."""
    if "__" in name or name in ("web_search", "web_search_call"):
        return "external"
    return tool_trust(name)


def exit_status(output: Any) -> tuple[str, str]:
    """(status, text) of a function call's output: exit code ≠ 0 → error."""
    success: Any = None
    code: int | None = None
    text = output
    if isinstance(output, str) and output.startswith("{") and '"output"' in output[:200]:
        try:
            parsed = orjson.loads(output)
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict):
            output = parsed
    if isinstance(output, dict):
        meta = output.get("metadata")
        if isinstance(meta, dict) and isinstance(meta.get("exit_code"), int):
            code = meta["exit_code"]
        if isinstance(output.get("exit_code"), int):
            code = output["exit_code"]
        success = output.get("success")
        text = output.get("output", output.get("content", ""))
    text = text_of(text)
    if code is None:
        m = _EXIT.search(text[:300])
        if m:
            code = int(m.group(1))
    head = text[:300].lower()
    if any(marker in head for marker in REJECTION_MARKERS):
        return "rejected", text
    if (code is not None and code != 0) or success is False:
        return "error", text
    return "ok", text


def _args(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return {"input": raw}
        return parsed if isinstance(parsed, dict) else {"input": parsed}
    return {} if raw is None else {"input": raw}


def _summary(name: str, args: dict[str, Any]) -> str:
    cmd = args.get("cmd") or args.get("command")
    if isinstance(cmd, list):
        cmd = " ".join(str(c) for c in cmd)
    if isinstance(cmd, str) and cmd:
        return f"{name}: {cmd}"
    for key in ("path", "query", "input"):
        if isinstance(args.get(key), str):
            return f"{name}: {args[key][:400]}"
    return name


class CodexAdapter(LineAdapter):
    """Codex rollout records → events (see module doc)."""

    agent = AGENT

    def feed(self, record: Any, line: int) -> list[Event]:
        if not isinstance(record, dict):
            return []
        if "payload" in record and isinstance(record.get("type"), str):
            self.state["envelope"] = True
            payload = record.get("payload")
            if not isinstance(payload, dict):
                payload = {}
            return self._record(record["type"], payload, record.get("timestamp") or "", line)
        # legacy: meta object first, then bare response items
        if record.get("record_type") == "state":
            return []
        if record.get("type") in RESPONSE_ITEM_TYPES:
            return self._record("response_item", record, record.get("timestamp") or "", line)
        if "id" in record and "type" not in record:
            self.title = self.title or ""
            return []
        return []

    def finish(self) -> list[Event]:
        return []

    def take_held(self) -> list[Event]:
        pending = self.state.get("pending")
        if isinstance(pending, Event):
            del self.state["pending"]
            return [pending]
        return []

    # --- dispatch -------------------------------------------------------------

    def _record(self, rtype: str, payload: dict[str, Any], ts: str, line: int) -> list[Event]:
        ptype = payload.get("type") or ""
        if rtype == "event_msg" and ptype == "token_count":
            return []  # interleaves with twins; info may be null
        out: list[Event] = []
        prev = self.state.get("prev", "")
        pending = self.state.pop("pending", None)
        if rtype == "event_msg" and ptype == "user_message" and pending is not None:
            pending = None  # the response_item twin of this prompt: keep the prompt only
        if pending is not None:
            out.append(pending if isinstance(pending, Event) else Event(**pending))
        self.state["prev"] = ""
        common: dict[str, Any] = {"timestamp": ts, "line": line, "cwd": self.note_cwd(None)}

        if rtype == "session_meta":
            cwd = payload.get("cwd")
            if isinstance(cwd, str):
                self.note_cwd(cwd)
            return out
        if rtype == "turn_context":
            cwd = payload.get("cwd")
            if isinstance(cwd, str):
                self.note_cwd(cwd)
            return out
        if rtype == "compacted":
            text = text_of(payload.get("message")) or "compacted"
            out.append(make_event(self.info, "compaction", "tool", text, limit=TEXT_LIMIT, **common))
            return out
        if rtype == "event_msg":
            return out + self._event_msg(ptype, payload, prev, common)
        if rtype == "response_item":
            return out + self._item(ptype, payload, prev, common)
        return out

    def _event_msg(self, ptype: str, payload: dict[str, Any], prev: str, common: dict[str, Any]) -> list[Event]:
        if ptype == "user_message":
            self.state["prev"] = "user_message"
            text = text_of(payload.get("message"))
            if not text.strip():
                return []
            kind = "interruption" if text.lstrip().startswith("<turn_aborted>") else "user_prompt"
            return [make_event(self.info, kind, "user", text, limit=TEXT_LIMIT, **common)]
        if ptype == "agent_message":
            self.state["prev"] = "agent_message"
            if prev == "item_assistant":
                return []
            text = text_of(payload.get("message"))
            return [make_event(self.info, "assistant_text", "agent", text, limit=TEXT_LIMIT, **common)] if text else []
        if ptype == "turn_aborted":
            reason = payload.get("reason") or "interrupted"
            return [make_event(self.info, "interruption", "user", f"[turn aborted: {reason}]", **common)]
        if ptype in ("error", "stream_error"):
            text = text_of(payload.get("message")) or ptype
            return [make_event(self.info, "system", "tool", text, limit=SYSTEM_LIMIT, **common)]
        return []

    def _item(self, ptype: str, payload: dict[str, Any], prev: str, common: dict[str, Any]) -> list[Event]:
        if ptype == "message":
            role = payload.get("role")
            text = text_of(payload.get("content"))
            if role == "assistant":
                self.state["prev"] = "item_assistant"
                if prev == "agent_message" or not text.strip():
                    return []
                return [make_event(self.info, "assistant_text", "agent", text, limit=TEXT_LIMIT, **common)]
            if role == "user":
                self.state["prev"] = "item_user"
                m = CWD_TAG.search(text[:2000]) if "<cwd>" in text[:2000] else None
                if m:
                    self.note_cwd(m.group(1))
                if prev == "user_message" or not text.strip():
                    return []
                if self.state.get("envelope"):
                    # dropped if a user_message twin follows; still raw: see LineAdapter.take_held
                    self.state["pending"] = make_event(self.info, "system", "tool", text, limit=SYSTEM_LIMIT, **common)
                    return []
                if text.lstrip().startswith(CONTEXT_PREFIXES):
                    return [make_event(self.info, "system", "tool", text, limit=SYSTEM_LIMIT, **common)]
                return [make_event(self.info, "user_prompt", "user", text, limit=TEXT_LIMIT, **common)]
            return []  # developer/system instructions are not kept
        if ptype in ("function_call", "custom_tool_call", "local_shell_call"):
            name = str(payload.get("name") or ("shell" if ptype == "local_shell_call" else ""))
            call_id = str(payload.get("call_id") or payload.get("id") or "")
            raw = payload.get("arguments") if ptype == "function_call" else payload.get("input", payload.get("action"))
            args = _args(raw)
            tools = self.state.setdefault("tools", {})
            tools[call_id] = name
            if len(tools) > 4000:
                for old in list(tools)[:1000]:
                    del tools[old]
            return [
                make_event(
                    self.info,
                    "tool_call",
                    "agent",
                    _summary(name, args),
                    limit=TOOL_RESULT_LIMIT,
                    tool_name=name,
                    tool_use_id=call_id,
                    tool_input=args,
                    **common,
                )
            ]
        if ptype in ("function_call_output", "custom_tool_call_output", "local_shell_call_output"):
            call_id = str(payload.get("call_id") or "")
            name = self.state.get("tools", {}).pop(call_id, "")
            status, text = exit_status(payload.get("output"))
            return [
                make_event(
                    self.info,
                    "tool_result",
                    codex_trust(name),
                    text,
                    limit=TOOL_RESULT_LIMIT,
                    tool_name=name,
                    tool_use_id=call_id,
                    status=status,
                    **common,
                )
            ]
        if ptype == "web_search_call":
            action = payload.get("action") if isinstance(payload.get("action"), dict) else {}
            query = str(action.get("query") or "") if action else ""
            return [
                make_event(
                    self.info,
                    "tool_call",
                    "agent",
                    f"web_search: {query}".strip(": "),
                    tool_name="web_search",
                    tool_use_id=str(payload.get("id") or ""),
                    tool_input=dict(action or {}),
                    **common,
                )
            ]
        return []
