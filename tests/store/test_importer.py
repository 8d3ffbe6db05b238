"""Import reads the Claude Code layout and AGENTS.md, recording every file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reverie.store.core import Store
from reverie.store.paths import claude_memory_dir
from tests.conftest import realdata_or_skip
from tests.store.conftest import P, world


def _layout(ws: Path) -> None:
    (ws / "CLAUDE.md").write_text("# Team notes\n\nUse pnpm.\n")
    (ws / "CLAUDE.local.md").write_text("My sandbox is at /tmp/x.\n")
    (ws / "AGENTS.md").write_text("# Agents\n")
    rules = ws / ".claude" / "rules" / "lang"
    rules.mkdir(parents=True)
    (rules / "python.md").write_text("---\nglobs: **/*.py\n---\nUse ruff.\n")
    (ws / ".claude" / "rules" / "style.md").write_text("Be consistent.\n")
    (ws / ".claude/commands/git").mkdir(parents=True)
    (ws / ".claude/commands/git/commit.md").write_text("Commit carefully.\n")
    (ws / ".claude/agents").mkdir()
    (ws / ".claude/agents/reviewer.md").write_text(
        "---\nname: reviewer\ndescription: reviews\ntools: Read, Grep\n---\nReview.\n"
    )
    (ws / ".claude/skills/release").mkdir(parents=True)
    (ws / ".claude/skills/release/SKILL.md").write_text("---\nname: release\ndescription: ship it: now\n---\nSteps.\n")
    (ws / ".claude/settings.json").write_text(
        json.dumps(
            {"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "check.sh"}]}]}}
        )
    )
    mem = claude_memory_dir(ws)
    mem.mkdir(parents=True)
    (mem / "MEMORY.md").write_text("- [db](db.md)\n")
    (mem / "db.md").write_text("---\nname: db\ndescription: database\ntype: project\n---\nPostgres 16.\n")


def test_import_claude_code_layout(workspace: Path) -> None:
    _layout(workspace)
    s = Store.open(workspace, create=True)
    s.init()
    arts = {(a.kind, a.name): a for a in s.active_artifacts()}
    assert arts[("rule", "lang-python")].scope == "path" and arts[("rule", "lang-python")].paths == ["**/*.py"]
    assert arts[("rule", "style")].scope == "team"
    assert ("command", "git:commit") in arts
    assert arts[("subagent", "reviewer")].meta["tools"] == ["Read", "Grep"]
    assert arts[("skill", "release")].meta["description"] == "ship it: now"
    assert arts[("hook", next(n for k, n in arts if k == "hook"))].meta["command"] == "check.sh"
    assert arts[("memory", "db")].body == "Postgres 16.\n"
    docs = [a for a in arts.values() if a.meta.get("layout") == "document"]
    assert {d.meta["source"] for d in docs} == {"CLAUDE.md", "CLAUDE.local.md", "AGENTS.md"}
    files = s.view().files
    assert "CLAUDE.md" in files and ".claude/settings.json" in files and any(k.endswith("/MEMORY.md") for k in files)
    assert not any(r["created"] for r in files.values())
    # idempotent
    head = s.head().id
    assert s.import_workspace().id == head
    assert s.init().id == head


def test_reimport_sees_hand_changes_but_not_reverie_files(workspace: Path) -> None:
    _layout(workspace)
    s = Store.open(workspace, create=True)
    s.init()
    s.open_candidate([P("Prefer small PRs"), P("No prints", "No print().", kind="rule")])
    s.approve([p.id for p in s.proposals()])
    s.apply()
    n = len(s.active_artifacts())
    (workspace / ".claude/rules/style.md").write_text("Be very consistent.\n")
    op = s.import_workspace()
    assert op.kind == "import"
    arts = s.active_artifacts()
    assert len(arts) == n
    assert next(a for a in arts if a.name == "style").body == "Be very consistent.\n"
    assert sum(1 for a in arts if a.name == "no-prints") == 1  # Reverie's own file is not re-imported
    (workspace / ".claude/rules/style.md").unlink()
    s.import_workspace()
    assert not any(a.name == "style" for a in s.active_artifacts())


def test_fresh_init_reads_existing_block_entries(workspace: Path) -> None:
    (workspace / "CLAUDE.md").write_text("# T\n\n<!-- reverie:begin -->\n- Keep it short.\n<!-- reverie:end -->\n")
    s = Store.open(workspace, create=True)
    s.init()
    entries = [a for a in s.active_artifacts() if a.meta.get("layout") == "entry"]
    assert [e.body for e in entries] == ["Keep it short."]
    s.open_candidate([P("Another")])
    s.approve([p.id for p in s.proposals()])
    s.apply()
    text = (workspace / "CLAUDE.md").read_text()
    assert "- Keep it short.\n" in text and "- Another.\n" in text and text.count("reverie:begin") == 1


@pytest.mark.realdata
def test_realdata_workspaces_import_and_round_trip(tmp_path: Path, temp_home: Path) -> None:
    root = realdata_or_skip()
    projects = [d for d in sorted(root.iterdir()) if (d / "CLAUDE.md").is_file() or (d / ".claude").is_dir()]
    assert projects
    for proj in projects:
        ws = tmp_path / proj.name
        ws.mkdir()
        for name in ("CLAUDE.md", "CLAUDE.local.md", "AGENTS.md"):
            if (proj / name).is_file():
                shutil.copy2(proj / name, ws / name)
        if (proj / ".claude").is_dir():
            shutil.copytree(proj / ".claude", ws / ".claude", symlinks=True)
        s = Store.open(ws, create=True)
        s.init()
        assert s.active_artifacts(), proj.name
        before = world(ws, temp_home)
        s.open_candidate(
            [
                P("Run the linter", kind="instinct", scope="team"),
                P("guard", "exit 0", kind="hook", scope="team", meta={"matcher": "Bash"}),
            ]
        )
        s.approve([p.id for p in s.proposals()])
        res = s.apply()
        assert len(res.applied) == 2, (proj.name, res.conflicts)
        s.undo()
        assert world(ws, temp_home) == before, proj.name
        s.close()


def test_import_adopts_hand_edits_of_reverie_files(workspace: Path) -> None:
    s = Store.open(workspace, create=True)
    s.init()
    s.open_candidate([P("No prints", "No print().", kind="rule", scope="path", paths=["src/**"])])
    s.approve([p.id for p in s.proposals()])
    s.apply()
    rule = workspace / ".claude/rules/no-prints.md"
    rule.write_text(rule.read_text().replace("No print().", "No print(); use logging."))
    # before import, the hand edit is a conflict for the next change of that file
    art = next(a for a in s.active_artifacts() if a.name == "no-prints")
    s.open_candidate([P("No prints", "v2", kind="rule", scope="path", action="update", replaces=[art.id])])
    s.approve([p.id for p in s.proposals()])
    assert s.plan_apply().conflicts
    op = s.import_workspace()
    assert op.data["adopted"] == [art.id]
    adopted = next(a for a in s.active_artifacts() if a.name == "no-prints")
    assert adopted.body == "No print(); use logging.\n" and adopted.paths == ["src/**"] and adopted.origin == art.origin
    edited = rule.read_bytes()
    s.undo()  # undo is byte for byte: back to Reverie's version of the file …
    assert b"use logging" not in rule.read_bytes()
    s.redo()  # … and the adopted hand edit is kept in the log, not lost
    assert rule.read_bytes() == edited
    res = s.apply()  # the stale update does not silently overwrite the person's edit
    assert not res.applied and "changed since" in res.conflicts[0]["reason"]
    assert rule.read_bytes() == edited
