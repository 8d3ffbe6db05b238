"""View maps: the incremental update gives exactly the hash a full store gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reverie.store.blobs import Blobs
from reverie.store.db import open_db
from reverie.store.views import View, get_map, load_view, put_map, save_view, update_map

keys = st.text("abcdef0123456789-", min_size=1, max_size=6)
maps = st.dictionaries(keys, st.integers(0, 3), max_size=300)


@settings(max_examples=40, deadline=None)
@given(base=maps, edits=st.dictionaries(keys, st.one_of(st.none(), st.integers(0, 3)), max_size=40))
def test_update_map_equals_put_map(tmp_path_factory, base: dict, edits: dict) -> None:
    db = open_db(tmp_path_factory.mktemp("v") / "r.db", create=True)
    blobs = Blobs(db)
    base_hash = put_map(blobs, base)
    assert get_map(blobs, base_hash) == base
    cur = dict(base)
    for k, v in edits.items():
        if v is None:
            cur.pop(k, None)
        else:
            cur[k] = v
    h = update_map(blobs, base_hash, base, cur)
    assert h == put_map(blobs, cur)
    assert get_map(blobs, h) == cur
    db.conn.close()


def test_view_roundtrip_with_big_maps(tmp_path) -> None:
    db = open_db(tmp_path / "r.db", create=True)
    blobs = Blobs(db)
    v = View(
        artifacts={f"a-{i}": f"h{i}" for i in range(500)},
        reviews={f"p-{i}": {"status": "approved"} for i in range(700)},
        candidates={f"c-{i}": "applied" for i in range(90)},
    )
    h = save_view(blobs, v)
    loaded = load_view(blobs, h)
    assert (loaded.artifacts, loaded.reviews, loaded.candidates) == (v.artifacts, v.reviews, v.candidates)
    changed = loaded.copy()
    changed.reviews["p-3"] = {"status": "rejected"}
    h2 = save_view(blobs, changed)
    assert h2 != h and load_view(blobs, h2).reviews["p-3"] == {"status": "rejected"}
    assert h2 == save_view(Blobs(db), View(changed.artifacts, changed.files, changed.reviews, changed.candidates))
    db.conn.close()
