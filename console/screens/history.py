"""`h`: the operation log; the selected operation's view diffed against its parent; restore."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from reverie.console import keys as keymod
from reverie.console.app import reverie_app
from reverie.console.diffview import Diff, build_diff, combine
from reverie.console.widgets.diffpane import DiffPane
from reverie.store.errors import ReverieError
from reverie.store.models import Operation
from reverie.store.views import View

if TYPE_CHECKING:
    from reverie.store.store import Store

log = logging.getLogger(__name__)
LOG_LIMIT = 500


def _files_of(view: View) -> dict[str, dict[str, Any]]:
    return dict(view.files)


def _blob_text(store: Store, h: str | None) -> str:
    if not h:
        return ""
    try:
        return str(store.blob_text(h))
    except Exception as err:  # a pruned blob (gc) — say so rather than fail
        return f"(content unavailable: {err})"


def view_changes(store: Store, op: Operation) -> Diff:
    """What `op` changed: artifacts (bodies) and workspace files, against its parent's view."""
    sections: list[tuple[str, Diff]] = []
    try:
        new_arts = {a.id: a for a in store.active_artifacts(op.id)}
        old_arts = {a.id: a for a in store.active_artifacts(op.parent)} if op.parent else {}
        for aid in sorted(set(new_arts) | set(old_arts)):
            a, b = old_arts.get(aid), new_arts.get(aid)
            if a is not None and b is not None and a.body == b.body and a.scope == b.scope and a.kind == b.kind:
                continue
            art = b or a
            assert art is not None
            verb = "added" if a is None else "removed" if b is None else "changed"
            title = f"artifact {verb}: {art.kind} {art.name} ({art.scope})"
            sections.append((title, build_diff(a.body if a else "", b.body if b else "", art.name + ".md")))
        new_files = _files_of(store.view(op.id))
        old_files = _files_of(store.view(op.parent)) if op.parent else {}
        for path in sorted(set(new_files) | set(old_files)):
            a_rec, b_rec = old_files.get(path) or {}, new_files.get(path) or {}
            if a_rec.get("hash") == b_rec.get("hash"):
                continue
            verb = "written" if not a_rec else "removed" if not b_rec else "changed"
            sections.append(
                (
                    f"file {verb}: {path}",
                    build_diff(_blob_text(store, a_rec.get("hash")), _blob_text(store, b_rec.get("hash")), path),
                )
            )
    except ReverieError as err:
        sections.append((f"cannot show this operation's view: {err}", Diff("", "text")))
    if not sections:
        note = "review state only (statuses, edits, candidates) — no artifact or file changed"
        sections.append((note, Diff("", "text")))
    return combine(sections)


def op_line(op: Operation, head_id: str) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append("@ " if op.id == head_id else "  ", "bold")
    t.append(op.id[:11] + " ", "dim")
    t.append(op.created_at[:19].replace("T", " ") + " ", "dim")
    t.append(f"{op.kind:<8}", "bold")
    t.append(f" {op.actor:<6} ", "dim")
    desc = op.description if len(op.description) <= 70 else op.description[:69] + "…"
    t.append(desc)
    return t


class HistoryScreen(Screen[None]):
    BINDINGS = keymod.bindings(keymod.HISTORY)

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.ops: list[Operation] = []

    def compose(self) -> ComposeResult:
        yield Static(" operation log — enter/j/k select · r restore · z/Z undo/redo · q back", id="history-title")
        with Horizontal(id="history-body"):
            yield OptionList(id="oplist")
            yield DiffPane(id="opdiff")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.query_one(OptionList).focus()

    def reload(self, keep: str | None = None) -> None:
        try:
            self.ops = list(self.store.log(limit=LOG_LIMIT))
            head = self.store.head().id
        except ReverieError as err:
            self.notify(str(err), severity="error")
            return
        ol = self.query_one(OptionList)
        ol.clear_options()
        ol.add_options([Option(op_line(op, head), id=op.id) for op in self.ops])
        if self.ops:
            index = next((i for i, op in enumerate(self.ops) if op.id == keep), 0)
            ol.highlighted = index
            self._show(self.ops[index])

    @property
    def current(self) -> Operation | None:
        ol = self.query_one(OptionList)
        if ol.highlighted is None or not (0 <= ol.highlighted < len(self.ops)):
            return None
        return self.ops[ol.highlighted]

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        op = self.current
        if op is not None:
            self._show(op)

    def _show(self, op: Operation) -> None:
        self.query_one(DiffPane).show(view_changes(self.store, op))

    def action_cursor_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_restore(self) -> None:
        op = self.current
        if op is None:
            return
        from reverie.console.screens.modals import ConfirmScreen

        body = Text(
            f"{op.id}  {op.kind}: {op.description}\n\n"
            "The active store, review state and workspace files return to this operation's view.\n"
            "Restoring is itself an operation: z undoes it."
        )

        def done(ok: bool | None) -> None:
            if ok:
                self._run(lambda: self.store.restore(op.id), "restored")

        self.app.push_screen(ConfirmScreen(f"Restore to {op.id[:11]}?", body, yes="Restore", danger=True), done)

    def action_undo(self) -> None:
        self._run(self.store.undo, "undid")

    def action_redo(self) -> None:
        self._run(self.store.redo, "redid")

    def _run(self, fn: Callable[[], Operation], verb: str) -> None:
        try:
            op = fn()
        except ReverieError as err:
            self.notify(str(err), severity="warning")
            return
        from reverie.console.screens.applyplan import op_outcome

        text, conflicted = op_outcome(verb, op)
        self.notify(text, severity="warning" if conflicted else "information", timeout=8 if conflicted else 4)
        self.reload(keep=op.id)
        reverie_app(self.app).store_changed()

    def action_help(self) -> None:
        from reverie.console.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(keymod.HISTORY, reverie_app(self.app).key_overrides, "history keys"))

    def action_close(self) -> None:
        self.app.pop_screen()
