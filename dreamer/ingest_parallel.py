"""Cold ingest of many large transcripts on several cores: worker processes read, the parent writes.

Why: reading a transcript (decode, normalise, redact) is pure CPU in Python and
kingfisher holds the GIL, so threads do not help; SQLite writes stay in the
parent (one connection, file order). Each worker runs `dreamer.ingest.scan_lines`
— the same code as the in-process path — over one whole file and returns compact
event rows that are ALREADY REDACTED (`redact_events` runs in the worker), so
nothing unredacted ever crosses into the parent or the store; the file's index key
(`redact_name` of its path) comes back too, so the parent never loads the scanner
(~0.4 s it would spend before storing the first row). The parent assigns
sequence numbers, stores the rows in file order and replays the workers'
file:line warnings.

Workers are forked from a `forkserver` (never from the parent, which may hold
threads and an open SQLite connection) that imports `dreamer.ingest_preload`,
which builds the kingfisher scanner once: every worker inherits it ready. As
with any multiprocessing start method but fork, a worker imports the parent's
main script as ``__mp_main__``: a script calling `ingest` must keep its top
level under ``if __name__ == "__main__":`` (the `reverie` entry point does).

Used only when it pays (`choose_workers`): at least 2 CPUs, 2 line files and
`MIN_BYTES` of new bytes, called from the main thread (the watcher and the
console's background ingests stay in-process). At most `INFLIGHT_BYTES` of files
are in flight, so memory stays flat whatever the corpus size; a file over
`MAX_FILE_BYTES` is read in the parent. A worker that dies surfaces as one
`ReverieError`; files stored before it stay stored.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from reverie.store.errors import ReverieError

log = logging.getLogger(__name__)

AUTO = True
"""Whether `choose_workers` picks workers by itself (else only when asked: `workers=` or the env var)."""
MIN_BYTES = 64 * 1024 * 1024
"""New bytes below which the in-process path is as fast: starting the workers (forkserver + kingfisher
build) costs ~1.1 s against ~0.8 s for building kingfisher in-process, and 2 workers read ~1.4x faster."""
MIN_FILES = 2
MAX_FILE_BYTES = 64 * 1024 * 1024
"""A file with more new bytes than this is read in the parent (its rows would be one big message)."""
INFLIGHT_BYTES = 48 * 1024 * 1024
"""New bytes of submitted but not yet stored files (bounds memory; rows are ~1/4 of the bytes read)."""
INFLIGHT_FILES = 256
"""Files submitted ahead: many small files keep the workers busy while the parent stalls on a commit."""
ENV_WORKERS = "REVERIE_INGEST_WORKERS"
"""Number of worker processes; 0 or 1 forces the in-process path (benchmarks, debugging)."""
ENV_TEST_FAIL = "REVERIE_TEST_INGEST_WORKER_FAIL"
"""Test-only: ``exit:<text>`` or ``raise:<text>`` makes the worker reading a path containing <text> die or raise."""
PRELOAD = "reverie.dreamer.ingest_preload"

STATS: dict[str, Any] = {}
"""Figures of the last parallel run (workers, peak worker RSS) for the benchmark."""


@dataclass(slots=True)
class Task:
    """One JSONL file to read from `start` with the adapter `state` it had there."""

    path: str
    agent: str
    session_id: str
    is_sidechain: bool
    cwd: str
    start: int
    state: dict[str, Any]
    line_no: int
    size: int
    fail: str = ""


@dataclass(slots=True)
class FileResult:
    """A worker's reading of one file: its redacted `store.sessions.EventRow`s and what `scan_lines` found."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    read: Any = None
    """`dreamer.ingest.LinesRead`, or None when the file could not be read (`error`)."""
    cwd: str = ""
    """The sniffed cwd, redacted."""
    key: str = ""
    """The file's key in the sessions index (`redact_name` of its path): the parent needs no scanner."""
    warnings: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    error: str = ""
    rss_kb: int = 0
    pid: int = 0
    cpu_s: float = 0.0
    """The worker's CPU time so far (for the benchmark's accounting)."""


# --- worker side -------------------------------------------------------------------


def read_file(task: Task) -> FileResult:
    """Worker entry: read, normalise and redact one file."""
    from reverie.dreamer.adapters.common import FileInfo
    from reverie.dreamer.ingest import scan_lines
    from reverie.dreamer.redact import redact, redact_name

    if task.fail == "exit":
        os._exit(3)
    if task.fail == "raise":
        raise RuntimeError("test failure requested by " + ENV_TEST_FAIL)
    out = FileResult()

    def warn(fmt: str, *args: Any) -> None:
        out.warnings.append((fmt, args))

    info = FileInfo(task.path, task.agent, task.session_id, task.is_sidechain, task.cwd)
    try:
        out.read = scan_lines(info, task.start, task.state, task.line_no, out.rows.extend, warn)
    except OSError as err:
        out.rows = []
        out.error = str(err.strerror or err)
    out.cwd = redact(task.cwd)
    out.key = redact_name(task.path)
    try:
        import resource  # not on Windows (where there is no forkserver either)

        usage = resource.getrusage(resource.RUSAGE_SELF)
        out.rss_kb, out.cpu_s = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    except ImportError:
        pass
    out.pid = os.getpid()
    return out


