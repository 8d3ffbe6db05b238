"""The dream worker, the transcript jump and watcher events, on real scenario data."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from textual.widgets import Static

from reverie.console.screens.dream import DreamScreen
from reverie.console.screens.main import MainScreen
from reverie.console.screens.transcript import TranscriptScreen
from reverie.console.widgets.queue import QueueView
from reverie.dreamer.scenarios.build import build_scenario
from reverie.store.store import Store
from tests.console.pilot import SIZE, settle, static_text


def scenario_store(tmp_path: Path) -> tuple[Store, Path, Path]:
    ws, transcripts = tmp_path / "ws", tmp_path / "transcripts"
    build_scenario("repeated_correction", ws, transcripts)
    store = Store.open(ws.resolve(), create=True)
    store.init()
    return store, ws.resolve(), transcripts


def test_dream_worker_completes_reports_progress_and_opens_candidate(tmp_path: Path) -> None:
    from reverie.console.app import ReverieApp

    store, ws, transcripts = scenario_store(tmp_path)
    app = ReverieApp(store, lambda: Store.open(ws), transcripts=[transcripts], watch=False)

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert store.current_candidate() is None
            main_screen = app.screen
            await pilot.press("d")
            await app.workers.wait_for_complete()
            dream_screen = main_screen.dream_screen
            assert isinstance(dream_screen, DreamScreen)
            await pilot.pause(0.1)
            assert isinstance(app.screen, MainScreen)
            stages = {s for s, _, _ in dream_screen.stages}
            assert "ingest" in stages and len(dream_screen.stages) >= 3
            cand = store.current_candidate()
            assert cand is not None
            q = app.screen.query_one(QueueView)
            assert q.proposals and q.proposals[0].candidate_id == cand.id
            # enter: the transcript at the cited event, with its neighbours
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, TranscriptScreen)
            ev = q.proposals[0].evidence[0]
            assert app.screen.cited >= 0 and app.screen.events[app.screen.cited].uuid == ev.event_uuid
            text = static_text(app.screen.query_one("#transcript", Static))
            assert "▶" in text and text.count("#") >= 3  # the cited event and neighbours
            await pilot.press("q")
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)
            # n: the next quote; enter then opens that one's session
            evidence = q.proposals[0].evidence
            assert len(evidence) >= 2
            await pilot.press("n", "enter")
            await pilot.pause()
            assert isinstance(app.screen, TranscriptScreen)
            assert app.screen.evidence.session_id == evidence[1].session_id
            assert app.screen.events[app.screen.cited].uuid == evidence[1].event_uuid

    asyncio.run(main())
    store.close()


def test_dream_cancel_writes_nothing(tmp_path: Path, make_store, make_app) -> None:
    store = make_store(candidate=False)
    started = threading.Event()

    def slow_dream(store: Any, transcripts: Any = (), progress: Any = None, cancel: Any = None) -> Any:
        from reverie.dreamer.engines.base import DreamCancelled

        progress("ingest", 0, 10)
        started.set()
        while not cancel.wait(0.01):
            pass
        raise DreamCancelled("dream cancelled")

    app = make_app(store, dream=slow_dream)
    before = store.head().id

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("d")
            await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
            await pilot.press("escape")
            await app.workers.wait_for_complete()
            await pilot.pause(0.1)
            assert isinstance(app.screen, MainScreen)
            assert any("cancelled" in n.message for n in app._notifications)

    asyncio.run(main())
    assert store.head().id == before and store.current_candidate() is None


def test_watcher_events_update_status_without_blocking(tmp_path: Path) -> None:
    """A real Watcher scan over new transcripts and a hand edit; events are marshalled to the UI."""
    from reverie.console.app import ReverieApp
    from reverie.dreamer.watch import Watcher

    store, ws, transcripts = scenario_store(tmp_path)
    app = ReverieApp(store, lambda: Store.open(ws), transcripts=[transcripts], watch=False)

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            watcher = Watcher(ws, [transcripts], app.on_watch_event, db_path=store.db_path, home=False)
            await asyncio.get_running_loop().run_in_executor(None, watcher.scan_once)
            await pilot.pause(0.1)
            names = {type(e).__name__ for e in app.watch_events}
            assert "SessionAdded" in names
            assert app.status_info.undreamed and app.status_info.undreamed >= 1
            line = static_text(app.screen.query_one("#status", Static))
            assert "not dreamed" in line

    asyncio.run(main())
    store.close()
