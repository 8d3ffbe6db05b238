"""Every file under --transcripts is told by its content, never its name; the rest is listed with why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reverie.dreamer.discovery import sniff_file
from reverie.dreamer.ingest import ingest
from reverie.store.sessions import SessionIndex
from tests.conftest import realdata_or_skip
from tests.ingest.fixtures import Claude, codex_envelope, codex_user_turn, gemini_doc, write_jsonl

GEMINI = gemini_doc(
    "gem-jsonl",
    [
        {"id": "m1", "timestamp": "2026-06-05T04:59:42Z", "type": "user", "content": [{"text": "use uv, not pip"}]},
        {"id": "m2", "timestamp": "2026-06-05T04:59:44Z", "type": "gemini", "content": "ok"},
    ],
)


def test_formats_whatever_their_names(db, tmp_path: Path) -> None:
    t = tmp_path / "t"
    (t / "gemini").mkdir(parents=True)
    (t / "gemini" / "chat.jsonl").write_text(json.dumps(GEMINI) + "\n")  # a whole chat on one line, named .jsonl
    pretty = dict(GEMINI, sessionId="gem-pretty")
    (t / "gemini" / "pretty.jsonl").write_text(json.dumps(pretty, indent=2))  # pretty-printed, named .jsonl
    c = Claude(cwd="/w")
    write_jsonl(t / "claude" / "export.txt", [c.user("hello")])  # a Claude transcript named .txt
    write_jsonl(t / "codex" / "log", codex_envelope("cx-1", "/w", codex_user_turn("hi")))  # no extension at all
    (t / "notes.md").write_text("# my notes\n")
    (t / "metadata.json").write_text(json.dumps({"checkpoint_id": "x", "agent": "claude"}))
    write_jsonl(t / "pi.jsonl", [{"type": "session", "version": 3}, {"type": "message"}])
    (t / "empty.jsonl").write_text("")
    report = ingest(db, tmp_path / "ws", [t], home=False)
    assert sorted(report.by_agent) == ["claude", "codex", "gemini"]
    assert report.by_agent["gemini"].sessions == 2
    ids = {row["id"] for row in SessionIndex(db).sessions()}
    assert {"gem-jsonl", "gem-pretty", c.session_id, "cx-1"} <= ids
    why = {Path(s["path"]).name: s["reason"] for s in report.skipped}
    assert why == {
        "notes.md": "not JSON (not a Claude Code, Codex or Gemini CLI transcript)",
        "metadata.json": "a JSON document, but not a Gemini CLI chat (agent, checkpoint_id)",
        "pi.jsonl": "JSON lines, but not Claude Code or Codex records",
        "empty.jsonl": "empty",
    }
    assert report.to_dict()["skipped"] == report.skipped
    again = ingest(db, tmp_path / "ws", [t], home=False)  # remembered skips are listed again, with their reason
    assert {Path(s["path"]).name for s in again.skipped} == set(why)


def test_dream_json_lists_skipped_files(tmp_path: Path) -> None:
    from reverie.dreamer.dream import run_dream
    from reverie.store.store import Store

    ws = tmp_path / "ws"
    ws.mkdir()
    t = tmp_path / "t"
    t.mkdir()
    (t / "prompt.txt").write_text("fix the bug")
    (t / "chat.jsonl").write_text(json.dumps(GEMINI))
    store = Store.open(ws, create=True)
    try:
        store.init()
        doc = run_dream(store, transcripts=[t], options={"home": False}).to_json()
    finally:
        store.close()
    assert doc["sessions_read"] == 1
    assert [(Path(s["path"]).name, s["reason"]) for s in doc["skipped_files"]] == [
        ("prompt.txt", "not JSON (not a Claude Code, Codex or Gemini CLI transcript)")
    ]


@pytest.mark.parametrize(
    "corpus",
    [
        "realdata2/FSM1__cipher-box/transcripts",
        "realdata/kvsankar__agent-history",
        "realdata2/JanDeDobbeleer__oh-my-posh/transcripts",
    ],
)
def test_real_corpora_are_sniffed_by_content(corpus: str) -> None:
    root = realdata_or_skip().parent / corpus
    if not root.is_dir():
        pytest.skip(f"{root} not found")
    seen: dict[str, str] = {}
    full: set[str] = set()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        s = sniff_file(str(path))
        seen[path.name] = s.info.agent if s.info else s.reason
        if path.name == "full.jsonl":
            full.add(seen[path.name])
    transcripts = {name: kind for name, kind in seen.items() if kind in ("claude", "codex", "gemini")}
    assert transcripts, "every real corpus holds transcripts"
    if "cipher-box" in corpus:
        assert seen["full.jsonl"] == "claude" and seen["prompt.txt"].startswith("not JSON")
        assert seen["metadata.json"].startswith("a JSON document, but not a Gemini CLI chat")
    if "oh-my-posh" in corpus:
        assert full == {"claude"}  # one of them opens with a record type newer than the sniffer's list


def test_unknown_leading_records_do_not_hide_a_transcript(db, tmp_path: Path) -> None:
    """A transcript may open with bookkeeping records newer than our code knows (a mode switch, a note):
    the agent is told by the first record that has its shape, a few records in."""
    t = tmp_path / "t"
    c = Claude(cwd="/w")
    newer = {"type": "display-mode", "mode": "compact", "sessionId": c.session_id}
    note = {"kind": "annotation", "text": "opened from the IDE"}
    queued = {
        "type": "queue-operation",
        "operation": "enqueue",
        "timestamp": "2026-06-01T10:00:00Z",
        "sessionId": c.session_id,
        "content": "tidy the readme",
    }
    write_jsonl(t / "a" / "session.log", [newer, note, queued, c.user("tidy the readme")])
    s = sniff_file(str(t / "a" / "session.log"))
    assert s.info is not None and s.info.agent == "claude" and s.info.session_id == c.session_id
    report = ingest(db, tmp_path / "ws", [t], home=False)
    assert report.by_agent["claude"].sessions == 1 and not report.skipped
    # many unknown records first, or lines that are not objects: still not a transcript
    write_jsonl(t / "b" / "many.jsonl", [{"type": f"x{i}", "n": i} for i in range(12)] + [c.user("late")])
    assert sniff_file(str(t / "b" / "many.jsonl")).reason == "JSON lines, but not Claude Code or Codex records"
    write_jsonl(t / "b" / "arrays.jsonl", [[1, 2], c.user("after an array")])
    assert sniff_file(str(t / "b" / "arrays.jsonl")).info is None


def test_a_legacy_codex_rollout_is_told_by_any_item_the_adapter_reads(tmp_path: Path) -> None:
    """The sniffer and the Codex adapter share one list of response items, so a rollout that opens
    with a burst of shell call outputs (more than the unknown records the sniffer skips) is a Codex
    transcript, not a skipped file."""
    path = tmp_path / "rollout.jsonl"
    write_jsonl(
        path,
        [{"type": "local_shell_call_output", "call_id": f"call_{i}", "output": "ok"} for i in range(12)]
        + [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "run the tests"}]}],
    )
    s = sniff_file(str(path))
    assert s.info is not None and s.info.agent == "codex", s.reason
