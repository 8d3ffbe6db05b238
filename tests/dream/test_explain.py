"""`reverie dream --explain`: every candidate moment, with what the dream did and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reverie.console.cli import main
from reverie.dreamer.ledger import EXPLAIN_NAMESPACE, why_not
from reverie.dreamer.scenarios import build_scenario
from reverie.store.store import Store


def test_explain_lists_kept_and_dropped_moments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws, tr = tmp_path / "ws", tmp_path / "tr"
    build_scenario("repeated_correction", ws, transcripts=tr)
    assert (
        main(["dream", "--workspace", str(ws), "--transcripts", str(tr), "--json", "--no-progress", "--explain"]) == 0
    )
    doc = json.loads(capsys.readouterr().out)
    entries = doc["explain"]
    ids = {p["id"] for p in doc["proposals"]}
    kept = [e for e in entries if e["decision"] == "kept"]
    dropped = [e for e in entries if e["decision"] == "dropped"]
    assert kept and all(e["proposal"] in ids for e in kept), "kept moments name their proposal by id"
    assert any(e["turn"] == "correction" and e["after"] in ("command", "rejection") for e in kept)
    task = next(e for e in dropped if e["text"].startswith("Add lodash"))
    assert task["turn"] == "task_request" and task["reason"].startswith("task request")
    assert all(e["reason"] for e in entries), "every decision says why"
    store = Store.open(ws)
    try:
        assert store.cache_get(EXPLAIN_NAMESPACE, doc["candidate_store"]) == entries, "cached for the console"
    finally:
        store.close()
    # text mode: one line per moment with its decision
    assert main(["dream", "--workspace", str(ws), "--transcripts", str(tr), "--no-progress", "--explain"]) == 0
    text = capsys.readouterr().out
    assert "explain:" in text and "dropped [task request]" in text and "kept    [correction" in text


def test_below_threshold_and_duplicates_say_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws, tr = tmp_path / "ws", tmp_path / "tr"
    build_scenario("personal_preference", ws, transcripts=tr)
    (ws / "CLAUDE.md").write_text("# Notes\n\n- Keep commit messages to a single short line.\n")
    assert (
        main(["dream", "--workspace", str(ws), "--transcripts", str(tr), "--json", "--no-progress", "--explain"]) == 0
    )
    doc = json.loads(capsys.readouterr().out)
    reasons = [e["reason"] for e in doc["explain"]]
    assert any(r.startswith("duplicate of CLAUDE.md line 3") for r in reasons), reasons


def test_why_not_groups_the_proposals_own_moments_first() -> None:
    rows = [
        {
            "session_id": "s1",
            "uuid": "u1",
            "ts": "1",
            "source": "turn",
            "text": "a",
            "decision": "kept",
            "reason": "r",
            "proposal": "p-1",
        },
        {
            "session_id": "s1",
            "uuid": "u2",
            "ts": "2",
            "source": "turn",
            "text": "b",
            "decision": "dropped",
            "reason": "task request: asks for work",
        },
        {
            "session_id": "s2",
            "uuid": "u3",
            "ts": "3",
            "source": "turn",
            "text": "c",
            "decision": "dropped",
            "reason": "below threshold: 1 of 2 sessions",
        },
    ]
    groups = why_not(rows, "p-1")
    assert [g for g, _ in groups] == ["kept as this proposal", "dropped: below threshold", "dropped: task request"]
    assert [e.uuid for e in groups[0][1]] == ["u1"]
