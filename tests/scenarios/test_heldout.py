"""The held-out scenario set: the same ten categories as the authored suite, written apart from it.

Each scenario (dreamer/scenarios/heldout.py) is generated into a workspace with
Claude Code transcripts under the temp HOME and dreamt for real (ingest,
signals, consolidation, replay, critics). Its expectations and guards are
checked with the same scorer the benchmark uses, so a failure here is a recall
or precision miss that bench_dream.py also counts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.scenarios.heldout import HELDOUT, HELDOUT_SECRETS, build_heldout
from tests.scenarios.score import dream_scenario as dream_built
from tests.scenarios.score import score


def dream_heldout(name: str, root: Path) -> tuple[list[dict], object, Path]:
    ws = root / name
    scenario, doc = dream_built(build_heldout, name, ws)
    assert doc["sessions_read"] == len(scenario.sessions), "every held-out session was read"
    return doc["proposals"], scenario, ws


@pytest.mark.parametrize("name", sorted(HELDOUT))
def test_heldout_outcome(name: str, tmp_path: Path) -> None:
    proposals, scenario, _ = dream_heldout(name, tmp_path)
    result = score(scenario, proposals)
    shown = json.dumps(
        [{k: p[k] for k in ("action", "kind", "scope", "paths", "title", "labels")} for p in proposals], indent=1
    )
    assert not result.missed, f"{name}: missed {result.missed}\n{shown}"
    assert not result.guard_violations, f"{name}: {result.guard_violations}\n{shown}"
    assert not result.over_limit, f"{name}: {len(proposals)} proposals > {scenario.max_proposals}\n{shown}"
    for p in proposals:
        assert p["scope"] not in ("team", "global") or p["replaces"], f"{name}: widened scope: {p['title']}"


def test_heldout_secrets_never_reach_proposals_or_the_store(tmp_path: Path) -> None:
    proposals, _, ws = dream_heldout("h_secrets_terse", tmp_path)
    blob = json.dumps(proposals)
    stored = b"".join(p.read_bytes() for p in (ws / ".reverie").glob("reverie.db*"))
    for secret in HELDOUT_SECRETS:
        assert secret not in blob
        assert secret.encode() not in stored, f"{secret[:6]}… stored in the sessions index"
    assert proposals == [], "lessons whose point is a credential are not kept"


def test_rejection_reason_becomes_the_correction(tmp_path: Path) -> None:
    """The words typed when rejecting a tool use live in the tool result; they are the person's."""
    proposals, _, _ = dream_heldout("h_lockfile_rejected", tmp_path)
    rule = next(p for p in proposals if p["kind"] == "rule")
    assert rule["paths"] == ["web/yarn.lock"], "the named file is guarded, not its whole folder"
    assert any(e["trust"] == "user" and "by hand" in e["quote"] for e in rule["evidence"])
    hook = next(p for p in proposals if p["kind"] == "hook")
    assert hook["meta"]["replay"]["legit_blocked"] == 0 and hook["meta"]["replay"]["legit"] >= 1


def test_content_correction_after_an_edit_is_not_a_path_guard(tmp_path: Path) -> None:
    """ "no default export!!" after a Write is about what was written, not about editing web/src."""
    proposals, _, _ = dream_heldout("h_named_exports", tmp_path)
    assert not [p for p in proposals if p["kind"] == "hook"]
    assert any(
        p["kind"] in ("instinct", "rule") and "export" in p["body"].lower() and p["scope"] == "project"
        for p in proposals
    )
