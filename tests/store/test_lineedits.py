"""Line-precise edits of hand-written files: exactly the cited lines change, as a three-way patch."""

from __future__ import annotations

from pathlib import Path

import pytest

from reverie.store.core import Store
from reverie.store.errors import UsageError
from reverie.store.lineedits import EditConflict, apply_edits, diff_edits
from reverie.store.models import Evidence, LineEdit, Proposal
from tests.store.conftest import P, update_of, world

CLAUDE = b"# Shop\r\n\r\n- Run the tests with `npm test`.\r\n- Deploy settings live in deploy/heroku.yml.\r\n- Keep it small."
AGENT = (
    b"---\n"
    b"tools: Read, Grep\n"
    b"description: \"Reviews code: style, 'quotes' and all\"\n"
    b"name: reviewer\n"
    b"---\n\n"
    b"You review code.\n\n\n"
    b"Run `make lint` first.\n"
)
EV = [Evidence(session_id="s1", event_uuid="u1", trust="agent", quote="npm test: Missing script")]


def edit(path: str, line: int, old: list[str], new: list[str]) -> LineEdit:
    return LineEdit(path=path, line=line, old=old, new=new, reason="test", evidence=list(EV))


# --- the pure patch ---------------------------------------------------------------------------------


def test_replace_keeps_crlf_and_missing_final_newline() -> None:
    out = apply_edits(CLAUDE, [edit("CLAUDE.md", 3, ["- Run the tests with `npm test`."], ["- Run `pnpm test`."])])
    assert out == CLAUDE.replace(b"- Run the tests with `npm test`.", b"- Run `pnpm test`.")
    out = apply_edits(CLAUDE, [edit("CLAUDE.md", 5, ["- Keep it small."], ["- Keep it small.", "- And typed."])])
    assert out.endswith(b"- Keep it small.\r\n- And typed.") and out.count(b"\r\n") == CLAUDE.count(b"\r\n") + 1


def test_remove_lines_anywhere() -> None:
    out = apply_edits(CLAUDE, [edit("CLAUDE.md", 4, ["- Deploy settings live in deploy/heroku.yml."], [])])
    assert out == CLAUDE.replace(b"- Deploy settings live in deploy/heroku.yml.\r\n", b"")
    last = apply_edits(CLAUDE, [edit("CLAUDE.md", 5, ["- Keep it small."], [])])
    assert last == CLAUDE.rsplit(b"\r\n", 1)[0] + b"\r\n", "exactly the cited line's bytes go; the rest stays"


def test_moved_lines_still_apply_changed_lines_conflict() -> None:
    moved = b"# New intro line\r\n" + CLAUDE
    e = edit("CLAUDE.md", 3, ["- Run the tests with `npm test`."], ["- Run `pnpm test`."])
    assert b"- Run `pnpm test`." in apply_edits(moved, [e])
    with pytest.raises(EditConflict, match="changed since the dream"):
        apply_edits(CLAUDE.replace(b"npm test", b"npm run test"), [e])
    twice = CLAUDE + b"\r\n- Run the tests with `npm test`.\r\n"
    with pytest.raises(EditConflict, match="occurs 2 times"):
        apply_edits(b"x\n" + twice, [e])
    with pytest.raises(EditConflict, match="overlap"):
        apply_edits(CLAUDE, [e, edit("CLAUDE.md", 3, ["- Run the tests with `npm test`."], [])])
    with pytest.raises(EditConflict, match="not UTF-8"):
        apply_edits(b"\xff\xfe bad", [e])


def test_diff_edits_round_trip_and_keep_evidence() -> None:
    e = edit("CLAUDE.md", 3, ["- Run the tests with `npm test`."], ["- Run `pnpm test`."])
    after = apply_edits(CLAUDE, [e]).decode()
    rewritten = after.replace("- Run `pnpm test`.", "- Run the tests with `pnpm vitest run`.")
    edits = diff_edits("CLAUDE.md", CLAUDE, rewritten, [e])
    assert [(x.line, x.old, x.new) for x in edits] == [
        (3, ["- Run the tests with `npm test`."], ["- Run the tests with `pnpm vitest run`."])
    ]
    assert edits[0].evidence == e.evidence, "the person's rewording keeps the dream's evidence"
    assert apply_edits(CLAUDE, edits).decode() == rewritten
    inserted = diff_edits("CLAUDE.md", CLAUDE, "# Top\r\n" + CLAUDE.decode())
    assert apply_edits(CLAUDE, inserted).decode() == "# Top\r\n" + CLAUDE.decode()
    assert inserted[0].reason == "edited by a person" and not inserted[0].evidence


def test_edit_json_shape_is_strict() -> None:
    e = edit("CLAUDE.md", 3, ["a"], ["b"])
    assert LineEdit.from_dict(e.to_dict()) == e
    for bad in (
        {"path": "x", "line": 0, "old": ["a"]},
        {"path": "", "line": 1, "old": ["a"]},
        {"path": "x", "line": 1},
    ):
        with pytest.raises(ValueError):
            LineEdit.from_dict(bad)
    with pytest.raises(ValueError, match="line breaks"):
        LineEdit.from_dict({"path": "x", "line": 1, "old": ["a\nb"]})


# --- through the store -----------------------------------------------------------------------------------


@pytest.fixture
def handwritten(workspace: Path) -> Store:
    (workspace / "CLAUDE.md").write_bytes(CLAUDE)
    (workspace / ".claude" / "agents").mkdir(parents=True)
    (workspace / ".claude" / "agents" / "reviewer.md").write_bytes(AGENT)
    s = Store.open(workspace, create=True)
    s.init()
    yield s
    s.close()


