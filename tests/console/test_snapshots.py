"""SVG snapshots of the main screens, on deterministic data (fixed ids, times and paths).

Update after an intended visual change with:
    pytest tests/console/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reverie.store.store import Store
from tests.console.conftest import sample_proposals
from tests.fakes import CountingIds, MinuteClock


@pytest.fixture
def stable_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An app on a real store whose ids and times are fixed, workspace shown as ~/project."""
    clock, ids = MinuteClock(), CountingIds()
    monkeypatch.setenv("HOME", str(tmp_path))
    ws = tmp_path / "project"
    ws.mkdir()
    (ws / "CLAUDE.md").write_text("# Project notes\n\nWe use pnpm.\n", encoding="utf-8")
    s = Store.open(ws, create=True, clock=clock, ids=ids)
    s.init()
    s.open_candidate(sample_proposals(), engine="heuristic")
    from reverie.console.app import ReverieApp

    app = ReverieApp(s, lambda: Store.open(ws, clock=clock, ids=ids), watch=False)
    yield app
    s.close()


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_main_screen(stable_app, snap_compare) -> None:
    assert snap_compare(stable_app, terminal_size=(110, 32), run_before=settle)


def test_main_screen_narrow_side_by_side(stable_app, snap_compare) -> None:
    assert snap_compare(stable_app, press=["j", "v"], terminal_size=(80, 24), run_before=settle)


def test_help_screen(stable_app, snap_compare) -> None:
    assert snap_compare(stable_app, press=["question_mark"], terminal_size=(100, 40), run_before=settle)


def test_apply_confirmation(stable_app, snap_compare) -> None:
    assert snap_compare(stable_app, press=["j", "j", "j", "a", "A"], terminal_size=(110, 32), run_before=settle)


def test_rescope_chooser(stable_app, snap_compare) -> None:
    assert snap_compare(stable_app, press=["s"], terminal_size=(100, 30), run_before=settle)


def test_main_screen_light_theme(stable_app, snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVERIE_THEME", "textual-light")
    assert snap_compare(stable_app, press=["j"], terminal_size=(110, 32), run_before=settle)
