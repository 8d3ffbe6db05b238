"""Write scenarios to disk: a workspace, its files and Claude Code transcripts.

Why: tests, the benchmark and `reverie demo` all need real directories and real
JSONL files, laid out exactly as Claude Code lays them out.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reverie.dreamer.scenarios.catalog import BASE_FILES, SCENARIOS, Scenario

DEMO_TRANSCRIPTS = Path(".reverie") / "demo-transcripts"
"""Where the demo keeps its transcripts, relative to the demo workspace."""


def write_files(ws: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = ws / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


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
    write_files(ws, files)
    return ws


def demo_transcripts_dir(ws: Path) -> Path:
    return ws / DEMO_TRANSCRIPTS
