"""Views stored as what each operation changed: small rows, checkpoints past the chain limit, exact reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from reverie.store import viewlog
from reverie.store.core import Store
from tests.store.conftest import P, tree


def _maps(s: Store, op_id: str | None = None) -> dict[str, dict]:
    v = s.view(op_id)
    return {"artifacts": v.artifacts, "files": v.files, "reviews": v.reviews, "candidates": v.candidates}


def _record(s: Store, op_id: str) -> tuple[int | None, dict]:
    rec = s.oplog.view_record(s.oplog.seq_of(op_id))
    return rec.base, rec.payload


def test_an_approve_is_a_diff_of_one_review_and_stores_no_blob(store: Store) -> None:
    cand = store.open_candidate([P("Use pnpm")])
    pid = store.proposals(cand.id)[0].id
    blobs_before = len(store.blobs.hashes())
    op = store.approve([pid])
    base, payload = _record(store, op.id)
    assert base == store.oplog.seq_of(op.parent or "")
    assert payload == {"d": {"reviews": {pid: {"status": "approved", "by": "person"}}}}
    assert len(store.blobs.hashes()) == blobs_before
    size = store.db.execute("SELECT length(record) FROM operations WHERE id = ?", [op.id]).fetchone()[0]
    assert size < 80  # the whole record: view diff, actor, kind, description, data


def test_undo_redo_and_restore_are_empty_diffs_against_the_view_they_return_to(store: Store) -> None:
    cand = store.open_candidate([P("Use pnpm")])
    store.approve([p.id for p in store.proposals(cand.id)])
    applied = store.apply().op
    assert applied is not None and applied.parent is not None
    undo = store.undo()
    assert _record(store, undo.id) == (store.oplog.seq_of(applied.parent), {"d": {}})
    assert undo.view_hash == store.get_op(applied.parent).view_hash
    redo = store.redo()
    assert _record(store, redo.id) == (store.oplog.seq_of(applied.id), {"d": {}})
    assert redo.view_hash == applied.view_hash
    restored = store.restore(cand_op := store.log()[-1].id)  # the first operation
    assert _record(store, restored.id)[0] == store.oplog.seq_of(cand_op)


def test_views_past_the_chain_limit_are_checkpoints_and_every_one_reads_back(workspace: Path) -> None:
    (workspace / "CLAUDE.md").write_text("# Project\n\nHand-written notes.\n")
    s = Store.open(workspace, create=True)
    s.init()
    cand = s.open_candidate([P(f"Lesson {i}", f"Lesson number {i}.") for i in range(30)])
    ids = [p.id for p in s.proposals(cand.id)]
    seen = {}
    files = {}
    for i in range(2 * viewlog.CHAIN_MAX + 10):  # reviews back and forth: 266 operations
        op = s.approve([ids[i % 30]]) if (i // 30) % 2 == 0 else s.reject([ids[i % 30]])
        seen[op.id] = _maps(s)
        if i % 50 == 7:
            other = s.open_candidate([P(f"Rule {i}", f"Rule number {i}.")])
            s.approve([p.id for p in s.proposals(other.id)])
            applied = s.apply(other.id).op
            assert applied is not None
            seen[applied.id], files[applied.id] = _maps(s), tree(workspace)
    checkpoints = s.db.execute("SELECT count(*) FROM operations WHERE view_base IS NULL").fetchone()[0]
    assert checkpoints >= 3  # init, and one per CHAIN_MAX diffs
    s.close()
    s = Store.open(workspace)  # nothing cached: every view read from its checkpoint and diffs
    for op_id, maps in seen.items():
        assert _maps(s, op_id) == maps
    for op_id, want in list(files.items())[:3]:
        s.restore(op_id)
        assert tree(workspace) == want and _maps(s) == seen[op_id]
    s.close()


def test_gc_keeps_the_tree_a_live_view_is_read_from(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(viewlog, "CHAIN_MAX", 4)
    (workspace / "CLAUDE.md").write_text("# Project\n\nHand-written notes.\n")
    s = Store.open(workspace, create=True)
    s.init()
    for i in range(6):
        cand = s.open_candidate([P(f"Rule {i}", f"Rule number {i}.")])
        s.approve([p.id for p in s.proposals(cand.id)])
        s.apply()
    head = s.head()
    assert _record(s, head.id)[0] is not None  # a diff: its checkpoint is an older (pruned) operation
    want, text = _maps(s), (workspace / "CLAUDE.md").read_bytes()
    s.gc(0)
    s.close()
    s = Store.open(workspace)
    assert _maps(s) == want and s.view_blobs(head.id) <= s.blobs.hashes()
    assert s.head().view_hash == head.view_hash
    for i in range(6):  # new operations on top, past another checkpoint, and back
        cand = s.open_candidate([P(f"After gc {i}", f"Written after gc ({i}).")])
        s.approve([p.id for p in s.proposals(cand.id)])
        s.apply()
    assert b"Written after gc (5)." in (workspace / "CLAUDE.md").read_bytes()
    s.restore(head.id)
    assert (workspace / "CLAUDE.md").read_bytes() == text and _maps(s) == want
    s.close()
