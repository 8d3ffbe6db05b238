"""The multi-process cold ingest stores exactly what the in-process one stores, and fails clearly.

Each test runs the same corpus through `ingest(..., workers=0)` (in-process) and
`workers=2` (`dreamer.ingest_parallel`) into two real SQLite files and compares
full dumps of the sessions index.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from reverie.dreamer import ingest_parallel
from reverie.dreamer.ingest import ingest
from reverie.store.errors import ReverieError
from reverie.store.sessions import SessionIndex
from tests.ingest.fixtures import (
    REJECTION,
    SECRET_VALUES,
    SECRETS,
    Claude,
    append_jsonl,
    codex_agent_turn,
    codex_call,
    codex_envelope,
    codex_user_turn,
    gemini_doc,
    write_jsonl,
)


def _db(path: Path) -> sqlite_utils.Database:
    d = sqlite_utils.Database(path)
    d.conn.execute("PRAGMA journal_mode = WAL")
    SessionIndex(d)
    return d


def _dump(db: sqlite_utils.Database) -> list[Any]:
    """Every row of the sessions index except the write times."""
    out: list[Any] = []
    for table, order in (("sessions", "id"), ("events", "id"), ("session_files", "path")):
        cur = db.conn.execute(f"SELECT * FROM {table} ORDER BY {order}")
        cols = [d[0] for d in cur.description]
        out.extend((table, {c: v for c, v in zip(cols, row, strict=False) if c != "updated_at"}) for row in cur)
    return out


def _report(r: Any) -> dict[str, Any]:
    d = r.to_dict()
    d.pop("seconds")
    d.pop("workers")  # how it was read, not what
    return d


def _corpus(root: Path) -> dict[str, Path]:
    """Claude (all subagent layouts, quirks, secrets), Codex (envelope + legacy), Gemini, odd lines."""
    files: dict[str, Path] = {}
    for n in range(3):
        c = Claude(cwd=f"/work/p{n}")
        call, tid = c.tool_use("Bash", {"command": f"export API_TOKEN={SECRETS['github']} && make", "n": n})
        rej, rid = c.tool_use("Edit", {"file_path": "a.py", "old_string": "x", "new_string": "y" * 20000})
        task, task_id = c.tool_use("Task", {"prompt": "look"})
        recs = [
            c.user(f"prompt {n} with {SECRETS['anthropic']}"),
            call,
            c.tool_result(tid, "boom\nexit 1", is_error=True),
            rej,
            c.tool_result(rid, REJECTION, is_error=True),
            task,
            c.tool_result(task_id, [{"type": "text", "text": "report " + SECRETS["aws_secret"]}]),
            c.user("[Request interrupted by user]"),
            c.text("part", msg_id="msg_same"),
            c.text("part", msg_id="msg_same"),
            c.system("compact_boundary", "x", compactMetadata={"trigger": "auto"}),
            c.user("continued", isCompactSummary=True),
            {"type": "summary", "summary": f"title {n}", "leafUuid": "x"},
            c.tool_result("toolu_none", "", tool_use_result={"stdout": "out " + SECRETS["password"]}),
        ]
        raw = [json.dumps(c.user("a")) + json.dumps(c.user("b")), '{"type": "user", "broken', ""]
        path = write_jsonl(root / f"proj{n}" / f"{c.session_id}.jsonl", recs + [c.user("x" * 200)] * 30, raw)
        files[f"claude{n}"] = path
        side = Claude(c.session_id, cwd=c.cwd, sidechain=True)
        files[f"beside{n}"] = write_jsonl(
            root / f"proj{n}" / "agent-a1.jsonl", [side.user("sub " + SECRETS["slack"]), side.text("done")]
        )
        nested = Claude(c.session_id, cwd=c.cwd, sidechain=True)
        files[f"nested{n}"] = write_jsonl(
            root / f"proj{n}" / c.session_id / "subagents" / "agent-b2.jsonl",
            [nested.user("nested"), nested.text("answer " + SECRETS["jwt"])],
        )
    sid = "019c8a6a-0000-7000-8000-00000000c0de"
    items = (
        codex_user_turn("fix it " + SECRETS["openai"])
        + codex_agent_turn("ok")
        + codex_call("shell", {"command": ["bash", "-lc", "ls"]}, "Exit code: 2\nno")
        + [
            (
                "response_item",
                {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "<environment_context>x"}],
                },
            )
        ]
        + codex_user_turn("next")
    )
    files["codex"] = write_jsonl(
        root / "codex" / f"rollout-2026-02-23T12-19-38-{sid}.jsonl", codex_envelope(sid, "/work/codex", items)
    )
    legacy = "0199aaaa-0000-7000-8000-00000000beef"
    files["legacy"] = write_jsonl(
        root / "codex" / f"rollout-2025-01-01T00-00-00-{legacy}.jsonl",
        [
            {"id": legacy, "timestamp": "2025-01-01T00:00:00Z", "instructions": None},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "legacy prompt"}]},
            {"record_type": "state"},
        ],
    )
    gid = "6f2c7a8e-0000-4000-8000-00000000gem1"
    doc = gemini_doc(
        gid,
        [
            {"id": "m1", "type": "user", "content": "gemini " + SECRETS["google"]},
            {
                "id": "m2",
                "type": "gemini",
                "content": "sure",
                "toolCalls": [
                    {
                        "id": "t1",
                        "name": "run_shell_command",
                        "args": {"command": "ls"},
                        "status": "error",
                        "result": "denied",
                    }
                ],
            },
        ],
    )
    files["gemini"] = root / "gemini" / "chats" / f"session-{gid}.json"
    files["gemini"].parent.mkdir(parents=True)
    files["gemini"].write_text(json.dumps(doc))
    (root / "empty.jsonl").write_text("")
    return files


def _both(tmp_path: Path, corpus: Path, **kw: Any) -> tuple[Any, Any, sqlite_utils.Database, sqlite_utils.Database]:
    serial, parallel = _db(tmp_path / "serial.db"), _db(tmp_path / "parallel.db")
    r1 = ingest(serial, tmp_path / "ws", [corpus], home=False, workers=0, **kw)
    assert not ingest_parallel.STATS or ingest_parallel.STATS.get("workers") != 0
    ingest_parallel.STATS.clear()
    r2 = ingest(parallel, tmp_path / "ws", [corpus], home=False, workers=2, **kw)
    return r1, r2, serial, parallel


def test_parallel_stores_exactly_what_in_process_stores(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _corpus(tmp_path / "t")
    with caplog.at_level(logging.WARNING, logger="dreamer"):
        serial, parallel = _db(tmp_path / "serial.db"), _db(tmp_path / "parallel.db")
        r1 = ingest(serial, tmp_path / "ws", [tmp_path / "t"], home=False, workers=0)
        serial_warnings = [r.getMessage() for r in caplog.records]
        caplog.clear()
        r2 = ingest(parallel, tmp_path / "ws", [tmp_path / "t"], home=False, workers=2)
        parallel_warnings = [r.getMessage() for r in caplog.records]
    assert ingest_parallel.STATS["files"] >= 10  # the workers really read the line files
    assert _dump(parallel) == _dump(serial)
    assert _report(r2) == _report(r1)
    assert r1.sessions == 6 and r1.malformed_lines == 3  # 3 Claude, 2 Codex, 1 Gemini
    # malformed lines are named file:line, in the same order, by both paths
    assert parallel_warnings == serial_warnings
    assert sum(":" in w and "malformed JSON line" in w for w in parallel_warnings) == 3
    raw = (tmp_path / "parallel.db").read_bytes() + (tmp_path / "parallel.db-wal").read_bytes()
    for name, value in SECRET_VALUES.items():
        if name in ("anthropic", "github", "aws_secret", "password", "slack", "jwt", "openai", "google"):
            assert value.encode() not in raw, name


def test_parallel_incremental_append_and_reset_match_in_process(tmp_path: Path) -> None:
    files = _corpus(tmp_path / "t")
    serial, parallel = _db(tmp_path / "serial.db"), _db(tmp_path / "parallel.db")
    for d, w in ((serial, 0), (parallel, 2)):
        ingest(d, tmp_path / "ws", [tmp_path / "t"], home=False, workers=w)
    c = Claude(files["claude0"].stem, cwd="/work/p0")
    append_jsonl(files["claude0"], [c.user("appended " + SECRETS["stripe"]), c.text("more")])
    append_jsonl(files["claude1"], [c.user("grown")])
    with open(files["codex"], "a") as fh:
        fh.write(
            json.dumps({"timestamp": "t", "type": "event_msg", "payload": {"type": "user_message", "message": "late"}})
            + "\n"
        )
    c2 = Claude(files["claude2"].stem)
    write_jsonl(files["claude2"], [c2.user("replaced whole")])  # shorter: the session is read again
    reports = [
        ingest(d, tmp_path / "ws", [tmp_path / "t"], home=False, workers=w) for d, w in ((serial, 0), (parallel, 2))
    ]
    assert _report(reports[1]) == _report(reports[0])
    assert reports[0].reset_sessions == [files["claude2"].stem]
    assert _dump(parallel) == _dump(serial)
    again = ingest(parallel, tmp_path / "ws", [tmp_path / "t"], home=False, workers=2)
    assert (again.files_read, again.new_events) == (0, 0)


def test_worker_crash_is_one_clear_error_and_a_rerun_completes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _corpus(tmp_path / "t")
    serial = _db(tmp_path / "serial.db")
    ingest(serial, tmp_path / "ws", [tmp_path / "t"], home=False, workers=0)
    parallel = _db(tmp_path / "parallel.db")
    monkeypatch.setenv(ingest_parallel.ENV_TEST_FAIL, "exit:" + files["claude1"].name)
    with pytest.raises(ReverieError, match="ingest worker process died"):
        ingest(parallel, tmp_path / "ws", [tmp_path / "t"], home=False, workers=2)
    stored = {r[0] for r in parallel.conn.execute("SELECT path FROM session_files WHERE agent != ''")}
    assert str(files["claude1"]) not in stored  # nothing half-stored
    monkeypatch.delenv(ingest_parallel.ENV_TEST_FAIL)
    ingest(parallel, tmp_path / "ws", [tmp_path / "t"], home=False, workers=2)
    # a resumed run stores a session's cwd again at its first new event (sparse cwd is per run),
    # so compare what readers see: sessions rows and every session's events with cwd filled in
    sessions = [row for row in _dump(serial) if row[0] == "sessions"]
    assert [row for row in _dump(parallel) if row[0] == "sessions"] == sessions and len(sessions) == 6
    assert _events(parallel) == _events(serial)


def _events(db: sqlite_utils.Database) -> dict[str, list[Any]]:
    index = SessionIndex(db)
    return {sid: [dataclasses.asdict(e) for e in index.iter_events(sid)] for sid in index.session_ids()}


def test_worker_exception_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _corpus(tmp_path / "t")
    monkeypatch.setenv(ingest_parallel.ENV_TEST_FAIL, "raise:" + files["codex"].name)
    with pytest.raises(ReverieError) as err:
        ingest(_db(tmp_path / "p.db"), tmp_path / "ws", [tmp_path / "t"], home=False, workers=2)
    assert str(err.value).startswith(f"ingest worker failed on {files['codex']}: RuntimeError")


def test_file_removed_before_its_worker_reads_it_is_a_logged_skip(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "t"
    paths = []
    for n in range(24):  # more files than the workers take ahead of the one being stored
        c = Claude()
        paths.append(write_jsonl(root / f"s{n:02d}" / f"{c.session_id}.jsonl", [c.user(f"p{n}"), c.text("a")]))
    last = paths[-1]

    def progress(done: int, total: int, path: str) -> None:
        if done == 0:
            last.unlink()

    with caplog.at_level(logging.WARNING, logger="dreamer"):
        report = ingest(_db(tmp_path / "p.db"), tmp_path / "ws", [root], progress, home=False, workers=2)
    assert report.sessions == 23 and report.files_read == 23
    assert any(r.getMessage().startswith(f"cannot read {last}:") for r in caplog.records)


_PARENT_PROBE = """
import json, sys
from pathlib import Path
import sqlite_utils
from reverie.dreamer import redact
from reverie.dreamer.ingest import ingest
from reverie.store.sessions import SessionIndex
db = sqlite_utils.Database(sys.argv[1])
SessionIndex(db)
ingest(db, Path(sys.argv[2]), [Path(sys.argv[3])], home=False, workers=2)
keys = [r[0] for r in db.conn.execute("SELECT path FROM session_files ORDER BY path")]
print(json.dumps({"scanner": redact._scanner is not None, "gate": redact._gate is not None, "keys": keys}))
"""


def test_parallel_parent_never_loads_the_scanner_and_stores_redacted_keys(tmp_path: Path) -> None:
    """Workers redact everything, file keys included: the parent never pays the scanner's load."""
    corpus = tmp_path / "t"
    c = Claude(cwd="/work/p")
    write_jsonl(corpus / "a" / f"{c.session_id}.jsonl", [c.user("hello"), c.text("hi")])
    d = Claude(cwd="/work/p")
    token_dir = corpus / f"leak-{SECRET_VALUES['github']}"
    write_jsonl(token_dir / f"{d.session_id}.jsonl", [d.user("again"), d.text("ok")])
    probe = subprocess.run(
        [sys.executable, "-c", _PARENT_PROBE, str(tmp_path / "p.db"), str(tmp_path / "ws"), str(corpus)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(probe.stdout.splitlines()[-1])
    assert seen["scanner"] is False and seen["gate"] is False
    assert len(seen["keys"]) == 2 and not any(SECRET_VALUES["github"] in k for k in seen["keys"])
    serial = _db(tmp_path / "s.db")
    ingest(serial, tmp_path / "ws", [corpus], home=False, workers=0)
    assert seen["keys"] == [r[0] for r in serial.conn.execute("SELECT path FROM session_files ORDER BY path")]


def test_cancel_stops_between_files_and_keeps_what_was_stored(tmp_path: Path) -> None:
    root = tmp_path / "t"
    for n in range(12):
        c = Claude()
        write_jsonl(root / f"s{n:02d}" / f"{c.session_id}.jsonl", [c.user(f"p{n}"), c.text("a")])
    seen: list[int] = []
    report = ingest(
        _db(tmp_path / "p.db"),
        tmp_path / "ws",
        [root],
        lambda d, t, p: seen.append(d),
        home=False,
        cancel=lambda: len(seen) >= 5,
        workers=2,
    )
    assert report.files_read == 5 and report.sessions == 5
    assert seen == [0, 1, 2, 3, 4, 12]  # then progress(total, total): done


def test_choose_workers_only_when_it_pays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ingest_parallel.ENV_WORKERS, raising=False)
    monkeypatch.setattr(ingest_parallel, "cpu_count", lambda: 2)
    monkeypatch.setattr(ingest_parallel, "AUTO", True)
    big = ingest_parallel.MIN_BYTES
    assert ingest_parallel.choose_workers(None, [big, big]) == 2
    assert ingest_parallel.choose_workers(None, [1000, 2000]) == 0  # small / incremental: in-process
    assert ingest_parallel.choose_workers(None, [2 * big]) == 0  # one file
    assert ingest_parallel.choose_workers(None, [ingest_parallel.MAX_FILE_BYTES + 1] * 3) == 0
    assert ingest_parallel.choose_workers(0, [big, big]) == 0
    assert ingest_parallel.choose_workers(2, [10, 10, 10]) == 2
    monkeypatch.setattr(ingest_parallel, "cpu_count", lambda: 1)
    assert ingest_parallel.choose_workers(None, [big, big]) == 0
    monkeypatch.setattr(ingest_parallel, "cpu_count", lambda: 4)
    monkeypatch.setenv(ingest_parallel.ENV_WORKERS, "1")
    assert ingest_parallel.choose_workers(None, [big, big]) == 0
    monkeypatch.delenv(ingest_parallel.ENV_WORKERS)
    got: list[int] = []
    t = threading.Thread(target=lambda: got.append(ingest_parallel.choose_workers(None, [big, big])))
    t.start()
    t.join()
    assert got == [0]  # a background thread (watcher, console) reads in-process
