"""Open a Reverie database: SQLite in WAL mode, every migration set applied.

Why a dedicated module: one place decides pragmas, the corrupt-file error and
the writer lock, so every caller gets the same guarantees.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from reverie.store.errors import ReadOnlyStoreError, ReverieError, StoreCorruptError
from reverie.store.paths import default_db_path

BUSY_TIMEOUT_MS = 10_000


def _migration_sets() -> list[sqlite_utils.Migrations]:
    from reverie.store.schema import migrations as core
    from reverie.store.sessions import migrations as sessions

    return [core, sessions]


def writable(path: Path) -> bool:
    """Whether the database file and its directory (for -wal, -shm, the lock) can be written."""
    try:
        return os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))
    except OSError:
        return False


def _registered(migrations: sqlite_utils.Migrations) -> list[str]:
    """Names of every migration this version knows: all of them are pending on an empty database."""
    return [x.name for x in migrations.pending(sqlite_utils.Database(memory=True))]


def check_schema(db: sqlite_utils.Database, path: Path) -> None:
    """Refuse a database a newer Reverie migrated: its tables may mean things this version does not know."""
    for m in _migration_sets():
        known = _registered(m)
        applied = [x.name for x in m.applied(db)]
        unknown = [name for name in applied if name not in known]
        if unknown:
            raise ReverieError(
                f"{path} was created by a newer Reverie ({m.name} schema {len(applied)} > {len(known)}: "
                f"{unknown[0]} is unknown here); upgrade Reverie to open it"
            )


def open_db(
    path: Path, create: bool = False, workspace: Path | None = None, read_only: bool | None = None
) -> sqlite_utils.Database:
    """Open (or create) the database at `path` and migrate it.

    A file that is not SQLite → StoreCorruptError naming it; a missing db with
    create=False → ReverieError telling the person to run `reverie init`; a
    database a newer Reverie wrote → ReverieError naming both schema versions.
    A database that cannot be written (`read_only`, or a read-only file or
    directory) opens for reading only, unmigrated: `is_read_only(db)` says so.
    """
    path = Path(path)
    if read_only is None:
        read_only = path.exists() and not writable(path)
    if read_only:
        return open_read_only(path)
    if not path.exists():
        if not create:
            where = f"in {workspace}" if workspace is not None and path == default_db_path(workspace) else f"at {path}"
            raise ReverieError(f"no Reverie store {where}: run `reverie init`")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ReverieError(f"cannot create {path.parent}: {err.strerror or err}") from None
    if path.is_dir():
        raise StoreCorruptError(f"{path} is not a Reverie database: it is a directory")
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and not _is_reverie(conn, tables):  # checked before WAL rewrites the header
            conn.close()
            raise StoreCorruptError(f"{path} is not a Reverie database: it holds another application's tables")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as err:
        raise StoreCorruptError(f"{path} is not a Reverie database: {err}") from None
    db = sqlite_utils.Database(conn)
    try:
        check_schema(db, path)
        for m in _migration_sets():
            m.apply(db)
    except sqlite3.OperationalError as err:
        if "readonly" in str(err) or "read-only" in str(err):
            raise ReverieError(f"cannot write {path}: read-only database") from None
        raise StoreCorruptError(f"{path} is not a Reverie database: {err}") from None
    except sqlite3.DatabaseError as err:
        raise StoreCorruptError(f"{path} is not a Reverie database: {err}") from None
    return db


def is_read_only(db: sqlite_utils.Database) -> bool:
    """Whether `db` was opened for reading only (see `open_db`)."""
    return bool(db.execute("PRAGMA query_only").fetchone()[0])


def open_read_only(path: Path) -> sqlite_utils.Database:
    """The database opened `mode=ro`; `immutable=1` when SQLite cannot even create the WAL index
    (a read-only directory: nobody can change the file under us then)."""
    last: Exception | None = None
    for query in ("mode=ro", "mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(
                f"file:{path}?{query}",
                uri=True,
                isolation_level=None,
                timeout=BUSY_TIMEOUT_MS / 1000,
                check_same_thread=False,
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as err:
            last = err
            continue
        if not tables or not _is_reverie(conn, tables):
            conn.close()
            raise StoreCorruptError(f"{path} is not a Reverie database")
        db = sqlite_utils.Database(conn)
        check_schema(db, path)
        if any(m.pending(db) for m in _migration_sets()):
            conn.close()
            raise ReadOnlyStoreError(f"{path} is read-only and was written by an older Reverie: make it writable once")
        conn.execute("PRAGMA query_only = ON")  # `is_read_only` reads it back
        return db
    raise StoreCorruptError(f"{path} is not a readable Reverie database: {last}")


def _is_reverie(conn: sqlite3.Connection, tables: set[str]) -> bool:
    """A db is ours when its migrations table records one of our migration sets."""
    if "_sqlite_migrations" not in tables:
        return False
    row = conn.execute("SELECT 1 FROM _sqlite_migrations WHERE migration_set LIKE 'reverie-%' LIMIT 1").fetchone()
    return row is not None


@contextlib.contextmanager
def immediate(db: sqlite_utils.Database) -> Iterator[None]:
    """One write transaction (BEGIN IMMEDIATE: takes the write lock up front)."""
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


class WriterLock:
    """A process-wide exclusive lock (flock on a file beside the db).

    Why both this and BEGIN IMMEDIATE: apply writes files between two
    transactions, and two processes must not interleave those steps.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._depth = 0
        self._thread_lock = threading.RLock()  # one Store shared by a UI and a worker thread

    def acquire(self, blocking: bool = True) -> bool:
        if not self._thread_lock.acquire(blocking):
            return False
        if self._depth:
            self._depth += 1
            return True
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            # read-only state dir: fall back to SQLite's own locking
            self._depth = 1
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            self._thread_lock.release()
            return False
        self._fd = fd
        self._depth = 1
        return True

    def release(self) -> None:
        if not self._depth:
            return
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        self._thread_lock.release()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()
