"""Where things live: the workspace's state dir, Claude Code's home-dir layout.

Home-directory locations always resolve through ``$HOME`` at call time, so tests
that point ``HOME`` at a temporary directory never touch a real home.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

STATE_DIR = ".reverie"
DB_NAME = "reverie.db"
CONFIG_NAME = "config.toml"


def home() -> Path:
    """The user's home directory, read from ``$HOME`` every time."""
    return Path(os.environ.get("HOME") or Path.home())


def state_dir(workspace: Path) -> Path:
    return workspace / STATE_DIR


def default_db_path(workspace: Path) -> Path:
    return state_dir(workspace) / DB_NAME


def claude_slug(cwd: str | Path) -> str:
    """Claude Code's project dir name: every non-alphanumeric character becomes ``-``."""
    return re.sub(r"[^A-Za-z0-9]", "-", str(cwd))


def claude_projects_dir() -> Path:
    return home() / ".claude" / "projects"


def claude_memory_dir(workspace: Path) -> Path:
    """The auto-memory dir of `workspace`: ``~/.claude/projects/<slug>/memory``."""
    return claude_projects_dir() / claude_slug(workspace.resolve()) / "memory"


def codex_sessions_dir() -> Path:
    return home() / ".codex" / "sessions"


def gemini_tmp_dir() -> Path:
    return home() / ".gemini" / "tmp"
