"""Observed writes: changes to the agent's memory and instruction files that Reverie did not make.

Why its own module: an observed write is reviewed like a dream's proposal, but
its file is already on disk, so review means *keep* (adopt the write into the
active store) or *revert* (put back the last reviewed bytes), and the record of
what happened must survive undo:

- `record` (an ``observe`` operation, actor ``watcher``) stores the new bytes as
  a blob, sets the view's file record to what is on disk now, and opens an
  observed candidate (one group per batch: an Auto Dream consolidation that
  rewrote 20 files is one group). A newer write to a file whose earlier write is
  still pending supersedes it; the new proposal diffs against the same last
  reviewed bytes. The operation is transparent to undo/redo: `z` never reverts
  an agent's write behind a person's back.
- `keep` (``keep``) marks the proposals applied and re-imports the kept files
  into the active store. No file is written.
- `revert` (``revert``) writes the last reviewed bytes back through the
  journaled sync (a deleted file comes back, an added one goes away).
- `carry` keeps what observations recorded when undo/redo move to an earlier
  view, so undoing an approve does not throw away a write observed after it.

The view's ``files`` record of an observed key is therefore "the bytes Reverie
last saw on disk"; the last *reviewed* bytes of a key with a pending write are in
that proposal's ``meta["observed"]["before"]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reverie.store import candidates as cands
from reverie.store import materialize as mat
from reverie.store.blobs import sha256
from reverie.store.errors import NothingToDoError, ReverieError, UsageError
from reverie.store.fsutil import read_bytes, safe_target
from reverie.store.journal import FileChange
from reverie.store.models import Artifact, Candidate, Operation, Proposal
from reverie.store.transaction import Snapshot, Transaction
from reverie.store.views import View, put_artifact, record_hash

META = "observed"
"""`Proposal.meta` key of an observed write: key, writer, change, before/after file records."""

OBSERVED_KINDS = ("observe", "keep", "revert")
"""Operation kinds of this module; undo/redo of keep/revert restores whole files byte for byte."""


def seen_hash(rec: dict[str, Any] | None) -> str | None:
    """The sha256 of the bytes a file record stands for on disk.

    A version whose text held a credential is stored redacted (no secret in the
    store); its record keeps the disk bytes' hash under ``disk`` so the file
    still compares as unchanged.
    """
    if not rec:
        return None
    return str(rec.get("disk") or rec.get("hash") or "") or None


def is_observed(p: Proposal) -> bool:
    return isinstance(p.meta.get(META), dict)


def info(p: Proposal) -> dict[str, Any]:
    """The observed-write record of a proposal ({} for a dream's proposal)."""
    data = p.meta.get(META)
    return data if isinstance(data, dict) else {}


def writer(p: Proposal) -> str:
    """``agent`` or ``person`` (empty for a dream's proposal)."""
    return str(info(p).get("writer") or "")


@dataclass
class Observation:
    """One file as the dreamer found it: what the view recorded then (`seen`), what is on disk now.

    `proposal` is the reviewable change against the last reviewed bytes; None
    when the file went back to exactly those bytes (only an older pending write
    is superseded).
    """

    key: str
    seen: str | None
    data: bytes | None
    mode: int | None = None
    proposal: Proposal | None = None
    reviewed: str | None = None
    """Hash of the last reviewed bytes the proposal diffs against (checked again under the lock)."""
    baseline: bool = False
    """A file that predates Reverie, recorded silently on the first pass (never deleted by a restore)."""
    disk: str | None = None
    """sha256 of the bytes on disk when `data` is their redacted stand-in (the text held a credential)."""


@dataclass
class Baseline:
    """What the dreamer compares the disk with: per key, the bytes last seen and last reviewed."""

    seen: dict[str, str] = field(default_factory=dict)
    """key → hash of the bytes recorded in the head view."""
    pending: dict[str, Proposal] = field(default_factory=dict)
    """key → its pending observed proposal."""

    def reviewed_record(self, view_files: dict[str, dict[str, Any]], key: str) -> dict[str, Any] | None:
        p = self.pending.get(key)
        if p is not None:
            before = info(p).get("before")
            return dict(before) if isinstance(before, dict) else None
        rec = view_files.get(key)
        return dict(rec) if rec else None


# --- reading ---------------------------------------------------------------------------


def proposals(snap: Snapshot, view: View | None = None, summaries: bool = False) -> list[Proposal]:
    """The observed proposals of every open observed candidate, review state merged in (superseded left out)."""
    view = view if view is not None else snap.head_view
    load = cands.load_proposal_summaries if summaries else cands.load_proposal_rows
    out: list[Proposal] = []
    for c in snap.open_candidates("observed", view):
        for p in load(snap.backend.db, c.id):
            q = cands.overlay(p, view.reviews.get(p.id))
            if q.status != "superseded":
                out.append(q)
    return out


def pending(snap: Snapshot, view: View) -> dict[str, Proposal]:
    """key → the pending observed proposal of that file (full proposals)."""
    out: dict[str, Proposal] = {}
    for p in proposals(snap, view):
        if p.status == "pending":
            out[str(info(p).get("key", ""))] = p
    return out


def baseline(snap: Snapshot) -> Baseline:
    view = snap.head_view
    seen = {k: seen_hash(v) or "" for k, v in view.files.items() if isinstance(v, dict)}
    return Baseline(seen=seen, pending=pending(snap, view))


def counts(snap: Snapshot) -> dict[str, int]:
    """Unreviewed observed writes by writer, and how many groups they are in (for `status`)."""
    view = snap.head_view
    out = {"unreviewed": 0, "agent": 0, "person": 0, "groups": 0}
    groups: set[str] = set()
    for p in proposals(snap, view):
        if p.status != "pending":
            continue
        out["unreviewed"] += 1
        w = writer(p) or "person"
        out[w] = out.get(w, 0) + 1
        groups.add(p.candidate_id)
    out["groups"] = len(groups)
    return out


# --- recording -------------------------------------------------------------------------


def record(
    tx: Transaction,
    observations: list[Observation],
    *,
    noticed_by: str = "watcher",
    description: str = "",
    stats: dict[str, Any] | None = None,
) -> tuple[Operation | None, Candidate | None]:
    """Record what the dreamer observed as one ``observe`` operation (see module doc).

    Observations whose file record changed since the dreamer looked are skipped
    (the next pass sees the newer state). Returns (None, None) when nothing
    was left to record (the transaction then commits nothing).
    """
    head = tx.head
    assert head is not None
    view = tx.head_view
    waiting = pending(tx, view)
    new_view = tx.view
    stored: list[Proposal] = []
    snapshots: dict[str, str | None] = {}
    changes: dict[str, str] = {}
    superseded: list[str] = []
    for ob in observations:
        cur = view.files.get(ob.key)
        cur_hash = seen_hash(cur)
        if cur_hash != ob.seen:
            continue
        old = waiting.get(ob.key)
        reviewed = Baseline(pending=waiting).reviewed_record(view.files, ob.key)
        if ob.proposal is not None and seen_hash(reviewed) != ob.reviewed:
            continue
        new_hash = tx.blobs.put(ob.data, record_hash(cur)) if ob.data is not None else None
        if (ob.disk or new_hash) == cur_hash and old is None and ob.proposal is None:
            continue
        if ob.data is None:
            new_view.files.pop(ob.key, None)
        else:
            # a file that appeared after Reverie looked may go again on revert/restore; one from before never
            created = bool(cur.get("created")) if cur else not ob.baseline
            rec: dict[str, Any] = {"hash": new_hash, "created": created}
            if ob.disk and ob.disk != new_hash:
                rec["disk"] = ob.disk
            mode = ob.mode if ob.mode is not None else (cur or {}).get("mode")
            if mode is not None:
                rec["mode"] = mode
            new_view.files[ob.key] = rec
        snapshots[ob.key] = new_hash
        if old is not None:
            new_view.reviews[old.id] = {"status": "superseded"}
            superseded.append(old.id)
        if ob.proposal is None:
            changes[ob.key] = "baseline" if ob.baseline else "back to the reviewed bytes"
            continue
        p = ob.proposal
        p.id = tx.random_id("p-")
        p.status = "pending"
        p.original_body, p.original_scope, p.original_kind = p.body, p.scope, p.kind
        p.cleared_labels, p.reject_reason = [], ""
        data = dict(info(p))
        data.update({"key": ob.key, "before": reviewed, "after": new_view.files.get(ob.key)})
        p.meta = dict(p.meta) | {META: data}
        if superseded and old is not None:
            data["supersedes"] = old.id
        stored.append(p)
        changes[ob.key] = str(data.get("change") or "update")
    if not snapshots:
        return None, None
    cand: Candidate | None = None
    if stored:
        cand = Candidate(
            id=tx.new_id("c-"),
            base_op=head.id,
            created_at=tx.now(),
            engine=noticed_by,
            status="open",
            stats=dict(stats or {}) | {"files": len(stored)},
            source="observed",
        )
        for p in stored:
            p.candidate_id = cand.id
        tx.add_candidate(cand, stored)
        new_view.candidates[cand.id] = "open"
    _close_reviewed(tx, new_view)
    undo_next, redo = tx.backend.oplog.nav(head.id)
    op = tx.commit(
        description or _describe(stored, changes),
        data={
            "candidate": cand.id if cand else None,
            "proposals": [p.id for p in stored],
            "superseded": superseded,
            "files": changes,
            "snapshots": snapshots,
        },
        undo_next=undo_next,  # transparent to undo/redo (see module doc)
        redo_stack=redo,
    )
    return op, cand


def _describe(stored: list[Proposal], changes: dict[str, str]) -> str:
    n = len(changes)
    if not stored and all(c == "baseline" for c in changes.values()):
        return f"baseline: {n} agent file{'s' if n != 1 else ''} that predate Reverie"
    writers = sorted({writer(p) for p in stored}) or ["person"]
    return f"observed {n} write{'s' if n != 1 else ''} by {' and '.join(writers)}"


def _close_reviewed(snap: Snapshot, view: View) -> None:
    """An observed candidate none of whose proposals is pending any more is closed (status applied).

    A candidate opened in the same transaction is not in the database yet, so it is left open.
    """
    for c in snap.open_candidates("observed", view):
        rows = cands.load_proposal_summaries(snap.backend.db, c.id)
        if all((view.reviews.get(p.id) or {}).get("status", "pending") != "pending" for p in rows):
            view.candidates[c.id] = "applied"


# --- review: keep or revert --------------------------------------------------------------


def split_refs(snap: Snapshot, refs: list[str]) -> tuple[list[str], list[str]]:
    """(observed proposal ids, other refs): candidate ids of observed groups expand to their pending proposals."""
    view = snap.head_view
    db = snap.backend.db
    observed: list[str] = []
    other: list[str] = []
    for ref in refs:
        ref = ref.strip()
        if ref.startswith("c-"):
            row = cands.get_candidate_row(db, ref)
            if (row.get("source") or "dream") != "observed":
                raise UsageError(f"{row['id']} is a dream's candidate: name its proposals")
            ids = [
                p.id
                for p in cands.load_proposal_summaries(db, row["id"])
                if (view.reviews.get(p.id) or {}).get("status", "pending") == "pending"
            ]
            if not ids:
                raise NothingToDoError(f"group {row['id']} has no write left to review")
            observed.extend(ids)
            continue
        p, _cid = cands.find_proposal_row(db, ref)
        (observed if is_observed(p) else other).append(p.id)
    return list(dict.fromkeys(observed)), other


def _pending_targets(snap: Snapshot, view: View, ids: list[str]) -> list[Proposal]:
    out = []
    for pid in dict.fromkeys(ids):
        p, cid = snap.find_proposal(pid)
        if not is_observed(p):
            raise UsageError(f"{p.id} is not an observed write")
        if view.candidates.get(cid) != "open":
            raise UsageError(
                f"{p.id} belongs to group {cid}, which is {view.candidates.get(cid, 'not in this history')}"
            )
        q = cands.overlay(p, view.reviews.get(p.id))
        if q.status != "pending":
            verb = {"applied": "kept", "rejected": "reverted"}.get(q.status, q.status)
            raise UsageError(f"{p.id} was already {verb}")
        out.append(q)
    if not out:
        raise UsageError("no proposal ids given")
    return out


def keep(tx: Transaction, ids: list[str], clear_blocks: bool = False) -> Operation:
    """Keep the writes: adopt them into the active store (one ``keep`` operation, no file written)."""
    view = tx.head_view
    props = _pending_targets(tx, view, ids)
    new_view = tx.view
    cleared: dict[str, list[str]] = {}
    for p in props:
        blocking = p.blocking_labels()
        if blocking and not clear_blocks:
            names = ", ".join(label.label for label in blocking)
            raise ReverieError(f"{p.id} has block label(s) {names}: review them, then keep with --clear-block")
        review: dict[str, Any] = {"status": "applied", "by": "person"}
        if blocking:
            review["cleared"] = sorted({label.label for label in blocking})
            cleared[p.id] = review["cleared"]
        new_view.reviews[p.id] = review
    keys = [str(info(p)["key"]) for p in props]
    new_view.artifacts = _adopt(tx, view, props)
    _close_reviewed(tx, new_view)
    return tx.commit(
        f"keep {_names(keys)}", data={"proposals": [p.id for p in props], "files": keys, "cleared": cleared}
    )


def _adopt(tx: Transaction, view: View, props: list[Proposal]) -> dict[str, str]:
    """The artifacts map with the kept files re-imported (the rest of the active store untouched)."""
    from reverie.store.importer import scan

    keys = {str(info(p)["key"]) for p in props}
    arts = tx.artifacts()
    before = view.copy()
    for p in props:  # scan against the reviewed bytes, so an edit of a file Reverie wrote is adopted
        rec = info(p).get("before")
        if rec:
            before.files[str(info(p)["key"])] = rec
        else:
            before.files.pop(str(info(p)["key"]), None)
    result = scan(tx.workspace, before, arts, tx.blobs)
    out = {
        aid: h
        for aid, h in view.artifacts.items()
        if not (arts[aid].origin == "import" and arts[aid].meta.get("source") in keys)
    }
    gone = {str(info(p)["key"]) for p in props if info(p).get("after") is None}
    for aid, a in arts.items():  # a kept deletion of a file Reverie wrote retires its artifact
        if (
            aid in out
            and a.origin != "import"
            and mat.file_type(_primary(a, tx.workspace)) == "whole"
            and _primary(a, tx.workspace) in gone
        ):
            del out[aid]
    for a in result.artifacts:
        if a.meta.get("source") in keys:
            out[a.id] = put_artifact(tx.blobs, a)
    for a in result.adopted:
        if _primary(a, tx.workspace) in keys:
            out[a.id] = put_artifact(tx.blobs, a)
    return out


def _primary(a: Artifact, workspace: Path) -> str:
    targets = mat.targets_of(a, workspace)
    return targets[0] if targets else ""


def revert(tx: Transaction, ids: list[str], reason: str = "") -> Operation:
    """Put the last reviewed bytes back (one ``revert`` operation through the journaled writes)."""
    view = tx.head_view
    props = _pending_targets(tx, view, ids)
    new_view = tx.view
    changes: list[FileChange] = []
    for p in props:
        data = info(p)
        key = str(data["key"])
        path = safe_target(tx.workspace, key)
        disk = read_bytes(path)
        after = data.get("after") or None
        before = data.get("before") or None
        disk_hash = sha256(disk) if disk is not None else None
        if disk_hash != seen_hash(after) and disk_hash != seen_hash(before):
            raise ReverieError(
                f"{key} changed again since {p.id} was observed: review the newer write first (nothing reverted)"
            )
        target = tx.blobs.get(before["hash"]) if before else None
        mode = (before or {}).get("mode")
        changes.append(FileChange(key, path, disk, target, mode))
        if before is None:
            new_view.files.pop(key, None)
        else:  # the blob itself goes back on disk (a redacted version's disk hash no longer applies)
            new_view.files[key] = {k: v for k, v in before.items() if k != "disk"}
        review: dict[str, Any] = {"status": "rejected", "by": "person"}
        if reason:
            review["reason"] = reason
        new_view.reviews[p.id] = review
    _close_reviewed(tx, new_view)
    keys = [c.key for c in changes]
    tx.write_files(changes)
    return tx.commit(
        f"revert {_names(keys)}" + (f": {reason}" if reason else ""),
        data={"proposals": [p.id for p in props], "reason": reason},
    )


def _names(keys: list[str]) -> str:
    shown = [k.rsplit("/", 1)[-1] for k in keys[:3]]
    return ", ".join(shown) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")


# --- undo / redo ------------------------------------------------------------------------------


def carry(tx: Snapshot, target: View) -> tuple[View, list[str]]:
    """`target` plus what observe operations recorded since the last other operation.

    Why: observe operations are transparent to undo/redo, so the view an undo
    returns to predates the writes observed since; without carrying them the
    sync would silently revert those writes and lose their proposals. A file
    the undone operation changed too keeps the newest observation when it is a
    whole file (the agent's latest write stands; its proposal stays pending);
    block and settings files are left to the sync, which keeps today's text
    outside Reverie's region. Returns the view and the keys carried.
    """
    head = tx.head
    if head is None or head.kind != "observe":
        return target, []
    op = head
    while op.kind == "observe" and op.parent is not None:
        op = tx.op(op.parent)
    base = tx.load_view(op)
    now = tx.head_view
    out = target.copy()
    carried: list[str] = []
    for name in ("files", "candidates", "reviews"):
        b, h, t = getattr(base, name), getattr(now, name), getattr(out, name)
        for k in set(b) | set(h):
            if b.get(k) == h.get(k):
                continue
            if name == "files" and t.get(k) != b.get(k) and mat.file_type(k) != "whole":
                continue
            if h.get(k) is None:
                t.pop(k, None)
            else:
                t[k] = h[k]
            if name == "files":
                carried.append(k)
    return out, sorted(carried)


def exact_keys(op: Operation) -> list[str]:
    """Keys an undo/redo of `op` restores byte for byte: the files a keep or revert reviewed."""
    if op.kind not in OBSERVED_KINDS:
        return []
    files = op.data.get("files")
    if isinstance(files, dict):
        return list(files)
    if isinstance(files, list):
        return [str(k) for k in files]
    return []
