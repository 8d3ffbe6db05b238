"""Every truth file parses, and every predicate does what its author meant.

The content checks run without ../shared; the evidence checks read the
corpora in place and skip with a reason when they are absent (a fresh clone).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realdata_truth.corpus import shared_root
from tests.realdata_truth.truth import (
    ExpectedEdit,
    Lesson,
    Predicate,
    Trap,
    TruthFile,
    glob_matches,
    load_truth,
    truth_paths,
)

PATHS = truth_paths()
IDS = [p.stem for p in PATHS]


@pytest.fixture(scope="module", params=PATHS, ids=IDS)
def truth(request: pytest.FixtureRequest) -> TruthFile:
    return load_truth(request.param)


def test_the_expected_corpora_are_there() -> None:
    splits = {p.stem: load_truth(p).split for p in PATHS}
    assert splits.pop("JanDeDobbeleer__oh-my-posh") == "heldout"
    assert "FSM1__cipher-box" in splits and set(splits.values()) == {"dev"}


def test_lesson_predicates_match_their_statement_and_paraphrases(truth: TruthFile) -> None:
    misses = [
        f"{lesson.id}: {text!r}"
        for lesson in truth.lessons
        for text in (lesson.statement, *lesson.paraphrases)
        if not lesson.match.matches(text)
    ]
    assert not misses


def test_trap_predicates_match_their_quote(truth: TruthFile) -> None:
    assert not [t.id for t in truth.traps if not t.match.matches(t.quote)]


def test_traps_and_lessons_do_not_overlap(truth: TruthFile) -> None:
    """Specific enough: a trap never claims a lesson's phrasing and a lesson never claims a trap's quote."""
    crossings = [
        f"trap {t.id} matches lesson {l.id}: {text!r}"
        for l in truth.lessons
        for text in (l.statement, *l.paraphrases)
        for t in truth.traps
        if t.match.matches(text)
    ]
    crossings += [
        f"lesson {l.id} matches trap {t.id}" for t in truth.traps for l in truth.lessons if l.match.matches(t.quote)
    ]
    assert not crossings


def test_lessons_do_not_claim_each_others_statements(truth: TruthFile) -> None:
    lessons = truth.lessons
    claims = [f"{b.id} claims {a.id}" for a in lessons for b in lessons if a is not b and b.match.matches(a.statement)]
    assert not claims


def test_expected_edits_name_their_lesson(truth: TruthFile) -> None:
    by_id = {l.id: l for l in truth.lessons}
    for edit in truth.expected_edits:
        assert edit.lesson in by_id
        assert edit.match.matches(by_id[edit.lesson].statement), edit.id


def test_schema_rejects_bad_files(tmp_path: Path) -> None:
    good = PATHS[0].read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(good + "\nunknown_key: 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.yaml"):
        load_truth(bad)
    with pytest.raises(ValueError, match="does not compile"):
        Predicate(all=["(unclosed"])


def test_two_sentence_limit_is_enforced() -> None:
    base = load_truth(PATHS[0]).model_dump()
    lesson = next(x for t in PATHS for x in load_truth(t).model_dump()["lessons"])
    lesson = {**lesson, "statement": "One thing. Another thing. A third thing."}
    with pytest.raises(ValueError, match="more than 2 sentences"):
        TruthFile.model_validate({**base, "lessons": [lesson], "expected_edits": []})


def test_globs() -> None:
    assert glob_matches(".claude/**", ".claude/agents/gsd-planner.md")
    assert glob_matches("CLAUDE.md", "CLAUDE.md")
    assert not glob_matches("CLAUDE.md", "apps/web/CLAUDE.md")
    assert glob_matches("**/CLAUDE.md", "apps/web/CLAUDE.md")
    assert not glob_matches(".claude/*", ".claude/commands/gsd/quick.md")
    assert glob_matches(".claude", ".claude/settings.json")


# --- against the data, in place -------------------------------------------------


def _corpus(truth: TruthFile) -> Path:
    root = shared_root()
    if root is None or not (root / truth.corpus_dir).is_dir():
        pytest.skip(f"../shared/{truth.corpus_dir} not found (fresh clone): evidence check skipped")
    return root / truth.corpus_dir


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


@pytest.mark.realdata
def test_corpus_layout_exists(truth: TruthFile) -> None:
    corpus = _corpus(truth)
    assert all((corpus / t).is_dir() for t in truth.transcripts)
    if truth.tree is not None:
        assert (corpus / truth.tree).is_dir()
    base = corpus / truth.tree if truth.tree else corpus
    for pattern in truth.protected:
        hits = [p for p in base.rglob("*") if p.is_file() and glob_matches(pattern, p.relative_to(base).as_posix())]
        assert hits, f"protected pattern {pattern!r} matches no file of {truth.corpus}"


@pytest.mark.realdata
def test_evidence_names_real_records(truth: TruthFile) -> None:
    """Each cited file exists; a cited event uuid is on the cited line; a cited session id is in the file."""
    corpus = _corpus(truth)
    items: list[Lesson | Trap | ExpectedEdit] = [*truth.lessons, *truth.traps, *truth.expected_edits]
    problems = []
    cache: dict[Path, list[str]] = {}
    for item in items:
        for ev in item.evidence:
            found = [corpus / t / ev.file for t in truth.transcripts if (corpus / t / ev.file).is_file()]
            if not found:
                problems.append(f"{item.id}: {ev.file} not found")
                continue
            lines = cache.setdefault(found[0], _lines(found[0]))
            if ev.line > len(lines):
                problems.append(f"{item.id}: {ev.file} has no line {ev.line}")
                continue
            if ev.event and ev.event not in lines[ev.line - 1]:
                problems.append(f"{item.id}: event {ev.event} is not on {ev.file}:{ev.line}")
            if ev.session and not any(ev.session in line for line in [*lines[:50], lines[ev.line - 1]]):
                problems.append(f"{item.id}: session {ev.session} not in {ev.file}")
    assert not problems