def _doc(s: Store, source: str):
    return next(a for a in s.active_artifacts() if a.meta.get("source") == source)


def update(s: Store, source: str, edits: list[LineEdit], body: str = "x") -> Proposal:
    return update_of(_doc(s, source), edits, body)


def test_apply_changes_only_the_cited_lines_and_undo_is_byte_identical(
    handwritten: Store, workspace: Path, temp_home: Path
) -> None:
    s = handwritten
    before = world(workspace, temp_home)
    fm_edit = edit(".claude/agents/reviewer.md", 10, ["Run `make lint` first."], ["Run `just lint` first."])
    s.open_candidate(
        [
            update(s, "CLAUDE.md", [edit("CLAUDE.md", 4, ["- Deploy settings live in deploy/heroku.yml."], [])]),
            update(s, ".claude/agents/reviewer.md", [fm_edit]),
            P("Use pnpm, not npm"),  # lands in Reverie's block of the same CLAUDE.md
        ]
    )
    props = s.proposals()
    assert props[0].before == CLAUDE.decode() and "heroku" not in props[0].after
    assert props[0].to_dict()["edits"][0]["line"] == 4
    s.approve([p.id for p in props])
    res = s.apply()
    assert len(res.applied) == 3, res.conflicts
    claude = (workspace / "CLAUDE.md").read_bytes()
    assert claude.startswith(CLAUDE.replace(b"- Deploy settings live in deploy/heroku.yml.\r\n", b""))
    assert claude.endswith(b"<!-- reverie:begin -->\n- Use pnpm, not npm.\n<!-- reverie:end -->\n")
    assert (workspace / ".claude/agents/reviewer.md").read_bytes() == AGENT.replace(b"make lint", b"just lint")
    assert "just lint" in _doc(s, ".claude/agents/reviewer.md").body, "the artifact is read back from the file"
    assert _doc(s, ".claude/agents/reviewer.md").origin == "import", "the file is still the person's"
    after = world(workspace, temp_home)
    s.undo()
    assert world(workspace, temp_home) == before
    s.redo()
    assert world(workspace, temp_home) == after
    s.undo()
    assert world(workspace, temp_home) == before


def test_lines_changed_since_the_dream_are_a_conflict_even_forced(handwritten: Store, workspace: Path) -> None:
    s = handwritten
    s.open_candidate([update(s, "CLAUDE.md", [edit("CLAUDE.md", 3, ["- Run the tests with `npm test`."], [])])])
    s.approve([p.id for p in s.proposals()])
    changed = CLAUDE.replace(b"`npm test`", b"`npm run test`")
    (workspace / "CLAUDE.md").write_bytes(changed)
    for force in (False, True):
        res = s.apply(force=force)
        assert not res.applied and "changed since the dream" in res.conflicts[0]["reason"]
        assert (workspace / "CLAUDE.md").read_bytes() == changed


def test_edits_only_touch_the_files_the_proposal_replaces(handwritten: Store) -> None:
    s = handwritten
    for path in (".claude/agents/reviewer.md", "../outside.md", ".git/config"):
        with pytest.raises(UsageError, match="not a hand-written file this proposal replaces"):
            s.open_candidate([update(s, "CLAUDE.md", [edit(path, 1, ["x"], [])])])
    add = P("x", edits=[edit("CLAUDE.md", 1, ["# Shop"], [])])
    with pytest.raises(UsageError, match="belong to an update"):
        s.open_candidate([add])


def test_a_hand_written_file_is_never_rewritten_whole(handwritten: Store, workspace: Path) -> None:
    s = handwritten
    art = _doc(s, ".claude/agents/reviewer.md")
    s.open_candidate([update_of(art, [], "You review code.\n", title="Update reviewer", meta=dict(art.meta))])
    s.approve([p.id for p in s.proposals()])
    res = s.apply()
    assert not res.applied and "only through line edits" in res.conflicts[0]["reason"]
    assert (workspace / ".claude/agents/reviewer.md").read_bytes() == AGENT


def test_a_persons_rewording_becomes_line_edits(handwritten: Store, workspace: Path) -> None:
    s = handwritten
    e = edit(".claude/agents/reviewer.md", 10, ["Run `make lint` first."], ["Run `just lint` first."])
    s.open_candidate(
        [update(s, ".claude/agents/reviewer.md", [e], body="\nYou review code.\n\n\nRun `just lint` first.\n")]
    )
    p = s.proposals()[0]
    s.edit(p.id, "\nYou review code.\n\n\nRun `just lint` first, always.\n", labels=[])
    p = s.proposal(p.id)
    assert [(x.line, x.new) for x in p.edits] == [(10, ["Run `just lint` first, always."])]
    assert p.edits[0].evidence == e.evidence
    with pytest.raises(UsageError, match="keeps that file's scope"):
        s.rescope(p.id, "project", labels=[])
    s.approve([p.id])
    assert s.apply().applied == [p.id]
    assert (workspace / ".claude/agents/reviewer.md").read_bytes() == AGENT.replace(
        b"Run `make lint` first.", b"Run `just lint` first, always."
    )


def test_a_lowercase_claude_md_is_the_projects_document(workspace: Path) -> None:
    """macOS reads `.claude/claude.md` as `.claude/CLAUDE.md`; real projects commit it that way."""
    (workspace / ".claude").mkdir()
    (workspace / ".claude" / "claude.md").write_text("# Notes\n\n- Use pnpm.\n")
    s = Store.open(workspace, create=True)
    try:
        s.init()
        [doc] = [a for a in s.active_artifacts() if a.meta.get("layout") == "document"]
        assert doc.meta["source"] == ".claude/claude.md" and doc.scope == "team" and "Use pnpm" in doc.body
    finally:
        s.close()
