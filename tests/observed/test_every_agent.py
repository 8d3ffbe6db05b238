"""One lesson, every agent: an approved instinct/rule lands in each agent's file in one operation."""

from __future__ import annotations

import hashlib
from pathlib import Path

from reverie.dreamer.agent_contradictions import contradictions
from reverie.dreamer.ingest import ingest
from reverie.dreamer.status import status_extras
from reverie.store.core import Store
from reverie.store.models import Proposal
from tests.ingest.fixtures import codex_agent_turn, codex_envelope, codex_user_turn, write_jsonl
from tests.observed.helpers import catch_up, project

AGENTS = "# Codex notes\n\nUse the Makefile targets.\n"
GEMINI = "# Gemini notes\n\nAnswer briefly.\n"


def _lesson(scope: str = "team", kind: str = "instinct", paths: list[str] | None = None) -> Proposal:
    return Proposal(
        id="",
        action="add",
        kind=kind,
        scope=scope,
        paths=paths or [],
        title="Run the linter",
        body="Run `make lint` before every commit.",
    )


def _apply(store: Store, p: Proposal) -> object:
    cand = store.open_candidate([p])
    (pid,) = [q.id for q in store.proposals(cand.id)]
    store.approve([pid])
    return store.apply()


def _sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def test_team_lesson_lands_in_claude_codex_and_gemini_files_in_one_operation(workspace: Path) -> None:
    (workspace / "AGENTS.md").write_text(AGENTS)
    (workspace / "GEMINI.md").write_text(GEMINI)
    store = project(workspace)
    before = {n: _sha(workspace / n) for n in ("CLAUDE.md", "AGENTS.md", "GEMINI.md")}
    result = _apply(store, _lesson())
    written = sorted(f["key"] for f in result.files)
    assert written == ["AGENTS.md", "CLAUDE.md", "GEMINI.md"] and result.op.kind == "apply"
    for name, hand in (("AGENTS.md", AGENTS), ("GEMINI.md", GEMINI)):
        text = (workspace / name).read_text()
        assert text.startswith(hand) and "<!-- reverie:begin -->\n- Run `make lint` before every commit." in text
    # Reverie's own apply is not an observed write
    assert catch_up(store).writes == []
    store.undo()
    assert {n: _sha(workspace / n) for n in before} == before


def test_agents_seen_in_transcripts_get_the_lesson_and_config_can_narrow_it(workspace: Path, tmp_path: Path) -> None:
    store = project(workspace)
    codex = tmp_path / "codex" / "rollout-2026-02-23T12-19-38-abc.jsonl"
    write_jsonl(
        codex, codex_envelope("codex-1", str(workspace), codex_user_turn("lint first") + codex_agent_turn("ok"))
    )
    ingest(store, workspace, [tmp_path / "codex"])
    result = _apply(store, _lesson(kind="rule", scope="path", paths=["src/**"]))
    assert sorted(f["key"] for f in result.files) == [".claude/rules/run-the-linter.md", "AGENTS.md"]
    assert "- (for src/**) Run `make lint` before every commit." in (workspace / "AGENTS.md").read_text()
    assert not (workspace / "GEMINI.md").exists()
    # only Claude: the config says so
    (workspace / ".reverie" / "config.toml").write_text('[agents]\ntargets = ["claude"]\n')
    result = _apply(store, Proposal(id="", action="add", kind="instinct", scope="team", title="t", body="Prefer uv."))
    assert [f["key"] for f in result.files] == ["CLAUDE.md"]


def test_private_lessons_stay_in_claude_local_unless_shared(workspace: Path) -> None:
    (workspace / "AGENTS.md").write_text(AGENTS)
    store = project(workspace)
    assert [f["key"] for f in _apply(store, _lesson(scope="project")).files] == ["CLAUDE.local.md"]
    (workspace / ".reverie" / "config.toml").write_text('[agents]\nprivate = "shared"\n')
    p = Proposal(id="", action="add", kind="instinct", scope="project", title="u", body="Prefer uv over pip.")
    assert sorted(f["key"] for f in _apply(store, p).files) == ["AGENTS.md", "CLAUDE.local.md"]


def test_contradictions_between_agent_files_are_reported_and_labelled(workspace: Path) -> None:
    (workspace / "AGENTS.md").write_text("# Codex\n\nNever use pnpm; use npm.\n")
    store = project(workspace)
    (workspace / "CLAUDE.md").write_text("# Project\n\n- Use pnpm for installs.\n")
    (w,) = catch_up(store).writes
    labels = store.proposal(w.proposal).labels
    assert any(lb.label == "contradiction_drift" and "AGENTS.md" in lb.reason for lb in labels), labels
    store.approve([w.proposal])
    found = contradictions(store.active_artifacts())
    assert [(c.file_a, c.file_b) for c in found] == [("AGENTS.md", "CLAUDE.md")]
    assert "pnpm" in found[0].line_a and "pnpm" in found[0].line_b
    extras = status_extras(store)["agents"]
    assert extras["targets"] == "claude, codex" and extras["contradictions"] == 1
