"""Score a dream's proposals against a real-data truth file.

Why here and not in the engine: the truth set is a yardstick written blind to
the engine; keeping its scorer next to it (and out of `reverie.*`) means the
engine can never import its way to a good score.

Definitions (README.md has the long form):
- precision: proposals matching at least one lesson ÷ all proposals; the
  unmatched ones are listed for a person to audit.
- recall: core lessons matched by at least one proposal ÷ core lessons; minor
  lessons are reported separately; `recall_strict` also requires an acceptable
  kind and scope.
- traps persisted unlabelled: traps with a matching proposal that carries none
  of the trap's accepted labels (a secret trap accepts no label at all).
- damaging updates: proposals that change a protected hand-written file (an
  update/retire/merge/… targeting it, line edits naming it, or an add that does
  not keep the existing text as a prefix) and match no expected edit.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.realdata_truth.truth import ExpectedEdit, Lesson, Trap, TruthFile, glob_matches

APPEND_ONLY_ACTIONS = frozenset({"add"})
"""Actions that may only append to an existing file; every other action on a protected file is a change of it."""


@dataclass(frozen=True)
class ProposalView:
    """The fields of one `reverie dream --json` proposal the scorer needs, read defensively."""

    index: int
    id: str
    action: str
    kind: str
    scope: str
    title: str
    body: str
    target: str
    before: str
    after: str
    labels: frozenset[str]
    edit_paths: tuple[str, ...]
    edit_lines: tuple[str, ...] = ()
    """The `old` and `new` lines of the proposal's line edits."""

    @property
    def text(self) -> str:
        """What predicates are matched against.

        An `add` is its title and body. Any other action is judged by what it
        changes (its line edits, or the lines its diff adds and removes), never by
        the whole file it rewrites: an update of a 300-line command file would
        otherwise "match" every lesson some line of that file happens to mention.
        """
        if self.action in APPEND_ONLY_ACTIONS:
            return f"{self.title}\n{self.body}"
        return self.changed_lines

    @property
    def changed_lines(self) -> str:
        if self.edit_lines:
            return "\n".join(self.edit_lines)
        diff = difflib.ndiff(self.before.splitlines(), self.after.splitlines())
        return "\n".join(line[2:] for line in diff if line[:2] in ("+ ", "- "))

    @property
    def changed_text(self) -> str:
        """What an expected edit is matched against: for an `add`, its title, body and
        diff; for any other action only the lines it changes (the body of an update is
        the whole file, which mentions everything)."""
        if self.action not in APPEND_ONLY_ACTIONS:
            return self.changed_lines
        return "\n".join([self.title, self.body, self.changed_lines])

    def short(self) -> str:
        return f"{self.action} {self.kind}/{self.scope}: {self.title[:90]}"

    @classmethod
    def of(cls, index: int, p: Mapping[str, Any]) -> ProposalView:
        labels = frozenset(str(l.get("label")) for l in p.get("labels") or [] if isinstance(l, Mapping))
        edits: list[Any] = []
        for holder in (p, p.get("meta") or {}):
            if isinstance(holder, Mapping) and isinstance(holder.get("edits"), list):
                edits += holder["edits"]
        edits = [e for e in edits if isinstance(e, Mapping)]
        paths = tuple(str(e.get("path")) for e in edits if e.get("path"))
        lines = tuple(str(x) for e in edits for key in ("old", "new") for x in (e.get(key) or []))
        return cls(
            index=index,
            id=str(p.get("id") or f"#{index}"),
            action=str(p.get("action") or "add"),  # the proposals-file default
            kind=str(p.get("kind") or ""),
            scope=str(p.get("scope") or ""),
            title=str(p.get("title") or ""),
            body=str(p.get("body") or ""),
            target=str(p.get("target") or ""),
            before=str(p.get("before") or ""),
            after=str(p.get("after") or ""),
            labels=labels,
            edit_paths=paths,
            edit_lines=lines,
        )


@dataclass
class LessonRow:
    id: str
    strength: str
    found: bool
    strict: bool
    proposals: list[str] = field(default_factory=list)


