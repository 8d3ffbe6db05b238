"""Proposals files written by scripts or people get the same scrutiny as a dream's output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

GITHUB = "ghp_DcArQZclrjt92jX1DcKyWwFvL0DEcY7E30M4"
STRIPE = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
SLACK = "xoxb-123456789012-1234567890123-abcdefghijABCDEFGHIJ1234"


def _write(tmp_path: Path, proposals: list[dict]) -> Path:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"proposals": proposals}))
    return path


def test_secrets_in_a_proposals_file_are_redacted_and_blocked(cli: Cli, tmp_path: Path, workspace: Path) -> None:
    cli.ok("init")
    path = _write(
        tmp_path,
        [
            {
                "kind": "rule",
                "scope": "team",
                "title": f"token {GITHUB}",
                "body": f"STRIPE_SECRET_KEY={STRIPE}",
                "rationale": SLACK,
                "paths": [f"src/{GITHUB}/**"],
                "meta": {"note": SLACK},
            }
        ],
    )
    cli.ok("propose", "--file", path)
    listing = cli.ok("proposals", "--json")
    shown = cli.ok("show", listing.json()["proposals"][0]["id"])

    everything = (
        listing.out
        + shown.out
        + b"".join(p.read_bytes() for p in (workspace / ".reverie").iterdir() if p.is_file()).decode("latin-1")
    )
    for secret in (GITHUB, STRIPE, SLACK):
        assert secret not in everything
    labels = {(l["label"], l["severity"]) for l in listing.json()["proposals"][0]["labels"]}
    assert ("secret_exposure", "block") in labels


def test_control_characters_in_titles_never_reach_the_terminal(cli: Cli, tmp_path: Path) -> None:
    cli.ok("init")
    cli.ok(
        "propose",
        "--file",
        _write(tmp_path, [{"kind": "rule", "title": "ok\nfake-row\x1b[31mRED\x07\u202e", "body": "y"}]),
    )
    listing = cli.ok("proposals")
    assert "\x1b" not in listing.out and "\x07" not in listing.out and "\u202e" not in listing.out
    assert len(listing.out.strip().splitlines()) == 1  # the newline did not fake a row
    assert "\\x1b" in listing.out and "\\u202e" in listing.out


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("labels", "oops", "labels must be a list of objects"),
        ("evidence", [1], "evidence must be a list of objects"),
        ("confidence", 7, "confidence must be a number from 0 to 1"),
        ("meta", [1], "meta must be an object"),
    ],
)
def test_wrongly_shaped_fields_are_usage_errors(
    cli: Cli, tmp_path: Path, field: str, value: object, message: str
) -> None:
    cli.ok("init")
    res = cli("propose", "--file", _write(tmp_path, [{"title": "t", field: value}]))
    assert res.rc == 2 and message in res.err


def test_a_lone_path_string_is_one_glob_not_characters(cli: Cli, tmp_path: Path) -> None:
    cli.ok("init")
    cli.ok(
        "propose",
        "--file",
        _write(tmp_path, [{"kind": "rule", "scope": "path", "title": "t", "body": "b", "paths": "src/**"}]),
    )
    assert cli.ok("proposals", "--json").json()["proposals"][0]["paths"] == ["src/**"]


def test_small_usage_errors(cli: Cli, tmp_path: Path) -> None:
    cli.ok("init")
    assert cli("propose", "--file", _write(tmp_path, [])).rc == 2
    assert cli("gc", "--older-than", "nan").rc == 2
    assert cli("proposals", "--status", "banana").rc == 2
    cli.ok("propose", "--file", _write(tmp_path, [{"title": "t", "body": "b", "kind": "rule"}]))
    pid = cli.ok("proposals", "--json").json()["proposals"][0]["id"]
    assert cli.ok("reject", pid, pid, "--json").json()["rejected"] == [pid]
