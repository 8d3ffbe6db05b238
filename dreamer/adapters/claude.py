"""Claude Code session JSONL → events.

One record per line: ``user`` / ``assistant`` / ``system`` messages plus
bookkeeping records (summary, progress, file-history-snapshot, …). A ``user``
record is only a person's prompt when it is not a tool result, a meta record,
a compact summary, command output or IDE context. Subagent content (inline
``isSidechain`` records, or whole ``agent-*.jsonl`` files) is external trust.
One API response may be split over several records sharing ``message.id``;
each content block is stored once.

Messages a person types while the agent works are queued (``queue-operation``
records): a ``dequeue`` is followed by the message as an ordinary ``user``
record, but a ``remove`` means the agent was handed it mid-turn and no
``user`` record follows — that message becomes a person's turn here, where it
was delivered. The queue is held only while one read lasts (never stored in
`state`: it is raw text); a message still queued when a read ends was not
delivered yet.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import msgspec
import orjson

from reverie.dreamer.adapters.common import (
    IMAGE_PLACEHOLDER,
    SYSTEM_LIMIT,
    TEXT_LIMIT,
    TOOL_RESULT_LIMIT,
    FileInfo,
    LineAdapter,
    make_event,
    text_of,
    tool_trust,
)
from reverie.store.models import Event

AGENT = "claude"

REJECTION_MARKERS = (
    "The user doesn't want to proceed with this tool use",
    "The user doesn't want to take this action right now",
)
INTERRUPT_PREFIX = "[Request interrupted by user"
SYSTEM_TEXT_PREFIXES = (
    "<local-command-stdout>",
    "<local-command-stderr>",
    "<bash-stdout>",
    "<bash-stderr>",
    "<task-notification>",
    "<local-command-caveat>",
    "Caveat: The messages below",
    "<system-reminder>",
)
CONTEXT_BLOCK_PREFIXES = ("<ide_opened_file>", "<ide_selection>", "<ide_diagnostics>", "<system-reminder>")
SKIPPED_TYPES = frozenset(
    {
        "progress",
        "file-history-snapshot",
        "queue-operation",
        "attachment",
        "permission-mode",
        "last-prompt",
        "custom-title",
        "tag",
        "agent-name",
    }
)
_COMMAND = re.compile(r"<command-name>\s*(.*?)\s*</command-name>", re.S)
_ARGS = re.compile(r"<command-args>\s*(.*?)\s*</command-args>", re.S)
_BASH_INPUT = re.compile(r"<bash-input>\s*(.*?)\s*</bash-input>", re.S)
_MAX_PENDING_TOOLS = 4000
_MAX_QUEUED = 200


def classify_user_text(text: str) -> tuple[str, str]:
    """(kind, text) of what a person's turn carried: prompt, interruption or system output."""
    stripped = text.lstrip()
    if stripped.startswith(INTERRUPT_PREFIX):
        return "interruption", stripped
    if stripped.startswith(SYSTEM_TEXT_PREFIXES):
        return "system", text
    if "<command-name>" in stripped[:400]:
        m = _COMMAND.search(stripped)
        name = m.group(1) if m else ""
        if name and not name.startswith("/"):
            name = "/" + name
        a = _ARGS.search(stripped)
        args = a.group(1) if a else ""
        return "user_prompt", f"{name} {args}".strip()
    if stripped.startswith("<bash-input>"):
        m = _BASH_INPUT.search(stripped)
        return "user_prompt", "!" + (m.group(1) if m else stripped)
    return "user_prompt", text


class Record(msgspec.Struct):
    """The fields of a Claude Code record the adapter reads; msgspec skips the rest unparsed.

    Progress and snapshot payloads, `toolUseResult` (kept raw, decoded only when a
    tool result block has no text) and message metadata are most of the bytes.
    """

    type: Any = None
    operation: Any = None
    sessionId: Any = None
    uuid: Any = None
    parentUuid: Any = None
    logicalParentUuid: Any = None
    timestamp: Any = None
    isSidechain: Any = None
    cwd: Any = None
    subtype: Any = None
    content: Any = None
    compactMetadata: Any = None
    microcompactMetadata: Any = None
    message: Any = None
    isApiErrorMessage: Any = None
    isCompactSummary: Any = None
    isMeta: Any = None
    summary: Any = None
    toolUseResult: msgspec.Raw = msgspec.Raw()


_DECODER = msgspec.json.Decoder(Record)


def decode_line(body: bytes) -> Record:
    """One JSONL line as a `Record`; raises msgspec.DecodeError when it is not one JSON object."""
    return _DECODER.decode(body)


def as_record(value: Any) -> Record | None:
    """A `Record` from an already parsed value (lines the fast decoder could not read)."""
    if not isinstance(value, dict):
        return None
    try:
        return _DECODER.decode(orjson.dumps(value))
    except (msgspec.DecodeError, orjson.JSONEncodeError, TypeError):
        return None


