"""Fixtures for ingest tests: a sessions index on a real SQLite file, transcript writers."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from reverie.store.sessions import SessionIndex


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    """A plain sqlite_utils Database (WAL) with the sessions migrations applied."""
    d = sqlite_utils.Database(tmp_path / "index.db")
    d.conn.execute("PRAGMA journal_mode = WAL")
    SessionIndex(d)
    return d
