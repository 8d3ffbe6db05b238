"""The view of every operation, stored as what the operation changed.

An operation's view is stored in its row (store.oplog) as either

- a **diff** against the view of an earlier operation (`base`: its parent, or
  the operation an undo, redo or restore returns to): the entries of the four
  maps that changed, a removed entry as null; or
- a **checkpoint**: the whole view as a tree of blobs (store.views), written
  when the chain of diffs behind a view would pass `CHAIN_MAX` links or
  `WEIGHT_MAX` bytes of diff, so reading any view is one tree and a bounded
  number of small diffs.

Why: an approve changes one review, an apply a few entries; storing a new
tree per operation cost a top node and a bucket per changed map, each a row
and a hash-index entry (~1 KB per propose/approve/apply cycle). A diff costs
the changed entries, inside the operation's own row. An undo, redo or
restore is an empty diff against the view it returns to.

A view's id (`Operation.view_hash`) names it by derivation, like a commit id:
a checkpoint's is its tree's hash (or the id it was given), a diff's is
sha256(base id, canonical diff) — and an empty diff keeps its base's id, so
restore, undo and redo reproduce the id of the view they return to, and equal
ids always mean equal views.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from reverie.store.blobs import Blobs
from reverie.store.errors import StoreCorruptError
from reverie.store.oplog import OpLog, ViewRecord, child_id
from reverie.store.views import MAPS, Origin, View, content_refs, load_view, save_view, tree_refs, view_blob_refs

CHAIN_MAX = 128
"""Most diffs between a view and the checkpoint it is read from; the next view is stored whole."""
WEIGHT_MAX = 256 * 1024
"""Most bytes of diff JSON between a view and its checkpoint (an apply of thousands of artifacts)."""
CACHE_VIEWS = 8
"""Views kept read (by operation), so the next operation does not read its head again."""

Diff = dict[str, dict[str, Any]]

_MISSING = object()


def diff(old: dict[str, dict[str, Any]], view: View) -> Diff:
    """The entries of `view` that differ from `old` (a removed entry as None), by map; empty maps left out."""
    out: Diff = {}
    for name, new in view.maps().items():
        before = old[name]
        if before is new:
            continue
        changed = {k: v for k, v in new.items() if (was := before.get(k, _MISSING)) is not v and was != v}
        if any(v is None for v in changed.values()):
            raise ValueError(f"a view's {name} map holds a null entry (null marks a removal)")
        changed.update((k, None) for k in before if k not in new)
        if changed:
            out[name] = changed
    return out


def _apply(maps: dict[str, dict[str, Any]], d: Diff) -> None:
    for name, changes in d.items():
        target = maps[name]
        for k, v in changes.items():
            if v is None:
                target.pop(k, None)
            else:
                target[k] = v


@dataclass(frozen=True)
class Stored:
    """How a new view will be stored: its row's view record, its id, and what it is for the next one."""

    record: ViewRecord
    vid: str
    depth: int
    weight: int
    maps: dict[str, dict[str, Any]]
    tree: str
    tree_loaded: dict[str, tuple[dict[str, Any], str]]


