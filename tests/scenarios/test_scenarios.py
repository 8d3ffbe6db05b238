"""The planted-scenario suite: each generated workspace must dream to its expected outcome.

Transcripts are written in the real Claude Code JSONL format under the temp
HOME's `~/.claude/projects/<slug>/`, so discovery, ingest, signals,
consolidation, replay and critics all run for real.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reverie.dreamer.dream import run_dream
from reverie.dreamer.scenarios import SCENARIOS, build_demo_workspace, build_scenario, demo_transcripts_dir
from reverie.dreamer.scenarios.catalog import SECRETS
from reverie.store.store import Store
from tests.scenarios.score import dream_scenario as dream_built


def dream_scenario(name: str, root: Path) -> tuple[list[dict], object, Path]:
    ws = root / name
    scenario, doc = dream_built(build_scenario, name, ws)
    assert doc["sessions_read"] == len(scenario.sessions), "every planted session was read"
    return doc["proposals"], scenario, ws


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_outcome(name: str, tmp_path: Path) -> None:
    proposals, scenario, _ws = dream_scenario(name, tmp_path)
    shown = json.dumps([{k: p[k] for k in ("action", "kind", "scope", "title", "labels")} for p in proposals], indent=1)
    for expect in scenario.expect:
        assert any(expect.matches(p) for p in proposals), f"{name}: no proposal matches {expect}\n{shown}"
    for guard in scenario.guards:
        bad = [p["title"] for p in proposals if guard.violated_by(p)]
        assert not bad, f"{name}: {bad} mention {guard.mentions!r} without {guard.then}\n{shown}"
    if scenario.max_proposals is not None:
        assert len(proposals) <= scenario.max_proposals, shown
    for p in proposals:
        assert p["scope"] not in ("team", "global") or p["replaces"], f"{name}: widened scope from one project: {p}"


def test_secrets_never_reach_any_output(tmp_path: Path) -> None:
    proposals, scenario, ws = dream_scenario("secrets", tmp_path)
    blob = json.dumps(proposals)
    raw = b"".join(p.read_bytes() for p in (ws / ".reverie").rglob("*") if p.is_file())
    for secret in scenario.secrets or SECRETS:
        assert secret not in blob
        assert secret.encode() not in raw, "secret found in the store files"
    store = Store.open(ws)
    try:
        quotes = [
            e.text
            for sid in store.db.execute("SELECT id FROM sessions").fetchall()
            for e in __import__("reverie.store.sessions", fromlist=["SessionIndex"])
            .SessionIndex(store.db)
            .iter_events(sid[0])
        ]
    finally:
        store.close()
    assert any("[REDACTED:" in q for q in quotes), "the pasted credentials were seen and redacted at ingest"
    assert proposals == [], "a lesson whose point is a credential is not kept"


def test_hook_from_violated_rule_replays_clean_and_blocks(tmp_path: Path) -> None:
    proposals, _, ws = dream_scenario("never_edit_violated", tmp_path)
    hook = next(p for p in proposals if p["kind"] == "hook")
    assert hook["meta"]["event"] == "PreToolUse" and "Edit" in hook["meta"]["matcher"]
    replay = hook["meta"]["replay"]
    assert replay["violations"] == replay["violations_blocked"] == 2
    assert replay["legit_blocked"] == 0 and replay["legit"] >= 3
    assert "blocked 2 of 2 violations" in hook["rationale"]
    # the script itself blocks a new violation and allows a legitimate edit, as Claude Code would run it
    import subprocess
    import sys

    script = tmp_path / "hook.py"
    script.write_text(hook["body"])
    bad = {"tool_name": "Edit", "cwd": str(ws), "tool_input": {"file_path": str(ws / "db/migrations/generated/9.sql")}}
    ok = {"tool_name": "Edit", "cwd": str(ws), "tool_input": {"file_path": str(ws / "db/schema.sql")}}
    r1 = subprocess.run([sys.executable, str(script)], input=json.dumps(bad), capture_output=True, text=True)
    r2 = subprocess.run([sys.executable, str(script)], input=json.dumps(ok), capture_output=True, text=True)
    assert r1.returncode == 2 and "db/migrations/generated" in r1.stderr
    assert r2.returncode == 0


def test_demo_workspace_covers_most_scenarios(tmp_path: Path) -> None:
    ws = build_demo_workspace(tmp_path / "demo")
    assert (ws / "CLAUDE.md").is_file() and (ws / ".claude" / "settings.json").is_file()
    transcripts = demo_transcripts_dir(ws)
    assert 15 <= len(list(transcripts.glob("*.jsonl"))) <= 30
    store = Store.open(ws, create=True)
    try:
        store.init()
        doc = run_dream(store, transcripts=[transcripts]).to_json()
    finally:
        store.close()
    kinds = {p["kind"] for p in doc["proposals"]}
    labels = {l["label"] for p in doc["proposals"] for l in p["labels"]}
    assert {"rule", "hook", "skill", "memory", "instinct"} <= kinds
    assert {"memory_poisoning", "stale_authority", "false_persistence", "contradiction_drift"} <= labels
    assert any(p["action"] == "update" and p["replaces"] for p in doc["proposals"])
