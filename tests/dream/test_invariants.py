"""Every engine's output passes the same gate: real evidence, line-precise updates, durable lessons."""

from __future__ import annotations

from pathlib import Path

import pytest

from reverie.dreamer.invariants import enforce
from reverie.dreamer.ledger import Ledger
from reverie.store.models import Artifact, Evidence, LineEdit, Proposal
from tests.dream.helpers import OLD, claude_md

CLAUDE = "# Notes\n\n- Use npm for everything.\n- Keep it small.\n- Tests live in tests/.\n"


@pytest.fixture
def doc(tmp_path: Path) -> Artifact:
    return claude_md(tmp_path, CLAUDE, mtime=OLD)  # before the cited sessions


REAL = {("s1", "u1"), ("s2", "u2")}


def exists(sid: str, uuid: str) -> bool:
    return (sid, uuid) in REAL


def said(sid: str, uuid: str, day: int = 3) -> Evidence:
    return Evidence(
        session_id=sid, event_uuid=uuid, timestamp=f"2026-02-0{day}T10:00:00Z", trust="user", quote="use pnpm"
    )


def update(body: str, evidence: list[Evidence], **kw) -> Proposal:
    return Proposal(
        id="",
        action="update",
        kind="instinct",
        scope="team",
        title="Update CLAUDE.md",
        body=body,
        replaces=["a-doc"],
        evidence=evidence,
        rationale="corrected twice",
        **kw,
    )


def test_an_engines_new_body_becomes_the_line_edit_it_amounts_to(doc: Artifact, tmp_path: Path) -> None:
    p = update(CLAUDE.replace("Use npm for everything", "Use pnpm, not npm"), [said("s1", "u1"), said("s2", "u2")])
    [out] = enforce([p], [doc], tmp_path, exists)
    assert [(e.line, e.old, e.new) for e in out.edits] == [(3, ["- Use npm for everything."], ["- Use pnpm, not npm."])]
    assert out.edits[0].evidence == p.evidence


def test_rewrites_invented_evidence_and_unverified_lines_are_dropped(doc: Artifact, tmp_path: Path) -> None:
    ledger = Ledger()
    rewrite = update("# Notes\n\nAll new.\nEvery line.\nDifferent.\nMore.\nAnd more.\nAnd more.\n", [said("s1", "u1")])
    invented = update(CLAUDE.replace("npm", "pnpm"), [said("s9", "made-up")])
    older = update(CLAUDE.replace("npm", "pnpm"), [Evidence("s1", "u1", "2025-06-01T00:00:00Z", "user", "pnpm")])
    agent_only = update(CLAUDE.replace("npm", "pnpm"), [Evidence("s1", "u1", "2026-02-03T00:00:00Z", "agent", "ok")])
    assert enforce([rewrite, invented, older, agent_only], [doc], tmp_path, exists, ledger) == []
    reasons = " | ".join(e.reason for e in ledger.entries.values())
    assert "it rewrites 9 lines of the hand-written CLAUDE.md" in reasons
    assert "no session holds" in reasons
    assert "no verified evidence" in reasons


def test_given_line_edits_must_still_apply(doc: Artifact, tmp_path: Path) -> None:
    stale = update("x", [said("s1", "u1")], edits=[LineEdit("CLAUDE.md", 3, ["- Use yarn."], ["- Use pnpm."])])
    assert enforce([stale], [doc], tmp_path, exists) == []


def test_a_lesson_is_a_short_statement_not_a_request(tmp_path: Path) -> None:
    def lesson(body: str) -> Proposal:
        return Proposal(
            id="", action="add", kind="memory", scope="project", title=body[:20], body=body, evidence=[said("s1", "u1")]
        )

    good = lesson("Use pnpm, not npm. The lockfile is pnpm-lock.yaml.")
    kept = enforce(
        [good, lesson("Can you check where to raise a SilentError?"), lesson("One. Two. Three. Four.")],
        [],
        tmp_path,
        exists,
    )
    assert kept == [good]
