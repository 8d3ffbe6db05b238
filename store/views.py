"""Views: what the active store and the workspace look like after an operation.

A view is four maps:

    {"artifacts": map(artifact_id -> artifact blob),
     "files": map(key -> {"hash": file blob, "created": bool, "mode": int}),
     "reviews": map(proposal_id -> review overrides),
     "candidates": map(candidate_id -> status)}

Stored whole, a view is a small tree of blobs (like a git tree): a top node
naming or holding the maps, each big map split into hash buckets (`put_map`).
Most operations store only what they changed (store.viewlog); a whole tree is
a checkpoint their diffs start from.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from typing import Any

from reverie.store.blobs import Blobs, canonical_json, sha256
from reverie.store.models import Artifact

MAPS = ("artifacts", "files", "reviews", "candidates")

FileRecord = dict[str, Any]
"""A view's record of one workspace file: {"hash": blob of its bytes, "created": Reverie made the
file, "mode": permission bits (optional), "edited_from": blob of the file as the person left it before
Reverie edited people's text in it (optional; see store.sync.wanted_bytes)}. ``"hash": None``
records the file as absent: Reverie deleted a file it did not create (a retired imported rule),
so restore knows to delete it again. ``"disk"``: the sha256 of the bytes on disk when the blob is
their redacted stand-in (an observed version that held a credential, see store.observed).
"""


def record_hash(rec: FileRecord | None) -> str | None:
    """The blob a file record points to (None: no record, or the file is recorded as absent)."""
    if rec is None:
        return None
    h = rec.get("hash")
    return str(h) if h else None


def recorded_bytes(blobs: Blobs, rec: FileRecord | None, disk: bytes | None = None) -> bytes | None:
    """The bytes a file record stands for (None: no record, or the file is recorded as absent).

    A version kept redacted (it held a credential) stores the redacted text and
    the disk bytes' hash under ``disk``: when `disk` is exactly those bytes, they
    are what the record stands for.
    """
    h = record_hash(rec)
    if h is None:
        return None
    if rec and rec.get("disk") and disk is not None and sha256(disk) == rec["disk"]:
        return disk
    return blobs.get(h)


@dataclass(frozen=True)
class Origin:
    """The operation a view was read from, as store.viewlog needs it to store the next one.

    `maps` are that operation's maps as read (never mutated): the next view is
    stored as its difference from them. `depth` and `weight` are the number
    and bytes of diffs between it and the checkpoint tree `tree` (whose maps
    and forms are `tree_loaded`, see View.loaded).
    """

    seq: int
    vid: str
    depth: int
    weight: int
    maps: dict[str, dict[str, Any]]
    tree: str
    tree_loaded: dict[str, tuple[dict[str, Any], str]]


@dataclass
class View:
    artifacts: dict[str, str] = field(default_factory=dict)
    files: dict[str, FileRecord] = field(default_factory=dict)
    reviews: dict[str, dict[str, Any]] = field(default_factory=dict)
    candidates: dict[str, str] = field(default_factory=dict)
    loaded: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict, compare=False, repr=False)
    """The checkpoint tree's maps as loaded (never mutated) with their hashes ("" for a map kept inline):
    when this view is stored whole, maps unchanged since are not re-stored."""
    source: str | None = field(default=None, compare=False, repr=False)
    """The checkpoint tree (top node hash) this view derives from: stored whole, it is a delta against it."""
    origin: Origin | None = field(default=None, compare=False, repr=False)
    """The operation this view was read from (None: built from nothing); see store.viewlog."""

    def copy(self) -> View:
        """A copy to change: replace entries (``reviews[pid] = {...}``), never mutate them in place."""
        return View(
            dict(self.artifacts),
            dict(self.files),
            dict(self.reviews),
            dict(self.candidates),
            self.loaded,
            self.source,
            self.origin,
        )

    def maps(self) -> dict[str, dict[str, Any]]:
        """The four maps by name (the same dicts, not copies)."""
        return {
            "artifacts": self.artifacts,
            "files": self.files,
            "reviews": self.reviews,
            "candidates": self.candidates,
        }


FLAT_MAX = 128
"""Maps up to this many entries are one blob; bigger ones are split into buckets."""
INLINE_MAX = 2048
"""A map whose JSON is at most this many bytes lives inside the view's top node, not in a blob of its own.

