"""Fixtures for ingest tests: a sessions index on a real SQLite file, transcript writers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlite_utils

# kingfisher compiles ~500 rules on first use (seconds); keep its cache in the repo's
# ignored .pytest_cache instead of the per-test temporary HOME.
os.environ.setdefault(
    "REVERIE_KINGFISHER_CACHE", str(Path(__file__).resolve().parents[2] / ".pytest_cache" / "kingfisher")
)

from store.sessions import SessionIndex  # noqa: E402


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    """A plain sqlite_utils Database (WAL) with the sessions migrations applied."""
    d = sqlite_utils.Database(tmp_path / "index.db")
    d.conn.execute("PRAGMA journal_mode = WAL")
    SessionIndex(d)
    return d
