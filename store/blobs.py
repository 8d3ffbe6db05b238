"""Content-addressed blobs: sha256 of the raw bytes, zlib at rest, never updated.

Why: artifact bodies, views and file snapshots are shared between many
operations; addressing them by hash makes every operation cheap to record and
makes byte-for-byte restore possible. Only `gc` deletes blobs.

Writes made inside a transaction are staged in memory (`stage`) and written
in the transaction's commit (`flush`), so an abandoned transaction leaves no
blob behind and a large apply writes its blobs in one statement.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import Any

import orjson
import sqlite_utils

from reverie.store.errors import StoreCorruptError

CACHE_MAX_BYTES = 65536
"""Blobs up to this size stay in the read cache."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_json(obj: Any) -> bytes:
    """Deterministic JSON bytes (sorted keys) so equal objects share a hash."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


class Blobs:
    """Read/write blobs in the `blobs` table, with a small read cache."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self._cache: dict[str, bytes] = {}
        self._json_cache: dict[str, Any] = {}
        self.map_cache: dict[str, dict[str, Any]] = {}
        """Whole view maps by tree hash (see store.views.get_map); read-only."""
        self._staged: dict[str, bytes] | None = None

    # --- staging (see the module doc) ------------------------------------------------------

    def stage(self) -> None:
        """Keep new blobs in memory until `flush` (or drop them with `unstage`)."""
        self._staged = {}

    def flush(self) -> None:
        """Write the staged blobs (the caller holds the SQL transaction) and stop staging."""
        staged, self._staged = self._staged, None
        if staged:
            self._insert(list(staged.items()))

    def unstage(self) -> None:
        """Drop the staged blobs and stop staging (the transaction was abandoned)."""
        staged, self._staged = self._staged, None
        if staged:
            self.forget()

    # --- writing and reading ----------------------------------------------------------------

    def put(self, data: bytes) -> str:
        h = sha256(data)
        if h in self._cache:
            return h
        if self._staged is not None:
            self._staged[h] = data
        else:
            self._insert([(h, data)])
        if len(data) < CACHE_MAX_BYTES:
            self._cache[h] = data
        return h

    def _insert(self, rows: list[tuple[str, bytes]]) -> None:
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO blobs(hash, size, data) VALUES (?, ?, ?)",
            [(h, len(data), zlib.compress(data, 6)) for h, data in rows],
        )

    def get(self, h: str) -> bytes:
        cached = self._cache.get(h)
        if cached is not None:
            return cached
        if self._staged is not None and h in self._staged:
            return self._staged[h]
        row = self.db.execute("SELECT data FROM blobs WHERE hash = ?", [h]).fetchone()
        if row is None:
            raise StoreCorruptError(f"blob {h[:12]} is missing from the store")
        data = zlib.decompress(row[0])
        if len(data) < CACHE_MAX_BYTES:
            self._cache[h] = data
        return data

    def has_cached(self, h: str) -> bool:
        """Known to be stored (seen in this session), without a query."""
        return h in self._cache or h in self._json_cache

    def has(self, h: str) -> bool:
        if self._staged is not None and h in self._staged:
            return True
        return self.db.execute("SELECT 1 FROM blobs WHERE hash = ?", [h]).fetchone() is not None

    def put_json(self, obj: Any) -> str:
        return self.put(canonical_json(obj))

    def get_json(self, h: str) -> Any:
        if h in self._json_cache:
            return self._json_cache[h]
        obj = orjson.loads(self.get(h))
        self._json_cache[h] = obj
        return obj

    def forget(self) -> None:
        """Drop the read caches (after gc or a rolled-back transaction)."""
        self._cache.clear()
        self._json_cache.clear()
        self.map_cache.clear()
