"""The watcher sees appends, atomic renames, truncations and hand edits; ignores its own writes."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import queue
import time
from pathlib import Path

import pytest

from reverie.dreamer.watch import ArtifactEdited, SessionAdded, SessionGrown, SessionReset, Watcher, WatcherNotice
from tests.ingest.fixtures import Claude, append_jsonl, write_jsonl

WAIT = 15.0


def _wait_for(q: queue.Queue, pred, timeout: float = WAIT):
    """Bounded wait on the watcher's queue for an event matching `pred`; fails the test on timeout."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            ev = q.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(ev)
        if pred(ev):
            return ev
    pytest.fail(f"no matching watcher event within {timeout}s; saw {[e.to_dict() for e in seen]}")


@pytest.fixture(params=["native", "polling"])
def watcher(request, tmp_path: Path, workspace: Path):
    q: queue.Queue = queue.Queue()
    tdir = tmp_path / "transcripts"
    tdir.mkdir()
    w = Watcher(
        workspace,
        [tdir],
        q.put,
        db_path=tmp_path / "w.db",
        home=False,
        debounce=0.1,
        reconcile_every=60,
        force_polling=request.param == "polling",
        polling_interval=0.2,
    )
    w.start()
    yield w, q, tdir, workspace
    w.stop()


def test_append_atomic_rename_and_truncate(watcher) -> None:
    _w, q, tdir, _ws = watcher
    c = Claude()
    path = write_jsonl(tdir / f"{c.session_id}.jsonl", [c.user("one")])
    ev = _wait_for(q, lambda e: isinstance(e, SessionAdded))
    assert ev.session_id == c.session_id and ev.events == 1
    append_jsonl(path, [c.user("two"), c.user("three")])
    ev = _wait_for(q, lambda e: isinstance(e, SessionGrown))
    assert ev.new_events == 2 and ev.events == 3
    # atomic save: write a temp file, rename it over the transcript
    tmp = tdir / "tmp-write.part"
    tmp.write_text(path.read_text() + json.dumps(c.user("four")) + "\n")
    os.replace(tmp, path)
    ev = _wait_for(q, lambda e: isinstance(e, (SessionReset, SessionGrown)) and e.events == 4)
    with open(path, "r+") as fh:
        fh.truncate(0)
        fh.write(json.dumps(Claude(c.session_id).user("fresh")) + "\n")
    ev = _wait_for(q, lambda e: isinstance(e, SessionReset))
    assert ev.events == 1


def test_transcript_told_by_content_not_name(watcher) -> None:
    """The watcher uses ingest's sniffing: a transcript saved as `.log` is seen, a `.json` that is not one is not."""
    _w, q, tdir, _ws = watcher
    (tdir / "metadata.json").write_text(json.dumps({"checkpoint_id": "c1"}))
    c = Claude()
    write_jsonl(tdir / "export" / "session.log", [{"type": "display-mode", "sessionId": c.session_id}, c.user("hi")])
    ev = _wait_for(q, lambda e: isinstance(e, SessionAdded))
    assert ev.session_id == c.session_id
    assert _w._classify(str(tdir / "metadata.json")) == ""
    assert _w._classify(str(tdir / "export" / "session.log")) == "transcript"
    assert _w._classify(str(_ws / "package.json")) == ""  # workspace files are never sniffed


def test_hand_edit_versus_own_write(watcher) -> None:
    w, q, _tdir, ws = watcher
    claude_md = ws / "CLAUDE.md"
    tmp = ws / ".CLAUDE.md.tmp"
    tmp.write_text("# project\n")
    os.replace(tmp, claude_md)  # an editor's atomic save
    ev = _wait_for(q, lambda e: isinstance(e, ArtifactEdited))
    assert ev.path == "CLAUDE.md" and ev.managed is False and ev.deleted is False
    own = b"# written by reverie\n"
    w.ignore(claude_md, hashlib.sha256(own).hexdigest())
    claude_md.write_bytes(own)
    (ws / ".claude" / "rules").mkdir(parents=True)
    (ws / ".claude" / "rules" / "x.md").write_text("rule\n")
    ev = _wait_for(q, lambda e: isinstance(e, ArtifactEdited))
    assert ev.path == ".claude/rules/x.md"  # the ignored own write produced no event first
    claude_md.unlink()
    ev = _wait_for(q, lambda e: isinstance(e, ArtifactEdited) and e.deleted)
    assert ev.path == "CLAUDE.md"


class _LimitedObserver:
    """A watchdog observer whose schedule fails like inotify at its watch limit."""

    def start(self) -> None:
        pass

    def schedule(self, *a, **k) -> None:
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    def stop(self) -> None:
        pass

    def join(self, timeout=None) -> None:
        pass


def test_falls_back_to_polling_when_inotify_limit_hit(tmp_path: Path, workspace: Path) -> None:
    q: queue.Queue = queue.Queue()
    tdir = tmp_path / "t"
    tdir.mkdir()
    w = Watcher(
        workspace,
        [tdir],
        q.put,
        db_path=tmp_path / "w.db",
        home=False,
        debounce=0.1,
        observer_factory=_LimitedObserver,
        polling_interval=0.2,
    )
    w.start()
    try:
        _wait_for(q, lambda e: isinstance(e, WatcherNotice) and "polling" in e.message)
        assert w.polling
        c = Claude()
        write_jsonl(tdir / f"{c.session_id}.jsonl", [c.user("hello")])
        ev = _wait_for(q, lambda e: isinstance(e, SessionAdded))
        assert ev.session_id == c.session_id
    finally:
        w.stop()


def test_reconciliation_finds_what_events_missed(tmp_path: Path, workspace: Path) -> None:
    """scan_once is the reconciliation pass: files written while nobody watched are found."""
    tdir = tmp_path / "t"
    c = Claude()
    write_jsonl(tdir / f"{c.session_id}.jsonl", [c.user("missed")])
    got: list = []
    w = Watcher(workspace, [tdir], got.append, db_path=tmp_path / "w.db", home=False)
    events = w.scan_once()
    assert [type(e) for e in events] == [SessionAdded] and got == events
    append_jsonl(tdir / f"{c.session_id}.jsonl", [c.user("also missed")])
    assert [type(e) for e in w.scan_once()] == [SessionGrown]
    assert w.scan_once() == []
    w.stop()
