"""Where each agent keeps its memory and instructions: the files Reverie watches for observed writes.

Why one module: the watcher, the observation pass, attribution and the
multi-agent targets must agree on the same list, and the list comes from the
agents' documentation and real transcripts (docs/AGENT_FILES.md says which
location was confirmed how). Keys are the store's: workspace-relative
(``CLAUDE.md``) or ``~/``-relative (``~/.gemini/GEMINI.md``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from reverie.store.materialize import memory_dir_key
from reverie.store.models import Kind, Scope
from reverie.store.paths import claude_slug, home

MAX_BYTES = 2_000_000
"""Bigger files are not versioned (an agent's memory is small; a 2 MB file is something else)."""


@dataclass(frozen=True)
class AgentFile:
    """One watched file: its key, which agent reads it, and what a change to it proposes."""

    key: str
    agent: str
    """``claude``, ``codex``, ``gemini`` — the agent that reads (and usually writes) it."""
    role: str
    """``memory`` (the agent's own notes), ``instructions``, ``rule``, ``skill``, ``subagent``, ``command``, ``settings``."""
    kind: Kind
    scope: Scope

    @property
    def label(self) -> str:
        """How a person names it: ``memory/feedback_tests.md``, ``CLAUDE.md``, ``~/.gemini/GEMINI.md``."""
        if self.role == "memory" and self.agent == "claude":
            return "memory/" + self.key.split("/memory/", 1)[-1]
        return self.key


# Workspace files, in the order a person thinks of them.
_DOCUMENTS: dict[str, tuple[str, str, Kind, Scope]] = {
    "CLAUDE.md": ("claude", "instructions", "instinct", "team"),
    ".claude/CLAUDE.md": ("claude", "instructions", "instinct", "team"),
    "CLAUDE.local.md": ("claude", "instructions", "instinct", "project"),
    "AGENTS.md": ("codex", "instructions", "rule", "team"),
    "AGENTS.override.md": ("codex", "instructions", "rule", "project"),
    "GEMINI.md": ("gemini", "instructions", "instinct", "team"),
    ".claude/settings.json": ("claude", "settings", "hook", "team"),
    ".claude/settings.local.json": ("claude", "settings", "hook", "project"),
}
_CLAUDE_DIRS: tuple[tuple[str, str, Kind], ...] = (
    (".claude/rules/", "rule", "rule"),
    (".claude/skills/", "skill", "skill"),
    (".claude/agents/", "subagent", "subagent"),
    (".claude/commands/", "command", "command"),
)
_HOME_FILES: dict[str, tuple[str, str, Kind, Scope]] = {
    "~/.claude/CLAUDE.md": ("claude", "instructions", "instinct", "global"),
    "~/.gemini/GEMINI.md": ("gemini", "memory", "memory", "global"),
    "~/.codex/AGENTS.md": ("codex", "instructions", "rule", "global"),
}
CODEX_MEMORIES = "~/.codex/memories/"
SKIP_NAMES = frozenset({".consolidate-lock", ".DS_Store"})


def classify(key: str, workspace: Path) -> AgentFile | None:
    """The watched file a key names, or None when Reverie does not watch it."""
    name = key.rsplit("/", 1)[-1]
    if not key or name in SKIP_NAMES or name.endswith((".reverie-tmp", "~", ".swp")):
        return None
    if key in _DOCUMENTS:
        return AgentFile(key, *_DOCUMENTS[key])
    if key in _HOME_FILES:
        return AgentFile(key, *_HOME_FILES[key])
    for prefix, role, kind in _CLAUDE_DIRS:
        if key.startswith(prefix):
            if role in ("rule", "subagent", "command") and not key.endswith(".md"):
                return None
            return AgentFile(key, "claude", role, kind, "team")
    mem = memory_dir_key(workspace) + "/"
    if key.startswith(mem) and key.endswith(".md"):
        return AgentFile(key, "claude", "memory", "memory", "project")
    if key.startswith(CODEX_MEMORIES) and key.endswith(".md"):
        return AgentFile(key, "codex", "memory", "memory", "global")
    return None


def watched_files(workspace: Path, include_home: bool = True) -> list[AgentFile]:
    """Every watched file that exists now (a directory walk, no reads)."""
    ws = Path(workspace)
    found: list[str] = [k for k in _DOCUMENTS if (ws / k).is_file()]
    for prefix, _role, _kind in _CLAUDE_DIRS:
        found.extend(_walk(ws / prefix, prefix))
    if include_home:
        h = home()
        found.extend(k for k in _HOME_FILES if (h / k[2:]).is_file())
        mem = memory_dir_key(ws)
        found.extend(_walk(h / mem[2:], mem + "/"))
        found.extend(_walk(h / CODEX_MEMORIES[2:], CODEX_MEMORIES))
    out = []
    for key in sorted(set(found)):
        f = classify(key, ws)
        if f is not None:
            out.append(f)
    return out


def _walk(root: Path, prefix: str) -> list[str]:
    if not root.is_dir():
        return []
    out = []
    for dirpath, dirnames, files in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel_dir = os.path.relpath(dirpath, root)
        for f in sorted(files):
            rel = f if rel_dir == "." else f"{rel_dir}/{f}".replace(os.sep, "/")
            out.append(prefix + rel)
    return out


def path_of(key: str, workspace: Path) -> Path:
    return home() / key[2:] if key.startswith("~/") else Path(workspace) / key


def watch_roots(workspace: Path, include_home: bool = True) -> list[Path]:
    """Directories to watch (non-recursive for the workspace top level, recursive otherwise)."""
    roots = [Path(workspace) / ".claude"]
    if include_home:
        h = home()
        roots += [h / memory_dir_key(Path(workspace))[2:], h / ".gemini", h / ".codex" / "memories", h / ".claude"]
    return roots


# --- tool paths → keys ---------------------------------------------------------------------

_WINDOWS = re.compile(r"^[A-Za-z]:[\\/]|\\")
_MEMORY = re.compile(r"/\.claude/projects/([^/]+)/memory/(.+)$")


def _posix(path: str) -> str:
    """A path as POSIX text: Windows separators become ``/`` (transcripts come from any machine)."""
    if _WINDOWS.search(path):
        path = path.replace("\\", "/")
    return path


def key_of_tool_path(tool_path: str, session_cwd: str, workspace: Path) -> str | None:
    """The watched key a tool call's file path names, seen from the session that made it.

    Why the session's cwd and not this machine's paths: a transcript may come
    from another machine or checkout (``/Users/michael/Code/cipher-box``); its
    project files map onto this workspace by their place under the session's
    cwd, and its auto memory by the slug Claude Code derived from that cwd.
    """
    if not tool_path or not isinstance(tool_path, str):
        return None
    ws = Path(workspace)
    raw = _posix(tool_path.strip())
    cwd = _posix(session_cwd or "").rstrip("/")
    if raw.startswith("~/"):
        raw = str(home()) + raw[1:]
    elif not (raw.startswith("/") or re.match(r"^[A-Za-z]:/", raw)) and cwd:
        raw = f"{cwd}/{raw}"
    raw = _normalize(raw)
    m = _MEMORY.search(raw)
    if m:
        slugs = {claude_slug(ws.resolve()), claude_slug(str(ws))}
        # Claude Code keys auto memory by the project root: the session's cwd or a directory above it
        parts = cwd.split("/")
        slugs.update(claude_slug(_native("/".join(parts[:i]), session_cwd)) for i in range(2, len(parts) + 1))
        if m.group(1) in slugs:
            return _watched(f"{memory_dir_key(ws)}/{m.group(2)}", ws)
        return None
    for root in (str(ws.resolve()), str(ws), cwd):
        if root and (raw == root or raw.startswith(root.rstrip("/") + "/")):
            rel = raw[len(root.rstrip("/")) + 1 :]
            key = _watched(rel, ws)
            if key is not None:
                return key
    for suffix, key in (
        ("/.gemini/GEMINI.md", "~/.gemini/GEMINI.md"),
        ("/.codex/AGENTS.md", "~/.codex/AGENTS.md"),
        ("/.claude/CLAUDE.md", "~/.claude/CLAUDE.md"),
    ):
        if raw.endswith(suffix) and _under_a_home(raw[: -len(suffix)]):
            return key
    idx = raw.find("/.codex/memories/")
    if idx >= 0 and _under_a_home(raw[:idx]):
        return _watched(CODEX_MEMORIES + raw[idx + len("/.codex/memories/") :], ws)
    return None


def _native(posix: str, original: str) -> str:
    """A POSIX-ified path written back the way its machine wrote it (Claude Code slugged the native one)."""
    return posix.replace("/", "\\") if "\\" in original else posix


def _normalize(path: str) -> str:
    drive = ""
    if re.match(r"^[A-Za-z]:/", path):
        drive, path = path[:2], path[2:]
    parts: list[str] = []
    for part in PurePosixPath(path).parts:
        if part == "..":
            if len(parts) > 1:
                parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    text = "/".join(parts)
    return drive + (text[1:] if text.startswith("//") else text)


def _under_a_home(prefix: str) -> bool:
    """True for this HOME or a home directory elsewhere (``/Users/x``, ``/home/x``, ``C:/Users/x``)."""
    if prefix == str(home()).rstrip("/"):
        return True
    return bool(re.match(r"^(/Users/[^/]+|/home/[^/]+|/root|[A-Za-z]:/Users/[^/]+)$", prefix))


def _watched(key: str, workspace: Path) -> str | None:
    return key if classify(key, workspace) is not None else None
