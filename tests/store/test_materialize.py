"""Rendering: managed blocks, settings merge, targets per kind and scope."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reverie.store import materialize as mat
from reverie.store.models import Artifact


def A(kind: str, scope: str, name: str = "x", body: str = "Do it.", **kw) -> Artifact:
    return Artifact(id=f"a-{name}", kind=kind, scope=scope, name=name, body=body, **kw)


@pytest.mark.parametrize(
    "kind, scope, expected",
    [
        ("instinct", "project", ["CLAUDE.local.md"]),
        ("instinct", "team", ["CLAUDE.md"]),
        ("instinct", "path", [".claude/rules/x.md"]),
        ("instinct", "global", ["~/.claude/CLAUDE.md"]),
        ("rule", "path", [".claude/rules/x.md"]),
        ("rule", "project", ["CLAUDE.local.md"]),
        ("rule", "team", [".claude/rules/x.md"]),
        ("rule", "global", ["~/.claude/rules/x.md"]),
        ("hook", "project", [".claude/hooks/reverie/x.sh", ".claude/settings.local.json"]),
        ("hook", "team", [".claude/hooks/reverie/x.sh", ".claude/settings.json"]),
        ("hook", "global", ["~/.claude/hooks/reverie/x.sh", "~/.claude/settings.json"]),
        ("command", "team", [".claude/commands/x.md"]),
        ("skill", "team", [".claude/skills/x/SKILL.md"]),
        ("subagent", "global", ["~/.claude/agents/x.md"]),
        ("memory", "global", ["~/.claude/CLAUDE.md"]),
    ],
)
def test_targets(workspace: Path, kind: str, scope: str, expected: list[str]) -> None:
    assert mat.targets_of(A(kind, scope), workspace) == expected


def test_memory_and_agents_mirror(workspace: Path) -> None:
    keys = mat.targets_of(A("memory", "project"), workspace)
    assert keys[0].startswith("~/.claude/projects/") and keys[0].endswith("/memory/x.md")
    assert keys[1].endswith("/memory/MEMORY.md")
    (workspace / "AGENTS.md").write_text("# Agents\n")
    assert mat.targets_of(A("instinct", "team"), workspace) == ["CLAUDE.md", "AGENTS.md"]


def test_agents_in_use_are_read_once_per_plan_and_fresh_after(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside `mirrors.steady()` (a plan, a transaction) the agents are looked up once; outside, every time."""
    from reverie.store import mirrors

    looked: list[Path] = []
    real = mirrors._agents_in_use
    monkeypatch.setattr(mirrors, "_agents_in_use", lambda ws: looked.append(ws) or real(ws))
    team = A("instinct", "team")
    with mirrors.steady():
        assert mat.targets_of(team, workspace) == ["CLAUDE.md"]
        (workspace / "AGENTS.md").write_text("# Agents\n")
        with mirrors.steady():  # re-entrant: the outer scope's memo holds
            assert [mat.targets_of(team, workspace) for _ in range(50)] == [["CLAUDE.md"]] * 50
    assert len(looked) == 1
    assert mat.targets_of(team, workspace) == ["CLAUDE.md", "AGENTS.md"]  # the next plan sees the new file
    assert mat.targets_of(team, workspace) == ["CLAUDE.md", "AGENTS.md"]
    assert len(looked) == 3


def test_block_add_then_remove_gives_back_the_same_bytes() -> None:
    for text in ["", "# T\n", "# T", "# T\n\n\n", "a\n<!-- x -->\n", "\ufeff# T\r\n", "# T\r\nno final newline", "\n"]:
        block = mat.render_block("CLAUDE.md", [A("instinct", "team")])
        added = mat.splice_block(text, block)
        assert block in added
        assert mat.splice_block(added, None) == text  # even a missing final newline stays missing


def test_block_replaced_in_place_text_outside_untouched() -> None:
    text = "top\n<!-- reverie:begin -->\n- old\n<!-- reverie:end -->\nbottom\n"
    new = mat.splice_block(text, mat.render_block("CLAUDE.md", [A("instinct", "team", body="new")]))
    assert new == "top\n<!-- reverie:begin -->\n- new\n<!-- reverie:end -->\nbottom\n"


