"""The store's clock and id generator, injected so tests and demos can fix them.

Why injected: operation ids are time-ordered and every row carries a time, so
a test that wants stable ids, times or SVG snapshots passes its own `Clock`
and `Ids` to `Store.open` instead of patching module globals.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Where the store reads the time."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class Ids(Protocol):
    """Where the store gets new ids."""

    def new_id(self, prefix: str) -> str:
        """A time-ordered id (operations, candidates, journals): sorting ids sorts by creation."""
        ...

    def random_id(self, prefix: str, nbytes: int = 5) -> str:
        """An unordered id (proposals)."""
        ...


def iso(moment: datetime) -> str:
    """The store's timestamp format: UTC, microseconds, a trailing ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(stamp: str) -> int | None:
    """A stored timestamp (`iso`) as microseconds since the epoch (None: not one of ours).

    Why: rows keep their times as 8-byte integers instead of 27 characters;
    `from_micros` gives back the very same text.
    """
    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None or iso(moment) != stamp:
        return None
    return (moment - _EPOCH) // _MICROSECOND


def from_micros(us: int) -> str:
    """The `iso` text of a time stored as microseconds since the epoch."""
    return iso(_EPOCH + us * _MICROSECOND)


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class SystemIds:
    """Ids from the wall clock and os.urandom: prefix + 13 hex digits of µs + 4 random hex.

    Ids stay strictly increasing within a process even when the clock does not
    advance between two calls.
    """

    def __init__(self) -> None:
        self._last_us = 0
        self._lock = threading.Lock()

    def new_id(self, prefix: str) -> str:
        with self._lock:
            us = max(time.time_ns() // 1000, self._last_us + 1)
            self._last_us = us
        return f"{prefix}{us:013x}{os.urandom(2).hex()}"

    def random_id(self, prefix: str, nbytes: int = 5) -> str:
        return prefix + os.urandom(nbytes).hex()


SYSTEM_CLOCK = SystemClock()
SYSTEM_IDS = SystemIds()
"""Shared defaults: one id sequence per process keeps ids ordered across Store handles."""
