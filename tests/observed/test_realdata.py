"""Real sessions that edited Claude Code's auto memory (FSM1/cipher-box): attribution on real transcripts.

The two sessions edit `~/.claude/projects/-Users-michael-Code-cipher-box/memory/MEMORY.md`
half an hour apart; each Edit's tool result carries the file as it was
(`originalFile`), so the test rebuilds the real bytes in a temporary HOME, plays
each write at its real time, and checks that Reverie names the session and the
call — from transcripts recorded on another machine, read in place.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reverie.dreamer.attribution import epoch
from tests.observed.helpers import catch_up, memory_dir
from tests.shared_data import shared_dir

SESSIONS = "FSM1__cipher-box/transcripts/13/ca730c9231"
CALLS = {
    "1": ("toolu_01RhrCGtCJ9W2Rsi54dRi6J7", "1cd4e81e-c965-4804-bcb3-528cd9728724"),
    "2": ("toolu_01HogwHqRawpi1Y8UkdETnvs", "c621c551-bbcb-42d6-84b9-a00ab6ce4681"),
}


def _realdata2() -> Path:
    root = shared_dir("realdata2")
    if root is None or not (root / "realdata2" / SESSIONS).is_dir():
        pytest.skip("../shared/realdata2 not found (fresh clone): real-data test skipped")
    return root / "realdata2"


def _edit(path: Path, tool_id: str) -> tuple[dict, dict]:
    """(the assistant record with the Edit call, its tool result's toolUseResult)."""
    call = result = None
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if tool_id not in line:
                continue
            rec = json.loads(line)
            if rec.get("type") == "assistant":
                call = rec
            elif isinstance(rec.get("toolUseResult"), dict):
                result = rec["toolUseResult"]
    assert call is not None and result is not None
    return call, result


def test_real_auto_memory_edits_are_attributed_to_their_session_and_call(workspace: Path) -> None:
    from reverie.dreamer.observe import observe
    from reverie.store.core import Store

    root = _realdata2() / SESSIONS
    edits = {}
    for n, (tool_id, _sid) in CALLS.items():
        rec, res = _edit(root / n / "full.jsonl", tool_id)
        inp = rec["message"]["content"][0]["input"]
        edits[n] = (rec, res["originalFile"], res["originalFile"].replace(inp["old_string"], inp["new_string"], 1))
    assert edits["1"][2] == edits["2"][1]  # the second session started from the first one's result

    mem = memory_dir(workspace)
    mem.mkdir(parents=True)
    index = mem / "MEMORY.md"
    index.write_text(edits["1"][1], encoding="utf-8")
    store = Store.open(workspace, create=True)
    store.init()
    observe(store, noticed_by="init")
    for n, (_tool_id, sid) in CALLS.items():
        rec, original, after = edits[n]
        assert index.read_text(encoding="utf-8") == original
        index.write_text(after, encoding="utf-8")
        when = epoch(rec["timestamp"]) + 1.0  # Claude Code wrote the file right after the call
        os.utime(index, (when, when))
        (w,) = catch_up(store, [root / n]).writes
        p = store.proposal(w.proposal)
        assert (w.writer, w.tool, w.session_id) == ("agent", "Edit", sid)
        assert p.evidence[0].event_uuid == rec["uuid"]
        assert p.meta["observed"]["how"] == "content"
        assert p.before == original and p.after == after
        if n == "1":
            store.approve([w.proposal])  # kept: the reviewed bytes for the next write
    store.reject([w.proposal])
    assert index.read_text(encoding="utf-8") == edits["1"][2]


def test_every_real_write_to_an_agent_file_is_attributed_to_its_call() -> None:
    """All reconstructible Write/Edit/MultiEdit calls on CLAUDE.md, AGENTS.md and auto memory in ../shared."""
    from tests.observed.replay_real import play, real_writes, shared_root

    root = shared_root()
    if root is None:
        pytest.skip("../shared not found (fresh clone): real-data test skipped")
    results = [(w, *play(w)) for w in real_writes(root)]
    assert len(results) >= 14
    wrong = [(str(w.transcript), said) for w, ok, said in results if not ok and said != "ingest skipped the transcript"]
    assert wrong == []
    assert sum(ok for _w, ok, _said in results) >= 14
