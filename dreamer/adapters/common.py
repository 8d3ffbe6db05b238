"""What every transcript adapter shares: file identity, limits, text helpers, trust.

An adapter turns parsed records of one file into `store.models.Event`s (seq left
at 0: the ingest assigns sequence numbers per session). Line-based adapters are
fed one record at a time and keep a small JSON-serialisable `state`, so an
appended file can be read from its last offset without re-reading the head.
Every text and tool input an adapter emits is redacted before it is stored:
`make_event` keeps the raw text (already cut to the head/tail windows that will
be redacted, `dreamer.redact.Clipped`) and `redact_events` finds the
credentials of a whole batch of events with one secret scan
(`dreamer.redact.scan_many`) — per-string scanning was most of the cost of
ingest — then keeps each window's characters by original position, so a cut
never separates a credential from the context that identifies it. An event
must pass `redact_events` before anything reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from reverie.dreamer.redact import CLIP_MARGIN, Clipped, Span, apply_spans, clip, scan_many
from reverie.store.models import Event

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

EXTERNAL_TOOLS = frozenset(
    {
        "WebFetch",
        "WebSearch",
        "Task",
        "Agent",
        "web_fetch",
        "google_web_search",
        "web_search",
        "web_search_call",
        "fetch",
    }
)
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
        if kind in ("image", "input_image", "image_url") or ("source" in content and kind != "text"):
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


_INPUT_WHOLE = INPUT_VALUE_LIMIT + 2 * CLIP_MARGIN
"""A tool input string up to this long is redacted whole, then clipped (as `clip_redacted` does)."""


def _window(obj: Any) -> Any:
    """A copy of a tool input whose too long strings are `Clipped`s; the rest stays raw until redaction."""
    if isinstance(obj, str):
        return obj if len(obj) <= _INPUT_WHOLE else Clipped(obj, INPUT_VALUE_LIMIT)
    if isinstance(obj, dict):
        return {k: _window(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_window(v) for v in obj]
    return obj


def _collect(obj: Any, out: list[str]) -> None:
    if isinstance(obj, str):
        out.append(obj)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(k, str):
                out.append(k)
            _collect(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _collect(v, out)
    elif isinstance(obj, Clipped):
        out.extend(obj.parts)


def _rebuild(obj: Any, done: Iterator[list[Span]]) -> Any:
    if isinstance(obj, str):
        text = apply_spans(obj, next(done))
        return text if len(text) <= INPUT_VALUE_LIMIT else clip(text, INPUT_VALUE_LIMIT)
    if isinstance(obj, dict):
        return {(apply_spans(k, next(done)) if isinstance(k, str) else k): _rebuild(v, done) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rebuild(v, done) for v in obj]
    if isinstance(obj, Clipped):
        return obj.finish([next(done) for _ in obj.parts])
    return obj


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
    """An Event whose text and tool input will be clipped and redacted by `redact_events`."""
    side = info.is_sidechain if is_sidechain is None else is_sidechain
    if tool_input is not None and not isinstance(tool_input, dict):
        tool_input = {"input": tool_input}
    return Event(
        session_id=info.session_id,
        seq=0,
        kind=kind,
        trust="external" if side else trust,
        text=Clipped(text, limit) if text else "",  # type: ignore[arg-type]  # redact_events swaps in the str
        uuid=str(uuid or ""),
        parent_uuid=str(parent_uuid or ""),
        timestamp=str(timestamp or ""),
        agent=info.agent,
        tool_name=str(tool_name or ""),
        tool_use_id=str(tool_use_id or ""),
        tool_input=_window(tool_input) if tool_input is not None else None,
        status=status,
        is_sidechain=side,
        cwd=cwd or "",
        source_line=line,
    )


def redact_events(events: list[Event]) -> list[Event]:
    """Clip and redact, in place, the text, tool name, cwd and tool input of events from `make_event`.

    All strings of the batch go through one `scan_many` call. Same values as
    redacting each string on its own (`clip_redacted`, `redact`, `redact_obj`).
    """
    strings: list[str] = []
    for e in events:
        text: Any = e.text
        if isinstance(text, Clipped):
            strings.extend(text.parts)
        strings.append(e.tool_name)
        strings.append(e.cwd)
        if e.tool_input is not None:
            _collect(e.tool_input, strings)
    done = iter(scan_many(strings))
    for e in events:
        text = e.text
        if isinstance(text, Clipped):
            e.text = text.finish([next(done) for _ in text.parts])
        e.tool_name = apply_spans(e.tool_name, next(done))
        e.cwd = apply_spans(e.cwd, next(done))
        if e.tool_input is not None:
            e.tool_input = _rebuild(e.tool_input, done)
    return events


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

    def take_held(self) -> list[Event]:
        """Unredacted events (from `make_event`) the adapter holds back in `state` past the end of a read.

        The caller redacts them (`seal_held`) before the state is stored: held events are
        redacted with the file's last batch instead of one secret scan each as they arise.
        """
        return []

    def note_cwd(self, cwd: Any) -> str:
        """The record's cwd, or the last one seen (ingest stores it sparsely per session)."""
        if isinstance(cwd, str) and cwd:
            self.state["cwd"] = cwd
            self.cwd = cwd
            return cwd
        return str(self.state.get("cwd") or "")


def seal_held(state: dict[str, Any], held: list[Event]) -> None:
    """Redact the event an adapter held back (`LineAdapter.take_held`) into its `state` as ``pending``."""
    if held:
        redact_events(held)
        state["pending"] = asdict(held[-1])
