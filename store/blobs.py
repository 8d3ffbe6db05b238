"""Content-addressed blobs: sha256 of the raw bytes, compressed at rest, never updated.

Why: artifact bodies, views and file snapshots are shared between many
operations; addressing them by hash makes every operation cheap to record and
makes byte-for-byte restore possible. Only `gc` deletes blobs.

A new version of something (a file after an edit, a view node after one entry
changed) is stored as a delta against its previous version when that is much
smaller (`put(data, base=previous)`, store.delta): columns `base` (the blob it
is a delta against, NULL for a whole zlib blob) and `depth` (how many deltas
deep). Chains stay short (`MAX_DEPTH`), so reading any version stays fast.
Hashes are hex strings everywhere in the code and 32 raw bytes in the table
(schema m004: rows appended in id order, found through a unique hash index;
`base` is the row id of the blob a delta is against).

Writes made inside a transaction are staged in memory (`stage`) and written
in the transaction's commit (`flush`), so an abandoned transaction leaves no
blob behind and a large apply writes its blobs in one statement.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from typing import Any

import orjson
import sqlite_utils

from reverie.store import delta
from reverie.store.errors import StoreCorruptError

CACHE_MAX_BYTES = 65536
"""Blobs up to this size stay in the read cache."""
MAX_DEPTH = 64
"""Longest chain of deltas; the next version is stored whole."""
MIN_DELTA_SIZE = 128
"""Smaller blobs are always stored whole (a delta would save nothing)."""


def _key(h: str) -> bytes:
    """The table's key of a hex hash (a malformed one matches nothing)."""
    try:
        return bytes.fromhex(h)
    except ValueError:
        return b""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_json(obj: Any) -> bytes:
    """Deterministic JSON bytes (sorted keys) so equal objects share a hash."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


@dataclass(frozen=True, slots=True)
class _Row:
    """A blob as stored: compressed bytes, the blob it is a delta against, chain depth."""

    size: int
    stored: bytes
    base: str | None
    depth: int


class Blobs:
    """Read/write blobs in the `blobs` table, with a small read cache."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self._cache: dict[str, bytes] = {}
        self._json_cache: dict[str, Any] = {}
        self._depth: dict[str, int] = {}
        self.map_cache: dict[str, dict[str, Any]] = {}
        """Whole view maps by tree hash (see store.views.get_map); read-only."""
        self._staged: dict[str, tuple[bytes, _Row]] | None = None

    # --- staging (see the module doc) ------------------------------------------------------

    def stage(self) -> None:
        """Keep new blobs in memory until `flush` (or drop them with `unstage`).

        One transaction stages at a time (the writer lock serializes them); a
        transaction opened inside another would drop the outer one's blobs.
        """
        if self._staged is not None:
            raise RuntimeError("blobs are already staged: a transaction was opened inside another")
        self._staged = {}

    def flush(self) -> None:
        """Write the staged blobs (the caller holds the SQL transaction) and stop staging."""
        staged, self._staged = self._staged, None
        if staged:
            self._insert([(h, row) for h, (_data, row) in staged.items()])

    def unstage(self) -> None:
        """Drop the staged blobs and stop staging (the transaction was abandoned)."""
        staged, self._staged = self._staged, None
        if staged:
            self.forget()

    # --- writing ---------------------------------------------------------------------------

    def put(self, data: bytes, base: str | None = None) -> str:
        """Store `data` (a delta against blob `base` when that is much smaller); its hash."""
        h = sha256(data)
        if h in self._cache or (self._staged is not None and h in self._staged):
            return h
        row = self._encode(data, base if base != h else None)
        if self._staged is not None:
            self._staged[h] = (data, row)
        else:
            self._insert([(h, row)])
        self._depth[h] = row.depth
        if len(data) < CACHE_MAX_BYTES:
            self._cache[h] = data
        return h

    def _encode(self, data: bytes, base: str | None) -> _Row:
        whole = None
        if base is not None and len(data) >= MIN_DELTA_SIZE:
            depth = self._depth_of(base)
            if depth is not None and depth < MAX_DEPTH:
                diff = delta.encode(self.get(base), data)
                if len(diff) * 16 < len(data):  # obviously smaller: skip compressing the whole
                    return _Row(len(data), diff, base, depth + 1)
                whole = zlib.compress(data, 6)
                if len(diff) + 48 < len(whole):
                    return _Row(len(data), diff, base, depth + 1)
        return _Row(len(data), whole if whole is not None else zlib.compress(data, 6), None, 0)

    def _depth_of(self, h: str) -> int | None:
        """How many deltas deep blob `h` is (None: no such blob)."""
        known = self._depth.get(h)
        if known is not None:
            return known
        if self._staged is not None and h in self._staged:
            return self._staged[h][1].depth
        row = self.db.execute("SELECT depth FROM blobs WHERE hash = ?", [_key(h)]).fetchone()
        if row is None:
            return None
        self._depth[h] = int(row[0])
        return int(row[0])

    def _insert(self, rows: list[tuple[str, _Row]]) -> None:
        """Insert in order: a delta's base is always put (so inserted) before the delta."""
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO blobs(hash, size, data, base, depth)"
            " VALUES (?, ?, ?, (SELECT id FROM blobs WHERE hash = ?), ?)",
            [(_key(h), r.size, r.stored, _key(r.base) if r.base else None, r.depth) for h, r in rows],
        )

    # --- reading ---------------------------------------------------------------------------

    def get(self, h: str) -> bytes:
        cached = self._cache.get(h)
        if cached is not None:
            return cached
        if self._staged is not None and h in self._staged:
            return self._staged[h][0]
        chain: list[tuple[str, bytes]] = []  # deltas to apply, newest first
        row = self.db.execute("SELECT data, base FROM blobs WHERE hash = ?", [_key(h)]).fetchone()
        if row is None:
            raise StoreCorruptError(f"blob {h[:12]} is missing from the store")
        cur = h
        data: bytes | None = None
        while True:
            stored, base = row
            if base is None:
                data = self._remember(cur, zlib.decompress(stored))
                break
            chain.append((cur, stored))
            row = self.db.execute("SELECT data, base, hash FROM blobs WHERE id = ?", [base]).fetchone()
            if row is None:
                raise StoreCorruptError(f"the base of blob {cur[:12]} is missing from the store")
            cur = bytes(row[2]).hex()
            hit = self._cache.get(cur)
            if hit is not None:
                data = hit
                break
            row = row[:2]
        assert data is not None
        for link, diff in reversed(chain):
            data = self._remember(link, delta.decode(data, diff))
        return data

    def _remember(self, h: str, data: bytes) -> bytes:
        if len(data) < CACHE_MAX_BYTES:
            self._cache[h] = data
        return data

    def has_cached(self, h: str) -> bool:
        """Known to be stored (seen in this session), without a query."""
        return h in self._cache or h in self._json_cache

    def has(self, h: str) -> bool:
        if self._staged is not None and h in self._staged:
            return True
        return self.db.execute("SELECT 1 FROM blobs WHERE hash = ?", [_key(h)]).fetchone() is not None

    def hashes(self) -> set[str]:
        """Every stored blob's hash (tests and gc checks)."""
        return {bytes(r[0]).hex() for r in self.db.execute("SELECT hash FROM blobs")}

    def stored(self, h: str) -> tuple[int, int, str | None]:
        """(raw size, bytes at rest, base blob or None) of a stored blob (benchmarks and tests)."""
        row = self.db.execute(
            "SELECT b.size, length(b.data), p.hash FROM blobs b LEFT JOIN blobs p ON p.id = b.base WHERE b.hash = ?",
            [_key(h)],
        ).fetchone()
        if row is None:
            raise StoreCorruptError(f"blob {h[:12]} is missing from the store")
        return int(row[0]), int(row[1]), bytes(row[2]).hex() if row[2] is not None else None

    def put_json(self, obj: Any, base: str | None = None) -> str:
        return self.put(canonical_json(obj), base)

    def get_json(self, h: str) -> Any:
        if h in self._json_cache:
            return self._json_cache[h]
        obj = orjson.loads(self.get(h))
        self._json_cache[h] = obj
        return obj

    # --- gc ----------------------------------------------------------------------------------

    def make_whole(self, hashes: list[str]) -> None:
        """Store these blobs whole again (gc is about to delete the bases of their deltas)."""
        rows = [(zlib.compress(self.get(h), 6), _key(h)) for h in hashes]
        self.db.conn.executemany("UPDATE blobs SET data = ?, base = NULL, depth = 0 WHERE hash = ?", rows)
        self._depth.clear()

    def forget(self) -> None:
        """Drop the read caches (after gc or a rolled-back transaction)."""
        self._cache.clear()
        self._json_cache.clear()
        self._depth.clear()
        self.map_cache.clear()
