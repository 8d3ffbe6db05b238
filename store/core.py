"""The Store facade (contract documented in store/store.py).

Why one class: the dreamer, the CLI and the console all change the store the
same way — every change one operation, one transaction, the writer lock held,
files written through the same journaled sync — so the rules live here once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson

from store import candidates as cands
from store import materialize as mat
from store import sync
from store.blobs import Blobs
from store.db import WriterLock, immediate, open_db
from store.errors import NothingToDoError, ReverieError, UnsafePathError, UsageError
from store.fsutil import read_bytes, safe_target
from store.models import ACTIONS, ACTORS, KINDS, SCOPES, Artifact, Candidate, Operation, Proposal
from store.oplog import OpLog, new_id, now_iso, random_id
from store.paths import CONFIG_NAME, default_db_path, state_dir
from store.views import View, artifacts_of, get_artifact, load_view, put_artifact, save_view, view_blob_refs

DEFAULT_CONFIG = """\
# Reverie settings for this workspace (TOML).
[dream]
engine = "heuristic"   # or "llm" (needs --model and a provider key)

[apply]
force = false          # never overwrite hand edits unless asked
"""


@dataclass
class Preview:
    """What a proposal would change: its primary target file and the text diff."""

    target: str
    before: str
    after: str
    key: str = ""


@dataclass
class ApplyPlan:
    candidate_id: str
    proposals: list[str] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"candidate_store": self.candidate_id, "proposals": self.proposals,
                "files": self.files, "conflicts": self.conflicts}


@dataclass
class ApplyResult:
    op: Operation | None
    candidate_id: str
    applied: list[str] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op.id if self.op else None, "candidate_store": self.candidate_id,
                "applied": self.applied, "conflicts": self.conflicts, "files": self.files}


def _artifact_id(pid: str) -> str:
    return "a-" + hashlib.sha256(pid.encode()).hexdigest()[:10]


class _Ctx:
    """Artifacts of one view with a key → artifacts index (built once per plan)."""

    def __init__(self, workspace: Path, arts: dict[str, Artifact]) -> None:
        self.workspace = workspace
        self.arts = arts
        self._targets: dict[str, list[str]] = {}

    def targets(self, a: Artifact) -> list[str]:
        t = self._targets.get(a.id)
        if t is None:
            t = mat.targets_of(a, self.workspace)
            self._targets[a.id] = t
        return t


class Store:
    def __init__(self, workspace: Path, db_path: Path, db: Any) -> None:
        self.workspace = workspace
        self.db_path = db_path
        self.db = db
        self.blobs = Blobs(db)
        self.oplog = OpLog(db)
        self.lock = WriterLock(Path(str(db_path) + ".lock"))

    # --- opening ---------------------------------------------------------------

    @classmethod
    def open(cls, workspace: Path | str, db_path: Path | str | None = None, create: bool = False) -> "Store":
        ws = Path(os.path.abspath(os.path.expanduser(str(workspace))))
        try:
            if not ws.is_dir():
                raise ReverieError(f"workspace {ws} does not exist or is not a directory")
        except OSError as err:
            raise ReverieError(f"cannot open workspace {ws}: {err.strerror or err}") from None
        path = Path(db_path) if db_path is not None else default_db_path(ws)
        if create:
            _ensure_state_dir(ws, path)
        db = open_db(path, create=create, workspace=ws)
        store = cls(ws, path, db)
        if not create and store.oplog.head_id() is None:
            raise ReverieError(f"no Reverie store in {ws}: run `reverie init`")
        sync.recover(store)
        return store

    def reader(self) -> "Store":
        """Another handle on this database for a worker thread's reads: its own connection.

        Why not `Store.open`: this handle's open already migrated the schema and
        recovered any journal, so the new connection skips both; under a busy UI
        thread each of those small statements waits for the GIL.
        """
        import sqlite_utils

        from store.db import BUSY_TIMEOUT_MS

        try:
            conn = sqlite3.connect(str(self.db_path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000,
                                   check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        except sqlite3.Error as err:
            raise ReverieError(f"cannot open {self.db_path}: {err}") from None
        return type(self)(self.workspace, self.db_path, sqlite_utils.Database(conn))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.db.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def init(self) -> Operation:
        """Create the root operation and import the workspace (idempotent)."""
        with self._writing():
            if self.oplog.head_id() is not None:
                return self.oplog.head()
            with self._txn():
                self.oplog.append(kind="init", actor="person", description="create store",
                                  view_hash=save_view(self.blobs, View()), undo_next=None)
            return self.import_workspace()

    # --- plumbing --------------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        with self.lock.held():
            yield

    @contextlib.contextmanager
    def _txn(self) -> Iterator[None]:
        try:
            with immediate(self.db):
                yield
        except sqlite3.Error as err:
            self.blobs.forget()
            raise ReverieError(f"database error in {self.db_path}: {err}") from None
        except BaseException:
            self.blobs.forget()
            raise

    def _commit(self, kind: str, actor: str, description: str, view: View, data: dict[str, Any] | None = None,
                undo_next: str | None = "self", redo_stack: list[str] | None = None) -> Operation:
        if actor not in ACTORS:
            raise UsageError(f"unknown actor {actor!r} (expected one of {', '.join(ACTORS)})")
        return self.oplog.append(kind=kind, actor=actor, description=description,
                                 view_hash=save_view(self.blobs, view), data=data,
                                 undo_next=undo_next, redo_stack=redo_stack)

    def _load_view(self, op: Operation) -> View:
        try:
            return load_view(self.blobs, op.view_hash)
        except ReverieError:
            raise ReverieError(f"operation {op.id} was pruned by gc: its state is no longer restorable") from None

    def _arts(self, view: View) -> dict[str, Artifact]:
        return {aid: get_artifact(self.blobs, h) for aid, h in view.artifacts.items()}

    def _file_bytes(self, rec: dict[str, Any] | None) -> bytes | None:
        return self.blobs.get(rec["hash"]) if rec else None

    # --- reading ---------------------------------------------------------------

    def head(self) -> Operation:
        return self.oplog.head()

    def log(self, limit: int | None = None) -> list[Operation]:
        return self.oplog.log(limit)

    def get_op(self, ref: str) -> Operation:
        return self.oplog.resolve(ref)

    def view(self, op_id: str | None = None) -> View:
        op = self.oplog.head() if op_id is None else self.get_op(op_id)
        return self._load_view(op)

    def active_artifacts(self, op_id: str | None = None) -> list[Artifact]:
        return artifacts_of(self.blobs, self.view(op_id))

    def candidates(self) -> list[Candidate]:
        return cands.candidates_in(self.db, self.view().candidates)

    def current_candidate(self) -> Candidate | None:
        opened = cands.candidates_in(self.db, {k: v for k, v in self.view().candidates.items() if v == "open"})
        return opened[-1] if opened else None

    def _candidate(self, candidate_id: str | None, view: View) -> Candidate:
        if candidate_id is None:
            opened = cands.candidates_in(self.db, {k: v for k, v in view.candidates.items() if v == "open"})
            if not opened:
                raise NothingToDoError("no open candidate store: run `reverie dream` or `reverie propose`")
            return opened[-1]
        row = cands.get_candidate_row(self.db, candidate_id)
        return cands.candidate_of(self.db, row, view.candidates.get(row["id"], "undone"))

    def proposals(self, candidate_id: str | None = None) -> list[Proposal]:
        return self._list_proposals(candidate_id, cands.load_proposal_rows)

    def proposal_summaries(self, candidate_id: str | None = None) -> list[Proposal]:
        """Like `proposals` but without body, diff and evidence: cheap for long queues."""
        return self._list_proposals(candidate_id, cands.load_proposal_summaries)

    def _list_proposals(self, candidate_id: str | None, load: Any) -> list[Proposal]:
        view = self.view()
        try:
            cand = self._candidate(candidate_id, view)
        except NothingToDoError:
            if not view.candidates:
                return []
            newest = max(view.candidates)  # ids are time-ordered
            cand = cands.candidate_of(self.db, cands.get_candidate_row(self.db, newest), view.candidates[newest])
        return [cands.overlay(p, view.reviews.get(p.id)) for p in load(self.db, cand.id)]

    def proposal(self, pid: str) -> Proposal:
        p, _ = cands.find_proposal_row(self.db, pid)
        return cands.overlay(p, self.view().reviews.get(p.id))

    def status(self) -> dict[str, Any]:
        """A summary for `reverie status` and the console's status line."""
        head = self.head()
        view = self._load_view(head)
        cand = self.current_candidate()
        counts: dict[str, int] = {}
        if cand is not None:
            for p in self.proposal_summaries(cand.id):
                counts[p.status] = counts.get(p.status, 0) + 1
        undo_next, redo = self.oplog.nav(head.id)
        return {
            "workspace": str(self.workspace),
            "db": str(self.db_path),
            "head": head.id,
            "head_kind": head.kind,
            "head_description": head.description,
            "operations": self.oplog.count(),
            "candidate_store": cand.id if cand else None,
            "artifacts": len(view.artifacts),
            "artifacts_by_kind": _count_by(self.active_artifacts(), "kind"),
            "files": len(view.files),
            "proposals": counts,
            "can_undo": undo_next is not None and self.oplog.get(undo_next).parent is not None,
            "can_redo": bool(redo),
        }

    # --- proposals & candidates -------------------------------------------------

    def _proposal_artifact(self, p: Proposal, arts: dict[str, Artifact]) -> Artifact | None:
        if p.action == "retire":
            return None
        meta = {k: v for k, v in p.meta.items() if k not in ("replay", "source", "layout")}
        name = p.name or mat.slugify(p.title or p.body[:60])
        if len(p.replaces) == 1 and p.replaces[0] in arts:
            old = arts[p.replaces[0]]
            if old.kind == p.kind and old.scope == p.scope and old.meta.get("layout") == "file":
                meta["source"], meta["layout"] = old.meta["source"], "file"
                if old.meta.get("frontmatter"):
                    meta.setdefault("frontmatter", old.meta["frontmatter"])
        return Artifact(id=_artifact_id(p.id), kind=p.kind, scope=p.scope, name=name, body=p.body,
                        title=p.title, paths=list(p.paths), meta=meta, confidence=float(p.confidence),
                        provenance=list(p.evidence), origin=p.id or "proposal")

    def preview(self, proposal: Proposal) -> Preview:
        view = self.view()
        return self._preview(proposal, _Ctx(self.workspace, self._arts(view)), view)

    def _preview(self, p: Proposal, ctx: _Ctx, view: View) -> Preview:
        new = self._proposal_artifact(p, ctx.arts)
        removed = [ctx.arts[r] for r in p.replaces if r in ctx.arts]
        if new is not None:
            key = mat.targets_of(new, self.workspace)[0]
        elif removed:
            key = ctx.targets(removed[0])[0]
        else:
            return Preview(target="", before="", after="")
        try:
            path = safe_target(self.workspace, key)
            existing = read_bytes(path)
        except UnsafePathError:  # shown in the preview; apply refuses it with the same error
            path, existing = Path(key), None
        others = [a for a in ctx.arts.values() if a.id not in p.replaces and key in ctx.targets(a)]
        if new is not None:
            others.append(new)
        drop = {str(a.meta.get("command")) for a in removed if a.meta.get("layout") == "hook"}
        ftype = mat.file_type(key)
        after_b, _ = mat.render_file(key, others, existing if ftype != "whole" else None, drop)
        if ftype == "block":
            before = mat.block_region(existing.decode("utf-8", "replace")) if existing else None
            after = mat.block_region(after_b.decode("utf-8")) if after_b else None
            if any(a.meta.get("layout") == mat.DOCUMENT for a in removed):
                before = existing.decode("utf-8", "replace") if existing else ""
            return Preview(str(path), before or "", after or "", key)
        return Preview(str(path), existing.decode("utf-8", "replace") if existing else "",
                       after_b.decode("utf-8", "replace") if after_b else "", key)

    def validate_proposals(self, proposals: list[Proposal]) -> None:
        """Raise UsageError naming the first proposal that `open_candidate` would refuse."""
        arts = self._arts(self.view())
        for i, src in enumerate(proposals, 1):
            _validate(src, i, arts, set())

    def open_candidate(self, proposals: list[Proposal], engine: str = "heuristic", base_op: str | None = None,
                       sessions_read: int = 0, events_read: int = 0, stats: dict[str, Any] | None = None,
                       actor: str = "dream") -> Candidate:
        """Store a dream's proposals as a new open candidate (one `dream` operation).

        Never changes the active artifacts or the workspace files.
        """
        with self._writing():
            head = self.oplog.head()
            view = self._load_view(head)
            base = self.get_op(base_op).id if base_op else head.id
            arts = self._arts(view)
            ctx = _Ctx(self.workspace, arts)
            base_ids = set(self._load_view(self.oplog.get(base)).artifacts) if base != head.id else set()
            taken = {a.name for a in arts.values()}
            stored: list[Proposal] = []
            for i, src in enumerate(proposals, 1):
                p = _validate(src, i, arts, base_ids)
                p.id = random_id("p-")
                p.status = "pending"
                replaced = [arts[r] for r in p.replaces if r in arts]
                if len(replaced) == 1 and replaced[0].kind == p.kind and not p.name:
                    p.name = replaced[0].name
                else:
                    taken_now = taken - {a.name for a in replaced}
                    p.name = _unique(mat.slugify(p.name or p.title or p.body[:60]), taken_now)
                taken.add(p.name)
                prev = self._preview(p, ctx, view)
                p.target, p.before, p.after = prev.target, prev.before, prev.after
                p.original_body, p.original_scope, p.original_kind = p.body, p.scope, p.kind
                p.cleared_labels, p.reject_reason = [], ""
                stored.append(p)
            cand = Candidate(id=new_id("c-"), base_op=base, created_at=now_iso(), engine=engine, status="open",
                             sessions_read=int(sessions_read), events_read=int(events_read), stats=dict(stats or {}))
            with self._txn():
                cands.insert_candidate(self.db, cand)
                for p in stored:
                    p.candidate_id = cand.id
                cands.insert_proposals(self.db, cand.id, stored)
                new_view = view.copy()
                new_view.candidates[cand.id] = "open"
                self._commit("dream", actor, f"{engine}: {len(stored)} proposal(s) in {cand.id}", new_view,
                             {"candidate": cand.id, "proposals": [p.id for p in stored], "engine": engine})
            return cand

    def _review(self, kind: str, description: str, ids: list[str],
                change: Callable[[Proposal, dict[str, Any], View], dict[str, Any] | None],
                data: dict[str, Any] | None = None) -> Operation:
        if not ids:
            raise UsageError("no proposal ids given")
        with self._writing():
            head = self.oplog.head()
            view = self._load_view(head)
            new_view = view.copy()
            done = []
            for ref in ids:
                p, cid = cands.find_proposal_row(self.db, ref)
                if p.id in done:  # the same id twice (or an id and its prefix): once is enough
                    continue
                status = view.candidates.get(cid)
                if status is None:
                    raise UsageError(f"{p.id} belongs to candidate {cid}, which is not in the current history")
                if status != "open":
                    raise UsageError(f"{p.id} belongs to candidate {cid}, which is {status}")
                review = dict(new_view.reviews.get(p.id) or {})
                current = cands.overlay(p, review)
                if current.status == "applied":
                    raise UsageError(f"{p.id} is already applied")
                extra = change(current, review, new_view)
                new_view.reviews[p.id] = review
                done.append(p.id)
                if extra and data is not None:
                    data.setdefault("details", {})[p.id] = extra
            with self._txn():
                payload = dict(data or {})
                payload["proposals"] = done
                return self._commit(kind, "person", description.format(ids=", ".join(done)), new_view, payload)

    def approve(self, ids: list[str], clear_blocks: bool = False) -> Operation:
        def change(p: Proposal, review: dict[str, Any], view: View) -> dict[str, Any] | None:
            blocking = p.blocking_labels()
            extra = None
            if blocking:
                names = ", ".join(l.label for l in blocking)
                if not clear_blocks:
                    raise ReverieError(f"{p.id} has block label(s) {names}: review them, then approve with --clear-block")
                review["cleared"] = sorted(set(review.get("cleared") or []) | {l.label for l in blocking})
                extra = {"cleared": [l.label for l in blocking]}
            review["status"] = "approved"
            review["by"] = "person"
            review.pop("reason", None)
            return extra

        return self._review("approve", "approve {ids}", list(ids), change, {"clear_blocks": clear_blocks})

    def reject(self, ids: list[str], reason: str = "") -> Operation:
        def change(p: Proposal, review: dict[str, Any], view: View) -> None:
            review["status"] = "rejected"
            if reason:
                review["reason"] = reason
            else:
                review.pop("reason", None)

        return self._review("reject", "reject {ids}" + (f": {reason}" if reason else ""), list(ids), change, {"reason": reason})

    def _repreview(self, p: Proposal, review: dict[str, Any], view: View) -> None:
        q = cands.overlay(p, review)
        prev = self._preview(q, _Ctx(self.workspace, self._arts(view)), view)
        review["preview"] = {"target": prev.target, "before": prev.before, "after": prev.after}

    def edit(self, pid: str, body: str) -> Operation:
        if not body.strip():
            raise UsageError("the new body is empty")

        def change(p: Proposal, review: dict[str, Any], view: View) -> None:
            review["body"] = body
            self._repreview(p, review, view)

        return self._review("edit", "edit {ids}", [pid], change, {"body_hash": hashlib.sha256(body.encode()).hexdigest()})

    def rescope(self, pid: str, scope: str, paths: list[str] | None = None) -> Operation:
        if scope not in SCOPES:
            raise UsageError(f"unknown scope {scope!r} (expected one of {', '.join(SCOPES)})")

        def change(p: Proposal, review: dict[str, Any], view: View) -> None:
            review["scope"] = scope
            if paths is not None:
                review["paths"] = list(paths)
            elif scope != "path":
                review["paths"] = []
            self._repreview(p, review, view)

        return self._review("rescope", "scope {ids} → " + scope, [pid], change, {"scope": scope, "paths": paths})

    def rekind(self, pid: str, kind: str) -> Operation:
        if kind not in KINDS:
            raise UsageError(f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")

        def change(p: Proposal, review: dict[str, Any], view: View) -> None:
            review["kind"] = kind
            self._repreview(p, review, view)

        return self._review("rekind", "kind {ids} → " + kind, [pid], change, {"kind": kind})

    def discard(self, candidate_id: str | None = None) -> Operation:
        with self._writing():
            head = self.oplog.head()
            view = self._load_view(head)
            cand = self._candidate(candidate_id, view)
            if cand.status != "open":
                raise UsageError(f"candidate {cand.id} is {cand.status}, not open")
            new_view = view.copy()
            new_view.candidates[cand.id] = "discarded"
            with self._txn():
                return self._commit("discard", "person", f"discard {cand.id}", new_view, {"candidate": cand.id})

    # --- apply -------------------------------------------------------------------

    def plan_apply(self, candidate_id: str | None = None, force: bool = False) -> ApplyPlan:
        return self._plan_apply(candidate_id, force)[0]

    def _plan_apply(self, candidate_id: str | None, force: bool) -> tuple[ApplyPlan, dict[str, Any]]:
        head = self.oplog.head()
        view = self._load_view(head)
        cand = self._candidate(candidate_id, view)
        if cand.status != "open":
            raise UsageError(f"candidate {cand.id} is {cand.status}, not open")
        props = [cands.overlay(p, view.reviews.get(p.id)) for p in cands.load_proposal_rows(self.db, cand.id)]
        approved = [p for p in props if p.status == "approved"]
        if not approved:
            raise NothingToDoError(f"nothing approved to apply in {cand.id}")
        try:
            base_arts = self._load_view(self.oplog.get(cand.base_op)).artifacts
        except ReverieError:
            base_arts = view.artifacts
        arts = self._arts(view)
        ctx = _Ctx(self.workspace, arts)
        conflicts: list[dict[str, Any]] = []
        accepted: list[Proposal] = []
        for p in approved:
            reason = _proposal_conflict(p, view, base_arts, arts, cand.base_op)
            if reason is None and (p.kind == "hook" or any(l.severity == "block" for l in p.labels)) and \
                    (view.reviews.get(p.id) or {}).get("by") != "person":
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
                for rid in p.replaces:
                    if rid in new_arts:
                        removed.append(new_arts.pop(rid))
                a = self._proposal_artifact(p, arts)
                if a is not None:
                    new_arts[a.id] = a
                    added[p.id] = a
            # same whole-file target twice → the later proposal conflicts
            owners: dict[str, str] = {}
            clash: list[tuple[Proposal, str]] = []
            for a in new_arts.values():
                if a.meta.get("layout") in (mat.DOCUMENT, "hook", "entry"):
                    continue
                for k in ctx.targets(a) if a.id in arts else mat.targets_of(a, self.workspace):
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
            for p in accepted:
                keys = set()
                for rid in p.replaces:
                    if rid in arts:
                        keys.update(ctx.targets(arts[rid]))
                if p.id in added:
                    keys.update(mat.targets_of(added[p.id], self.workspace))
                for k in keys:
                    affected.setdefault(k, set()).add(p.id)
            drop = {str(a.meta.get("command")) for a in removed if a.meta.get("layout") == "hook"}
            changes, file_conflicts = self._plan_files(view, new_arts, set(affected), drop, force)
            if file_conflicts:
                bad = set()
                for key, reason in file_conflicts:
                    for pid in sorted(affected.get(key, ())):
                        conflicts.append({"proposal": pid, "reason": f"{key}: {reason}", "file": key})
                        bad.add(pid)
                accepted = [p for p in accepted if p.id not in bad]
                continue
            break
        plan = ApplyPlan(
            candidate_id=cand.id,
            proposals=[p.id for p in accepted],
            files=[{"path": str(c.path), "key": c.key, "action": c.action} for c in changes if c.action != "none"],
            conflicts=conflicts,
        )
        return plan, {"view": view, "new_arts": new_arts, "changes": changes, "accepted": accepted,
                      "props": props, "cand": cand}

    def _plan_files(self, view: View, new_arts: dict[str, Artifact], keys: set[str], drop: set[str],
                    force: bool) -> tuple[list[sync.FileChange], list[tuple[str, str]]]:
        by_key: dict[str, list[Artifact]] = {}
        for a in new_arts.values():
            for k in mat.targets_of(a, self.workspace):
                if k in keys:
                    by_key.setdefault(k, []).append(a)
        changes: list[sync.FileChange] = []
        conflicts: list[tuple[str, str]] = []
        for key in sorted(keys):
            path = safe_target(self.workspace, key)
            disk = read_bytes(path)
            rec = view.files.get(key)
            rec_b = self._file_bytes(rec)
            ftype = mat.file_type(key)
            broken = ftype == "block" and disk is not None and mat.has_broken_markers(disk.decode("utf-8", "replace"))
            if rec is not None:
                if disk == rec_b:
                    base = disk
                elif ftype != "whole" and disk is not None and not broken and \
                        mat.region_of(key, disk) == mat.region_of(key, rec_b) and mat.region_of(key, disk) != "<invalid json>":
                    base = disk
                elif force:
                    base = None if ftype == "whole" or broken else disk
                else:
                    conflicts.append((key, "deleted by hand since Reverie wrote it" if disk is None
                                      else "hand-edited inside Reverie's region since Reverie wrote it" if ftype != "whole"
                                      else "hand-edited since Reverie wrote it"))
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
            if new is not None and ftype != "whole" and mat.is_empty(key, new) and (created or disk is None):
                new = None
            if new is None:
                record = None
            else:
                record = {"hash": self.blobs.put(new), "created": created}
                if mode is not None:
                    record["mode"] = mode
            changes.append(sync.FileChange(key, path, disk, new, mode, record))
        return changes, conflicts

    def apply(self, candidate_id: str | None = None, force: bool = False) -> ApplyResult:
        """Merge the approved proposals into the active store (one op) and write files."""
        with self._writing():
            plan, st = self._plan_apply(candidate_id, force)
            accepted: list[Proposal] = st["accepted"]
            if not accepted:
                return ApplyResult(None, plan.candidate_id, [], plan.conflicts, [])
            view: View = st["view"]
            new_view = view.copy()
            new_view.artifacts = self._artifact_hashes(view, st["new_arts"])
            for c in st["changes"]:
                if c.record is None:
                    new_view.files.pop(c.key, None)
                else:
                    new_view.files[c.key] = c.record
            applied = {p.id for p in accepted}
            for pid in applied:
                review = dict(new_view.reviews.get(pid) or {})
                review["status"] = "applied"
                new_view.reviews[pid] = review
            remaining = [p for p in st["props"] if p.id not in applied and p.status not in ("rejected", "applied")]
            cand: Candidate = st["cand"]
            if not remaining:
                new_view.candidates[cand.id] = "applied"
            desc = f"apply {len(applied)} proposal(s) from {cand.id}"
            op = sync.execute(self, st["changes"], "apply", "person", desc, new_view,
                              {"candidate": cand.id, "proposals": sorted(applied), "conflicts": plan.conflicts,
                               "forced": force})
            return ApplyResult(op, cand.id, [p.id for p in accepted], plan.conflicts, plan.files)

    def _artifact_hashes(self, view: View, new_arts: dict[str, Artifact]) -> dict[str, str]:
        out = {}
        for aid, a in new_arts.items():
            out[aid] = view.artifacts[aid] if aid in view.artifacts else put_artifact(self.blobs, a)
        return out

    # --- undo / redo / restore ------------------------------------------------------

    def _move_to(self, target: View, kind: str, description: str, data: dict[str, Any], force: bool = False,
                 undo_next: str | None = "self", redo_stack: list[str] | None = None) -> Operation:
        current = self._load_view(self.oplog.head())
        changes, conflicts, result = sync.plan_sync(self.workspace, self.blobs, current, target, force)
        data = dict(data)
        if conflicts:
            data["conflicts"] = conflicts
        return sync.execute(self, changes, kind, "person", description, result, data, undo_next, redo_stack)

    def undo(self, force: bool = False) -> Operation:
        with self._writing():
            head = self.oplog.head()
            undo_next, redo = self.oplog.nav(head.id)
            if undo_next is None:
                raise NothingToDoError("nothing to undo")
            undone = self.oplog.get(undo_next)
            if undone.parent is None:
                raise NothingToDoError("nothing to undo: the store is at its first operation")
            parent = self.oplog.get(undone.parent)
            if self.oplog.is_pruned(parent.id):
                raise ReverieError(f"cannot undo {undone.id}: the state before it was pruned by gc")
            target = self._load_view(parent)
            parent_next, _ = self.oplog.nav(parent.id)
            return self._move_to(target, "undo", f"undo {undone.kind}: {undone.description}",
                                 {"undone": undone.id}, force, undo_next=parent_next, redo_stack=redo + [undone.id])

    def redo(self, force: bool = False) -> Operation:
        with self._writing():
            head = self.oplog.head()
            _, redo = self.oplog.nav(head.id)
            if not redo:
                raise NothingToDoError("nothing to redo")
            redone = self.oplog.get(redo[-1])
            target = self._load_view(redone)
            redone_next, _ = self.oplog.nav(redone.id)
            return self._move_to(target, "redo", f"redo {redone.kind}: {redone.description}",
                                 {"redone": redone.id}, force, undo_next=redone_next, redo_stack=redo[:-1])

    def restore(self, op_ref: str, force: bool = False) -> Operation:
        with self._writing():
            op = self.get_op(op_ref)
            if self.oplog.is_pruned(op.id):
                raise ReverieError(f"operation {op.id} was pruned by gc: its state is no longer restorable")
            target = self._load_view(op)
            return self._move_to(target, "restore", f"restore to {op.id} ({op.kind}: {op.description})",
                                 {"restored": op.id}, force)

    # --- import ------------------------------------------------------------------------

    def import_workspace(self, actor: str = "import") -> Operation:
        """Read the workspace's artifacts into the active store (no-op when unchanged)."""
        from store.importer import scan

        with self._writing():
            head = self.oplog.head()
            view = self._load_view(head)
            arts = self._arts(view)
            result = scan(self.workspace, view, arts, self.blobs)
            new_view = view.copy()
            keep = {aid: h for aid, h in view.artifacts.items()
                    if arts[aid].origin != "import" or aid in result.kept}
            with self._txn():
                for a in result.artifacts + result.adopted:
                    keep[a.id] = put_artifact(self.blobs, a)
                new_view.artifacts = keep
                for key, data in result.files.items():
                    old = view.files.get(key)
                    new_view.files[key] = {"hash": self.blobs.put(data), "created": bool(old and old.get("created"))}
                    if old and old.get("mode"):
                        new_view.files[key]["mode"] = old["mode"]
                for key in result.gone:
                    new_view.files.pop(key, None)
                if save_view(self.blobs, new_view) == head.view_hash:
                    return head
                return self._commit("import", actor,
                                    f"import {len(result.artifacts)} artifact(s) from {len(result.files)} file(s)",
                                    new_view, {"files": sorted(result.files), "skipped": result.skipped,
                                               "adopted": [a.id for a in result.adopted]})

    # --- gc & cache -----------------------------------------------------------------------

    def gc(self, older_than_days: float) -> dict[str, Any]:
        """Prune ops older than N days (never head) and delete blobs nothing live needs."""
        if older_than_days < 0:
            raise UsageError("--older-than must be zero or more days")
        cutoff = (datetime.now(timezone.utc) - timedelta(days=older_than_days)).isoformat(
            timespec="microseconds").replace("+00:00", "Z")
        with self._writing(), self._txn():
            head = self.oplog.head_id()
            cur = self.db.execute("UPDATE operations SET pruned = 1 WHERE pruned = 0 AND created_at < ? AND id != ?",
                                  [cutoff, head])
            pruned = cur.rowcount
            live: set[str] = set()
            for view_hash, data in self.db.execute("SELECT view_hash, data FROM operations WHERE pruned = 0").fetchall():
                live |= view_blob_refs(self.blobs, view_hash)
                for h in (orjson.loads(data).get("snapshots") or {}).values():
                    if h:
                        live.add(h)
            for (data,) in self.db.execute("SELECT data FROM journal").fetchall():
                for e in orjson.loads(data).get("files", []):
                    live.update(h for h in (e.get("pre"), e.get("post")) if h)
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS gc_live (hash TEXT PRIMARY KEY)")
            self.db.execute("DELETE FROM gc_live")
            self.db.conn.executemany("INSERT OR IGNORE INTO gc_live(hash) VALUES (?)", [(h,) for h in live])
            size = self.db.execute(
                "SELECT count(*), coalesce(sum(length(data)), 0) FROM blobs WHERE hash NOT IN (SELECT hash FROM gc_live)"
            ).fetchone()
            self.db.execute("DELETE FROM blobs WHERE hash NOT IN (SELECT hash FROM gc_live)")
            self.db.execute("DELETE FROM gc_live")
        self.blobs.forget()
        return {"pruned_operations": pruned, "deleted_blobs": size[0], "freed_bytes": size[1],
                "live_blobs": len(live)}

    def cache_get(self, namespace: str, key: str) -> Any:
        row = self.db.execute("SELECT value FROM cache WHERE namespace = ? AND key = ?", [namespace, key]).fetchone()
        return orjson.loads(row[0]) if row else None

    def cache_put(self, namespace: str, key: str, value: Any) -> None:
        with self._txn():
            self.db.execute(
                "INSERT OR REPLACE INTO cache(namespace, key, value, created_at) VALUES (?,?,?,?)",
                [namespace, key, orjson.dumps(value, default=str).decode(), now_iso()],
            )


# --- helpers -------------------------------------------------------------------------------

def _ensure_state_dir(ws: Path, db_path: Path) -> None:
    sd = state_dir(ws)
    try:
        sd.mkdir(exist_ok=True)
        gi = sd / ".gitignore"
        if not gi.exists():
            gi.write_text("*\n")
        cfg = sd / CONFIG_NAME
        if not cfg.exists():
            cfg.write_text(DEFAULT_CONFIG)
    except OSError as err:
        if db_path.parent == sd or not db_path.parent.exists():
            raise ReverieError(f"cannot create {sd}: {err.strerror or err}") from None


def _count_by(arts: list[Artifact], attr: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for a in arts:
        v = getattr(a, attr)
        out[v] = out.get(v, 0) + 1
    return out


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    i = 2
    while f"{name}-{i}" in taken:
        i += 1
    return f"{name}-{i}"


def _validate(src: Proposal, i: int, arts: dict[str, Artifact], base_ids: set[str]) -> Proposal:
    """A clean copy of an incoming proposal, or UsageError naming the problem."""
    p = Proposal.from_dict(src.to_dict() | {"meta": src.meta})
    where = f"proposal {i}" + (f" ({src.title!r})" if src.title else "")
    if p.action not in ACTIONS:
        raise UsageError(f"{where}: unknown action {p.action!r} (expected one of {', '.join(ACTIONS)})")
    if p.kind not in KINDS:
        raise UsageError(f"{where}: unknown kind {p.kind!r} (expected one of {', '.join(KINDS)})")
    if p.scope not in SCOPES:
        raise UsageError(f"{where}: unknown scope {p.scope!r} (expected one of {', '.join(SCOPES)})")
    if p.action != "retire" and not p.body.strip():
        raise UsageError(f"{where}: empty body")
    if p.action in ("retire",) and not p.replaces:
        raise UsageError(f"{where}: retire needs `replaces` (the artifact ids to retire)")
    for rid in p.replaces:
        if rid not in arts and rid not in base_ids:
            raise UsageError(f"{where}: replaces unknown artifact {rid}")
    if not 0.0 <= p.confidence <= 1.0:
        p.confidence = min(1.0, max(0.0, p.confidence))
    return p


def _proposal_conflict(p: Proposal, view: View, base_arts: dict[str, str], arts: dict[str, Artifact],
                       base_op: str) -> str | None:
    if p.blocking_labels():
        return "uncleared block label(s): " + ", ".join(l.label for l in p.blocking_labels())
    for rid in p.replaces:
        if rid not in view.artifacts:
            return f"replaced artifact {rid} is gone since {base_op}"
        if rid in base_arts and base_arts[rid] != view.artifacts[rid]:
            return f"replaced artifact {rid} changed since {base_op}"
        if arts[rid].meta.get("layout") == mat.DOCUMENT:
            return f"{rid} is the hand-written document {arts[rid].meta.get('source')}: edit it by hand"
    return None