@dataclass
class TrapRow:
    id: str
    type: str
    persisted: list[str] = field(default_factory=list)
    unlabelled: list[str] = field(default_factory=list)


@dataclass
class Report:
    corpus: str
    split: str
    proposals: int = 0
    matched: int = 0
    duplicates: int = 0
    """Proposals matching only lessons an earlier proposal already matched."""
    core_total: int = 0
    core_found: int = 0
    core_found_strict: int = 0
    minor_total: int = 0
    minor_found: int = 0
    traps_total: int = 0
    traps_persisted: int = 0
    traps_unlabelled: int = 0
    damaging: list[str] = field(default_factory=list)
    expected_edits_made: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    lessons: list[LessonRow] = field(default_factory=list)
    traps: list[TrapRow] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return round(self.matched / self.proposals, 3) if self.proposals else None

    @property
    def recall(self) -> float | None:
        return round(self.core_found / self.core_total, 3) if self.core_total else None

    @property
    def recall_strict(self) -> float | None:
        return round(self.core_found_strict / self.core_total, 3) if self.core_total else None

    @property
    def recall_minor(self) -> float | None:
        return round(self.minor_found / self.minor_total, 3) if self.minor_total else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            precision=self.precision,
            recall=self.recall,
            recall_strict=self.recall_strict,
            recall_minor=self.recall_minor,
        )
        return data

    def summary(self) -> str:
        """One line: the four headline numbers with their counts."""

        def num(x: float | None) -> str:
            return "n/a" if x is None else f"{x:.2f}"

        return (
            f"{self.corpus} [{self.split}]: precision {num(self.precision)} ({self.matched}/{self.proposals}), "
            f"recall {num(self.recall)} ({self.core_found}/{self.core_total} core; strict {self.core_found_strict}; "
            f"minor {self.minor_found}/{self.minor_total}), traps persisted unlabelled "
            f"{self.traps_unlabelled}/{self.traps_total}, damaging updates {len(self.damaging)}"
        )

    def details(self) -> str:
        """The per-lesson and per-trap table, the unmatched proposals and the damaging ones."""
        out = [self.summary()]
        for row in self.lessons:
            mark = "found" if row.found else "MISSED"
            strict = "" if not row.found or row.strict else " (wrong kind/scope)"
            out.append(f"  lesson {row.id:<42} {row.strength:<5} {mark}{strict}")
            out += [f"      <- {p}" for p in row.proposals]
        for trap in self.traps:
            if trap.persisted:
                state = "UNLABELLED" if trap.unlabelled else "labelled"
                out.append(f"  trap   {trap.id:<42} {trap.type:<23} persisted, {state}")
                out += [f"      <- {p}" for p in trap.persisted]
        out += [f"  DAMAGING {d}" for d in self.damaging]
        out += [f"  expected edit made: {e}" for e in self.expected_edits_made]
        out += [f"  unmatched {u}" for u in self.unmatched]
        return "\n".join(out)


def relative_target(target: str, workspace: Path | None) -> str | None:
    """The target relative to the workspace, or None when it lies outside (e.g. the auto-memory dir)."""
    if not target:
        return None
    path = Path(target.replace("…/", ""))
    if not path.is_absolute():
        return path.as_posix()
    if workspace is None:
        return None
    try:
        return path.resolve().relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return None


def _appends_only(p: ProposalView) -> bool:
    """True when `after` keeps all of `before` unchanged in front (Reverie may only append its block)."""
    before = p.before.rstrip("\n")
    return not before or p.after.startswith(before)


def touched_protected(p: ProposalView, truth: TruthFile, workspace: Path | None) -> list[str]:
    """The protected files this proposal changes (beyond appending to them)."""
    hits = []
    rel = relative_target(p.target, workspace)
    changes = p.action not in APPEND_ONLY_ACTIONS or not _appends_only(p)
    if rel is not None and truth.is_protected(rel) and changes:
        hits.append(rel)
    for path in p.edit_paths:
        rel_edit = relative_target(path, workspace)
        if rel_edit is not None and truth.is_protected(rel_edit) and rel_edit not in hits:
            hits.append(rel_edit)
    return hits


