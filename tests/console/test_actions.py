"""Every review action driven through the real app (Pilot) on a real store in a temp dir."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static, TextArea

from reverie.console.screens.edit import EditScreen
from reverie.console.screens.help import HelpScreen
from reverie.console.screens.history import HistoryScreen
from reverie.console.screens.main import EMPTY_NO_CANDIDATE, MainScreen
from reverie.console.screens.modals import ConfirmScreen, PromptScreen
from reverie.console.widgets.diffpane import DiffPane
from tests.console.pilot import by_title, drive, goto, open_choice, prompts, queue, static_text


def test_queue_groups_by_kind_with_badges(make_store, make_app) -> None:
    store = make_store()
    app = make_app(store)

    async def script(pilot, app) -> None:
        q = queue(app)
        headers = [r.kind for r in q.rows if r.proposal is None]
        assert headers == ["instinct", "rule", "command", "skill"]  # KINDS order, weakest first
        assert len(q.proposals) == 6
        line = "".join(
            seg.text
            for seg in q.render_line(
                q.rows.index(
                    next(
                        r
                        for r in q.rows
                        if r.proposal and r.proposal.labels and r.proposal.labels[0].severity == "block"
                    )
                )
            )
        )
        assert "BLOCK" in line and "proj" in line and "40%" in line

    drive(app, script)


def test_approve_changes_status(make_store, make_app) -> None:
    store = make_store()
    app = make_app(store)

    async def script(pilot, app) -> None:
        await goto(pilot, app, "Prefer pnpm over npm")
        await pilot.press("a")
        await pilot.pause()
        assert store.proposal(by_title(store, "Prefer pnpm over npm").id).status == "approved"
        assert queue(app).current.status == "approved" or any(p.status == "approved" for p in queue(app).proposals)
        assert store.head().kind == "approve"

    drive(app, script)


def test_block_label_needs_explicit_confirmation_which_is_logged(make_store, make_app) -> None:
    store = make_store()
    app = make_app(store)
    title = "Curl the install script"

    async def script(pilot, app) -> None:
        await goto(pilot, app, title)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert by_title(store, title).status == "pending"
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        p = by_title(store, title)
        assert p.status == "approved"
        assert p.cleared_labels == ["memory_poisoning"]
        head = store.head()
        assert head.kind == "approve" and "memory_poisoning" in str(head.data)

    drive(app, script)


def test_reject_with_reason(make_store, make_app) -> None:
    store = make_store()
    app = make_app(store)

    async def script(pilot, app) -> None:
        await goto(pilot, app, "Tests before commit")
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"too vague")
        await pilot.press("enter")
        await pilot.pause()
        p = by_title(store, "Tests before commit")
        assert p.status == "rejected" and p.reject_reason == "too vague"

    drive(app, script)


def test_mark_several_then_approve_all(make_store, make_app) -> None:
    store = make_store()
    app = make_app(store)

    async def script(pilot, app) -> None:
        await goto(pilot, app, "Release checklist")
        await pilot.press("space", "space")  # marks this one and the next (the cursor moves down)
        await pilot.pause()
        assert len(queue(app).marked) == 2
        await pilot.press("a")
        await pilot.pause()
        statuses = {p.title: p.status for p in store.proposals()}
        assert statuses["Release checklist"] == "approved"
        assert statuses["Regenerate migrations"] == "approved"
        assert sum(s == "approved" for s in statuses.values()) == 2
        assert not queue(app).marked

    drive(app, script)


def test_apply_writes_files_and_undo_restores_them(make_store, make_app, workspace: Path) -> None:
    store = make_store()
    app = make_app(store)
    target = workspace / ".claude" / "commands"

    async def script(pilot, app) -> None:
        await goto(pilot, app, "Release checklist")
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("A")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        body = static_text(app.screen.query_one(".dialog-body Static", Static))
        assert "files to write (1)" in body and ".claude/commands/" in body
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        written = list(target.glob("*.md"))
        assert len(written) == 1 and "Bump the version" in written[0].read_text()
        assert by_title(store, "Release checklist").status == "applied"
        await pilot.press("z")
        await pilot.pause()
        assert not list(target.glob("*.md")) if target.exists() else True
        assert by_title(store, "Release checklist").status == "approved"

    drive(app, script)
    assert (workspace / "CLAUDE.md").read_text() == "# Project notes\n\nWe use pnpm.\nRun tests with `pnpm test`.\n"


def test_undo_and_redo_keys(make_store, make_app) -> None:
    store = make_store()
    app = make_app(store)

    async def script(pilot, app) -> None:
        await goto(pilot, app, "Tests before commit")
        await pilot.press("a")
        await pilot.pause()
        assert by_title(store, "Tests before commit").status == "approved"
        await pilot.press("z")
        await pilot.pause()
        assert by_title(store, "Tests before commit").status == "pending"
        await pilot.press("Z")
        await pilot.pause()
        assert by_title(store, "Tests before commit").status == "approved"

    drive(app, script)


def test_rescope_wider_shows_overreach(make_store, make_app) -> None:
    store = make_store()
    app = make_app(store)

    async def script(pilot, app) -> None:
        await goto(pilot, app, "Prefer pnpm over npm")
        options = await open_choice(pilot, "s")
        team = prompts(options)
        assert any("team" in t and "preference_overreach" in t for t in team)
        assert not any(t.startswith("path") and "overreach" in t for t in team)
        options.highlighted = 2  # team
        await pilot.press("enter")
        await pilot.pause()
        p = by_title(store, "Prefer pnpm over npm")
        assert p.scope == "team"
        info = static_text(app.screen.query_one("#info"))
        assert "preference_overreach" in info and "widened" in info

    drive(app, script)


def test_rescope_to_path_asks_for_globs(make_store, make_app) -> None:
    store = make_store()
    app = make_app(store)

    async def script(pilot, app) -> None:
        await goto(pilot, app, "Tests before commit")
        (await open_choice(pilot, "s")).highlighted = 0  # path
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"src/**")
        await pilot.press("enter")
        await pilot.pause()
        p = by_title(store, "Tests before commit")
        assert p.scope == "path" and p.paths == ["src/**"]

    drive(app, script)


def test_change_kind(make_store, make_app) -> None:
    store = make_store()
    app = make_app(store)

    async def script(pilot, app) -> None:
        await goto(pilot, app, "Prefer pnpm over npm")
        (await open_choice(pilot, "K")).highlighted = 2  # rule
        await pilot.press("enter")
        await pilot.pause()
        assert by_title(store, "Prefer pnpm over npm").kind == "rule"
        assert [r.kind for r in queue(app).rows if r.proposal is None].count("instinct") == 1

    drive(app, script)


def test_edit_inline_shows_second_diff(make_store, make_app) -> None:
    store = make_store()
    app = make_app(store)

    async def script(pilot, app) -> None:
        await goto(pilot, app, "Tests before commit")
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EditScreen)
        app.screen.query_one(TextArea).text = "Run `pnpm test` and `pnpm lint` before every commit."
        await pilot.press("ctrl+s")
        await pilot.pause()
        p = by_title(store, "Tests before commit")
        assert p.edited and "pnpm lint" in p.body and "pnpm lint" in p.after
        diff = app.screen.query_one(DiffPane).diff
        titles = [l.raw for l in diff.lines if l.tag == "#"]
        assert any("your edit" in t for t in titles)
        assert any(l.tag == "+" and "pnpm lint" in l.raw for l in diff.lines)
        assert any(l.tag == "-" and l.raw == "Run `pnpm test` before every commit." for l in diff.lines)

    drive(app, script)


def test_edit_cancel_changes_nothing(make_store, make_app) -> None:
    store = make_store()
    app = make_app(store)
    before = store.head().id

    async def script(pilot, app) -> None:
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one(TextArea).text = "something else"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)

    drive(app, script)
    assert store.head().id == before


def test_filter_narrows_the_queue(make_store, make_app) -> None:
    store = make_store()
    app = make_app(store)

    async def script(pilot, app) -> None:
        await pilot.press("slash")
        await pilot.pause()
        assert app.screen.query_one("#filter", Input).has_focus
        await pilot.press(*"block")
        await pilot.press("enter")
        await pilot.pause()
        titles = [p.title for p in queue(app).proposals]
        assert titles == ["Curl the install script"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(queue(app).proposals) == 6

    drive(app, script)


def test_help_lists_keys_including_approve_and_reject(make_store, make_app) -> None:
    store = make_store()
    app = make_app(store)

    async def script(pilot, app) -> None:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = static_text(app.screen.query_one("#help-table", Static))
        assert "approve" in text and "reject" in text and "apply" in text
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)

    drive(app, script)


def test_key_overrides_from_workspace_config(make_store, make_app, workspace: Path) -> None:
    store = make_store()
    (workspace / ".reverie" / "config.toml").write_text(
        (workspace / ".reverie" / "config.toml").read_text() + '\n[keys]\napprove = "y"\n', encoding="utf-8"
    )
    app = make_app(store)

    async def script(pilot, app) -> None:
        await goto(pilot, app, "Tests before commit")
        await pilot.press("a")  # no longer bound
        await pilot.pause()
        assert by_title(store, "Tests before commit").status == "pending"
        await pilot.press("y")
        await pilot.pause()
        assert by_title(store, "Tests before commit").status == "approved"
        await pilot.press("question_mark")
        await pilot.pause()
        text = static_text(app.screen.query_one("#help-table", Static))
        assert any(line.split()[:2] == ["y", "approve"] for line in text.splitlines() if line.strip())

    drive(app, script)


def test_history_shows_ops_and_restore_returns_state(make_store, make_app, workspace: Path) -> None:
    store = make_store()
    app = make_app(store)

    async def script(pilot, app) -> None:
        await goto(pilot, app, "Release checklist")
        await pilot.press("a", "A")
        await pilot.pause()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert list((workspace / ".claude" / "commands").glob("*.md"))
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        ops = app.screen.ops
        assert [o.kind for o in ops[:3]] == ["apply", "approve", "dream"]
        # the apply op's view diff names the written file
        diff = app.screen.query_one(DiffPane).diff
        assert any(l.tag == "#" and ".claude/commands/" in l.raw for l in diff.lines)
        # restore the dream op (before approve and apply)
        await pilot.press("j", "j")
        await pilot.pause()
        assert app.screen.current.kind == "dream"
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert store.head().kind == "restore"
        assert not list((workspace / ".claude" / "commands").glob("*.md"))
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert all(p.status == "pending" for p in queue(app).proposals)

    drive(app, script)


def test_discard_with_confirmation_then_empty_state(make_store, make_app) -> None:
    store = make_store()
    app = make_app(store)

    async def script(pilot, app) -> None:
        await pilot.press("D")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert store.current_candidate() is None
        empty = app.screen.query_one("#empty", Static)
        assert empty.display and EMPTY_NO_CANDIDATE in static_text(empty)

    drive(app, script)


def test_empty_state_without_candidate(make_store, make_app) -> None:
    store = make_store(candidate=False)
    app = make_app(store)

    async def script(pilot, app) -> None:
        empty = app.screen.query_one("#empty", Static)
        assert empty.display and "no candidate store — press d to dream" in static_text(empty)
        await pilot.press("a")  # nothing selected: a warning, no crash
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)

    drive(app, script)


def test_errors_become_notifications_not_crashes(make_store, make_app) -> None:
    store = make_store(candidate=False)
    app = make_app(store)

    async def script(pilot, app) -> None:
        await pilot.press("z")  # the import op cannot be undone past the start
        await pilot.press("Z")  # nothing to redo
        await pilot.press("A")  # nothing to apply
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert any(n.severity in ("error", "warning") for n in app._notifications)

    drive(app, script)


def test_side_by_side_toggle(make_store, make_app) -> None:
    store = make_store()
    app = make_app(store)

    async def script(pilot, app) -> None:
        pane = app.screen.query_one(DiffPane)
        assert not pane.side_by_side
        await pilot.press("v")
        await pilot.pause()
        assert pane.side_by_side
        row = "".join(seg.text for seg in pane.render_line(2))
        assert "│" in row

    drive(app, script)


def test_q_closes_a_screen_then_quits(make_store, make_app) -> None:
    store = make_store()
    app = make_app(store)

    async def script(pilot, app) -> None:
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running

    drive(app, script)


def test_command_palette_runs_an_action(make_store, make_app) -> None:
    store = make_store()
    app = make_app(store)

    async def script(pilot, app) -> None:
        await goto(pilot, app, "Tests before commit")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Approve the selected")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert by_title(store, "Tests before commit").status == "approved"

    drive(app, script)


def test_undo_over_a_hand_edit_reports_the_conflict(make_store, make_app, workspace: Path) -> None:
    store = make_store()
    app = make_app(store)

    async def script(pilot, app) -> None:
        await goto(pilot, app, "Tests before commit")
        await pilot.press("a", "A")
        await pilot.pause()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        target = workspace / "CLAUDE.local.md"
        text = target.read_text()
        assert "pnpm test" in text
        target.write_text(text.replace("before every commit", "before every push"))
        await pilot.press("z")
        await pilot.pause()
        assert target.read_text() == text.replace("before every commit", "before every push")  # never overwritten
        warnings = [n.message for n in app._notifications if n.severity == "warning"]
        assert any("left as they are" in m and "CLAUDE.local.md" in m for m in warnings), warnings

    drive(app, script)


def test_a_change_between_building_the_app_and_its_first_frame_is_shown(make_store, make_app) -> None:
    """The queue is read when the app is built; an approve made before it runs must not be lost."""
    store = make_store()
    app = make_app(store)
    target = by_title(store, "Release checklist")  # not under the cursor, whose row is re-read when shown
    store.approve([target.id])

    async def script(pilot, app) -> None:
        assert queue(app).current.id != target.id
        assert next(p for p in queue(app).proposals if p.id == target.id).status == "approved"
        assert len(queue(app).proposals) == 6

    drive(app, script)


def test_the_next_proposal_is_prepared_while_reading(make_store, make_app) -> None:
    """After j, the proposal a second j shows is already loaded whole and its diff built (no work on that press);
    the queue keeps its order and cursor when summaries are swapped for full proposals."""
    store = make_store()
    app = make_app(store)

    async def script(pilot, app) -> None:
        q = queue(app)
        order = [p.id for p in q.proposals]
        await pilot.press("g", "j")
        await pilot.pause()
        screen = app.screen
        nxt = q.neighbor(+1)
        assert nxt is not None and nxt.id in screen._full_ids  # loaded whole before it is shown
        built = len(screen._diff_cache)
        await pilot.press("j")
        await pilot.pause()
        assert q.current is not None and q.current.id == nxt.id
        assert [p.id for p in q.proposals] == order
        assert q.neighbor(-1) is not None and q.neighbor(-1).id == order[1]
        assert len(screen._diff_cache) >= built  # shown from the cache, the one after it prepared
        await pilot.press("k")
        await pilot.pause()
        assert q.current.id == order[1]

    drive(app, script)
