"""One change to the store, as jj does it: read the head, stage, commit one operation.

    with store.transaction("approve") as tx:     # writer lock held, head read
        tx.view.reviews[pid] = {...}             # stage the new view
        tx.write_files(changes)                  # stage file writes (optional)
        tx.add_candidate(candidate, proposals)   # stage rows (optional)
        op = tx.commit("approve p-1")            # one operation; files journaled

Leaving the block without `commit` (or with an exception) changes nothing:
staged blobs and rows are dropped and no file has been written. `commit`
journals the file writes, writes the files, then appends the operation, moves
head and deletes the journal row in one SQLite transaction (store.journal).

`Snapshot` is the read half (the store as of its head, no lock): apply
planning, previews and the Store's read methods take one.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlite_utils

from reverie.store import candidates as cands
from reverie.store import journal, mirrors
from reverie.store.blobs import Blobs
from reverie.store.clock import Clock, Ids, iso
from reverie.store.db import WriterLock, immediate
from reverie.store.errors import NothingToDoError, ReadOnlyStoreError, ReverieError, UsageError
from reverie.store.journal import FileChange, JournalEntry
from reverie.store.models import ACTORS, Actor, Artifact, Candidate, Operation, Proposal
from reverie.store.oplog import UNDOES_ITSELF, OpLog
from reverie.store.sessions import SessionIndex
from reverie.store.viewlog import ViewLog
from reverie.store.views import View, get_artifact


@dataclass(frozen=True)
class Backend:
    """What a store is made of: one workspace, one database connection and its helpers."""

    workspace: Path
    db_path: Path
    db: sqlite_utils.Database
    blobs: Blobs
    oplog: OpLog
    lock: WriterLock
    clock: Clock
    ids: Ids
    views: ViewLog
    read_only: bool = False
    """The database opened for reading only: every write refuses with one line."""

    def check_writable(self) -> None:
        """Raise the one-line error every change gets on a store opened read-only."""
        if self.read_only:
            raise ReadOnlyStoreError(
                f"{self.db_path} is read-only: status, log, show and the console work, changes do not"
            )

    @contextlib.contextmanager
    def sql(self) -> Iterator[None]:
        """One SQLite write transaction; a database error becomes a one-line ReverieError."""
        self.check_writable()
        try:
            with immediate(self.db):
                yield
        except sqlite3.Error as err:
            self.forget()
            raise ReverieError(f"database error in {self.db_path}: {err}") from None
        except BaseException:
            self.forget()
            raise

    def forget(self) -> None:
        """Drop every cache of what was read (a transaction rolled back, or gc deleted blobs)."""
        self.blobs.forget()
        self.oplog.forget()
        self.views.forget()

    def now(self) -> str:
        return iso(self.clock.now())


class Snapshot:
    """The store as of its head operation: the view, its artifacts and candidates (read-only)."""

    def __init__(self, backend: Backend, *, read: bool = True) -> None:
        self.backend = backend
        self.workspace = backend.workspace
        self.blobs = backend.blobs
        self.head: Operation | None = None
        self.head_view = View()
        self._artifacts: dict[str, Artifact] | None = None
        if read:
            self._load()

    def _load(self) -> None:
        oplog = self.backend.oplog
        self.head = oplog.head() if oplog.head_id() is not None else None
        self.head_view = self.load_view(self.head) if self.head is not None else View()
        self._artifacts = None

    def load_view(self, op: Operation) -> View:
        """The view `op` recorded (ReverieError when gc pruned it)."""
        try:
            return self.backend.views.load(op.seq or self.backend.oplog.seq_of(op.id))
        except ReverieError:
            raise ReverieError(f"operation {op.id} was pruned by gc: its state is no longer restorable") from None

    def op(self, ref: str) -> Operation:
        """An operation by id, unique prefix, sequence number or ``@``."""
        return self.backend.oplog.resolve(ref)

    def artifacts(self) -> dict[str, Artifact]:
        """The head view's artifacts by id (read once per snapshot)."""
        if self._artifacts is None:
            self._artifacts = {aid: get_artifact(self.blobs, h) for aid, h in self.head_view.artifacts.items()}
        return self._artifacts

    def open_candidates(self, source: str | None = None, view: View | None = None) -> list[Candidate]:
        """The open candidates of `view` (default: the head view), oldest first (only those from
        `source`: dream or observed)."""
        view = view if view is not None else self.head_view
        statuses = {k: v for k, v in view.candidates.items() if v == "open"}
        return [c for c in cands.candidates_in(self.backend.db, statuses) if source is None or c.source == source]

    def newest_dream(self) -> Candidate | None:
        """The newest open dream candidate (None: there is none)."""
        opened = self.open_candidates("dream")
        return opened[-1] if opened else None

    def candidate(self, candidate_id: str | None = None) -> Candidate:
        """A candidate by id (or prefix), with its status in the head view; None: the newest open dream."""
        db = self.backend.db
        statuses = self.head_view.candidates
        if candidate_id is None:
            newest = self.newest_dream()
            if newest is None:
                raise NothingToDoError("no open candidate store: run `reverie dream` or `reverie propose`")
            return newest
        row = cands.get_candidate_row(db, candidate_id)
        return cands.candidate_of(row, statuses.get(row["id"], "undone"))

    def proposals(
        self, candidate_id: str, load: Callable[..., list[Proposal]] = cands.load_proposal_rows
    ) -> list[Proposal]:
        """The proposals of a candidate with the head view's review state applied."""
        reviews = self.head_view.reviews
        return [cands.overlay(p, reviews.get(p.id)) for p in load(self.backend.db, candidate_id)]

    def find_proposal(self, ref: str) -> tuple[Proposal, str]:
        """A proposal as the dream stored it (no review state) and its candidate id."""
        return cands.find_proposal_row(self.backend.db, ref)


