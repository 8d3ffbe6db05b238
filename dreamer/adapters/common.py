"""What every transcript adapter shares: file identity, limits, text helpers, trust.

An adapter turns parsed records of one file into `store.models.Event`s (seq left
at 0: the ingest assigns sequence numbers per session). Line-based adapters are
fed one record at a time and keep a small JSON-serialisable `state`, so an
appended file can be read from its last offset without re-reading the head.
Every text and tool input an adapter emits is redacted here, before it leaves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dreamer.redact import clip_redacted, redact, redact_obj
from store.models import Event

TOOL_RESULT_LIMIT = 4000
"""Characters kept of a tool result (head + tail): the store must stay small."""
TEXT_LIMIT = 16000
"""Characters kept of a prompt or an assistant message."""
SYSTEM_LIMIT = 2000
INPUT_VALUE_LIMIT = 8000
"""Characters kept of each string value inside a tool call's input."""
MAX_LINE_BYTES = 64 * 1024 * 1024
"""A JSONL line longer than this is skipped as malformed without being parsed."""
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
"""A whole-document transcript (Gemini) larger than this is skipped with a log line."""

EXTERNAL_TOOLS = frozenset({
    "WebFetch", "WebSearch", "Task", "Agent", "web_fetch", "google_web_search", "web_search",
    "web_search_call", "fetch",
})
"""Tools whose output comes from outside the machine or from another principal."""

IMAGE_PLACEHOLDER = "[image]"


@dataclass(slots=True)
class FileInfo:
    """What discovery learned about a transcript file before reading it."""

    path: str
    agent: str
    session_id: str
    is_sidechain: bool = False
    cwd: str = ""


def tool_trust(tool_name: str, sidechain: bool = False) -> str:
    """Trust of a tool's output: external for web/MCP/subagent tools, else tool."""
    if sidechain:
        return "external"
    if tool_name in EXTERNAL_TOOLS or tool_name.startswith("mcp__") or tool_name.startswith("mcp_"):
        return "external"
    return "tool"


def text_of(content: Any) -> str:
    """Readable text of a message content: a string, or a list of blocks/strings."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        kind = content.get("type")
        if kind in ("image", "input_image", "image_url") or "source" in content and kind != "text":
            return IMAGE_PLACEHOLDER
        for key in ("text", "content", "output", "stdout", "message"):
            value = content.get(key)
            if isinstance(value, (str, list, dict)):
                return text_of(value)
        return ""
    if isinstance(content, list):
        parts = [text_of(c) for c in content]
        return "\n".join(p for p in parts if p)
    return str(content)


def make_event(
    info: FileInfo,
    kind: str,
    trust: str,
    text: str = "",
    *,
    limit: int = TEXT_LIMIT,
    uuid: str = "",
    parent_uuid: str = "",
    timestamp: str = "",
    tool_name: str = "",
    tool_use_id: str = "",
    tool_input: Any = None,
    status: str = "",
    is_sidechain: bool | None = None,
    cwd: str = "",
    line: int = 0,
) -> Event:
    """An Event with its text and tool input redacted and clipped."""
    side = info.is_sidechain if is_sidechain is None else is_sidechain
    if tool_input is not None and not isinstance(tool_input, dict):
        tool_input = {"input": tool_input}
    return Event(
        session_id=info.session_id,
        seq=0,
        kind=kind,
        trust="external" if side else trust,
        text=clip_redacted(text, limit) if text else "",
        uuid=str(uuid or ""),
        parent_uuid=str(parent_uuid or ""),
        timestamp=str(timestamp or ""),
        agent=info.agent,
        tool_name=redact(str(tool_name or "")),
        tool_use_id=str(tool_use_id or ""),
        tool_input=redact_obj(tool_input, INPUT_VALUE_LIMIT) if tool_input is not None else None,
        status=status,
        is_sidechain=side,
        cwd=redact(cwd) if cwd else "",
        source_line=line,
    )


class LineAdapter:
    """Base of the JSONL adapters: fed one parsed record at a time, keeps `state`."""

    agent = ""

    def __init__(self, info: FileInfo, state: dict[str, Any] | None = None) -> None:
        self.info = info
        self.state: dict[str, Any] = dict(state or {})
        self.title = ""
        self.cwd = ""

    def feed(self, record: Any, line: int) -> list[Event]:  # pragma: no cover - abstract
        raise NotImplementedError

    def finish(self) -> list[Event]:
        """Events held back waiting for a twin record (flushed at the end of a read)."""
        return []

    def note_cwd(self, cwd: Any) -> str:
        """The record's cwd, or the last one seen (ingest stores it sparsely per session)."""
        if isinstance(cwd, str) and cwd:
            self.state["cwd"] = cwd
            self.cwd = cwd
            return cwd
        return str(self.state.get("cwd") or "")
