"""Gemini CLI session JSON → events.

A Gemini session is one JSON document (``~/.gemini/tmp/<project>/chats/session-*.json``):
``{sessionId, projectHash, startTime, messages: [{type: user|gemini|info|error,
content, toolCalls: [{id, name, args, result, status}]}]}``. It is rewritten
whole as the session grows, so it is parsed whole (it is small). Older
checkpoint files are a list of ``{role: user|model, parts: [...]}``; both work.
"""

from __future__ import annotations

from typing import Any

from reverie.dreamer.adapters.common import (
    SYSTEM_LIMIT,
    TEXT_LIMIT,
    TOOL_RESULT_LIMIT,
    FileInfo,
    make_event,
    text_of,
    tool_trust,
)
from reverie.store.models import Event

AGENT = "gemini"


def looks_like_gemini(doc: Any) -> bool:
    """Whether a parsed JSON document has the shape of a Gemini CLI session."""
    if isinstance(doc, dict):
        msgs = doc.get("messages")
        return isinstance(msgs, list) and ("sessionId" in doc or "projectHash" in doc or "startTime" in doc)
    if isinstance(doc, list) and doc:
        first = doc[0]
        return isinstance(first, dict) and first.get("role") in ("user", "model") and "parts" in first
    return False


def session_id_of(doc: Any) -> str:
    return str(doc.get("sessionId") or "") if isinstance(doc, dict) else ""


def _result_text(result: Any) -> str:
    """Text of a tool call's ``result`` (list of functionResponse parts, or a string)."""
    if isinstance(result, list):
        parts = []
        for part in result:
            if isinstance(part, dict) and isinstance(part.get("functionResponse"), dict):
                resp = part["functionResponse"].get("response")
                if isinstance(resp, dict):
                    parts.append(text_of(resp.get("output", resp.get("error", resp.get("content", "")))))
                else:
                    parts.append(text_of(resp))
            else:
                parts.append(text_of(part))
        return "\n".join(p for p in parts if p)
    return text_of(result)


def parse_document(doc: Any, info: FileInfo) -> list[Event]:
    """Every event of a Gemini session document."""
    if isinstance(doc, list):
        return _parse_checkpoint(doc, info)
    if not isinstance(doc, dict):
        return []
    events: list[Event] = []
    for i, msg in enumerate(doc.get("messages") or []):
        if not isinstance(msg, dict):
            continue
        mtype = msg.get("type")
        common: dict[str, Any] = {
            "uuid": str(msg.get("id") or ""),
            "timestamp": str(msg.get("timestamp") or ""),
            "line": i + 1,
        }
        text = text_of(msg.get("content"))
        if mtype == "user":
            if text.strip():
                kind = "interruption" if text.lstrip().startswith("[Request interrupted") else "user_prompt"
                events.append(make_event(info, kind, "user", text, limit=TEXT_LIMIT, **common))
        elif mtype in ("gemini", "model", "assistant"):
            if text.strip():
                events.append(make_event(info, "assistant_text", "agent", text, limit=TEXT_LIMIT, **common))
            for call in msg.get("toolCalls") or []:
                if isinstance(call, dict):
                    events.extend(_tool_call(call, info, common))
        elif text.strip():  # info / error / warning notices
            events.append(make_event(info, "system", "tool", text, limit=SYSTEM_LIMIT, **common))
    return events


def _tool_call(call: dict[str, Any], info: FileInfo, common: dict[str, Any]) -> list[Event]:
    name = str(call.get("name") or "")
    cid = str(call.get("id") or "")
    raw_args = call.get("args")
    args: dict[str, Any] = raw_args if isinstance(raw_args, dict) else {"input": raw_args}
    summary = name
    for key in ("command", "file_path", "absolute_path", "path", "url", "query", "pattern"):
        if isinstance(args.get(key), str):
            summary = f"{name}: {args[key]}"
            break
    out = [
        make_event(
            info,
            "tool_call",
            "agent",
            summary,
            limit=TOOL_RESULT_LIMIT,
            tool_name=name,
            tool_use_id=cid,
            tool_input=args,
            **common,
        )
    ]
    raw_status = str(call.get("status") or "")
    if "result" in call or raw_status:
        text = _result_text(call.get("result")) or text_of(call.get("resultDisplay"))
        status = {"success": "ok", "error": "error", "cancelled": "rejected", "canceled": "rejected"}.get(
            raw_status, "ok"
        )
        trust = "external" if name.startswith("mcp") or "__" in name else tool_trust(name)
        out.append(
            make_event(
                info,
                "tool_result",
                trust,
                text,
                limit=TOOL_RESULT_LIMIT,
                tool_name=name,
                tool_use_id=cid,
                status=status,
                **common,
            )
        )
    return out


def _parse_checkpoint(doc: list[Any], info: FileInfo) -> list[Event]:
    events: list[Event] = []
    names: dict[str, str] = {}
    for i, msg in enumerate(doc):
        if not isinstance(msg, dict):
            continue
        role = msg.get("role")
        common: dict[str, Any] = {"line": i + 1}
        for part in msg.get("parts") or []:
            if not isinstance(part, dict):
                continue
            if isinstance(part.get("text"), str) and part["text"].strip():
                if role == "user":
                    events.append(make_event(info, "user_prompt", "user", part["text"], **common))
                else:
                    events.append(make_event(info, "assistant_text", "agent", part["text"], **common))
            elif isinstance(part.get("functionCall"), dict):
                fc = part["functionCall"]
                name = str(fc.get("name") or "")
                cid = str(fc.get("id") or "")
                names[cid] = name
                args = fc.get("args") if isinstance(fc.get("args"), dict) else {}
                events.append(
                    make_event(
                        info, "tool_call", "agent", name, tool_name=name, tool_use_id=cid, tool_input=args, **common
                    )
                )
            elif isinstance(part.get("functionResponse"), dict):
                fr = part["functionResponse"]
                cid = str(fr.get("id") or "")
                name = str(fr.get("name") or names.get(cid, ""))
                resp = fr.get("response")
                is_err = isinstance(resp, dict) and "error" in resp
                text = text_of(resp.get("output", resp.get("error", "")) if isinstance(resp, dict) else resp)
                events.append(
                    make_event(
                        info,
                        "tool_result",
                        tool_trust(name),
                        text,
                        limit=TOOL_RESULT_LIMIT,
                        tool_name=name,
                        tool_use_id=cid,
                        status="error" if is_err else "ok",
                        **common,
                    )
                )
    return events
