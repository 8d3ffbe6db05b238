"""What a person's turn is, read from its form and where it fell — real phrasings, not planted ones."""

from __future__ import annotations

import pytest

from reverie.dreamer.turns import classify_turn


@pytest.mark.parametrize(
    "text,after,kind",
    [
        ("can you please add tests for the cache version check?", "start", "question"),
        ("Implement spotter-gqc", "start", "task_request"),
        ("Implement the following plan:\n\n# Plan", "start", "task_request"),
        ("commit, push and pr it", "edit", "flow_control"),
        ("ok lets get back to main", "command", "flow_control"),
        ("continue until all are done", "command", "flow_control"),
        ("8", "command", "flow_control"),
        ("Excellent work, thank you!", "reply", "status"),
        ("uuum, that has already been fixed", "command", "status"),
        ("hmmm, still seeing the uuid displayed in the top bar.", "command", "bug_report"),
        ("any ideas why the uploads are failing?", "command", "question"),
        ("/gsd:progress", "start", "meta"),
        ("!git pull", "start", "meta"),
        ("use pnpm", "rejection", "correction"),
        ("why would you repeat creating the table in the full schema?", "edit", "correction"),
        ("why is the agent executing weird python?", "command", "correction"),
        (
            "hmmm, given the privacy focus of the app, I think its better not to store any PII in local storage.",
            "edit",
            "correction",
        ),
        ("We use ruff in this project, not flake8.", "start", "convention"),
        ("Never edit generated files, regenerate them.", "start", "convention"),
        ("I prefer small focused commits.", "start", "preference"),
        ("you dont have access to docker here", "error", "environment_fact"),
        ("make serve got removed last month, its docker compose now", "error", "environment_fact"),
        ("ahh ok looks like i dont need the token to set the jwks endpoint", "command", "status"),
    ],
)
def test_turn_kinds(text: str, after: str, kind: str) -> None:
    assert classify_turn(text, after).kind == kind, classify_turn(text, after)


def test_every_kind_says_why() -> None:
    assert classify_turn("commit it", "edit").reason
