"""Blobs are content-addressed and deduplicated; op refs resolve like jj's."""

from __future__ import annotations

import pytest

from reverie.store.clock import SystemIds
from reverie.store.core import Store
from reverie.store.errors import NotFoundError, NothingToDoError, UsageError
from tests.store.conftest import P


def test_blob_roundtrip_dedupe_and_compression(store: Store) -> None:
    data = b"x" * 100_000
    h1 = store.blobs.put(data)
    h2 = store.blobs.put(data)
    assert h1 == h2
    store.blobs.forget()
    assert store.blobs.get(h1) == data
    size, at_rest, base = store.blobs.stored(h1)
    assert size == 100_000 and at_rest < 1_000 and base is None  # zlib at rest


def test_ids_are_time_ordered() -> None:
    gen = SystemIds()
    ids = [gen.new_id("op-") for _ in range(200)]
    assert ids == sorted(ids) and len(set(ids)) == 200


def test_resolve_refs(store: Store) -> None:
    store.open_candidate([P("one")])
    head = store.head()
    assert store.get_op("@").id == head.id
    assert store.get_op("@-").id == head.parent
    assert store.get_op(head.id[3:]).id == head.id  # without op-
    assert store.get_op(head.id[-8:]).id == head.id  # unique tail
    with pytest.raises(NotFoundError):
        store.get_op("op-ffffffffffffffff")
    with pytest.raises(UsageError):
        store.get_op("op-")  # prefix of everything
    with pytest.raises(NotFoundError):
        store.get_op("@----------")


def test_undo_with_nothing_to_undo(workspace) -> None:
    s = Store.open(workspace, create=True)
    s.init()  # empty workspace: only the init op
    with pytest.raises(NothingToDoError):
        s.undo()
    with pytest.raises(NothingToDoError):
        s.redo()


def test_review_op_stores_little(store: Store) -> None:
    store.open_candidate([P(f"rule {i}", f"Rule number {i} says something useful.") for i in range(50)])
    size = lambda: store.db.execute("SELECT coalesce(sum(length(data)),0) FROM blobs").fetchone()[0]  # noqa: E731
    before = size()
    store.approve([store.proposals()[0].id])
    assert size() - before < 2_000  # a view tree + small reviews map, not a copy of everything


def test_cache_roundtrip(store: Store) -> None:
    assert store.cache_get("signals", "k") is None
    store.cache_put("signals", "k", {"a": [1, 2]})
    assert store.cache_get("signals", "k") == {"a": [1, 2]}
