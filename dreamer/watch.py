"""Watch the workspace's artifact files and the transcript dirs; emit typed events.

A watchdog observer feeds raw file-system events into a queue; one worker
thread debounces them, runs an incremental ingest when transcripts changed and
hashes artifact files when they changed, then calls `callback(event)` from that
background thread (the console marshals with `call_from_thread`).

- Atomic saves (write a temp file, rename it over the target) arrive as a move;
  the destination is what counts.
- Reverie's own writes are ignored: a file whose new hash equals what the store
  recorded for it in the head view (or what `ignore(path, hash)` registered) is
  not a hand edit.
- When inotify limits are hit (ENOSPC/EMFILE while scheduling), the watcher
  falls back to a PollingObserver.
- A periodic reconciliation scan (an incremental ingest: a `stat` per file)
  means a lost file-system event never loses a session.
- Writes to the agent's memory and instruction files (dreamer.agent_files)
  run the observation pass (dreamer.observe) once the burst is quiet, so an
  Auto Dream consolidation of twenty files is one group; each write comes out
  as an `agent_write` event (``writer`` says agent or person). Needs an
  initialized store; the pass also runs at start and on every reconciliation.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import Any

from reverie.store import paths

log = logging.getLogger(__name__)

ARTIFACT_NAMES = frozenset({"CLAUDE.md", "CLAUDE.local.md", "AGENTS.md", "AGENTS.override.md", "GEMINI.md"})


# --- events --------------------------------------------------------------------


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass(slots=True)
class WatchEvent:
    """Base of everything the watcher emits."""

    time: str = field(default_factory=_now, kw_only=True)

    @property
    def kind(self) -> str:
        name = type(self).__name__
        return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {"event": self.kind, **data}


@dataclass(slots=True)
class SessionAdded(WatchEvent):
    session_id: str
    agent: str
    path: str
    events: int


@dataclass(slots=True)
class SessionGrown(WatchEvent):
    session_id: str
    agent: str
    path: str
    events: int
    new_events: int


@dataclass(slots=True)
class SessionReset(WatchEvent):
    """A transcript was truncated or replaced and read again."""

    session_id: str
    agent: str
    path: str
    events: int


@dataclass(slots=True)
class SessionRemoved(WatchEvent):
    """Every transcript file of a session was deleted: its events left the index."""

    session_id: str


@dataclass(slots=True)
class ArtifactEdited(WatchEvent):
    """An artifact file changed by hand (or was deleted); `managed` if Reverie tracks it."""

    path: str
    managed: bool
    deleted: bool = False


@dataclass(slots=True)
class AgentWrite(WatchEvent):
    """A write Reverie did not make to an agent memory/instruction file, now a pending proposal."""

    key: str
    path: str
    change: str
    writer: str
    proposal: str = ""
    candidate_store: str = ""
    session_id: str = ""
    tool: str = ""
    labels: list[str] = field(default_factory=list)


@dataclass(slots=True)
class WatcherNotice(WatchEvent):
    """Something a person may want to know about the watcher itself (polling fallback, …)."""

    message: str


# --- helpers ----------------------------------------------------------------------


def _file_hash(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except OSError as err:
        log.warning("cannot read %s: %s", path, err.strerror or err)
        return None


class _Handler:
    """watchdog handler: push every path an event touches into the queue."""

    def __init__(self, q: queue.Queue[str]) -> None:
        self.q = q

    def dispatch(self, event: Any) -> None:
        if getattr(event, "event_type", "") in ("opened", "closed_no_write"):
            return
        for attr in ("src_path", "dest_path"):
            p = getattr(event, attr, "")
            if p:
                self.q.put(os.fsdecode(p))


# --- the watcher --------------------------------------------------------------------


class Watcher:
    """See module doc. `start()`/`stop()` for live watching, `scan_once()` for one pass."""

    def __init__(
        self,
        workspace: Path,
        transcripts: Iterable[Path],
        callback: Callable[[WatchEvent], None],
        db_path: Path | None = None,
        *,
        home: bool = True,
        debounce: float = 0.3,
        reconcile_every: float = 30.0,
        force_polling: bool = False,
        observer_factory: Callable[[], Any] | None = None,
        polling_interval: float = 1.0,
        observe_quiet: float = 1.0,
    ) -> None:
        self.workspace = Path(workspace)
        self.transcripts = [Path(t) for t in transcripts]
        self.callback = callback
        self.db_path = Path(db_path) if db_path is not None else paths.default_db_path(self.workspace)
        self.home = home
        self.debounce = debounce
        self.reconcile_every = reconcile_every
        self.force_polling = force_polling
        self.observer_factory = observer_factory
        self.polling_interval = polling_interval
        self.observe_quiet = observe_quiet
        self.polling = False
        self._q: queue.Queue[str] = queue.Queue()
        self._stop = threading.Event()
        self._observer: Any = None
        self._worker: threading.Thread | None = None
        self._known: dict[str, str | None] = {}
        self._ignored: dict[str, str] = {}
        self._ignore_lock = threading.Lock()
        self._db: Any = None
        self._store: Any = None
        self._baseline_done = False
        self._sniffed: dict[str, tuple[int, int, bool]] = {}
        """path -> (size, mtime_ns, is a transcript): a file is sniffed again only when it changed."""
        self._transcript_roots: list[tuple[str, str]] | None = None
        """(root, root + separator) of `_in_transcript_dirs`, computed at the first event."""

    # public ----------------------------------------------------------------------

    def ignore(self, path: Path | str, content_hash: str) -> None:
        """Register a write Reverie is about to make, so its event is not a hand edit."""
        with self._ignore_lock:
            self._ignored[os.path.abspath(str(path))] = content_hash

    def scan_once(self) -> list[WatchEvent]:
        """One reconciliation pass: ingest what is new, report artifacts changed since the store's record."""
        events = self._ingest()
        events += self._artifact_scan(initial=not self._baseline_done)
        events += self._observe()
        self._baseline_done = True
        for e in events:
            self._emit(e)
        return events

    def start(self) -> None:
        """Take a baseline, start observing, and start the worker thread."""
        self.scan_once()
        self._start_observer()
        self._worker = threading.Thread(target=self._run, name="reverie-watch", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        self._stop.set()
        if self._observer is not None:
            try:
                self._observer.stop()
                self._observer.join(timeout=5)
            except Exception:
                pass
        if self._worker is not None:
            self._worker.join(timeout=10)
        if self._db is not None:
            try:
                self._db.conn.close()
            except Exception:
                pass
            self._db = None
        if self._store is not None:
            try:
                self._store.close()
            except Exception:
                pass
            self._store = None

    # observing -------------------------------------------------------------------

    def watched_dirs(self) -> list[tuple[Path, bool]]:
        """(dir, recursive) pairs: the workspace top level, .claude/, memory and transcript dirs."""
        dirs: list[tuple[Path, bool]] = [(self.workspace, False)]
        claude_dir = self.workspace / ".claude"
        if claude_dir.is_dir():
            dirs.append((claude_dir, True))
        if self.home:
            for d in (paths.claude_projects_dir(), paths.codex_sessions_dir(), paths.gemini_tmp_dir()):
                if d.is_dir():
                    dirs.append((d, True))
            h = paths.home()
            for d, recursive in ((h / ".claude", False), (h / ".gemini", False), (h / ".codex" / "memories", True)):
                if d.is_dir():
                    dirs.append((d, recursive))
        for t in self.transcripts:
            if t.is_dir():
                dirs.append((t, True))
        return dirs

    def _make_observer(self, polling: bool) -> Any:
        if self.observer_factory is not None and not polling:
            return self.observer_factory()
        if polling:
            from watchdog.observers.polling import PollingObserver

            return PollingObserver(timeout=self.polling_interval)
        from watchdog.observers import Observer

        return Observer()

    def _start_observer(self) -> None:
        polling = self.force_polling
        while True:
            observer = self._make_observer(polling)
            handler = _Handler(self._q)
            try:
                observer.start()
                for d, recursive in self.watched_dirs():
                    observer.schedule(handler, str(d), recursive=recursive)
            except OSError as err:
                try:
                    observer.stop()
                except Exception:
                    pass
                if not polling and err.errno in (errno.ENOSPC, errno.EMFILE, errno.ENFILE):
                    polling = True
                    self._emit(
                        WatcherNotice(
                            message=f"file-system notification limit reached ({os.strerror(err.errno)}); polling instead"
                        )
                    )
                    continue
                raise
            self._observer = observer
            self.polling = polling
            return

    def _schedule_claude_dir(self) -> None:
        """`.claude/` created after start: watch it too."""
        claude_dir = self.workspace / ".claude"
        if self._observer is None or not claude_dir.is_dir():
            return
        try:
            self._observer.schedule(_Handler(self._q), str(claude_dir), recursive=True)
        except OSError as err:
            log.warning("cannot watch %s: %s", claude_dir, err.strerror or err)

    # the worker ------------------------------------------------------------------------

    def _run(self) -> None:
        pending_artifacts: dict[str, float] = {}
        ingest_due: float | None = None
        observe_due: float | None = None
        next_reconcile = time.monotonic() + self.reconcile_every
        claude_seen = (self.workspace / ".claude").is_dir()
        while not self._stop.is_set():
            now = time.monotonic()
            deadlines = [next_reconcile, *list(pending_artifacts.values())]
            if ingest_due is not None:
                deadlines.append(ingest_due)
            if observe_due is not None:
                deadlines.append(observe_due)
            timeout = max(0.01, min(deadlines) - now)
            try:
                path = self._q.get(timeout=min(timeout, 0.5))
            except queue.Empty:
                path = None
            now = time.monotonic()
            if path is not None:
                kind = self._classify(path)
                if kind == "artifact":
                    pending_artifacts[path] = now + self.debounce
                    observe_due = now + max(self.debounce, self.observe_quiet)
                elif kind == "transcript":
                    ingest_due = now + self.debounce
                if not claude_seen and (self.workspace / ".claude").is_dir():
                    claude_seen = True
                    self._schedule_claude_dir()
                    pending_artifacts[str(self.workspace / ".claude")] = now + self.debounce
                continue  # drain the burst before acting
            try:
                due = [p for p, t in pending_artifacts.items() if t <= now]
                if due:
                    for p in due:
                        del pending_artifacts[p]
                    for e in self._artifact_changes(due):
                        self._emit(e)
                if ingest_due is not None and ingest_due <= now:
                    ingest_due = None
                    for e in self._ingest():
                        self._emit(e)
                if observe_due is not None and observe_due <= now:
                    observe_due = None
                    for e in self._ingest() + self._observe():  # the calls that wrote, then the writes
                        self._emit(e)
                if now >= next_reconcile:
                    next_reconcile = now + self.reconcile_every
                    for e in self._ingest() + self._artifact_scan(initial=False) + self._observe():
                        self._emit(e)
            except Exception as err:
                log.warning("watcher: %s: %s", type(err).__name__, err)

    def _emit(self, event: WatchEvent) -> None:
        try:
            self.callback(event)
        except Exception as err:
            log.warning("watcher callback failed: %s: %s", type(err).__name__, err)

    # classification ----------------------------------------------------------------------

    def _artifact_key(self, path: str) -> str | None:
        """The store's files-map key of an artifact path (workspace-relative or ``~/…``), or None."""
        from reverie.dreamer.agent_files import classify

        p = os.path.abspath(path)
        ws = str(self.workspace)
        if p.startswith(ws + os.sep):
            rel = os.path.relpath(p, ws)
            if rel in ARTIFACT_NAMES or rel == ".claude" or rel.startswith(".claude" + os.sep):
                return rel.replace(os.sep, "/")
            return None
        mem = str(paths.claude_memory_dir(self.workspace))
        if p.startswith(mem + os.sep) and p.endswith(".md"):
            return "~/" + os.path.relpath(p, str(paths.home())).replace(os.sep, "/")
        h = str(paths.home())
        if self.home and p.startswith(h + os.sep):
            key = "~/" + os.path.relpath(p, h).replace(os.sep, "/")
            if classify(key, self.workspace) is not None:
                return key
        return None

    def _classify(self, path: str) -> str:
        if self._artifact_key(path) is not None:
            return "artifact"
        if self._is_transcript(path):
            return "transcript"
        return ""

    def _is_transcript(self, path: str) -> bool:
        """Told by content, as ingest tells it (`discovery.sniff_file`), never by the file's name.

        A file once known as a transcript stays one (it only grows); anything else is sniffed
        again when its size or modification time changed (an empty file that starts to fill).
        A file that is gone (deleted, or renamed away) counts unless it was known not to be one:
        ingest then notices whether a session went with it. Only files under the transcript dirs
        are sniffed (a workspace file never is).
        """
        from reverie.dreamer.discovery import sniff_file

        known = self._sniffed.get(path)
        if known is not None and known[2]:
            return True  # every append to a transcript lands here: no stat, no path arithmetic
        if not self._in_transcript_dirs(path):
            return False
        try:
            st = os.stat(path)
        except OSError:
            return known is None  # gone: ingest tells whether a session went with it
        if known is not None and known[:2] == (st.st_size, st.st_mtime_ns):
            return False
        if not S_ISREG(st.st_mode):
            return False
        found = sniff_file(path).info is not None
        if len(self._sniffed) > 100_000:
            self._sniffed.clear()
        self._sniffed[path] = (st.st_size, st.st_mtime_ns, found)
        return found

    def _in_transcript_dirs(self, path: str) -> bool:
        """Under a `--transcripts` dir, or (watching home) under an agent's session dirs."""
        if self._transcript_roots is None:  # fixed for the watcher's life, like the dirs it watches
            roots = [os.path.abspath(str(t)) for t in self.transcripts]
            if self.home:
                roots += [
                    str(d) for d in (paths.claude_projects_dir(), paths.codex_sessions_dir(), paths.gemini_tmp_dir())
                ]
            self._transcript_roots = [(r, r.rstrip(os.sep) + os.sep) for r in roots]
        p = os.path.abspath(path)
        return any(p == r or p.startswith(prefix) for r, prefix in self._transcript_roots)

    # artifacts ----------------------------------------------------------------------------

    def _artifact_files(self) -> list[Path]:
        out = [self.workspace / n for n in sorted(ARTIFACT_NAMES) if (self.workspace / n).is_file()]
        claude_dir = self.workspace / ".claude"
        if claude_dir.is_dir():
            for root, _dirs, files in os.walk(claude_dir):
                out.extend(Path(root) / f for f in sorted(files))
        mem = paths.claude_memory_dir(self.workspace)
        if mem.is_dir():
            out.extend(sorted(mem.glob("*.md")))
        return out

    def _recorded_hashes(self) -> dict[str, str]:
        """What the store last wrote or imported: the head view's files map (key → sha256)."""
        db = self._open_db()
        if db is None:
            return {}
        try:
            from reverie.store.core import Store

            return Store(self.workspace, self.db_path, db).recorded_files()
        except Exception as err:
            log.debug("watcher: cannot read the head view: %s", err)
            return {}

    def _artifact_scan(self, initial: bool) -> list[WatchEvent]:
        """Hash every artifact file; report those changed since the last scan (or, first time, vs the store)."""
        recorded = self._recorded_hashes()
        events: list[WatchEvent] = []
        current: dict[str, str | None] = {}
        for f in self._artifact_files():
            current[os.path.abspath(str(f))] = _file_hash(f)
        if initial:
            for p, h in current.items():
                key = self._artifact_key(p)
                if key in recorded and recorded[key] != h:
                    events.append(ArtifactEdited(path=key, managed=True))
            self._known = dict(current)
            return events
        for p in sorted(set(current) | set(self._known)):
            events.extend(self._judge(p, current.get(p), recorded))
        return events

    def _artifact_changes(self, changed: list[str]) -> list[WatchEvent]:
        recorded = self._recorded_hashes()
        events: list[WatchEvent] = []
        targets: set[str] = set()
        for p in changed:
            ap = os.path.abspath(p)
            if os.path.isdir(ap):  # a created/moved directory: everything under it
                for root, _dirs, files in os.walk(ap):
                    targets.update(os.path.join(root, f) for f in files)
                targets.update(k for k in self._known if k.startswith(ap + os.sep))
            else:
                targets.add(ap)
        for p in sorted(targets):
            if self._artifact_key(p) is None:
                continue
            events.extend(self._judge(p, _file_hash(Path(p)), recorded))
        return events

    def _judge(self, p: str, h: str | None, recorded: dict[str, str]) -> list[WatchEvent]:
        before = self._known.get(p, "<unknown>")
        if h == before:
            return []
        self._known[p] = h
        if h is None:
            self._known.pop(p, None)
        key = self._artifact_key(p)
        if key is None:
            return []
        with self._ignore_lock:
            ignored = self._ignored.get(p)
            if ignored is not None and ignored == h:
                del self._ignored[p]
                return []
        if h is not None and recorded.get(key) == h:
            return []  # Reverie's own write (or a restore to what it recorded)
        if h is None and before in (None, "<unknown>"):
            return []
        return [ArtifactEdited(path=key, managed=key in recorded, deleted=h is None)]

    # observed writes ------------------------------------------------------------------------

    def _observe(self) -> list[WatchEvent]:
        """Run the observation pass on the store; its writes as `agent_write` events."""
        store = self._open_store()
        if store is None:
            return []
        from reverie.dreamer.observe import observe

        report = observe(store, noticed_by="watcher", include_home=self.home)
        return [AgentWrite(**w.to_dict()) for w in report.writes]  # same fields as `reverie ingest --json`

    def _open_store(self) -> Any:
        """The watcher thread's own Store, or None while the workspace has no initialized store."""
        if self._store is not None:
            return self._store
        if not self.db_path.exists():
            return None
        try:
            from reverie.store.core import Store

            self._store = Store.open(self.workspace, self.db_path)
        except Exception as err:  # not initialized yet, or unreadable: the watcher keeps ingesting
            log.debug("watcher: no store to observe into: %s", err)
            return None
        return self._store

    # transcripts ----------------------------------------------------------------------------

    def _open_db(self) -> Any:
        if self._db is not None:
            return self._db
        try:
            from reverie.store.db import open_db

            self._db = open_db(self.db_path, create=True, workspace=self.workspace)
        except Exception as err:
            log.warning("watcher: cannot open %s: %s", self.db_path, err)
            return None
        return self._db

    def _ingest(self) -> list[WatchEvent]:
        from reverie.dreamer.ingest import ingest
        from reverie.store.sessions import SessionIndex

        db = self._open_db()
        if db is None:
            return []
        index = SessionIndex(db)
        before = {r["id"]: r["events"] for r in index.sessions()}
        report = ingest(db, self.workspace, self.transcripts, home=self.home)
        events: list[WatchEvent] = [SessionRemoved(session_id=sid) for sid in report.removed_sessions]
        if not report.changed_sessions:
            return events
        reset = set(report.reset_sessions)
        for row in index.sessions(report.changed_sessions):
            sid, n = row["id"], int(row["events"])
            if sid not in before:
                events.append(SessionAdded(session_id=sid, agent=row["agent"], path=row["path"], events=n))
            elif sid in reset:
                events.append(SessionReset(session_id=sid, agent=row["agent"], path=row["path"], events=n))
            elif n > before[sid]:
                events.append(
                    SessionGrown(
                        session_id=sid, agent=row["agent"], path=row["path"], events=n, new_events=n - before[sid]
                    )
                )
        return events
