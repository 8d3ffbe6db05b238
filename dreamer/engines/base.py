"""The engine interface: what every dream engine receives and returns.

An engine reads sessions (already redacted, from the sessions index) and the
active artifacts, and returns proposals. It never writes to the active store or
the workspace; the dream pass (`dreamer.dream`) runs the critics and replay on
whatever an engine returns and opens the candidate store.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from reverie.dreamer.ledger import Ledger
from reverie.dreamer.model import SessionSignals
from reverie.store.models import Artifact, Event, Proposal

ProgressCallback = Callable[[str, int, int], None]
"""progress(stage, done, total): called from the dreaming thread."""


class DreamCancelled(Exception):
    """Raised inside an engine when `DreamContext.cancel` is set."""


@dataclass(slots=True)
class SessionRef:
    """A session the dream reads: identity, where it came from, and its content hash."""

    session_id: str
    agent: str
    path: str
    cwd: str
    content_hash: str
    started_at: str = ""
    ended_at: str = ""
    events: int = 0


@dataclass
class DreamContext:
    workspace: Path
    sessions: list[SessionRef]
    artifacts: list[Artifact]
    load_events: Callable[[str], Iterator[Event]]
    """Events of one session, in order (redacted)."""
    cache_get: Callable[[str, str], Any]
    cache_put: Callable[[str, str, Any], None]
    progress: ProgressCallback | None = None
    cancel: threading.Event | None = None
    options: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    """Engines add figures here (tokens, cost, cache hits); stored with the candidate."""
    signals: list[SessionSignals] | None = None
    """Per-session signals (`dreamer.signals`), filled once per dream and shared by
    the heuristic engine and replay; None until computed."""
    ledger: Ledger = field(default_factory=Ledger)
    """Why each candidate moment was kept or dropped (`reverie dream --explain`); engines note decisions."""

    def check_cancelled(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise DreamCancelled("dream cancelled")

    def report(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)


class Engine(Protocol):
    name: str

    def propose(self, ctx: DreamContext) -> list[Proposal]:
        """Proposals for this context; ids, targets and diffs are filled by the store."""
        ...
