"""Shared fixtures: every test runs with a temporary HOME and real files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.shared_data import CANDIDATES, shared_dir

# kingfisher compiles ~500 rules on first use (seconds). Every test has its own
# temporary HOME, so keep the compiled rules in one shared temp-dir cache
# instead of recompiling them per test (never in a real home).
os.environ.setdefault("REVERIE_KINGFISHER_CACHE", os.path.join(tempfile.gettempdir(), "reverie-test-kingfisher-rules"))


REALDATA = (shared_dir() or CANDIDATES[0]) / "realdata"
"""Real transcripts from public repositories, read in place (never copied)."""


def realdata_or_skip() -> Path:
    """The realdata dir, or skip the test with a visible reason."""
    if not REALDATA.is_dir():
        pytest.skip(f"../shared/realdata not found at {REALDATA} (fresh clone): real-data test skipped")
    return REALDATA


@pytest.fixture(autouse=True)
def temp_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME at an empty temp dir so no test reads or writes a real home."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "CODEX_HOME", "CLAUDE_CONFIG_DIR"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """An empty project dir (a git-repo-like workspace) inside tmp."""
    ws = tmp_path / "project"
    ws.mkdir()
    return ws
