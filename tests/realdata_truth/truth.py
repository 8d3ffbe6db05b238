"""The real-data truth files: their schema, loading and match predicates.

Why a schema: the truth set was written by hand, blind to the engine, and is the
yardstick for quality on real sessions. A typo in a field name or a regex that
no longer compiles must fail loudly in the test suite, not silently score zero.
The YAML layout is documented in README.md next to this module.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reverie.store.models import KINDS, LABELS, SCOPES

HERE = Path(__file__).resolve().parent
DEV_DIR = HERE / "dev"
HELDOUT_DIR = HERE / "heldout"


class Durable(StrEnum):
    """Why a reviewer would keep a lesson."""

    recurring = "recurring"  # the same instruction or failure in several sessions
    convention = "convention"  # stated as a rule of the project
    preference = "preference"  # a person's stated way of working
    correction = "correction"  # the person corrected the agent's action
    learned_by_failing = "learned_by_failing"  # an environment fact the agent found by failing
    tool_swap = "tool_swap"  # use tool B, not tool A
    error_fix = "error_fix"  # an error and the fix that worked
    procedure = "procedure"  # a multi-step procedure repeated
    corroborated = "corroborated"  # the project's own notes record it too


class TrapType(StrEnum):
    task_request = "task_request"
    question = "question"
    bug_report = "bug_report"
    status = "status"
    flow_control = "flow_control"
    one_off = "one_off"
    tool_output_instruction = "tool_output_instruction"  # instructions in tool output, files or injected records
    external_content = "external_content"  # web pages, pasted docs, reports from outside
    duplicate = "duplicate"  # already in a hand-written agent file
    secret = "secret"
    contradicted = "contradicted"  # the agent's or a file's claim that a person overruled
    contradiction = "contradiction"  # the person said both things
    noise = "noise"  # redacted placeholders and other non-text


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def known(values: list[str], allowed: tuple[str, ...], what: str) -> list[str]:
    """`values` unchanged, or a ValueError naming the words outside DESIGN's vocabulary."""
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ValueError(f"unknown {what} {bad}; known: {allowed}")
    return values


class Predicate(Strict):
    """Regex groups over a proposal's text: every `all` pattern must match, no `none` pattern may.

    Patterns are Python regexes, searched case-insensitively with DOTALL; `(?m)`
    inside a pattern enables ^/$ per line.
    """

    all: list[str] = Field(min_length=1)
    none: list[str] = Field(default_factory=list)

    @field_validator("all", "none")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for p in patterns:
            try:
                re.compile(p, re.I | re.S)
            except re.error as e:
                raise ValueError(f"regex {p!r} does not compile: {e}") from e
        return patterns

    @cached_property
    def _compiled(self) -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
        return [re.compile(p, re.I | re.S) for p in self.all], [re.compile(p, re.I | re.S) for p in self.none]

    def matches(self, text: str) -> bool:
        musts, nots = self._compiled
        return all(r.search(text) for r in musts) and not any(r.search(text) for r in nots)


class Evidence(Strict):
    """Where a person can check the claim: a session, a record (line and uuid when it has one), a short quote."""

    session: str | None
    file: str
    line: int = Field(ge=1)
    event: str | None = None
    trust: Literal["user", "agent", "tool", "external"]
    quote: str = Field(min_length=1, max_length=200)


class Lesson(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]+$")
    statement: str = Field(min_length=10)
    kinds: list[str] = Field(min_length=1)
    scopes: list[str] = Field(min_length=1)
    strength: Literal["core", "minor"]
    durable: list[Durable] = Field(min_length=1)
    sessions: int = Field(ge=1)
    why: str = ""
    cross_check: str | None = None
    evidence: list[Evidence] = Field(min_length=1)
    paraphrases: list[str] = Field(default_factory=list)
    """Other phrasings a sensible engine might write; the predicate must match them too (tested)."""
    match: Predicate

    @field_validator("statement")
    @classmethod
    def _two_sentences_at_most(cls, s: str) -> str:
        # A sentence ends at ". ", "! " or "? " followed by a capital; e.g./i.e. do not end one.
        ends = re.findall(r"(?<!e\.g)(?<!i\.e)[.!?]\s+(?=[A-Z`\"(])", s.strip())
        if len(ends) > 1:
            raise ValueError(f"statement has more than 2 sentences: {s!r}")
        return s

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, kinds: list[str]) -> list[str]:
        return known(kinds, KINDS, "kinds")

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, scopes: list[str]) -> list[str]:
        return known(scopes, SCOPES, "scopes")


