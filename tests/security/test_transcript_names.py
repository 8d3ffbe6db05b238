"""A transcript's path and file name never carry a token into the index; a deleted transcript leaves it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from reverie.console.cli import main
from reverie.dreamer.watch import SessionRemoved, Watcher
from tests.ingest.fixtures import Claude, codex_envelope, codex_user_turn, write_jsonl

TOKEN = "ghp_" + "Q7w8E9r0T1y2U3i4O5p6A7s8D9f0G1h2J3k4"


def _raw_db(workspace: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (workspace / ".reverie").iterdir() if p.name.startswith("reverie.db"))


def test_a_token_in_a_file_name_reaches_neither_the_index_nor_any_output(
    tmp_path: Path, workspace: Path, capsysbinary
) -> None:
    root = tmp_path / "transcripts"
    c = Claude(session_id=f"sess-{TOKEN}", cwd=str(workspace))
    write_jsonl(root / f"{TOKEN}.jsonl", [c.user("use pnpm here"), c.text("ok")])
    write_jsonl(
        root / f"rollout-2026-02-23T12-19-38-{TOKEN}.jsonl",
        codex_envelope(TOKEN, str(workspace), codex_user_turn("run the tests with -x")),
    )
    for _ in range(2):  # the second run finds the files by their redacted keys: nothing is read twice
        assert main(["ingest", "--json", "-w", str(workspace), "--transcripts", str(root)]) == 0
        out = capsysbinary.readouterr()
        assert TOKEN.encode() not in out.out + out.err
    doc = json.loads(out.out)
    assert doc["sessions"] == 2 and doc["new_events"] == 0 and doc["files_read"] == 0
    assert main(["watch", "--once", "-w", str(workspace), "--transcripts", str(root)]) == 0
    out = capsysbinary.readouterr()
    assert TOKEN.encode() not in out.out + out.err
    assert TOKEN.encode() not in _raw_db(workspace)
    conn = sqlite3.connect(workspace / ".reverie" / "reverie.db")
    paths = [r[0] for r in conn.execute("SELECT path FROM session_files")] + [
        r[0] for r in conn.execute("SELECT path || id FROM sessions")
    ]
    conn.close()
    assert paths and all("[REDACTED:" in p for p in paths)


def test_a_deleted_transcript_is_removed_from_the_index_and_watch_says_so(tmp_path: Path, workspace: Path) -> None:
    root = tmp_path / "transcripts"
    keep, gone = Claude(cwd=str(workspace)), Claude(cwd=str(workspace))
    write_jsonl(root / f"{keep.session_id}.jsonl", [keep.user("always use pnpm"), keep.text("ok")])
    doomed = write_jsonl(root / f"{gone.session_id}.jsonl", [gone.user("never edit dist/"), gone.text("ok")])
    seen: list = []
    watcher = Watcher(workspace, [root], seen.append, home=False)
    watcher.scan_once()
    doomed.unlink()
    events = watcher.scan_once()
    assert [e.session_id for e in events if isinstance(e, SessionRemoved)] == [gone.session_id]
    assert SessionRemoved(session_id=gone.session_id, time="t").to_dict()["event"] == "session_removed"
    conn = sqlite3.connect(workspace / ".reverie" / "reverie.db")
    sessions = {r[0] for r in conn.execute("SELECT id FROM sessions")}
    events_left = conn.execute("SELECT count(*) FROM events WHERE session_id = ?", (gone.session_id,)).fetchone()[0]
    conn.close()
    assert sessions == {keep.session_id} and events_left == 0
    assert not [e for e in watcher.scan_once() if isinstance(e, SessionRemoved)]  # said once
