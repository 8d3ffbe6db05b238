"""The same instruction typed in several sessions → a command that types it once.

Why: a person who starts session after session with the same multi-step
instruction ("Work on bead X. Run bd show X to see the issue details and bd
ready to find available subtasks. Start with the first ready task.") is doing
by hand what a slash command is for. Instructions are matched by similarity
of their content words (not by shared keywords), through an inverted index —
each is compared only with the groups that share a word with it, never with
every other instruction — and the words that differ between repetitions (the
issue id) become a placeholder.

Only task requests count (flow control like "continue" and questions do not),
only when they name steps (a command, or at least ten words of instruction),
and only in ≥ 3 sessions: twice may be coincidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reverie.dreamer.ledger import Ledger
from reverie.dreamer.model import Moment, SessionSignals
from reverie.dreamer.wording import quote, similarity, tokens
from reverie.store.materialize import slugify
from reverie.store.models import Evidence, Proposal

MIN_SESSIONS = 3
SIMILAR = 0.7
MIN_WORDS = 10
_COMMON = 200
_STEPS = re.compile(r"`[^`]+`|\b(?:run|then|and then|first|next|start with|finally)\b", re.I)


@dataclass
class _Group:
    members: list[tuple[str, Moment]] = field(default_factory=list)
    toks: frozenset[str] = frozenset()

    @property
    def sessions(self) -> list[str]:
        return sorted({sid for sid, _ in self.members})


def repeated_instructions(signals: list[SessionSignals], ledger: Ledger | None = None) -> list[Proposal]:
    """Commands for task instructions a person typed in ≥ 3 sessions (see module doc)."""
    groups: list[_Group] = []
    by_word: dict[str, set[int]] = {}
    for sig in signals:
        for m in sig.moments:
            if m.turn != "task_request" or len(m.text.split()) < MIN_WORDS or not _STEPS.search(m.text):
                continue
            toks = tokens(m.text)
            candidates: set[int] = set()
            for w in toks:
                hits = by_word.get(w)
                if hits and len(hits) <= _COMMON:
                    candidates |= hits
            best, score = None, 0.0
            for i in sorted(candidates):
                s = similarity(toks, groups[i].toks)
                if s > score:
                    best, score = i, s
            if best is None or score < SIMILAR:
                groups.append(_Group())
                best = len(groups) - 1
            g = groups[best]
            g.members.append((sig.session_id, m))
            g.toks = g.toks | toks if len(g.members) > 1 else toks
            for w in toks:
                by_word.setdefault(w, set()).add(best)
    out: list[Proposal] = []
    for g in groups:
        if len(g.sessions) < MIN_SESSIONS:
            continue
        p = _command(g)
        out.append(p)
        if ledger is not None:
            for sid, m in g.members:
                ledger.note(
                    sid,
                    m.uuid,
                    m.ts,
                    "turn",
                    m.text,
                    "kept",
                    f"the same instruction in {len(g.sessions)} sessions → a command",
                    p,
                )
    return out


def template(texts: list[str]) -> str:
    """One instruction standing for its repetitions: words that differ between them become `<…>`."""
    split = [t.split() for t in texts]
    lengths: dict[int, int] = {}
    for s in split:
        lengths[len(s)] = lengths.get(len(s), 0) + 1
    common = max(sorted(lengths), key=lambda n: lengths[n])
    same = [s for s in split if len(s) == common]
    if len(same) < 2:
        return texts[-1]
    words = []
    for column in zip(*same, strict=True):
        if len(set(column)) == 1:
            words.append(column[0])
        else:
            trail = re.match(r".*?([.,;:!?)]*)$", column[-1])
            words.append("<…>" + (trail.group(1) if trail else ""))
    return " ".join(words)


def _command(g: _Group) -> Proposal:
    members = sorted(g.members, key=lambda m: m[1].ts)
    body = template([m.text for _, m in members])
    first = re.sub(r"<…>", "", " ".join(body.split()[:4]))
    name = slugify(first, 32) or "repeated-instruction"
    n = len(g.sessions)
    return Proposal(
        id="",
        action="add",
        kind="command",
        scope="project",
        name=name,
        title=f"/{name}",
        body=body.replace("<…>", "$ARGUMENTS", 1).replace("<…>", "$ARGUMENTS") + "\n",
        confidence=min(0.85, 0.4 + 0.1 * n),
        rationale=(
            f"The same instruction was typed in {n} sessions ({', '.join(s[:8] for s in g.sessions[:4])}); "
            "a command types it once (the part that changed each time is $ARGUMENTS)."
        ),
        evidence=[
            Evidence(session_id=sid, event_uuid=m.uuid, timestamp=m.ts, trust="user", quote=quote(m.text, 200))
            for sid, m in members[:6]
        ],
        meta={"signal": "repeated_instruction", "description": quote(body.replace("<…>", "…"), 120), "sessions": n},
    )
