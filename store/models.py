"""The domain model shared by every layer, runnable without a UI.

Plain dataclasses and constants only: the vocabulary of DESIGN §2. The store
persists them, the dreamer produces them, the console shows them. Nothing here
touches the disk, the database or the terminal.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypeVar, get_args

# --- vocabulary -------------------------------------------------------------
# Each vocabulary is a Literal type (for annotations) and the tuple of its
# values, derived with get_args so the two never drift apart.

Kind = Literal["memory", "instinct", "rule", "hook", "command", "skill", "subagent"]
KINDS: tuple[Kind, ...] = get_args(Kind)
"""Artifact kinds, weakest first (DESIGN §2)."""

Scope = Literal["path", "project", "team", "global"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
"""Scopes, narrowest first. Widening scope is a promotion."""

Action = Literal["add", "update", "merge", "retire", "promote", "demote", "evolve"]
ACTIONS: tuple[Action, ...] = get_args(Action)

Status = Literal["pending", "approved", "rejected", "applied"]
STATUSES: tuple[Status, ...] = get_args(Status)
"""A proposal's review status (an observed write superseded by a newer one is ``superseded`` in the view)."""

CandidateStatus = Literal["open", "applied", "discarded"]
CANDIDATE_STATUSES: tuple[CandidateStatus, ...] = get_args(CandidateStatus)

CandidateSource = Literal["dream", "observed"]
CANDIDATE_SOURCES: tuple[CandidateSource, ...] = get_args(CandidateSource)
"""Where a candidate's proposals came from: a dream (the engine proposed them) or
observed writes (changes to the agent's memory/instruction files Reverie did not make)."""

Writer = Literal["agent", "person"]
WRITERS: tuple[Writer, ...] = get_args(Writer)
"""Who made an observed write: an agent (a transcript shows the tool call) or, when it
cannot be attributed, a person."""

Severity = Literal["info", "warn", "block"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)

LabelName = Literal[
    "false_persistence",
    "stale_authority",
    "preference_overreach",
    "context_pollution",
    "contradiction_drift",
    "memory_poisoning",
    "secret_exposure",
    "unverified_procedure",
]
LABELS: tuple[LabelName, ...] = get_args(LabelName)

Trust = Literal["user", "agent", "tool", "external"]
TRUST_LEVELS: tuple[Trust, ...] = get_args(Trust)
"""Most trusted first. A candidate inherits its least-trusted evidence's trust."""

Actor = Literal["person", "dream", "watcher", "import"]
ACTORS: tuple[Actor, ...] = get_args(Actor)

EventKind = Literal["user_prompt", "assistant_text", "tool_call", "tool_result", "interruption", "compaction", "system"]
EVENT_KINDS: tuple[EventKind, ...] = get_args(EventKind)

ToolResultStatus = Literal["ok", "error", "rejected"]
TOOL_RESULT_STATUSES: tuple[ToolResultStatus, ...] = get_args(ToolResultStatus)


V = TypeVar("V", bound=str)


def member(value: object, allowed: tuple[V, ...], what: str) -> V:
    """`value` as a member of a vocabulary, or ValueError naming what was expected.

    The one place outside input turns into a vocabulary type: `member(x, KINDS, "kind")`.
    """
    for v in allowed:
        if v == value:
            return v
    raise ValueError(f"unknown {what} {value!r} (expected one of {', '.join(allowed)})")


def scope_rank(scope: str) -> int:
    """Position of a scope from narrowest (0) to widest (3)."""
    return SCOPES.index(scope)


def kind_rank(kind: str) -> int:
    """Position of a kind from weakest (memory) to strongest."""
    return KINDS.index(kind)


def least_trusted(trusts: list[str]) -> str:
    """The least-trusted level among `trusts` (``user`` when empty)."""
    if not trusts:
        return "user"
    return max(trusts, key=TRUST_LEVELS.index)


# --- review objects ---------------------------------------------------------


@dataclass(slots=True)
class Label:
    """A failure label a critic attached, with why (naming its evidence)."""

    label: str
    """A `LabelName` (a critic may add its own; unknown names are shown as they are)."""
    severity: Severity
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "severity": self.severity, "reason": self.reason}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Label:
        return cls(
            str(data.get("label", "")),
            member(data.get("severity", "info"), SEVERITIES, "severity"),
            str(data.get("reason", "")),
        )


@dataclass(slots=True)
class Evidence:
    """One event that justifies a proposal: where it is and a short redacted quote."""

    session_id: str
    event_uuid: str = ""
    timestamp: str = ""
    trust: Trust = "user"
    quote: str = ""
    agent: str = ""
    """Which agent wrote the session (claude, codex, gemini); empty when unknown."""

    def to_dict(self) -> dict[str, Any]:
        data = {
            "session_id": self.session_id,
            "event_uuid": self.event_uuid,
            "timestamp": self.timestamp,
            "trust": self.trust,
            "quote": self.quote,
        }
        if self.agent:
            data["agent"] = self.agent
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        return cls(
            session_id=str(data.get("session_id", "")),
            event_uuid=str(data.get("event_uuid", "")),
            timestamp=str(data.get("timestamp", "")),
            trust=member(data.get("trust", "user"), TRUST_LEVELS, "trust level"),
            quote=str(data.get("quote", "")),
            agent=str(data.get("agent", "")),
        )


