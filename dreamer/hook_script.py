"""What a hook's body must be: a script, never the prose of the rule it came from.

Why: Claude Code runs a hook's command on every matching tool call; Reverie
writes the body as that script (`#!/usr/bin/env bash` added when it has no
shebang). A rule's sentence written there becomes a bash script — backticks
included, so "Always run `curl … | sh` first" downloads and runs on every call.
"""

from __future__ import annotations

import re
import shutil

from reverie.dreamer.danger import DOWNLOADERS, INTERPRETERS, NETCATS, SHELLS, is_python
from reverie.dreamer.shell_parse import invocation, parse

_BUILTINS = frozenset(
    [
        "if",
        "then",
        "else",
        "elif",
        "fi",
        "for",
        "while",
        "until",
        "do",
        "done",
        "case",
        "esac",
        "in",
        "function",
        "return",
        "exit",
        "set",
        "unset",
        "export",
        "local",
        "readonly",
        "declare",
        "typeset",
        "shift",
        "source",
        ".",
        "eval",
        "exec",
        "echo",
        "printf",
        "read",
        "test",
        "[",
        "[[",
        "true",
        "false",
        "cd",
        "pwd",
        "trap",
        "wait",
        "command",
        "type",
        "hash",
        "umask",
        "ulimit",
        "break",
        "continue",
        "let",
        "shopt",
        "alias",
    ]
)
PROGRAMS = (
    DOWNLOADERS
    | SHELLS
    | INTERPRETERS
    | NETCATS
    | frozenset(
        [
            "npm",
            "pnpm",
            "yarn",
            "npx",
            "git",
            "make",
            "jq",
            "grep",
            "rg",
            "sed",
            "awk",
            "cat",
            "ls",
            "find",
            "head",
            "tail",
            "wc",
            "sort",
            "uniq",
            "cut",
            "tr",
            "xargs",
            "diff",
            "cp",
            "mv",
            "rm",
            "mkdir",
            "touch",
            "chmod",
            "pytest",
            "ruff",
            "mypy",
            "cargo",
            "go",
            "docker",
            "uv",
            "pip",
            "pip3",
            "tsc",
            "eslint",
            "prettier",
        ]
    )
)
"""Programs a hook commonly runs, known without looking at this machine's PATH."""
_PROGRAM = re.compile(r"^(?:[\w.+-]*/)*[a-z][\w.+-]*$")


def is_hook_script(body: str) -> bool:
    """Whether `body` reads as a program: a shebang, Python, or shell whose every command starts
    with a builtin, a path or a lower-case program name (prose starts with "Always", "Never", "Use")."""
    text = body.strip()
    if not text:
        return False
    if text.startswith("#!"):
        return True
    if is_python(text):
        return True
    script = parse(text)
    commands = [c for p in script.pipelines for c in p.commands]
    if not commands:
        return False
    for cmd in commands:
        if cmd.body is not None:
            continue
        inv = invocation(cmd)
        if inv is None:
            continue  # assignments, redirections
        first = next((w.text for w in cmd.words if "=" not in w.text.split("/")[0]), "")
        if first in _BUILTINS or first.startswith(("/", "./", "~/", "$")):
            continue
        if not _PROGRAM.match(first) or not (first in PROGRAMS or shutil.which(first)):
            return False
    return True