def test_block_entries_deterministic_and_multiline() -> None:
    arts = [A("instinct", "team", "b", "B."), A("instinct", "team", "a", "line1\nline2", title="Long one")]
    block = mat.render_block("CLAUDE.md", arts)
    assert block == mat.render_block("CLAUDE.md", list(reversed(arts)))
    assert "### Long one\nline1\nline2" in block and "- B." in block


def test_settings_merge_keeps_other_keys_and_entries() -> None:
    existing = {
        "permissions": {"allow": ["Bash(ls)"]},
        "hooks": {"PreToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "mine.sh"}]}]},
    }
    hook = A("hook", "project", "guard", "echo hi", meta={"matcher": "Bash", "timeout": 5})
    out = json.loads(mat.render_settings(json.dumps(existing).encode(), [hook]))
    assert out["permissions"] == existing["permissions"]
    groups = out["hooks"]["PreToolUse"]
    assert groups[0] == existing["hooks"]["PreToolUse"][0]
    assert groups[1] == {
        "matcher": "Bash",
        "hooks": [{"type": "command", "timeout": 5, "command": '"$CLAUDE_PROJECT_DIR"/.claude/hooks/reverie/guard.sh'}],
    }
    # removing the hook again gives back the original document
    assert json.loads(mat.render_settings(json.dumps(out).encode(), [])) == existing
    assert mat.render_settings(b'{"a":1}', [hook]).startswith(b'{"a":1,"hooks":{"PreToolUse":[{"matcher":"Bash"')
    assert mat.render_settings(b"{}", [hook]).endswith(b"\n}")  # nothing to copy: indented, no newline added
    assert mat.render_settings(None, [hook]).endswith(b"}\n")  # a new file: indented, final newline


def test_whole_files_have_expected_frontmatter() -> None:
    rule, _ = mat.render_whole(".claude/rules/x.md", A("rule", "path", paths=["src/**/*.py"]))
    assert rule.decode().startswith('---\npaths:\n  - "src/**/*.py"\n---\n')
    skill, _ = mat.render_whole(".claude/skills/x/SKILL.md", A("skill", "team", title="Do X"))
    assert skill.decode().startswith("---\nname: x\ndescription: Do X\n---\n")
    agent, _ = mat.render_whole(".claude/agents/x.md", A("subagent", "team", meta={"tools": ["Read", "Grep"]}))
    assert "tools: Read, Grep" in agent.decode()
    script, mode = mat.render_whole(".claude/hooks/reverie/x.sh", A("hook", "team", body="exit 0"))
    assert script == b"#!/usr/bin/env bash\nexit 0\n" and mode == 0o755


def test_hand_edit_regions() -> None:
    a = b"top\n\n<!-- reverie:begin -->\n- x\n<!-- reverie:end -->\n"
    b = a.replace(b"top", b"TOP")
    c = a.replace(b"- x", b"- y")
    assert mat.region_of("CLAUDE.md", a) == mat.region_of("CLAUDE.md", b)
    assert mat.region_of("CLAUDE.md", a) != mat.region_of("CLAUDE.md", c)
    assert mat.format_of("CLAUDE.md").people(a) == "top"


def test_symlinked_agents_md_is_not_mirrored_twice(workspace: Path) -> None:
    (workspace / "CLAUDE.md").write_text("# T\n")
    (workspace / "AGENTS.md").symlink_to("CLAUDE.md")
    assert mat.targets_of(A("instinct", "team"), workspace) == ["CLAUDE.md"]


def test_long_names_are_cut_at_a_word_boundary() -> None:
    from reverie.store.materialize import slugify

    name = slugify("Until the sandbox is back, always skip the payment tests with pnpm test")
    assert name == "until-the-sandbox-is-back-always-skip-the"
    assert slugify("x" * 100) == "x" * 48  # one long word: cut where it must be
