"""Read new transcript content into the sessions index, incrementally.

    ingest(target, workspace, transcripts=(), progress=None, *, home=True) -> IngestReport

`target` is a `store.core.Store` (its `.db` is used) or a sqlite_utils Database.
Files come from `dreamer.discovery`: the agents' home dirs matched to the
workspace by recorded cwd, plus every transcript under each `transcripts` dir.

Per file the index keeps size, mtime, inode, a head hash and the byte offset
after the last complete line: an unchanged file costs one `stat`; an appended
file is read from its offset; a truncated or replaced file (and the other files
of its session, so sequence numbers stay in order) is read again. JSONL files
are streamed line by line, never loaded whole. Each file's events and its new
offset commit in one transaction, so a crash never double-counts.

Malformed lines are logged as ``file:line`` (warning) and counted, never fatal.
Everything stored has passed `dreamer.redact`: the adapters emit raw events and
`redact_events` redacts each batch (one kingfisher scan per batch) just before
it is written. Claude lines are decoded with msgspec into only the fields the
adapter reads; other lines with orjson.

A big cold ingest (many MB of new bytes, several CPUs) reads the JSONL files in
worker processes (`dreamer.ingest_parallel`): they run the same `scan_lines`
and redact; this process stores their rows in file order. Same stored content.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import orjson

from reverie.dreamer import discovery, ingest_parallel, scanner_load
from reverie.dreamer.adapters import claude, codex, gemini
from reverie.dreamer.adapters.common import (
    MAX_LINE_BYTES,
    FileInfo,
    LineAdapter,
    redact_events,
    seal_held,
)
from reverie.dreamer.redact import redact, redact_name
from reverie.store.db import is_read_only
from reverie.store.errors import ReadOnlyStoreError, ReverieError
from reverie.store.models import Event
from reverie.store.sessions import EventRow, FileRecord, RowWriter, SessionIndex, event_row

log = logging.getLogger(__name__)

HEAD_BYTES = 4096
BATCH_EVENTS = 2000
BATCH_BYTES = 8_000_000
"""A batch of events is redacted and stored when it holds this many events or came from this many bytes of
lines. Bytes read bound the raw text a batch holds (its events' text comes from those lines, cut to the kept
windows) at one addition per line; summing each event's pending characters cost ~0.1 s per 200 MB."""

READ_BUFFER = 1 << 20
"""Read buffer of a transcript: lines are often tens of KB (tool results); with the default 8 KB buffer
`readline` cost twice as much (0.10 s against 0.055 s over 200 MB)."""

ProgressFn = Callable[[int, int, str], None]
"""progress(files_done, files_total, path)."""


# --- report ------------------------------------------------------------------


@dataclass(slots=True)
class AgentReport:
    """Totals of one agent's sessions in scope (after this ingest), plus what this run read."""

    sessions: int = 0
    events: int = 0
    user_prompts: int = 0
    tool_calls: int = 0
    tool_errors: int = 0
    rejections: int = 0
    interruptions: int = 0
    malformed_lines: int = 0
    files: int = 0
    files_read: int = 0
    bytes_read: int = 0
    new_events: int = 0


