"""Hostile and malformed input through the CLI: one-line errors, right exit codes, nothing escapes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, tree_digest


def _init(cli: Cli) -> None:
    cli.ok("init", "--json")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"{}",
        b'{"proposals": {}}',
        b'{"proposals": [1]}',
        b'{"proposals": [{}]}',
        b"\x00\xff\xfe binary",
        b'{"proposals":[{"action":"explode","kind":"rule","title":"x","body":"y"}]}',
        b'{"proposals":[{"kind":"weird","title":"x","body":"y"}]}',
        b'{"proposals":[{"kind":"rule","scope":"galaxy","title":"x","body":"y"}]}',
        b'{"proposals":[{"kind":"rule","title":"x","body":"y","confidence":"high"}]}',
        b'{"proposals":[{"kind":"rule","title":null,"body":null}]}',
    ],
)
def test_bad_proposals_file_is_usage_error(cli: Cli, tmp_path: Path, content: bytes) -> None:
    _init(cli)
    f = tmp_path / "bad.json"
    f.write_bytes(content)
    head = cli.ok("log", "--json").json()["head"]
    res = cli("propose", "--file", f, "--json")
    assert res.rc == 2 and res.out == ""
    assert cli.ok("log", "--json").json()["head"] == head  # nothing written


def test_missing_or_directory_proposals_file(cli: Cli, workspace: Path) -> None:
    _init(cli)
    for f in (workspace / "nope.json", workspace):
        res = cli("propose", "--file", f, "--json")
        assert res.rc == 2 and str(f) in res.err


def test_hostile_names_and_targets_stay_inside(cli: Cli, workspace: Path, tmp_path: Path, temp_home: Path) -> None:
    _init(cli)
    outside = tmp_path / "outside"
    outside.mkdir()
    props = [
        {
            "kind": "rule",
            "scope": "team",
            "name": "../../../../" + str(outside / "rule"),
            "title": "../../etc/x",
            "body": "traversal by name",
        },
        {
            "kind": "skill",
            "scope": "team",
            "name": "../../../../../" + str(outside / "skill"),
            "title": "s ../../x",
            "body": "traversal skill",
        },
        {"kind": "command", "scope": "team", "title": str(outside / "cmd"), "body": "absolute title"},
        {"kind": "rule", "scope": "team", "title": "abs target", "target": str(outside / "t.md"), "body": "abs"},
        {"kind": "rule", "scope": "team", "title": "rel target", "target": "../outside/r.md", "body": "rel"},
        {"kind": "subagent", "scope": "team", "title": "..", "body": "dots"},
        {"kind": "memory", "scope": "project", "title": "../../../../etc/passwd", "body": "memory traversal"},
        {"kind": "memory", "scope": "project", "title": "big", "body": "A" * 1_000_000},
    ]
    f = tmp_path / "hostile.json"
    f.write_text(json.dumps({"proposals": props}))
    ids = cli.ok("propose", "--file", f, "--json").json()["proposals"]
    for i in ids:
        target = Path(cli.ok("show", i, "--json").json()["target"]).resolve()
        assert target.is_relative_to(workspace) or target.is_relative_to(temp_home / ".claude"), target
    cli.ok("approve", *ids)
    cli.ok("apply", "--yes", "--json")
    assert list(outside.iterdir()) == []
    written = tree_digest(workspace, temp_home)
    assert written and all(
        Path(p).resolve().is_relative_to(workspace) or Path(p).resolve().is_relative_to(temp_home) for p in written
    )
    big = [p for p in written if p.endswith("big.md")]
    assert big and Path(big[0]).stat().st_size >= 1_000_000


def test_unknown_and_ambiguous_ids(cli: Cli, tmp_path: Path) -> None:
    _init(cli)
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"proposals": [{"kind": "rule", "title": f"r{i}", "body": f"b{i}"} for i in range(40)]}))
    ids = cli.ok("propose", "--file", f, "--json").json()["proposals"]
    for args in (
        ("show", "p-zzzz"),
        ("show", "p-"),
        ("approve", "p-"),
        ("approve", ids[0], "p-nope"),
        ("scope", ids[1], "galaxy"),
        ("kind", ids[1], "banana"),
        ("restore", "op-nope"),
        ("restore", "op-"),
        ("apply", "--candidate", "c-nope"),
        ("discard", "--candidate", "c-nope"),
        ("log", "-n", "-1"),
        ("log", "-n", "abc"),
        ("gc", "--older-than", "-5"),
        ("dream", "--engine", "nope"),
        ("bogus",),
        ("show",),
        ("approve",),
    ):
        res = cli(*args, "--json")
        assert res.rc == 2, (args, res)
        assert res.out == "", (args, res.out)
    assert cli.ok("show", ids[0], "--json").json()["status"] == "pending"  # partial approve wrote nothing
    res = cli("redo", "--json")
    assert res.rc == 1 and "redo" in res.err


def test_commands_without_a_store(cli: Cli, workspace: Path) -> None:
    for args in (("status",), ("proposals",), ("log",), ("apply",), ("undo",), ("show", "p-1")):
        res = cli(*args, "--json")
        assert res.rc == 1 and res.out == "" and "reverie init" in res.err, (args, res)
    assert not (workspace / ".reverie").exists()


def test_missing_workspace_dir(cli: Cli, tmp_path: Path) -> None:
    for ws in (tmp_path / "missing", Path("/etc/passwd")):
        res = cli("init", "--json", "-w", ws)
        assert res.rc == 1 and res.out == "" and str(ws) in res.err
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("corrupt", ["garbage", "truncated", "zeroed"])
def test_corrupt_database(cli: Cli, workspace: Path, corrupt: str) -> None:
    _init(cli)
    db = workspace / ".reverie" / "reverie.db"
    data = db.read_bytes()
    for side in db.parent.glob("reverie.db-*"):
        side.unlink()
    db.write_bytes(
        {"garbage": b"garbage" * 100, "truncated": data[: len(data) // 3], "zeroed": b"\0" * len(data)}[corrupt]
    )
    bad = db.read_bytes()
    for args in (("status",), ("log",), ("apply",), ("init",), ("undo",)):
        res = cli(*args, "--json")
        assert res.rc == 1 and res.out == "" and "reverie.db" in res.err, (args, res)
    assert db.read_bytes() == bad  # never "repaired" by overwriting


def test_store_path_is_not_a_directory(cli: Cli, workspace: Path) -> None:
    (workspace / ".reverie").write_text("x")
    res = cli("init", "--json")
    assert res.rc == 1 and ".reverie" in res.err
    assert (workspace / ".reverie").read_text() == "x"


def test_review_without_terminal_is_usage_error(cli: Cli) -> None:
    _init(cli)
    for args in (("review",), ()):
        res = cli(*args, "--json")
        assert res.rc == 2 and "terminal" in res.err


def test_demo_refuses_a_non_empty_foreign_dir(cli: Cli, tmp_path: Path) -> None:
    d = tmp_path / "mine"
    (d / "project").mkdir(parents=True)
    (d / "project" / "CLAUDE.md").write_text("mine\n")
    before = tree_digest(d)
    res = cli("demo", d, "--no-tui", "--json", ws=False)
    assert res.rc == 2 and res.out == ""
    assert tree_digest(d) == before
    f = tmp_path / "afile"
    f.write_text("x")
    assert cli("demo", f, "--no-tui", ws=False).rc == 2
    shutil.rmtree(d)
