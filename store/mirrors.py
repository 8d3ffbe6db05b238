"""One lesson, every agent: which other agents' instruction files an approved instinct or rule also lands in.

Why: a workspace used with Claude Code, Codex and Gemini CLI needs the same
lesson where each of them reads it — Claude's CLAUDE.md / CLAUDE.local.md /
.claude/rules, Codex's AGENTS.md, Gemini's GEMINI.md — written in Reverie's
managed block of each, in the same apply (one operation). Only instincts and
rules travel: memories, hooks, skills, commands and subagents are each
agent's own machinery.

Which agents: `[agents] targets` in .reverie/config.toml — a list such as
``["claude", "codex", "gemini"]``, or ``"auto"`` (the default): Codex when the
workspace has an AGENTS.md or the sessions index holds Codex sessions, Gemini
likewise with GEMINI.md. A file that is a symlink (AGENTS.md → CLAUDE.md)
already mirrors, so it is not written twice.

Scope decides the file, as for Claude: team and path lessons go to the shared
AGENTS.md / GEMINI.md; a project (private) lesson has no private file there,
so it stays in CLAUDE.local.md unless ``[agents] private = "shared"`` says to
write it to the shared files as well.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import threading
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

from reverie.store.models import Artifact
from reverie.store.paths import CONFIG_NAME, default_db_path, state_dir

FILES: dict[str, str] = {"codex": "AGENTS.md", "gemini": "GEMINI.md"}
"""Each other agent's project instruction file (its managed block carries the mirrored lessons)."""
KINDS = ("instinct", "rule")


def _stamp(path: Path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def _config(workspace: Path) -> dict[str, object]:
    return _read_config(str(state_dir(workspace) / CONFIG_NAME), _stamp(state_dir(workspace) / CONFIG_NAME))


@functools.lru_cache(maxsize=32)
def _read_config(path: str, _stamp: int) -> dict[str, object]:
    """The `[agents]` table (an unreadable config is Store.open's error to report, not ours: {} here)."""
    try:
        with open(path, "rb") as fh:
            table = tomllib.load(fh).get("agents", {})
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}
    return table if isinstance(table, dict) else {}


def seen_agents(workspace: Path) -> frozenset[str]:
    """Agents whose sessions the workspace's sessions index holds (read-only; empty without an index)."""
    db = default_db_path(workspace)
    wal = Path(str(db) + "-wal")
    return _read_agents(str(db), _stamp(db), _stamp(wal))


@functools.lru_cache(maxsize=32)
def _read_agents(db: str, _db_stamp: int, _wal_stamp: int) -> frozenset[str]:
    if not _db_stamp:
        return frozenset()
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1.0)
        try:
            rows = conn.execute("SELECT DISTINCT agent FROM sessions WHERE events > 0").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:  # no sessions table yet, or locked: no evidence of other agents
        return frozenset()
    return frozenset(str(r[0]) for r in rows if r[0])


class _Steady(threading.local):
    memo: dict[tuple[str, str], object] | None = None


_STEADY = _Steady()


@contextlib.contextmanager
def steady() -> Iterator[None]:
    """Within the block (this thread), each workspace's agents and mirror files are looked up once.

    Why: a plan or a transaction asks for every instinct's and rule's targets, each
    asking which agents are in use (a config stat, two index stats, two file checks):
    ~65 times per propose-approve-apply cycle. Nothing inside one plan or transaction
    changes them (Reverie writes mirrors only for agents already in use). Re-entrant.
    """
    if _STEADY.memo is not None:
        yield
        return
    _STEADY.memo = {}
    try:
        yield
    finally:
        _STEADY.memo = None


def _steady(kind: str, workspace: Path, compute: Callable[[], object]) -> object:
    memo = _STEADY.memo
    if memo is None:
        return compute()
    key = (kind, str(workspace))
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def agents_in_use(workspace: Path) -> frozenset[str]:
    """The agents lessons are written for (always Claude Code; see module doc)."""
    used = _steady("agents", workspace, lambda: _agents_in_use(workspace))
    assert isinstance(used, frozenset)
    return used


def _agents_in_use(workspace: Path) -> frozenset[str]:
    targets = _config(workspace).get("targets", "auto")
    if isinstance(targets, list):
        return frozenset({"claude"} | {str(t) for t in targets if str(t) in FILES})
    used = {"claude"}
    seen = seen_agents(workspace)
    for agent, name in FILES.items():
        if agent in seen or (workspace / name).is_file():
            used.add(agent)
    return frozenset(used)


def mirror_keys(a: Artifact, workspace: Path) -> list[str]:
    """The other agents' files this artifact is also written to (empty for anything but instincts and rules)."""
    if a.kind not in KINDS or a.scope == "global":
        return []
    if a.scope == "project" and _steady("private", workspace, lambda: _private(workspace)) != "shared":
        return []
    keys = _steady("keys", workspace, lambda: _mirror_files(workspace))
    assert isinstance(keys, list)
    return list(keys)


def _private(workspace: Path) -> object:
    return _config(workspace).get("private", "claude-only")


def _mirror_files(workspace: Path) -> list[str]:
    keys = []
    for agent in sorted(agents_in_use(workspace) - {"claude"}):
        name = FILES[agent]
        path = workspace / name
        if path.is_symlink():  # AGENTS.md -> CLAUDE.md already carries the lesson
            continue
        keys.append(name)
    return keys
