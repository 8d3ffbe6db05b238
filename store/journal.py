"""Crash-safe file writes: journal the old bytes, write, and roll back on the next open.

Why: apply, undo, redo and restore write several files and then commit one
operation. A crash in between must never leave half a change. So before the
first write a journal row with every file's old and new bytes (as blobs)
commits; the operation's commit deletes it in the same SQLite transaction. A
journal row found on open (`recover`) means the writes never became an
operation, and the files go back to their old bytes.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import sqlite_utils

from reverie.store.blobs import Blobs
from reverie.store.errors import ReverieError
from reverie.store.fsutil import PausePoint, atomic_write, leftover_temps, read_bytes, remove_file, safe_target
from reverie.store.resolve import Conflict, Delete, Keep, Write, resolve

log = logging.getLogger("reverie.store")


@dataclass
class FileChange:
    """One file's planned write: bytes on disk now, bytes to leave, and the record for the new view."""

    key: str
    path: Path
    before: bytes | None
    after: bytes | None
    mode: int | None = None

    @property
    def action(self) -> str:
        """ "write", "delete" or "none" (the bytes already match)."""
        if self.after is None:
            return "delete" if self.before is not None else "none"
        return "write" if self.after != self.before else "none"


@dataclass
class JournalEntry:
    """A committed journal row: what `write` will change, with the old bytes kept as blobs."""

    id: str
    writes: list[FileChange]
    snapshots: dict[str, str | None]
    """File key → blob of its bytes before the write (None: no file)."""
    modes: dict[str, int | None]


def open_entry(
    db: sqlite_utils.Database,
    blobs: Blobs,
    journal_id: str,
    created_at: str,
    kind: str,
    changes: list[FileChange],
) -> JournalEntry:
    """Record the pre- and post-bytes of every real write (the caller commits it before writing).

    The blobs are put here, so the caller flushes them in the same transaction.
    """
    writes = [c for c in changes if c.action != "none"]
    snapshots: dict[str, str | None] = {}
    modes: dict[str, int | None] = {}
    files = []
    for c in writes:
        pre = blobs.put(c.before) if c.before is not None else None
        post = blobs.put(c.after) if c.after is not None else None
        snapshots[c.key] = pre
        modes[c.key] = mode_of(c.path) if c.before is not None else None
        files.append({"key": c.key, "pre": pre, "post": post, "pre_mode": modes[c.key]})
    if files:
        db.execute(
            "INSERT INTO journal(id, created_at, data) VALUES (?,?,?)",
            [journal_id, created_at, orjson.dumps({"kind": kind, "files": files}).decode()],
        )
    return JournalEntry(journal_id, writes, snapshots, modes)


def close(db: sqlite_utils.Database, journal_id: str) -> None:
    """Delete a journal row: its writes became an operation, or were rolled back (the caller holds the transaction)."""
    db.execute("DELETE FROM journal WHERE id = ?", [journal_id])


def write(entry: JournalEntry, forget: Callable[[], None]) -> None:
    """Write the entry's files; on any failure put back what was written and re-raise.

    `forget` deletes the journal row once the rollback is done (nothing is left to recover).
    """
    pause = PausePoint()
    done: list[FileChange] = []
    try:
        for c in entry.writes:
            if c.after is None:
                remove_file(c.path)
            else:
                atomic_write(c.path, c.after, c.mode)
            done.append(c)
            pause.wrote()
    except BaseException as err:
        rollback_errors = _undo_writes(done, entry.modes)
        with contextlib.suppress(Exception):
            forget()
        if isinstance(err, ReverieError):
            extra = "" if not rollback_errors else f" (could not roll back: {'; '.join(rollback_errors)})"
            raise ReverieError(f"{err}; nothing was applied{extra}") from None
        raise


def _undo_writes(done: list[FileChange], modes: dict[str, int | None]) -> list[str]:
    """Put back what `write` already wrote (newest first); the errors it could not undo."""
    errors = []
    for c in reversed(done):
        try:
            if c.before is None:
                remove_file(c.path)
            else:
                atomic_write(c.path, c.before, modes.get(c.key))
        except ReverieError as err:
            errors.append(str(err))
    return errors


def pending(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Journal rows left by a process that died between its first write and its commit."""
    return list(db.query("SELECT * FROM journal ORDER BY created_at"))


def roll_back(workspace: Path, blobs: Blobs, row: dict[str, Any]) -> None:
    """Put every file of one leftover journal row back to its pre-bytes (a person's later edit is kept).

    The three-way question is `resolve`'s: base = the bytes the interrupted
    write left (post), ours = disk, theirs = the bytes before it (pre).
    """
    data = orjson.loads(row["data"])
    for e in reversed(data.get("files", [])):
        try:
            path = safe_target(workspace, e["key"])
            for tmp in leftover_temps(path):  # a write killed between its temp file and the rename
                with contextlib.suppress(OSError):
                    tmp.unlink()
            pre = blobs.get(e["pre"]) if e.get("pre") else None
            post = blobs.get(e["post"]) if e.get("post") else None
            decision = resolve(post, read_bytes(path), pre)
            if isinstance(decision, Write):
                atomic_write(path, decision.data, e.get("pre_mode"))
            elif isinstance(decision, Delete):
                remove_file(path)
            elif isinstance(decision, Conflict):
                log.warning("after an interrupted %s, %s was changed by hand; left as is", data.get("kind"), e["key"])
            else:
                assert isinstance(decision, Keep)
        except ReverieError as err:
            log.warning("could not roll back %s: %s", e.get("key"), err)
    log.warning("rolled back an interrupted %s (journal %s)", data.get("kind"), row["id"])


def mode_of(path: Path) -> int | None:
    """Permission bits to restore on rollback (None: the file is gone)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return None
