"""Consolidation: per-session signals + the active store → a few proposals.

Why: one session's words are weak evidence and many sessions repeat the same
lesson in different words. Here statements are clustered (shared keys such as
`not npm` or `forbid db/migrations/generated`, or token-set similarity through an
index), counted by distinct sessions, weighed by recency, checked against the
active artifacts (duplicates dropped, contradicted or stale lines replaced by a
line-precise update, `dreamer.staleness`) and turned into the smallest artifact
the evidence supports. Thresholds (docs/DREAMING.md):

- one session → at most a memory;
- a correction or request repeated in ≥ 2 sessions → instinct (soft) or rule (strong);
- a "never / do not" about a tool action violated after it was stated → rule + hook;
- a procedure in ≥ 3 sessions, or ≥ 2 with a correction → skill (`dreamer.procedures`);
- the same failure and fix in ≥ 2 sessions → instinct (`dreamer.failures`);
- an environment fact confirmed by successful runs in ≥ 2 sessions → one memory.

Every decision about a candidate moment goes to the `Ledger` (`--explain`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from reverie.dreamer import hooks
from reverie.dreamer.artifact_text import conflict_word, statement_lines
from reverie.dreamer.clusters import (
    DUPLICATE_SIMILARITY,
    MIN_SESSIONS_DURABLE,
    Cluster,
    cluster_statements,
    evidence_of,
    names_file_in,
    names_folder,
    resolve_conflicting_clusters,
)
from reverie.dreamer.commands import EDIT_TOOLS, normalize_command, program, same_family
from reverie.dreamer.failures import failure_lessons
from reverie.dreamer.instructions import repeated_instructions
from reverie.dreamer.ledger import Ledger
from reverie.dreamer.methods import method_lesson
from reverie.dreamer.model import Call, SessionSignals, Statement
from reverie.dreamer.procedures import procedure_skills
from reverie.dreamer.staleness import LineNote, artifact_updates
from reverie.dreamer.wording import has_word, quote, similarity, title_of, tokens
from reverie.store.models import Artifact, Evidence, Kind, Label, Proposal, Scope

# --- the consolidation ---------------------------------------------------------------


def consolidate(
    signals: list[SessionSignals],
    artifacts: list[Artifact],
    workspace: Path,
    options: dict[str, Any] | None = None,
    ledger: Ledger | None = None,
) -> list[Proposal]:
    ledger = ledger if ledger is not None else Ledger()
    statements: list[Statement] = sorted((st for sig in signals for st in sig.statements), key=lambda s: s.ts)
    # a statement whose point is a credential is junk once redacted: nothing durable to keep
    user_sts = [s for s in statements if s.kind != "external" and "[REDACTED:" not in s.line]
    external_sts = [s for s in statements if s.kind == "external"]
    clusters = resolve_conflicting_clusters(cluster_statements(user_sts))
    proposals: list[Proposal] = []
    absorbed: set[int] = set()

    # 1. procedures → skills (statements about their steps are absorbed)
    for skill, members in procedure_skills(signals, clusters, absorbed):
        proposals.append(skill)
        for m in members:
            ledger.note(m.session_id, m.uuid, m.ts, "procedure", m.prompt, "kept", "a repeated procedure", skill)
    _absorbed_into(ledger, clusters, absorbed, proposals, "its steps are part of a skill")
    # 1b. the same instruction typed in several sessions → a command
    proposals += repeated_instructions(signals, ledger)
    # 2. artifact updates: stale commands/paths and contradicted lines
    notes: list[LineNote] = []
    updates, used = artifact_updates(signals, clusters, artifacts, workspace, absorbed, notes)
    for note in notes:
        ledger.note(
            "",
            f"line:{note.path}:{note.line}",
            "",
            "line",
            f"{note.path} line {note.line}: {note.text.strip()}",
            "dropped",
            f"no edit: {note.reason}",
        )
    for p in updates:
        proposals.append(p)
        for idx in sorted(used):
            for s in clusters[idx].statements:
                ledger.kept(s.session_id, s.uuid, p, f"it contradicts a line of {p.title.removeprefix('Update ')}")
    absorbed |= used
    # 3. statement clusters → memory / instinct / rule (+ hook)
    tool_calls = [(sig.session_id, c) for sig in signals for c in sig.tool_calls]
    lines = _artifact_line_index(artifacts)
    for idx, cl in enumerate(clusters):
        if idx in absorbed:
            continue
        proposals += _cluster_proposals(cl, lines, tool_calls, ledger)
    # 4. the same failure and fix in several sessions
    proposals += failure_lessons(signals, clusters, proposals, ledger)
    # 5. environment facts
    env = _environment(_home_sessions(signals, workspace), clusters, artifacts, proposals)
    if env:
        proposals.append(env)
    # 6. instruction-like text from tool / external content (critics will block it)
    proposals += _external(external_sts)
    return proposals


def _absorbed_into(
    ledger: Ledger, clusters: list[Cluster], absorbed: set[int], proposals: list[Proposal], why: str
) -> None:
    if not proposals:
        return
    for idx in sorted(absorbed):
        for s in clusters[idx].statements:
            ledger.kept(s.session_id, s.uuid, proposals[-1], why)


def _glob(path: str) -> str:
    """`dir/**` for a folder; a file the person named ("web/yarn.lock") is guarded as itself."""
    last = path.rsplit("/", 1)[-1]
    return path if ("." in last.strip(".") and not last.startswith(".")) or "*" in path else f"{path}/**"


def _confidence(n_sessions: int, strong: bool, latest: str, newest: str) -> float:
    recency = 0.1 if latest and newest and latest[:10] >= newest[:10] else 0.0
    return round(min(0.95, 0.3 + 0.15 * n_sessions + 0.1 * strong + recency), 2)


class _ArtifactLines:
    """Every stating line of the active artifacts, indexed by content word (duplicate checks are lookups)."""

    def __init__(self, artifacts: list[Artifact]) -> None:
        self.rows: list[tuple[Artifact, int, str, frozenset[str]]] = []
        self.by_word: dict[str, list[int]] = {}
        for art in artifacts:
            for n, line in statement_lines(art.body):
                toks = tokens(line)
                self.by_word_add(len(self.rows), toks)
                self.rows.append((art, n, line, toks))

    def by_word_add(self, i: int, toks: frozenset[str]) -> None:
        for w in toks:
            self.by_word.setdefault(w, []).append(i)

    def duplicate_of(self, line: str) -> tuple[Artifact, int, str] | None:
        toks = tokens(line)
        seen: set[int] = set()
        for w in toks:
            for i in self.by_word.get(w, ()):
                if i in seen:
                    continue
                seen.add(i)
                art, n, old, otoks = self.rows[i]
                if similarity(otoks, toks) >= DUPLICATE_SIMILARITY and not conflict_word(line, old):
                    return art, n, old
        return None


def _artifact_line_index(artifacts: list[Artifact]) -> _ArtifactLines:
    return _ArtifactLines(artifacts)


def _where(art: Artifact, n: int) -> str:
    source = str(art.meta.get("source") or art.title or art.name)
    return f"{source} line {n}" if art.meta.get("layout") in ("document", "file") else f"{art.kind} '{art.name}'"


def _cluster_proposals(
    cl: Cluster, lines_index: _ArtifactLines, tool_calls: list[tuple[str, Call]], ledger: Ledger
) -> list[Proposal]:
    rep = cl.representative()
    n = len(cl.sessions)
    polarity = cl.polarity()
    strong = any(s.strong for s in cl.statements)
    temporal = all(s.temporal for s in cl.statements)
    # a correction that swapped the tool the agent ran for another of its kind ("use pnpm" after `npm
    # install`) is project knowledge even from one session (as a memory)
    swapped = bool(cl.swaps()) or any(same_family(a, b) for a, b in cl.pairs())
    worded = [s for s in cl.statements if s.basis != "method"]
    method = not worded
    if method:
        # how a kind of work is done (a named skill or helper): several sessions, and at least once the person
        # asked for it after the agent had worked without it
        eligible = n >= MIN_SESSIONS_DURABLE and any(s.after not in ("", "start") for s in cl.statements)
    else:
        eligible = (
            n >= 2
            or swapped
            or any(s.general or s.temporal or s.kind == "request" or s.polarity == "prefer" for s in worded)
        )
    if not eligible:
        why = (
            f"below threshold: a way of working asked for in {n} of {MIN_SESSIONS_DURABLE} sessions"
            + ("" if n < MIN_SESSIONS_DURABLE else ", never right after the agent worked without it")
            if method
            else f"below threshold: a one-off correction ({n} of {MIN_SESSIONS_DURABLE} sessions, no 'always', "
            "'never' or 'here' to say it lasts)"
        )
        for s in cl.statements:
            ledger.dropped(s.session_id, s.uuid, why)
        return []
    if method:
        rep = replace(rep, line=method_lesson([s.line for s in cl.statements]))
    lines = [rep.line]
    pair = next(((a, b) for a, b in sorted(cl.pairs()) if same_family(a, b)), None)
    if pair and len(tokens(rep.line)) < 3 and not has_word(rep.line.lower(), pair[1]):
        lines = [f"Use {pair[0]}, not {pair[1]}."]  # "nope. yarn" says more with what it replaces
    dirs = cl.forbid_dirs()
    for s in sorted(cl.statements, key=lambda s: s.ts):
        if method:
            break  # one line says the whole way of working
        if any(names_folder(rep.line, d) and names_file_in(s.line, d) and not names_folder(s.line, d) for d in dirs):
            continue  # one file of a guarded folder adds nothing to the rule about the folder
        if all(similarity(tokens(s.line), tokens(l)) < 0.5 for l in lines) and len(lines) < 2 and not s.temporal:
            lines.append(s.line)
    # duplicate of something the workspace already says → nothing to add
    dup = lines_index.duplicate_of(rep.line)
    if dup is not None:
        art, line_no, old = dup
        for s in cl.statements:
            ledger.dropped(s.session_id, s.uuid, f"duplicate of {_where(art, line_no)}: '{quote(old.strip(), 70)}'")
        return []
    kind: Kind
    if n >= MIN_SESSIONS_DURABLE and not temporal:
        kind = "rule" if strong and polarity in ("must", "must_not") else "instinct"
    elif any(s.basis == "rule_request" for s in cl.statements) and not temporal:
        kind = "rule"  # the person asked for a standing instruction and said what it is
    else:
        kind = "memory"
    scope: Scope
    paths: list[str]
    scope, paths = ("path", [_glob(d) for d in dirs]) if dirs and kind != "memory" else ("project", [])
    body = "\n".join(lines)
    newest = max((s.ts for s in cl.statements), default="")
    evidence = [evidence_of(s) for s in sorted(cl.statements, key=lambda s: s.ts)][:8]
    said = "Correction" if rep.kind == "correction" else "Request"
    if method:
        said = "A way of working asked for"
    elif any(s.basis == "rule_request" for s in cl.statements):
        said = "A standing instruction the person asked to record,"
    elif any(s.basis == "recorded" for s in cl.statements):
        noted = next(s.prior for s in cl.statements if s.basis == "recorded")
        said = f"A lesson the person asked to record, as the agent wrote it ({noted.target if noted else 'a note'}),"
    elif any(s.basis == "learned_by_failing" for s in cl.statements):
        said = "How this environment is set up, said right after the agent's command failed;"
    elif any(s.basis == "refused_shortcut" for s in cl.statements):
        said = "A shortcut the person refused (fix the cause, not around it),"
    why = f"{said} stated in {n} session{'s' if n != 1 else ''} ({', '.join(x[:8] for x in cl.sessions[:5])}); " + (
        "one session supports at most a memory."
        if kind == "memory"
        else "asked for as an instruction, so a rule."
        if n < MIN_SESSIONS_DURABLE
        else f"repeated, so {'an' if kind[0] in 'aeiou' else 'a'} {kind}."
    )
    labels: list[Label] = []
    for s in cl.statements:
        for old in s.superseded:
            labels.append(
                Label(
                    "contradiction_drift",
                    "info",
                    f"newer evidence (session {s.session_id[:8]}, event {s.uuid[:8]}) wins over "
                    f"the older statement '{quote(old, 80)}'",
                )
            )
    lesson = Proposal(
        id="",
        action="add",
        kind=kind,
        scope=scope,
        paths=paths,
        title=title_of(lines[0]),
        body=body,
        confidence=_confidence(n, strong, newest, newest),
        rationale=why,
        evidence=evidence,
        labels=labels,
        meta={"signal": "statement", "sessions": n},
    )
    out = [lesson]
    for s in cl.statements:
        ledger.kept(s.session_id, s.uuid, lesson, f"{s.turn or s.kind} in {n} session(s) → {kind}")
    # a never / do-not about edits that the agent broke after it was said → hook
    if polarity == "must_not" and dirs:
        hook = _hook(cl, rep, dirs, evidence, tool_calls, n)
        if hook is not None:
            out.append(hook)
    return out


def _hook(
    cl: Cluster, rep: Statement, dirs: list[str], evidence: list[Evidence], tool_calls: list[tuple[str, Call]], n: int
) -> Proposal | None:
    globs = [_glob(d) for d in dirs]
    first = cl.first
    violations = [(sid, c) for sid, c in tool_calls if c.tool in EDIT_TOOLS and hooks.path_matches(c.target, globs)]
    after = [(sid, c) for sid, c in violations if c.ts > first]
    if not after:
        return None
    reason = f"{rep.line} (Reverie hook from {n} session{'s' if n != 1 else ''})"
    script = hooks.path_guard_script(globs, reason)
    ev = evidence + [
        Evidence(
            session_id=sid, event_uuid=c.uuid, timestamp=c.ts, trust="agent", quote=quote(f"{c.tool} {c.target}", 160)
        )
        for sid, c in after[:4]
    ]
    return Proposal(
        id="",
        action="add",
        kind="hook",
        scope="project",
        paths=[],
        title=f"Block edits {'to' if globs == dirs else 'under'} {', '.join(dirs)}",
        body=script,
        confidence=min(0.9, 0.5 + 0.1 * len(after) + 0.1 * n),
        rationale=(
            f"'{quote(rep.line, 100)}' was stated in session {cl.statements[0].session_id[:8]} "
            f"and violated {len(after)} time(s) afterwards; a hook enforces it outside the model."
        ),
        evidence=ev,
        meta={
            "event": "PreToolUse",
            "matcher": hooks.EDIT_MATCHER,
            "timeout": 10,
            "replay": {"violations": [c.uuid for _, c in violations]},
            "signal": "violation",
        },
    )


# --- environment, external --------------------------------------------------------------


def _home_sessions(signals: list[SessionSignals], workspace: Path) -> list[SessionSignals]:
    """The sessions that ran in this workspace (or, when none did, in the most frequent cwd):
    environment facts from several projects must not be mixed into one memory."""
    root = str(workspace).rstrip("/")
    mine = [s for s in signals if s.cwd.rstrip("/") == root or s.cwd.startswith(root + "/")]
    if mine:
        return mine
    counts: dict[str, int] = {}
    for s in signals:
        counts[s.cwd] = counts.get(s.cwd, 0) + 1
    if len(counts) <= 1:
        return signals
    top = max(sorted(counts), key=lambda c: counts[c])
    return [s for s in signals if s.cwd == top]


def _environment(
    signals: list[SessionSignals], clusters: list[Cluster], artifacts: list[Artifact], proposals: list[Proposal]
) -> Proposal | None:
    seen: dict[tuple[str, str], list[tuple[str, Any]]] = {}
    for sig in signals:
        for f in sig.facts:
            seen.setdefault((f.category, f.value), []).append((sig.session_id, f))
    rejected = {w for c in clusters for w in c.rejected()}
    known = (" ".join(a.body for a in artifacts) + " " + " ".join(p.body for p in proposals)).lower()
    known_norms = {normalize_command(c) for c in re.findall(r"`([^`\n]{2,200})`", known)}
    documented = " ".join(a.body for a in artifacts).lower()
    picked: dict[str, tuple[str, list[tuple[str, Any]]]] = {}
    for (cat, value), hits in seen.items():
        if len({sid for sid, _ in hits}) < MIN_SESSIONS_DURABLE or program(value) in rejected:
            continue
        if value.lower() in known_norms or has_word(known, value.lower()):
            continue
        if has_word(documented, program(value).lower()):
            continue  # the project's own notes already name the tool: they say how to use it
        if cat not in picked or len(hits) > len(picked[cat][1]):
            picked[cat] = (value, hits)
    if not picked:
        return None
    names = {"package_manager": "Package manager", "test_command": "Run the tests with", "build_command": "Build with"}
    lines, evidence = [], []
    for cat in ("package_manager", "test_command", "build_command"):
        if cat in picked:
            value, hits = picked[cat]
            shown = value if cat == "package_manager" else f"`{value}`"
            lines.append(f"- {names[cat]}: {shown} (worked in {len({s for s, _ in hits})} sessions)")
            evidence += [
                Evidence(session_id=sid, event_uuid=f.uuid, timestamp=f.ts, trust="agent", quote=value)
                for sid, f in hits[:3]
            ]
    return Proposal(
        id="",
        action="add",
        kind="memory",
        scope="project",
        title="Project environment",
        body="Environment facts confirmed by successful runs:\n" + "\n".join(lines) + "\n",
        confidence=0.6,
        rationale="Commands that succeeded in several sessions.",
        evidence=evidence,
        meta={"signal": "environment", "description": "Package manager, test and build commands"},
    )


def _external(statements: list[Statement]) -> list[Proposal]:
    out: list[Proposal] = []
    for st in statements:
        if any(similarity(tokens(st.line), tokens(p.body)) >= 0.8 for p in out):
            continue
        out.append(
            Proposal(
                id="",
                action="add",
                kind="memory",
                scope="project",
                title=title_of(st.line),
                body=st.line,
                confidence=0.2,
                rationale=(
                    f"Instruction-like text arrived through {st.tool or 'a tool'} output "
                    f"({st.trust} trust) in session {st.session_id[:8]}; shown so a person can see it, "
                    "never to be applied as is."
                ),
                evidence=[evidence_of(st)],
                meta={"signal": "external_instruction"},
            )
        )
    return out
