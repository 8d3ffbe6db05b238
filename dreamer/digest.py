"""Condensed, redacted session digests: what an LLM reads instead of a transcript.

Why: a transcript is mostly tool output the model does not need and may hold
secrets or untrusted instructions. A digest keeps the lines that carry lessons —
user prompts and corrections, rejected tool uses, interruptions, tool errors and
the key tool calls around them — each tagged with a short reference (``e<seq>``)
and its trust, so the model can cite exact events and we can map its citations
back to event uuids. It is bounded by a per-session token budget (≈ 4 chars a
token) and every line goes through `dreamer.redact` again here (defence in
depth: events are already redacted at ingest; there is no second rule set).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from reverie.dreamer.redact import redact
from reverie.store.models import Event

CHARS_PER_TOKEN = 4
DEFAULT_SESSION_TOKEN_BUDGET = 4000

# Per-line character caps, and the tier of each kind of line (0 = keep first).
_CAPS = {"user": 800, "rejected": 300, "error": 400, "interrupt": 80, "call": 200, "agent": 200}
_TIER = {"user": 0, "rejected": 0, "error": 0, "interrupt": 0, "call": 2, "agent": 3}
_READ_ONLY_TOOLS = {"Read", "Grep", "Glob", "LS", "TaskOutput", "TodoWrite", "TodoRead", "NotebookRead"}

# Claude Code wraps slash commands and local command output in user records;
# they are not things a person typed as feedback.
_META_PREFIXES = ("<command-", "<local-command", "Caveat: The messages below", "<system-reminder>")


def approx_tokens(text: str) -> int:
    """Cheap token estimate (len/4): good enough for budgets, no tokenizer download."""
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


# --- redaction (defence in depth) ------------------------------------------


def scrub(text: str) -> str:
    """`text` as a model may read it: through the one redactor (`dreamer.redact`), again."""
    return redact(text) if text else text


# --- digest -----------------------------------------------------------------


@dataclass(slots=True)
class DigestRef:
    """What a digest reference (``e12``) points at: enough to build Evidence."""

    ref: str
    event_uuid: str
    timestamp: str
    trust: str
    text: str
    """The redacted line text as the model saw it (for verifying quotes)."""


@dataclass(slots=True)
class Digest:
    session_id: str
    agent: str
    cwd: str
    text: str
    refs: dict[str, DigestRef] = field(default_factory=dict)
    events_read: int = 0
    lines_dropped: int = 0
    tokens: int = 0

    @property
    def empty(self) -> bool:
        """True when the session holds nothing a person said (nothing to learn)."""
        return not any(r.trust == "user" for r in self.refs.values())


@dataclass(slots=True)
class _Line:
    ref: str
    category: str
    label: str
    body: str
    event: Event
    count: int = 1

    def render(self, cap: int) -> str:
        body = self.body if len(self.body) <= cap else self.body[: max(cap - 1, 0)] + "…"
        times = f" (x{self.count})" if self.count > 1 else ""
        return f"[{self.ref} {self.label}]{times} {body}".rstrip()


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _call_summary(ev: Event) -> str:
    """The part of a tool call that says what it did: a command, a path, a query."""
    data = ev.tool_input or {}
    for key in ("command", "cmd", "file_path", "path", "notebook_path", "pattern", "url", "query", "prompt"):
        value = data.get(key)
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        if value:
            return f"{ev.tool_name or 'tool'}: {value}"
    name = ev.tool_name or "tool"
    if ev.text:
        return ev.text if ev.text.startswith(name) else f"{name}: {ev.text}"
    return name


def _classify(ev: Event) -> tuple[str, str, str] | None:
    """(category, label, body) for an event worth keeping, else None."""
    text = _one_line(ev.text)
    if ev.kind == "user_prompt":
        if not text or text.startswith(_META_PREFIXES):
            return None
        return "user", f"{ev.trust} says", text
    if ev.kind == "interruption":
        return "interrupt", "interrupted", text or "user interrupted the agent"
    if ev.kind == "tool_result":
        if ev.status == "rejected":
            return "rejected", "user rejected", f"{ev.tool_name or 'tool'} {text}".strip()
        if ev.status == "error":
            return "error", f"{ev.tool_name or 'tool'} error ({ev.trust})", text
        return None
    if ev.kind == "tool_call":
        return "call", "agent ran", _one_line(_call_summary(ev))
    if ev.kind == "assistant_text" and text:
        return "agent", "agent says", text
    return None


def build_digest(
    session_id: str,
    events: Iterable[Event],
    token_budget: int = DEFAULT_SESSION_TOKEN_BUDGET,
    agent: str = "",
    cwd: str = "",
) -> Digest:
    """A compact, redacted text of one session that fits `token_budget`.

    Keeps chronological order. When over budget it keeps what people said and
    what went wrong first, then the tool calls around those, then other calls,
    then agent prose (newest first), and says how many lines were omitted.
    """
    lines: list[_Line] = []
    n = 0
    for ev in events:
        n += 1
        if ev.is_sidechain:  # subagent traffic is external and not the user's words
            continue
        agent = agent or ev.agent
        cwd = cwd or ev.cwd
        found = _classify(ev)
        if found is None:
            continue
        category, label, body = found
        body = _one_line(scrub(body))
        if cwd and len(cwd) > 1:
            body = body.replace(cwd.rstrip("/") + "/", "")  # workspace-relative paths: fewer tokens
        if lines and lines[-1].category == category and lines[-1].body == body:
            lines[-1].count += 1  # the same error ten times is one line
            continue
        lines.append(_Line(f"e{ev.seq}", category, label, body, ev))

    header = f"session {session_id} ({agent or 'agent'})"
    budget_chars = max(token_budget, 50) * CHARS_PER_TOKEN - len(header) - 1
    kept, dropped, caps = _fit(lines, budget_chars)
    rendered = [ln.render(caps[ln.category]) for ln in kept]
    if dropped:
        rendered.insert(0, f"[... {dropped} less important lines omitted to fit the budget]")
    text = "\n".join([header, *rendered])
    refs = {
        ln.ref: DigestRef(
            ref=ln.ref,
            event_uuid=ln.event.uuid or ln.event.tool_use_id,
            timestamp=ln.event.timestamp,
            trust=ln.event.trust,
            text=ln.body,
        )
        for ln in kept
    }
    return Digest(
        session_id=session_id,
        agent=agent,
        cwd=cwd,
        text=text,
        refs=refs,
        events_read=n,
        lines_dropped=dropped,
        tokens=approx_tokens(text),
    )


def _size(lines: list[_Line], caps: dict[str, int]) -> int:
    return sum(len(ln.render(caps[ln.category])) + 1 for ln in lines)


def _tiers(lines: list[_Line]) -> list[int]:
    """0 = what a person said or what went wrong; 1 = the calls right around those;
    2 = other tool calls; 3 = the agent's own prose."""
    tiers = [_TIER[ln.category] for ln in lines]
    for i, ln in enumerate(lines):
        if ln.category == "call" and ln.event.tool_name in _READ_ONLY_TOOLS:
            tiers[i] = 3  # looking around says little about what to learn
    for i, ln in enumerate(lines):
        if ln.category != "call":
            continue
        before = lines[i - 1].category if i > 0 else ""
        after = lines[i + 1].category if i + 1 < len(lines) else ""
        if after in ("error", "rejected", "interrupt", "user") or before in ("error", "rejected"):
            tiers[i] = 1  # the failing call, the rejected call, the fix after an error
    return tiers


