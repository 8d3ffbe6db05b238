"""`reverie demo --no-tui`, `reverie review` without a terminal, and key overrides from config files."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from reverie.console import keys
from reverie.console.cli import main


def test_demo_no_tui_builds_dreams_and_keeps_home_private(tmp_path: Path, temp_home: Path, capsys) -> None:
    target = tmp_path / "demo"
    assert main(["demo", str(target), "--no-tui", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["workspace"] == str(target / "project")
    assert summary["proposals"] > 0 and summary["candidate_store"]
    assert sum(summary["by_kind"].values()) == summary["proposals"]
    assert any("memory_poisoning" in k for k in summary["by_label"])  # the demo plants an injection
    assert (target / "home" / "transcripts").is_dir() and list((target / "home" / "transcripts").glob("*.jsonl"))
    assert not (temp_home / ".claude").exists()  # nothing in the person's own home
    assert os.environ["HOME"] == str(temp_home)  # restored after the demo
    # a second run reuses the demo (no rebuild, same candidate)
    assert main(["demo", str(target), "--no-tui", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["reused"] and again["candidate_store"] == summary["candidate_store"]


def test_demo_refuses_a_non_empty_foreign_dir(tmp_path: Path, capsys) -> None:
    (tmp_path / "stuff.txt").write_text("mine")
    assert main(["demo", str(tmp_path), "--no-tui"]) == 2
    err = capsys.readouterr().err
    assert "not empty" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stuff.txt"]


def test_review_without_a_terminal_is_a_clear_error(workspace: Path, capsys) -> None:
    assert main(["review", "--workspace", str(workspace)]) == 2
    err = capsys.readouterr().err
    assert "needs a terminal" in err and "Traceback" not in err


def test_key_overrides_user_file_then_workspace_wins(workspace: Path, temp_home: Path, caplog) -> None:
    user = temp_home / ".config" / "reverie" / "keys.toml"
    user.parent.mkdir(parents=True)
    user.write_text('approve = "y"\nreject = ["X", "delete"]\nnot_a_key = "q"\n', encoding="utf-8")
    (workspace / ".reverie").mkdir()
    (workspace / ".reverie" / "config.toml").write_text('[keys]\napprove = "ctrl+a"\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        merged = keys.load_overrides(workspace)
    assert merged == {"reverie.approve": "ctrl+a", "reverie.reject": "X,delete"}
    assert "not_a_key" in caplog.text
    assert keys.display_key("approve", merged) == "ctrl+a"
    assert keys.display_key("filter") == "/"


def test_bad_key_config_is_skipped_with_a_warning(workspace: Path, caplog) -> None:
    (workspace / ".reverie").mkdir()
    (workspace / ".reverie" / "config.toml").write_text("[keys\napprove = ", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert keys.load_overrides(workspace) == {}
    assert "ignoring key overrides" in caplog.text


def test_every_binding_has_a_unique_id() -> None:
    ids = [k.id for k in keys.ALL]
    assert len(ids) == len(set(ids))
    main_actions = {k.id for k in keys.MAIN}
    assert {
        "approve",
        "reject",
        "edit",
        "scope",
        "kind",
        "apply",
        "dream",
        "discard",
        "history",
        "undo",
        "redo",
        "filter",
        "help",
        "quit",
        "mark",
        "open",
    } <= main_actions


def test_every_key_names_an_action_its_screen_has() -> None:
    """A renamed `action_*` method must fail here, not turn a key (or a palette entry) into a no-op."""
    from reverie.console.screens.dream import DreamScreen
    from reverie.console.screens.edit import EditScreen
    from reverie.console.screens.history import HistoryScreen
    from reverie.console.screens.main import MainScreen
    from reverie.console.screens.transcript import TranscriptScreen

    screens = [
        (keys.MAIN, MainScreen),
        (keys.HISTORY, HistoryScreen),
        (keys.TRANSCRIPT, TranscriptScreen),
        (keys.EDIT, EditScreen),
        (keys.DREAM, DreamScreen),
    ]
    missing = [
        f"{screen.__name__}.action_{k.action}"
        for keys, screen in screens
        for k in keys
        if not callable(getattr(screen, f"action_{k.action}", None))
    ]
    assert sum(len(keys) for keys, _ in screens) == len(keys.ALL)
    assert not missing, missing


def test_palette_lists_every_action() -> None:
    from reverie.console.commands_palette import PALETTE_TEXT, palette_entries

    actions = {a for a, _, _ in palette_entries()}
    assert len(actions) == len(PALETTE_TEXT)
    assert {
        "approve",
        "reject",
        "apply",
        "dream",
        "discard",
        "history",
        "undo",
        "redo",
        "edit_inline",
        "edit_external",
        "rescope",
        "rekind",
        "filter",
        "help",
    } <= actions
