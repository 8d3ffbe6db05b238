"""The Textual review console: owns the store handle, the status line's figures, the watcher.

Screens do the review work (console/screens/); this module wires them to the
store and the dreamer. Heavy modules (the dreamer, litellm) are imported only
when a dream starts, so first paint stays fast.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from textual.app import App

from reverie.console import keys as keymod
from reverie.console.commands_palette import ReverieCommands
from reverie.console.widgets.status import StatusInfo, StatusLine
from reverie.store import paths
from reverie.store.errors import ReverieError
from reverie.store.models import Candidate, Event, Proposal

if TYPE_CHECKING:  # the dreamer is imported when a dream or the watcher starts, not at start-up
    from textual.timer import Timer

    from reverie.console.observed_view import ObservedRead
    from reverie.console.screens.main import MainScreen
    from reverie.dreamer.dream import DreamResult
    from reverie.dreamer.engines.base import ProgressCallback
    from reverie.dreamer.watch import AgentWrite, Watcher, WatchEvent
    from reverie.store.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

QueueRead = tuple[Candidate | None, list[Proposal], ReverieError | None, str, "ObservedRead"]
"""(open candidate, its proposal summaries, the error that stopped the read, head op id)."""

DreamJob = Callable[["ProgressCallback", threading.Event], "DreamResult"]
"""What the dream screen runs in its worker: job(progress, cancel) -> the dream's result."""


GC_YOUNG = 20_000
"""Allocations between young-generation collections while the console runs (Python's default: 700)."""


class DreamFn(Protocol):
    """`reverie.dreamer.dream.run_dream`, or a stand-in with its call shape (tests)."""

    def __call__(
        self, store: Store, *, transcripts: Sequence[Path], progress: ProgressCallback, cancel: threading.Event
    ) -> DreamResult: ...


ALWAYS_LOADED = ("CLAUDE.md", "CLAUDE.local.md", ".claude/CLAUDE.md")
MAX_TRANSCRIPT_EVENTS = 50_000


