"""Apply planning: which approved proposals merge into the active store, and how.

Why its own module: planning is the one part of apply with real rules —
conflicts with the current view, whole-file ownership, hand-edited files — and
`Store.plan_apply` (a dry run) and `Store.apply` must decide identically, so
both go through `plan_apply`; the file writes go through `store.sync`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reverie.store import guard, importer, mirrors, proposals
from reverie.store import materialize as mat
from reverie.store.blobs import Blobs, sha256
from reverie.store.errors import NothingToDoError, ReverieError, UsageError
from reverie.store.fsutil import read_bytes, safe_target
from reverie.store.journal import FileChange
from reverie.store.lineedits import EditConflict, apply_edits
from reverie.store.models import Artifact, Candidate, LineEdit, Operation, Proposal
from reverie.store.resolve import Conflict, FileFormat, Unmergeable, resolve
from reverie.store.sync import record_of, settled_bytes
from reverie.store.transaction import Snapshot, Transaction
from reverie.store.views import FileRecord, View, put_artifact, record_hash, recorded_bytes


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
    records: dict[str, FileRecord | None]
    """The new view's record of each changed file (None: no record)."""
    accepted: list[Proposal]
    props: list[Proposal]
    cand: Candidate
    reread: set[str] = field(default_factory=set)
    """Ids of hand-written artifacts whose file a line edit changed (same id, new body)."""


def plan_apply(snap: Snapshot, candidate_id: str | None, force: bool) -> tuple[ApplyPlan, Staged]:
    """Which approved proposals can apply together, and the files they write.

    Why a loop: dropping a conflicting proposal changes what the others render
    (shared block files, whole-file owners), so planning repeats until the
    accepted set plans without conflicts.
    """
    with mirrors.steady():  # one plan: the agents in use are looked up once
        return _plan_apply(snap, candidate_id, force)


def _plan_apply(snap: Snapshot, candidate_id: str | None, force: bool) -> tuple[ApplyPlan, Staged]:
    view = snap.head_view
    workspace = snap.workspace
    cand = snap.candidate(candidate_id)
    if cand.status != "open":
        raise UsageError(f"candidate {cand.id} is {cand.status}, not open")
    props = snap.proposals(cand.id)
    approved = [p for p in props if p.status == "approved"]
    if not approved:
        raise NothingToDoError(f"nothing approved to apply in {cand.id}")
    try:
        base_arts = snap.load_view(snap.op(cand.base_op)).artifacts
    except ReverieError:
        base_arts = view.artifacts
    arts = snap.artifacts()
    ctx = proposals.PlanContext(workspace, arts)
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
            for k in ctx.targets(a) if a.id in arts else mat.targets_of(a, workspace):
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
                keys.update(mat.targets_of(added[p.id], workspace))
                rendered.update(mat.targets_of(added[p.id], workspace))
            for k in keys:
                affected.setdefault(k, set()).add(p.id)
        drop = {str(a.meta.get("command")) for a in removed if a.meta.get("layout") == "hook"}
        changes, records, file_conflicts = _plan_files(
            workspace, snap.blobs, view, new_arts, rendered, drop, force, edits
        )
        file_conflicts += [
            (c.key, "secret_exposure: writing it would add a credential; edit the proposal")
            for c in changes
            if c.action == "write" and guard.new_credentials(c.before, c.after)
        ]
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
    staged = Staged(view, new_arts, changes, records, accepted, props, cand, reread)
    return plan, staged


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
    edits: dict[str, list[LineEdit]],
) -> tuple[list[FileChange], dict[str, FileRecord | None], list[tuple[str, str]]]:
    """Render each affected file from `new_arts`; `resolve` it against the disk; (key, reason) where it cannot.

    The file is rendered over the bytes Reverie recorded (or, for a file it
    never recorded, over the disk), so `resolve` sees the three versions:
    recorded, on disk, wanted. A file changed by hand inside Reverie's region
    (or a whole file Reverie did not write) is a person's work: only `force`
    overwrites it. Line edits of a person's file (`edits`) are then patched
    into those bytes as a three-way patch (store.lineedits): lines changed
    since the dream are a conflict, even with `force`.
    """
    by_key: dict[str, list[Artifact]] = {}
    for a in new_arts.values():
        for k in mat.targets_of(a, workspace):
            if k in keys:
                by_key.setdefault(k, []).append(a)
    changes: list[FileChange] = []
    records: dict[str, FileRecord | None] = {}
    conflicts: list[tuple[str, str]] = []
    for key in sorted(keys | set(edits)):
        path = safe_target(workspace, key)
        ours = read_bytes(path)
        rec = view.files.get(key)
        base = recorded_bytes(blobs, rec, ours)
        fmt = mat.format_of(key)
        created = bool(rec["created"]) if rec else ours is None
        theirs: bytes | None = ours
        mode: int | None = (rec or {}).get("mode")
        if key in keys:
            try:
                theirs, mode = mat.render_file(key, by_key.get(key, []), base if base is not None else ours, drop)
            except (ValueError, UnicodeDecodeError) as err:
                if not force:
                    conflicts.append((key, f"cannot be merged: {err}"))
                    continue
                theirs, mode = mat.render_file(key, by_key.get(key, []), None, drop)
            if theirs is not None and fmt.shared and fmt.empty(theirs) and (created or ours is None):
                theirs = None
            decision = resolve(base, ours, theirs, fmt, force=force)
            if isinstance(decision, Conflict):
                conflicts.append((key, decision.reason))
                continue
            after = settled_bytes(decision, ours)
        else:
            after = ours
        if key in edits:
            if after is None:
                conflicts.append((key, "deleted since the dream; nothing to edit"))
                continue
            try:
                after = apply_edits(after, edits[key], key)
            except EditConflict as err:
                conflicts.append((key, str(err).removeprefix(f"{key}: ")))
                continue
        person = _person_version(fmt, rec, base, ours, theirs, key in edits)
        if after is not None:
            records[key] = record_of(after, created, mode)
        elif rec is not None and not created and not fmt.shared:
            records[key] = {"hash": None, "created": False}  # a person's file Reverie removed (see views.FileRecord)
        else:
            records[key] = None
        record = records[key]
        if record is not None and person is not None:
            record["edited_from"] = person
        changes.append(FileChange(key, path, ours, after, mode))
    return changes, records, conflicts