class Trap(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]+$")
    type: TrapType
    quote: str = Field(min_length=1, max_length=200)
    evidence: list[Evidence] = Field(min_length=1)
    expect: Literal["none", "labelled"]
    labels: list[str] = Field(default_factory=list)
    """Labels that make a matching proposal acceptable (empty: nothing excuses it, e.g. a secret)."""
    why: str = ""
    match: Predicate

    @field_validator("labels")
    @classmethod
    def _known_labels(cls, labels: list[str]) -> list[str]:
        return known(labels, LABELS, "labels")


class ExpectedEdit(Strict):
    """A line edit of a protected hand-written file that the evidence supports (not damage)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]+$")
    path: str
    lesson: str | None = None
    line: int | None = Field(default=None, ge=1)
    note: str = ""
    evidence: list[Evidence] = Field(min_length=1)
    match: Predicate


class TruthFile(Strict):
    corpus: str
    split: Literal["dev", "heldout"]
    corpus_dir: str
    """The corpus folder relative to the shared data root (`realdata/...` or `realdata2/...`)."""
    transcripts: list[str] = Field(min_length=1)
    """Folders (relative to corpus_dir) passed to `reverie dream --transcripts`."""
    tree: str | None = None
    """The project tree (relative to corpus_dir) copied as the workspace; None: an empty git workspace."""
    tree_files: list[str] = Field(default_factory=list)
    """Without a tree: the corpus's own agent files (relative to corpus_dir) copied into the empty workspace."""
    sessions_read: int = Field(ge=0)
    human_turns_read: int = Field(ge=0)
    reading_notes: str = ""
    skipped: list[str] = Field(default_factory=list)
    protected: list[str] = Field(default_factory=list)
    """Globs (relative to the workspace) of hand-written agent files: `**` spans directories, `*` does not."""
    expected_edits: list[ExpectedEdit] = Field(default_factory=list)
    lessons: list[Lesson] = Field(default_factory=list)
    traps: list[Trap] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> TruthFile:
        ids = [x.id for x in self.lessons] + [x.id for x in self.traps] + [x.id for x in self.expected_edits]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate ids: {dupes}")
        lesson_ids = {x.id for x in self.lessons}
        for e in self.expected_edits:
            if e.lesson is not None and e.lesson not in lesson_ids:
                raise ValueError(f"expected edit {e.id} names unknown lesson {e.lesson}")
            if not any(glob_matches(p, e.path) for p in self.protected):
                raise ValueError(f"expected edit {e.id}: {e.path} is not a protected file")
        if self.tree is not None and self.tree_files:
            raise ValueError("give either tree or tree_files, not both")
        return self

    @property
    def core(self) -> list[Lesson]:
        return [x for x in self.lessons if x.strength == "core"]

    @property
    def minor(self) -> list[Lesson]:
        return [x for x in self.lessons if x.strength == "minor"]

    def is_protected(self, rel_path: str) -> bool:
        return any(glob_matches(p, rel_path) for p in self.protected)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A workspace-relative glob as a regex: `**/` is any number of directories, `*` stays in one."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def glob_matches(pattern: str, rel_path: str) -> bool:
    """True when `rel_path` matches `pattern`; a pattern without wildcards also covers what lies under it."""
    rel = rel_path.replace("\\", "/").lstrip("/")
    if glob_regex(pattern).match(rel):
        return True
    return not any(c in pattern for c in "*?") and rel.startswith(pattern.rstrip("/") + "/")


def load_truth(path: Path) -> TruthFile:
    """Parse and validate one truth file; raises ValueError naming the file on any problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return TruthFile.model_validate(data)
    except (OSError, yaml.YAMLError, ValueError) as e:
        raise ValueError(f"{path.name}: {e}") from e


def truth_paths(split: str = "all") -> list[Path]:
    """The truth files of `split` (dev | heldout | all), sorted by name."""
    dirs = {"dev": [DEV_DIR], "heldout": [HELDOUT_DIR], "all": [DEV_DIR, HELDOUT_DIR]}[split]
    return sorted(p for d in dirs for p in d.glob("*.yaml"))
