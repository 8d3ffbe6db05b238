"""The core schema (migration set "reverie-core"): blobs, ops, candidates, cache.

Why migrations: a store created by an older Reverie must open in a newer one;
each change is a new function here, never an edit of an applied one.
"""

from __future__ import annotations

import orjson
import sqlite_utils

migrations = sqlite_utils.Migrations("reverie-core")


@migrations()
def m001_core(db: sqlite_utils.Database) -> None:
    """Blobs, operation log, head ref, candidates, proposals, journal, cache."""
    db.execute("CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, size INTEGER NOT NULL, data BLOB NOT NULL)")
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS operations (
            id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL UNIQUE,
            parent TEXT,
            created_at TEXT NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            view_hash TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{}',
            undo_next TEXT,
            redo_stack TEXT NOT NULL DEFAULT '[]',
            pruned INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute("CREATE TABLE IF NOT EXISTS refs (name TEXT PRIMARY KEY, op_id TEXT NOT NULL)")
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS candidates (
            id TEXT PRIMARY KEY,
            base_op TEXT NOT NULL,
            created_at TEXT NOT NULL,
            engine TEXT NOT NULL DEFAULT '',
            sessions_read INTEGER NOT NULL DEFAULT 0,
            events_read INTEGER NOT NULL DEFAULT 0,
            stats TEXT NOT NULL DEFAULT '{}'
        )
        """
    )
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS proposals (
            id TEXT PRIMARY KEY,
            candidate_id TEXT NOT NULL REFERENCES candidates(id),
            seq INTEGER NOT NULL,
            data TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_proposals_candidate ON proposals(candidate_id, seq)")
    db.execute("CREATE TABLE IF NOT EXISTS journal (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, data TEXT NOT NULL)")
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS cache (
            namespace TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (namespace, key)
        )
        """
    )


# The queue's fields of a proposal, in this order. A `proposal_summaries` row's
# `summary` is the elements of the JSON array [id, seq, *SUMMARY_FIELDS]
# without its brackets, so a candidate's rows join (group_concat) into one flat
# JSON array; store/candidates.py writes and reads it.
SUMMARY_FIELDS = ("action", "kind", "scope", "title", "name", "target", "confidence", "status", "labels")


@migrations()
def m002_proposal_summaries(db: sqlite_utils.Database) -> None:
    """A small summary row per proposal in its own table, backfilled in SQL.

    Why: the console lists 10,000 proposals at start-up. The proposals' JSON
    holds whole files (before/after), so even one more column in that table
    would sit behind its overflow pages; a separate table keyed by
    (candidate, seq) keeps a candidate's summaries on a few dense pages, in order.
    """
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS proposal_summaries (
            candidate_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            id TEXT NOT NULL,
            summary TEXT NOT NULL,
            PRIMARY KEY (candidate_id, seq)
        ) WITHOUT ROWID
        """
    )
    fields = ", ".join(f"json_extract(data, '$.{f}')" for f in SUMMARY_FIELDS)
    db.execute(
        "INSERT OR IGNORE INTO proposal_summaries(candidate_id, seq, id, summary)"
        f" SELECT candidate_id, seq, id, substr(json_array(id, seq, {fields}), 2,"
        f" length(json_array(id, seq, {fields})) - 2) FROM proposals"
    )


@migrations()
def m003_candidate_source(db: sqlite_utils.Database) -> None:
    """`candidates.source`: ``dream`` or ``observed`` (agent or person writes Reverie did not make).

    Why a column: the review commands and the console address "the open dream
    candidate" and "the observed writes" separately; every older row is a dream.
    """
    columns = {c.name for c in db["candidates"].columns}
    if "source" not in columns:
        db.execute("ALTER TABLE candidates ADD COLUMN source TEXT NOT NULL DEFAULT 'dream'")


@migrations()
def m004_blob_deltas(db: sqlite_utils.Database) -> None:
    """Blobs in append order with a binary hash index, and `base`/`depth` for deltas.

    Why: a one-line edit of a large file stored the whole file again. Now a new
    version may be a delta against its previous one (store.delta): `base` is
    that blob's row id, `depth` the chain length. Rows are appended in id order
    (dense pages) and found by the 32-byte hash through a unique index, where
    the old table kept its hex key twice on half-full pages. Rows written
    before are copied over as whole zlib blobs (`base` NULL), read as before.
    """
    db.execute(
        "CREATE TABLE blobs_v4 (id INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE, size INTEGER NOT NULL,"
        " data BLOB NOT NULL, base INTEGER, depth INTEGER NOT NULL DEFAULT 0)"
    )
    cur = db.execute("SELECT hash, size, data FROM blobs")
    while rows := cur.fetchmany(1000):
        db.conn.executemany(
            "INSERT OR IGNORE INTO blobs_v4(hash, size, data) VALUES (?, ?, ?)",
            [(bytes.fromhex(h), size, data) for h, size, data in rows],
        )
    db.execute("DROP TABLE blobs")
    db.execute("ALTER TABLE blobs_v4 RENAME TO blobs")


@migrations()
def m005_compact_operations(db: sqlite_utils.Database) -> None:
    """Operations as small rows: `seq` the row id, the time as microseconds, one packed record.

    Why: an operation row held its id twice more (parent, undo_next), a
    27-character time, a 64-character view hash and JSON text: ~340 bytes and
    three index entries for an approve. Now `parent` is NULL when it is the
    operation before (it always is), the view is stored as what the operation
    changed (store.viewlog; `view_base` the operation its diff is against,
    NULL for a checkpoint) and everything else is one JSON array deflated with
    a preset dictionary (store.oplog.RECORDS). Every operation written before
    becomes a checkpoint naming its view tree, whose hash stays its view id.
    """
    from reverie.store.clock import micros
    from reverie.store.oplog import pack_record

    db.execute(
        "CREATE TABLE operations_v5 (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, created_us INTEGER NOT NULL,"
        " parent TEXT, view_base INTEGER, record BLOB NOT NULL, pruned INTEGER NOT NULL DEFAULT 0)"
    )
    cur = db.execute(
        "SELECT seq, id, parent, created_at, actor, kind, description, view_hash, data, undo_next, redo_stack, pruned"
        " FROM operations ORDER BY seq"
    )
    previous: str | None = None
    while rows := cur.fetchmany(1000):
        out = []
        for seq, op_id, parent, created, actor, kind, description, view_hash, data, undo, redo, pruned in rows:
            us = micros(created)
            record = pack_record(
                {"top": view_hash},
                actor,
                kind,
                description or "",
                orjson.loads(data or "{}"),
                "" if undo == op_id else undo,
                orjson.loads(redo or "[]"),
            )
            parent_col = None if parent == previous else (parent or "")
            out.append((seq, op_id, us if us is not None else created, parent_col, record, pruned))
            previous = op_id
        db.conn.executemany(
            "INSERT INTO operations_v5(seq, id, created_us, parent, view_base, record, pruned)"
            " VALUES (?, ?, ?, ?, NULL, ?, ?)",
            out,
        )
    db.execute("DROP TABLE operations")
    db.execute("ALTER TABLE operations_v5 RENAME TO operations")