@dataclass(slots=True)
class LineEdit:
    """A line-precise change to a hand-written file: exactly `old` at `line` becomes `new`.

    Why explicit lines, not a new body: a person's file (CLAUDE.md, a skill, a
    subagent) is theirs byte for byte — frontmatter order, quoting, blank lines,
    line endings. An update names the lines it changes and the evidence for
    each, and is applied as a three-way patch: if those lines changed since the
    dream, applying it is a conflict, never an overwrite. `new` empty removes the
    lines; `old` holds them without their line endings (the file's endings are kept).
    """

    path: str
    """Workspace-relative key of the file (``CLAUDE.md``, ``.claude/agents/x.md``, ``~/...``)."""
    line: int
    """1-based number of the first of `old` in the file as the dream read it."""
    old: list[str]
    new: list[str] = field(default_factory=list)
    reason: str = ""
    evidence: list[Evidence] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "old": list(self.old),
            "new": list(self.new),
            "reason": self.reason,
            "evidence": [e.to_dict() for e in self.evidence],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LineEdit:
        """Strict about shapes: a proposals file with a malformed edit is a usage error."""
        if not isinstance(data, dict):
            raise ValueError("an edit must be an object")
        line = data.get("line")
        if isinstance(line, bool) or not isinstance(line, int) or line < 1:
            raise ValueError(f"edit line must be a positive integer, not {line!r}")
        path = _text(data, "path")
        if not path:
            raise ValueError("edit path must be a non-empty string")
        old, new = _texts(data, "old"), _texts(data, "new")
        if any("\n" in x or "\r" in x for x in old + new):
            raise ValueError("edit lines must not contain line breaks")
        if not old:
            raise ValueError("an edit names the lines it changes (old)")
        return cls(
            path=path,
            line=line,
            old=old,
            new=new,
            reason=_text(data, "reason"),
            evidence=[Evidence.from_dict(e) for e in _objects(data, "evidence")],
        )


