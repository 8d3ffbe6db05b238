"""Why a dream kept or dropped each moment it saw: the answer to "why didn't it learn that?".

Every candidate moment — a person's turn, a failed command — gets one entry:
kept (as which proposal) or dropped (a task request, a one-off, a duplicate of
CLAUDE.md line N, below threshold: 1 of 2 sessions, blocked). The engine writes
entries as it decides; `reverie dream --explain` prints them and the console's
"why not" key shows them for the open candidate (they are cached with it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reverie.dreamer.model import Moment, SessionSignals
from reverie.store.models import Proposal

EXPLAIN_NAMESPACE = "explain:v1"


@dataclass(slots=True)
class Entry:
    """One candidate moment and what the dream did with it."""

    session_id: str
    uuid: str
    ts: str
    source: str
    """turn (a person said something) | failure (a command failed) | procedure (a repeated task)."""
    text: str
    turn: str = ""
    after: str = ""
    decision: str = "dropped"
    """kept | dropped | blocked."""
    reason: str = ""
    proposal: str = ""
    """The proposal it became part of (its id once the candidate is stored, its title before)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "uuid": self.uuid,
            "ts": self.ts,
            "source": self.source,
            "text": self.text,
            "turn": self.turn,
            "after": self.after,
            "decision": self.decision,
            "reason": self.reason,
            "proposal": self.proposal,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Entry:
        return cls(**{k: d.get(k, "") for k in cls.__dataclass_fields__})


@dataclass
class Ledger:
    """The decisions of one dream, keyed by (session, event)."""

    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)
    _owner: dict[int, list[tuple[str, str]]] = field(default_factory=dict)

    def moments(self, signals: list[SessionSignals]) -> None:
        """Seed the ledger with every person's turn the signals saw, as the walk judged it."""
        for sig in signals:
            for m in sig.moments:
                self._turn(sig.session_id, m)

    def _turn(self, session_id: str, m: Moment) -> None:
        decision = "dropped" if m.decision == "dropped" else "candidate"
        self.entries[(session_id, m.uuid)] = Entry(
            session_id, m.uuid, m.ts, "turn", m.text, m.turn, m.after, decision, m.reason
        )

    def note(
        self,
        session_id: str,
        uuid: str,
        ts: str,
        source: str,
        text: str,
        decision: str,
        reason: str,
        proposal: Proposal | None = None,
    ) -> None:
        """Record (or overwrite) the decision about one moment; `proposal` when it was kept as one."""
        key = (session_id, uuid)
        entry = self.entries.get(key) or Entry(session_id, uuid, ts, source, text)
        entry.decision, entry.reason = decision, reason
        if proposal is not None:
            entry.proposal = proposal.title
            self._owner.setdefault(id(proposal), []).append(key)
        self.entries[key] = entry

    def kept(self, session_id: str, uuid: str, proposal: Proposal, reason: str) -> None:
        self.note(session_id, uuid, "", "turn", "", "kept", reason, proposal)

    def dropped(self, session_id: str, uuid: str, reason: str) -> None:
        self.note(session_id, uuid, "", "turn", "", "dropped", reason)

    def finish(self, proposals: list[Proposal], stored: list[Proposal] | None = None) -> None:
        """After critics: a proposal that was blocked or removed marks its moments; ids replace titles.

        `stored` is the same proposals as the store returned them (same order, with ids).
        """
        alive = {id(p): i for i, p in enumerate(proposals)}
        for owner, keys in self._owner.items():
            for key in keys:
                entry = self.entries[key]
                if owner not in alive:
                    entry.decision = "dropped"
                    entry.reason = f"its proposal '{entry.proposal}' was dropped by the dream's checks"
                    continue
                p = proposals[alive[owner]]
                blocks = [l for l in p.labels if l.severity == "block"]
                if blocks:
                    entry.decision = "blocked"
                    entry.reason = f"kept as '{p.title}', which is blocked: " + "; ".join(
                        f"{l.label} ({l.reason})" for l in blocks[:2]
                    )
                if stored is not None and alive[owner] < len(stored):
                    entry.proposal = stored[alive[owner]].id
        for entry in self.entries.values():
            if entry.decision == "candidate":
                entry.decision = "dropped"
                entry.reason = entry.reason or "read, but no proposal came of it"

    def rows(self) -> list[Entry]:
        """Session by session (in the order they started), each in time order."""
        first: dict[str, str] = {}
        for e in self.entries.values():
            if e.ts and (e.session_id not in first or e.ts < first[e.session_id]):
                first[e.session_id] = e.ts
        return sorted(self.entries.values(), key=lambda e: (first.get(e.session_id, ""), e.session_id, e.ts, e.uuid))

    def to_list(self) -> list[dict[str, Any]]:
        return [e.to_dict() for e in self.rows()]


def why_not(entries: list[dict[str, Any]], proposal_id: str = "") -> list[tuple[str, list[Entry]]]:
    """The explain entries of a candidate, grouped for a reader asking "why didn't it learn that?".

    First what became `proposal_id` (when given), then what was dropped, by reason
    class (a task request, a question, … below threshold, a duplicate), then blocked
    and what else was kept.
    """
    rows = [Entry.from_dict(e) for e in entries]
    mine = [e for e in rows if proposal_id and e.proposal == proposal_id]
    rest = [e for e in rows if e not in mine]
    groups: dict[str, list[Entry]] = {}
    for e in rest:
        if e.decision == "dropped":
            label = "dropped: " + (e.reason.split(":", 1)[0] if ":" in e.reason else e.reason)
        else:
            label = e.decision
        groups.setdefault(label, []).append(e)
    order = sorted(groups, key=lambda g: (not g.startswith("dropped"), -len(groups[g]), g))
    out = [("kept as this proposal", mine)] if mine else []
    return out + [(g, groups[g]) for g in order]
