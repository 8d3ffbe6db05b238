"""File sync: turn one view's `files` map into another's on disk, crash-safely.

Why its own module: apply, undo, redo and restore all end the same way — plan
which files change (keeping hand edits outside Reverie's regions, reporting
conflicts instead of overwriting them), journal the pre-snapshots, write, then
commit the operation — so a crash mid-write can always be rolled back by the
next `Store.open` (`recover`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from reverie.store import materialize as mat
from reverie.store import oplog  # the module, not its names: tests patch oplog.new_id / oplog.now_iso
from reverie.store.blobs import Blobs
from reverie.store.errors import ReverieError
from reverie.store.fsutil import PausePoint, atomic_write, read_bytes, remove_file, safe_target
from reverie.store.models import Operation
from reverie.store.views import View

if TYPE_CHECKING:
    from reverie.store.core import Store

log = logging.getLogger("reverie.store")


@dataclass
class FileChange:
    """One file's planned write: bytes on disk now, bytes to leave, and the record for the new view."""

    key: str
    path: Path
    before: bytes | None
    after: bytes | None
    mode: int | None
    record: dict[str, Any] | None

    @property
    def action(self) -> str:
        """ "write", "delete" or "none" (the bytes already match)."""
        if self.after is None:
            return "delete" if self.before is not None else "none"
        return "write" if self.after != self.before else "none"


def plan_sync(
    workspace: Path, blobs: Blobs, current: View, target: View, force: bool, exact: Collection[str] = ()
) -> tuple[list[FileChange], list[dict[str, Any]], View]:
    """The writes that take the disk from `current` to `target`, the conflicts, and the resulting view.

    Why three answers: a file a person edited is left alone and reported, so the
    resulting view keeps that file's current record instead of the target's.
    Keys in `exact` get the target's bytes whenever the disk still matches the
    current record, text outside Reverie's region included: their whole text is
    versioned (observed agent writes and their keep/revert), so it is restored
    byte for byte instead of keeping today's outside text.
    """
    changes: list[FileChange] = []
    conflicts: list[dict[str, Any]] = []
    result = target.copy()
    keys = sorted(k for k in set(current.files) | set(target.files) if current.files.get(k) != target.files.get(k))
    for key in keys:
        rec, trec = current.files.get(key), target.files.get(key)
        path = safe_target(workspace, key)
        disk = read_bytes(path)
        rec_b, t_b = _record_bytes(blobs, rec), _record_bytes(blobs, trec)
        ftype = mat.file_type(key)
        created = bool((trec or rec or {}).get("created"))
        splice_ok = (
            ftype != "whole"
            and disk is not None
            and rec_b is not None
            and not (ftype == "block" and mat.has_broken_markers(disk.decode("utf-8", "replace")))
        )
        after: bytes | None
        unrecorded_ok = (
            rec is None
            and disk is not None
            and ftype != "whole"
            and t_b is not None
            and mat.region_of(key, disk) in (None, [])
            and not mat.has_broken_markers(disk.decode("utf-8", "replace"))
        )
        edited_b = _record_bytes(blobs, {"hash": rec["edited_from"]}) if rec and rec.get("edited_from") else None
        if disk is not None and disk == t_b:
            after = t_b  # already there: only the record changes
        elif edited_b is not None and disk == rec_b and trec is not None and ftype == "block":
            # leaving a version where Reverie edited lines of a person's text: those lines go back
            after = mat.splice_region(key, edited_b, t_b)
        elif rec is not None and edited_b is not None and disk != rec_b and not force:
            conflicts.append({"file": key, "reason": "edited by hand since Reverie edited lines of it"})
            result.files[key] = rec
            continue
        elif trec is not None and rec is not None and trec.get("edited_from") == rec["hash"] and disk == rec_b:
            after = t_b  # redoing Reverie's line edit of a file nobody touched since
        elif unrecorded_ok and disk is not None:
            after = mat.splice_region(key, disk, t_b)  # a person's file: add our region, keep the rest
        elif disk == rec_b:
            if trec is None:
                if rec is None:
                    continue
                if rec.get("created") or key in exact:  # exact: the versioned state had no such file
                    after = None
                elif ftype != "whole" and disk is not None:
                    after = mat.splice_region(key, disk, None) or b""
                else:
                    after = disk
            elif (
                ftype != "whole"
                and key not in exact
                and rec_b is not None
                and t_b is not None
                and mat.outside_of(key, rec_b) != mat.outside_of(key, t_b)
            ):
                after = mat.splice_region(key, rec_b, t_b)  # keep people's text as it is now
            else:
                after = t_b
        elif splice_ok and disk is not None and mat.region_of(key, disk) == mat.region_of(key, rec_b):
            after = mat.splice_region(key, disk, t_b)
            if (
                after is not None
                and trec is None
                and rec is not None
                and rec.get("created")
                and mat.is_empty(key, after)
            ):
                after = None
        elif force:
            after = t_b
        else:
            conflicts.append(
                {"file": key, "reason": "deleted by hand" if disk is None else "hand-edited since Reverie wrote it"}
            )
            if rec is None:
                result.files.pop(key, None)
            else:
                result.files[key] = rec
            continue
        if after is None:
            result.files.pop(key, None)
            mode = None
        elif trec is not None and after == t_b:
            # the disk now holds the blob itself (a redacted version's "disk" hash no longer applies)
            result.files[key] = {k: v for k, v in trec.items() if k != "disk"} if "disk" in trec else trec
            mode = trec.get("mode")
        elif trec is None and not (rec or {}).get("created") and ftype == "whole":
            result.files.pop(key, None)  # a file Reverie did not create: keep it, forget it
            mode = None
        else:
            mode = (trec or rec or {}).get("mode")
            record = {"hash": blobs.put(after), "created": created}
            if mode is not None:
                record["mode"] = mode
            if trec is None:
                result.files.pop(key, None)
            else:
                result.files[key] = record
        changes.append(FileChange(key, path, disk, after, mode, None))
    return changes, conflicts, result


