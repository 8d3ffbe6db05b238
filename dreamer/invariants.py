"""What every engine's output must satisfy before critics even look at it.

Why a gate of its own: the critics label; these drop. A proposal from any
engine — the heuristic one, an LLM, anything that returns `Proposal`s — leaves
the dream only if:

- every event it cites is in the sessions index (a model cannot invent evidence);
- a change to a hand-written file is a line-precise edit (`LineEdit`): a whole
  new body from an engine is turned into the line edits it amounts to, at most a
  few lines, or dropped; each edited line applies to the file as it is now and has
  verified evidence — the line names a path that is really gone, a command it
  names failed in a cited event, or a person's cited words are newer than the line;
- a memory, instinct or rule is a durable statement: at most two sentences,
  not a question or a request to the agent.

Dropped proposals are recorded in the dream's ledger with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from reverie.dreamer.artifact_text import statement_lines
from reverie.dreamer.ledger import Ledger
from reverie.dreamer.lexicon import TICKED_COMMAND
from reverie.dreamer.pathlike import RepoPaths
from reverie.dreamer.statements import lesson_problem
from reverie.dreamer.wording import quote, sentences, tokens
from reverie.store import frontmatter
from reverie.store import materialize as mat
from reverie.store.errors import ReverieError
from reverie.store.fsutil import read_bytes, safe_target
from reverie.store.lineedits import EditConflict, apply_edits, diff_edits
from reverie.store.models import Artifact, LineEdit, Proposal

MAX_EDITED_LINES = 8
"""An engine's rewrite of a hand-written file that touches more lines than this (removed plus written)
is not a line edit: a one-line change touches two."""
_TASKY = re.compile(
    r"^\W*(?:can|could|would|will) (?:you|u)\b|^\W*(?:please|pls|plz)\b|\blet'?s\b|\bi (?:need|want) you\b|\?\s*$",
    re.I,
)
_LESSON_KINDS = ("memory", "instinct", "rule")
_FREE_FORM = ("environment", "external_instruction", "repeated_instruction", "procedure")
"""Signals whose body is structured (a list of facts, a quoted instruction, steps), not one statement."""

EventExists = Callable[[str, str], bool]


def enforce(
    proposals: list[Proposal],
    artifacts: list[Artifact],
    workspace: Path,
    event_exists: EventExists,
    ledger: Ledger | None = None,
) -> list[Proposal]:
    """The proposals that satisfy the invariants (updates of hand-written files possibly rewritten as line edits)."""
    arts = {a.id: a for a in artifacts}
    repo = RepoPaths(workspace)
    kept: list[Proposal] = []
    for i, p in enumerate(proposals):
        fixed, reason = _check(p, arts, workspace, repo, event_exists)
        if fixed is not None:
            kept.append(fixed)
        elif ledger is not None:
            ev = p.evidence[0] if p.evidence else None
            ledger.note(
                ev.session_id if ev else "",
                f"proposal:{i}:{ev.event_uuid if ev else ''}",
                ev.timestamp if ev else "",
                "proposal",
                p.title,
                "dropped",
                f"the proposal '{quote(p.title, 60)}' broke an invariant: {reason}",
            )
    return kept


def _check(
    p: Proposal, arts: dict[str, Artifact], workspace: Path, repo: RepoPaths, event_exists: EventExists
) -> tuple[Proposal | None, str]:
    unknown = [e for e in p.evidence if e.event_uuid and not event_exists(e.session_id, e.event_uuid)]
    if unknown:
        bad = unknown[0]
        return None, f"it cites event {bad.event_uuid[:8]} of session {bad.session_id[:8]}, which no session holds"
    hand = [arts[r] for r in p.replaces if r in arts and _hand_written(arts[r])]
    if hand and p.action in ("update", "retire", "merge", "evolve"):
        if not p.edits:
            edits, why = _as_edits(p, hand[0], workspace)
            if edits is None:
                return None, why
            p = replace(p, edits=edits, action="update")
        for edit in p.edits:
            why = _unverified(edit, p, workspace, repo)
            if why:
                return None, f"line {edit.line} of {edit.path}: {why}"
    if p.kind in _LESSON_KINDS and p.action == "add" and p.meta.get("signal") not in _FREE_FORM:
        body = " ".join(p.body.split())
        if _TASKY.search(body):
            return None, "it reads as a request or a question to the agent, not a lesson"
        if len(sentences(body)) > 2:
            return None, "a lesson is at most two sentences; this is longer"
        for line in (x for x in p.body.splitlines() if x.strip()):
            problem = lesson_problem(line, strict=False)
            if problem:
                return None, f"a lesson is a statement the engine writes; this line is {problem}"
            if _verbatim_turn(line, p):
                return None, "its body is a person's whole turn, word for word; the words belong in the evidence"
    return p, ""


def _verbatim_turn(line: str, p: Proposal) -> bool:
    """A line that is a cited person's whole turn of more than one sentence, unchanged: published, not written."""
    said = " ".join(line.split()).rstrip(".").lower()
    for ev in p.evidence:
        quoted = " ".join(ev.quote.split()).rstrip(".…").lower()
        if ev.trust == "user" and len(sentences(quoted)) > 1 and quoted == said:
            return True
    return False


