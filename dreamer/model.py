"""The dream's own vocabulary, typed: keys, calls, moments, statements, failures, a session's signals.

Why dataclasses and not dicts: the pass used to hand `dict[str, Any]` around
with keys spelled as strings (`"use:pnpm>npm"`, sliced with `k[4:]`); a typo
was a silent miss. Here every shape is declared once; `to_dict`/`from_dict`
exist only for the per-session cache (JSON in the store), and bumping
`signals.SIGNALS_VERSION` recomputes any cached shape that changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reverie.store.models import TRUST_LEVELS, Trust, member


@dataclass(frozen=True, slots=True, order=True)
class Key:
    """What a statement is about, for clustering across sessions.

    - ``use`` a over b ("use pnpm, not npm"); ``not`` a (a rejected word);
    - ``sub`` old → new (the agent's program was swapped for another);
    - ``forbid`` a place (a path the person said not to edit);
    - ``via`` a means of doing work (a named skill or helper the person asks the agent to use).
    """

    kind: str
    a: str
    b: str = ""

    @classmethod
    def use(cls, new: str, old: str) -> Key:
        return cls("use", new, old)

    @classmethod
    def reject(cls, word: str) -> Key:
        return cls("not", word)

    @classmethod
    def swap(cls, old: str, new: str) -> Key:
        return cls("sub", old, new)

    @classmethod
    def forbid(cls, path: str) -> Key:
        return cls("forbid", path)

    @classmethod
    def via(cls, means: str) -> Key:
        return cls("via", means)

    def opposite(self) -> Key | None:
        """`use b over a` for `use a over b`: the lesson that contradicts this one."""
        return Key("use", self.b, self.a) if self.kind == "use" else None

    def encode(self) -> str:
        return f"{self.kind}:{self.a}>{self.b}" if self.b else f"{self.kind}:{self.a}"

    @classmethod
    def decode(cls, text: str) -> Key:
        kind, _, rest = text.partition(":")
        a, _, b = rest.partition(">")
        return cls(kind, a, b)


@dataclass(slots=True)
class Call:
    """One tool call of the agent, compact (what replay, hooks and corrections need)."""

    tool: str
    target: str
    """The shell command, or the workspace-relative file."""
    uuid: str
    ts: str
    shell: bool
    norm: str = ""
    status: str = ""
    """ok | error | rejected ('' while no result was seen)."""
    error: str = ""
    """The line of the error output that says what went wrong (shell calls)."""
    input: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "target": self.target,
            "uuid": self.uuid,
            "ts": self.ts,
            "shell": self.shell,
            "norm": self.norm,
            "status": self.status,
            "error": self.error,
            "input": self.input,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Call:
        return cls(
            d.get("tool", ""),
            d.get("target", ""),
            d.get("uuid", ""),
            d.get("ts", ""),
            bool(d.get("shell")),
            d.get("norm", ""),
            d.get("status", ""),
            d.get("error", ""),
            d.get("input") or {},
        )


@dataclass(slots=True)
class Moment:
    """A person's turn and where it fell: the structural unit a lesson starts from.

    `after` says what the agent had just done (a rejected or interrupted call,
    a failed command, an edit, a command, a reply, nothing); `turn` is what the
    classifier made of the words; `decision`/`reason` feed `reverie dream --explain`.
    """

    uuid: str
    ts: str
    text: str
    after: str
    turn: str
    prior: Call | None = None
    decision: str = ""
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "ts": self.ts,
            "text": self.text,
            "after": self.after,
            "turn": self.turn,
            "prior": self.prior.to_dict() if self.prior else None,
            "decision": self.decision,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Moment:
        prior = d.get("prior")
        return cls(
            d.get("uuid", ""),
            d.get("ts", ""),
            d.get("text", ""),
            d.get("after", ""),
            d.get("turn", ""),
            Call.from_dict(prior) if prior else None,
            d.get("decision", ""),
            d.get("reason", ""),
        )


@dataclass(slots=True)
class Statement:
    """A durable lesson one session states, in the engine's words, with the person's words as evidence."""

    kind: str
    """correction (after the agent acted) | request (said unprompted) | external (tool/web text)."""
    text: str
    """What was said (a redacted quote)."""
    line: str
    """The lesson as the engine writes it: short, imperative, self-contained."""
    polarity: str
    """must | must_not | use | prefer."""
    strong: bool
    general: bool
    temporal: bool
    uuid: str
    ts: str
    trust: Trust
    keys: frozenset[Key] = frozenset()
    paths: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    prior: Call | None = None
    turn: str = ""
    tool: str = ""
    session_id: str = ""
    agent: str = ""
    superseded: list[str] = field(default_factory=list)
    then: str = ""
    """The command the agent ran right after this correction, when it swapped tools (`npx biome format …`)."""
    basis: str = ""
    """What makes it a lesson beyond its words: '' (the words say it lasts, or correct what the agent did),
    ``method`` (how to do a kind of work — with a named skill or helper; a lesson only when asked for in
    several sessions, at least once right after the agent worked without it), ``rule_request`` (the person
    asked for a standing instruction and said what it is)."""
    after: str = ""
    """What the agent had just done when it was said (`Moment.after`)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "line": self.line,
            "polarity": self.polarity,
            "strong": self.strong,
            "general": self.general,
            "temporal": self.temporal,
            "uuid": self.uuid,
            "ts": self.ts,
            "trust": self.trust,
            "keys": sorted(k.encode() for k in self.keys),
            "paths": self.paths,
            "commands": self.commands,
            "prior": self.prior.to_dict() if self.prior else None,
            "turn": self.turn,
            "tool": self.tool,
            "then": self.then,
            "basis": self.basis,
            "after": self.after,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Statement:
        prior = d.get("prior")
        return cls(
            kind=d.get("kind", ""),
            text=d.get("text", ""),
            line=d.get("line", ""),
            polarity=d.get("polarity", ""),
            strong=bool(d.get("strong")),
            general=bool(d.get("general")),
            temporal=bool(d.get("temporal")),
            uuid=d.get("uuid", ""),
            ts=d.get("ts", ""),
            trust=trust_of(d.get("trust")),
            keys=frozenset(Key.decode(k) for k in d.get("keys") or ()),
            paths=list(d.get("paths") or ()),
            commands=list(d.get("commands") or ()),
            prior=Call.from_dict(prior) if prior else None,
            turn=d.get("turn", ""),
            tool=d.get("tool", ""),
            then=d.get("then", ""),
            basis=d.get("basis", ""),
            after=d.get("after", ""),
        )


def trust_of(value: object) -> Trust:
    """A cached trust level (an unknown one is the least trusted)."""
    try:
        return member(value, TRUST_LEVELS, "trust")
    except ValueError:
        return "external"


@dataclass(slots=True)
class Failure:
    """A shell command that failed, and what the agent ran next that worked.

    `relation`: ``instead`` (another command did the job), ``first`` (another
    command made the retry work), ``without`` (the same command, with some words
    left out), ``retry`` (the same command again: the code's failure, not a lesson)
    or ``none`` (nothing worked next).
    """

    command: str
    norm: str
    error: str
    uuid: str
    ts: str
    fix: str = ""
    fix_norm: str = ""
    fix_uuid: str = ""
    fix_ts: str = ""
    relation: str = "none"
    gone: bool = False
    """The error says the command or script does not exist."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "norm": self.norm,
            "error": self.error,
            "uuid": self.uuid,
            "ts": self.ts,
            "fix": self.fix,
            "fix_norm": self.fix_norm,
            "fix_uuid": self.fix_uuid,
            "fix_ts": self.fix_ts,
            "relation": self.relation,
            "gone": self.gone,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Failure:
        return cls(**{k: d[k] for k in d if k in cls.__dataclass_fields__})


@dataclass(slots=True)
class Step:
    norm: str
    cmd: str
    status: str
    uuid: str


@dataclass(slots=True)
class Procedure:
    """The ordered shell steps of one task (a prompt and its corrections)."""

    prompt: str
    uuid: str
    ts: str
    steps: list[Step]
    corrected: bool = False
    session_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "uuid": self.uuid,
            "ts": self.ts,
            "corrected": self.corrected,
            "steps": [[s.norm, s.cmd, s.status, s.uuid] for s in self.steps],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Procedure:
        return cls(
            d.get("prompt", ""),
            d.get("uuid", ""),
            d.get("ts", ""),
            [Step(*s) for s in d.get("steps") or ()],
            bool(d.get("corrected")),
        )


@dataclass(slots=True)
class Fact:
    """An environment fact a successful run confirmed (package manager, test or build command)."""

    category: str
    value: str
    uuid: str
    ts: str


@dataclass(slots=True)
class SessionSignals:
    """Everything one session says that a dream can use; cached per session content hash."""

    session_id: str
    agent: str = ""
    cwd: str = ""
    started_at: str = ""
    events: int = 0
    statements: list[Statement] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    procedures: list[Procedure] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    tool_calls: list[Call] = field(default_factory=list)
    moments: list[Moment] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "agent": self.agent,
            "cwd": self.cwd,
            "started_at": self.started_at,
            "events": self.events,
            "statements": [s.to_dict() for s in self.statements],
            "failures": [f.to_dict() for f in self.failures],
            "procedures": [p.to_dict() for p in self.procedures],
            "facts": [[f.category, f.value, f.uuid, f.ts] for f in self.facts],
            "tool_calls": [c.to_dict() for c in self.tool_calls],
            "moments": [m.to_dict() for m in self.moments],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SessionSignals:
        sig = cls(
            session_id=d.get("session_id", ""),
            agent=d.get("agent", ""),
            cwd=d.get("cwd", ""),
            started_at=d.get("started_at", ""),
            events=int(d.get("events") or 0),
            statements=[Statement.from_dict(s) for s in d.get("statements") or ()],
            failures=[Failure.from_dict(f) for f in d.get("failures") or ()],
            procedures=[Procedure.from_dict(p) for p in d.get("procedures") or ()],
            facts=[Fact(*f) for f in d.get("facts") or ()],
            tool_calls=[Call.from_dict(c) for c in d.get("tool_calls") or ()],
            moments=[Moment.from_dict(m) for m in d.get("moments") or ()],
        )
        sig.stamp()
        return sig

    def stamp(self) -> None:
        """Give every statement and procedure its session (they are cached without it)."""
        for s in self.statements:
            s.session_id, s.agent = self.session_id, self.agent
        for p in self.procedures:
            p.session_id = self.session_id
