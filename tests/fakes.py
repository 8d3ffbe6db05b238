"""A clock and an id generator for tests that need stable ids and times (see store/clock.py)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime


class CountingIds:
    """Ids 1, 2, 3, … (time-ordered and random ones share the counter)."""

    def __init__(self) -> None:
        self.counter = itertools.count(1)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter):013x}0000"

    def random_id(self, prefix: str, nbytes: int = 5) -> str:
        return f"{prefix}{next(self.counter):0{nbytes * 2}x}"


class MinuteClock:
    """2026-01-01 00:00, 00:01, … one minute per reading (wrapping each hour)."""

    def __init__(self) -> None:
        self.ticks = itertools.count(0)

    def now(self) -> datetime:
        return datetime(2026, 1, 1, 0, next(self.ticks) % 60, tzinfo=UTC)
