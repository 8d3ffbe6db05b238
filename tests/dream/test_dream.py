"""run_dream / `reverie dream` / `reverie effect` end to end on a real store and real files."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reverie.console.cli import main
from reverie.dreamer.dream import run_dream
from reverie.dreamer.engines.base import DreamCancelled
from reverie.dreamer.scenarios import build_scenario
from reverie.dreamer.scenarios.transcript import SessionWriter
from reverie.store.store import Store
from tests.conftest import realdata_or_skip


def snapshot(ws: Path) -> dict[str, str]:
    """sha256 of every workspace file outside .reverie/ (the state dir)."""
    return {
        str(p.relative_to(ws)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(ws.rglob("*"))
        if p.is_file() and ".reverie" not in p.relative_to(ws).parts
    }


def home_snapshot(home: Path) -> dict[str, str]:
    """Files under ~/.claude (where memories and global artifacts would land)."""
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((home / ".claude").rglob("*")) if p.is_file()
    }


def open_store(ws: Path) -> Store:
    store = Store.open(ws, create=True)
    store.init()
    return store


def test_dream_leaves_active_store_and_workspace_untouched(tmp_path: Path, temp_home: Path) -> None:
    ws = tmp_path / "ws"
    build_scenario("stale_claude_md", ws)
    build_scenario("never_edit_violated", ws)
    store = open_store(ws)
    try:
        files, home_files = snapshot(ws), home_snapshot(temp_home)
        before_view = store.view()
        arts = sorted((a.id, a.body) for a in store.active_artifacts())
        result = run_dream(store)
        assert result.proposals, "the planted lessons give proposals"
        assert snapshot(ws) == files
        assert home_snapshot(temp_home) == home_files
        after_view = store.view()
        assert after_view.artifacts == before_view.artifacts and after_view.files == before_view.files
        assert sorted((a.id, a.body) for a in store.active_artifacts()) == arts
        assert store.current_candidate().id == result.candidate.id
    finally:
        store.close()


def test_redream_uses_cache_and_is_deterministic(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    for name in ("repeated_correction", "release_procedure", "never_edit_violated"):
        build_scenario(name, ws)
    store = open_store(ws)
    try:
        first = run_dream(store)
        second = run_dream(store)
    finally:
        store.close()
    assert first.stats["signals_computed"] == first.sessions_read > 0
    assert second.stats["signals_cache_hits"] == second.sessions_read and second.stats["signals_computed"] == 0

    def shape(r):
        return [(p.action, p.kind, p.scope, p.title, p.body, [l.label for l in p.labels]) for p in r.proposals]

    assert shape(first) == shape(second)


def test_cancel_writes_no_candidate(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    build_scenario("noise", ws)
    store = open_store(ws)
    cancel = threading.Event()
    cancel.set()
    try:
        with pytest.raises(DreamCancelled):
            run_dream(store, cancel=cancel)
        assert store.current_candidate() is None
    finally:
        store.close()


def test_cli_dream_json_is_the_design_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    tr = tmp_path / "tr"
    build_scenario("personal_preference", ws, transcripts=tr)
    assert main(["dream", "--workspace", str(ws), "--transcripts", str(tr), "--json", "--no-progress"]) == 0
    doc = json.loads(capsys.readouterr().out)
    design = ["candidate_store", "base_version", "engine", "sessions_read", "events_read", "proposals"]
    assert list(doc) == [*design, "skipped_files"], "DESIGN §4's keys, then the files --transcripts held that we skip"
    assert doc["skipped_files"] == []
    assert doc["engine"] == "heuristic" and doc["sessions_read"] == 2 and doc["events_read"] > 0
    assert doc["candidate_store"].startswith("c-") and doc["base_version"].startswith("op-")
    p = doc["proposals"][0]
    for key in (
        "id",
        "action",
        "kind",
        "scope",
        "paths",
        "title",
        "body",
        "target",
        "before",
        "after",
        "replaces",
        "confidence",
        "status",
        "rationale",
        "labels",
        "evidence",
    ):
        assert key in p
    assert p["status"] == "pending" and p["evidence"][0]["trust"] == "user" and p["evidence"][0]["event_uuid"]
    # text mode names the candidate and each proposal
    assert main(["dream", "--workspace", str(ws), "--transcripts", str(tr), "--no-progress"]) == 0
    assert "proposal(s) from 2 session(s)" in capsys.readouterr().out


def test_engine_selection_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    assert main(["dream", "--workspace", str(ws), "--engine", "oracle"]) == 2
    assert "unknown engine 'oracle'" in capsys.readouterr().err
    monkeypatch.setenv("REVERIE_ENGINE", "llm")
    monkeypatch.delenv("REVERIE_MODEL", raising=False)
    assert main(["dream", "--workspace", str(ws)]) == 2
    err = capsys.readouterr().err
    assert "model" in err and len(err.strip().splitlines()) == 1
    monkeypatch.delenv("REVERIE_ENGINE")
    (ws / ".reverie" / "config.toml").write_text("[dream]\nengine = 'nope'\n")
    assert main(["dream", "--workspace", str(ws)]) == 2
    (ws / ".reverie" / "config.toml").write_text("[dream\n")
    assert main(["dream", "--workspace", str(ws)]) == 1
    assert "config.toml" in capsys.readouterr().err


def test_effect_counts_recurrences_before_and_after_apply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    build_scenario("never_edit_violated", ws)
    store = open_store(ws)
    try:
        result = run_dream(store)
        rule = next(p for p in result.proposals if p.kind == "rule")
        store.approve([rule.id])
        store.apply()
    finally:
        store.close()
    # two sessions after the apply (dated far in the future): one still edits the generated folder
    for key, path in (("after-1", "db/migrations/generated/0050.sql"), ("after-2", "src/index.ts")):
        s = SessionWriter.new(ws.resolve(), key, datetime(2099, 1, 1, tzinfo=UTC))
        s.user("Add a column.")
        s.edit(path, "a", "b")
        s.write_to()
    assert main(["effect", "--workspace", str(ws), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    [eff] = [a for a in doc["artifacts"] if a["kind"] == "rule"]
    assert (eff["sessions_before"], eff["recurred_before"]) == (3, 2)
    assert (eff["sessions_after"], eff["recurred_after"]) == (2, 1)
    assert eff["trigger"].startswith("edits under db/migrations/generated")


def test_dream_over_all_realdata_exits_zero_with_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    realdata = realdata_or_skip()
    ws = tmp_path / "ws"
    ws.mkdir()
    assert main(["dream", "--workspace", str(ws), "--transcripts", str(realdata), "--json", "--no-progress"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sessions_read"] >= 50 and doc["events_read"] > 5000
    assert len(doc["proposals"]) <= 10, "real, unrelated sessions give only a few proposals"


def test_status_extras_show_last_dream_and_undreamed_sessions(tmp_path: Path) -> None:
    from reverie.dreamer.ingest import ingest
    from reverie.dreamer.status import status_extras

    ws = tmp_path / "ws"
    build_scenario("personal_preference", ws)
    store = open_store(ws)
    try:
        assert status_extras(store)["last_dream"] is None
        result = run_dream(store)
        extras = status_extras(store)
        assert extras["last_dream"]["candidate_store"] == result.candidate.id
        assert extras["sessions"] == {**extras["sessions"], "indexed": 2, "undreamed": 0}
        assert extras["llm"]["tokens_prompt"] == 0 and extras["dreams"] == 1
        s = SessionWriter.new(ws.resolve(), "later", datetime(2099, 1, 1, tzinfo=UTC))
        s.user("hello")
        s.write_to()
        ingest(store, ws)
        assert status_extras(store)["sessions"]["undreamed"] == 1
    finally:
        store.close()
