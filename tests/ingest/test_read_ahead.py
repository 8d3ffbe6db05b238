"""Reading ahead while the secret scanner loads stores exactly what a plain in-process ingest stores.

The read-ahead (`dreamer.ingest._ReadAhead`) holds raw, unredacted events in
memory only; these tests force it on for every file (scanner "still loading")
and compare full dumps of the sessions index, secrets included.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from reverie.dreamer import ingest as ingest_mod
from reverie.dreamer import scanner_load
from reverie.dreamer.ingest import ingest
from tests.ingest.fixtures import SECRET_VALUES
from tests.ingest.test_parallel import _corpus, _db, _dump, _report


def _force_loading(monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    """The scanner never reports ready and no loader thread starts: every line file is read ahead."""
    busy = threading.Lock()
    busy.acquire()
    monkeypatch.setattr(scanner_load, "READY", threading.Event())
    monkeypatch.setattr(scanner_load, "_STARTED", busy)
    monkeypatch.setattr(ingest_mod._ReadAhead, "READ_AHEAD_BYTES", limit)


@pytest.mark.parametrize("limit", [1, 10_000_000])
def test_read_ahead_stores_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    _corpus(tmp_path / "t")
    plain = _db(tmp_path / "plain.db")
    r1 = ingest(plain, tmp_path / "ws", [tmp_path / "t"], home=False, workers=0)
    _force_loading(monkeypatch, limit)
    ahead = _db(tmp_path / "ahead.db")
    r2 = ingest(ahead, tmp_path / "ws", [tmp_path / "t"], home=False, workers=0)
    assert r1.sessions == 6
    assert _dump(ahead) == _dump(plain)
    assert _report(r2) == _report(r1)
    raw = (tmp_path / "ahead.db").read_bytes() + (tmp_path / "ahead.db-wal").read_bytes()
    for name in ("anthropic", "github", "aws_secret", "password", "slack", "jwt", "openai", "google"):
        assert SECRET_VALUES[name].encode() not in raw, name


def test_read_ahead_then_append_continues_from_the_offset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _corpus(tmp_path / "t")
    _force_loading(monkeypatch, 10_000_000)
    db = _db(tmp_path / "a.db")
    ingest(db, tmp_path / "ws", [tmp_path / "t"], home=False, workers=0)
    before = db.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    again = ingest(db, tmp_path / "ws", [tmp_path / "t"], home=False, workers=0)
    assert again.files_read == 0 and again.new_events == 0
    assert db.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == before
    assert files  # the corpus had line files to read ahead


def test_forced_loading_really_reads_ahead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard for the tests above: with the scanner "loading", files go through `_read_ahead`, not `_read`."""
    _corpus(tmp_path / "t")
    _force_loading(monkeypatch, 10_000_000)
    seen: list[str] = []
    original = ingest_mod._Run._read_ahead

    def spy(self: ingest_mod._Run, job: ingest_mod._Job) -> ingest_mod._Ahead:
        seen.append(job.info.agent)
        return original(self, job)

    monkeypatch.setattr(ingest_mod._Run, "_read_ahead", spy)
    ingest(_db(tmp_path / "a.db"), tmp_path / "ws", [tmp_path / "t"], home=False, workers=0)
    assert "claude" in seen and "codex" in seen and "gemini" not in seen


def test_a_codex_message_held_past_the_end_of_a_read_is_stored_redacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Codex's injected context waits in the adapter's state for a twin that may come in a later append.

    The held event is redacted with the file's rows (no scan of its own, no wait for the scanner
    while reading ahead); the state stored with the file never holds it raw, on any path.
    """
    from reverie.dreamer import redact
    from tests.ingest.fixtures import SECRETS, codex_agent_turn, codex_envelope, codex_user_turn, write_jsonl

    sid = "019c8a6a-0000-7000-8000-00000000feed"
    context = ("response_item", {"type": "message", "role": "user", "content": [{"type": "input_text", "text": ""}]})
    context[1]["content"][0]["text"] = "<environment_context>token " + SECRETS["github"]
    path = tmp_path / "t" / f"rollout-2026-02-23T12-19-38-{sid}.jsonl"
    turns = codex_user_turn("hello") + codex_agent_turn("hi") + [context]
    write_jsonl(path, codex_envelope(sid, "/work/codex", turns))
    dbs = {}
    for name, forced in (("plain", False), ("ahead", True)):
        if forced:
            _force_loading(monkeypatch, 10_000_000)
        dbs[name] = db = _db(tmp_path / f"{name}.db")
        ingest(db, tmp_path / "ws", [tmp_path / "t"], home=False, workers=0)
        state = db.conn.execute("SELECT state FROM session_files").fetchone()[0]
        assert "pending" in state and SECRET_VALUES["github"] not in state
        assert "[REDACTED:" in state
    assert _dump(dbs["ahead"]) == _dump(dbs["plain"])
    with open(path, "a") as fh:  # no twin follows: the held message becomes a system event, redacted
        fh.write('{"timestamp": "t", "type": "event_msg", "payload": {"type": "agent_message", "message": "ok"}}\n')
    for db in dbs.values():
        ingest(db, tmp_path / "ws", [tmp_path / "t"], home=False, workers=0)
        texts = [r[0] for r in db.conn.execute("SELECT text FROM events WHERE kind = 'system'")]
        assert texts == [redact.redact("<environment_context>token " + SECRETS["github"])]
    assert _dump(dbs["ahead"]) == _dump(dbs["plain"])