def _block_key(block: Any) -> str:
    return hashlib.blake2b(orjson.dumps(block, option=orjson.OPT_SORT_KEYS), digest_size=8).hexdigest()


class ClaudeAdapter(LineAdapter):
    """Claude Code JSONL records → events (see module doc)."""

    agent = AGENT

    def __init__(self, info: FileInfo, state: dict[str, Any] | None = None) -> None:
        super().__init__(info, state)
        self._queued: list[tuple[str, str]] = []
        """(enqueued at, text) of messages typed while the agent worked, not yet delivered."""

    def feed(self, record: Any, line: int) -> list[Event]:
        if not isinstance(record, Record):
            record = as_record(record)
            if record is None:
                return []
        rtype = record.type
        if rtype == "queue-operation":
            return self._queue(record, line)
        if rtype is None or not isinstance(rtype, str) or rtype in SKIPPED_TYPES:
            return []
        if rtype == "summary":
            summary = record.summary
            if isinstance(summary, str) and summary and not self.title:
                self.title = summary
            return []
        cwd = self.note_cwd(record.cwd)
        common = {
            "uuid": record.uuid or "",
            "parent_uuid": record.parentUuid or record.logicalParentUuid or "",
            "timestamp": record.timestamp or "",
            "is_sidechain": bool(record.isSidechain) or self.info.is_sidechain,
            "cwd": cwd,
            "line": line,
        }
        if rtype == "user":
            return self._user(record, common)
        if rtype == "assistant":
            return self._assistant(record, common)
        if rtype == "system":
            return self._system(record, common)
        return []

    # --- record kinds ---------------------------------------------------------

    def _queue(self, record: Record, line: int) -> list[Event]:
        """A queued message handed to the agent mid-turn (``remove``) is a person's turn (see module doc)."""
        op, content = record.operation, record.content
        if op == "enqueue":
            if isinstance(content, str) and content.strip() and len(self._queued) < _MAX_QUEUED:
                self._queued.append((str(record.timestamp or ""), content))
            return []
        if op == "dequeue":
            if self._queued:
                self._queued.pop(0)  # delivered as the next `user` record
            return []
        if op in ("popAll", "clear"):
            self._queued.clear()
            return []
        if op != "remove" or not self._queued:
            return []
        at = 0
        if isinstance(content, str) and content.strip():
            at = next((i for i, (_, text) in enumerate(self._queued) if text == content), 0)
        queued_at, text = self._queued.pop(at)
        kind, text = classify_user_text(text)
        if kind != "user_prompt" or text.lstrip().startswith(("{", "<")):
            return []  # a task notification or an injected event, not typed
        when = str(record.timestamp or queued_at)
        key = f"{record.sessionId or self.info.session_id}|{queued_at}|{text}"
        uid = "queued-" + hashlib.blake2b(key.encode("utf-8", "replace"), digest_size=12).hexdigest()
        cwd = self.note_cwd(None)
        return [
            make_event(
                self.info, "user_prompt", "user", text, limit=TEXT_LIMIT, uuid=uid, timestamp=when, cwd=cwd, line=line
            )
        ]

    def _system(self, record: Record, common: dict[str, Any]) -> list[Event]:
        subtype = record.subtype or ""
        content = record.content
        if subtype in ("compact_boundary", "microcompact_boundary"):
            meta = record.compactMetadata or record.microcompactMetadata or {}
            trigger = meta.get("trigger", "") if isinstance(meta, dict) else ""
            text = f"{subtype}{': ' + trigger if trigger else ''}"
            return [make_event(self.info, "compaction", "tool", text, limit=SYSTEM_LIMIT, **common)]
        text = text_of(content)
        if not text:
            return []
        return [make_event(self.info, "system", "tool", text, limit=SYSTEM_LIMIT, **common)]

    def _assistant(self, record: Record, common: dict[str, Any]) -> list[Event]:
        message = record.message
        if not isinstance(message, dict):
            return []
        content = message.get("content")
        if record.isApiErrorMessage:
            return [make_event(self.info, "system", "tool", text_of(content), limit=SYSTEM_LIMIT, **common)]
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        if not isinstance(content, list):
            return []
        msg_id = message.get("id") or ""
        if msg_id and msg_id != self.state.get("msg"):
            self.state["msg"] = msg_id
            self.state["blocks"] = []
        seen: list[str] = self.state.setdefault("blocks", []) if msg_id else []
        events: list[Event] = []
        for block in content:
            if not isinstance(block, dict):
                continue
            if msg_id:
                key = _block_key(block)
                if key in seen:  # the same block written twice for one API response
                    continue
                seen.append(key)
            btype = block.get("type")
            if btype == "text":
                text = block.get("text") or ""
                if text.strip():
                    events.append(make_event(self.info, "assistant_text", "agent", text, limit=TEXT_LIMIT, **common))
            elif btype in ("tool_use", "server_tool_use"):
                name = str(block.get("name") or "")
                tid = str(block.get("id") or "")
                tools = self.state.setdefault("tools", {})
                tools[tid] = name
                if len(tools) > _MAX_PENDING_TOOLS:
                    for old in list(tools)[: len(tools) - _MAX_PENDING_TOOLS]:
                        del tools[old]
                tinput = block.get("input")
                events.append(
                    make_event(
                        self.info,
                        "tool_call",
                        "agent",
                        _call_summary(name, tinput),
                        limit=TOOL_RESULT_LIMIT,
                        tool_name=name,
                        tool_use_id=tid,
                        tool_input=tinput if tinput is not None else {},
                        **common,
                    )
                )
            elif btype == "web_search_tool_result":
                events.append(
                    make_event(
                        self.info,
                        "tool_result",
                        "external",
                        text_of(block.get("content")),
                        limit=TOOL_RESULT_LIMIT,
                        tool_name="WebSearch",
                        tool_use_id=str(block.get("tool_use_id") or ""),
                        status="ok",
                        **common,
                    )
                )
            # thinking / redacted_thinking blocks are not kept
        return events

    def _user(self, record: Record, common: dict[str, Any]) -> list[Event]:
        message = record.message
        if not isinstance(message, dict):
            return []
        content = message.get("content")
        if record.isCompactSummary:
            return [make_event(self.info, "compaction", "tool", text_of(content), limit=TEXT_LIMIT, **common)]
        meta = bool(record.isMeta)
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if not isinstance(blocks, list):
            return []
        events: list[Event] = []
        texts: list[str] = []
        for block in blocks:
            if isinstance(block, str):
                block = {"type": "text", "text": block}
            if not isinstance(block, dict):
                continue
            btype = block.get("type")
            if btype == "tool_result":
                events.append(self._tool_result(block, record, common))
            elif btype == "text":
                text = block.get("text") or ""
                if isinstance(content, list) and text.lstrip().startswith(CONTEXT_BLOCK_PREFIXES):
                    continue  # IDE context attached to a prompt, not typed
                texts.append(text)
            elif btype in ("image", "document"):
                texts.append(IMAGE_PLACEHOLDER)
        text = "\n".join(t for t in texts if t)
        if text.strip():
            if meta:
                events.append(make_event(self.info, "system", "tool", text, limit=SYSTEM_LIMIT, **common))
            else:
                kind, text = classify_user_text(text)
                if kind == "user_prompt":
                    events.append(make_event(self.info, "user_prompt", "user", text, limit=TEXT_LIMIT, **common))
                elif kind == "interruption":
                    events.append(make_event(self.info, "interruption", "user", text, limit=SYSTEM_LIMIT, **common))
                else:
                    events.append(make_event(self.info, "system", "tool", text, limit=SYSTEM_LIMIT, **common))
        return events

    def _tool_result(self, block: dict[str, Any], record: Record, common: dict[str, Any]) -> Event:
        tid = str(block.get("tool_use_id") or "")
        name = self.state.get("tools", {}).pop(tid, "")
        text = text_of(block.get("content"))
        if not text:
            text = _tool_use_result_text(_raw_value(record.toolUseResult))
        head = text[:400]
        if any(m in head for m in REJECTION_MARKERS):
            status = "rejected"
        elif block.get("is_error"):
            status = "error"
        else:
            status = "ok"
        trust = tool_trust(name, bool(common["is_sidechain"]))
        return make_event(
            self.info,
            "tool_result",
            trust,
            text,
            limit=TOOL_RESULT_LIMIT,
            tool_name=name,
            tool_use_id=tid,
            status=status,
            **common,
        )


def _raw_value(raw: msgspec.Raw) -> Any:
    """A lazily kept JSON value, decoded now (None when absent or unreadable)."""
    if not raw:
        return None
    try:
        return msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None


def _tool_use_result_text(result: Any) -> str:
    """Text of a record's ``toolUseResult`` (dict, string or list) when the block had none."""
    if isinstance(result, dict):
        parts = [result.get(k) for k in ("stdout", "stderr", "content", "result", "output")]
        return "\n".join(text_of(p) for p in parts if p)
    return text_of(result)


def _call_summary(name: str, tool_input: Any) -> str:
    """A one-line readable form of a tool call for the event text."""
    if not isinstance(tool_input, dict):
        return name
    for key in ("command", "file_path", "path", "pattern", "url", "query", "description", "prompt"):
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            return f"{name}: {value}"
    return name
