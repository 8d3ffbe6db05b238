"""The console shows observed writes in their own groups and acts on them (Pilot, real store, real files)."""

from __future__ import annotations

import os
from pathlib import Path

from reverie.console.app import ReverieApp
from reverie.console.screens.modals import PromptScreen
from reverie.console.widgets.info import InfoPane
from reverie.console.widgets.status import StatusLine, status_text
from reverie.dreamer.watch import AgentWrite
from reverie.store.store import Store
from tests.console.pilot import drive, queue, static_text
from tests.observed.helpers import STYLE, TESTING, catch_up, memory_dir, project, session


def _app(ws: Path, store: Store) -> ReverieApp:
    return ReverieApp(store, lambda: Store.open(ws), watch=False)


def test_groups_actor_status_keep_revert_and_the_whole_consolidation(workspace: Path) -> None:
    store = project(workspace)
    mem = memory_dir(workspace)
    s = session(workspace)
    s.edit(str(workspace / "CLAUDE.md"), "- Use pytest.", "- Use pytest.\n- Never push to main.")
    s.write_to()
    (workspace / "CLAUDE.md").write_text("# Project\n\n- Use pytest.\n- Never push to main.\n")
    catch_up(store)  # group 1: the agent's CLAUDE.md edit
    (mem / "testing.md").unlink()  # group 2: a consolidation (lock touched) deleting two notes, rewriting the index
    (mem / "style.md").unlink()
    (mem / "MEMORY.md").write_text("# Memory\n")
    (mem / ".consolidate-lock").write_text(str(os.getpid()))
    catch_up(store)
    app = _app(workspace, store)

    async def script(pilot, app) -> None:
        q = queue(app)
        headers = [r.kind for r in q.rows if r.proposal is None]
        assert headers[0] == "observed · agent (Edit)"
        assert headers[1] == "observed · agent (Auto Dream) · consolidation"
        assert [r.count for r in q.rows if r.proposal is None] == [1, 3]
        line = status_text(app.screen.query_one(StatusLine).info).plain
        assert "4 agent writes to review" in line
        # the first row is the CLAUDE.md edit: its provenance names the agent and the tool
        await pilot.press("g")
        await pilot.pause()
        assert q.current is not None and q.current.title.startswith("agent changed CLAUDE.md")
        info = static_text(app.screen.query_one(InfoPane))
        assert "written by the agent" in info and "Edit" in info
        await pilot.press("a")  # keep
        await pilot.pause()
        assert store.proposal(q.current.id).status == "applied"
        assert "Never push to main." in (workspace / "CLAUDE.md").read_text()
        # the consolidation: mark the whole group, revert it in one operation
        await pilot.press("j")
        await pilot.press("m")
        await pilot.pause()
        assert len(q.marked) == 3
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert (mem / "testing.md").read_text() == TESTING and (mem / "style.md").read_text() == STYLE
        assert store.head().kind == "revert"
        assert "agent writes to review" not in status_text(app.screen.query_one(StatusLine).info).plain
        # z undoes the revert: the consolidation's result is back, pending again
        await pilot.press("z")
        await pilot.pause()
        assert not (mem / "testing.md").exists()

    drive(app, script)


def test_a_new_write_while_the_console_is_open_is_announced_and_shown(workspace: Path) -> None:
    store = project(workspace)
    mem = memory_dir(workspace)
    app = _app(workspace, store)

    async def script(pilot, app) -> None:
        assert not [r for r in queue(app).rows if r.proposal is not None]
        (mem / "deploy.md").write_text("Deploy with `make release`.\n")
        other = Store.open(workspace)  # what the watcher thread does
        report = catch_up(other)
        other.close()
        (w,) = report.writes
        app.apply_watch_event(
            AgentWrite(key=w.key, path=w.path, change=w.change, writer="agent", proposal=w.proposal, tool="Write")
        )
        await pilot.pause(0.4)  # the burst timer
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("the agent (Write) changed deploy.md" in m for m in messages), messages
        assert [p.id for p in queue(app).proposals] == [w.proposal]

    drive(app, script)