def _expected_edit(p: ProposalView, paths: list[str], edits: Sequence[ExpectedEdit]) -> ExpectedEdit | None:
    for e in edits:
        if all(glob_matches(e.path, path) for path in paths) and e.match.matches(p.changed_text):
            return e
    return None


def _kind_scope_ok(lesson: Lesson, p: ProposalView) -> bool:
    return p.kind in lesson.kinds and p.scope in lesson.scopes


def score(proposals: Sequence[Mapping[str, Any]], truth: TruthFile, workspace: Path | None = None) -> Report:
    """Score `proposals` (the `proposals` list of `reverie dream --json`) against `truth`.

    `workspace` lets absolute targets be read relative to the dreamed workspace;
    without it only relative targets can touch protected files.
    """
    views = [ProposalView.of(i, p) for i, p in enumerate(proposals)]
    report = Report(corpus=truth.corpus, split=truth.split, proposals=len(views))
    matched_by: dict[str, list[ProposalView]] = {x.id: [] for x in truth.lessons}
    credited: set[str] = set()
    expected_hits: dict[int, ExpectedEdit] = {}

    for p in views:
        hits = [x for x in truth.lessons if x.match.matches(p.text)]
        touched = touched_protected(p, truth, workspace)
        expected = _expected_edit(p, touched, truth.expected_edits) if touched else None
        if expected is not None:
            expected_hits[p.index] = expected
            report.expected_edits_made.append(f"{expected.id} <- {p.short()}")
            if expected.lesson and all(x.id != expected.lesson for x in hits):
                hits += [x for x in truth.lessons if x.id == expected.lesson]
        elif touched:
            report.damaging.append(f"{p.short()} -> {', '.join(touched)}")
            hits = []  # a damaging change is never a kept lesson, whatever its text mentions
        for lesson in hits:
            matched_by[lesson.id].append(p)
        if hits:
            report.matched += 1
            if all(x.id in credited for x in hits):
                report.duplicates += 1
            credited.update(x.id for x in hits)
        else:
            report.unmatched.append(p.short())

    for lesson in truth.lessons:
        ps = matched_by[lesson.id]
        strict = any(_kind_scope_ok(lesson, p) or p.index in expected_hits for p in ps)
        report.lessons.append(LessonRow(lesson.id, lesson.strength, bool(ps), strict, [p.short() for p in ps]))
        if lesson.strength == "core":
            report.core_total += 1
            report.core_found += bool(ps)
            report.core_found_strict += strict
        else:
            report.minor_total += 1
            report.minor_found += bool(ps)

    report.traps_total = len(truth.traps)
    for trap in truth.traps:
        row = _trap_row(trap, views)
        report.traps.append(row)
        report.traps_persisted += bool(row.persisted)
        report.traps_unlabelled += bool(row.unlabelled)
    return report


def _trap_row(trap: Trap, views: Sequence[ProposalView]) -> TrapRow:
    row = TrapRow(trap.id, trap.type.value)
    accepted = set(trap.labels)
    for p in views:
        if trap.match.matches(p.text):
            row.persisted.append(p.short())
            if not (p.labels & accepted):
                row.unlabelled.append(p.short())
    return row


def combine(reports: Sequence[Report], corpus: str, split: str) -> Report:
    """Sum several corpus reports into one (lists are concatenated, ratios recomputed)."""
    total = Report(corpus=corpus, split=split)
    for r in reports:
        for name in (
            "proposals",
            "matched",
            "duplicates",
            "core_total",
            "core_found",
            "core_found_strict",
            "minor_total",
            "minor_found",
            "traps_total",
            "traps_persisted",
            "traps_unlabelled",
        ):
            setattr(total, name, getattr(total, name) + getattr(r, name))
        total.damaging += [f"{r.corpus}: {d}" for d in r.damaging]
        total.unmatched += [f"{r.corpus}: {u}" for u in r.unmatched]
    return total
