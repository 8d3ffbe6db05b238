"""`d`: a dream in a worker thread, with a progress bar; escape cancels it."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, ProgressBar, Static
from textual.worker import get_current_worker

from reverie.console import keys as keymod

if TYPE_CHECKING:
    from reverie.console.app import DreamJob
    from reverie.dreamer.dream import DreamResult


class DreamScreen(ModalScreen["DreamResult | BaseException"]):
    """Runs `job(progress, cancel)` in a thread; dismisses with its result, or an exception.

    The job gets `progress(stage, done, total)` (called from the worker thread; the
    screen marshals it with `call_from_thread`) and a `threading.Event` to honour.
    """

    BINDINGS = keymod.bindings(keymod.DREAM)

    def __init__(self, job: DreamJob) -> None:
        super().__init__(classes="dialog-screen")
        self.job = job
        self.cancel_event = threading.Event()
        self.stages: list[tuple[str, int, int]] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dream"):
            yield Label("dreaming over the sessions…", classes="dialog-title")
            yield Static("starting", id="dream-stage")
            yield ProgressBar(total=None, show_eta=False, id="dream-progress")
            yield Static("escape: cancel (nothing is written until the dream completes)", classes="dim")

    def on_mount(self) -> None:
        self.run_job()

    @work(thread=True, exclusive=True, group="dream")
    def run_job(self) -> None:
        worker = get_current_worker()

        def progress(stage: str, done: int, total: int) -> None:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._progress, stage, done, total)

        try:
            result: DreamResult | BaseException = self.job(progress, self.cancel_event)
        except BaseException as err:  # handed to the screen that opened us, shown as one line
            result = err
        self.app.call_from_thread(self.dismiss, result)

    def _progress(self, stage: str, done: int, total: int) -> None:
        self.stages.append((stage, done, total))
        self.query_one("#dream-stage", Static).update(f"{stage} {done}/{total}" if total else stage)
        bar = self.query_one(ProgressBar)
        if total:
            bar.update(total=total, progress=done)
        else:
            bar.update(total=None)

    def action_cancel(self) -> None:
        self.cancel_event.set()
        self.query_one("#dream-stage", Static).update("cancelling…")
