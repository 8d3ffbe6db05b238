"""The main screen: queue | diff over provenance, the status line, and every review action.

Store calls happen here (the widgets only paint); each action is one store
operation, and any `ReverieError` becomes a notification, never a crash.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Footer, Input, Static

from reverie.console import keys as keymod
from reverie.console.app import ReverieApp, reverie_app
from reverie.console.diffview import Diff, build_diff, combine, lexer_name_for
from reverie.console.widgets.diffpane import DiffPane
from reverie.console.widgets.info import InfoPane, display_path
from reverie.console.widgets.queue import QueueView
from reverie.console.widgets.status import StatusLine
from reverie.store.errors import ReverieError
from reverie.store.models import KINDS, SCOPES, Candidate, Operation, Proposal, scope_rank

if TYPE_CHECKING:
    from textual.timer import Timer

    from reverie.console.observed_view import ObservedRead
    from reverie.console.screens.dream import DreamScreen
    from reverie.dreamer.dream import DreamResult
    from reverie.store.apply import ApplyResult
    from reverie.store.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")


EMPTY_NO_CANDIDATE = "no candidate store — press d to dream"
EMPTY_NO_PROPOSALS = "the open candidate has no proposals — press d to dream again, D to discard it"


class MainScreen(Screen[None]):
    BINDINGS = keymod.bindings(keymod.MAIN)

    def __init__(self) -> None:
        super().__init__()
        self.evidence_index = 0
        self._diff_cache: dict[str, Diff] = {}
        self.dream_screen: DreamScreen | None = None
        self._shown: Proposal | None = None
        self._full_ids: set[str] = set()
        """Ids of queue items already replaced by their full proposal."""
        self._step = 1
        """The direction of the last j/k, for preparing the next proposal while the person reads."""
        self._prefetch_timer: Timer | None = None
        self.observed_ids: set[str] = set()
        """Ids of the observed writes shown (agent/person edits Reverie did not make)."""

    @property
    def reverie(self) -> ReverieApp:
        return reverie_app(self.app)

    @property
    def store(self) -> Store:
        return self.reverie.store

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield QueueView(id="queue")
                yield Static(EMPTY_NO_CANDIDATE, id="empty")
                yield Input(placeholder="filter: words in title, kind, scope, status, label…", id="filter")
            with Vertical(id="right"):
                yield DiffPane(id="diff")
                yield InfoPane(workspace=self.reverie.workspace, id="info")
        yield Footer()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self.query_one("#filter", Input).display = False
        self.query_one(QueueView).focus()
        initial = self.reverie.initial_load()
        if initial is not None:  # read before Textual started: the first frame shows the queue
            self._loaded(*initial)
            return
        empty = self.query_one("#empty", Static)
        empty.update("loading proposals…")
        self.queue.display = False
        self.load_initial()

    @work(thread=True, exclusive=True, group="load")
    def load_initial(self) -> None:
        """A load off the UI thread when the app's start-up read was already taken: the screen paints at once."""
        self.app.call_from_thread(self._loaded, *self.reverie.read_queue())

    def _loaded(
        self,
        cand: Candidate | None,
        proposals: list[Proposal],
        error: ReverieError | None,
        head: str,
        observed: ObservedRead,
    ) -> None:
        if error is not None:
            self.notify(str(error), severity="error")
        elif head and head != self.store.head().id:  # changed since it was read (another screen, a test)
            self.reload()
            return
        self._show_loaded(cand, proposals, None, observed)

    # --- data -----------------------------------------------------------------

    @property
    def queue(self) -> QueueView:
        return self.query_one(QueueView)

    def reload(self, keep: str | None = None) -> None:
        """Re-read the open candidate's proposals and the status line."""
        from reverie.console.observed_view import ObservedRead, read_observed

        try:
            cand = self.store.current_candidate()
            proposals = list(self.store.proposal_summaries(cand.id)) if cand else []
            observed = read_observed(self.store)
        except ReverieError as err:
            self.notify(str(err), severity="error")
            cand, proposals, observed = None, [], ObservedRead()
        self._show_loaded(cand, proposals, keep, observed)

    def _show_loaded(
        self, cand: Candidate | None, dreamt: list[Proposal], keep: str | None, observed: ObservedRead
    ) -> None:
        """Observed writes first (each batch its own group), then the dream candidate's proposals by kind."""
        self._full_ids.clear()
        self.reverie.candidate = cand
        self.observed_ids = observed.ids
        proposals = [*observed.proposals, *dreamt]
        self.queue.set_proposals(proposals, keep=keep, groups=observed.groups)
        # The queue's proposals live until the next reload: keep full collections from walking them on
        # every few key presses (at 10,000 proposals each one took tens of ms, the j/k p95). Frozen
        # objects are still freed by reference counting when a reload drops them; the app thaws all on exit.
        gc.freeze()
        empty = self.query_one("#empty", Static)
        if not proposals:
            empty.update(EMPTY_NO_CANDIDATE if cand is None else EMPTY_NO_PROPOSALS)
        empty.display = not proposals
        self.queue.display = bool(proposals)
        if not proposals:
            self.show_detail(None)
        self.reverie.update_context()
        self.reverie.refresh_status()

    def refresh_ids(self, ids: list[str]) -> None:
        """Re-read only these proposals (an approve of one in 10,000 stays instant)."""
        fresh: dict[str, Proposal] = {}
        for pid in ids:
            try:
                fresh[pid] = self.store.proposal(pid)
            except ReverieError:
                self.reload()
                return
        self._full_ids.update(fresh)
        items = [fresh.get(p.id, p) for p in self.queue.all_proposals]
        self.queue.set_proposals(items)
        self.show_detail(self.queue.current)
        self.reverie.refresh_status()

    def _theme_changed(self, _theme: Theme) -> None:
        """Diff and provenance colours depend on dark/light: paint them again."""
        self._diff_cache.clear()
        self.queue.refresh_rows()
        self.show_detail(self.queue.current)

    def on_queue_view_highlighted(self, event: QueueView.Highlighted) -> None:
        self._sync_detail()

    def _sync_detail(self) -> None:
        """Show the proposal under the cursor, once (keys call this in the same turn as the move,
        so the queue and the detail land in one frame)."""
        p = self.queue.current
        if p is self._shown and p is not None:
            return
        self.evidence_index = 0
        self.show_detail(p)

    def diff_for(self, p: Proposal) -> Diff:
        dark = self.app.current_theme.dark
        key = hashlib.sha1(
            "\0".join([p.id, p.target, p.before, p.after, p.body, p.original_body, str(dark)]).encode(
                "utf-8", "surrogatepass"
            )
        ).hexdigest()
        diff = self._diff_cache.get(key)
        if diff is None:
            shown = display_path(p.target, self.reverie.workspace) or "target"
            main = build_diff(p.before, p.after, p.target or (p.name + ".md"), dark=dark)
            if p.edited:
                edit = build_diff(p.original_body, p.body, p.target or (p.name + ".md"), context=None, dark=dark)
                diff = combine(
                    [
                        (f"{shown}  (+{main.added} −{main.removed})", main),
                        ("your edit: original body → edited body", edit),
                    ]
                )
            elif not main.lines:
                diff = main
            else:
                diff = combine(
                    [
                        (
                            f"{shown}  (+{main.added} −{main.removed})"
                            + ("  ⚠ invisible characters shown escaped" if main.invisible else ""),
                            main,
                        )
                    ]
                )
            self._remember_diff(key, diff)
        return diff

    DIFF_CACHE_LINES = 20_000
    """Diff lines kept for moving back and forth: a few 5,000-line files or many small ones (every cached
    line is an object a full garbage collection walks)."""

    def _remember_diff(self, key: str, diff: Diff) -> None:
        cache = self._diff_cache
        cache[key] = diff
        total = sum(len(d.lines) for d in cache.values())
        while len(cache) > 1 and (total > self.DIFF_CACHE_LINES or len(cache) > 64):
            oldest = next(iter(cache))
            total -= len(cache.pop(oldest).lines)

    def _ensure_full(self, p: Proposal) -> Proposal:
        """The queue holds summaries (no body or diff); fetch the whole proposal once it is shown."""
        if p.id in self._full_ids:
            return p
        try:
            full = self.store.proposal(p.id)
        except ReverieError as err:
            self.notify(str(err), severity="error")
            return p
        self._full_ids.add(p.id)
        self.queue.replace_item(full)
        return full

    def show_detail(self, p: Proposal | None) -> None:
        if p is not None:
            p = self._ensure_full(p)
        self._shown = p
        pane = self.query_one(DiffPane)
        if p is None:
            pane.show(None, "")
        else:
            diff = self.diff_for(p)
            pane.show(
                diff if diff.lines else None, "" if diff.lines else "(this proposal does not change the target's text)"
            )
        self.query_one(InfoPane).show(p, self.evidence_index)
        if p is not None:
            self.call_after_refresh(self._schedule_prefetch)

    PREFETCH_DELAY = 0.06
    """Seconds after the move's first frame before preparing the next proposal: the layout pass of a
    new diff queues a second frame (the scrollbars) some 25-30 ms later, and a prefetch run in between
    held it back by its whole duration (tens of ms for a 5,000-line diff)."""

    def _schedule_prefetch(self) -> None:
        """(Re)start the prefetch timer: while moves keep coming, nothing is prepared in between them."""
        if self._prefetch_timer is not None:
            self._prefetch_timer.stop()
        self._prefetch_timer = self.set_timer(self.PREFETCH_DELAY, self._prefetch)

    def _prefetch(self) -> None:
        """After the frames of this move are painted: load, diff and fold the proposal the next j/k
        (same way) shows.

        A 5,000-line diff takes tens of milliseconds to build and fold; doing it
        while the person reads keeps the next key press to a repaint.
        """
        self._prefetch_timer = None
        nxt = self.queue.neighbor(self._step)
        if nxt is None:
            return
        nxt = self._ensure_full(nxt)
        diff = self.diff_for(nxt)
        self.query_one(DiffPane).prepare(diff if diff.lines else None)

    # --- movement -------------------------------------------------------------

    def action_cursor_down(self) -> None:
        self._step = 1
        self.queue.cursor_down()
        self._sync_detail()

    def action_cursor_up(self) -> None:
        self._step = -1
        self.queue.cursor_up()
        self._sync_detail()

    def action_page_down(self) -> None:
        self.queue.page_down()
        self._sync_detail()

    def action_page_up(self) -> None:
        self.queue.page_up()
        self._sync_detail()

    def action_cursor_top(self) -> None:
        self.queue.cursor_top()
        self._sync_detail()

    def action_cursor_bottom(self) -> None:
        self.queue.cursor_bottom()
        self._sync_detail()

    def action_mark_group(self) -> None:
        """Mark every pending write of the current group (a consolidation), for one keep or revert."""
        n = self.queue.mark_group()
        self.notify(f"{n} marked: a keeps them all, x reverts them all" if n else "nothing pending in this group")

    def action_toggle_mark(self) -> None:
        self.queue.toggle_mark()
        n = len(self.queue.marked)
        if n:
            self.notify(f"{n} marked", timeout=1.5)

    def action_toggle_side_by_side(self) -> None:
        self.query_one(DiffPane).toggle_side_by_side()

    def action_next_evidence(self) -> None:
        p = self.queue.current
        if p and p.evidence:
            self.evidence_index = (self.evidence_index + 1) % len(p.evidence)
            self.query_one(InfoPane).show(p, self.evidence_index)

    # --- helpers --------------------------------------------------------------

    def _selected(self) -> list[Proposal]:
        sel = self.queue.selected()
        if not sel:
            self.notify("nothing selected", severity="warning")
        return sel

    def _do(self, fn: Callable[[], T], done: str, ids: list[str] | None = None, full: bool = False) -> T | None:
        """Run one store operation; notify; refresh the affected rows."""
        try:
            result = fn()
        except ReverieError as err:
            self.notify(str(err), severity="error")
            return None
        if done:
            self.notify(done)
        if full or not ids:
            self.reload()
        else:
            self.refresh_ids(ids)
        return result

    # --- review actions -------------------------------------------------------

    def action_approve(self) -> None:
        sel = self._selected()
        if not sel:
            return
        blocked = [p for p in sel if p.blocking_labels()]
        plain = [p for p in sel if not p.blocking_labels()]
        if not blocked:
            self._approve(plain, clear=False)
            return
        from reverie.console.screens.modals import ConfirmScreen

        body = Text()
        for p in blocked:
            body.append(f"{p.id}  {p.title}\n", "bold")
            for label in p.blocking_labels():
                body.append(f"  BLOCK {label.label}: {label.reason}\n")
        body.append("\nClearing a block label is recorded in the operation log.")

        def answer(ok: bool | None) -> None:
            if ok:
                self._approve(plain + blocked, clear=True)
            elif plain:
                self._approve(plain, clear=False)

        n = len(blocked)
        self.app.push_screen(
            ConfirmScreen(
                f"{n} proposal{'s' if n > 1 else ''} carr{'y' if n > 1 else 'ies'} a block label. "
                "Clear it and approve?",
                body,
                yes="Clear and approve",
                danger=True,
            ),
            answer,
        )

    def _approve(self, props: list[Proposal], clear: bool) -> None:
        ids = [p.id for p in props]
        if not ids:
            return
        self.queue.marked.clear()
        label = " (block label cleared, logged)" if clear else ""
        kept = sum(1 for i in ids if i in self.observed_ids)
        verb = f"kept {kept} write{'s' if kept != 1 else ''}" if kept == len(ids) else f"approved {len(ids)}"
        self._do(lambda: self.store.approve(ids, clear_blocks=clear), f"{verb}{label}", ids)

    def action_reject(self) -> None:
        sel = self._selected()
        if not sel:
            return
        from reverie.console.screens.modals import PromptScreen

        ids = [p.id for p in sel]
        reverts = all(i in self.observed_ids for i in ids)
        done = (
            f"reverted {len(ids)}: the last reviewed bytes are back (z undoes)" if reverts else f"rejected {len(ids)}"
        )

        def answer(reason: str | None) -> None:
            if reason is None:
                return
            self.queue.marked.clear()
            self._do(lambda: self.store.reject(ids, reason=reason.strip()), done, ids)

        verb = "Revert" if reverts else "Reject"
        title = (
            f"{verb} {len(ids)} proposal{'s' if len(ids) > 1 else ''}" if len(ids) > 1 else f"{verb}: {sel[0].title}"
        )
        self.app.push_screen(
            PromptScreen(title, placeholder=f"reason (optional) — enter to {verb.lower()}, escape to cancel"),
            answer,
        )

    def action_edit_inline(self) -> None:
        p = self.queue.current
        if p is None:
            return
        from reverie.console.screens.edit import EditScreen

        language = {"markdown": "markdown", "json": "json", "bash": "bash", "python": "python"}.get(
            lexer_name_for(p.target)
        )

        def answer(body: str | None) -> None:
            from reverie.dreamer import review  # critics and replay run again on every change

            if body is not None:
                self._do(lambda: review.edit(self.store, p.id, body), "edited (the diff shows your edit below)", [p.id])

        self.app.push_screen(EditScreen(p.title or p.id, p.body, language if p.kind != "hook" else None), answer)

    def action_edit_external(self) -> None:
        """$EDITOR (or $VISUAL) on a private temp file, the console suspended meanwhile."""
        p = self.queue.current
        if p is None:
            return
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor:
            self.notify("set $EDITOR to edit outside the console (e inline works without it)", severity="warning")
            return
        fd, path = tempfile.mkstemp(prefix="reverie-edit-", suffix=".md" if p.kind != "hook" else ".sh")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(p.body if p.body.endswith("\n") else p.body + "\n")  # editors expect a final newline
            try:
                with self.app.suspend():
                    subprocess.run([*shlex.split(editor), path], check=False)
            except Exception as err:  # no terminal to suspend to (e.g. under a test driver)
                self.notify(f"cannot open $EDITOR here: {err}", severity="error")
                return
            with open(path, encoding="utf-8") as fh:
                body = fh.read()
            if not p.body.endswith("\n") and body.endswith("\n"):
                body = body[:-1]
        finally:
            try:
                os.unlink(path)
            except OSError:
                pass
        if body != p.body:
            from reverie.dreamer import review

            self._do(lambda: review.edit(self.store, p.id, body), "edited in $EDITOR", [p.id])

    def action_rescope(self) -> None:
        p = self.queue.current
        if p is None:
            return
        from reverie.console.screens.modals import ChoiceScreen, PromptScreen

        original = p.original_scope or p.scope
        options: list[tuple[str, Text | str]] = []
        for scope in SCOPES:
            t = Text(f"{scope:<8}")
            if scope == p.scope:
                t.append(" (current)", "dim")
            if scope_rank(scope) > scope_rank(original):
                t.append(" wider than the evidence: earns preference_overreach", "bold #d78700")
            elif scope_rank(scope) < scope_rank(original):
                t.append(" narrower", "dim")
            options.append((scope, t))

        def chosen(scope: str | None) -> None:
            if scope is None or (scope == p.scope and scope != "path"):
                return
            if scope == "path":

                def paths_given(value: str | None) -> None:
                    if value is None:
                        return
                    globs = [g.strip() for g in value.replace(",", " ").split() if g.strip()]
                    if not globs:
                        self.notify("path scope needs at least one glob", severity="error")
                        return
                    self._rescope(p, scope, globs)

                self.app.push_screen(
                    PromptScreen(
                        "Path globs (space or comma separated)",
                        " ".join(p.paths),
                        placeholder="src/db/**  migrations/*.sql",
                    ),
                    paths_given,
                )
            else:
                self._rescope(p, scope, None)

        self.app.push_screen(ChoiceScreen(f"Scope of: {p.title}", options, current=p.scope), chosen)

    def _rescope(self, p: Proposal, scope: str, paths: list[str] | None) -> None:
        from reverie.dreamer import review

        note = ""
        if scope_rank(scope) > scope_rank(p.original_scope or p.scope):
            note = " — wider than the evidence: labelled preference_overreach"
        self._do(lambda: review.rescope(self.store, p.id, scope, paths), f"scope → {scope}{note}", [p.id])

    def action_rekind(self) -> None:
        p = self.queue.current
        if p is None:
            return
        from reverie.console.screens.modals import ChoiceScreen

        options: list[tuple[str, Text | str]] = []
        for kind in KINDS:
            t = Text(f"{kind:<9}")
            if kind == p.kind:
                t.append(" (current)", "dim")
            if kind == "hook":
                t.append(" runs code: needs a script body and replay", "dim")
            options.append((kind, t))

        def chosen(kind: str | None) -> None:
            from reverie.dreamer import review

            if kind and kind != p.kind:
                self._do(lambda: review.rekind(self.store, p.id, kind), f"kind → {kind}", [p.id])

        self.app.push_screen(ChoiceScreen(f"Kind of: {p.title}", options, current=p.kind), chosen)

    # --- apply / dream / discard / history / undo ----------------------------

    def action_apply(self) -> None:
        try:
            plan = self.store.plan_apply()
        except ReverieError as err:
            self.notify(str(err), severity="error")
            return
        from reverie.console.screens.applyplan import plan_summary
        from reverie.console.screens.modals import ConfirmScreen

        summary, writes = plan_summary(plan, self.queue.all_proposals, self.reverie.workspace)
        if not writes:
            self.notify("nothing to apply: approve proposals first (a)", severity="warning")
            return

        def answer(ok: bool | None) -> None:
            if ok:
                self.run_apply()

        self.app.push_screen(ConfirmScreen("Apply the approved proposals?", summary, yes="Apply"), answer)

    @work(thread=True, exclusive=True, group="apply")
    def run_apply(self) -> None:
        """Apply on a store of its own (one SQLite connection per thread)."""
        self.app.call_from_thread(self.reverie.set_busy, "applying…")
        result, error = self.reverie.with_own_store(lambda store: store.apply(), "apply failed")
        self.app.call_from_thread(self._applied, error or result)

    def _applied(self, result: ApplyResult | ReverieError | None) -> None:
        from reverie.console.screens.applyplan import result_summary

        self.reverie.set_busy("")
        if isinstance(result, ReverieError):
            self.notify(str(result), severity="error")
        elif result is not None:
            text, conflicted = result_summary(result)
            self.notify(text, severity="warning" if conflicted else "information", timeout=6)
        self.reload()

    def action_dream(self) -> None:
        from reverie.console.screens.dream import DreamScreen

        job = self.reverie.dream_job()

        def finished(result: DreamResult | BaseException | None) -> None:
            from reverie.dreamer.engines.base import DreamCancelled

            if result is None:  # the screen closed without a result
                self.reload()
                return
            if isinstance(result, BaseException):
                name = type(result).__name__
                if isinstance(result, DreamCancelled):
                    self.notify("dream cancelled; nothing was written", severity="warning")
                elif isinstance(result, ReverieError):
                    self.notify(str(result), severity="error")
                else:
                    self.notify(f"dream failed: {name}: {result}", severity="error")
                self.reload()
                return
            self.notify(self.reverie.dream_summary(result), timeout=6)
            self.reload()

        self.dream_screen = DreamScreen(job)
        self.app.push_screen(self.dream_screen, finished)

    def action_discard(self) -> None:
        cand = self.reverie.candidate
        if cand is None:
            self.notify("no open candidate store to discard", severity="warning")
            return
        from reverie.console.screens.modals import ConfirmScreen

        counts: dict[str, int] = {}
        for p in self.queue.all_proposals:
            counts[p.status] = counts.get(p.status, 0) + 1
        body = Text(
            f"{cand.id}: {', '.join(f'{n} {s}' for s, n in counts.items()) or 'no proposals'}\n\n"
            "The candidate is kept for audit; the active store and the workspace are untouched.\n"
            "z undoes the discard."
        )

        def answer(ok: bool | None) -> None:
            if ok:
                self._do(lambda: self.store.discard(cand.id), f"discarded {cand.id}", full=True)

        self.app.push_screen(ConfirmScreen("Discard the candidate store?", body, yes="Discard", danger=True), answer)

    def action_history(self) -> None:
        from reverie.console.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.store))

    def action_why_not(self) -> None:
        """Every moment the dream behind this candidate saw, and why it was kept or dropped."""
        from reverie.console.screens.whynot import WhyNotScreen
        from reverie.dreamer.ledger import EXPLAIN_NAMESPACE

        cand = self.reverie.candidate
        if cand is None:
            self.notify("no candidate store — press d to dream", severity="warning")
            return
        entries = self.store.cache_get(EXPLAIN_NAMESPACE, cand.id) or []
        current = self.queue.current
        self.app.push_screen(WhyNotScreen(list(entries), current.id if current else "", cand.id))

    def action_undo(self) -> None:
        self._undo_redo(self.store.undo, "undo")

    def action_redo(self) -> None:
        self._undo_redo(self.store.redo, "redo")

    def _undo_redo(self, fn: Callable[[], Operation], verb: str) -> None:
        from reverie.console.screens.applyplan import op_outcome

        op = self._do(fn, "", full=True)
        if op is not None:
            text, conflicted = op_outcome(verb, op)
            self.notify(text, severity="warning" if conflicted else "information", timeout=8 if conflicted else 4)

    # --- filter, transcript, help, quit --------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.queue.set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            event.input.display = bool(event.value)
            self.queue.focus()
            shown = len(self.queue.proposals)
            self.notify(f"{shown} of {self.queue.total} shown" if event.value else "filter cleared", timeout=2)

    def key_escape(self) -> None:
        box = self.query_one("#filter", Input)
        if box.has_focus or box.display:
            box.value = ""
            box.display = False
            self.queue.set_filter("")
            self.queue.focus()
        elif self.queue.marked:
            self.queue.marked.clear()
            self.queue.refresh_rows()

    def action_open_evidence(self) -> None:
        p = self.queue.current
        if p is None:
            return
        if not p.evidence:
            self.notify("this proposal cites no session events", severity="warning")
            return
        ev = p.evidence[min(self.evidence_index, len(p.evidence) - 1)]
        from reverie.console.screens.transcript import TranscriptScreen

        events, note = self.reverie.load_session(ev.session_id)
        self.app.push_screen(TranscriptScreen(ev, events, note))

    def action_help(self) -> None:
        from reverie.console.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(keymod.MAIN, self.reverie.key_overrides, "review keys"))

    def action_quit_screen(self) -> None:
        self.app.exit()