# --- parent side -------------------------------------------------------------------


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def choose_workers(requested: int | None, sizes: Sequence[int]) -> int:
    """Worker processes for line files of `sizes` new bytes; 0 means read in-process.

    `requested` (or env `REVERIE_INGEST_WORKERS`) forces a count whatever the
    sizes; otherwise one worker per CPU when the work is big enough to pay for
    starting them.
    """
    eligible = [s for s in sizes if s <= MAX_FILE_BYTES]
    if requested is None:
        env = os.environ.get(ENV_WORKERS, "").strip()
        if env:
            try:
                requested = int(env)
            except ValueError:
                log.warning("%s=%r is not a number; ignored", ENV_WORKERS, env)
    if requested is not None:
        n = requested
    else:
        if not AUTO or threading.current_thread() is not threading.main_thread():
            return 0
        if len(eligible) < MIN_FILES or sum(eligible) < MIN_BYTES:
            return 0
        n = cpu_count()
    n = min(n, len(eligible))
    return n if n >= 2 else 0


def warm() -> None:
    """Start the forkserver (kingfisher built in it) now, so the first read does not wait for it."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([PRELOAD])
    p = ctx.Process(target=_noop)
    p.start()
    p.join()


def _noop() -> None:
    return None


class Reader:
    """A pool of worker processes that reads tasks and hands results back in task order."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None
        self.unavailable = False
        self.fail = os.environ.get(ENV_TEST_FAIL, "")
        STATS.clear()
        STATS.update(workers=workers, worker_rss_mb=0.0, files=0, worker_cpu_s={})

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def _submit(self, task: Task) -> Future[FileResult] | None:
        if self.unavailable:
            return None
        if self.fail and ":" in self.fail:
            mode, _, needle = self.fail.partition(":")
            if needle and needle in task.path:
                task.fail = mode
        if self.pool is None:
            try:
                ctx = multiprocessing.get_context("forkserver")
                ctx.set_forkserver_preload([PRELOAD])
                self.pool = ProcessPoolExecutor(self.workers, mp_context=ctx)
                return self.pool.submit(read_file, task)
            except Exception as err:
                log.warning(
                    "cannot start ingest worker processes (%s: %s); reading in this process", type(err).__name__, err
                )
                self.unavailable = True
                if self.pool is not None:
                    self.pool.shutdown(wait=False, cancel_futures=True)
                    self.pool = None
                return None
        try:
            return self.pool.submit(read_file, task)
        except BrokenProcessPool:
            raise ReverieError(
                "an ingest worker process died; the files stored before it are kept — run ingest again"
            ) from None

    def results(self, tasks: Sequence[Task | None]) -> Iterator[FileResult | None]:
        """One item per task, in order: the worker's result, or None for "read it in-process"

        (a None task, or no worker processes available). Keeps up to
        `INFLIGHT_BYTES` of files submitted ahead of the one being consumed.
        """
        futures: dict[int, Future[FileResult]] = {}
        sizes: dict[int, int] = {}
        inflight = 0
        nxt = 0
        for i in range(len(tasks)):
            while (
                nxt < len(tasks)
                and len(futures) < INFLIGHT_FILES
                and (len(futures) <= self.workers or inflight < INFLIGHT_BYTES)
            ):
                task = tasks[nxt]
                if task is not None:
                    fut = self._submit(task)
                    if fut is not None:
                        futures[nxt] = fut
                        sizes[nxt] = task.size
                        inflight += task.size
                nxt += 1
            fut = futures.pop(i, None)
            if fut is None:
                yield None
                continue
            inflight -= sizes.pop(i)
            task = tasks[i]
            assert task is not None
            try:
                res = fut.result()
            except BrokenProcessPool:
                raise ReverieError(
                    f"an ingest worker process died while reading transcripts (first unfinished: {task.path}); "
                    f"the files stored before it are kept — run ingest again ({ENV_WORKERS}=0 reads in-process)"
                ) from None
            except Exception as err:  # a bug in a worker: one clear error, not a remote traceback
                raise ReverieError(f"ingest worker failed on {task.path}: {type(err).__name__}: {err}") from None
            STATS["files"] += 1
            STATS["worker_rss_mb"] = max(STATS["worker_rss_mb"], res.rss_kb / 1024)
            STATS["worker_cpu_s"][res.pid] = res.cpu_s
            yield res
