"""The scorer on synthetic proposals: each number can go wrong, so each is pinned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.realdata_truth.score import combine, score
from tests.realdata_truth.truth import TruthFile

EV = [{"session": "s1", "file": "a.jsonl", "line": 3, "trust": "user", "quote": "use pnpm, not npm"}]


def truth(**over: Any) -> TruthFile:
    data: dict[str, Any] = {
        "corpus": "synthetic",
        "split": "dev",
        "corpus_dir": "realdata/synthetic",
        "transcripts": ["transcripts"],
        "tree": "tree",
        "sessions_read": 2,
        "human_turns_read": 5,
        "protected": ["CLAUDE.md", ".claude/**"],
        "lessons": [
            {
                "id": "pnpm",
                "statement": "Use pnpm, not npm, in this repo.",
                "kinds": ["instinct", "rule"],
                "scopes": ["project"],
                "strength": "core",
                "durable": ["recurring"],
                "sessions": 2,
                "evidence": EV,
                "match": {"all": [r"\bpnpm\b"]},
            },
            {
                "id": "docker-host",
                "statement": "Postgres runs on the docker host 10.0.0.5.",
                "kinds": ["memory"],
                "scopes": ["project"],
                "strength": "core",
                "durable": ["learned_by_failing"],
                "sessions": 1,
                "evidence": EV,
                "match": {"all": [r"10\.0\.0\.5|docker host", "postgres"]},
            },
            {
                "id": "flaky",
                "statement": "The sharing e2e test is flaky.",
                "kinds": ["memory"],
                "scopes": ["project"],
                "strength": "minor",
                "durable": ["error_fix"],
                "sessions": 1,
                "evidence": EV,
                "match": {"all": ["flak", "e2e"]},
            },
        ],
        "traps": [
            {
                "id": "for-now",
                "type": "one_off",
                "quote": "for now just show [anon]",
                "evidence": EV,
                "expect": "none",
                "labels": ["false_persistence"],
                "match": {"all": [r"\[anon\]"]},
            },
            {
                "id": "otp",
                "type": "secret",
                "quote": "OTP 123456",
                "evidence": EV,
                "expect": "none",
                "labels": [],
                "match": {"all": [r"\b123456\b"]},
            },
        ],
        "expected_edits": [
            {
                "id": "edit-npm-line",
                "path": "CLAUDE.md",
                "lesson": "pnpm",
                "evidence": EV,
                "match": {"all": [r"pnpm test"]},
            }
        ],
    }
    data.update(over)
    return TruthFile.model_validate(data)


def prop(title: str, body: str = "", **over: Any) -> dict[str, Any]:
    p: dict[str, Any] = {
        "id": f"p-{abs(hash(title)) % 10_000}",
        "action": "add",
        "kind": "instinct",
        "scope": "project",
        "title": title,
        "body": body,
        "target": "",
        "before": "",
        "after": "",
        "labels": [],
    }
    p.update(over)
    return p


def test_precision_recall_and_unmatched() -> None:
    r = score(
        [
            prop("Use pnpm instead of npm"),
            prop("The sharing e2e test is flaky", kind="memory"),
            prop("Refactor the cart module"),
        ],
        truth(),
    )
    assert (r.proposals, r.matched) == (3, 2)
    assert r.precision == pytest.approx(0.667)
    assert (r.core_found, r.core_total, r.recall) == (1, 2, 0.5)
    assert (r.minor_found, r.minor_total, r.recall_minor) == (1, 1, 1.0)
    assert r.unmatched == ["add instinct/project: Refactor the cart module"]
    rows = {row.id: row for row in r.lessons}
    assert rows["pnpm"].found and not rows["docker-host"].found


def test_strict_recall_needs_an_acceptable_kind_and_scope() -> None:
    r = score(
        [prop("Use pnpm", kind="memory", scope="global"), prop("Postgres is at 10.0.0.5", kind="memory")], truth()
    )
    assert r.core_found == 2
    assert r.core_found_strict == 1
    assert r.recall_strict == 0.5
    assert not {row.id: row for row in r.lessons}["pnpm"].strict


def test_repeats_of_a_matched_lesson_are_counted_as_duplicates() -> None:
    r = score([prop("Use pnpm"), prop("pnpm, never npm"), prop("Postgres on docker host")], truth())
    assert r.matched == 3
    assert r.duplicates == 1


def test_traps_unlabelled_versus_labelled() -> None:
    labelled = prop("Show [anon] for now", labels=[{"label": "false_persistence", "severity": "warn"}])
    r = score([labelled], truth())
    assert (r.traps_persisted, r.traps_unlabelled) == (1, 0)
    r = score([prop("Show [anon] when the email is missing")], truth())
    assert (r.traps_persisted, r.traps_unlabelled) == (1, 1)
    assert {t.id: t for t in r.traps}["for-now"].unlabelled


def test_a_secret_is_never_excused_by_a_label() -> None:
    leaked = prop("Login OTP is 123456", labels=[{"label": "secret_exposure", "severity": "block"}])
    r = score([leaked], truth())
    assert r.traps_unlabelled == 1


def test_update_of_a_protected_file_is_damaging(tmp_path: Path) -> None:
    target = tmp_path / "ws" / "CLAUDE.md"
    upd = prop("Remove stale line", action="update", target=str(target), before="a\nnull/undefined\n", after="a\n")
    r = score([upd], truth(), workspace=tmp_path / "ws")
    assert len(r.damaging) == 1 and "CLAUDE.md" in r.damaging[0]
    # outside the workspace (e.g. the auto-memory dir under HOME) is never protected
    home = prop("memory", action="update", target=str(tmp_path / "home/.claude/projects/x/memory/MEMORY.md"))
    assert score([home], truth(), workspace=tmp_path / "ws").damaging == []
    # a relative target needs no workspace
    assert len(score([prop("x", action="retire", target=".claude/agents/a.md")], truth()).damaging) == 1


def test_add_must_only_append_to_a_hand_written_file() -> None:
    before = "# Project\n- hand-written line\n"
    appended = prop("Use pnpm", target="CLAUDE.md", before=before, after=before + "<!-- reverie -->\n- x\n")
    wrapped = prop("Use pnpm", target="CLAUDE.md", before=before, after="### Update\n<!-- reverie -->\n" + before)
    assert score([appended], truth()).damaging == []
    assert len(score([wrapped], truth()).damaging) == 1


def test_line_edits_naming_a_protected_file_are_damaging() -> None:
    p = prop("Tidy", action="update", target="notes.md", meta={"edits": [{"path": ".claude/commands/x.md", "line": 3}]})
    r = score([p], truth())
    assert len(r.damaging) == 1 and ".claude/commands/x.md" in r.damaging[0]
    home = prop("Tidy", action="update", edits=[{"path": "~/.claude/CLAUDE.md", "line": 1, "old": ["a"], "new": []}])
    assert score([home], truth()).damaging == []


def test_an_expected_edit_is_recognised_from_its_line_edits() -> None:
    """The store's LineEdit shape: top-level `edits` with path, line, old and new lines."""
    edit = {"path": "CLAUDE.md", "line": 5, "old": ["- Run the tests with `npm test`."], "new": ["- Run `pnpm test`."]}
    p = prop("Tests now run with a different runner", action="update", kind="rule", target="CLAUDE.md", edits=[edit])
    r = score([p], truth())
    assert r.damaging == [] and r.expected_edits_made
    wrong = dict(edit, new=["- Deploy with heroku."], old=["- Keep components small."])
    assert len(score([dict(p, edits=[wrong])], truth()).damaging) == 1


