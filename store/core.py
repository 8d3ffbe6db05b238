"""The Store facade (contract documented in store/store.py).

Why one class: the dreamer, the CLI and the console all change the store the
same way — every change one operation in one `Transaction` (writer lock held,
files written through the journal) — so the rules live here once.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import sqlite3
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import sqlite_utils

from reverie.store import apply as applying
from reverie.store import candidates as cands
from reverie.store import journal, mirrors
from reverie.store import materialize as mat
from reverie.store import observed as obs
from reverie.store import proposals as prop  # not `proposals`: open_candidate's argument has that name
from reverie.store.apply import ApplyPlan, ApplyResult
from reverie.store.blobs import Blobs
from reverie.store.clock import SYSTEM_CLOCK, SYSTEM_IDS, Clock, Ids, iso
from reverie.store.db import BUSY_TIMEOUT_MS, WriterLock, is_read_only, open_db, open_read_only
from reverie.store.errors import NothingToDoError, ReverieError, UsageError
from reverie.store.models import KINDS, SCOPES, Actor, Artifact, Candidate, Label, Operation, Proposal
from reverie.store.oplog import OpLog
from reverie.store.paths import CONFIG_NAME, default_db_path, state_dir
from reverie.store.proposals import Preview
from reverie.store.sessions import SessionIndex
from reverie.store.sync import plan_sync
from reverie.store.transaction import Backend, Snapshot, Transaction
from reverie.store.viewlog import ViewLog
from reverie.store.views import View, artifacts_of, put_artifact, record_hash

log = logging.getLogger("reverie.store")

DEFAULT_CONFIG = """\
# Reverie settings for this workspace (TOML).
[dream]
engine = "heuristic"   # or "llm" (needs --model and a provider key)