_MARKER = 60  # room kept for the "lines omitted" marker


def _fit(lines: list[_Line], budget: int) -> tuple[list[_Line], int, dict[str, int]]:
    """Choose and shorten lines so the rendering fits `budget` characters.

    Everything fits: keep it all. Otherwise keep tier 0 (shortened if needed,
    newest first if even that is too long), then fill what room is left with
    tiers 1, 2, 3, newest lines first within a tier.
    """
    caps = dict(_CAPS)
    if _size(lines, caps) <= budget:
        return list(lines), 0, caps
    tiers = _tiers(lines)
    room = budget - _MARKER
    must = [i for i, t in enumerate(tiers) if t == 0]
    for factor in (1.0, 0.5, 0.25):
        caps = {k: max(int(v * factor), 60) for k, v in _CAPS.items()}
        must_size = sum(len(lines[i].render(caps[lines[i].category])) + 1 for i in must)
        if must_size <= room:
            break
    chosen: set[int] = set()
    for tier in range(4):
        members = must if tier == 0 else [i for i, t in enumerate(tiers) if t == tier]
        for i in reversed(members):  # newest first: the latest lessons win
            size = len(lines[i].render(caps[lines[i].category])) + 1
            if size <= room:
                chosen.add(i)
                room -= size
            elif tier == 0:
                room = -1  # keep tier 0 contiguous: stop at the first one that no longer fits
                break
        if room <= 0:
            break
    kept = [ln for i, ln in enumerate(lines) if i in chosen]
    return kept, len(lines) - len(kept), caps
