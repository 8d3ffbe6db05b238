"""Reverie's store: persistence and the domain model, without a UI.

SQLite (WAL) through sqlite-utils: content-addressed blobs, the operation log
with views, candidate stores and proposals, the sessions index; materializing
the active store into workspace files and importing it back.
"""

from typing import Any


def __getattr__(name: str) -> Any:  # lazy: `from store import Store` without importing sqlite at package import
    if name in ("Store", "ApplyPlan", "ApplyResult", "Preview"):
        from reverie.store import core

        return getattr(core, name)
    raise AttributeError(name)