@dataclass(slots=True)
class IngestReport:
    """What `reverie ingest` reports; `sessions` is the total number of sessions in scope."""

    sessions: int = 0
    events: int = 0
    new_events: int = 0
    files: int = 0
    files_read: int = 0
    bytes_read: int = 0
    malformed_lines: int = 0
    skipped_files: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    """Files under --transcripts that are not transcripts we read, each with why (path, reason)."""
    workers: int = 0
    """Reader processes this run used (0: read in this process)."""
    seconds: float = 0.0
    by_agent: dict[str, AgentReport] = field(default_factory=dict)
    session_ids: list[str] = field(default_factory=list)
    changed_sessions: list[str] = field(default_factory=list)
    """Sessions whose events changed in this run (new, grown or re-read)."""
    reset_sessions: list[str] = field(default_factory=list)
    """Sessions read again from the start because a file was truncated or replaced."""
    removed_sessions: list[str] = field(default_factory=list)
    """Sessions whose every transcript file was deleted: their events left the index."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        data.pop("session_ids")
        data["changed_sessions"] = len(self.changed_sessions)
        data["reset_sessions"] = len(self.reset_sessions)
        data["removed_sessions"] = len(self.removed_sessions)
        for agent_data in data["by_agent"].values():
            agent_data.pop("files", None)
        for key in ("tool_calls", "tool_errors", "rejections", "interruptions", "user_prompts"):
            data[key] = sum(getattr(a, key) for a in self.by_agent.values())
        return data

    def text(self) -> str:
        lines = [
            f"{self.sessions} sessions, {self.events} events "
            f"({self.new_events} new; read {self.files_read} files, {self.bytes_read / 1e6:.1f} MB in {self.seconds:.2f}s)"
        ]
        for agent, a in sorted(self.by_agent.items()):
            lines.append(
                f"  {agent:7} {a.sessions} sessions, {a.events} events, {a.user_prompts} prompts, "
                f"{a.tool_calls} tool calls, {a.tool_errors} errors, {a.rejections} rejections, "
                f"{a.interruptions} interruptions, {a.malformed_lines} malformed lines"
            )
        return "\n".join(lines)


# --- entry points ------------------------------------------------------------------


def _db_of(target: Any) -> Any:
    db = getattr(target, "db", target)
    if not hasattr(db, "conn"):
        raise ReverieError("ingest needs a Reverie store or a sqlite_utils Database")
    return db


def ingest(
    target: Any,
    workspace: Path,
    transcripts: Iterable[Path] = (),
    progress: ProgressFn | None = None,
    *,
    home: bool = True,
    cancel: Callable[[], bool] | None = None,
    workers: int | None = None,
) -> IngestReport:
    """Bring the sessions index up to date with the transcripts (see module doc).

    `home=False` skips the agents' home dirs (only `transcripts`). `cancel()`
    returning True stops between files; what was read so far stays committed.
    `workers`: reader processes (see `dreamer.ingest_parallel`); None chooses
    (several only for a big cold ingest), 0 or 1 reads in this process.
    """
    started = time.perf_counter()
    db = _db_of(target)
    if is_read_only(db):
        raise ReadOnlyStoreError("the store is read-only: new transcripts cannot be indexed (status, log, show work)")
    keys = _PathKeys()
    index = SessionIndex(db, path_key=keys)  # a file name holding a token never reaches the index
    run = _Run(index, Path(workspace), progress, cancel, workers, keys)
    found: list[discovery.Found] = []
    if home:
        found.extend(discovery.home_files())
    found.extend(discovery.transcript_dir_files([Path(t) for t in transcripts]))
    report = run.run(found)
    report.seconds = time.perf_counter() - started
    return report


# --- the work ----------------------------------------------------------------------


class _PathKeys:
    """The index key of a transcript path: `redact_name(path)`, or what a reader process computed for it.

    A worker has the secret scanner loaded and returns its file's key with the rows, so
    the parent of a parallel ingest never loads the scanner itself (~0.4 s of its time).
    """

    def __init__(self) -> None:
        self.known: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        key = self.known.get(path)
        return key if key is not None else redact_name(path)


@dataclass(slots=True)
class _Job:
    info: FileInfo
    rec: FileRecord | None
    st: os.stat_result
    fresh: bool


@contextlib.contextmanager
def _tx(conn: sqlite3.Connection) -> Iterator[None]:
    """A transaction, or a savepoint inside the run's open batch transaction."""
    if conn.in_transaction:
        name = f"ingest_{id(conn)}_{time.perf_counter_ns()}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
            conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        else:
            conn.execute(f"RELEASE SAVEPOINT {name}")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


class _Batch:
    """Groups many small files' transactions into one commit (a commit costs an fsync).

    Each file still has its own savepoint, so its events and its offset are
    written together or not at all. Commits every `COMMIT_SECONDS` so other
    writers (the store's operations) are never blocked for long.
    """

    COMMIT_SECONDS = 0.5

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.since = 0.0

    def __enter__(self) -> _Batch:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
            self.since = time.perf_counter()
        return self

    def maybe_commit(self) -> None:
        if self.conn.in_transaction and time.perf_counter() - self.since > self.COMMIT_SECONDS:
            self.conn.execute("COMMIT")
            self.conn.execute("BEGIN IMMEDIATE")
            self.since = time.perf_counter()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK" if exc_type is not None and not issubclass(exc_type, Exception) else "COMMIT")


def _head_hash(path: str, size: int) -> str:
    """``n:hash`` of the first min(size, HEAD_BYTES) bytes (detects a replaced file cheaply)."""
    n = min(size, HEAD_BYTES)
    with open(path, "rb") as fh:
        data = fh.read(n)
    return f"{len(data)}:{hashlib.blake2b(data, digest_size=16).hexdigest()}"


