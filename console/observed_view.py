"""How observed writes read in the console: group titles, the status figure, notification text.

Pure functions of store data, so the queue widget only paints what it is given
and the wording is tested without an app.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reverie.console.widgets.queue import Group
from reverie.store.models import Candidate, Proposal

if TYPE_CHECKING:
    from reverie.store.store import Store


@dataclass
class ObservedRead:
    """The observed writes the queue shows (summaries) and their groups."""

    proposals: list[Proposal] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)

    @property
    def ids(self) -> set[str]:
        return {p.id for p in self.proposals}


def read_observed(store: Store) -> ObservedRead:
    """Every write of the open observed groups, oldest group first."""
    items = store.observed_proposals(summaries=True)
    if not items:
        return ObservedRead()
    return ObservedRead(items, groups(items, store.candidates()))


def group_title(cand: Candidate | None) -> str:
    """``observed · agent (Auto Dream) · consolidation``: who wrote, with what (the queue adds the count)."""
    stats = cand.stats if cand is not None else {}
    writers = stats.get("writers") or {}
    who = " and ".join(w for w in ("agent", "person") if writers.get(w)) or "person"
    tools = [t for t in stats.get("tools") or [] if t]
    if tools and "agent" in who:
        who += f" ({', '.join(tools[:2])}{'…' if len(tools) > 2 else ''})"
    return f"observed · {who}" + (" · consolidation" if stats.get("consolidation") else "")


def groups(observed: Sequence[Proposal], candidates: Sequence[Candidate]) -> list[Group]:
    """One queue group per observed batch (candidate), oldest first; titles unique."""
    by_cand: dict[str, list[Proposal]] = {}
    for p in observed:
        by_cand.setdefault(p.candidate_id, []).append(p)
    known = {c.id: c for c in candidates}
    out: list[Group] = []
    seen: set[str] = set()
    for cid in sorted(by_cand):
        title = group_title(known.get(cid))
        if title in seen:
            title += f" · {cid[-6:]}"
        seen.add(title)
        out.append(Group(title, tuple(p.id for p in by_cand[cid])))
    return out


def unreviewed(observed: Sequence[Proposal]) -> tuple[int, int]:
    """(agent writes, person writes) still pending — the status line's figure."""
    agent = person = 0
    for p in observed:
        if p.status != "pending":
            continue
        if p.title.startswith("agent "):
            agent += 1
        else:
            person += 1
    return agent, person


def write_notice(events: Sequence[Any]) -> tuple[str, str]:
    """(text, severity) for `agent_write` events that arrived together while the console is open."""
    n = len(events)
    agents = [e for e in events if getattr(e, "writer", "") == "agent"]
    blocked = any(str(label).endswith("(block)") for e in events for label in getattr(e, "labels", []))
    first = events[0]
    name = str(getattr(first, "key", "")).rsplit("/", 1)[-1]
    who = "the agent" if agents else "someone"
    tool = next((getattr(e, "tool", "") for e in agents if getattr(e, "tool", "")), "")
    via = f" ({tool})" if tool else ""
    text = (
        f"{who}{via} changed {name}" if n == 1 else f"{who}{via} changed {n} memory/instruction files"
    ) + ": review under 'observed' (a keep · x revert)"
    if blocked:
        text += " — BLOCK label: a secret or an injected instruction"
    return text, "error" if blocked else "warning"
