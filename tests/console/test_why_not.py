"""`w` on the queue: why the dream kept or dropped each moment (the cached ledger of the open candidate)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from reverie.console.screens.whynot import WhyNotScreen
from reverie.dreamer.ledger import EXPLAIN_NAMESPACE
from tests.console.pilot import drive, queue, static_text


def test_why_not_shows_the_selected_proposals_moments_then_the_dropped_ones(make_store, make_app) -> None:
    store = make_store()
    cand = store.current_candidate()
    first = store.proposals()[0]
    store.cache_put(
        EXPLAIN_NAMESPACE,
        cand.id,
        [
            {
                "session_id": "sess-aaaa1111",
                "uuid": "u1",
                "ts": "2026-01-02T10:00:00Z",
                "source": "turn",
                "text": "don't hand-edit generated migrations",
                "turn": "correction",
                "after": "edit",
                "decision": "kept",
                "reason": "correction in 2 session(s) → rule",
                "proposal": first.id,
            },
            {
                "session_id": "sess-aaaa1111",
                "uuid": "u2",
                "ts": "2026-01-02T10:01:00Z",
                "source": "turn",
                "text": "can you add a created_at column?",
                "turn": "question",
                "after": "start",
                "decision": "dropped",
                "reason": "question: asks something",
                "proposal": "",
            },
        ],
    )

    async def script(pilot: Any, app: Any) -> None:
        q = queue(app)
        q.focus()
        while q.current is not None and q.current.id != first.id:
            await pilot.press("j")
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, WhyNotScreen)
        shown = static_text(app.screen.query_one("#why-not-table", Static))
        assert shown.index("kept as this proposal") < shown.index("dropped: question")
        assert "created_at" in shown and first.id in shown
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, WhyNotScreen)

    drive(make_app(store), script)
