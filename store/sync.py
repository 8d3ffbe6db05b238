"""File sync: which writes take the workspace from one view's files to another's.

Why its own module: undo, redo and restore all end the same way — for every
file whose record differs between the current view and the target view,
`resolve` decides (keep a person's edit outside Reverie's regions, report a
conflict instead of overwriting one inside them) — and then the transaction
journals and writes the changes (store.journal).

Restore is byte-exact: a file whose bytes already match is never written,
and a file Reverie does not track in the target view keeps its bytes (only
Reverie's region comes out of a shared file).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reverie.store import materialize as mat
from reverie.store.blobs import Blobs, sha256
from reverie.store.fsutil import read_bytes, safe_target
from reverie.store.journal import FileChange
from reverie.store.resolve import Conflict, Decision, Delete, FileFormat, Keep, Unmergeable, Write, merge_lines, resolve
from reverie.store.views import FileRecord, View, record_hash, recorded_bytes


@dataclass
class SyncPlan:
    """The writes, the conflicts (files left alone) and the view that results."""

    changes: list[FileChange] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    view: View = field(default_factory=View)


def plan_sync(
    workspace: Path, blobs: Blobs, current: View, target: View, force: bool, exact: Collection[str] = ()
) -> SyncPlan:
    """The writes that take the disk from `current` to `target`, the conflicts, and the resulting view.

    Why a resulting view: a file a person edited is left alone and reported,
    so the new view keeps that file's current record instead of the target's.
    Keys in `exact` get the target's bytes, text outside Reverie's region
    included, and go when the target has no record of them: their whole text
    is versioned (observed agent writes and their keep/revert).
    """
    plan = SyncPlan(view=target.copy())
    keys = sorted(k for k in set(current.files) | set(target.files) if current.files.get(k) != target.files.get(k))
    for key in keys:
        rec, trec = current.files.get(key), target.files.get(key)
        path = safe_target(workspace, key)
        ours = read_bytes(path)
        base = recorded_bytes(blobs, rec, ours)
        fmt = mat.format_of(key)
        if key in exact:
            target_b = recorded_bytes(blobs, trec)
            _settle(plan, blobs, key, path, ours, rec, trec, resolve(base, ours, target_b, fmt, force=force), target_b)
            continue
        person = _person(blobs, rec)
        untracked = trec is None and not (rec or {}).get("created")
        if untracked and person is None and (base is None or not fmt.shared):
            plan.view.files.pop(key, None)  # not Reverie's file in the target: keep it as it is, forget it
            continue
        target_b = None if untracked else recorded_bytes(blobs, trec)
        target_person = _person(blobs, trec)
        if rec is None and target_person is not None:
            base = target_person  # untracked now, but the target knows the file as the person left it
        if untracked and not fmt.shared:
            theirs = person  # a person's file Reverie changed (or removed): back as the person left it
        else:
            created = bool((trec or rec or {}).get("created"))
            theirs = wanted_bytes(fmt, base, person, target_b, target_person, created)
        _settle(plan, blobs, key, path, ours, rec, trec, resolve(base, ours, theirs, fmt, force=force), target_b)
    return plan


def _settle(
    plan: SyncPlan,
    blobs: Blobs,
    key: str,
    path: Path,
    ours: bytes | None,
    rec: FileRecord | None,
    trec: FileRecord | None,
    decision: Decision,
    target_b: bytes | None,
) -> None:
    """Add one file's decision to the plan: a conflict keeps the current record, anything else the settled one."""
    if isinstance(decision, Conflict):
        plan.conflicts.append({"file": key, "reason": decision.reason})
        _set(plan.view, key, rec)
        return
    after = settled_bytes(decision, ours)
    _set(plan.view, key, settled_record(blobs, trec, after, target_b))
    plan.changes.append(FileChange(key, path, ours, after, (trec or rec or {}).get("mode")))


def wanted_bytes(
    fmt: FileFormat,
    current: bytes | None,
    current_person: bytes | None,
    target: bytes | None,
    target_person: bytes | None,
    created: bool,
) -> bytes | None:
    """What a file should hold when the view moves from `current` to `target` (disk not consulted).

    Reverie's regions come from `target`. People's text stays as it is now
    (a person's edit is kept by undo, redo and restore) — except the edits
    Reverie itself made to people's text (a retired imported hook): a
    record carries the file as the person left it (`person`) when Reverie
    changed their text, so those edits are taken back or made again.
    `target` None: Reverie has nothing in the file any more (a file it
    created goes when nothing of a person's is left in it).
    """
    if not fmt.shared:
        return target
    if current is None:
        current = current_person  # recorded as absent: the person's file before Reverie removed it
    if current is None:
        return target
    try:
        people = current_person if current_person is not None else current
        if target is not None and target_person is not None:  # make Reverie's own edits of the target again
            merged = merge_lines(fmt.splice(target_person, target), fmt.splice(people, target), target)
            people = merged if merged is not None else target
        if target is not None and fmt.splice(people, None) == fmt.splice(target, None):
            return target  # people's text as the target has it: restore the target's exact bytes
        out = fmt.splice(people, target)
    except (Unmergeable, ValueError, UnicodeDecodeError):
        return target
    if target is None and created and fmt.empty(out):
        return None
    return out


def _person(blobs: Blobs, rec: FileRecord | None) -> bytes | None:
    """The file as the person left it before Reverie edited their text (None: Reverie did not)."""
    h = (rec or {}).get("edited_from")
    return blobs.get(str(h)) if h else None


def settled_bytes(decision: Decision, ours: bytes | None) -> bytes | None:
    """The bytes a file holds once `decision` (not a Conflict) is carried out."""
    if isinstance(decision, Write):
        return decision.data
    if isinstance(decision, Delete):
        return None
    assert isinstance(decision, Keep)
    return ours


def settled_record(
    blobs: Blobs, trec: FileRecord | None, after: bytes | None, theirs: bytes | None
) -> FileRecord | None:
    """The record a file gets in the resulting view.

    The target's own record when the file ended up as the target has it;
    none when the target does not track the file; otherwise a record of the
    bytes now on disk (a person's text kept around Reverie's region). The new
    bytes are staged as a blob so a later restore can write them back.
    """
    if trec is None:
        return None
    if after == theirs:
        # the disk now holds the blob itself (a redacted version's "disk" hash no longer applies)
        return {k: v for k, v in trec.items() if k != "disk"} if "disk" in trec else trec
    if after is None:
        return None
    record: FileRecord = {"hash": blobs.put(after, record_hash(trec)), "created": bool(trec.get("created"))}
    for extra in ("mode", "edited_from"):
        if trec.get(extra) is not None:
            record[extra] = trec[extra]
    return record


def _set(view: View, key: str, record: FileRecord | None) -> None:
    if record is None:
        view.files.pop(key, None)
    else:
        view.files[key] = record


def record_of(data: bytes, created: bool, mode: int | None) -> FileRecord:
    """A file record for bytes about to be written (their blob is stored by the caller)."""
    record: FileRecord = {"hash": sha256(data), "created": created}
    if mode is not None:
        record["mode"] = mode
    return record