def _same_head(path: str, recorded: str) -> bool:
    try:
        n = int(recorded.split(":", 1)[0])
        with open(path, "rb") as fh:
            data = fh.read(n)
    except (OSError, ValueError):
        return False
    return f"{len(data)}:{hashlib.blake2b(data, digest_size=16).hexdigest()}" == recorded


def _tail_digest(path: str, start: int, offset: int, lines: int) -> str:
    """What identifies the bytes read from `start` to `offset`, without hashing them all.

    Transcripts only grow (a truncated or replaced file is read again from the
    start: inode, size and head hash tell), so the range read, the line count and
    the last `HEAD_BYTES` before `offset` identify the content as well as a hash of
    every byte did, at a fixed cost instead of 25% of a bare parse loop.
    """
    h = hashlib.blake2b(f"{start}:{offset}:{lines}".encode(), digest_size=16)
    n = min(offset - start, HEAD_BYTES)
    if n > 0:
        with open(path, "rb") as fh:
            fh.seek(offset - n)
            h.update(fh.read(n))
    return h.hexdigest()


def _unchanged(events: list[Event]) -> list[Event]:
    return events


def rows_of(events: list[Event]) -> list[EventRow]:
    """Redact a batch of adapter events (one secret scan) and build their rows: the only way events are stored."""
    return list(map(event_row, redact_events(events)))


@dataclass(slots=True)
class LinesRead:
    """What reading a JSONL file from an offset found (events went to the `emit` callback)."""

    offset: int
    """Byte offset after the last complete line read."""
    lines: int
    malformed: int
    digest: str
    """`_tail_digest` of what was read: changes whenever the file grew (see there)."""
    state: dict[str, Any]
    title: str
    """The session title the file carried, redacted ('' when none)."""
    head_hash: str
    """`_head_hash` of the file up to `offset`."""
    held: list[Event] = field(default_factory=list)
    """Raw mode only: events the adapter holds in `state`, still unredacted (`seal_held` them first)."""


def line_adapter(info: FileInfo, state: dict[str, Any]) -> LineAdapter:
    if info.agent == "claude":
        return claude.ClaudeAdapter(info, state)
    if info.agent == "codex":
        return codex.CodexAdapter(info, state)
    raise ReverieError(f"{info.path}: no adapter for agent {info.agent!r}")


WarnFn = Callable[..., None]
"""log.warning-compatible: ``warn(fmt, *args)``."""


