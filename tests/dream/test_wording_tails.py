"""The lesson is the instruction, not the speaker's taste tagged on after it, and a guarded
folder's rule leads with the folder, not with one file in it."""

from __future__ import annotations

import pytest

from reverie.dreamer.clusters import Cluster, names_file_in, names_folder
from reverie.dreamer.model import Key, Statement
from reverie.dreamer.wording import imperative


@pytest.mark.parametrize(
    ("said", "lesson"),
    [
        (
            "Keep commit messages to a single short line, that's how I like them.",
            "Keep commit messages to a single short line.",
        ),
        ("Use tabs - that is how we like it", "Use tabs."),
        ("Use pnpm, it's the way we'd prefer things!", "Use pnpm."),
        ("That's how the parser works, keep it", "That's how the parser works, keep it."),
    ],
)
def test_a_taste_tag_after_the_instruction_is_not_part_of_the_lesson(said: str, lesson: str) -> None:
    assert imperative(said) == lesson


def _said(line: str, ts: str) -> Statement:
    return Statement(
        kind="correction",
        text=line,
        line=line,
        polarity="must_not",
        strong=True,
        general=False,
        temporal=False,
        uuid=ts,
        ts=ts,
        trust="user",
        keys=frozenset({Key.forbid("db/migrations/generated")}),
    )


def test_the_guarded_folder_leads_over_one_file_in_it_whatever_came_later() -> None:
    cluster = Cluster()
    cluster.add(_said("Never edit anything under db/migrations/generated/.", "2026-01-01T00:00:00Z"))
    cluster.add(_said("Do not change db/migrations/generated/0043_users_email.sql.", "2026-01-02T00:00:00Z"))
    assert cluster.representative().line == "Never edit anything under db/migrations/generated/."


def test_a_file_of_a_guarded_folder_is_not_repeated_under_the_rule_about_the_folder() -> None:
    assert names_folder("Never edit anything under db/migrations/generated/.", "db/migrations/generated")
    assert not names_folder("Do not change db/migrations/generated/0043_users_email.sql.", "db/migrations/generated")
    assert names_file_in("Do not change db/migrations/generated/0043_users_email.sql.", "db/migrations/generated")
    assert not names_file_in("Never edit anything under db/migrations/generated/.", "db/migrations/generated")