Why: most workspaces have a handful of artifacts and files; a blob per small
map cost a row, an index entry and a 64-character reference per operation.
"""


def _inline(d: dict[str, Any]) -> bool:
    return len(d) <= 64 and len(canonical_json(d)) <= INLINE_MAX


@functools.lru_cache(maxsize=65536)
def _key_hash(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()


def _bucket(key: str, depth: int) -> str:
    return _key_hash(key)[depth]


def put_map(blobs: Blobs, d: dict[str, Any], depth: int = 0, base: str | None = None) -> str:
    """Store a map as a small Merkle tree (16-way by key hash).

    Why: the reviews and candidates maps grow with history; a flat blob would
    make every operation rewrite all of it. Buckets that did not change keep
    their hash, so an operation stores only the buckets it touched — each as a
    delta against its previous version (`base`) when that is smaller.
    """
    if len(d) <= FLAT_MAX or depth >= 8:
        return blobs.put_json({"flat": d}, base)
    buckets: dict[str, dict[str, Any]] = {}
    for k, v in d.items():
        buckets.setdefault(_bucket(k, depth), {})[k] = v
    return blobs.put_json({"buckets": {b: put_map(blobs, sub, depth + 1) for b, sub in buckets.items()}})


_MISSING = object()


def update_map(
    blobs: Blobs,
    base_hash: str,
    base: dict[str, Any],
    cur: dict[str, Any],
    depth: int = 0,
    changed: set[str] | None = None,
) -> str:
    """The hash `put_map(cur)` would give, re-storing only the buckets that changed.

    `base` must be the map stored at `base_hash` (as loaded). Only buckets that
    hold a changed key are rebuilt, starting from their stored sub-map, so one
    review in a long history costs a few small blobs and no full pass.
    """
    if changed is None:
        changed = {k for k, v in cur.items() if base.get(k, _MISSING) is not v and base.get(k, _MISSING) != v}
        changed.update(k for k in base if k not in cur)
    if not changed:
        return base_hash
    if len(cur) <= FLAT_MAX or depth >= 8:
        return put_map(blobs, cur, depth, base_hash)
    node = blobs.get_json(base_hash)
    if "buckets" not in node:
        return put_map(blobs, cur, depth)
    by_bucket: dict[str, set[str]] = {}
    for k in changed:
        by_bucket.setdefault(_bucket(k, depth), set()).add(k)
    out = dict(node["buckets"])
    for b, keys in by_bucket.items():
        old_hash = out.get(b)
        old_sub = get_map(blobs, old_hash) if old_hash is not None else {}
        sub = dict(old_sub)
        for k in keys:
            if k in cur:
                sub[k] = cur[k]
            else:
                sub.pop(k, None)
        if not sub:
            out.pop(b, None)
        elif old_hash is None:
            out[b] = put_map(blobs, sub, depth + 1)
        else:
            out[b] = update_map(blobs, old_hash, old_sub, sub, depth + 1, keys)
    return blobs.put_json({"buckets": out}, base_hash)


def get_map(blobs: Blobs, h: str) -> dict[str, Any]:
    """The whole map stored at `h` (cached; callers must not mutate it)."""
    cached = blobs.map_cache.get(h)
    if cached is not None:
        return cached
    node = blobs.get_json(h)
    out: dict[str, Any]
    if "flat" in node:
        out = node["flat"]
    else:
        out = {}
        for sub in node["buckets"].values():
            out.update(get_map(blobs, sub))
    if len(blobs.map_cache) > 256:
        blobs.map_cache.clear()
    blobs.map_cache[h] = out
    return out


def _map_refs(blobs: Blobs, h: str | dict[str, Any], out: set[str]) -> dict[str, Any]:
    if isinstance(h, dict):  # kept inline in the top node
        inline: dict[str, Any] = h["flat"]
        return inline
    out.add(h)
    node = blobs.get_json(h)
    if "flat" in node:
        flat: dict[str, Any] = node["flat"]
        return flat
    merged: dict[str, Any] = {}
    for sub in node["buckets"].values():
        merged.update(_map_refs(blobs, sub, out))
    return merged


def save_view(blobs: Blobs, view: View) -> str:
    """Store the view (a top node naming or holding its four maps); its hash.

    A map that did not change since it was loaded keeps its form (blob or
    inline), so restoring a view reproduces its hash; a changed one is inlined
    when small (`INLINE_MAX`), else stored as a tree re-storing only what changed.
    """
    top: dict[str, Any] = {}
    for name in MAPS:
        current = getattr(view, name)
        known = view.loaded.get(name)
        if known is not None and known[0] == current:
            top[name] = known[1] if known[1] else {"flat": current}
        elif _inline(current):
            top[name] = {"flat": current}
        elif known is None or not known[1] or not blobs.has_cached(known[1]):
            top[name] = put_map(blobs, current)
        else:
            top[name] = update_map(blobs, known[1], known[0], current)
    return blobs.put_json(top, view.source)


def load_view(blobs: Blobs, view_hash: str) -> View:
    top = blobs.get_json(view_hash)
    maps: dict[str, dict[str, Any]] = {}
    hashes: dict[str, str] = {}
    for name in MAPS:
        node = top[name]
        if isinstance(node, dict):
            maps[name], hashes[name] = node["flat"], ""
        else:
            maps[name], hashes[name] = get_map(blobs, node), node
    # Shallow copies: entries (file records, reviews) are replaced, never mutated in place.
    return View(
        artifacts=dict(maps["artifacts"]),
        files=dict(maps["files"]),
        reviews=dict(maps["reviews"]),
        candidates=dict(maps["candidates"]),
        loaded={name: (maps[name], hashes[name]) for name in MAPS},
        source=view_hash,
    )


def view_blob_refs(blobs: Blobs, view_hash: str) -> set[str]:
    """Every blob hash a view stored whole needs (for gc): the tree's nodes, artifacts and file contents."""
    refs: set[str] = set()
    arts, files = _tree_refs(blobs, view_hash, refs)
    return refs | content_refs(arts, files)


