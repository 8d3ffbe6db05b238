"""SIGKILL in the middle of apply leaves the old state (or the new), never half."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from reverie.store.core import Store
from tests.store.conftest import P, paused_apply, world


def _prepare(ws: Path) -> Store:
    (ws / "CLAUDE.md").write_text("# Project\n\nHand text.\n")
    s = Store.open(ws, create=True)
    s.init()
    s.open_candidate(
        [
            P("Run tests"),
            P("Deploy", "Deploy carefully.", kind="command"),
            P("Generated", "Never edit generated.", kind="rule", scope="path", paths=["gen/**"]),
        ]
    )
    s.approve([p.id for p in s.proposals()])
    return s


@pytest.mark.parametrize("writes_before_kill", [1, 2])
def test_sigkill_between_file_writes(workspace: Path, temp_home: Path, tmp_path: Path, writes_before_kill: int) -> None:
    s = _prepare(workspace)
    head = s.head().id
    before = world(workspace, temp_home)
    s.close()
    with paused_apply(workspace, tmp_path / "paused", REVERIE_TEST_PAUSE_AFTER_WRITES=str(writes_before_kill)) as child:
        half = world(workspace, temp_home)
        assert half != before  # the kill really lands between writes
        os.kill(child.pid, signal.SIGKILL)
    assert child.returncode == -signal.SIGKILL

    s = Store.open(workspace)  # recovery rolls the half-written files back
    assert world(workspace, temp_home) == before
    assert s.head().id == head
    assert s.db.execute("SELECT count(*) FROM journal").fetchone()[0] == 0
    assert {p.status for p in s.proposals()} == {"approved"}
    res = s.apply()  # and the store still works
    assert len(res.applied) == 3
    s.undo()
    assert world(workspace, temp_home) == before