def estimate_context_tokens(workspace: Path) -> int:
    """Rough always-loaded context (≈ chars/4) of the files Claude Code reads every session.

    CLAUDE.md files, rules without `paths:` frontmatter, the first 200 lines of
    the auto-memory index, and the user's global CLAUDE.md.
    """
    chars = 0
    candidates = [workspace / p for p in ALWAYS_LOADED]
    rules = workspace / ".claude" / "rules"
    if rules.is_dir():
        for rule in sorted(rules.rglob("*.md"))[:500]:
            try:
                head = rule.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if head.startswith("---") and "\npaths:" in head.split("\n---", 1)[0]:
                continue
            chars += len(head)
    candidates.append(paths.home() / ".claude" / "CLAUDE.md")
    for path in candidates:
        try:
            chars += len(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    try:
        memory = paths.claude_memory_dir(workspace) / "MEMORY.md"
        chars += len("\n".join(memory.read_text(encoding="utf-8", errors="replace").split("\n")[:200]))
    except OSError:
        pass
    return chars // 4


def configured_theme(workspace: Path) -> str:
    """Theme from $REVERIE_THEME, else `[console] theme` in .reverie/config.toml (e.g. "textual-light")."""
    import os

    from reverie.store.config import config_table

    env = os.environ.get("REVERIE_THEME", "").strip()
    if env:
        return env
    try:
        return str(config_table(workspace, "console").get("theme", "")).strip()
    except ReverieError:  # an unreadable config must not keep the console from opening
        return ""


def short_home(path: Path) -> str:
    try:
        return "~/" + str(path.resolve().relative_to(paths.home().resolve()))
    except (ValueError, OSError):
        return str(path)


class ReverieApp(App[None]):
    """`store_factory()` opens a fresh Store (worker threads get their own connection)."""

    CSS_PATH = "reverie.tcss"
    TITLE = "reverie"
    COMMANDS = App.COMMANDS | {ReverieCommands}

    def __init__(
        self,
        store: Store,
        store_factory: Callable[[], Store],
        transcripts: Sequence[Path] = (),
        dream: DreamFn | None = None,
        watch: bool = True,
    ) -> None:
        # Start-up objects (modules, classes, the store) live as long as the app:
        # a full collection need not walk them. Without this, the first one (about
        # 40 ms, while the 10,000 proposals load) lands before the first frame.
        # Thawed on unmount, so test runs that build many apps free everything.
        gc.freeze()
        # Young collections less often: a key press allocates tens of thousands of short-lived objects
        # (strips, segments, a 5,000-line diff), and with the default 700 every press ran several
        # collections that promoted the cached diff lines toward costly full ones (the j/k p95).
        self._gc_threshold = gc.get_threshold()
        gc.set_threshold(GC_YOUNG, *self._gc_threshold[1:])
        super().__init__()
        self.store = store
        self.store_factory = store_factory
        self.workspace: Path = Path(store.workspace)
        self.transcripts = list(transcripts)
        self._dream = dream
        self.watch_enabled = watch
        self.candidate: Candidate | None = None
        self.key_overrides = keymod.load_overrides(self.workspace)
        self.status_info = StatusInfo(workspace=short_home(self.workspace))
        self._index_undreamed: int | None = None
        self._watcher: Watcher | None = None
        self.watch_events: list[WatchEvent] = []
        self._agent_writes: list[AgentWrite] = []
        self._agent_write_timer: Timer | None = None
        self._initial: QueueRead | None = self.read_queue()

    # --- the first load -------------------------------------------------------

    def read_queue(self) -> QueueRead:
        """(candidate, proposal summaries, error, head) read before Textual starts, so the first frame shows the queue.

        Synchronous on purpose: the summaries are one SQLite read (about 50 ms
        for 10,000); a thread was slower, fighting Textual's start-up for the
        GIL. Its own connection (`Store.reader`); the head it read comes along
        so a change made before mount is noticed.
        """

        from reverie.console.observed_view import ObservedRead, read_observed

        def read(store: Store) -> tuple[Candidate | None, list[Proposal], str, ObservedRead]:
            cand = store.current_candidate()
            dreamt = list(store.proposal_summaries(cand.id)) if cand else []
            return cand, dreamt, store.head().id, read_observed(store)

        result, error = self.with_own_store(read, "cannot read proposals", reader=True)
        cand, proposals, head, observed = result if result is not None else (None, [], "", ObservedRead())
        return cand, proposals, error, head, observed

    def with_own_store(
        self, action: Callable[[Store], T], failure: str, reader: bool = False
    ) -> tuple[T | None, ReverieError | None]:
        """Run `action` on a store connection of its own (SQLite connections are per
        thread) and close it; any error comes back as one line, never a crash.

        `reader=True` opens a read-only sibling of the app's store (no migrations,
        no recovery: the app's own open already did both).
        """
        try:
            store = self.store.reader() if reader else self.open_store()
            try:
                return action(store), None
            finally:
                store.close()
        except ReverieError as err:
            return None, err
        except Exception as err:  # keep the console alive; one line for the person
            log.exception(failure)
            return None, ReverieError(f"{failure}: {type(err).__name__}: {err}")

    def initial_load(self) -> QueueRead | None:
        """The queue read at construction, once (None after the first call)."""
        initial, self._initial = self._initial, None
        return initial

    # --- lifecycle ------------------------------------------------------------

    def on_mount(self) -> None:
        if self.key_overrides:
            self.set_keymap(self.key_overrides)
        theme = configured_theme(self.workspace)
        if theme:
            if theme in self.available_themes:
                self.theme = theme
            else:
                self.notify(
                    f"unknown theme {theme!r}; try one of: {', '.join(sorted(self.available_themes))}",
                    severity="warning",
                )
        from reverie.console.screens.main import MainScreen

        self.push_screen(MainScreen())
        self.call_after_refresh(self._slow_status)
        if self.watch_enabled:
            self.call_after_refresh(self.start_watcher)

    def on_unmount(self) -> None:
        self.stop_watcher()
        gc.unfreeze()
        gc.set_threshold(*self._gc_threshold)

    def open_store(self) -> Store:
        return self.store_factory()

    @property
    def main_screen(self) -> MainScreen | None:
        from reverie.console.screens.main import MainScreen

        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    def store_changed(self) -> None:
        """Another screen changed the store (history restore, undo): re-read the queue."""
        main = self.main_screen
        if main is not None:
            main.reload()

    # --- status line ----------------------------------------------------------

    def refresh_status(self) -> None:
        info = self.status_info
        try:
            info.head = self.store.head().id[:11]
        except ReverieError as err:
            info.head = f"? ({err})"
        info.candidate = self.candidate.id if self.candidate else ""
        counts: dict[str, int] = {}
        main = self.main_screen
        if main is not None:
            from reverie.console.observed_view import unreviewed

            observed_ids, observed = main.observed_ids, []
            for p in main.queue.all_proposals:  # one pass: dream proposals by status, observed writes apart
                if p.id in observed_ids:
                    observed.append(p)
                else:
                    counts[p.status] = counts.get(p.status, 0) + 1
            info.agent_writes, info.person_writes = unreviewed(observed)
        info.counts = counts
        info.undreamed = self._index_undreamed
        self._paint_status()

    def _paint_status(self) -> None:
        for screen in self.screen_stack:
            for line in screen.query(StatusLine):
                line.show(self.status_info)

    def set_busy(self, text: str) -> None:
        self.status_info.busy = text
        self._paint_status()

    def update_context(self) -> None:
        """Re-estimate the always-loaded context (a few small file reads)."""
        self.status_info.context_tokens = estimate_context_tokens(self.workspace)

    def _slow_status(self) -> None:
        """Figures that read files or the sessions index: after first paint."""
        self.status_info.context_tokens = estimate_context_tokens(self.workspace)
        self._index_undreamed = self._undreamed_from_index()
        self.refresh_status()

    def _undreamed_from_index(self) -> int | None:
        """Sessions indexed but not yet dreamed over (the watcher keeps the index current)."""
        try:
            return int(self.store.sessions.undreamed_count())
        except Exception as err:  # an index from an older version: the figure is optional
            log.debug("sessions index unavailable: %s", err)
            return None

    # --- watcher --------------------------------------------------------------

    def start_watcher(self) -> None:
        """Watch transcripts and managed artifacts from a worker thread.

        The watcher's first scan ingests what is new, which can take a while, so
        even starting it happens off the UI thread; its events come back through
        `call_from_thread`.
        """
        try:
            from reverie.dreamer.watch import Watcher
        except Exception as err:  # the console works without live updates
            log.debug("watcher unavailable: %s", err)
            return
        try:
            self._watcher = Watcher(self.workspace, self.transcripts, self.on_watch_event, db_path=self.store.db_path)
        except Exception as err:
            log.warning("watcher not started: %s", err)
            self._watcher = None
            return
        watcher = self._watcher

        def run() -> None:
            try:
                watcher.start()
            except Exception as err:
                log.warning("watcher stopped: %s", err)

        self.run_worker(run, thread=True, group="watch", exit_on_error=False)

    def stop_watcher(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            try:
                watcher.stop()
            except Exception:
                pass

    def on_watch_event(self, event: WatchEvent) -> None:
        """Called from the watcher thread: hand over to the UI thread, never block it."""
        try:
            self.call_from_thread(self.apply_watch_event, event)
        except RuntimeError:  # app closing
            pass

    def apply_watch_event(self, event: WatchEvent) -> None:
        """Runs on the UI thread: update the status line; warn about hand edits."""
        from reverie.dreamer.agent_files import classify
        from reverie.dreamer.watch import (
            AgentWrite,
            ArtifactEdited,
            SessionAdded,
            SessionGrown,
            SessionReset,
            WatcherNotice,
        )

        self.watch_events.append(event)
        if isinstance(event, (SessionAdded, SessionGrown, SessionReset)):
            self._index_undreamed = self._undreamed_from_index()
        elif isinstance(event, AgentWrite):
            self._agent_writes.append(event)
            if self._agent_write_timer is None:  # a consolidation arrives as a burst: one notice, one reload
                self._agent_write_timer = self.set_timer(0.2, self._announce_agent_writes)
        elif isinstance(event, ArtifactEdited):
            rel = event.path
            try:
                rel = str(Path(event.path).relative_to(self.workspace))
            except ValueError:
                pass
            if event.managed and classify(event.path, self.workspace) is None:  # watched files: an agent_write
                verb = "deleted" if event.deleted else "edited by hand"
                self.status_info.warnings.append(f"{rel} {verb}")
                self.notify(
                    f"{rel} was {verb}: Reverie manages it, so apply/undo will show it as a conflict",
                    severity="warning",
                    timeout=8,
                )
            self.status_info.context_tokens = estimate_context_tokens(self.workspace)
        elif isinstance(event, WatcherNotice):
            self.notify(event.message, timeout=5)
        self.refresh_status()

    def _announce_agent_writes(self) -> None:
        """Notify once for the writes that just arrived and show them in the queue."""
        from reverie.console.observed_view import write_notice

        events, self._agent_writes = self._agent_writes, []
        self._agent_write_timer = None
        if not events:
            return
        text, severity = write_notice(events)
        self.notify(text, severity=severity, timeout=10)  # type: ignore[arg-type]  # "warning" | "error"
        self.status_info.context_tokens = estimate_context_tokens(self.workspace)
        main = self.main_screen
        if main is not None:
            main.reload()

    # --- dreaming -------------------------------------------------------------

    def dream_job(self) -> DreamJob:
        """A job for the dream screen: runs in a worker thread with its own store."""
        dream = self._dream
        transcripts = list(self.transcripts)

        def job(progress: ProgressCallback, cancel: threading.Event) -> DreamResult:
            fn = dream
            if fn is None:
                from reverie.dreamer.dream import run_dream

                fn = run_dream
            store = self.open_store()
            try:
                return fn(store, transcripts=transcripts, progress=progress, cancel=cancel)
            finally:
                store.close()

        return job

    def dream_summary(self, result: DreamResult) -> str:
        n, sessions = len(result.proposals), result.sessions_read
        text = f"dream done: candidate {result.candidate.id}, {n} proposal{'s' if n != 1 else ''}"
        text += f" from {sessions} session{'s' if sessions != 1 else ''}"
        self._slow_status()
        return text

    # --- transcripts ----------------------------------------------------------

    def load_session(self, session_id: str) -> tuple[list[Event], str]:
        """A session's events from the sessions index, or a note saying why there are none."""
        try:
            index = self.store.sessions
            events: list[Event] = []
            for ev in index.iter_events(session_id):
                events.append(ev)
                if len(events) >= MAX_TRANSCRIPT_EVENTS:
                    break
            if not events:
                return [], f"session {session_id} is not in the sessions index (run `reverie ingest`)"
            return events, ""
        except ReverieError as err:
            return [], str(err)
        except Exception as err:  # an index from an older version: say so, do not crash
            log.warning("cannot read session %s: %s", session_id, err)
            return [], f"cannot read session {session_id}: {err}"


def reverie_app(app: App[Any]) -> ReverieApp:
    """`app` as the ReverieApp that screens and the palette call into by name.

    Why not `self.app.store`: Textual types `self.app` as a plain `App`, so every
    call into ours would be unchecked, and a renamed method would fail only when a
    person pressed the key. Through this, mypy checks each call.
    """
    if not isinstance(app, ReverieApp):
        raise TypeError(f"this screen runs inside ReverieApp, not {type(app).__name__}")
    return app
