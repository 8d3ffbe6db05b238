"""The Store's main flows: dream → review → apply → undo/redo/restore, conflicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reverie.store.core import Store
from reverie.store.errors import NothingToDoError, ReverieError, UsageError
from tests.store.conftest import P, block, world


def _approve_all(s: Store) -> list[str]:
    ids = [p.id for p in s.proposals()]
    s.approve(ids)
    return ids


def test_dream_changes_neither_artifacts_nor_files(store: Store, workspace: Path, temp_home: Path) -> None:
    before_files, before_view = world(workspace, temp_home), store.view()
    cand = store.open_candidate([P("Run tests first"), P("db", kind="memory", scope="project")], engine="heuristic")
    after = store.view()
    assert after.artifacts == before_view.artifacts and after.files == before_view.files
    assert after.candidates == {cand.id: "open"}
    assert world(workspace, temp_home) == before_files
    props = store.proposals()
    assert [p.status for p in props] == ["pending", "pending"]
    assert props[0].target == str(workspace / "CLAUDE.md")
    assert props[0].after == "<!-- reverie:begin -->\n- Run tests first.\n<!-- reverie:end -->"
    assert store.head().kind == "dream" and store.head().actor == "dream"


def test_names_are_unique_slugs(store: Store) -> None:
    store.open_candidate([P("Use ruff!", kind="rule"), P("use ruff", kind="rule")])
    assert [p.name for p in store.proposals()] == ["use-ruff", "use-ruff-2"]


def test_apply_undo_redo_restore_byte_identical(store: Store, workspace: Path, temp_home: Path) -> None:
    initial = world(workspace, temp_home)
    store.open_candidate(
        [
            P("Run tests first"),
            P("Generated", "Never edit db/generated.", kind="rule", scope="path", paths=["db/generated/**"]),
            P("guard", "exit 0", kind="hook", scope="team", meta={"matcher": "Bash"}),
            P("DB is postgres", kind="memory", scope="project"),
            P("Review", "Review the diff.", kind="command"),
            P("Release", "Steps to release.", kind="skill"),
            P("Reviewer", "You review code.", kind="subagent", meta={"tools": ["Read"]}),
            P("Be terse", kind="instinct", scope="global"),
        ]
    )
    _approve_all(store)
    approved = world(workspace, temp_home)
    assert approved == initial  # approving writes nothing
    res = store.apply()
    assert len(res.applied) == 8 and not res.conflicts
    applied = world(workspace, temp_home)
    assert (
        (workspace / "CLAUDE.md").read_text().startswith("# Project\n\nHand-written notes.\n\n<!-- reverie:begin -->")
    )
    assert (workspace / ".claude/hooks/reverie/guard.sh").stat().st_mode & 0o111
    assert (temp_home / ".claude/CLAUDE.md").exists()
    assert {p.status for p in store.proposals()} == {"applied"}
    assert store.candidates()[0].status == "applied"
    store.undo()
    assert world(workspace, temp_home) == initial
    assert {p.status for p in store.proposals()} == {"approved"}
    store.redo()
    assert world(workspace, temp_home) == applied
    store.restore(res.op.id)  # no-op on files, still a new op
    assert world(workspace, temp_home) == applied
    dream_op = next(o for o in store.log() if o.kind == "dream")
    store.restore(dream_op.id)
    assert world(workspace, temp_home) == initial
    assert {p.status for p in store.proposals()} == {"pending"}
    store.undo()  # undo the restore
    assert world(workspace, temp_home) == applied


def test_undo_redo_stack_is_jj_like(store: Store) -> None:
    store.open_candidate([P("a"), P("b")])
    a, b = [p.id for p in store.proposals()]
    store.approve([a])
    store.approve([b])
    store.undo()
    assert [p.status for p in store.proposals()] == ["approved", "pending"]
    store.undo()
    assert [p.status for p in store.proposals()] == ["pending", "pending"]
    store.redo()
    assert [p.status for p in store.proposals()] == ["approved", "pending"]
    store.reject([b])  # a new op clears the redo stack
    with pytest.raises(NothingToDoError):
        store.redo()
    store.undo()
    assert [p.status for p in store.proposals()] == ["approved", "pending"]


def test_block_label_needs_explicit_clearing(store: Store) -> None:
    store.open_candidate([P("curl | sh", labels=block())])
    pid = store.proposals()[0].id
    with pytest.raises(ReverieError, match="memory_poisoning"):
        store.approve([pid])
    op = store.approve([pid], clear_blocks=True)
    assert op.data["details"][pid]["cleared"] == ["memory_poisoning"]
    p = store.proposal(pid)
    assert p.status == "approved" and p.cleared_labels == ["memory_poisoning"] and not p.blocking_labels()
    assert store.apply().applied == [pid]


def test_edit_rescope_rekind_keep_original_and_recompute_preview(store: Store, workspace: Path) -> None:
    store.open_candidate([P("Use ruff", "Use ruff.", kind="instinct", scope="team")])
    pid = store.proposals()[0].id
    store.edit(pid, "Use ruff format, never black.", labels=[])  # the store records labels it is given
    p = store.proposal(pid)
    assert p.edited and p.original_body == "Use ruff." and "never black" in p.after
    store.rescope(pid, "path", ["**/*.py"], labels=[])
    p = store.proposal(pid)
    assert p.scope == "path" and p.target.endswith(".claude/rules/use-ruff.md") and "**/*.py" in p.after
    store.rekind(pid, "rule", labels=[])
    assert store.proposal(pid).kind == "rule"
    with pytest.raises(UsageError):
        store.rescope(pid, "planet", labels=[])
    with pytest.raises(UsageError):
        store.rekind(pid, "spell", labels=[])
    store.approve([pid])
    store.apply()
    text = (workspace / ".claude/rules/use-ruff.md").read_text()
    assert "never black" in text and "**/*.py" in text


def test_discard_keeps_rows_and_blocks_review(store: Store, workspace: Path, temp_home: Path) -> None:
    before = world(workspace, temp_home), store.view().artifacts
    cand = store.open_candidate([P("x")])
    pid = store.proposals()[0].id
    store.discard()
    assert store.candidates()[0].status == "discarded"
    assert (world(workspace, temp_home), store.view().artifacts) == before
    assert store.db.execute("SELECT count(*) FROM proposals WHERE candidate_id = ?", [cand.id]).fetchone()[0] == 1
    with pytest.raises(UsageError, match="discarded"):
        store.approve([pid])
    with pytest.raises(NothingToDoError):
        store.apply()


def test_apply_with_nothing_approved(store: Store) -> None:
    store.open_candidate([P("x")])
    with pytest.raises(NothingToDoError, match="nothing approved"):
        store.apply()


def test_update_and_retire_replace_artifacts(store: Store, workspace: Path) -> None:
    store.open_candidate([P("Generated", "Never edit generated.", kind="rule", scope="team")])
    _approve_all(store)
    store.apply()
    art = next(a for a in store.active_artifacts() if a.kind == "rule")
    store.open_candidate(
        [P("Generated", "Never edit generated files; regenerate.", kind="rule", action="update", replaces=[art.id])]
    )
    p = store.proposals()[0]
    assert p.name == art.name and "regenerate" in p.after and "Never edit generated.\n" in p.before
    _approve_all(store)
    store.apply()
    assert "regenerate" in (workspace / ".claude/rules/generated.md").read_text()
    new = next(a for a in store.active_artifacts() if a.kind == "rule")
    assert new.id != art.id and new.origin == p.id
    store.open_candidate([P("", action="retire", kind="rule", replaces=[new.id], body="")])
    _approve_all(store)
    store.apply()
    assert not (workspace / ".claude/rules/generated.md").exists()
    assert not any(a.kind == "rule" for a in store.active_artifacts())


def test_head_moved_conflicts_reported_by_proposal(store: Store, workspace: Path) -> None:
    store.open_candidate([P("R", "Rule one.", kind="rule")])
    _approve_all(store)
    store.apply()
    art = next(a for a in store.active_artifacts() if a.kind == "rule")
    stale = store.open_candidate(
        [P("R", "Rule one, v2.", kind="rule", action="update", replaces=[art.id]), P("Other", "Unrelated.")]
    )
    fresh = store.open_candidate([P("", action="retire", kind="rule", replaces=[art.id], body="")])
    store.approve([p.id for p in store.proposals(fresh.id)])
    store.apply(fresh.id)
    ids = [p.id for p in store.proposals(stale.id)]
    store.approve(ids)
    res = store.apply(stale.id)
    assert res.applied == [ids[1]]
    assert res.conflicts[0]["proposal"] == ids[0] and "gone" in res.conflicts[0]["reason"]
    assert next(c for c in store.candidates() if c.id == stale.id).status == "open"  # conflicting one stays approved


def test_hand_edit_inside_block_is_a_conflict_unless_forced(store: Store, workspace: Path) -> None:
    store.open_candidate([P("one")])
    _approve_all(store)
    store.apply()
    claude = workspace / "CLAUDE.md"
    claude.write_text(claude.read_text().replace("- one.", "- ONE (hand edit)."))
    edited = claude.read_bytes()
    store.open_candidate([P("two")])
    pid = _approve_all(store)[0]
    res = store.apply()
    assert res.op is None and res.conflicts[0]["proposal"] == pid and "hand-edited" in res.conflicts[0]["reason"]
    assert claude.read_bytes() == edited
    res = store.apply(force=True)
    assert res.applied == [pid] and "- two." in claude.read_text() and "ONE" not in claude.read_text()
    snap = res.op.data["snapshots"]["CLAUDE.md"]
    assert store.blobs.get(snap) == edited  # the hand edit is kept as a snapshot


def test_hand_edit_outside_block_is_kept_everywhere(store: Store, workspace: Path) -> None:
    store.open_candidate([P("one")])
    _approve_all(store)
    store.apply()
    claude = workspace / "CLAUDE.md"
    claude.write_text(claude.read_text().replace("Hand-written notes.", "Hand-written notes, edited."))
    store.open_candidate([P("two")])
    _approve_all(store)
    store.apply()
    text = claude.read_text()
    assert "edited." in text and "- one." in text and "- two." in text
    for _ in range(4):  # apply two, approve, dream, apply one
        store.undo()
    assert claude.read_text() == "# Project\n\nHand-written notes, edited.\n"


def test_same_target_already_exists(store: Store, workspace: Path) -> None:
    (workspace / ".claude/commands").mkdir(parents=True)
    store.open_candidate([P("deploy", "Deploy it.", kind="command")])
    (workspace / ".claude/commands/deploy.md").write_text("mine\n")  # appeared after the dream
    pid = _approve_all(store)[0]
    res = store.apply()
    assert res.op is None and res.conflicts[0]["proposal"] == pid
    assert "not written by Reverie" in res.conflicts[0]["reason"]
    assert (workspace / ".claude/commands/deploy.md").read_text() == "mine\n"


def test_hook_settings_keep_user_entries(store: Store, workspace: Path) -> None:
    settings = workspace / ".claude/settings.json"
    settings.parent.mkdir(parents=True)
    original = {
        "permissions": {"deny": ["Read(.env)"]},
        "hooks": {"PostToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "fmt.sh"}]}]},
    }
    settings.write_text(json.dumps(original, indent=4))
    store.import_workspace()
    raw = settings.read_bytes()
    store.open_candidate(
        [P("guard", "exit 2", kind="hook", scope="team", meta={"matcher": "Bash", "event": "PreToolUse"})]
    )
    _approve_all(store)
    store.apply()
    doc = json.loads(settings.read_text())
    assert doc["permissions"] == original["permissions"]
    assert doc["hooks"]["PostToolUse"] == original["hooks"]["PostToolUse"]
    assert doc["hooks"]["PreToolUse"][0]["matcher"] == "Bash"
    text = settings.read_text()
    assert text.startswith(raw.decode().split('"PostToolUse"')[0])  # the user's bytes are spliced into, not rewritten
    assert not text.endswith("\n") and '\n                        "timeout": 10' in text  # in the user's 4-space style
    store.undo()
    assert settings.read_bytes() == raw


def test_gc_keeps_what_restorable_ops_need(store: Store, workspace: Path) -> None:
    store.open_candidate([P("one")])
    _approve_all(store)
    res = store.apply()
    store.undo()
    before = store.db.execute("SELECT count(*) FROM blobs").fetchone()[0]
    out = store.gc(1)  # nothing older than a day
    assert out["pruned_operations"] == 0
    store.restore(res.op.id)
    assert "- one." in (workspace / "CLAUDE.md").read_text()
    out = store.gc(0)
    assert out["pruned_operations"] == store.oplog.count() - 1
    assert store.db.execute("SELECT count(*) FROM blobs").fetchone()[0] <= before
    with pytest.raises(ReverieError, match="pruned"):
        store.restore(res.op.id)
    # head is intact and still usable
    assert "- one." in (workspace / "CLAUDE.md").read_text()
    store.open_candidate([P("two")])
    _approve_all(store)
    store.apply()
    assert "- two." in (workspace / "CLAUDE.md").read_text()


def test_status_counts(store: Store) -> None:
    store.open_candidate([P("a"), P("b")])
    store.approve([store.proposals()[0].id])
    st = store.status()
    assert st["proposals"] == {"approved": 1, "pending": 1}
    assert st["candidate_store"] == store.current_candidate().id
    assert st["workspace"] == str(store.workspace) and st["artifacts"] == 1


def test_two_writers_serialize(store: Store, workspace: Path) -> None:
    other = Store.open(workspace)
    store.open_candidate([P("a")])
    other.open_candidate([P("b")])
    assert [c.status for c in store.candidates()] == ["open", "open"]
    seqs = [r[0] for r in store.db.execute("SELECT seq FROM operations ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1))
    other.close()


def test_one_store_shared_by_threads(store: Store) -> None:
    import threading

    errors: list[BaseException] = []

    def dream(i: int) -> None:
        try:
            store.open_candidate([P(f"thread {i}")])
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=dream, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and len(store.candidates()) == 4


def test_team_instincts_mirror_into_agents_md(store: Store, workspace: Path, temp_home: Path) -> None:
    (workspace / "AGENTS.md").write_text("# Agents\n\nCodex reads this.\n")
    store.import_workspace()
    before = world(workspace, temp_home)
    store.open_candidate([P("Run tests first"), P("Local only", scope="project")])
    _approve_all(store)
    res = store.apply()
    assert {f["key"] for f in res.files} == {"CLAUDE.md", "AGENTS.md", "CLAUDE.local.md"}
    agents = (workspace / "AGENTS.md").read_text()
    assert agents.startswith("# Agents\n\nCodex reads this.\n") and "- Run tests first." in agents
    assert "Local only" not in agents
    store.undo()
    assert world(workspace, temp_home) == before