[apply]
force = false          # never overwrite hand edits unless asked
"""


class Store:
    """One workspace's store: the only public entry; the modules beside it do the work.

    Every change is one `Transaction` (`store.transaction`); apply planning
    lives in `store.apply`, proposal rules (validate, name, preview) in
    `store.proposals`, the three-way file decision in `store.resolve`, file
    sync in `store.sync` and crash-safe writes in `store.journal`.
    """

    def __init__(
        self,
        workspace: Path,
        db_path: Path,
        db: sqlite_utils.Database,
        clock: Clock = SYSTEM_CLOCK,
        ids: Ids = SYSTEM_IDS,
    ) -> None:
        self.workspace = workspace
        self.db_path = db_path
        self.db = db
        self.blobs = Blobs(db)
        self.oplog = OpLog(db, clock, ids)
        self.lock = WriterLock(Path(str(db_path) + ".lock"))
        self.clock = clock
        self.ids = ids
        self.read_only = is_read_only(db)
        """Opened for reading only (a read-only file or directory): every change raises ReadOnlyStoreError."""
        self._backend = Backend(
            workspace,
            db_path,
            db,
            self.blobs,
            self.oplog,
            self.lock,
            clock,
            ids,
            ViewLog(self.oplog, self.blobs),
            read_only=self.read_only,
        )

    # --- opening ---------------------------------------------------------------

    @classmethod
    def open(
        cls,
        workspace: Path | str,
        db_path: Path | str | None = None,
        create: bool = False,
        *,
        clock: Clock = SYSTEM_CLOCK,
        ids: Ids = SYSTEM_IDS,
    ) -> Store:
        """Open the workspace's store (`create`: make `.reverie/` and the database if missing).

        `clock` and `ids` replace the wall clock and the random id generator
        (tests and demos that need stable ids and times).
        """
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
        store = cls(ws, path, db, clock, ids)
        if not create and store.oplog.head_id() is None:
            raise ReverieError(f"no Reverie store in {ws}: run `reverie init`")
        if not store.read_only:
            store.recover()
        elif journal.pending(db):
            log.warning("%s is read-only: an interrupted apply cannot be rolled back until it is writable", path)
        return store

    def reader(self) -> Store:
        """Another handle on this database for a worker thread's reads: its own connection.

        Why not `Store.open`: this handle's open already migrated the schema and
        recovered any journal, so the new connection skips both; under a busy UI
        thread each of those small statements waits for the GIL.
        """
        if self.read_only:
            return type(self)(self.workspace, self.db_path, open_read_only(self.db_path), self.clock, self.ids)
        try:
            conn = sqlite3.connect(
                str(self.db_path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        except sqlite3.Error as err:
            raise ReverieError(f"cannot open {self.db_path}: {err}") from None
        return type(self)(self.workspace, self.db_path, sqlite_utils.Database(conn), self.clock, self.ids)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.db.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check_writable(self) -> None:
        """Raise the one-line error every change gets on a store opened read-only."""
        self._backend.check_writable()

    def recover(self) -> None:
        """Roll back the files of a change that crashed before its operation committed (see store.journal)."""
        rows = journal.pending(self.db)
        if not rows:
            return
        if not self.lock.acquire(blocking=False):
            return  # another process is writing right now; its journal is live
        try:
            for row in rows:
                journal.roll_back(self.workspace, self.blobs, row)
                with self._backend.sql():
                    journal.close(self.db, row["id"])
        finally:
            self.lock.release()

    def init(self) -> Operation:
        """Create the root operation and import the workspace (idempotent)."""
        with self.lock.held():
            with self.transaction("init") as tx:
                if tx.head is not None:
                    return tx.head
                tx.commit("create store", undo_next=None)
            return self.import_workspace()

    # --- transactions ------------------------------------------------------------

    def transaction(self, kind: str, actor: Actor = "person") -> Transaction:
        """One operation of `kind` by `actor`: `with store.transaction(kind) as tx: …; tx.commit(description)`.

        See store.transaction: the writer lock is held for the with-block, the
        head is read at its start, and nothing is written unless `commit` runs.
        A store opened read-only refuses here, with one line.
        """
        self.check_writable()
        return Transaction(self._backend, kind, actor)

    def snapshot(self) -> Snapshot:
        """The store as of its head operation, for reading (no lock)."""
        return Snapshot(self._backend)

    # --- reading ---------------------------------------------------------------

    @functools.cached_property
    def sessions(self) -> SessionIndex:
        """The sessions index on this store's connection (written by ingest, read by the dreamer)."""
        return SessionIndex(self.db, clock=self.clock)

    def initialized(self) -> bool:
        """True once `init` created the first operation."""
        return self.oplog.head_id() is not None

    def head(self) -> Operation:
        return self.oplog.head()

    def log(self, limit: int | None = None) -> list[Operation]:
        return self.oplog.log(limit)

    def get_op(self, ref: str) -> Operation:
        return self.oplog.resolve(ref)

    def is_restorable(self, op_id: str) -> bool:
        """False when gc pruned the operation (its state can no longer be restored)."""
        return not self.oplog.is_pruned(op_id)

    def pruned_operations(self) -> set[str]:
        """Ids of the operations gc pruned (still in the log, no longer restorable)."""
        return self.oplog.pruned_ids()

    def view(self, op_id: str | None = None) -> View:
        if op_id is None:
            return self.snapshot().head_view
        return Snapshot(self._backend, read=False).load_view(self.get_op(op_id))  # the head is not needed

    def view_blobs(self, op_id: str) -> set[str]:
        """Every blob the view of operation `op_id` needs (its tree and the contents it names): gc keeps them."""
        return self._backend.views.refs(self.oplog.seq_of(self.get_op(op_id).id))

    def active_artifacts(self, op_id: str | None = None) -> list[Artifact]:
        return artifacts_of(self.blobs, self.view(op_id))

    def blob_text(self, h: str) -> str:
        """A stored blob as text (file snapshots, artifact bodies); NotFound-style ReverieError when gc pruned it."""
        return self.blobs.get(h).decode("utf-8", errors="replace")

    def recorded_files(self) -> dict[str, str]:
        """What the head view recorded for each workspace file: key → sha256 of its bytes.

        The watcher compares files on disk with this to tell Reverie's own
        writes from a person's edits. Files recorded as absent are left out.
        """
        out = {}
        for key, rec in self.view().files.items():
            h = record_hash(rec)
            if h is not None:
                out[key] = str(rec.get("disk") or h)  # a version kept redacted: the disk bytes' hash
        return out

    def candidates(self) -> list[Candidate]:
        return cands.candidates_in(self.db, self.view().candidates)

    def current_candidate(self) -> Candidate | None:
        """The newest open *dream* candidate (observed writes are reviewed beside it, see `observed`)."""
        return self.snapshot().newest_dream()

    def proposals(self, candidate_id: str | None = None) -> list[Proposal]:
        return self._list_proposals(candidate_id, cands.load_proposal_rows)

    def proposal_summaries(self, candidate_id: str | None = None) -> list[Proposal]:
        """Like `proposals` but without body, diff and evidence: cheap for long queues."""
        return self._list_proposals(candidate_id, cands.load_proposal_summaries)

    def _list_proposals(
        self, candidate_id: str | None, load: Callable[[sqlite_utils.Database, str], list[Proposal]]
    ) -> list[Proposal]:
        snap = self.snapshot()
        try:
            cand = snap.candidate(candidate_id)
        except NothingToDoError:
            dreams = [c for c in cands.candidates_in(self.db, snap.head_view.candidates) if c.source == "dream"]
            if not dreams:
                return []
            cand = dreams[-1]
        return snap.proposals(cand.id, load)

    def proposal(self, pid: str) -> Proposal:
        p, _ = cands.find_proposal_row(self.db, pid)
        return cands.overlay(p, self.view().reviews.get(p.id))

    def status(self) -> dict[str, Any]:
        """A summary for `reverie status` and the console's status line."""
        snap = self.snapshot()
        head = snap.head
        assert head is not None
        view = snap.head_view
        cand = snap.newest_dream()
        counts: dict[str, int] = {}
        if cand is not None:
            for p in snap.proposals(cand.id, cands.load_proposal_summaries):
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
            "artifacts_by_kind": _count_by(artifacts_of(self.blobs, view), "kind"),
            "files": sum(1 for rec in view.files.values() if record_hash(rec) is not None),
            "proposals": counts,
            "observed": obs.counts(snap),
            "can_undo": undo_next is not None and self.oplog.get(undo_next).parent is not None,
            "can_redo": bool(redo),
            "broken_markers": self.broken_markers(view),
        }

    def broken_markers(self, view: View | None = None) -> dict[str, str]:
        """Block files on disk whose managed-block markers are broken: file key → what is wrong."""
        from reverie.store.fsutil import read_bytes, safe_target

        view = self.view() if view is None else view
        out: dict[str, str] = {}
        for key in sorted(view.files):
            if mat.file_type(key) != "block":
                continue
            try:
                data = read_bytes(safe_target(self.workspace, key))
            except ReverieError:
                continue
            problem = mat.marker_problem(data.decode("utf-8", "replace")) if data is not None else None
            if problem:
                out[key] = problem
        return out

    # --- proposals & candidates -------------------------------------------------

    def preview(self, proposal: Proposal) -> Preview:
        """What `proposal` would change in its primary target, against the head view."""
        with mirrors.steady():
            return prop.preview(proposal, prop.PlanContext(self.workspace, self.snapshot().artifacts()))

    def validate_proposals(self, proposals: list[Proposal]) -> None:
        """Raise UsageError naming the first proposal that `open_candidate` would refuse."""
        arts = self.snapshot().artifacts()
        for i, src in enumerate(proposals, 1):
            prop.validate(src, i, arts, set())

    def open_candidate(
        self,
        proposals: list[Proposal],
        engine: str = "heuristic",
        base_op: str | None = None,
        sessions_read: int = 0,
        events_read: int = 0,
        stats: dict[str, Any] | None = None,
        actor: Actor = "dream",
        dreamed_sessions: Iterable[str] = (),
    ) -> Candidate:
        """Store a dream's proposals as a new open candidate (one `dream` operation).

        `dreamed_sessions` are marked dreamed over in the same transaction, so a
        crash never leaves sessions marked without their candidate (or the
        reverse). Never changes the active artifacts or the workspace files.
        """
        with self.transaction("dream", actor) as tx:
            head = tx.head
            assert head is not None
            base = self.get_op(base_op).id if base_op else head.id
            arts = tx.artifacts()
            ctx = prop.PlanContext(self.workspace, arts)
            base_ids = set(tx.load_view(tx.op(base)).artifacts) if base != head.id else set()
            taken = {a.name for a in arts.values()}
            stored: list[Proposal] = []
            for i, src in enumerate(proposals, 1):
                p = prop.validate(src, i, arts, base_ids)
                p.id = tx.random_id("p-")
                p.status = "pending"
                replaced = [arts[r] for r in p.replaces if r in arts]
                if len(replaced) == 1 and replaced[0].kind == p.kind and not p.name:
                    p.name = replaced[0].name
                else:
                    gone = {a.name for a in replaced}
                    taken_now = taken - gone if gone else taken  # no copy per proposal: 10,000 made it quadratic
                    p.name = prop.unique(mat.slugify(p.name or p.title or p.body[:60]), taken_now)
                taken.add(p.name)
                prev = prop.preview(p, ctx)
                p.target, p.before, p.after = prev.target, prev.before, prev.after
                p.original_body, p.original_scope, p.original_kind = p.body, p.scope, p.kind
                p.cleared_labels, p.reject_reason = [], ""
                stored.append(p)
            cand = Candidate(
                id=tx.new_id("c-"),
                base_op=base,
                created_at=tx.now(),
                engine=engine,
                status="open",
                sessions_read=int(sessions_read),
                events_read=int(events_read),
                stats=dict(stats or {}),
            )
            for p in stored:
                p.candidate_id = cand.id
            tx.add_candidate(cand, stored)
            tx.mark_dreamed(dreamed_sessions)
            tx.view.candidates[cand.id] = "open"
            tx.commit(
                f"{engine}: {len(stored)} proposal(s) in {cand.id}",
                data={"candidate": cand.id, "proposals": [p.id for p in stored], "engine": engine},
            )
            return cand

    def _review(
        self,
        kind: str,
        description: str,
        ids: list[str],
        change: Callable[[Proposal, dict[str, Any], Snapshot], dict[str, Any] | None],
        data: dict[str, Any] | None = None,
    ) -> Operation:
        """One review operation over `ids`: `change` edits each proposal's review state in place
        (it reads the store through the operation's transaction: the head's artifacts are read once)."""
        if not ids:
            raise UsageError("no proposal ids given")
        with self.transaction(kind) as tx:
            view = tx.head_view
            done: list[str] = []
            for ref in ids:
                p, cid = tx.find_proposal(ref)
                if p.id in done:  # the same id twice (or an id and its prefix): once is enough
                    continue
                status = view.candidates.get(cid)
                if status is None:
                    raise UsageError(f"{p.id} belongs to candidate {cid}, which is not in the current history")
                if status != "open":
                    raise UsageError(f"{p.id} belongs to candidate {cid}, which is {status}")
                if obs.is_observed(p):
                    raise UsageError(f"{p.id} is an observed write: keep it (approve) or revert it (reject)")
                review = dict(tx.view.reviews.get(p.id) or {})
                current = cands.overlay(p, review)
                if current.status == "applied":
                    raise UsageError(f"{p.id} is already applied")
                extra = change(current, review, tx)
                tx.view.reviews[p.id] = review
                done.append(p.id)
                if extra and data is not None:
                    data.setdefault("details", {})[p.id] = extra
            payload = dict(data or {})
            payload["proposals"] = done
            return tx.commit(description.format(ids=", ".join(done)), data=payload)

    def approve(self, ids: list[str], clear_blocks: bool = False) -> Operation:
        """Approve dream proposals; for observed writes (or their group ids) approve means keep."""
        observed, ids = obs.split_refs(self.snapshot(), list(ids))
        op = self.keep(observed, clear_blocks) if observed else None
        if not ids and op is not None:
            return op
        return self._approve(ids, clear_blocks)

    def _approve(self, ids: list[str], clear_blocks: bool) -> Operation:
        def change(p: Proposal, review: dict[str, Any], tx: Snapshot) -> dict[str, Any] | None:
            blocking = p.blocking_labels()
            extra = None
            if blocking:
                names = ", ".join(l.label for l in blocking)
                if not clear_blocks:
                    raise ReverieError(
                        f"{p.id} has block label(s) {names}: review them, then approve with --clear-block"
                    )
                review["cleared"] = sorted(set(review.get("cleared") or []) | {l.label for l in blocking})
                extra = {"cleared": [l.label for l in blocking]}
            review["status"] = "approved"
            review["by"] = "person"
            review.pop("reason", None)
            return extra

        return self._review("approve", "approve {ids}", list(ids), change, {"clear_blocks": clear_blocks})

    def reject(self, ids: list[str], reason: str = "") -> Operation:
        """Reject dream proposals; for observed writes (or their group ids) reject means revert the file."""
        observed, ids = obs.split_refs(self.snapshot(), list(ids))
        op = self.revert(observed, reason) if observed else None
        if not ids and op is not None:
            return op
        return self._reject(ids, reason)

    def _reject(self, ids: list[str], reason: str) -> Operation:
        def change(p: Proposal, review: dict[str, Any], tx: Snapshot) -> None:
            review["status"] = "rejected"
            if reason:
                review["reason"] = reason
            else:
                review.pop("reason", None)

        return self._review(
            "reject", "reject {ids}" + (f": {reason}" if reason else ""), list(ids), change, {"reason": reason}
        )

    def _repreview(self, p: Proposal, review: dict[str, Any], snap: Snapshot) -> None:
        q = cands.overlay(p, review)
        prev = prop.preview(q, prop.PlanContext(self.workspace, snap.artifacts()))
        review["preview"] = {"target": prev.target, "before": prev.before, "after": prev.after}

    @staticmethod
    def _content_changed(review: dict[str, Any], labels: list[Label], meta: dict[str, Any] | None) -> None:
        """A change of what a proposal says: its recomputed labels replace the old ones, an approval
        (and any cleared block) no longer holds, so it goes back to pending."""
        review["labels"] = [l.to_dict() for l in labels]
        if meta is not None:
            review["meta"] = dict(meta)
        if review.get("status") == "approved":
            review["status"] = "pending"
        review.pop("cleared", None)

    def edit(self, pid: str, body: str, *, labels: list[Label], meta: dict[str, Any] | None = None) -> Operation:
        """Replace a proposal's body. `labels` are the critics' verdict on the edited proposal
        (`reverie.dreamer.review.edit` computes them): required, so no caller records an unchecked change."""
        if not body.strip():
            raise UsageError("the new body is empty")

        def change(p: Proposal, review: dict[str, Any], tx: Snapshot) -> None:
            if p.edits:  # a person's file changes only through line edits: the rewrite becomes edits
                ctx = prop.PlanContext(self.workspace, tx.artifacts())
                review["edits"] = [e.to_dict() for e in prop.person_edits(p, body, ctx)]
            review["body"] = body
            self._content_changed(review, labels, meta)
            self._repreview(p, review, tx)

        return self._review(
            "edit", "edit {ids}", [pid], change, {"body_hash": hashlib.sha256(body.encode()).hexdigest()}
        )

    def rescope(self, pid: str, scope: str, paths: list[str] | None = None, *, labels: list[Label]) -> Operation:
        """Change a proposal's scope; `labels` as for `edit`."""
        if scope not in SCOPES:
            raise UsageError(f"unknown scope {scope!r} (expected one of {', '.join(SCOPES)})")

        def change(p: Proposal, review: dict[str, Any], tx: Snapshot) -> None:
            if p.edits:
                raise UsageError(f"{p.id} edits lines of a hand-written file; it keeps that file's scope")
            review["scope"] = scope
            if paths is not None:
                review["paths"] = list(paths)
            elif scope != "path":
                review["paths"] = []
            self._content_changed(review, labels, None)
            self._repreview(p, review, tx)

        return self._review("rescope", "scope {ids} → " + scope, [pid], change, {"scope": scope, "paths": paths})

    def rekind(
        self,
        pid: str,
        kind: str,
        *,
        labels: list[Label],
        body: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Operation:
        """Change a proposal's kind (with the body and meta that kind needs: a hook's script); `labels` as for `edit`."""
        if kind not in KINDS:
            raise UsageError(f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")

        def change(p: Proposal, review: dict[str, Any], tx: Snapshot) -> None:
            if p.edits:
                raise UsageError(f"{p.id} edits lines of a hand-written file; it keeps that file's kind")
            review["kind"] = kind
            if body is not None:
                review["body"] = body
            self._content_changed(review, labels, meta)
            self._repreview(p, review, tx)

        return self._review("rekind", "kind {ids} → " + kind, [pid], change, {"kind": kind})

    def discard(self, candidate_id: str | None = None) -> Operation:
        with self.transaction("discard") as tx:
            cand = tx.candidate(candidate_id)
            if cand.source == "observed":
                raise UsageError(f"{cand.id} holds observed writes: keep (approve) or revert (reject) them")
            if cand.status != "open":
                raise UsageError(f"candidate {cand.id} is {cand.status}, not open")
            tx.view.candidates[cand.id] = "discarded"
            return tx.commit(f"discard {cand.id}", data={"candidate": cand.id})

    # --- observed writes -----------------------------------------------------------

    def observed_baseline(self) -> obs.Baseline:
        """Per watched key, the bytes last seen and last reviewed (what the dreamer compares the disk with)."""
        return obs.baseline(self.snapshot())

    def record_observation(
        self, observations: list[obs.Observation], noticed_by: str = "watcher", stats: dict[str, Any] | None = None
    ) -> tuple[Operation | None, Candidate | None]:
        """Record agent/person writes as one ``observe`` operation and an observed candidate (see store.observed)."""
        with self.transaction("observe", "watcher") as tx:
            return obs.record(tx, observations, noticed_by=noticed_by, stats=stats)

    def observed_proposals(self, summaries: bool = False) -> list[Proposal]:
        """Observed writes of every open observed group, review state merged in."""
        return obs.proposals(self.snapshot(), summaries=summaries)

    def keep(self, ids: list[str], clear_blocks: bool = False) -> Operation:
        """Keep observed writes: adopt them into the active store (ids may be observed group ids)."""
        observed, other = obs.split_refs(self.snapshot(), list(ids))
        if other:
            raise UsageError(f"{other[0]} is not an observed write")
        with self.transaction("keep") as tx:
            return obs.keep(tx, observed, clear_blocks)

    def revert(self, ids: list[str], reason: str = "") -> Operation:
        """Revert observed writes to the last reviewed bytes (ids may be observed group ids)."""
        observed, other = obs.split_refs(self.snapshot(), list(ids))
        if other:
            raise UsageError(f"{other[0]} is not an observed write")
        with self.transaction("revert") as tx:
            return obs.revert(tx, observed, reason)

    # --- apply -------------------------------------------------------------------

    def plan_apply(self, candidate_id: str | None = None, force: bool = False) -> ApplyPlan:
        """What `apply` would do now (a dry run: nothing is written)."""
        return applying.plan_apply(self.snapshot(), candidate_id, force)[0]

    def apply(self, candidate_id: str | None = None, force: bool = False) -> ApplyResult:
        """Merge the approved proposals into the active store (one op) and write files."""
        with self.transaction("apply") as tx:
            return applying.apply(tx, candidate_id, force)

    # --- undo / redo / restore ------------------------------------------------------

    def _move_to(
        self,
        tx: Transaction,
        target: View,
        description: str,
        data: dict[str, Any],
        force: bool,
        exact: list[str] | None = None,
        carry: bool = True,
        **nav: Any,
    ) -> Operation:
        """Make `target` the view (files synced, hand edits kept or reported) as one operation.

        `carry`: writes observed since the last other operation stay (see
        store.observed.carry); `exact`: keys restored byte for byte.
        """
        carried: list[str] = []
        if carry:
            target, carried = obs.carry(tx, target)
        plan = plan_sync(self.workspace, tx.blobs, tx.head_view, target, force, set(exact or ()) - set(carried))
        data = dict(data)
        if plan.conflicts:
            data["conflicts"] = plan.conflicts
        if carried:
            data["kept_observed"] = carried
        tx.view = plan.view
        tx.write_files(plan.changes)
        return tx.commit(description, data=data, **nav)

    def undo(self, force: bool = False) -> Operation:
        with self.transaction("undo") as tx:
            assert tx.head is not None
            undo_next, redo = self.oplog.nav(tx.head.id)
            if undo_next is None:
                raise NothingToDoError("nothing to undo")
            undone = self.oplog.get(undo_next)
            if undone.parent is None:
                raise NothingToDoError("nothing to undo: the store is at its first operation")
            parent = self.oplog.get(undone.parent)
            if self.oplog.is_pruned(parent.id):
                raise ReverieError(f"cannot undo {undone.id}: the state before it was pruned by gc")
            parent_next, _ = self.oplog.nav(parent.id)
            return self._move_to(
                tx,
                tx.load_view(parent),
                f"undo {undone.kind}: {undone.description}",
                {"undone": undone.id},
                force,
                exact=obs.exact_keys(undone),
                undo_next=parent_next,
                redo_stack=[*redo, undone.id],
            )

    def redo(self, force: bool = False) -> Operation:
        with self.transaction("redo") as tx:
            assert tx.head is not None
            _, redo = self.oplog.nav(tx.head.id)
            if not redo:
                raise NothingToDoError("nothing to redo")
            redone = self.oplog.get(redo[-1])
            if self.oplog.is_pruned(redone.id):
                raise ReverieError(f"cannot redo {redone.id}: its state was pruned by gc")
            redone_next, _ = self.oplog.nav(redone.id)
            return self._move_to(
                tx,
                tx.load_view(redone),
                f"redo {redone.kind}: {redone.description}",
                {"redone": redone.id},
                force,
                exact=obs.exact_keys(redone),
                undo_next=redone_next,
                redo_stack=redo[:-1],
            )

    def restore(self, op_ref: str, force: bool = False) -> Operation:
        with self.transaction("restore") as tx:
            op = tx.op(op_ref)
            if self.oplog.is_pruned(op.id):
                raise ReverieError(f"operation {op.id} was pruned by gc: its state is no longer restorable")
            target = tx.load_view(op)
            watched = [k for k in target.files if _versioned(k)]  # absent there: only files Reverie saw added go
            return self._move_to(
                tx,
                target,
                f"restore to {op.id} ({op.kind}: {op.description})",
                {"restored": op.id},
                force,
                exact=watched,
                carry=False,
            )

    # --- import ------------------------------------------------------------------------

    def import_workspace(self, actor: Actor = "import") -> Operation:
        """Read the workspace's artifacts into the active store (no-op when unchanged)."""
        from reverie.store.importer import scan

        with self.transaction("import", actor) as tx:
            head = tx.head
            assert head is not None
            view = tx.head_view
            arts = tx.artifacts()
            result = scan(self.workspace, view, arts, self.blobs)
            keep = {aid: h for aid, h in view.artifacts.items() if arts[aid].origin != "import" or aid in result.kept}
            for a in result.artifacts + result.adopted:
                keep[a.id] = put_artifact(tx.blobs, a, view.artifacts.get(a.id))  # a delta against its last version
            new_view = tx.view
            new_view.artifacts = keep
            for key, data in result.files.items():
                old = view.files.get(key)
                new_view.files[key] = {
                    "hash": tx.blobs.put(data, record_hash(old)),
                    "created": bool(old and old.get("created")),
                }
                for extra in ("mode", "edited_from"):
                    if old and old.get(extra):
                        new_view.files[key][extra] = old[extra]
            for key in result.gone:
                new_view.files.pop(key, None)
            if tx.unchanged():
                return head
            return tx.commit(
                f"import {len(result.artifacts)} artifact(s) from {len(result.files)} file(s)",
                data={
                    "files": sorted(result.files),
                    "skipped": result.skipped,
                    "adopted": [a.id for a in result.adopted],
                },
            )

    # --- gc & cache -----------------------------------------------------------------------

    def gc(self, older_than_days: float) -> dict[str, Any]:
        """Prune ops older than N days (never head) and delete blobs nothing live needs."""
        if older_than_days < 0:
            raise UsageError("--older-than must be zero or more days")
        cutoff = iso(self.clock.now() - timedelta(days=older_than_days))
        with self.lock.held(), self._backend.sql():
            pruned = self.oplog.prune_before(cutoff, self.oplog.head_id())
            live = self._backend.views.live_refs(self.oplog.live_seqs()) | self.oplog.snapshot_refs()
            for (data,) in self.db.execute("SELECT data FROM journal").fetchall():
                for e in orjson.loads(data).get("files", []):
                    live.update(h for h in (e.get("pre"), e.get("post")) if h)
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS gc_live (hash BLOB PRIMARY KEY)")
            self.db.execute("DELETE FROM gc_live")
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO gc_live(hash) VALUES (?)", [(bytes.fromhex(h),) for h in live]
            )
            rebased = [  # live deltas whose base goes: stored whole first
                bytes(r[0]).hex()
                for r in self.db.execute(
                    "SELECT b.hash FROM blobs b JOIN blobs p ON p.id = b.base"
                    " WHERE b.hash IN (SELECT hash FROM gc_live) AND p.hash NOT IN (SELECT hash FROM gc_live)"
                ).fetchall()
            ]
            self.blobs.make_whole(rebased)
            size = self.db.execute(
                "SELECT count(*), coalesce(sum(length(data)), 0) FROM blobs WHERE hash NOT IN (SELECT hash FROM gc_live)"
            ).fetchone()
            self.db.execute("DELETE FROM blobs WHERE hash NOT IN (SELECT hash FROM gc_live)")
            self.db.execute("DELETE FROM gc_live")
        self._backend.forget()
        return {"pruned_operations": pruned, "deleted_blobs": size[0], "freed_bytes": size[1], "live_blobs": len(live)}

    def cache_get(self, namespace: str, key: str) -> Any:
        row = self.db.execute("SELECT value FROM cache WHERE namespace = ? AND key = ?", [namespace, key]).fetchone()
        return orjson.loads(row[0]) if row else None

    def cache_put(self, namespace: str, key: str, value: Any) -> None:
        with self._backend.sql():
            self.db.execute(
                "INSERT OR REPLACE INTO cache(namespace, key, value, created_at) VALUES (?,?,?,?)",
                [namespace, key, orjson.dumps(value, default=str).decode(), self._backend.now()],
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


def _versioned(key: str) -> bool:
    """Files whose whole text Reverie versions (restore brings them back byte for byte).

    The agent's own memory (auto memory, Codex memories, ``~/.gemini/GEMINI.md``):
    their text outside Reverie's block is the agent's, and every version of it
    was observed. Project instruction files keep today's hand-written text on a
    restore, as they always did.
    """
    return key.startswith(("~/.claude/projects/", "~/.codex/", "~/.gemini/"))
