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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from reverie.store import apply as applying
from reverie.store import candidates as cands
from reverie.store import materialize as mat
from reverie.store import observed as obs
from reverie.store import proposals as prop  # not `proposals`: open_candidate's argument has that name
from reverie.store import sync
from reverie.store.apply import ApplyPlan, ApplyResult  # re-exported: callers import them from store.core
from reverie.store.blobs import Blobs
from reverie.store.db import WriterLock, immediate, open_db
from reverie.store.errors import NothingToDoError, ReverieError, UsageError
from reverie.store.models import ACTORS, KINDS, SCOPES, Artifact, Candidate, Operation, Proposal
from reverie.store.oplog import OpLog, new_id, now_iso, random_id  # looked up here so tests can patch store.core.*
from reverie.store.paths import CONFIG_NAME, default_db_path, state_dir
from reverie.store.proposals import Preview  # re-exported, as above
from reverie.store.views import View, artifacts_of, get_artifact, load_view, put_artifact, save_view, view_blob_refs

DEFAULT_CONFIG = """\
# Reverie settings for this workspace (TOML).
[dream]
engine = "heuristic"   # or "llm" (needs --model and a provider key)

[apply]
force = false          # never overwrite hand edits unless asked
"""


class Store:
    """One workspace's store: the only public entry; the modules beside it do the work.

    Apply planning lives in `store.apply`, proposal rules (validate, name,
    preview) in `store.proposals`, journaled file writes in `store.sync`.
    """

    def __init__(self, workspace: Path, db_path: Path, db: Any) -> None:
        self.workspace = workspace
        self.db_path = db_path
        self.db = db
        self.blobs = Blobs(db)
        self.oplog = OpLog(db)
        self.lock = WriterLock(Path(str(db_path) + ".lock"))

    # --- opening ---------------------------------------------------------------

    @classmethod
    def open(cls, workspace: Path | str, db_path: Path | str | None = None, create: bool = False) -> Store:
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

    def reader(self) -> Store:
        """Another handle on this database for a worker thread's reads: its own connection.

        Why not `Store.open`: this handle's open already migrated the schema and
        recovered any journal, so the new connection skips both; under a busy UI
        thread each of those small statements waits for the GIL.
        """
        import sqlite_utils

        from reverie.store.db import BUSY_TIMEOUT_MS

        try:
            conn = sqlite3.connect(
                str(self.db_path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        except sqlite3.Error as err:
            raise ReverieError(f"cannot open {self.db_path}: {err}") from None
        return type(self)(self.workspace, self.db_path, sqlite_utils.Database(conn))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.db.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def init(self) -> Operation:
        """Create the root operation and import the workspace (idempotent)."""
        with self._writing():
            if self.oplog.head_id() is not None:
                return self.oplog.head()
            with self._txn():
                self.oplog.append(
                    kind="init",
                    actor="person",
                    description="create store",
                    view_hash=save_view(self.blobs, View()),
                    undo_next=None,
                )
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

    def _commit(
        self,
        kind: str,
        actor: str,
        description: str,
        view: View,
        data: dict[str, Any] | None = None,
        undo_next: str | None = "self",
        redo_stack: list[str] | None = None,
    ) -> Operation:
        if actor not in ACTORS:
            raise UsageError(f"unknown actor {actor!r} (expected one of {', '.join(ACTORS)})")
        return self.oplog.append(
            kind=kind,
            actor=actor,
            description=description,
            view_hash=save_view(self.blobs, view),
            data=data,
            undo_next=undo_next,
            redo_stack=redo_stack,
        )

    def _load_view(self, op: Operation) -> View:
        try:
            return load_view(self.blobs, op.view_hash)
        except ReverieError:
            raise ReverieError(f"operation {op.id} was pruned by gc: its state is no longer restorable") from None

    def _arts(self, view: View) -> dict[str, Artifact]:
        return {aid: get_artifact(self.blobs, h) for aid, h in view.artifacts.items()}

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
        """The newest open *dream* candidate (observed writes are reviewed beside it, see `observed`)."""
        opened = self._open_dreams(self.view())
        return opened[-1] if opened else None

    def _open_dreams(self, view: View) -> list[Candidate]:
        opened = cands.candidates_in(self.db, {k: v for k, v in view.candidates.items() if v == "open"})
        return [c for c in opened if c.source == "dream"]

    def _candidate(self, candidate_id: str | None, view: View) -> Candidate:
        if candidate_id is None:
            opened = self._open_dreams(view)
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
            dreams = [c for c in cands.candidates_in(self.db, view.candidates) if c.source == "dream"]
            if not dreams:
                return []
            cand = dreams[-1]
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
            "observed": obs.counts(self),
            "can_undo": undo_next is not None and self.oplog.get(undo_next).parent is not None,
            "can_redo": bool(redo),
        }

    # --- proposals & candidates -------------------------------------------------

    def preview(self, proposal: Proposal) -> Preview:
        """What `proposal` would change in its primary target, against the head view."""
        view = self.view()
        return prop.preview(proposal, prop.PlanContext(self.workspace, self._arts(view)))

    def validate_proposals(self, proposals: list[Proposal]) -> None:
        """Raise UsageError naming the first proposal that `open_candidate` would refuse."""
        arts = self._arts(self.view())
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
        actor: str = "dream",
    ) -> Candidate:
        """Store a dream's proposals as a new open candidate (one `dream` operation).

        Never changes the active artifacts or the workspace files.
        """
        with self._writing():
            head = self.oplog.head()
            view = self._load_view(head)
            base = self.get_op(base_op).id if base_op else head.id
            arts = self._arts(view)
            ctx = prop.PlanContext(self.workspace, arts)
            base_ids = set(self._load_view(self.oplog.get(base)).artifacts) if base != head.id else set()
            taken = {a.name for a in arts.values()}
            stored: list[Proposal] = []
            for i, src in enumerate(proposals, 1):
                p = prop.validate(src, i, arts, base_ids)
                p.id = random_id("p-")
                p.status = "pending"
                replaced = [arts[r] for r in p.replaces if r in arts]
                if len(replaced) == 1 and replaced[0].kind == p.kind and not p.name:
                    p.name = replaced[0].name
                else:
                    taken_now = taken - {a.name for a in replaced}
                    p.name = prop.unique(mat.slugify(p.name or p.title or p.body[:60]), taken_now)
                taken.add(p.name)
                prev = prop.preview(p, ctx)
                p.target, p.before, p.after = prev.target, prev.before, prev.after
                p.original_body, p.original_scope, p.original_kind = p.body, p.scope, p.kind
                p.cleared_labels, p.reject_reason = [], ""
                stored.append(p)
            cand = Candidate(
                id=new_id("c-"),
                base_op=base,
                created_at=now_iso(),
                engine=engine,
                status="open",
                sessions_read=int(sessions_read),
                events_read=int(events_read),
                stats=dict(stats or {}),
            )
            with self._txn():
                cands.insert_candidate(self.db, cand)
                for p in stored:
                    p.candidate_id = cand.id
                cands.insert_proposals(self.db, cand.id, stored)
                new_view = view.copy()
                new_view.candidates[cand.id] = "open"
                self._commit(
                    "dream",
                    actor,
                    f"{engine}: {len(stored)} proposal(s) in {cand.id}",
                    new_view,
                    {"candidate": cand.id, "proposals": [p.id for p in stored], "engine": engine},
                )
            return cand

    def _review(
        self,
        kind: str,
        description: str,
        ids: list[str],
        change: Callable[[Proposal, dict[str, Any], View], dict[str, Any] | None],
        data: dict[str, Any] | None = None,
    ) -> Operation:
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
                if obs.is_observed(p):
                    raise UsageError(f"{p.id} is an observed write: keep it (approve) or revert it (reject)")
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
        """Approve dream proposals; for observed writes (or their group ids) approve means keep."""
        observed, ids = obs.split_refs(self, list(ids))
        op = self.keep(observed, clear_blocks) if observed else None
        if not ids and op is not None:
            return op
        return self._approve(ids, clear_blocks)

    def _approve(self, ids: list[str], clear_blocks: bool) -> Operation:
        def change(p: Proposal, review: dict[str, Any], view: View) -> dict[str, Any] | None:
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
        observed, ids = obs.split_refs(self, list(ids))
        op = self.revert(observed, reason) if observed else None
        if not ids and op is not None:
            return op
        return self._reject(ids, reason)

    def _reject(self, ids: list[str], reason: str) -> Operation:
        def change(p: Proposal, review: dict[str, Any], view: View) -> None:
            review["status"] = "rejected"
            if reason:
                review["reason"] = reason
            else:
                review.pop("reason", None)

        return self._review(
            "reject", "reject {ids}" + (f": {reason}" if reason else ""), list(ids), change, {"reason": reason}
        )

    def _repreview(self, p: Proposal, review: dict[str, Any], view: View) -> None:
        q = cands.overlay(p, review)
        prev = prop.preview(q, prop.PlanContext(self.workspace, self._arts(view)))
        review["preview"] = {"target": prev.target, "before": prev.before, "after": prev.after}

    def edit(self, pid: str, body: str) -> Operation:
        if not body.strip():
            raise UsageError("the new body is empty")

        def change(p: Proposal, review: dict[str, Any], view: View) -> None:
            if p.edits:  # a person's file changes only through line edits: the rewrite becomes edits
                ctx = prop.PlanContext(self.workspace, self._arts(view))
                review["edits"] = [e.to_dict() for e in prop.person_edits(p, body, ctx)]
            review["body"] = body
            self._repreview(p, review, view)

        return self._review(
            "edit", "edit {ids}", [pid], change, {"body_hash": hashlib.sha256(body.encode()).hexdigest()}
        )

    def rescope(self, pid: str, scope: str, paths: list[str] | None = None) -> Operation:
        if scope not in SCOPES:
            raise UsageError(f"unknown scope {scope!r} (expected one of {', '.join(SCOPES)})")

        def change(p: Proposal, review: dict[str, Any], view: View) -> None:
            if p.edits:
                raise UsageError(f"{p.id} edits lines of a hand-written file; it keeps that file's scope")
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
            if p.edits:
                raise UsageError(f"{p.id} edits lines of a hand-written file; it keeps that file's kind")
            review["kind"] = kind
            self._repreview(p, review, view)

        return self._review("rekind", "kind {ids} → " + kind, [pid], change, {"kind": kind})

    def discard(self, candidate_id: str | None = None) -> Operation:
        with self._writing():
            head = self.oplog.head()
            view = self._load_view(head)
            cand = self._candidate(candidate_id, view)
            if cand.source == "observed":
                raise UsageError(f"{cand.id} holds observed writes: keep (approve) or revert (reject) them")
            if cand.status != "open":
                raise UsageError(f"candidate {cand.id} is {cand.status}, not open")
            new_view = view.copy()
            new_view.candidates[cand.id] = "discarded"
            with self._txn():
                return self._commit("discard", "person", f"discard {cand.id}", new_view, {"candidate": cand.id})

    # --- observed writes -----------------------------------------------------------

    def observed_baseline(self) -> obs.Baseline:
        """Per watched key, the bytes last seen and last reviewed (what the dreamer compares the disk with)."""
        return obs.baseline(self)

    def record_observation(
        self, observations: list[obs.Observation], noticed_by: str = "watcher", stats: dict[str, Any] | None = None
    ) -> tuple[Operation | None, Candidate | None]:
        """Record agent/person writes as one ``observe`` operation and an observed candidate (see store.observed)."""
        return obs.record(self, observations, noticed_by=noticed_by, stats=stats)

    def observed_proposals(self, summaries: bool = False) -> list[Proposal]:
        """Observed writes of every open observed group, review state merged in."""
        return obs.proposals(self, summaries=summaries)

    def keep(self, ids: list[str], clear_blocks: bool = False) -> Operation:
        """Keep observed writes: adopt them into the active store (ids may be observed group ids)."""
        observed, other = obs.split_refs(self, list(ids))
        if other:
            raise UsageError(f"{other[0]} is not an observed write")
        return obs.keep(self, observed, clear_blocks)

    def revert(self, ids: list[str], reason: str = "") -> Operation:
        """Revert observed writes to the last reviewed bytes (ids may be observed group ids)."""
        observed, other = obs.split_refs(self, list(ids))
        if other:
            raise UsageError(f"{other[0]} is not an observed write")
        return obs.revert(self, observed, reason)

    # --- apply -------------------------------------------------------------------

    def plan_apply(self, candidate_id: str | None = None, force: bool = False) -> ApplyPlan:
        """What `apply` would do now (a dry run: nothing is written)."""
        return applying.plan_apply(self, candidate_id, force)[0]

    def apply(self, candidate_id: str | None = None, force: bool = False) -> ApplyResult:
        """Merge the approved proposals into the active store (one op) and write files."""
        with self._writing():
            return applying.apply(self, candidate_id, force)

    # --- undo / redo / restore ------------------------------------------------------

    def _move_to(
        self,
        target: View,
        kind: str,
        description: str,
        data: dict[str, Any],
        force: bool = False,
        undo_next: str | None = "self",
        redo_stack: list[str] | None = None,
        exact: list[str] | None = None,
        carry: bool = True,
    ) -> Operation:
        current = self._load_view(self.oplog.head())
        carried: list[str] = []
        if carry:
            target, carried = obs.carry(self, target)
        changes, conflicts, result = sync.plan_sync(
            self.workspace, self.blobs, current, target, force, set(exact or ()) - set(carried)
        )
        data = dict(data)
        if conflicts:
            data["conflicts"] = conflicts
        if carried:
            data["kept_observed"] = carried
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
            return self._move_to(
                target,
                "undo",
                f"undo {undone.kind}: {undone.description}",
                {"undone": undone.id},
                force,
                undo_next=parent_next,
                redo_stack=[*redo, undone.id],
                exact=obs.exact_keys(undone),
            )

    def redo(self, force: bool = False) -> Operation:
        with self._writing():
            head = self.oplog.head()
            _, redo = self.oplog.nav(head.id)
            if not redo:
                raise NothingToDoError("nothing to redo")
            redone = self.oplog.get(redo[-1])
            target = self._load_view(redone)
            redone_next, _ = self.oplog.nav(redone.id)
            return self._move_to(
                target,
                "redo",
                f"redo {redone.kind}: {redone.description}",
                {"redone": redone.id},
                force,
                undo_next=redone_next,
                redo_stack=redo[:-1],
                exact=obs.exact_keys(redone),
            )

    def restore(self, op_ref: str, force: bool = False) -> Operation:
        with self._writing():
            op = self.get_op(op_ref)
            if self.oplog.is_pruned(op.id):
                raise ReverieError(f"operation {op.id} was pruned by gc: its state is no longer restorable")
            target = self._load_view(op)
            watched = [k for k in target.files if _versioned(k)]  # absent there: only files Reverie saw added go
            return self._move_to(
                target,
                "restore",
                f"restore to {op.id} ({op.kind}: {op.description})",
                {"restored": op.id},
                force,
                exact=watched,
                carry=False,
            )

    # --- import ------------------------------------------------------------------------

    def import_workspace(self, actor: str = "import") -> Operation:
        """Read the workspace's artifacts into the active store (no-op when unchanged)."""
        from reverie.store.importer import scan

        with self._writing():
            head = self.oplog.head()
            view = self._load_view(head)
            arts = self._arts(view)
            result = scan(self.workspace, view, arts, self.blobs)
            new_view = view.copy()
            keep = {aid: h for aid, h in view.artifacts.items() if arts[aid].origin != "import" or aid in result.kept}
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
                return self._commit(
                    "import",
                    actor,
                    f"import {len(result.artifacts)} artifact(s) from {len(result.files)} file(s)",
                    new_view,
                    {
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
        cutoff = (
            (datetime.now(UTC) - timedelta(days=older_than_days))
            .isoformat(timespec="microseconds")
            .replace("+00:00", "Z")
        )
        with self._writing(), self._txn():
            head = self.oplog.head_id()
            cur = self.db.execute(
                "UPDATE operations SET pruned = 1 WHERE pruned = 0 AND created_at < ? AND id != ?", [cutoff, head]
            )
            pruned = cur.rowcount
            live: set[str] = set()
            for view_hash, data in self.db.execute(
                "SELECT view_hash, data FROM operations WHERE pruned = 0"
            ).fetchall():
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
        return {"pruned_operations": pruned, "deleted_blobs": size[0], "freed_bytes": size[1], "live_blobs": len(live)}

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


def _versioned(key: str) -> bool:
    """Files whose whole text Reverie versions (restore brings them back byte for byte).

    The agent's own memory (auto memory, Codex memories, ``~/.gemini/GEMINI.md``):
    their text outside Reverie's block is the agent's, and every version of it
    was observed. Project instruction files keep today's hand-written text on a
    restore, as they always did.
    """
    return key.startswith(("~/.claude/projects/", "~/.codex/", "~/.gemini/"))