def test_an_expected_edit_is_not_damage_and_credits_its_lesson() -> None:
    upd = prop(
        "Tests run with pnpm now",
        action="update",
        kind="rule",
        target="CLAUDE.md",
        before="- Run the tests with `npm test`.\n",
        after="- Run the tests with `pnpm test`.\n",
    )
    r = score([upd], truth())
    assert r.damaging == []
    assert r.expected_edits_made and r.expected_edits_made[0].startswith("edit-npm-line")
    assert {row.id: row for row in r.lessons}["pnpm"].strict
    other = prop("Drop a line", action="update", target="CLAUDE.md", before="- Deploy to heroku\n", after="")
    assert len(score([other], truth()).damaging) == 1


def test_no_proposals() -> None:
    r = score([], truth())
    assert r.precision is None
    assert r.recall == 0.0
    assert r.traps_unlabelled == 0 and r.damaging == []


def test_combine_and_report_text() -> None:
    a = score([prop("Use pnpm"), prop("noise")], truth())
    b = score([prop("Show [anon]")], truth(corpus="other"))
    total = combine([a, b], "dev", "dev")
    assert (total.proposals, total.matched, total.core_total, total.traps_unlabelled) == (3, 1, 4, 1)
    assert total.precision == pytest.approx(0.333)
    assert "precision 0.50 (1/2)" in a.summary()
    assert "MISSED" in a.details() and "unmatched add instinct/project: noise" in a.details()
    assert a.to_dict()["recall"] == 0.5


def test_malformed_proposals_do_not_crash_the_scorer() -> None:
    r = score([{"title": None, "labels": "oops"}, {"body": "pnpm"}], truth())
    assert r.proposals == 2 and r.matched == 1


def test_an_update_is_judged_by_what_it_changes_not_by_the_file_it_rewrites() -> None:
    """A rewrite of a long hand-written file whose untouched lines mention a lesson is not that lesson."""
    before = "# Deploy\nUse pnpm instead of npm.\nStep two.\n"
    upd = prop(
        "Update deploy",
        action="update",
        target="docs/deploy.md",
        body=before,
        before=before,
        after="# Deploy\nUse pnpm instead of npm.\n",
    )
    r = score([upd], truth())
    assert r.matched == 0 and r.unmatched
    assert not {row.id: row for row in r.lessons}["pnpm"].found
    changed = dict(upd, after=before + "Postgres runs on the docker host.\n")
    assert {row.id: row for row in score([changed], truth()).lessons}["docker-host"].found


def test_a_damaging_update_never_counts_as_a_kept_lesson() -> None:
    upd = prop(
        "Use pnpm", action="update", target=".claude/agents/a.md", before="npm\n", after="Use pnpm instead of npm\n"
    )
    r = score([upd], truth())
    assert len(r.damaging) == 1
    assert r.matched == 0 and not {row.id: row for row in r.lessons}["pnpm"].found


def test_an_expected_edit_is_matched_by_the_lines_changed_not_the_file_around_them() -> None:
    """Deleting an unrelated line of CLAUDE.md is damage even if the file elsewhere says what the edit expects."""
    before = "- Run the tests with `npm test`.\n- Deploy with heroku.\n"
    unrelated = {"path": "CLAUDE.md", "line": 2, "old": ["- Deploy with heroku."], "new": []}
    p = prop("Update CLAUDE.md", action="update", kind="rule", target="CLAUDE.md", body=before, edits=[unrelated])
    r = score([p], truth())
    assert r.expected_edits_made == [] and len(r.damaging) == 1