def _hand_written(a: Artifact) -> bool:
    return a.origin == "import" and a.meta.get("layout") in (mat.DOCUMENT, "file") and bool(a.meta.get("source"))


def _as_edits(p: Proposal, art: Artifact, workspace: Path) -> tuple[list[LineEdit] | None, str]:
    """An engine's new body for a hand-written file, as the line edits it amounts to (None: it is not a few)."""
    key = str(art.meta["source"])
    try:
        data = read_bytes(safe_target(workspace, key))
    except ReverieError as err:
        return None, f"{key}: {err}"
    if data is None:
        return None, f"{key} is gone"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, f"{key} is not UTF-8 text"
    if p.action == "retire":
        return None, f"it retires the hand-written file {key} as a whole; only lines of it can change"
    if art.meta.get("layout") == mat.DOCUMENT:
        block = mat.block_region(text)
        tail = text[text.index(block) :] if block and text.rstrip("\n").endswith(block) else ""
        head = ""
        body = p.body.rstrip("\n") + ("\n\n" if tail else "\n")
    else:
        _meta, rest, had = frontmatter.split(text)
        head, tail, body = (text[: len(text) - len(rest)] if had else ""), "", p.body
    try:
        edits = diff_edits(key, data, head + body + tail)
    except EditConflict as err:
        return None, str(err)
    changed = sum(len(e.old) + len(e.new) for e in edits)
    if not edits:
        return None, f"its new body of {key} changes nothing"
    if changed > MAX_EDITED_LINES:
        return None, f"it rewrites {changed} lines of the hand-written {key}; an update changes a few cited lines"
    stating = {n for n, _ in statement_lines(text)}
    touched = sum(1 for e in edits for n in range(e.line, e.line + len(e.old)) if n in stating)
    if touched > max(1, len(stating) // 2):
        return None, f"it rewrites {touched} of the {len(stating)} stating lines of the hand-written {key}"
    cited = [e for e in p.evidence if e.event_uuid]
    return [replace(e, reason=p.rationale or "an engine's update", evidence=list(cited)) for e in edits], ""


def _unverified(e: LineEdit, p: Proposal, workspace: Path, repo: RepoPaths) -> str:
    """Why an edited line lacks verified evidence ('' when it has it)."""
    try:
        data = read_bytes(safe_target(workspace, e.path))
    except ReverieError as err:
        return str(err)
    if data is None:
        return "the file is gone"
    try:
        apply_edits(data, [e], e.path)
    except EditConflict as err:
        return str(err).removeprefix(f"{e.path}: ")
    text = data.decode("utf-8", "replace")
    stating = {n for n, _ in statement_lines(text)}
    base = safe_target(workspace, e.path).parent if not e.path.startswith("~") else None
    if not e.new and all(repo.removal(line, base).removable for line in e.old):
        return ""  # each removed line is about a path that is really gone, and says nothing else
    evidence = e.evidence or p.evidence
    commands = {c for line in e.old for c in TICKED_COMMAND.findall(line)}
    if any(ev.trust == "agent" and any(c in ev.quote for c in commands) for ev in evidence):
        return ""  # a command the line names failed in a cited event
    if not any(n in stating for n in range(e.line, e.line + len(e.old))) and all(not x.strip() for x in e.old):
        return ""  # only blank lines around an edit
    written = repo.line_time(e.path, e.line) if not e.path.startswith("~") else ""
    about = tokens(" ".join(e.old + e.new))
    people = [
        ev
        for ev in evidence
        if ev.trust == "user" and (not written or ev.timestamp > written) and tokens(ev.quote) & about
    ]
    if people:
        return ""  # a person's cited words, newer than the line, about what the line says
    return "no verified evidence (a gone path, a failed command, or a person's words about it, newer than the line)"
