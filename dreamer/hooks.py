"""Hook scripts the dream proposes: small Python PreToolUse guards.

Why Python and not sh: the script must parse the hook JSON on stdin reliably,
and replay runs one script against thousands of historical tool calls — a
Python guard exposes `check(payload)` so replay can evaluate every input in one
process (`dreamer.replay`), while Claude Code runs the very same file as a
command (`main()` reads stdin, exits 2 with the reason on stderr to block).
"""

from __future__ import annotations

import fnmatch

EDIT_MATCHER = "Edit|Write|MultiEdit|NotebookEdit"

_PATH_GUARD = '''#!/usr/bin/env python3
"""Reverie hook (PreToolUse): {title}

Blocks file edits whose path matches {globs_text}. Reads the hook JSON on stdin;
exit 2 with the reason on stderr blocks the tool call, exit 0 allows it.
"""
import fnmatch
import json
import os
import sys

GLOBS = {globs!r}
REASON = {reason!r}


def check(payload):
    """The reason to block this PreToolUse payload, or None to allow it."""
    tool_input = payload.get("tool_input") or {{}}
    path = ""
    for key in ("file_path", "notebook_path", "path"):
        if isinstance(tool_input.get(key), str):
            path = tool_input[key]
            break
    if not path:
        return None
    root = payload.get("cwd") or os.environ.get("CLAUDE_PROJECT_DIR") or os.getcwd()
    rel = os.path.relpath(path, root) if os.path.isabs(path) else os.path.normpath(path)
    rel = rel.replace(os.sep, "/")
    for pattern in GLOBS:
        base = pattern[:-3] if pattern.endswith("/**") else pattern
        if fnmatch.fnmatch(rel, pattern) or rel == base or rel.startswith(base.rstrip("/") + "/"):
            return REASON
    return None


def main():
    try:
        payload = json.load(sys.stdin)
    except ValueError:
        return 0
    reason = check(payload if isinstance(payload, dict) else {{}})
    if reason:
        print(reason, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''


def path_guard_script(globs: list[str], reason: str, title: str = "") -> str:
    """A PreToolUse guard blocking edits under `globs` with `reason`."""
    return _PATH_GUARD.format(title=title or reason[:80], globs=list(globs), globs_text=", ".join(globs), reason=reason)


def path_matches(target: str, globs: list[str]) -> bool:
    """Same matching rule as the generated guard, for a workspace-relative target."""
    rel = target.lstrip("./") if target.startswith("./") else target
    for pattern in globs:
        base = pattern[:-3] if pattern.endswith("/**") else pattern
        if fnmatch.fnmatch(rel, pattern) or rel == base or rel.startswith(base.rstrip("/") + "/"):
            return True
    return False
