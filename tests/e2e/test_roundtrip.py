"""The issue-2 round trip through the real CLI on a real workspace and temp HOME."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import Cli, tree_digest

HAND_CLAUDE = "# My project\n\nHand-written intro, never Reverie's.\n"

# dream --json shape with most fields absent (propose must fill them in)
PROPOSALS = {
    "proposals": [
        {
            "action": "add",
            "kind": "instinct",
            "scope": "team",
            "title": "Run tests first",
            "body": "When changing code, run pytest first.",
        },
        {"action": "add", "kind": "rule", "scope": "team", "title": "No secrets in logs", "body": "Never log secrets."},
        {"kind": "memory", "title": "DB is postgres", "body": "The project uses postgres 15."},
    ]
}


def _setup(cli: Cli, workspace: Path, tmp_path: Path, doc: dict = PROPOSALS) -> list[str]:
    (workspace / "CLAUDE.md").write_text(HAND_CLAUDE)
    rules = workspace / ".claude" / "rules"
    rules.mkdir(parents=True)
    (rules / "py.md").write_text("---\npaths: **/*.py\n---\nUse black.\n")  # invalid YAML on purpose
    assert cli.ok("init", "--json").json()["created"] is True
    f = tmp_path / "props.json"
    f.write_text(json.dumps(doc))
    return cli.ok("propose", "--file", f, "--json").json()["proposals"]


def test_full_round_trip_is_byte_identical(cli: Cli, workspace: Path, tmp_path: Path, temp_home: Path) -> None:
    ids = _setup(cli, workspace, tmp_path)
    assert len(ids) == 3
    listed = cli.ok("proposals", "--json").json()["proposals"]
    assert [p["id"] for p in listed] == ids and {p["status"] for p in listed} == {"pending"}

    s0 = tree_digest(workspace, temp_home)
    head0 = cli.ok("log", "--json").json()["head"]
    cli.ok("approve", *[i[:6] for i in ids], "--json")  # unique prefixes resolve
    applied = cli.ok("apply", "--json").json()
    assert sorted(applied["applied"]) == sorted(ids) and applied["conflicts"] == []
    s1 = tree_digest(workspace, temp_home)
    assert s1 != s0
    claude = (workspace / "CLAUDE.md").read_text()
    assert claude.startswith(HAND_CLAUDE) and "run pytest first" in claude
    assert any("memory" in k for k in s1 if k.startswith(str(temp_home)))

    cli.ok("undo", "--json")
    assert tree_digest(workspace, temp_home) == s0
    assert {p["status"] for p in cli.ok("proposals", "--json").json()["proposals"]} == {"approved"}
    cli.ok("redo", "--json")
    assert tree_digest(workspace, temp_home) == s1
    cli.ok("restore", head0, "--json")
    assert tree_digest(workspace, temp_home) == s0
    assert (workspace / "CLAUDE.md").read_text() == HAND_CLAUDE

    ops = cli.ok("log", "--json").json()["operations"]
    kinds = [o["kind"] for o in ops]
    for k in ("apply", "undo", "redo", "restore"):
        assert k in kinds
    assert all("id" in o for o in ops)


def test_discard_leaves_store_and_files_alone(cli: Cli, workspace: Path, tmp_path: Path, temp_home: Path) -> None:
    ids = _setup(cli, workspace, tmp_path)
    cli.ok("approve", ids[0])
    before = tree_digest(workspace, temp_home)
    arts = cli.ok("status", "--json").json()["artifacts"]
    doc = cli.ok("discard", "--json").json()
    assert doc["candidate_store"].startswith("c-")
    assert tree_digest(workspace, temp_home) == before
    st = cli.ok("status", "--json").json()
    assert st["candidate_store"] is None and st["artifacts"] == arts
    res = cli("apply", "--json")
    assert res.rc == 1 and res.out == ""
    res = cli("discard", "--json")
    assert res.rc == 1 and "candidate" in res.err


def test_hand_text_outside_block_survives_undo_and_redo(cli: Cli, workspace: Path, tmp_path: Path) -> None:
    ids = _setup(cli, workspace, tmp_path)
    cli.ok("approve", *ids)
    cli.ok("apply")
    claude = workspace / "CLAUDE.md"
    claude.write_text(claude.read_text() + "Hand-written footer.\n")
    cli.ok("undo")
    text = claude.read_text()
    assert "Hand-written footer." in text and "Hand-written intro" in text
    assert "run pytest first" not in text and "reverie:begin" not in text
    cli.ok("redo")
    text = claude.read_text()
    assert "Hand-written footer." in text and "run pytest first" in text


def test_hand_edit_inside_block_is_a_conflict_per_proposal(cli: Cli, workspace: Path, tmp_path: Path) -> None:
    ids = _setup(cli, workspace, tmp_path)
    cli.ok("approve", *ids)
    cli.ok("apply")
    claude = workspace / "CLAUDE.md"
    claude.write_text(claude.read_text().replace("run pytest first", "run pytest first, ALWAYS"))
    edited = claude.read_bytes()
    f = tmp_path / "more.json"
    f.write_text(
        json.dumps(
            {
                "proposals": [
                    {"kind": "instinct", "scope": "team", "title": "Lint", "body": "Run ruff before commit."},
                    {"kind": "rule", "scope": "team", "title": "Use UTC", "body": "Store timestamps in UTC."},
                ]
            }
        )
    )
    lint, utc = cli.ok("propose", "-f", f, "--json").json()["proposals"]
    cli.ok("approve", lint, utc)
    dry = cli.ok("apply", "--dry-run", "--json").json()
    assert [c["proposal"] for c in dry["conflicts"]] == [lint]
    assert claude.read_bytes() == edited
    res = cli.ok("apply", "--json").json()
    assert res["applied"] == [utc]
    assert [c["proposal"] for c in res["conflicts"]] == [lint]
    assert "CLAUDE.md" in res["conflicts"][0]["reason"]
    assert claude.read_bytes() == edited  # the hand edit is never overwritten
    assert (workspace / ".claude" / "rules" / "use-utc.md").is_file()
    statuses = {p["id"]: p["status"] for p in cli.ok("proposals", "--json").json()["proposals"]}
    assert statuses == {lint: "approved", utc: "applied"}
