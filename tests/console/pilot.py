"""Driving the real console as a person would (Textual's Pilot): shared by the console tests."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from typing import Any

from textual.widgets import OptionList

from reverie.console.screens.modals import ChoiceScreen
from reverie.console.widgets.queue import QueueView

SIZE = (120, 40)


def drive(app: Any, script: Callable[[Any, Any], Awaitable[None]]) -> None:
    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await script(pilot, app)

    asyncio.run(main())


async def settle(pilot: Any) -> None:
    """Wait for the first load (a worker thread) to land on screen."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def queue(app: Any) -> QueueView:
    return app.screen.query_one(QueueView)


async def goto(pilot: Any, app: Any, title: str) -> None:
    """Move the cursor to the proposal with this title (j/k like a person)."""
    q = queue(app)
    titles = [p.title for p in q.proposals]
    assert title in titles, titles
    await pilot.press("g")
    for _ in range(titles.index(title)):
        await pilot.press("j")
    await pilot.pause()
    assert q.current is not None and q.current.title == title


async def open_choice(pilot: Any, key: str) -> OptionList:
    """Press `key` (s: scope, K: kind) and return the options of the choice it opens."""
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(pilot.app.screen, ChoiceScreen), pilot.app.screen
    return pilot.app.screen.query_one(OptionList)


def prompts(options: OptionList) -> list[str]:
    """Each option's text, as the person reads it."""
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def by_title(store: Any, title: str) -> Any:
    return next(p for p in store.proposals() if p.title == title)


def static_text(widget: Any) -> str:
    from rich.console import Console

    con = Console(width=200, record=True, file=io.StringIO())
    con.print(getattr(widget, "renderable", None) or widget.content)
    return con.export_text()