def _person_version(
    fmt: FileFormat, rec: FileRecord | None, base: bytes | None, ours: bytes | None, theirs: bytes | None, edited: bool
) -> str | None:
    """The blob of the file as the person left it, when Reverie's change edits a person's text.

    That is a line edit of a hand-written file, a whole file Reverie did not
    create (an imported rule it retires), or people's text in a shared file
    (an imported hook entry it retires). Kept in the new record
    (``edited_from``) so undo/redo/restore take the edit back while keeping
    the person's own text (store.sync.wanted_bytes). The bytes are the disk's
    before the change (stored with the change's journal snapshot).
    """
    if rec is not None and rec.get("edited_from"):
        return str(rec["edited_from"])  # Reverie edited their text before: the person's version stays the older one
    if ours is None:
        return None
    if edited:
        return sha256(ours)
    if rec is None or base is None:
        return None
    if not fmt.shared:
        return sha256(ours) if not rec.get("created") and theirs != base else None
    if theirs is None:
        return None
    try:
        edits_people = fmt.splice(theirs, None) != fmt.splice(base, None)
    except (Unmergeable, ValueError, UnicodeDecodeError):
        return None
    return sha256(ours) if edits_people else None


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


def apply(tx: Transaction, candidate_id: str | None, force: bool) -> ApplyResult:
    """Merge the approved proposals into the active store (one op) and write files.

    The transaction holds the writer lock, so nothing changes between plan and writes.
    """
    plan, st = plan_apply(tx, candidate_id, force)
    accepted = st.accepted
    if not accepted:
        return ApplyResult(None, plan.candidate_id, [], plan.conflicts, [])
    new_view = tx.view
    new_view.artifacts = _artifact_hashes(tx.blobs, st.view, st.new_arts, st.reread, _previous(st))
    for c in st.changes:
        record = st.records[c.key]
        if c.after is not None:
            tx.blobs.put(c.after, record_hash(st.view.files.get(c.key)))  # a delta against the previous version
        if c.before is not None and record is not None and record.get("edited_from") == sha256(c.before):
            tx.blobs.put(c.before)  # the person's version the record points to
        if record is None:
            new_view.files.pop(c.key, None)
        else:
            new_view.files[c.key] = record
    applied = {p.id for p in accepted}
    for pid in applied:
        review = dict(new_view.reviews.get(pid) or {})
        review["status"] = "applied"
        new_view.reviews[pid] = review
    remaining = [p for p in st.props if p.id not in applied and p.status not in ("rejected", "applied")]
    cand = st.cand
    if not remaining:
        new_view.candidates[cand.id] = "applied"
    tx.write_files(st.changes)
    op = tx.commit(
        f"apply {len(applied)} proposal(s) from {cand.id}",
        data={"candidate": cand.id, "proposals": sorted(applied), "conflicts": plan.conflicts, "forced": force},
    )
    return ApplyResult(op, cand.id, [p.id for p in accepted], plan.conflicts, plan.files)


def _artifact_hashes(
    blobs: Blobs, view: View, new_arts: dict[str, Artifact], changed: set[str], previous: dict[str, str]
) -> dict[str, str]:
    """The new artifacts map: unchanged artifacts keep their blob, new (or re-read) ones are stored.

    `previous`: artifact id → the blob of the artifact it replaces (stored as a delta against it).
    """
    out = {}
    for aid, a in new_arts.items():
        if aid in view.artifacts and aid not in changed:
            out[aid] = view.artifacts[aid]
        else:
            out[aid] = put_artifact(blobs, a, previous.get(aid) or view.artifacts.get(aid))
    return out


def _previous(st: Staged) -> dict[str, str]:
    """New artifact id → blob of the one artifact its proposal replaces (its previous version)."""
    out = {}
    for p in st.accepted:
        if len(p.replaces) == 1 and p.replaces[0] in st.view.artifacts:
            out[proposals.artifact_id(p.id)] = st.view.artifacts[p.replaces[0]]
    return out
