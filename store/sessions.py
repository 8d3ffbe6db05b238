"""The sessions index: which transcript files were read, how far, and their events.

Written only by `dreamer.ingest`; read by the dreamer and the console. Everything
stored here is already redacted. The index is what makes ingest incremental: per
file it keeps size, mtime, inode, a head hash and the byte offset after the last
complete line, so an unchanged corpus costs one `stat` per file.

`migrations` (set "reverie-sessions") is applied by `store.db.open_db`; the
`SessionIndex` constructor also applies it, so a bare sqlite_utils Database works
in tests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlite_utils

from reverie.store.clock import SYSTEM_CLOCK, Clock
from reverie.store.models import Event

migrations = sqlite_utils.Migrations("reverie-sessions")


@migrations()
def m001_sessions_index(db: sqlite_utils.Database) -> None:
    """session_files, sessions (with dreamed markers) and events."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS session_files (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            agent TEXT NOT NULL DEFAULT '',
            session_id TEXT NOT NULL DEFAULT '',
            is_sidechain INTEGER NOT NULL DEFAULT 0,
            size INTEGER NOT NULL DEFAULT 0,
            mtime_ns INTEGER NOT NULL DEFAULT 0,
            inode INTEGER NOT NULL DEFAULT 0,
            head_hash TEXT NOT NULL DEFAULT '',
            content_hash TEXT NOT NULL DEFAULT '',
            "offset" INTEGER NOT NULL DEFAULT 0,
            lines INTEGER NOT NULL DEFAULT 0,
            malformed INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT '{}',
            skip_reason TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_session_files_session ON session_files(session_id)")
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS sessions (
            id TEXT PRIMARY KEY,
            agent TEXT NOT NULL DEFAULT '',
            path TEXT NOT NULL DEFAULT '',
            cwd TEXT NOT NULL DEFAULT '',
            title TEXT NOT NULL DEFAULT '',
            started_at TEXT NOT NULL DEFAULT '',
            ended_at TEXT NOT NULL DEFAULT '',
            user_prompts INTEGER NOT NULL DEFAULT 0,
            tool_calls INTEGER NOT NULL DEFAULT 0,
            tool_errors INTEGER NOT NULL DEFAULT 0,
            rejections INTEGER NOT NULL DEFAULT 0,
            interruptions INTEGER NOT NULL DEFAULT 0,
            compactions INTEGER NOT NULL DEFAULT 0,
            events INTEGER NOT NULL DEFAULT 0,
            malformed_lines INTEGER NOT NULL DEFAULT 0,
            next_seq INTEGER NOT NULL DEFAULT 0,
            content_hash TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL DEFAULT '',
            dreamed_hash TEXT NOT NULL DEFAULT '',
            dreamed_at TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_sessions_agent ON sessions(agent)")
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS events (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            file_id INTEGER NOT NULL,
            kind TEXT NOT NULL,
            trust TEXT NOT NULL,
            text TEXT NOT NULL DEFAULT '',
            uuid TEXT NOT NULL DEFAULT '',
            parent_uuid TEXT NOT NULL DEFAULT '',
            timestamp TEXT NOT NULL DEFAULT '',
            agent TEXT NOT NULL DEFAULT '',
            tool_name TEXT NOT NULL DEFAULT '',
            tool_use_id TEXT NOT NULL DEFAULT '',
            tool_input TEXT,
            status TEXT NOT NULL DEFAULT '',
            is_sidechain INTEGER NOT NULL DEFAULT 0,
            cwd TEXT NOT NULL DEFAULT '',
            source_line INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_events_session_seq ON events(session_id, seq)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_events_file ON events(file_id)")


# --- records ----------------------------------------------------------------


@dataclass(slots=True)
class FileRecord:
    """What the index knows about one transcript file."""

    path: str
    agent: str = ""
    session_id: str = ""
    is_sidechain: bool = False
    size: int = 0
    mtime_ns: int = 0
    inode: int = 0
    head_hash: str = ""
    content_hash: str = ""
    offset: int = 0
    lines: int = 0
    malformed: int = 0
    state: dict[str, Any] = field(default_factory=dict)
    skip_reason: str = ""
    """Non-empty for a file seen but not ingested (another workspace, unknown format)."""
    id: int | None = None


_FILE_COLS = (
    "path",
    "agent",
    "session_id",
    "is_sidechain",
    "size",
    "mtime_ns",
    "inode",
    "head_hash",
    "content_hash",
    "offset",
    "lines",
    "malformed",
    "state",
    "skip_reason",
    "updated_at",
)

_FILE_SELECT = (
    "SELECT id, path, agent, session_id, is_sidechain, size, mtime_ns, inode, head_hash, "
    'content_hash, "offset", lines, malformed, state, skip_reason FROM session_files'
)

ROW_COLS = (
    "session_id",
    "cwd",
    "kind",
    "trust",
    "text",
    "uuid",
    "parent_uuid",
    "timestamp",
    "agent",
    "tool_name",
    "tool_use_id",
    "tool_input",
    "status",
    "is_sidechain",
    "source_line",
)
"""The columns of an `EventRow`, in order: what a reader knows of an event (no seq, no file id)."""
_INSERT_COLS = ("seq", "file_id", *ROW_COLS)
_INSERT_EVENT = f"INSERT INTO events ({', '.join(_INSERT_COLS)}) VALUES ({', '.join('?' for _ in _INSERT_COLS)})"
_READ_EVENT = (
    "SELECT session_id, seq, kind, trust, text, uuid, parent_uuid, timestamp, agent, tool_name, tool_use_id, "
    "tool_input, status, is_sidechain, cwd, source_line FROM events WHERE session_id = ?"
)

EventRow = tuple[Any, ...]
"""One event as `ROW_COLS` (redacted), built by `event_row`, written by `RowWriter.append`."""


def event_row(e: Event) -> EventRow:
    """The one builder of an events row (in-process and worker ingest alike); `e` must be redacted."""
    return (
        e.session_id,
        e.cwd,
        e.kind,
        e.trust,
        e.text,
        e.uuid,
        e.parent_uuid,
        e.timestamp,
        e.agent,
        e.tool_name,
        e.tool_use_id,
        orjson.dumps(e.tool_input).decode() if e.tool_input is not None else None,
        e.status,
        int(e.is_sidechain),
        e.source_line,
    )


@dataclass(slots=True)
class RowWriter:
    """The one writer of event rows: sequence numbers per session and sparse cwd, across files and batches.

    Lives for one ingest run: `next_seq` is read from the sessions table the first
    time a session is seen (then kept here); a cwd equal to the previous event's of
    the same session is stored empty (`iter_events` fills it forward).
    """

    index: SessionIndex
    next_seq: dict[str, int] = field(default_factory=dict)
    last_cwd: dict[str, str] = field(default_factory=dict)

    def reset(self, session_id: str) -> None:
        """The session's events were dropped: number from 0 again."""
        self.next_seq[session_id] = 0
        self.last_cwd.pop(session_id, None)

    def append(self, file_id: int, rows: Iterable[EventRow]) -> int:
        """Insert `rows` (in order) for one file; returns how many."""
        next_seq, last_cwd = self.next_seq, self.last_cwd
        out = []
        for sid, cwd, *rest in rows:
            seq = next_seq.get(sid)
            if seq is None:
                seq = self.index.next_seq(sid)
            next_seq[sid] = seq + 1
            if cwd:
                if last_cwd.get(sid) == cwd:
                    cwd = ""
                else:
                    last_cwd[sid] = cwd
            out.append((seq, file_id, sid, cwd, *rest))
        if not out:
            return 0
        conn = self.index.conn
        conn.executemany(_INSERT_EVENT, out)
        for sid in {r[2] for r in out}:
            conn.execute("UPDATE sessions SET next_seq = MAX(next_seq, ?) WHERE id = ?", (next_seq[sid], sid))
        return len(out)


COUNT_KEYS: tuple[str, ...] = (
    "user_prompts",
    "tool_calls",
    "tool_errors",
    "rejections",
    "interruptions",
    "compactions",
    "events",
)


def _same(path: str) -> str:
    return path


def _row_to_file(row: tuple[Any, ...]) -> FileRecord:
    (fid, path, agent, sid, side, size, mtime, inode, head, content, offset, lines, malformed, state, skip) = row
    try:
        state_obj = orjson.loads(state) if state else {}
    except orjson.JSONDecodeError:
        state_obj = {}
    return FileRecord(
        path=path,
        agent=agent,
        session_id=sid,
        is_sidechain=bool(side),
        size=size,
        mtime_ns=mtime,
        inode=inode,
        head_hash=head,
        content_hash=content,
        offset=offset,
        lines=lines,
        malformed=malformed,
        state=state_obj,
        skip_reason=skip,
        id=fid,
    )


class SessionIndex:
    """Reads and writes of the sessions index on one sqlite_utils Database.

    Writes are grouped by the caller in `db.atomic()` / a transaction; the
    methods here only issue statements. Reads return plain dicts or `Event`s.
    """

    def _now(self) -> str:
        return self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")

    def __init__(
        self, db: sqlite_utils.Database, path_key: Callable[[str], str] | None = None, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        """`path_key` maps a transcript's real path to the key stored for it (the dreamer's
        `redact_name`: a path never stores a credential its file name holds); identity by default.
        `clock`: the store's (see store.clock), for the rows' update and dreamed times."""
        self.db = db
        self.conn = db.conn
        self.clock = clock
        self.key: Callable[[str], str] = path_key or _same
        if migrations.pending(db):
            migrations.apply(db)

    # --- files ----------------------------------------------------------------

    def files(self) -> dict[str, FileRecord]:
        """Every indexed file, by path."""
        cur = self.conn.execute(_FILE_SELECT)
        return {r[1]: _row_to_file(r) for r in cur.fetchall()}

    def get_file(self, path: str) -> FileRecord | None:
        cur = self.conn.execute(
            _FILE_SELECT + " WHERE path = ?",
            (self.key(path),),
        )
        row = cur.fetchone()
        return _row_to_file(row) if row else None

    def save_file(self, rec: FileRecord) -> int:
        """Insert or update `rec` (by path); returns its id and sets `rec.id`."""
        key = self.key(rec.path)
        values = (
            key,
            rec.agent,
            rec.session_id,
            int(rec.is_sidechain),
            rec.size,
            rec.mtime_ns,
            rec.inode,
            rec.head_hash,
            rec.content_hash,
            rec.offset,
            rec.lines,
            rec.malformed,
            orjson.dumps(rec.state).decode(),
            rec.skip_reason,
            self._now(),
        )
        cols = ", ".join(f'"{c}"' for c in _FILE_COLS)
        marks = ", ".join("?" for _ in _FILE_COLS)
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in _FILE_COLS if c != "path")
        self.conn.execute(
            f"INSERT INTO session_files ({cols}) VALUES ({marks}) ON CONFLICT(path) DO UPDATE SET {updates}",
            values,
        )
        fid = self.conn.execute("SELECT id FROM session_files WHERE path = ?", (key,)).fetchone()[0]
        rec.id = int(fid)
        return rec.id

    def touch_file(self, rec: FileRecord) -> None:
        """Record a new size/mtime for a file whose content did not change."""
        self.conn.execute(
            "UPDATE session_files SET size = ?, mtime_ns = ?, inode = ? WHERE path = ?",
            (rec.size, rec.mtime_ns, rec.inode, self.key(rec.path)),
        )

    def drop_file(self, path: str, keep_row: bool = False) -> str:
        """Delete a file's events (and its row unless `keep_row`); returns its session id."""
        row = self.conn.execute("SELECT id, session_id FROM session_files WHERE path = ?", (self.key(path),)).fetchone()
        if not row:
            return ""
        fid, sid = row
        self.conn.execute("DELETE FROM events WHERE file_id = ?", (fid,))
        if not keep_row:
            self.conn.execute("DELETE FROM session_files WHERE id = ?", (fid,))
        return str(sid)

    def drop_session_if_empty(self, session_id: str) -> bool:
        """Delete a session row none of whose files is indexed any more; True when it was deleted."""
        if self.conn.execute("SELECT 1 FROM session_files WHERE session_id = ? LIMIT 1", (session_id,)).fetchone():
            return False
        self.conn.execute("DELETE FROM events WHERE session_id = ?", (session_id,))
        return self.conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount > 0

    def session_files(self, session_id: str) -> list[FileRecord]:
        cur = self.conn.execute(
            _FILE_SELECT + " WHERE session_id = ? ORDER BY is_sidechain, path",
            (session_id,),
        )
        return [_row_to_file(r) for r in cur.fetchall()]

    def reset_session(self, session_id: str) -> list[str]:
        """Forget every event of a session so all its files are read again in order.

        Used when one of its files was truncated or replaced: re-reading only that
        file would give its events sequence numbers after the others'.
        Returns the paths of the session's files.
        """
        paths = [f.path for f in self.session_files(session_id)]
        self.conn.execute("DELETE FROM events WHERE session_id = ?", (session_id,))
        self.conn.execute("DELETE FROM session_files WHERE session_id = ?", (session_id,))
        self.conn.execute("UPDATE sessions SET next_seq = 0 WHERE id = ?", (session_id,))
        return paths

    # --- events ---------------------------------------------------------------

    def ensure_session(self, session_id: str, agent: str, path: str = "", cwd: str = "") -> None:
        """Create the session row if missing; fill path/cwd when they were empty."""
        self.conn.execute(
            "INSERT INTO sessions (id, agent, path, cwd, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET "
            "path = CASE WHEN sessions.path = '' THEN excluded.path ELSE sessions.path END, "
            "cwd = CASE WHEN sessions.cwd = '' THEN excluded.cwd ELSE sessions.cwd END",
            (session_id, agent, self.key(path) if path else "", cwd, self._now()),
        )

    def set_session_path(self, session_id: str, path: str) -> None:
        """The main (non-subagent) file of a session, once known."""
        self.conn.execute("UPDATE sessions SET path = ? WHERE id = ?", (self.key(path), session_id))

    def next_seq(self, session_id: str) -> int:
        row = self.conn.execute("SELECT next_seq FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return int(row[0]) if row else 0

    def iter_events(self, session_id: str, kinds: Iterable[str] | None = None) -> Iterator[Event]:
        """The session's events in order. `cwd` is stored sparsely and filled forward here."""
        sql = _READ_EVENT
        params: list[Any] = [session_id]
        kind_list = list(kinds) if kinds is not None else None
        cwd = self.session_cwd(session_id)
        cur = self.conn.execute(sql + " ORDER BY seq", params)
        for row in cur:
            (sid, seq, kind, trust, text, uuid, parent, ts, agent, tname, tid, tinput, status, side, ecwd, line) = row
            if ecwd:
                cwd = ecwd
            if kind_list is not None and kind not in kind_list:
                continue
            yield Event(
                session_id=sid,
                seq=seq,
                kind=kind,
                trust=trust,
                text=text,
                uuid=uuid,
                parent_uuid=parent,
                timestamp=ts,
                agent=agent,
                tool_name=tname,
                tool_use_id=tid,
                tool_input=orjson.loads(tinput) if tinput else None,
                status=status,
                is_sidechain=bool(side),
                cwd=cwd,
                source_line=line,
            )

    def has_event(self, session_id: str, uuid: str) -> bool:
        """Whether a session holds an event with this uuid (a proposal's evidence must name real events)."""
        row = self.conn.execute(
            "SELECT 1 FROM events WHERE session_id = ? AND uuid = ? LIMIT 1", [session_id, uuid]
        ).fetchone()
        return row is not None

    def session_cwd(self, session_id: str) -> str:
        row = self.conn.execute("SELECT cwd FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return str(row[0]) if row else ""

    # --- sessions -------------------------------------------------------------

    def refresh_sessions(self, session_ids: Iterable[str]) -> None:
        """Recompute counts, times, malformed lines and content hash from the events.

        The content hash covers every file's content hash and the event count, so
        it changes whenever the session's events change — the dreamer's cache key.
        """
        for sid in set(session_ids):
            agg = self.conn.execute(
                """
                SELECT
                  SUM(kind = 'user_prompt' AND trust = 'user'),
                  SUM(kind = 'tool_call'),
                  SUM(kind = 'tool_result' AND status = 'error'),
                  SUM(kind = 'tool_result' AND status = 'rejected'),
                  SUM(kind = 'interruption'),
                  SUM(kind = 'compaction'),
                  COUNT(*),
                  MIN(NULLIF(timestamp, '')),
                  MAX(NULLIF(timestamp, ''))
                FROM events WHERE session_id = ?
                """,
                (sid,),
            ).fetchone()
            files = self.conn.execute(
                "SELECT path, content_hash, malformed, is_sidechain FROM session_files "
                "WHERE session_id = ? ORDER BY path",
                (sid,),
            ).fetchall()
            if not files or not agg[6]:
                # a session is a session id with at least one event (an empty or
                # summary-only file is not one); its file rows stay indexed
                self.conn.execute("DELETE FROM events WHERE session_id = ?", (sid,))
                self.conn.execute("DELETE FROM sessions WHERE id = ?", (sid,))
                continue
            h = hashlib.sha256()
            for path, chash, _, _ in files:
                h.update(path.encode("utf-8", "surrogateescape") + b"\0" + chash.encode() + b"\n")
            h.update(str(agg[6]).encode())
            malformed = sum(int(f[2]) for f in files)
            counts = [int(x or 0) for x in agg[:7]]
            self.conn.execute(
                """
                UPDATE sessions SET user_prompts = ?, tool_calls = ?, tool_errors = ?, rejections = ?,
                  interruptions = ?, compactions = ?, events = ?, started_at = ?, ended_at = ?,
                  malformed_lines = ?, content_hash = ?, updated_at = ?
                WHERE id = ?
                """,
                (*counts, agg[7] or "", agg[8] or "", malformed, h.hexdigest()[:32], self._now(), sid),
            )

    def set_title(self, session_id: str, title: str) -> None:
        self.conn.execute("UPDATE sessions SET title = ? WHERE id = ? AND title = ''", (title[:200], session_id))

    def sessions(self, ids: Iterable[str] | None = None, agent: str | None = None) -> list[dict[str, Any]]:
        """Session rows as dicts (newest first), optionally only `ids` / one agent."""
        sql = "SELECT * FROM sessions"
        where: list[str] = []
        params: list[Any] = []
        if agent:
            where.append("agent = ?")
            params.append(agent)
        if ids is not None:
            id_list = list(ids)
            if not id_list:
                return []
            where.append(f"id IN ({', '.join('?' for _ in id_list)})")
            params.extend(id_list)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY started_at DESC, id"
        cur = self.conn.execute(sql, params)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=False)) for r in cur.fetchall()]

    def session(self, session_id: str) -> dict[str, Any] | None:
        rows = self.sessions([session_id])
        return rows[0] if rows else None

    def session_ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM sessions ORDER BY started_at, id")]

    # --- dreamed markers ------------------------------------------------------

    def mark_dreamed(self, session_ids: Iterable[str]) -> int:
        """Record that a dream consumed the sessions as they are now (their content hash)."""
        n = 0
        now = self._now()
        for sid in session_ids:
            cur = self.conn.execute(
                "UPDATE sessions SET dreamed_hash = content_hash, dreamed_at = ? WHERE id = ?", (now, sid)
            )
            n += cur.rowcount
        return n

    def undreamed_ids(self) -> list[str]:
        """Sessions with events that no dream has read in their current state."""
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM sessions WHERE events > 0 AND dreamed_hash != content_hash ORDER BY started_at, id"
            )
        ]

    def undreamed_count(self) -> int:
        return int(
            self.conn.execute(
                "SELECT COUNT(*) FROM sessions WHERE events > 0 AND dreamed_hash != content_hash"
            ).fetchone()[0]
        )

    def status(self) -> dict[str, Any]:
        """Figures for `reverie status` and the console header."""
        row = self.conn.execute("SELECT COUNT(*), COALESCE(SUM(events), 0), MAX(ended_at) FROM sessions").fetchone()
        by_agent = {
            a: n for a, n in self.conn.execute("SELECT agent, COUNT(*) FROM sessions GROUP BY agent ORDER BY agent")
        }
        return {
            "sessions": int(row[0]),
            "events": int(row[1]),
            "undreamed": self.undreamed_count(),
            "last_activity": row[2] or "",
            "by_agent": by_agent,
            "files": int(self.conn.execute("SELECT COUNT(*) FROM session_files").fetchone()[0]),
        }
