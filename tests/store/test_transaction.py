"""One transaction object: stage, then commit one operation — or leave and change nothing."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from reverie.store.core import Store
from reverie.store.errors import ReverieError, UsageError
from reverie.store.journal import FileChange
from reverie.store.models import Candidate
from tests.fakes import CountingIds, MinuteClock
from tests.store.conftest import P


def _counts(s: Store) -> tuple[int, int, int, int]:
    row = s.db.execute(
        "SELECT (SELECT count(*) FROM operations), (SELECT count(*) FROM blobs),"
        " (SELECT count(*) FROM candidates), (SELECT count(*) FROM journal)"
    ).fetchone()
    return tuple(row)


def test_leaving_without_commit_changes_nothing(store: Store, workspace: Path) -> None:
    before = _counts(store)
    with store.transaction("approve") as tx:
        tx.view.reviews["p-x"] = {"status": "approved"}
        tx.blobs.put(b"a blob nobody will see")
        tx.write_files([FileChange("new.md", workspace / "new.md", None, b"x")])
    assert _counts(store) == before
    assert not (workspace / "new.md").exists()
    assert "p-x" not in store.view().reviews


def test_an_exception_rolls_everything_back_and_releases_the_lock(store: Store) -> None:
    before = _counts(store)
    with pytest.raises(RuntimeError, match="boom"), store.transaction("dream", "dream") as tx:
        tx.view.candidates["c-x"] = "open"
        raise RuntimeError("boom")
    assert _counts(store) == before
    done = threading.Event()
    threading.Thread(target=lambda: (store.open_candidate([P("after")]), done.set())).start()
    assert done.wait(30)  # another thread gets the writer lock


def test_commit_records_one_operation_with_files_journaled(store: Store, workspace: Path) -> None:
    with store.transaction("restore") as tx:
        tx.write_files([FileChange("note.md", workspace / "note.md", None, b"hello\n")])
        op = tx.commit("write a note")
    assert (workspace / "note.md").read_bytes() == b"hello\n"
    assert op.kind == "restore" and store.head().id == op.id
    assert op.data["files"] == {"note.md": "write"} and op.data["snapshots"] == {"note.md": None}
    assert _counts(store)[3] == 0  # the journal row went with the commit
    with pytest.raises(RuntimeError), store.transaction("x") as tx2:
        tx2.commit("one")
        tx2.commit("two")


def test_a_transaction_inside_another_is_refused_and_the_outer_one_still_commits(store: Store) -> None:
    with store.transaction("approve") as tx:
        tx.view.reviews["p-x"] = {"status": "approved"}
        tx.blobs.put(b"staged by the outer transaction")
        with pytest.raises(RuntimeError, match="inside another"), store.transaction("reject"):
            pass
        op = tx.commit("outer")
    assert store.head().id == op.id and store.view().reviews["p-x"] == {"status": "approved"}


def test_unknown_actor_is_a_usage_error(store: Store) -> None:
    with pytest.raises(UsageError, match="unknown actor"):
        store.transaction("x", actor="robot")


def test_dream_marks_sessions_in_the_candidate_transaction(store: Store) -> None:
    sessions = store.sessions

    def ingested(sid: str) -> None:  # a session as ingest leaves it: events and a content hash
        sessions.ensure_session(sid, "claude")
        store.db.execute("UPDATE sessions SET events = 3, content_hash = 'h' WHERE id = ?", [sid])

    ingested("s-1")
    cand = store.open_candidate([P("a")], dreamed_sessions=["s-1"])
    assert sessions.undreamed_ids() == [] and store.current_candidate() == cand
    ingested("s-2")
    # a candidate whose rows cannot be written takes the dreamed markers down with it
    with pytest.raises(ReverieError, match="database error"), store.transaction("dream", "dream") as tx:
        tx.mark_dreamed(["s-2"])
        tx.add_candidate(Candidate(id=cand.id, base_op=cand.base_op, created_at="now"), [])  # duplicate id
        tx.commit("fails")
    assert sessions.undreamed_ids() == ["s-2"]


def test_clock_and_ids_are_injected(workspace: Path) -> None:
    s = Store.open(workspace, create=True, clock=MinuteClock(), ids=CountingIds())
    s.init()
    cand = s.open_candidate([P("one")])
    ops = s.log()
    assert [op.id for op in reversed(ops)] == ["op-00000000000010000", "op-00000000000040000"]
    assert s.proposals()[0].id == "p-0000000002" and cand.id == "c-00000000000030000"
    assert [op.created_at for op in reversed(ops)] == ["2026-01-01T00:00:00.000000Z", "2026-01-01T00:02:00.000000Z"]
    s.cache_put("ns", "k", 1)
    assert s.db.execute("SELECT created_at FROM cache").fetchone()[0] == "2026-01-01T00:03:00.000000Z"
    s.sessions.ensure_session("s-1", "claude")  # the sessions index reads the same clock
    s.open_candidate([P("two")], dreamed_sessions=["s-1"])
    assert s.sessions.session("s-1")["dreamed_at"].startswith("2026-01-01T00:")
    s.close()