class ViewLog:
    """Reads and stores operations' views (see the module doc), with a small cache of views read."""

    def __init__(self, oplog: OpLog, blobs: Blobs) -> None:
        self.oplog = oplog
        self.blobs = blobs
        self._cache: OrderedDict[int, Origin] = OrderedDict()

    # --- reading ---------------------------------------------------------------------------

    def load(self, seq: int) -> View:
        """The view of the operation `seq` (StoreCorruptError when its tree's blobs are gone)."""
        o = self.origin(seq)
        return View(**{name: dict(m) for name, m in o.maps.items()}, loaded=o.tree_loaded, source=o.tree, origin=o)

    def origin(self, seq: int) -> Origin:
        """The view of operation `seq` as read (cached; its maps must not be mutated)."""
        hit = self._cache.get(seq)
        if hit is not None:
            self._cache.move_to_end(seq)
            return hit
        chain: list[Diff] = []
        at = seq
        while True:
            hit = self._cache.get(at)
            if hit is not None:
                base = hit
                break
            rec = self.oplog.view_record(at)
            if rec.base is None:
                base = self._checkpoint(at, rec.payload)
                break
            if rec.base >= at or len(chain) > 4 * CHAIN_MAX:
                raise StoreCorruptError(f"operation #{at}'s view is a diff against #{rec.base}: the chain is broken")
            chain.append(rec.payload["d"])
            at = rec.base
        if chain:
            maps = {name: dict(base.maps[name]) for name in MAPS}
            vid, depth, weight = base.vid, base.depth, base.weight
            for d in reversed(chain):
                _apply(maps, d)
                vid, w = child_id(vid, d)
                depth, weight = depth + 1, weight + w
            base = Origin(seq, vid, depth, weight, maps, base.tree, base.tree_loaded)
        elif base.seq != seq:  # pragma: no cover - the loop only stops at `seq` without a chain
            raise StoreCorruptError(f"operation #{seq}'s view could not be read")
        self._remember(base)
        return base

    def _checkpoint(self, seq: int, payload: dict[str, Any]) -> Origin:
        top = str(payload["top"])
        tree = load_view(self.blobs, top)
        maps = {name: tree.loaded[name][0] for name in MAPS}
        return Origin(seq, str(payload.get("id") or top), 0, 0, maps, top, tree.loaded)

    def _remember(self, origin: Origin) -> None:
        self._cache[origin.seq] = origin
        self._cache.move_to_end(origin.seq)
        while len(self._cache) > CACHE_VIEWS:
            self._cache.popitem(last=False)

    def forget(self) -> None:
        """Drop the views read (after gc, or a rolled-back transaction)."""
        self._cache.clear()

    # --- writing ---------------------------------------------------------------------------

    def unchanged(self, view: View, head: View) -> bool:
        """Whether `view` holds exactly the entries of `head`."""
        return not diff(head.maps(), view)

    def store(self, view: View) -> Stored:
        """How to store `view` as the next operation's: a diff against the view it was read from, or
        a checkpoint (its blobs are put now; the caller commits them with the operation)."""
        origin = view.origin
        maps = {name: dict(m) for name, m in view.maps().items()}  # the view's caller may change it afterwards
        if origin is None:  # built from nothing (the first operation): a tree of its own
            top = save_view(self.blobs, view)
            return self._stored_tree(ViewRecord(None, {"top": top}), top, maps, top)
        d = diff(origin.maps, view)
        vid, w = child_id(origin.vid, d)
        depth, weight = origin.depth + 1, origin.weight + w
        if depth <= CHAIN_MAX and weight <= WEIGHT_MAX:
            record = ViewRecord(origin.seq, {"d": d})
            return Stored(record, vid, depth, weight, maps, origin.tree, origin.tree_loaded)
        top = save_view(self.blobs, view)  # a delta of the tree the chain started from
        return self._stored_tree(ViewRecord(None, {"top": top, "id": vid}), vid, maps, top)

    def _stored_tree(self, record: ViewRecord, vid: str, maps: dict[str, dict[str, Any]], top: str) -> Stored:
        return Stored(record, vid, 0, 0, maps, top, load_view(self.blobs, top).loaded)

    def committed(self, seq: int, stored: Stored) -> None:
        """Remember the view an operation just committed (the next transaction starts from it)."""
        self._remember(
            Origin(seq, stored.vid, stored.depth, stored.weight, stored.maps, stored.tree, stored.tree_loaded)
        )

    # --- gc --------------------------------------------------------------------------------

    def refs(self, seq: int) -> set[str]:
        """Every blob reading operation `seq`'s view needs: the tree its diffs start from and its entries' contents."""
        o = self.origin(seq)
        return tree_refs(self.blobs, o.tree) | content_refs(o.maps["artifacts"], o.maps["files"])

    def live_refs(self, live: list[int]) -> set[str]:
        """Every blob the views of the operations `live` need: their entries' contents and the trees
        their diffs start from.

        A diff against a live operation adds only the entries it sets (its base's are counted
        with the base); any other view is read whole.
        """
        alive = set(live)
        refs: set[str] = set()
        for seq in sorted(alive):
            rec = self.oplog.view_record(seq)
            if rec.base is None:
                refs |= view_blob_refs(self.blobs, str(rec.payload["top"]))
            elif rec.base in alive:
                d = rec.payload["d"]
                refs |= content_refs(d.get("artifacts") or {}, d.get("files") or {})
            else:
                o = self.origin(seq)
                refs |= content_refs(o.maps["artifacts"], o.maps["files"]) | tree_refs(self.blobs, o.tree)
        return refs
