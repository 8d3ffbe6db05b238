"""The CLI round trip on a real workspace: init → propose → approve → apply →
undo → redo → restore → discard, with byte-identical files and JSON contracts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reverie.console.cli import main
from tests.store.conftest import world


def run(capsys: pytest.CaptureFixture[str], ws: Path, *argv: str) -> tuple[int, object, str]:
    code = main(["--workspace", str(ws), *argv])
    cap = capsys.readouterr()
    out = cap.out
    doc = json.loads(out) if "--json" in argv and out.strip() else out
    return code, doc, cap.err


PROPOSALS = {
    "proposals": [
        {
            "action": "add",
            "kind": "rule",
            "scope": "path",
            "paths": ["db/migrations/generated/**"],
            "title": "Never edit generated migrations",
            "body": "Never edit generated migrations; regenerate them.",
            "confidence": 0.8,
            "labels": [{"label": "unverified_procedure", "severity": "warn", "reason": "r"}],
            "evidence": [{"session_id": "s1", "event_uuid": "u1", "trust": "user", "quote": "don't edit those"}],
        },
        {"kind": "instinct", "scope": "team", "title": "Run tests", "body": "Run `pytest -x` before committing."},
        {"kind": "memory", "scope": "project", "title": "DB", "body": "The database is Postgres 16."},
    ]
}


def test_round_trip(capsys: pytest.CaptureFixture[str], workspace: Path, temp_home: Path, tmp_path: Path) -> None:
    (workspace / "CLAUDE.md").write_text("# Mine\n\nKeep this line.\n")
    code, doc, _ = run(capsys, workspace, "init", "--json")
    assert code == 0 and doc["artifacts"] == 1 and doc["op"].startswith("op-")
    assert (workspace / ".reverie/.gitignore").read_text() == "*\n"
    assert (workspace / ".reverie/config.toml").exists()
    initial = world(workspace, temp_home)

    pfile = tmp_path / "p.json"
    pfile.write_text(json.dumps(PROPOSALS))
    code, doc, _ = run(capsys, workspace, "propose", "--file", str(pfile), "--json")
    assert code == 0 and doc["candidate_store"].startswith("c-") and len(doc["proposals"]) == 3
    code, doc, _ = run(capsys, workspace, "proposals", "--json")
    assert doc["candidate_store"].startswith("c-")
    ids = [p["id"] for p in doc["proposals"]]
    first = doc["proposals"][0]
    assert first["target"].endswith(".claude/rules/never-edit-generated-migrations.md")
    assert first["evidence"][0]["quote"] == "don't edit those" and first["status"] == "pending"
    code, text, _ = run(capsys, workspace, "show", ids[0])
    assert code == 0 and "+Never edit generated migrations" in text

    assert run(capsys, workspace, "approve", ids[0], ids[1], "--json")[0] == 0
    assert run(capsys, workspace, "reject", ids[2], "--reason", "not durable", "--json")[0] == 0
    code, doc, _ = run(capsys, workspace, "apply", "--dry-run", "--json")
    assert doc["dry_run"] and len(doc["files"]) == 2 and world(workspace, temp_home) == initial
    code, doc, _ = run(capsys, workspace, "apply", "--json")
    assert code == 0 and sorted(doc["applied"]) == sorted(ids[:2])
    apply_op = doc["op"]
    applied = world(workspace, temp_home)
    text = (workspace / "CLAUDE.md").read_text()
    assert text.startswith("# Mine\n\nKeep this line.\n") and "- Run `pytest -x` before committing." in text

    assert run(capsys, workspace, "undo", "--json")[0] == 0
    assert world(workspace, temp_home) == initial
    assert run(capsys, workspace, "redo", "--json")[0] == 0
    assert world(workspace, temp_home) == applied
    code, doc, _ = run(capsys, workspace, "log", "--json")
    kinds = [o["kind"] for o in doc["operations"]]
    assert kinds[:4] == ["redo", "undo", "apply", "reject"] and all(o["id"] for o in doc["operations"])
    init_op = doc["operations"][-1]["id"]
    assert run(capsys, workspace, "restore", init_op, "--json")[0] == 0
    assert world(workspace, temp_home) == initial
    assert run(capsys, workspace, "restore", apply_op)[0] == 0
    assert world(workspace, temp_home) == applied

    code, doc, _ = run(capsys, workspace, "propose", "--file", str(pfile), "--json")
    before = world(workspace, temp_home)
    assert run(capsys, workspace, "discard", "--json")[0] == 0
    assert world(workspace, temp_home) == before
    code, doc, _ = run(capsys, workspace, "status", "--json")
    assert {"workspace", "head", "candidate_store", "artifacts", "proposals"} <= set(doc)
    assert doc["candidate_store"] is None
    code, doc, _ = run(capsys, workspace, "gc", "--older-than", "30", "--json")
    assert code == 0 and doc["pruned_operations"] == 0


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (["status"], 1, "run `reverie init`"),
        (["restore", "op-nope"], 1, "run `reverie init`"),
    ],
)
def test_errors_before_init(capsys, workspace: Path, argv, code, message) -> None:
    got, _, err = run(capsys, workspace, *argv)
    assert got == code and message in err and "Traceback" not in err and err.count("\n") == 1


def test_usage_errors_are_one_line(capsys, workspace: Path, tmp_path: Path) -> None:
    run(capsys, workspace, "init")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    for argv, code, needle in [
        (["propose", "--file", str(bad)], 2, "not valid JSON"),
        (["propose", "--file", str(tmp_path / "missing.json")], 2, "cannot read"),
        (["approve", "p-nothere"], 2, "no proposal"),
        (["restore", "zzzz"], 2, "no operation"),
        (["undo"], 1, None),  # undoing the import is allowed; the next one is not
        (["undo"], 1, "nothing to undo"),
        (["apply"], 1, "no open candidate"),
        (["scope", "p-x", "galaxy"], 2, "unknown scope"),
    ]:
        got, _, err = run(capsys, workspace, *argv)
        if needle is None:
            continue
        assert got == code, (argv, err)
        assert needle in err and err.startswith("reverie: ") and err.count("\n") == 1
    bad.write_text(json.dumps({"proposals": [{"kind": "spell", "body": "x"}]}))
    got, _, err = run(capsys, workspace, "propose", "--file", str(bad))
    assert got == 2 and "unknown kind 'spell'" in err
