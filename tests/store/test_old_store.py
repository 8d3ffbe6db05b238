"""A store written by an older Reverie opens, migrates and reads exactly as it did, and keeps working.

The fixture (`fixtures/old_store`, made by `fixtures/make_old_store.py` with the
Reverie from before compact operations, schema m005) holds a real history: dreams,
reviews, applies, a hand edit read in, a discard, undo, redo, restore and gc, with a
review map big enough to be a bucket tree. Everything that Reverie read back is in
`expected.json`; this one must read the same, restore the same bytes, and go on.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
from pathlib import Path

from reverie.store.core import Store
from tests.store.conftest import P

FIXTURE = Path(__file__).parent / "fixtures" / "old_store"


def digest(obj: object) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


def files(ws: Path) -> dict[str, str]:
    return {
        p.relative_to(ws).as_posix(): p.read_text()
        for p in sorted(ws.rglob("*"))
        if p.is_file() and ".reverie" not in p.parts
    }


def _unpack(tmp_path: Path) -> tuple[Path, dict]:
    expected = json.loads((FIXTURE / "expected.json").read_text())
    ws = tmp_path / "ws"
    for key, text in expected["workspace"].items():
        (ws / key).parent.mkdir(parents=True, exist_ok=True)
        (ws / key).write_text(text)
    (ws / ".reverie").mkdir()
    (ws / ".reverie" / "reverie.db").write_bytes(gzip.decompress((FIXTURE / "reverie.db.gz").read_bytes()))
    return ws, expected


def test_an_old_store_reads_as_it_did(tmp_path: Path) -> None:
    ws, expected = _unpack(tmp_path)
    s = Store.open(ws)
    assert s.head().id == expected["head"]
    pruned = s.pruned_operations()
    got = []
    for op in s.log():
        undo_next, redo = s.oplog.nav(op.id)
        doc = op.to_dict() | {"undo_next": undo_next, "redo": redo, "pruned": op.id in pruned}
        if op.id not in pruned:
            v = s.view(op.id)
            maps = {"artifacts": v.artifacts, "files": v.files, "reviews": v.reviews, "candidates": v.candidates}
            doc["maps"] = {name: digest(m) for name, m in maps.items()}
        got.append(doc)
    assert got == expected["operations"]
    assert any(doc["pruned"] for doc in got) and any(not doc["pruned"] for doc in got)
    for cid, want in expected["candidates"].items():
        c = s.snapshot().candidate(cid)
        props = s.proposals(cid)
        assert dataclasses.asdict(c) == want["candidate"]
        assert props[0].to_dict() | {"meta": props[0].meta} == want["first"]
        assert digest([p.to_dict() | {"meta": p.meta} for p in props]) == want["proposals"]
        summaries = [[p.id, p.status, p.title, p.kind, p.scope] for p in s.proposal_summaries(cid)]
        assert digest(summaries) == want["summaries"]
    s.close()


def test_an_old_store_restores_the_same_bytes_and_goes_on(tmp_path: Path) -> None:
    ws, expected = _unpack(tmp_path)
    s = Store.open(ws)
    views = {doc["id"]: doc["view"] for doc in expected["operations"]}
    for want in expected["restores"]:
        s.restore(want["op"])
        assert files(ws) == want["files"], f"restore to {want['op']}"
        v = s.view()
        maps = {"artifacts": v.artifacts, "files": v.files, "reviews": v.reviews, "candidates": v.candidates}
        assert {name: digest(m) for name, m in maps.items()} == want["maps"]
        assert (s.head().view_hash == views[want["op"]]) == want["same_view"]
    # new operations build on the migrated ones: dream, approve, apply, undo, and back to an old state
    cand = s.open_candidate([P("After the upgrade", "Written by the new store.")])
    s.approve([p.id for p in s.proposals(cand.id)])
    s.apply()
    assert "- Written by the new store." in (ws / "CLAUDE.md").read_text()
    s.undo()
    assert "Written by the new store." not in (ws / "CLAUDE.md").read_text()
    s.gc(0)  # prunes every old operation; the head's view must survive it
    s.close()
    s = Store.open(ws)
    assert s.view().artifacts == s.view(s.head().id).artifacts
    assert s.view_blobs(s.head().id) <= s.blobs.hashes()
    s.close()