def scan_lines(
    info: FileInfo,
    start: int,
    state: dict[str, Any],
    line_no: int,
    emit: Callable[[list[Any]], None],
    warn: WarnFn = log.warning,
    *,
    raw: bool = False,
) -> LinesRead:
    """Stream a JSONL transcript from `start`: redacted event rows in batches to `emit`.

    Pure reading (no store): the in-process ingest and the worker processes of
    `dreamer.ingest_parallel` share it, so both store the same rows (`rows_of`).
    A partial last line is left for next time; malformed lines go to `warn` as
    file:line. With `raw`, `emit` gets the adapter's events unredacted and the
    title is left unredacted: the caller must pass both through `rows_of` /
    `redact` before anything stores them (`_Run` reads ahead while the secret
    scanner loads).
    """
    build: Callable[[list[Event]], Any] = _unchanged if raw else rows_of
    adapter = line_adapter(info, state)
    offset = start
    malformed = 0
    batch: list[Event] = []
    batch_bytes = 0
    decode = claude.decode_line if info.agent == "claude" else None
    whole: Callable[[bytes], Any] = decode or orjson.loads
    with open(info.path, "rb", buffering=READ_BUFFER) as fh:
        fh.seek(start)
        readline, feed = fh.readline, adapter.feed
        while True:
            line = readline(MAX_LINE_BYTES + 1)
            if not line:
                break
            n = len(line)
            if line[-1] == 10:  # a complete line holding one JSON value (nearly all): decoded as it is
                try:
                    value = whole(line)
                except (ValueError, RecursionError):
                    pass  # blank, bad JSON or bytes, two objects, too deep: the careful path below
                else:
                    line_no += 1
                    offset += n
                    batch_bytes += n
                    try:
                        new = feed(value, line_no)
                    except Exception as err:  # an adapter bug on odd input must not stop ingest
                        malformed += 1
                        warn("%s:%d: unreadable record (%s: %s); skipped", info.path, line_no, type(err).__name__, err)
                    else:
                        if new:
                            batch += new
                    if batch_bytes >= BATCH_BYTES or len(batch) >= BATCH_EVENTS:
                        emit(build(batch))
                        batch = []
                        batch_bytes = 0
                    continue
            if n > MAX_LINE_BYTES and not line.endswith(b"\n"):
                skipped = len(line)
                while True:  # discard the rest of an oversized line without keeping it
                    more = fh.readline(MAX_LINE_BYTES)
                    skipped += len(more)
                    if not more or more.endswith(b"\n"):
                        break
                line_no += 1
                malformed += 1
                warn("%s:%d: line of %d bytes is over the limit; skipped", info.path, line_no, skipped)
                offset += skipped
                continue
            complete = line.endswith(b"\n")
            body = line.strip()
            if not body:
                if not complete:
                    break  # a partial line being written: read it next time
                line_no += 1
                offset += len(line)
                continue
            if decode is not None:
                try:
                    values, bad = [decode(body)], False
                except (
                    msgspec.DecodeError,
                    UnicodeDecodeError,
                    RecursionError,
                ):  # two objects, bad JSON or bytes, too deep
                    values, bad = discovery.parse_line(body)
            else:
                values, bad = discovery.parse_line(body)
            if not complete and (bad or not values):
                break  # the writer has not finished this line yet
            line_no += 1
            offset += n
            batch_bytes += n
            if bad:
                malformed += 1
                warn(
                    "%s:%d: malformed JSON line; skipped%s",
                    info.path,
                    line_no,
                    " (kept the objects before the error)" if values else "",
                )
            for value in values:
                try:
                    new = feed(value, line_no)
                except Exception as err:  # an adapter bug on odd input must not stop ingest
                    malformed += 1
                    warn("%s:%d: unreadable record (%s: %s); skipped", info.path, line_no, type(err).__name__, err)
                    continue
                if new:
                    batch += new
            if len(batch) >= BATCH_EVENTS or batch_bytes >= BATCH_BYTES:
                emit(build(batch))
                batch = []
                batch_bytes = 0
        batch.extend(adapter.finish())
        if batch:
            emit(build(batch))
    held = adapter.take_held()
    if not raw:
        seal_held(adapter.state, held)
    return LinesRead(
        offset=offset,
        lines=line_no,
        malformed=malformed,
        digest=_tail_digest(info.path, start, offset, line_no),
        state=adapter.state,
        title=(adapter.title if raw else redact(adapter.title)) if adapter.title else "",
        head_hash=_head_hash(info.path, min(offset, HEAD_BYTES)) if offset else "0:",
        held=held if raw else [],
    )


@dataclass(slots=True)
class _Ahead:
    """A line file read while the secret scanner loads: raw events, to be redacted and stored in order."""

    job: _Job
    rec: FileRecord
    start: int
    batches: list[list[Event]]
    read: LinesRead


class _ReadAhead:
    """Overlap loading the secret scanner (~0.4 s of CPU, off the GIL) with reading the first files.

    Kingfisher's 488 compiled rules take ~0.37 s of CPU to load even from their
    cache (+0.07 s for the gate scanner); the load releases the GIL, so it
    overlaps reading only when a core is free (on a saturated machine the main
    thread's wait for it, `redact._kingfisher` in a profile, is that CPU time).
    Instead of waiting, the in-process ingest loads them in a thread and
    meanwhile parses files without redacting (`scan_lines(raw=True)`), holding at
    the raw text of at most `READ_AHEAD_BYTES` of lines in memory; nothing is stored until it is
    redacted, and files are stored in their order, as without read-ahead.
    """

    READ_AHEAD_BYTES = 96_000_000

    def __init__(self, started: bool) -> None:
        self.items: list[_Ahead] = []
        self.bytes = 0
        self.active = started and not scanner_load.READY.is_set()
        if self.active:
            scanner_load.start()

    def wants(self, job: _Job) -> bool:
        if not self.active or scanner_load.READY.is_set():
            self.active = False
            return False
        return job.info.agent != "gemini" and self.bytes < self.READ_AHEAD_BYTES

    def add(self, item: _Ahead) -> None:
        self.items.append(item)
        self.bytes += item.read.offset - item.start

    def take(self) -> list[_Ahead]:
        items, self.items, self.bytes = self.items, [], 0
        return items


