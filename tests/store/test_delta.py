"""Delta-friendly blobs: a new version costs its change, reads stay whole, old databases still open."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reverie.store import delta
from reverie.store.blobs import MAX_DEPTH, sha256
from reverie.store.core import Store
from reverie.store.schema import migrations as core_migrations
from tests.store.conftest import P

FILLER = "".join(f"- Hand-written guideline number {i:05d}: keep the code tidy and tested.\n" for i in range(700))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.binary(max_size=300), st.binary(max_size=40), st.binary(max_size=40))
def test_delta_round_trip(common: bytes, tail: bytes, a: bytes, b: bytes) -> None:
    base, data = common + a + tail, common + b + tail
    assert delta.decode(base, delta.encode(base, data)) == data
    assert delta.decode(data, delta.encode(data, base)) == base


def test_a_one_line_change_costs_a_few_bytes() -> None:
    base = ("# Project\n\n" + FILLER).encode()
    data = base.replace(b"number 00350: keep", b"number 00350: always keep")
    diff = delta.encode(base, data)
    assert delta.decode(base, diff) == data and len(diff) < 40 < len(zlib.compress(data))


def test_versions_are_deltas_and_chains_stay_short(store: Store) -> None:
    blobs = store.blobs
    text = ("# Project\n\n" + FILLER).encode()
    prev = blobs.put(text)
    versions = {prev: text}
    for i in range(MAX_DEPTH + 10):
        text = text.replace(b"keep the code", f"keep it ({i})".encode(), 1)
        prev = blobs.put(text, prev)
        versions[prev] = text
    sizes = [blobs.stored(h) for h in versions]
    assert sum(1 for _size, _rest, base in sizes if base is not None) >= MAX_DEPTH
    assert any(base is None for _size, _rest, base in sizes[1:])  # a whole version caps the chain
    assert max(at_rest for _size, at_rest, base in sizes if base is not None) < 100
    blobs.forget()
    assert all(blobs.get(h) == data for h, data in versions.items())


def test_a_hand_edit_read_in_by_import_stores_its_change_not_the_file(workspace: Path) -> None:
    claude = workspace / "CLAUDE.md"
    claude.write_text("# Project\n\n" + FILLER)
    s = Store.open(workspace, create=True)
    s.init()
    before = sum(at_rest for _s, at_rest, _b in map(s.blobs.stored, s.blobs.hashes()))
    lines = claude.read_text().splitlines(keepends=True)
    for i in range(20):
        lines[2 + i * 30] = f"- Hand-written guideline number {i}: edited by hand.\n"
        claude.write_text("".join(lines))
        s.import_workspace()
    after = sum(at_rest for _s, at_rest, _b in map(s.blobs.stored, s.blobs.hashes()))
    assert (after - before) / 20 < 400  # the file, its document artifact and the view: deltas (was ~4.3 KB)
    s.blobs.forget()
    assert s.blobs.get(s.recorded_files()["CLAUDE.md"]) == claude.read_bytes()
    s.close()


def test_gc_keeps_a_live_delta_whose_base_it_deletes(store: Store, workspace: Path) -> None:
    claude = workspace / "CLAUDE.md"
    for i in range(5):
        store.open_candidate([P(f"rule {i}", f"Rule number {i}: " + "x" * 200)])
        store.approve([p.id for p in store.proposals()])
        store.apply()
    expected = claude.read_bytes()
    store.gc(0)  # every earlier version goes, the head's file record was a delta against one of them
    store.blobs.forget()
    assert store.blobs.get(store.recorded_files()["CLAUDE.md"]) == expected
    store.open_candidate([P("after gc", "Still works.")])  # and new versions build on the rewritten one
    store.approve([p.id for p in store.proposals()])
    store.apply()
    text = claude.read_bytes()
    assert b"- Still works." in text and all(f"Rule number {i}".encode() in text for i in range(5))


def test_a_database_from_before_deltas_opens_and_reads(tmp_path: Path, workspace: Path) -> None:
    db_path = tmp_path / "old.db"
    conn = sqlite3.connect(db_path)
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    core_migrations.apply(db, stop_before="m004_blob_deltas")
    data = b"an old whole blob\n" * 20
    conn.execute("INSERT INTO blobs(hash, size, data) VALUES (?, ?, ?)", [sha256(data), len(data), zlib.compress(data)])
    conn.commit()
    conn.close()
    s = Store.open(workspace, db_path=db_path, create=True)
    assert s.blobs.get(sha256(data)) == data and s.blobs.stored(sha256(data))[2] is None
    s.init()  # and it works as a store
    assert s.head().kind in ("init", "import")
    s.close()