# --- journaled writes -------------------------------------------------------------


def execute(
    store: Store,
    changes: list[FileChange],
    kind: str,
    actor: str,
    description: str,
    new_view: View,
    data: dict[str, Any],
    undo_next: str | None = "self",
    redo_stack: list[str] | None = None,
) -> Operation:
    """Journal, write files, then commit the op; a failure rolls the files back.

    Why this order: the journal row (pre-snapshots as blobs) commits before the
    first write and is deleted in the same transaction as the new op, so at any
    crash point either the op exists or `recover` can put the old bytes back.
    """
    writes = [c for c in changes if c.action != "none"]
    journal_id = oplog.new_id("j-")
    snapshots: dict[str, str | None] = {}
    entries = []
    with store._txn():
        for c in writes:
            pre = store.blobs.put(c.before) if c.before is not None else None
            post = store.blobs.put(c.after) if c.after is not None else None
            snapshots[c.key] = pre
            entries.append(
                {"key": c.key, "pre": pre, "post": post, "pre_mode": mode_of(c.path) if c.before is not None else None}
            )
        if entries:
            store.db.execute(
                "INSERT INTO journal(id, created_at, data) VALUES (?,?,?)",
                [journal_id, oplog.now_iso(), orjson.dumps({"kind": kind, "files": entries}).decode()],
            )
    pause = PausePoint()
    done: list[FileChange] = []
    try:
        for c in writes:
            if c.after is None:
                remove_file(c.path)
            else:
                atomic_write(c.path, c.after, c.mode)
            done.append(c)
            pause.wrote()
    except BaseException as err:
        rollback_errors = _undo_writes(done, entries)
        with contextlib.suppress(Exception), store._txn():
            store.db.execute("DELETE FROM journal WHERE id = ?", [journal_id])
        if isinstance(err, ReverieError):
            extra = "" if not rollback_errors else f" (could not roll back: {'; '.join(rollback_errors)})"
            raise ReverieError(f"{err}; nothing was applied{extra}") from None
        raise
    with store._txn():
        payload = dict(data)
        payload["files"] = {c.key: c.action for c in writes}
        payload["snapshots"] = snapshots
        op = store._commit(kind, actor, description, new_view, payload, undo_next, redo_stack)
        store.db.execute("DELETE FROM journal WHERE id = ?", [journal_id])
    return op


def _undo_writes(done: list[FileChange], entries: list[dict[str, Any]]) -> list[str]:
    """Put back what `execute` already wrote (newest first); the errors it could not undo."""
    errors = []
    modes = {e["key"]: e.get("pre_mode") for e in entries}
    for c in reversed(done):
        try:
            if c.before is None:
                remove_file(c.path)
            else:
                atomic_write(c.path, c.before, modes.get(c.key))
        except ReverieError as err:
            errors.append(str(err))
    return errors


def recover(store: Store) -> None:
    """Roll back the files of an apply that crashed before its op committed."""
    rows = list(store.db.query("SELECT * FROM journal ORDER BY created_at"))
    if not rows:
        return
    if not store.lock.acquire(blocking=False):
        return  # another process is applying right now; its journal is live
    try:
        for row in rows:
            data = orjson.loads(row["data"])
            for e in reversed(data.get("files", [])):
                try:
                    path = safe_target(store.workspace, e["key"])
                    disk = read_bytes(path)
                    pre = store.blobs.get(e["pre"]) if e.get("pre") else None
                    post = store.blobs.get(e["post"]) if e.get("post") else None
                    if disk == pre:
                        continue
                    if disk == post:
                        if pre is None:
                            remove_file(path)
                        else:
                            atomic_write(path, pre, e.get("pre_mode"))
                    else:
                        log.warning(
                            "after an interrupted %s, %s was changed by hand; left as is", data.get("kind"), e["key"]
                        )
                except ReverieError as err:
                    log.warning("could not roll back %s: %s", e.get("key"), err)
            with store._txn():
                store.db.execute("DELETE FROM journal WHERE id = ?", [row["id"]])
            log.warning("rolled back an interrupted %s (journal %s)", data.get("kind"), row["id"])
    finally:
        store.lock.release()


def mode_of(path: Path) -> int | None:
    """Permission bits to restore on rollback (None: the file is gone)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return None


def _record_bytes(blobs: Blobs, rec: dict[str, Any] | None) -> bytes | None:
    """The bytes a view's file record stands for (None: no record)."""
    return blobs.get(rec["hash"]) if rec else None