class _Run:
    """One ingest pass: classify files, then read the ones that changed."""

    def __init__(
        self,
        index: SessionIndex,
        workspace: Path,
        progress: ProgressFn | None,
        cancel: Callable[[], bool] | None,
        workers: int | None = None,
        keys: _PathKeys | None = None,
    ) -> None:
        self.index = index
        self.keys = keys if keys is not None else _PathKeys()
        self.workers = workers
        self.conn = index.conn
        self.workspace = workspace
        self.progress = progress
        self.cancel = cancel
        self.writer = RowWriter(index)
        self.skips: list[FileRecord] = []
        self.touched: set[str] = set()
        self.scope_files: dict[str, str] = {}
        self.report = IngestReport()

    # classification ------------------------------------------------------------

    def run(self, found: list[discovery.Found]) -> IngestReport:
        known = self.index.files()
        jobs: list[_Job] = []
        in_scope: set[str] = set()
        reset: set[str] = set()
        seen_paths: set[str] = set()

        redacted_keys = any("[REDACTED:" in k for k in known)

        def key(path: str) -> str:
            """The index key of a real path, as far as finding its record needs it. Keys are `redact_name`
            of the path, so a path the index holds under its own name is its own key, and with no redacted
            key in the index a path not held under its own name is not held at all: `redact_name`, whose
            scanner takes most of a second to load, runs only when a key could differ (it ran for every path
            of every ingest: an unchanged re-ingest paid the load, a cold one could not overlap it)."""
            return path if path in known or not redacted_keys else self.index.key(path)

        for f in found:
            if f.path in seen_paths:
                continue
            seen_paths.add(f.path)
            try:
                st = os.stat(f.path)
            except OSError as err:
                log.warning("cannot read %s: %s; skipped", redact_name(f.path), err.strerror or err)
                self._listed_skip(f, f"unreadable: {err.strerror or err}")
                continue
            if not stat.S_ISREG(st.st_mode):  # a FIFO would block open(), /dev/zero never ends
                log.warning("%s is not a regular file; skipped", redact_name(f.path))
                self._listed_skip(f, "not a regular file")
                continue
            rec = known.get(key(f.path))
            if rec is not None:
                rec.path = f.path  # the real path, for reading; the index keeps its key
            if rec is not None and rec.skip_reason:
                if rec.size == st.st_size and rec.mtime_ns == st.st_mtime_ns and rec.inode == st.st_ino:
                    self.report.skipped_files += 1
                    self._listed_skip(f, rec.skip_reason)
                    continue  # still not ours / not a transcript
                rec = None
            if rec is not None and rec.agent:
                state = self._classify(rec, st)
                self.scope_files[rec.path] = rec.agent
                if state == "unchanged":
                    in_scope.add(rec.session_id)
                    continue
                info = FileInfo(rec.path, rec.agent, rec.session_id, rec.is_sidechain, str(rec.state.get("cwd", "")))
                if state == "reset":
                    reset.add(rec.session_id)
                    jobs.append(_Job(info, None, st, True))
                else:
                    jobs.append(_Job(info, rec, st, False))
                in_scope.add(rec.session_id)
                continue
            if f.from_home and not f.path.endswith(".json"):
                cwd = discovery.quick_cwd(f.path)
                if cwd is not None and not discovery.cwd_matches(cwd, self.workspace):
                    self._remember_skip(f.path, st, "another workspace")
                    continue
            found_as = discovery.sniff_file(f.path)
            if found_as.info is None:
                if st.st_size > 0:
                    self._remember_skip(f.path, st, found_as.reason or "not a transcript we read")
                self._listed_skip(f, found_as.reason or "not a transcript we read")
                continue
            info = found_as.info
            if f.from_home and not self._matches(info):
                self._remember_skip(f.path, st, "another workspace")
                continue
            jobs.append(_Job(info, None, st, True))
            self.scope_files[info.path] = info.agent
            in_scope.add(info.session_id)

        self._save_skips()
        self.report.reset_sessions = sorted(reset)
        self._forget_removed(known, {key(p) for p in seen_paths})
        if reset:
            with _tx(self.conn):
                for sid in reset:
                    for path in self.index.reset_session(sid):
                        if all(j.info.path != path for j in jobs) and os.path.exists(path):
                            sniffed = discovery.sniff(path)
                            if sniffed is not None:
                                jobs.append(_Job(sniffed, None, os.stat(path), True))
                    self.writer.reset(sid)
            for j in jobs:
                if j.info.session_id in reset:
                    j.rec, j.fresh = None, True

        jobs.sort(key=lambda j: (j.info.is_sidechain, j.info.path))
        total = len(jobs)
        tasks = [self._task(job) for job in jobs]
        workers = ingest_parallel.choose_workers(self.workers, [t.size for t in tasks if t is not None])
        self.report.workers = workers
        ahead = _ReadAhead(started=bool(jobs) and not workers)
        with _Batch(self.conn) as batch, contextlib.ExitStack() as stack:
            if workers:
                reader = stack.enter_context(ingest_parallel.Reader(workers))
                results: Iterator[ingest_parallel.FileResult | None] = reader.results(tasks)
            else:
                results = itertools.repeat(None)
            try:
                for i, job in enumerate(jobs):
                    if self.cancel is not None and self.cancel():
                        log.info("ingest cancelled after %d of %d files", i, total)
                        break
                    if self.progress is not None:
                        self.progress(i, total, job.info.path)
                    result = next(results)
                    try:
                        if result is None and ahead.wants(job):
                            ahead.add(self._read_ahead(job))
                            continue
                        self._flush(ahead)
                        if result is None:
                            self._read(job)
                        else:
                            self._apply(job, result)
                    except OSError as err:
                        log.warning("cannot read %s: %s; skipped", job.info.path, err.strerror or err)
                    batch.maybe_commit()
                self._flush(ahead)
            except Exception:
                # the files stored so far are committed (see _Batch): their sessions' counts must match
                if self.touched:
                    with contextlib.suppress(Exception):
                        self.index.refresh_sessions(self.touched)
                raise
            if self.touched:
                self.index.refresh_sessions(self.touched)
        if self.progress is not None:
            self.progress(total, total, "")
        self._totals(in_scope)
        return self.report

    def _forget_removed(self, known: dict[str, FileRecord], seen: set[str]) -> None:
        """Drop indexed files deleted from disk since the last ingest, and sessions left without a file.

        A key holding a redacted name cannot be checked on disk; such a file is kept.
        """
        gone = [rec for k, rec in known.items() if k not in seen and "[REDACTED:" not in k and not os.path.lexists(k)]
        if not gone:
            return
        with _tx(self.conn):
            sessions = set()
            for rec in gone:
                self.index.drop_file(rec.path)
                if rec.agent and rec.session_id:
                    sessions.add(rec.session_id)
            for sid in sorted(sessions):
                if self.index.drop_session_if_empty(sid):
                    self.report.removed_sessions.append(sid)
                else:
                    self.touched.add(sid)

    def _classify(self, rec: FileRecord, st: os.stat_result) -> str:
        """unchanged | grown | reset."""
        if st.st_ino != rec.inode:
            return "reset"
        if st.st_size < rec.offset:
            return "reset"
        if st.st_size == rec.size and st.st_mtime_ns == rec.mtime_ns:
            return "unchanged"
        if rec.agent == "gemini":
            return "reset"  # a whole document rewritten: read it again
        if not _same_head(rec.path, rec.head_hash):
            return "reset"
        if st.st_size == rec.offset and st.st_size == rec.size:
            with _tx(self.conn):
                rec.mtime_ns = st.st_mtime_ns
                self.index.touch_file(rec)
            return "unchanged"
        return "grown"

    def _matches(self, info: FileInfo) -> bool:
        if info.agent == "gemini":
            return discovery.gemini_project_matches(info.path, self.workspace)
        return discovery.cwd_matches(info.cwd, self.workspace)

    def _listed_skip(self, f: discovery.Found, reason: str) -> None:
        """A file under --transcripts that is not read: listed with why (home dirs hold every project: not listed)."""
        if not f.from_home:
            self.report.skipped.append({"path": redact_name(f.path), "reason": reason})
            log.info("%s: %s; skipped", redact_name(f.path), reason)

    def _remember_skip(self, path: str, st: os.stat_result, reason: str) -> None:
        log.debug("%s: %s; skipped", path, reason)
        self.report.skipped_files += 1
        self.skips.append(
            FileRecord(path=path, size=st.st_size, mtime_ns=st.st_mtime_ns, inode=st.st_ino, skip_reason=reason)
        )

    def _save_skips(self) -> None:
        """Remember the files passed over, in one transaction (a heavy history has thousands)."""
        if self.skips:
            with _tx(self.conn):
                for rec in self.skips:
                    self.index.save_file(rec)
            self.skips.clear()

    # reading ---------------------------------------------------------------------

    def _record(self, job: _Job, lookup: bool = True) -> FileRecord:
        """The job's file record; a new one gets the id of a row already indexed under its key (`lookup`
        False leaves that to `_flush`: the key is `redact_name(path)`, which waits for the scanner)."""
        info = job.info
        rec = job.rec
        if rec is None:
            rec = FileRecord(
                path=info.path, agent=info.agent, session_id=info.session_id, is_sidechain=info.is_sidechain
            )
            if lookup:
                self._adopt_id(rec)
        return rec

    def _adopt_id(self, rec: FileRecord) -> None:
        existing = self.index.get_file(rec.path)
        if existing is not None:
            rec.id = existing.id

    def _task(self, job: _Job) -> ingest_parallel.Task | None:
        """The job as a task for a worker process (None: read in this process)."""
        info = job.info
        if info.agent == "gemini":
            return None
        rec = job.rec
        start, state, lines = (0, {}, 0) if job.fresh or rec is None else (rec.offset, rec.state, rec.lines)
        size = max(job.st.st_size - start, 0)
        if size > ingest_parallel.MAX_FILE_BYTES:
            return None
        return ingest_parallel.Task(
            info.path, info.agent, info.session_id, info.is_sidechain, info.cwd, start, state, lines, size
        )

    def _apply(self, job: _Job, result: ingest_parallel.FileResult) -> None:
        """Store what a worker read of a line file (events already redacted), as `_read_lines` would."""
        for fmt, args in result.warnings:
            log.warning(fmt, *args)
        if result.read is None:
            log.warning("cannot read %s: %s; skipped", job.info.path, result.error)
            return
        if result.key:
            self.keys.known[job.info.path] = result.key
        rec = self._record(job)
        start = self._prepare_lines(job, rec)
        with _tx(self.conn):
            self._begin_file(rec, job.info, job.fresh, result.cwd)
            if result.rows:
                self._write(rec, result.rows)
            self._finish_lines(job, rec, result.read, start)

    def _read_ahead(self, job: _Job) -> _Ahead:
        """Read a line file without redacting or storing it yet (the scanner is still loading)."""
        rec = self._record(job, lookup=False)
        start = self._prepare_lines(job, rec)
        batches: list[list[Event]] = []
        read = scan_lines(job.info, start, rec.state, rec.lines, batches.append, raw=True)
        return _Ahead(job, rec, start, batches, read)

    def _flush(self, ahead: _ReadAhead) -> None:
        """Redact and store what was read ahead, in file order (waits for the scanner)."""
        for item in ahead.take():
            job, rec, read = item.job, item.rec, item.read
            read.title = redact(read.title) if read.title else ""
            seal_held(read.state, read.held)
            if rec.id is None and job.rec is None:
                self._adopt_id(rec)
            with _tx(self.conn):
                self._begin_file(rec, job.info, job.fresh, redact(job.info.cwd))
                for events in item.batches:
                    self._write(rec, rows_of(events))
                self._finish_lines(job, rec, read, item.start)

    def _read(self, job: _Job) -> None:
        info = job.info
        rec = self._record(job)
        if info.agent == "gemini":
            self._read_document(job, rec)
        else:
            self._read_lines(job, rec)

    def _begin_file(self, rec: FileRecord, info: FileInfo, fresh: bool, cwd: str) -> None:
        """Inside the file's transaction: drop old events when re-reading, ensure rows (`cwd` redacted)."""
        if fresh and rec.id is not None:
            self.index.drop_file(rec.path, keep_row=True)
        self.index.ensure_session(info.session_id, info.agent, info.path, cwd)
        if not info.is_sidechain:
            self.index.set_session_path(info.session_id, info.path)
        if rec.id is None:
            self.index.save_file(rec)

    def _write(self, rec: FileRecord, rows: list[EventRow]) -> None:
        """Store a file's redacted rows (from this process or a worker) through the run's one writer."""
        assert rec.id is not None
        n = self.writer.append(rec.id, rows)
        self.report.new_events += n
        self.report.by_agent.setdefault(rec.agent, AgentReport()).new_events += n

    def _read_lines(self, job: _Job, rec: FileRecord) -> None:
        info = job.info
        fresh = job.fresh
        start = self._prepare_lines(job, rec)
        with _tx(self.conn):
            self._begin_file(rec, info, fresh, redact(info.cwd))
            read = scan_lines(info, start, rec.state, rec.lines, lambda rows: self._write(rec, rows))
            self._finish_lines(job, rec, read, start)

    def _prepare_lines(self, job: _Job, rec: FileRecord) -> int:
        """The offset to read from; a fresh read forgets what the record knew."""
        if job.fresh:
            rec.offset = rec.lines = rec.malformed = 0
            rec.content_hash = ""
            rec.state = {}
            return 0
        return rec.offset

    def _finish_lines(self, job: _Job, rec: FileRecord, read: LinesRead, start: int) -> None:
        """Inside the file's transaction: the new offset, hashes and state, then the report."""
        info = job.info
        offset = read.offset
        rec.state = read.state
        rec.offset = offset
        rec.lines = read.lines
        rec.malformed += read.malformed
        rec.size = max(job.st.st_size, offset)
        rec.mtime_ns = job.st.st_mtime_ns
        rec.inode = job.st.st_ino
        if job.fresh or not rec.head_hash or int(rec.head_hash.split(":", 1)[0] or 0) < HEAD_BYTES:
            rec.head_hash = read.head_hash
        n = offset - start
        if n:
            rec.content_hash = hashlib.sha256((rec.content_hash + read.digest).encode()).hexdigest()[:32]
        self.index.save_file(rec)
        if read.title:
            self.index.set_title(info.session_id, read.title)
        agent_report = self.report.by_agent.setdefault(info.agent, AgentReport())
        self.report.files_read += 1
        self.report.bytes_read += n
        agent_report.files_read += 1
        agent_report.bytes_read += n
        self.touched.add(info.session_id)
        if n or job.fresh:
            self.report.changed_sessions.append(info.session_id)

    def _read_document(self, job: _Job, rec: FileRecord) -> None:
        info = job.info
        doc = discovery.load_json_document(info.path)
        if doc is None:
            log.warning("%s: not a readable Gemini session document; skipped", info.path)
            return
        events = gemini.parse_document(doc, info)
        size = job.st.st_size
        with _tx(self.conn):
            rec.state = {}
            rec.offset = rec.size = size
            rec.lines = len(events)
            rec.mtime_ns = job.st.st_mtime_ns
            rec.inode = job.st.st_ino
            rec.head_hash = _head_hash(info.path, size) if size else "0:"
            with open(info.path, "rb") as fh:
                rec.content_hash = hashlib.sha256(fh.read()).hexdigest()[:32]
            self._begin_file(rec, info, True, redact(info.cwd))
            if events:
                self._write(rec, rows_of(events))
            self.index.save_file(rec)
        self.report.files_read += 1
        self.report.bytes_read += size
        a = self.report.by_agent.setdefault(info.agent, AgentReport())
        a.files_read += 1
        a.bytes_read += size
        self.touched.add(info.session_id)
        self.report.changed_sessions.append(info.session_id)

    # totals ----------------------------------------------------------------------

    def _totals(self, in_scope: set[str]) -> None:
        rows = self.index.sessions(sorted(in_scope)) if in_scope else []
        r = self.report
        r.files = len(self.scope_files)
        for agent in self.scope_files.values():
            r.by_agent.setdefault(agent, AgentReport()).files += 1
        for row in rows:
            a = r.by_agent.setdefault(row["agent"], AgentReport())
            a.sessions += 1
            a.events += row["events"]
            a.user_prompts += row["user_prompts"]
            a.tool_calls += row["tool_calls"]
            a.tool_errors += row["tool_errors"]
            a.rejections += row["rejections"]
            a.interruptions += row["interruptions"]
            a.malformed_lines += row["malformed_lines"]
        # malformed lines of files whose session has no events still count
        r.session_ids = [row["id"] for row in rows]
        r.sessions = len(rows)
        r.events = sum(row["events"] for row in rows)
        r.malformed_lines = sum(a.malformed_lines for a in r.by_agent.values())
        r.by_agent = {k: v for k, v in r.by_agent.items() if k and (v.files or v.sessions)}
        r.changed_sessions = sorted(set(r.changed_sessions))