def tree_refs(blobs: Blobs, view_hash: str) -> set[str]:
    """The blobs of a view's tree itself (top node and map nodes), not the contents they name."""
    refs: set[str] = set()
    _tree_refs(blobs, view_hash, refs)
    return refs


def _tree_refs(blobs: Blobs, view_hash: str, refs: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    top = blobs.get_json(view_hash)
    refs.add(view_hash)
    arts = _map_refs(blobs, top["artifacts"], refs)
    files = _map_refs(blobs, top["files"], refs)
    _map_refs(blobs, top["reviews"], refs)
    _map_refs(blobs, top["candidates"], refs)
    return arts, files


def content_refs(artifacts: dict[str, Any], files: dict[str, Any]) -> set[str]:
    """The blobs map entries name: artifact versions and file contents (a file's person version too)."""
    refs = {h for h in artifacts.values() if h}
    refs.update(h for rec in files.values() if rec for h in (rec.get("hash"), rec.get("edited_from")) if h)
    return refs


def put_artifact(blobs: Blobs, artifact: Artifact, base: str | None = None) -> str:
    """Store an artifact (a delta against `base`, its previous version, when that is smaller)."""
    return blobs.put_json(artifact.to_dict(), base)


def get_artifact(blobs: Blobs, h: str) -> Artifact:
    return Artifact.from_dict(blobs.get_json(h))


def artifacts_of(blobs: Blobs, view: View) -> list[Artifact]:
    """The view's artifacts in a deterministic order (kind, scope, name, id)."""
    from reverie.store.models import KINDS, SCOPES

    arts = [get_artifact(blobs, h) for h in view.artifacts.values()]
    arts.sort(
        key=lambda a: (
            KINDS.index(a.kind) if a.kind in KINDS else 99,
            SCOPES.index(a.scope) if a.scope in SCOPES else 99,
            a.name,
            a.id,
        )
    )
    return arts
