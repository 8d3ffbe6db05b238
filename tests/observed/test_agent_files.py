"""Which files are watched, and how a tool call's path (from any machine) maps onto them."""

from __future__ import annotations

from pathlib import Path

from reverie.dreamer.agent_files import classify, key_of_tool_path, watched_files
from reverie.store.materialize import memory_dir_key


def test_classify_knows_every_agent_location(workspace: Path) -> None:
    mem = memory_dir_key(workspace)
    expect = {
        "CLAUDE.md": ("claude", "instinct", "team"),
        "CLAUDE.local.md": ("claude", "instinct", "project"),
        "AGENTS.md": ("codex", "rule", "team"),
        "GEMINI.md": ("gemini", "instinct", "team"),
        ".claude/rules/db/migrations.md": ("claude", "rule", "team"),
        ".claude/skills/release/SKILL.md": ("claude", "skill", "team"),
        ".claude/skills/release/run.sh": ("claude", "skill", "team"),
        ".claude/agents/reviewer.md": ("claude", "subagent", "team"),
        ".claude/commands/ship.md": ("claude", "command", "team"),
        ".claude/settings.json": ("claude", "hook", "team"),
        f"{mem}/MEMORY.md": ("claude", "memory", "project"),
        f"{mem}/feedback_tests.md": ("claude", "memory", "project"),
        "~/.gemini/GEMINI.md": ("gemini", "memory", "global"),
        "~/.codex/memories/memory_summary.md": ("codex", "memory", "global"),
        "~/.claude/CLAUDE.md": ("claude", "instinct", "global"),
    }
    for key, (agent, kind, scope) in expect.items():
        f = classify(key, workspace)
        assert f is not None, key
        assert (f.agent, f.kind, f.scope) == (agent, kind, scope), key
    for key in ("README.md", f"{mem}/.consolidate-lock", ".claude/rules/notes.txt", "~/.bashrc", "src/CLAUDE.txt"):
        assert classify(key, workspace) is None, key
    assert classify(f"{mem}/feedback_tests.md", workspace).label == "memory/feedback_tests.md"


def test_watched_files_lists_what_exists(workspace: Path, temp_home: Path) -> None:
    (workspace / "GEMINI.md").write_text("x\n")
    (workspace / ".claude" / "rules").mkdir(parents=True)
    (workspace / ".claude" / "rules" / "a.md").write_text("a\n")
    mem = temp_home / memory_dir_key(workspace)[2:]
    mem.mkdir(parents=True)
    (mem / "MEMORY.md").write_text("- x\n")
    (mem / ".consolidate-lock").write_text("123")
    (temp_home / ".gemini").mkdir()
    (temp_home / ".gemini" / "GEMINI.md").write_text("## Gemini Added Memories\n")
    keys = [f.key for f in watched_files(workspace)]
    assert keys == sorted(
        ["GEMINI.md", ".claude/rules/a.md", memory_dir_key(workspace) + "/MEMORY.md", "~/.gemini/GEMINI.md"]
    )
    assert [f.key for f in watched_files(workspace, include_home=False)] == [".claude/rules/a.md", "GEMINI.md"]


def test_tool_paths_from_another_machine_map_onto_this_workspace(workspace: Path, temp_home: Path) -> None:
    mem = memory_dir_key(workspace)
    # cipher-box (macOS): the auto memory of the session's cwd is this workspace's auto memory
    cwd = "/Users/michael/Code/cipher-box"
    tool = "/Users/michael/.claude/projects/-Users-michael-Code-cipher-box/memory/MEMORY.md"
    assert key_of_tool_path(tool, cwd, workspace) == f"{mem}/MEMORY.md"
    # oh-my-posh (Windows): backslashes, a drive letter, the slug Claude Code derives from D:\oh-my-posh
    assert (
        key_of_tool_path(r"C:\Users\jande\.claude\projects\D--oh-my-posh\memory\MEMORY.md", r"D:\oh-my-posh", workspace)
        == f"{mem}/MEMORY.md"
    )
    assert key_of_tool_path(r"D:\oh-my-posh\AGENTS.md", r"D:\oh-my-posh", workspace) == "AGENTS.md"
    # project files under the session's cwd, relative paths, this machine's own paths
    assert key_of_tool_path(f"{cwd}/CLAUDE.md", cwd, workspace) == "CLAUDE.md"
    assert key_of_tool_path(".claude/rules/x.md", cwd, workspace) == ".claude/rules/x.md"
    assert key_of_tool_path(str(workspace / "GEMINI.md"), str(workspace), workspace) == "GEMINI.md"
    assert key_of_tool_path(str(temp_home / ".gemini" / "GEMINI.md"), cwd, workspace) == "~/.gemini/GEMINI.md"
    assert key_of_tool_path("~/.codex/memories/MEMORY.md", cwd, workspace) == "~/.codex/memories/MEMORY.md"
    # not watched, another project's memory, escapes
    assert key_of_tool_path(f"{cwd}/src/app.ts", cwd, workspace) is None
    assert (
        key_of_tool_path("/Users/michael/.claude/projects/-Users-michael-Code-other/memory/x.md", cwd, workspace)
        is None
    )
    assert key_of_tool_path(f"{cwd}/../elsewhere/CLAUDE.md", cwd, workspace) is None
    assert key_of_tool_path("", cwd, workspace) is None
