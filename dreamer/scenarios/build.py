"""Write scenarios to disk: a workspace, its files and Claude Code transcripts.

Why: tests, the benchmark and `reverie demo` all need real directories and real
JSONL files, laid out exactly as Claude Code lays them out.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from reverie.dreamer.scenarios.catalog import BASE_FILES, SCENARIOS, Scenario

DEMO_TRANSCRIPTS = Path(".reverie") / "demo-transcripts"
"""Where the demo keeps its transcripts, relative to the demo workspace."""


FILES_WRITTEN = 1735689600.0
"""2025-01-01: the workspace files of a scenario were written before any of its sessions, as in a
real project (a dream only trusts session evidence newer than the line it would change)."""


def write_files(ws: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = ws / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        os.utime(path, (FILES_WRITTEN, FILES_WRITTEN))


def build_scenario(name: str, ws: Path, transcripts: Path | None = None, day0: float = 0) -> Scenario:
    """Create workspace `ws` with scenario `name`; transcripts go to `transcripts`
    (default: `$HOME/.claude/projects/<slug>/`, matched to `ws` by cwd)."""
    return build_from(SCENARIOS, BASE_FILES, name, ws, transcripts, day0)


def build_from(
    registry: dict[str, Callable[..., Scenario]],
    base_files: dict[str, str],
    name: str,
    ws: Path,
    transcripts: Path | None = None,
    day0: float = 0,
) -> Scenario:
    """Write scenario `name` of `registry` into `ws` over `base_files`, and its transcripts."""
    if name not in registry:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(registry)}")
    ws.mkdir(parents=True, exist_ok=True)
    ws = ws.resolve()
    scenario = registry[name](ws, day0)
    write_files(ws, {**base_files, **scenario.files})
    for session in scenario.sessions:
        session.write_to(transcripts)
    return scenario


DEMO_CLAUDE_MD = """# acme-shop

A small storefront (TypeScript, Vite, SQLite). Notes for agents working here:

- Run the tests with `npm test` before every commit.
- Deployment settings live in deploy/heroku.yml.
- Keep components small and typed; prefer pure functions in src/cart.ts.
- Ask before adding a new dependency.
"""

DEMO_SETTINGS = """{
  "permissions": {
    "allow": ["Bash(pnpm test:*)", "Bash(git status)"],
    "deny": ["Read(./.env)"]
  }
}
"""

DEMO_COMMAND = """---
description: Summarise what changed since the last tag
---
Run `git log --oneline $(git describe --tags --abbrev=0)..HEAD` and summarise the changes for the changelog.
"""


def build_demo_workspace(directory: Path) -> Path:
    """One realistic workspace for `reverie demo`: hand-written CLAUDE.md, a few
    `.claude/` files and ~25 sessions covering most scenarios.

    The transcripts are written under `<workspace>/.reverie/demo-transcripts/`
    (never into the real `~/.claude`): pass `demo_transcripts_dir(ws)` as
    `transcripts` to ingest/dream. Returns the workspace path.
    """
    ws = directory.resolve()
    ws.mkdir(parents=True, exist_ok=True)
    out = demo_transcripts_dir(ws)
    files = dict(BASE_FILES)
    day = 0.0
    for name in (
        "stale_claude_md",
        "repeated_correction",
        "never_edit_violated",
        "one_off_workaround",
        "web_injection",
        "contradiction_rule",
        "release_procedure",
        "personal_preference",
        "secrets",
        "noise",
    ):
        scenario = SCENARIOS[name](ws, day)
        files.update({k: v for k, v in scenario.files.items() if k != "CLAUDE.md"})
        for session in scenario.sessions:
            session.write_to(out)
        day += 3.0
    files["CLAUDE.md"] = DEMO_CLAUDE_MD
    files[".claude/settings.json"] = DEMO_SETTINGS
    files[".claude/commands/changes.md"] = DEMO_COMMAND
    files[".gitignore"] = ".reverie/\n"
    write_files(ws, files)
    _history(ws, {"deploy/heroku.yml": "build:\n  docker:\n    web: Dockerfile\n"})
    return ws


def _history(ws: Path, removed: dict[str, str]) -> None:
    """A git history in which `removed` existed and was deleted (how a dream knows a file is really gone).

    Skipped quietly without git: the demo still works, it just cannot prove those files were real.
    """
    import subprocess

    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "demo",
        "GIT_AUTHOR_EMAIL": "demo@example.invalid",
        "GIT_COMMITTER_NAME": "demo",
        "GIT_COMMITTER_EMAIL": "demo@example.invalid",
        "GIT_AUTHOR_DATE": "2025-01-01T00:00:00Z",
        "GIT_COMMITTER_DATE": "2025-01-01T00:00:00Z",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(ws), *args], env=env, check=True, capture_output=True, timeout=30)

    try:
        git("init", "-q")
        write_files(ws, removed)
        git("add", "-A")
        git("commit", "-q", "--no-gpg-sign", "-m", "acme-shop")
        for rel in removed:
            (ws / rel).unlink()
        git("add", "-A")
        git("commit", "-q", "--no-gpg-sign", "-m", "deploy moved off Heroku")
    except (OSError, subprocess.SubprocessError):
        for rel in removed:
            (ws / rel).unlink(missing_ok=True)


def demo_transcripts_dir(ws: Path) -> Path:
    return ws / DEMO_TRANSCRIPTS