class Transaction(Snapshot):
    """One operation in the making (see the module doc). Create it with `Store.transaction`."""

    def __init__(self, backend: Backend, kind: str, actor: Actor = "person") -> None:
        if actor not in ACTORS:
            raise UsageError(f"unknown actor {actor!r} (expected one of {', '.join(ACTORS)})")
        super().__init__(backend, read=False)  # the head is read under the lock, in __enter__
        self.kind = kind
        self.actor = actor
        self.view = View()
        """The view this operation will record: starts as a copy of the head view; change it."""
        self.operation: Operation | None = None
        """The committed operation (None until `commit`)."""
        self._files: list[FileChange] | None = None
        self._rows: list[Callable[[sqlite_utils.Database], None]] = []
        self._entered = False

    # --- the with-block --------------------------------------------------------------------

    def __enter__(self) -> Transaction:
        self.backend.lock.acquire()
        try:
            self.blobs.stage()  # refuses a transaction inside another (its staged blobs would be lost)
        except BaseException:
            self.backend.lock.release()
            raise
        try:
            self._load()
            self.view = self.head_view.copy()
        except BaseException:
            self.blobs.unstage()
            self.backend.lock.release()
            raise
        self._steady = mirrors.steady()  # the agents in use do not change inside one operation
        self._steady.__enter__()
        self._entered = True
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._entered = False
        try:
            self.blobs.unstage()  # after a commit nothing is staged any more
        finally:
            self._steady.__exit__(None, None, None)
            self.backend.lock.release()

    # --- staging ---------------------------------------------------------------------------

    def write_files(self, changes: Iterable[FileChange]) -> None:
        """Write these files when the operation commits (journaled; rolled back on a crash)."""
        if self._files is None:
            self._files = []
        self._files.extend(changes)

    def add_candidate(self, candidate: Candidate, proposals: list[Proposal]) -> None:
        """Store a candidate and its proposal rows with the operation (rows are immutable afterwards)."""

        def rows(db: sqlite_utils.Database) -> None:
            cands.insert_candidate(db, candidate)
            cands.insert_proposals(db, candidate.id, proposals)

        self._rows.append(rows)

    def mark_dreamed(self, session_ids: Iterable[str]) -> None:
        """Mark sessions dreamed over, atomically with the operation (a dream and its candidate)."""
        ids = list(session_ids)
        clock = self.backend.clock

        def rows(db: sqlite_utils.Database) -> None:
            SessionIndex(db, clock=clock).mark_dreamed(ids)

        if ids:
            self._rows.append(rows)

    def new_id(self, prefix: str) -> str:
        """A fresh time-ordered id from the store's id generator."""
        return self.backend.ids.new_id(prefix)

    def random_id(self, prefix: str) -> str:
        """A fresh unordered id from the store's id generator."""
        return self.backend.ids.random_id(prefix)

    def now(self) -> str:
        """The store clock's time, as stored."""
        return self.backend.now()

    def unchanged(self) -> bool:
        """True when the staged view equals the head view and nothing else is staged."""
        same = self.head is not None and self.backend.views.unchanged(self.view, self.head_view)
        return same and not self._rows and not self._files

    # --- commit ----------------------------------------------------------------------------

    def commit(
        self,
        description: str,
        *,
        data: dict[str, Any] | None = None,
        undo_next: str | None = UNDOES_ITSELF,
        redo_stack: list[str] | None = None,
    ) -> Operation:
        """Record the operation: journal and write the staged files, then one SQL transaction.

        `undo_next` and `redo_stack` are for undo/redo (see store.oplog); every
        other operation undoes itself and clears the redo stack.
        """
        if not self._entered:
            raise RuntimeError("commit outside the transaction's with-block")
        if self.operation is not None:
            raise RuntimeError("a transaction commits once")
        backend = self.backend
        payload = dict(data or {})
        entry: JournalEntry | None = None
        if self._files is not None:
            entry = self._write_files()
            payload["files"] = {c.key: c.action for c in entry.writes}
            payload["snapshots"] = entry.snapshots
        stored = backend.views.store(self.view)
        with backend.sql():
            self.blobs.flush()
            for rows in self._rows:
                rows(backend.db)
            op = backend.oplog.append(
                kind=self.kind,
                actor=self.actor,
                description=description,
                view=stored.record,
                view_id=stored.vid,
                data=payload,
                undo_next=undo_next,
                redo_stack=redo_stack,
            )
            if entry is not None and entry.writes:
                journal.close(backend.db, entry.id)
        backend.views.committed(op.seq, stored)
        self.operation = op
        return op

    def _write_files(self) -> JournalEntry:
        """Commit the journal (with every blob staged so far), then write the files."""
        backend = self.backend
        with backend.sql():
            entry = journal.open_entry(
                backend.db, self.blobs, backend.ids.new_id("j-"), backend.now(), self.kind, self._files or []
            )
            self.blobs.flush()
        self.blobs.stage()  # the view and the operation come next

        def forget() -> None:
            with backend.sql():
                journal.close(backend.db, entry.id)

        journal.write(entry, forget)
        return entry
