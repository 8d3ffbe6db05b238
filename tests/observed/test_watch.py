"""The watcher turns writes to the agent's files into `agent_write` events (and pending proposals)."""

from __future__ import annotations

import queue
from pathlib import Path

import pytest

from reverie.dreamer.watch import AgentWrite, Watcher
from tests.ingest.test_watch import _wait_for
from tests.observed.helpers import memory_dir, project, session


@pytest.mark.parametrize("polling", [False, True])
def test_live_agent_write_and_a_write_from_before_the_watcher(workspace: Path, polling: bool) -> None:
    store = project(workspace)
    mem = memory_dir(workspace)
    (mem / "before.md").write_text("written while nothing watched\n")  # picked up by the start-up pass
    q: queue.Queue = queue.Queue()
    w = Watcher(
        workspace,
        [],
        q.put,
        db_path=store.db_path,
        debounce=0.1,
        observe_quiet=0.2,
        reconcile_every=60,
        force_polling=polling,
        polling_interval=0.2,
    )
    w.start()
    try:
        early = _wait_for(q, lambda e: isinstance(e, AgentWrite))
        assert early.key.endswith("/before.md") and early.writer == "person"
        s = session(workspace, "live")
        call = s.write(str(mem / "live.md"), "Run the linter before committing.\n")
        s.write_to()
        (mem / "live.md").write_text("Run the linter before committing.\n")
        ev = _wait_for(q, lambda e: isinstance(e, AgentWrite) and e.key.endswith("/live.md"))
        assert ev.to_dict()["event"] == "agent_write"
        assert (ev.writer, ev.change, ev.tool, ev.session_id) == ("agent", "add", "Write", s.session_id)
        assert store.proposal(ev.proposal).evidence[0].event_uuid == call
    finally:
        w.stop()
    assert store.status()["observed"]["unreviewed"] == 2