@dataclass(slots=True)
class Artifact:
    """A unit of learned behaviour in the active store.

    `body` is the artifact text (for a hook: the script); `meta` holds kind-specific
    fields (a hook's `event`, `matcher`, `timeout`; a skill's `description`; an
    imported file's `source` path and `layout`).
    """

    id: str
    kind: Kind
    scope: Scope
    name: str
    body: str
    title: str = ""
    paths: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    confidence: float = 1.0
    provenance: list[Evidence] = field(default_factory=list)
    origin: str = "import"
    """``import`` (read from the workspace) or the proposal id that created it."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["provenance"] = [e.to_dict() for e in self.provenance]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Artifact:
        return cls(
            id=data["id"],
            kind=member(data["kind"], KINDS, "kind"),
            scope=member(data["scope"], SCOPES, "scope"),
            name=data["name"],
            body=data.get("body", ""),
            title=data.get("title", ""),
            paths=list(data.get("paths") or []),
            meta=dict(data.get("meta") or {}),
            confidence=float(data.get("confidence", 1.0)),
            provenance=[Evidence.from_dict(e) for e in data.get("provenance") or []],
            origin=data.get("origin", "import"),
        )


@dataclass(slots=True)
class Proposal:
    """One reviewable change in a candidate store (DESIGN §2, JSON shape §4).

    The dreamer fills what it decided (action, kind, scope, title, body, …); the
    store fills `target`, `before` and `after` when the candidate is opened, by
    rendering the change against the active store. Review state (`status`,
    `edited_body`, `reject_reason`, `cleared_labels`) lives in the operation log.
    """

    id: str
    action: Action
    kind: Kind
    scope: Scope
    title: str
    body: str
    paths: list[str] = field(default_factory=list)
    name: str = ""
    target: str = ""
    before: str = ""
    after: str = ""
    replaces: list[str] = field(default_factory=list)
    confidence: float = 0.5
    status: str = "pending"
    rationale: str = ""
    labels: list[Label] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    """Kind-specific fields, as on `Artifact.meta`; plus `replay` figures for hooks."""
    candidate_id: str = ""
    original_body: str = ""
    """The body as the dream wrote it; differs from `body` once a person edits it."""
    original_scope: Scope | Literal[""] = ""
    original_kind: Kind | Literal[""] = ""
    reject_reason: str = ""
    cleared_labels: list[str] = field(default_factory=list)
    """Block labels a person cleared explicitly (each clearing is an operation)."""
    edits: list[LineEdit] = field(default_factory=list)
    """For an update of a hand-written file: the exact lines it changes (see `LineEdit`)."""

    @property
    def edited(self) -> bool:
        return bool(self.original_body) and self.original_body != self.body

    def blocking_labels(self) -> list[Label]:
        """Block-severity labels not yet cleared by a person."""
        return [l for l in self.labels if l.severity == "block" and l.label not in self.cleared_labels]

    def trust(self) -> str:
        return least_trusted([e.trust for e in self.evidence])

    def to_dict(self) -> dict[str, Any]:
        """The DESIGN §4 JSON object (plus a few review fields)."""
        data: dict[str, Any] = {
            "id": self.id,
            "action": self.action,
            "kind": self.kind,
            "scope": self.scope,
            "paths": list(self.paths),
            "title": self.title,
            "name": self.name,
            "body": self.body,
            "target": self.target,
            "before": self.before,
            "after": self.after,
            "replaces": list(self.replaces),
            "confidence": round(float(self.confidence), 3),
            "status": self.status,
            "rationale": self.rationale,
            "labels": [l.to_dict() for l in self.labels],
            "evidence": [e.to_dict() for e in self.evidence],
        }
        if self.meta:
            data["meta"] = self.meta
        if self.edits:
            data["edits"] = [e.to_dict() for e in self.edits]
        if self.candidate_id:
            data["candidate_store"] = self.candidate_id
        if self.edited:
            data["original_body"] = self.original_body
        if self.reject_reason:
            data["reject_reason"] = self.reject_reason
        if self.cleared_labels:
            data["cleared_labels"] = list(self.cleared_labels)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Proposal:
        """Lenient about absent fields (`propose --file`), strict about wrong shapes.

        A field of the wrong type raises ValueError naming the field, so a bad
        proposals file is a one-line usage error, never a half-read proposal.
        """
        confidence = data.get("confidence", 0.5)
        if confidence is None:
            confidence = 0.0
        if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0.0 <= confidence <= 1.0:
            raise ValueError(f"confidence must be a number from 0 to 1, not {confidence!r}")
        return cls(
            id=_text(data, "id"),
            action=member(_text(data, "action") or "add", ACTIONS, "action"),
            kind=member(_text(data, "kind") or "memory", KINDS, "kind"),
            scope=member(_text(data, "scope") or "project", SCOPES, "scope"),
            title=_text(data, "title"),
            body=_text(data, "body"),
            paths=_texts(data, "paths"),
            name=_text(data, "name"),
            target=_text(data, "target"),
            before=_text(data, "before"),
            after=_text(data, "after"),
            replaces=_texts(data, "replaces"),
            confidence=float(confidence),
            status=_text(data, "status") or "pending",
            rationale=_text(data, "rationale"),
            labels=[Label.from_dict(l) for l in _objects(data, "labels")],
            evidence=[Evidence.from_dict(e) for e in _objects(data, "evidence")],
            meta=_object(data, "meta"),
            candidate_id=_text(data, "candidate_store"),
            original_body=_text(data, "original_body"),
            reject_reason=_text(data, "reject_reason"),
            cleared_labels=_texts(data, "cleared_labels"),
            edits=[LineEdit.from_dict(e) for e in _objects(data, "edits")],
        )


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise ValueError(f"{key} must be a string")
    return str(value)


def _texts(data: dict[str, Any], key: str) -> list[str]:
    """A list of strings; a lone string is taken as a one-item list (never split into characters)."""
    value = data.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or any(isinstance(v, (dict, list)) for v in value):
        raise ValueError(f"{key} must be a list of strings")
    return [str(v) for v in value]


def _objects(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError(f"{key} must be a list of objects")
    return value


def _object(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{key} must be an object")
    return dict(value)


@dataclass(slots=True)
class Candidate:
    """The output of one dream: a base version plus proposals."""

    id: str
    base_op: str
    created_at: str
    engine: str = "heuristic"
    status: str = "open"
    sessions_read: int = 0
    events_read: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    source: CandidateSource = "dream"
    """``dream`` or ``observed`` (see CANDIDATE_SOURCES)."""


@dataclass(slots=True)
class Operation:
    """One entry of the append-only operation log (DESIGN §2)."""

    id: str
    parent: str | None
    created_at: str
    actor: Actor
    kind: str
    description: str
    view_hash: str
    data: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    """Its place in the log (1 for the first operation)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "parent": self.parent,
            "time": self.created_at,
            "actor": self.actor,
            "kind": self.kind,
            "description": self.description,
            "view": self.view_hash,
            "data": self.data,
        }


# --- sessions ---------------------------------------------------------------


@dataclass(slots=True)
class Event:
    """A normalized record of an agent session, already redacted.

    `text` is what a person or model would read (truncated for huge tool output);
    `tool_input` keeps the call's arguments (redacted) so hooks can be replayed.
    """

    session_id: str
    seq: int
    kind: str
    trust: str
    text: str = ""
    uuid: str = ""
    parent_uuid: str = ""
    timestamp: str = ""
    agent: str = "claude"
    tool_name: str = ""
    tool_use_id: str = ""
    tool_input: dict[str, Any] | None = None
    status: str = ""
    """For tool results: ok | error | rejected."""
    is_sidechain: bool = False
    cwd: str = ""
    source_line: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
