"""Stale and contradicted artifact lines: the updates a dream proposes to what the workspace says.

Why apart, and why strict: this is the one part of a dream that changes text a
person wrote. A hand-written file (CLAUDE.md, a rule, a skill, a subagent) is
changed only by line-precise edits (`LineEdit`: the exact lines, nothing
around them), and each changed line needs verified evidence newer than the line:

- a command in the line failed with a "does not exist" error (missing script,
  command not found, no rule to make target…) in a session newer than the line,
  never succeeded afterwards, and another command did the job right after;
- a path the line names is really gone (`dreamer.pathlike`: path-shaped, absent
  everywhere it could mean, not ignored, not something the line asks to create) —
  then the line is removed, but only when it is a whole statement by itself (a
  list item or a one-line paragraph), never half a wrapped sentence;
- a person's correction, repeated in ≥ 2 sessions or strongly worded, newer than
  the line, that rejects what the line recommends — then the line is replaced.

Artifacts Reverie created itself (its own files and block entries) are updated
by replacing their body, with the same per-line rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reverie.dreamer.artifact_text import (
    PROGRAMS,
    artifact_lines,
    code_words,
    conflict_word,
    mentions_positively,
    statement_lines,
)
from reverie.dreamer.clusters import MIN_SESSIONS_DURABLE, Cluster, evidence_of
from reverie.dreamer.commands import normalize_command, program, tool_of
from reverie.dreamer.lexicon import BACKTICK, TICKED_COMMAND
from reverie.dreamer.model import Failure, Key, SessionSignals
from reverie.dreamer.pathlike import RepoPaths
from reverie.dreamer.wording import quote, similarity, tokens
from reverie.store import importer
from reverie.store import materialize as mat
from reverie.store.errors import ReverieError
from reverie.store.fsutil import read_bytes, safe_target
from reverie.store.lineedits import EditConflict, apply_edits
from reverie.store.models import Artifact, Evidence, Label, LineEdit, Proposal

_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S")
_MARKER = re.compile(r"^\s*(?:[-*+] |\d+[.)] )?")


@dataclass
class Judgement:
    """What the evidence says about one line: its replacement (None = remove it) and why."""

    new: str | None
    reason: str
    labels: list[Label] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    clusters: set[int] = field(default_factory=set)
    note: bool = False
    """Nothing to change, but worth a line in `--explain` (a gone path on a line that must stay)."""


@dataclass
class _Facts:
    """The session facts the line checks read, gathered once per dream."""

    fixes: dict[str, tuple[str, Failure]]
    """normalised command → (session, its newest "does not exist" failure that something else fixed)."""
    recovered: dict[str, str]
    """normalised command → when it last succeeded."""


def _gather(signals: list[SessionSignals]) -> _Facts:
    fixes: dict[str, tuple[str, Failure]] = {}
    recovered: dict[str, str] = {}
    for sig in signals:
        for f in sig.failures:
            if not f.gone or not f.fix or f.relation == "none":
                continue  # a failing test run does not make `npm test` stale; a missing script does
            if f.norm not in fixes or f.fix_ts >= fixes[f.norm][1].fix_ts:
                fixes[f.norm] = (sig.session_id, f)
        for c in sig.tool_calls:
            if c.norm and c.status == "ok":
                recovered[c.norm] = max(recovered.get(c.norm, ""), c.ts)
    return _Facts(fixes, recovered)


@dataclass(frozen=True, slots=True)
class LineNote:
    """A hand-written line the dream looked at and left alone, and why (for `--explain`)."""

    path: str
    line: int
    text: str
    reason: str


def artifact_updates(
    signals: list[SessionSignals],
    clusters: list[Cluster],
    artifacts: list[Artifact],
    workspace: Path,
    absorbed: set[int] | None = None,
    notes: list[LineNote] | None = None,
) -> tuple[list[Proposal], set[int]]:
    """Update proposals for artifacts with stale or contradicted lines, and the clusters they used.

    `notes` collects the lines that had a reason to change but must stay (see `pathlike.RepoPaths.removal`).
    """
    facts = _gather(signals)
    repo = RepoPaths(workspace)
    skip = set(absorbed or ())
    out: list[Proposal] = []
    used: set[int] = set()
    for art in artifacts:
        if art.kind == "hook":
            continue
        source = str(art.meta.get("source") or "")
        if art.origin == "import" and art.meta.get("layout") in (mat.DOCUMENT, "file") and source:
            p = _hand_written_update(art, source, workspace, repo, facts, clusters, skip | used, notes)
        else:
            p = _own_update(art, workspace, repo, facts, clusters, skip | used)
        if p is not None:
            used |= set(p.meta.pop("_clusters", ()))
            out.append(p)
    return out, used


# --- one line ---------------------------------------------------------------------------


def judge_line(
    line: str,
    line_time: Any,
    base: Path | None,
    repo: RepoPaths,
    facts: _Facts,
    clusters: list[Cluster],
    skip: set[int],
    art: Artifact,
) -> Judgement | None:
    """The change the evidence supports for one stating line, or None (keep it).

    `line_time()` is when the line was written (computed only when a check needs it).
    """
    replacement = line
    labels: list[Label] = []
    evidence: list[Evidence] = []
    reasons: list[str] = []
    written = None
    named = TICKED_COMMAND.findall(line)
    for cmd in named:
        norm = normalize_command(cmd)
        hit = facts.fixes.get(norm)
        if hit is None:
            continue
        sid, fx = hit
        if fx.fix_norm == norm or facts.recovered.get(norm, "") > fx.fix_ts:
            continue
        written = written if written is not None else line_time()
        if written and fx.ts <= written:
            continue  # the failure is older than the line: the line may already be the fix
        replacement = replacement.replace(f"`{cmd}`", f"`{fx.fix}`")
        labels.append(
            Label(
                "stale_authority",
                "warn",
                f"`{cmd}` failed in session {sid[:8]} (event {fx.uuid[:8]}): "
                f"'{quote(fx.error, 60)}', and `{fx.fix}` worked instead",
            )
        )
        evidence.append(
            Evidence(
                session_id=sid,
                event_uuid=fx.uuid,
                timestamp=fx.ts,
                trust="agent",
                quote=quote(f"{cmd}: {fx.error}", 160),
            )
        )
        reasons.append(f"`{cmd}` no longer exists ({quote(fx.error, 50)}); `{fx.fix}` works")
    if replacement != line:
        # a correction saying the same thing as the fixed line ("use pnpm, not npm") is part of this update
        stale = {normalize_command(c) for c in named} - {""}
        absorbed = {
            idx
            for idx, cl in enumerate(clusters)
            if idx not in skip
            and {k for k in cl.keys if k.kind in ("sub", "not")} & _line_keys(line, replacement)
            and (
                similarity(tokens(cl.representative().line), tokens(replacement)) >= 0.3
                or any(n in s.text.lower() for n in stale for s in cl.statements)
            )
        }
        for idx in sorted(absorbed):
            evidence += [evidence_of(s) for s in clusters[idx].statements[:3]]
        return Judgement(replacement, "; ".join(reasons), labels, evidence, absorbed)
    removal = repo.removal(line, base)
    if removal.gone and not removal.removable:
        what = ", ".join(removal.gone[:3])
        return Judgement(line, f"names {what}, which is gone, but the line stays: {removal.keep}", note=True)
    gone = removal.gone
    if gone:
        what = ", ".join(gone[:3])
        return Judgement(
            None,
            f"names {what}, which the workspace no longer has",
            [
                Label(
                    "stale_authority",
                    "warn",
                    f"{art.kind} '{art.name}' names {what}, which the workspace no longer has",
                )
            ],
        )
    for idx, cl in enumerate(clusters):
        if idx in skip:
            continue
        rep = cl.representative()
        word = conflict_word(rep.line, line) or next(
            (
                w
                for w in cl.rejected()
                if mentions_positively(line, w)
                and (w in PROGRAMS or w in code_words(line) or similarity(tokens(rep.line), tokens(line)) >= 0.2)
            ),
            None,
        )
        if not word or not (len(cl.sessions) >= MIN_SESSIONS_DURABLE or any(s.strong for s in cl.statements)):
            continue
        written = written if written is not None else line_time()
        newer = [s for s in cl.statements if s.trust == "user" and (not written or s.ts > written)]
        if not newer:
            continue  # the people said it before the line was written: the line may be their decision
        lead = _MARKER.match(line)  # every part optional: always matches
        marker = lead.group(0) if lead else ""
        sessions = sorted({s.session_id for s in newer})
        return Judgement(
            _swapped_line(line, cl) or marker + rep.line,
            f"contradicted by {len(sessions)} newer session(s) ('{word}')",
            [
                Label(
                    "contradiction_drift",
                    "warn",
                    f"{art.kind} '{art.name}' says '{quote(line.strip(), 80)}'; newer sessions "
                    f"({', '.join(s[:8] for s in sessions[:4])}) say '{quote(rep.line, 80)}' — the newer "
                    "evidence wins",
                )
            ],
            [evidence_of(s) for s in newer[:4]],
            {idx},
        )
    return None


def _swapped_line(line: str, cl: Cluster) -> str | None:
    """The line with the rejected tool swapped for the one the agent ran after the correction, when the
    line names it in a backticked command: `npx prettier --write web/src` → `npx biome format --write web/src`.

    Keeps the person's sentence and changes only the tool (None when there is no such command to use).
    """
    for old, new in cl.swaps():
        runs = [s.then for s in cl.statements if s.then and tool_of(normalize_command(s.then)) == new]
        for cmd in BACKTICK.findall(line):
            if tool_of(normalize_command(cmd)) != old or not runs:
                continue
            words = set(cmd.split())
            then = max(runs, key=lambda r: len(words & set(r.split())))
            out = line.replace(f"`{cmd}`", f"`{then}`")
            return re.sub(rf"(?<![\w`/-]){re.escape(old)}(?![\w`/-])", new, out)
    return None


def _self_contained(lines: list[str], i: int) -> bool:
    """Line i states something on its own: a list item, or a paragraph of one line."""
    if _LIST_ITEM.match(lines[i]):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        return not nxt.strip() or _LIST_ITEM.match(nxt) is not None or not nxt.startswith((" ", "\t"))
    before = lines[i - 1].strip() if i > 0 else ""
    after = lines[i + 1].strip() if i + 1 < len(lines) else ""
    return (not before or before.startswith("#")) and (not after or after.startswith(("#", "-", "*")))


# --- hand-written files: line edits --------------------------------------------------------


def _hand_written_update(
    art: Artifact,
    source: str,
    workspace: Path,
    repo: RepoPaths,
    facts: _Facts,
    clusters: list[Cluster],
    skip: set[int],
    notes: list[LineNote] | None = None,
) -> Proposal | None:
    try:
        path = safe_target(workspace, source)
        data = read_bytes(path)
    except ReverieError:
        return None
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.split("\n")
    base = path.parent if not source.startswith("~") else None
    edits: list[LineEdit] = []
    labels: list[Label] = []
    evidence: list[Evidence] = []
    used: set[int] = set()
    for n, line in statement_lines(text):
        clean = line.rstrip("\r")
        j = judge_line(
            clean,
            lambda n=n: repo.line_time(source, n) if not source.startswith("~") else "",
            base,
            repo,
            facts,
            clusters,
            skip | used,
            art,
        )
        if j is None:
            continue
        if j.note:
            if notes is not None:
                notes.append(LineNote(source, n, clean, j.reason))
            continue
        if j.new is None and not _self_contained(lines, n - 1):
            if notes is not None:
                notes.append(LineNote(source, n, clean, f"{j.reason}; not removed: it is part of a wrapped sentence"))
            continue  # removing one line of a wrapped sentence would break it
        edits.append(
            LineEdit(
                path=source,
                line=n,
                old=[clean],
                new=[] if j.new is None else [j.new],
                reason=j.reason,
                evidence=j.evidence,
            )
        )
        labels += j.labels
        evidence += j.evidence
        used |= j.clusters
    if not edits:
        return None
    try:
        patched = apply_edits(data, edits, source)
    except EditConflict:
        return None
    after = importer.reread(art, source, patched)
    return Proposal(
        id="",
        action="update",
        kind=art.kind,
        scope=art.scope,
        paths=list(art.paths),
        name=art.name,
        title=f"Update {art.title or art.name}",
        body=after.body,
        replaces=[art.id],
        confidence=0.7,
        rationale="; ".join(f"line {e.line}: {e.reason}" for e in edits) + ".",
        labels=labels,
        evidence=evidence[:8],
        meta=dict(art.meta) | {"signal": "stale", "_clusters": sorted(used)},
        edits=edits,
    )


# --- Reverie's own artifacts: a new body -------------------------------------------------------


def _own_update(
    art: Artifact, workspace: Path, repo: RepoPaths, facts: _Facts, clusters: list[Cluster], skip: set[int]
) -> Proposal | None:
    lines = art.body.split("\n")
    stating = {n for n, _ in statement_lines(art.body)}
    new_lines: list[str] = []
    labels: list[Label] = []
    evidence: list[Evidence] = []
    reasons: list[str] = []
    used: set[int] = set()
    for i, line in enumerate(lines):
        j = judge_line(line, lambda: "", None, repo, facts, clusters, skip | used, art) if i + 1 in stating else None
        if j is None or j.note:
            new_lines.append(line)
            continue
        if j.new is not None:
            new_lines.append(j.new)
        labels += j.labels
        evidence += j.evidence
        reasons.append(j.reason)
        used |= j.clusters
    if not reasons:
        return None
    body = "\n".join(new_lines)
    retire = not artifact_lines(Artifact(id="", kind=art.kind, scope=art.scope, name=art.name, body=body))
    return Proposal(
        id="",
        action="retire" if retire else "update",
        kind=art.kind,
        scope=art.scope,
        paths=list(art.paths),
        name=art.name,
        title=f"{'Retire' if retire else 'Update'} {art.title or art.name}",
        body="" if retire else body,
        replaces=[art.id],
        confidence=0.7 if not retire else 0.6,
        rationale="; ".join(reasons) + ".",
        labels=labels,
        evidence=evidence[:8],
        meta=dict(art.meta) | {"signal": "stale", "_clusters": sorted(used)},
    )


def _line_keys(old: str, new: str) -> set[Key]:
    olds = {program(normalize_command(c)) for c in re.findall(r"`([^`\n]+)`", old)}
    news = {program(normalize_command(c)) for c in re.findall(r"`([^`\n]+)`", new)}
    return {Key.swap(a, b) for a in olds for b in news if a != b} | {Key.reject(a) for a in olds - news}
