"""`reverie ingest` and `reverie watch`: thin handlers over dreamer.ingest / dreamer.watch."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import TYPE_CHECKING

import orjson

from reverie.console.output import Output

if TYPE_CHECKING:
    from reverie.dreamer.ingest import ProgressFn
    from reverie.dreamer.watch import WatchEvent
    from reverie.store.store import Store


def _open_store(args: argparse.Namespace) -> Store:
    """The workspace's store, created (and the workspace imported) when there is none yet."""
    from reverie.store.store import Store

    store = Store.open(args.workspace, args.db, create=True)
    if not store.initialized():  # a fresh database: create the root op, import the workspace
        store.init()
    return store


def _progress(out: Output, enabled: bool) -> ProgressFn | None:
    if not enabled or not sys.stderr.isatty():
        return None
    last = [0.0]

    def report(done: int, total: int, path: str) -> None:
        now = time.monotonic()
        if done == total or now - last[0] > 0.2:
            last[0] = now
            print(f"\ringest {done}/{total} files", end="" if done < total else "\n", file=sys.stderr, flush=True)

    return report


def cmd_ingest(args: argparse.Namespace, out: Output) -> int:
    from reverie.dreamer.ingest import ingest

    store = _open_store(args)
    try:
        report = ingest(store, args.workspace, args.transcripts, progress=_progress(out, not args.no_progress))
        from reverie.dreamer.observe import observe

        seen = observe(store, noticed_by="ingest")  # writes made while nothing watched
        text = report.text()
        if report.skipped:
            text += f"\n{len(report.skipped)} file(s) under --transcripts are not transcripts we read (--verbose lists them)"
        if seen.writes:
            text += f"\nobserved {len(seen.writes)} write(s) Reverie did not make: `reverie proposals --observed`"
        out.emit(report.to_dict() | {"observed": seen.to_dict()}, text)
    finally:
        store.close()
    return 0


def cmd_watch(args: argparse.Namespace, out: Output) -> int:
    """Print watcher events as JSON lines (also without --json: one line per event)."""
    from reverie.dreamer.watch import Watcher

    store = _open_store(args)
    lock = threading.Lock()

    def emit(event: WatchEvent) -> None:
        line = orjson.dumps(event.to_dict())
        with lock:
            sys.stdout.buffer.write(line + b"\n")
            sys.stdout.flush()

    watcher = Watcher(store.workspace, args.transcripts, emit, db_path=store.db_path)
    store.close()
    if args.once:
        watcher.scan_once()
        return 0
    watcher.start()
    try:
        deadline = None if args.duration is None else time.monotonic() + max(0.0, args.duration)
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.1 if deadline is None else min(0.1, max(0.0, deadline - time.monotonic())))
    finally:
        watcher.stop()
    return 0
