"""Apply planning: which approved proposals merge into the active store, and how.

Why its own module: planning is the one part of apply with real rules —
conflicts with the current view, whole-file ownership, hand-edited files — and
`Store.plan_apply` (a dry run) and `Store.apply` must decide identically, so
both go through `plan_apply`; the file writes go through `store.sync`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reverie.store import candidates as cands
from reverie.store import importer, proposals, sync
from reverie.store import materialize as mat
from reverie.store.blobs import Blobs
from reverie.store.errors import NothingToDoError, ReverieError, UsageError
from reverie.store.fsutil import read_bytes, safe_target
from reverie.store.lineedits import EditConflict, apply_edits
from reverie.store.models import Artifact, Candidate, LineEdit, Operation, Proposal
from reverie.store.sync import FileChange
from reverie.store.views import View, put_artifact

if TYPE_CHECKING:
    from reverie.store.core import Store


@dataclass
class ApplyPlan:
    """What `apply` would do: the proposals it takes, the files it writes, the conflicts it reports."""

    candidate_id: str
    proposals: list[str] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidate_store": self.candidate_id,
            "proposals": self.proposals,
            "files": self.files,
            "conflicts": self.conflicts,
        }


@dataclass
class ApplyResult:
    """What `apply` did (`op` is None when every approved proposal conflicted)."""

    op: Operation | None
    candidate_id: str
    applied: list[str] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "op": self.op.id if self.op else None,
            "candidate_store": self.candidate_id,
            "applied": self.applied,
            "conflicts": self.conflicts,
            "files": self.files,
        }


@dataclass
class Staged:
    """What `apply` needs from its plan beyond the public `ApplyPlan`."""

    view: View
    new_arts: dict[str, Artifact]
    changes: list[FileChange]
    accepted: list[Proposal]
    props: list[Proposal]
    cand: Candidate
    reread: set[str] = field(default_factory=set)
    """Ids of hand-written artifacts whose file a line edit changed (same id, new body)."""


def plan_apply(store: Store, candidate_id: str | None, force: bool) -> tuple[ApplyPlan, Staged]:
    """Which approved proposals can apply together, and the files they write.

    Why a loop: dropping a conflicting proposal changes what the others render
    (shared block files, whole-file owners), so planning repeats until the
    accepted set plans without conflicts.
    """
    head = store.oplog.head()
    view = store._load_view(head)
    cand = store._candidate(candidate_id, view)
    if cand.status != "open":
        raise UsageError(f"candidate {cand.id} is {cand.status}, not open")
    props = [cands.overlay(p, view.reviews.get(p.id)) for p in cands.load_proposal_rows(store.db, cand.id)]
    approved = [p for p in props if p.status == "approved"]
    if not approved:
        raise NothingToDoError(f"nothing approved to apply in {cand.id}")
    try:
        base_arts = store._load_view(store.oplog.get(cand.base_op)).artifacts
    except ReverieError:
        base_arts = view.artifacts
    arts = store._arts(view)
    ctx = proposals.PlanContext(store.workspace, arts)
    conflicts: list[dict[str, Any]] = []
    accepted: list[Proposal] = []
    for p in approved:
        reason = proposal_conflict(p, view, base_arts, arts, cand.base_op)
        if (
            reason is None
            and (p.kind == "hook" or any(l.severity == "block" for l in p.labels))
            and (view.reviews.get(p.id) or {}).get("by") != "person"
        ):
            reason = "hooks and block-labelled proposals need a person's approval"
        if reason:
            conflicts.append({"proposal": p.id, "reason": reason})
        else:
            accepted.append(p)
    while True:
        new_arts = dict(arts)
        removed: list[Artifact] = []
        added: dict[str, Artifact] = {}
        for p in accepted:
            if p.edits:
                continue  # its lines change in place; the artifact is read back from the patched file below
            for rid in p.replaces:
                if rid in new_arts:
                    removed.append(new_arts.pop(rid))
            a = proposals.proposal_artifact(p, arts)
            if a is not None:
                new_arts[a.id] = a
                added[p.id] = a
        # same whole-file target twice → the later proposal conflicts
        owners: dict[str, str] = {}
        clash: list[tuple[Proposal, str]] = []
        for a in new_arts.values():
            if a.meta.get("layout") in (mat.DOCUMENT, "hook", "entry"):
                continue
            for k in ctx.targets(a) if a.id in arts else mat.targets_of(a, store.workspace):
                if mat.file_type(k) == "whole":
                    if k in owners:
                        pid = a.origin if a.id not in arts else owners[k]
                        clash.extend((p, k) for p in accepted if p.id == pid)
                    owners.setdefault(k, a.origin)
        if clash:
            for p, k in clash:
                conflicts.append({"proposal": p.id, "reason": f"same target already exists: {k}", "file": k})
            bad = {p.id for p, _ in clash}
            accepted = [p for p in accepted if p.id not in bad]
            continue
        affected: dict[str, set[str]] = {}
        edits: dict[str, list[LineEdit]] = {}
        rendered: set[str] = set()
        for p in accepted:
            keys = set()
            for e in p.edits:
                edits.setdefault(e.path, []).append(e)
                keys.add(e.path)
            for rid in [] if p.edits else p.replaces:
                if rid in arts:
                    keys.update(ctx.targets(arts[rid]))
                    rendered.update(ctx.targets(arts[rid]))
            if p.id in added:
                keys.update(mat.targets_of(added[p.id], store.workspace))
                rendered.update(mat.targets_of(added[p.id], store.workspace))
            for k in keys:
                affected.setdefault(k, set()).add(p.id)
        drop = {str(a.meta.get("command")) for a in removed if a.meta.get("layout") == "hook"}
        changes, file_conflicts = _plan_files(
            store.workspace, store.blobs, view, new_arts, rendered, drop, force, edits
        )
        if file_conflicts:
            bad = set()
            for key, reason in file_conflicts:
                for pid in sorted(affected.get(key, ())):
                    conflicts.append({"proposal": pid, "reason": f"{key}: {reason}", "file": key})
                    bad.add(pid)
            accepted = [p for p in accepted if p.id not in bad]
            continue
        break
    reread = _reread_edited(arts, new_arts, changes, edits)
    plan = ApplyPlan(
        candidate_id=cand.id,
        proposals=[p.id for p in accepted],
        files=[{"path": str(c.path), "key": c.key, "action": c.action} for c in changes if c.action != "none"],
        conflicts=conflicts,
    )
    return plan, Staged(
        view=view, new_arts=new_arts, changes=changes, accepted=accepted, props=props, cand=cand, reread=reread
    )


def _reread_edited(
    arts: dict[str, Artifact],
    new_arts: dict[str, Artifact],
    changes: list[FileChange],
    edits: dict[str, list[LineEdit]],
) -> set[str]:
    """Hand-written artifacts whose file a line edit patched, read back from the new bytes (in `new_arts`)."""
    after = {c.key: c.after for c in changes}
    out = set()
    for a in arts.values():
        key = str(a.meta.get("source") or "")
        data = after.get(key)
        if a.origin == "import" and key in edits and data is not None and a.id in new_arts:
            new_arts[a.id] = importer.reread(a, key, data)
            out.add(a.id)
    return out


def _plan_files(
    workspace: Path,
    blobs: Blobs,
    view: View,
    new_arts: dict[str, Artifact],
    keys: set[str],
    drop: set[str],
    force: bool,
    edits: dict[str, list[LineEdit]] | None = None,
) -> tuple[list[FileChange], list[tuple[str, str]]]:
    """Render each affected file from `new_arts` over what is on disk; (key, reason) where it cannot.

    Why refuse: a file changed by hand inside Reverie's region (or a whole file
    Reverie did not write) is a person's work; only `force` overwrites it.
    Line edits of a person's file (`edits`) are patched into the bytes on disk
    (after Reverie's region is rendered, when both change the same file) as a
    three-way patch: lines changed since the dream are a conflict, even with `force`.
    """
    edits = edits or {}
    changes: list[FileChange] = []
    conflicts: list[tuple[str, str]] = []
    for key in sorted(set(edits) - keys):
        path = safe_target(workspace, key)
        disk = read_bytes(path)
        if disk is None:
            conflicts.append((key, "deleted since the dream; nothing to edit"))
            continue
        try:
            new_b = apply_edits(disk, edits[key], key)
        except EditConflict as err:
            conflicts.append((key, str(err).removeprefix(f"{key}: ")))
            continue
        changes.append(FileChange(key, path, disk, new_b, None, _edited_record(blobs, view, key, disk, new_b)))
    by_key: dict[str, list[Artifact]] = {}
    for a in new_arts.values():
        for k in mat.targets_of(a, workspace):
            if k in keys:
                by_key.setdefault(k, []).append(a)
    for key in sorted(keys):
        path = safe_target(workspace, key)
        disk = read_bytes(path)
        rec = view.files.get(key)
        rec_b = blobs.get(rec["hash"]) if rec else None
        ftype = mat.file_type(key)
        broken = ftype == "block" and disk is not None and mat.has_broken_markers(disk.decode("utf-8", "replace"))
        if rec is not None:
            if disk == rec_b or (
                ftype != "whole"
                and disk is not None
                and not broken
                and mat.region_of(key, disk) == mat.region_of(key, rec_b)
                and mat.region_of(key, disk) != "<invalid json>"
            ):
                base = disk
            elif force:
                base = None if ftype == "whole" or broken else disk
            else:
                conflicts.append(
                    (
                        key,
                        "deleted by hand since Reverie wrote it"
                        if disk is None
                        else "hand-edited inside Reverie's region since Reverie wrote it"
                        if ftype != "whole"
                        else "hand-edited since Reverie wrote it",
                    )
                )
                continue
        elif disk is None:
            base = None
        elif ftype == "whole":
            if not force:
                conflicts.append((key, "already exists and was not written by Reverie"))
                continue
            base = None
        elif (broken or mat.region_of(key, disk)) and not force:
            conflicts.append((key, "has a Reverie region that Reverie did not record"))
            continue
        else:
            base = None if broken else disk
        try:
            new, mode = mat.render_file(key, by_key.get(key, []), base, drop)
        except (ValueError, UnicodeDecodeError) as err:
            if not force:
                conflicts.append((key, f"cannot be merged: {err}"))
                continue
            new, mode = mat.render_file(key, by_key.get(key, []), None, drop)
        created = bool(rec["created"]) if rec else disk is None
        if key in edits and new is not None:
            try:
                patched = apply_edits(new, edits[key], key)
            except EditConflict as err:
                conflicts.append((key, str(err).removeprefix(f"{key}: ")))
                continue
            if disk is not None:
                changes.append(
                    FileChange(key, path, disk, patched, mode, _edited_record(blobs, view, key, disk, patched))
                )
                continue
            new = patched
        if new is not None and ftype != "whole" and mat.is_empty(key, new) and (created or disk is None):
            new = None
        if new is None:
            record = None
        else:
            record = {"hash": blobs.put(new), "created": created}
            if mode is not None:
                record["mode"] = mode
        changes.append(FileChange(key, path, disk, new, mode, record))
    return changes, conflicts


def _edited_record(blobs: Blobs, view: View, key: str, before: bytes, after: bytes) -> dict[str, Any]:
    """The view record of a person's file after Reverie edited lines of it.

    `edited_from` names the bytes before the edit, so undo and redo know the
    difference between this version and the one before is Reverie's and may be
    taken back byte for byte (a person's own change never is).
    """
    rec = view.files.get(key) or {}
    out: dict[str, Any] = {
        "hash": blobs.put(after),
        "created": bool(rec.get("created")),
        "edited_from": blobs.put(before),
    }
    if rec.get("mode"):
        out["mode"] = rec["mode"]
    return out


def proposal_conflict(
    p: Proposal, view: View, base_arts: dict[str, str], arts: dict[str, Artifact], base_op: str
) -> str | None:
    """Why `p` cannot apply on the current view (None: it can).

    Why compare with the base: a proposal that replaces an artifact was written
    against that artifact as the dream saw it; if it changed since, applying
    would silently discard the change.
    """
    if p.blocking_labels():
        return "uncleared block label(s): " + ", ".join(l.label for l in p.blocking_labels())
    if p.edits:
        # lines of a person's file: checked as a three-way patch against the disk when planned
        gone = [rid for rid in p.replaces if rid not in view.artifacts]
        return f"replaced artifact {gone[0]} is gone since {base_op}" if gone else None
    for rid in p.replaces:
        if rid not in view.artifacts:
            return f"replaced artifact {rid} is gone since {base_op}"
        if rid in base_arts and base_arts[rid] != view.artifacts[rid]:
            return f"replaced artifact {rid} changed since {base_op}"
        if arts[rid].meta.get("layout") in (mat.DOCUMENT, "file") and arts[rid].origin == "import":
            return (
                f"{rid} is the hand-written file {arts[rid].meta.get('source')}: it changes only through "
                "line edits (or by hand)"
            )
    return None


def apply(store: Store, candidate_id: str | None, force: bool) -> ApplyResult:
    """Merge the approved proposals into the active store (one op) and write files.

    The caller holds the writer lock, so nothing changes between plan and writes.
    """
    plan, st = plan_apply(store, candidate_id, force)
    accepted = st.accepted
    if not accepted:
        return ApplyResult(None, plan.candidate_id, [], plan.conflicts, [])
    view = st.view
    new_view = view.copy()
    new_view.artifacts = _artifact_hashes(store.blobs, view, st.new_arts, st.reread)
    for c in st.changes:
        if c.record is None:
            new_view.files.pop(c.key, None)
        else:
            new_view.files[c.key] = c.record
    applied = {p.id for p in accepted}
    for pid in applied:
        review = dict(new_view.reviews.get(pid) or {})
        review["status"] = "applied"
        new_view.reviews[pid] = review
    remaining = [p for p in st.props if p.id not in applied and p.status not in ("rejected", "applied")]
    cand = st.cand
    if not remaining:
        new_view.candidates[cand.id] = "applied"
    desc = f"apply {len(applied)} proposal(s) from {cand.id}"
    op = sync.execute(
        store,
        st.changes,
        "apply",
        "person",
        desc,
        new_view,
        {"candidate": cand.id, "proposals": sorted(applied), "conflicts": plan.conflicts, "forced": force},
    )
    return ApplyResult(op, cand.id, [p.id for p in accepted], plan.conflicts, plan.files)


def _artifact_hashes(
    blobs: Blobs, view: View, new_arts: dict[str, Artifact], changed: frozenset[str] | set[str] = frozenset()
) -> dict[str, str]:
    """The new artifacts map: unchanged artifacts keep their blob, new (or re-read) ones are stored."""
    out = {}
    for aid, a in new_arts.items():
        out[aid] = view.artifacts[aid] if aid in view.artifacts and aid not in changed else put_artifact(blobs, a)
    return out
