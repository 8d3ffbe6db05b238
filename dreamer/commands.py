"""Shell commands as the dream reads them: one normalisation, one notion of "the same tool", one error line.

Why one module: the signals (what ran, what failed, what fixed it), the
staleness check (is this CLAUDE.md command gone?), the environment facts and
replay must agree on what `cd web && FOO=1 pnpm run build --prod` *is*
(`pnpm run build`), on which programs are interchangeable (npm / pnpm / yarn),
and on which line of an error output says what went wrong.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from reverie.dreamer.lexicon import PACKAGE_MANAGERS
from reverie.dreamer.wording import tokens

EDIT_TOOLS = frozenset({"Edit", "Write", "MultiEdit", "NotebookEdit", "apply_patch", "write_file", "replace", "edit"})
SHELL_TOOLS = frozenset({"Bash", "shell", "exec_command", "run_shell_command", "local_shell"})

INSTALL_SUBS = frozenset({"install", "i", "add", "sync", "get", "deps.get", "ci", "update", "remove"})
TEST_WORDS = re.compile(r"\b(test|tests|pytest|vitest|jest|rspec|mocha|tox|nox|phpunit|ctest|check)\b")
FACT_TEST_WORDS = re.compile(r"\b(test|tests|pytest|vitest|jest|rspec|mocha|tox|nox|phpunit|ctest)\b")
BUILD_WORDS = re.compile(r"\b(build|compile|make|tsc|webpack|vite build|gradle|mvn|cmake)\b")
GONE_ERROR = re.compile(
    r"(no rule to make target|command not found|missing script|unknown command|not a (?:git )?command|"
    r"no such file or directory|is not recognized as|unknown (?:sub)?command|could not find (?:command|task)|"
    r"no such command|task .{0,40} not found|script .{0,40} not found)",
    re.I,
)
"""Errors saying a command or script no longer exists: whatever the agent ran next instead replaced it."""

FAMILIES = [
    frozenset(f.split())
    for f in (
        "npm pnpm yarn bun npx bunx",
        "pip pip3 uv poetry pipenv conda python python3",
        "pytest unittest tox nox vitest jest mocha",
        "docker podman",
        "ruff black flake8 pylint eslint prettier biome",
        "mypy pyright tsc",
        "webpack vite rollup esbuild",
    )
]
"""Programs that do the same job: naming one instead of another is a tool swap."""

_NOISE_LINE = re.compile(
    r"^(exit code \d+|wall time|output:|compiling|generated|running|getting|checking|finding|==>|hint:|note:|"
    r"warning:|\s*at |\s*\d+ \||process exited|command exited|\.\.\.|-+$|=+$|\[?\d+/\d+\]?)",
    re.I,
)
_ERROR_LINE = re.compile(
    r"fatal:|error|not found|denied|ignored|failed|failure|cannot|can't|unable|invalid|no such|refused|missing|"
    r"not allowed|not permitted|unknown|unrecognized|\[[A-Z]{3,}\]|not formatted|outside|does not exist|"
    r"no upstream|conflict|rejected|timed out|timeout",
    re.I,
)
_TEST_RUNNERS = frozenset(["pytest", "vitest", "jest", "mocha", "rspec", "tox", "nox", "phpunit", "ctest"])


_PM_OPTIONS_WITH_VALUE = frozenset({"--cwd", "--prefix", "-C", "--dir", "--filter", "-F", "--workspace", "-w"})
_RUNNERS = {"npx": 1, "bunx": 1, "pnpx": 1, "uvx": 1, "dlx": 1, "exec": 1}
_TOOL_RUNNING: dict[str, tuple[str, ...]] = {
    "uv": ("run",),
    "poetry": ("run",),
    "bundle": ("exec",),
    "python": ("-m",),
    "python3": ("-m",),
    **{pm: ("exec", "dlx", "x") for pm in ("pnpm", "yarn", "bun", "npm")},  # not `run`: that runs a script
}


def normalize_command(command: str) -> str:
    """`program sub` of a shell command: env assignments, `cd x &&` and flags dropped."""
    cmd = command.strip()
    for sep in ("&&", ";", "|"):
        parts = [p.strip() for p in cmd.split(sep) if p.strip()]
        parts = [p for p in parts if not p.startswith(("cd ", "export ", "source ", "set -"))] or parts
        cmd = parts[0] if parts else cmd
    try:
        words = shlex.split(cmd, posix=True)
    except ValueError:
        words = cmd.split()
    words = [w for w in words if not re.match(r"^[A-Z_][A-Z0-9_]*=", w)]
    if not words:
        return ""
    prog = words[0].rsplit("/", 1)[-1]
    out = [prog]
    rest = words[1:]
    if prog in ("npm", "pnpm", "yarn", "bun"):  # `yarn --cwd web build` is `yarn build`
        kept: list[str] = []
        skip = False
        for w in rest:
            if skip:
                skip = False
            elif w in _PM_OPTIONS_WITH_VALUE:
                skip = True
            elif not any(w.startswith(o + "=") for o in _PM_OPTIONS_WITH_VALUE):
                kept.append(w)
        rest = kept
    if prog in ("python", "python3") and len(rest) >= 2 and rest[0] == "-m":
        return f"{prog} -m {rest[1]}"
    for w in rest:
        if w.startswith(("-", "'", '"', "$", "`")) or "/" in w or "=" in w or len(out) >= 2:
            break
        if prog in ("npx", "pnpm", "yarn", "bunx", "uv") and w in ("run", "exec", "dlx", "x") and len(rest) > 1:
            out.append(w)
            continue
        out.append(w)
    # "pnpm run build" -> keep three words, they are the recognisable unit
    if len(out) == 2 and out[1] in ("run", "exec", "dlx") and len(rest) > 1 and not rest[1].startswith("-"):
        out.append(rest[1])
    return " ".join(out)[:80]


_REDIRECT = re.compile(r"\s+(?:\d?>&\d|\d?>>?\s*/dev/null|2>&1)(?=\s|$)")
_TRAILING_PIPE = re.compile(r"\s*\|\s*(?:tail|head|grep|less|cat|tee|wc|sort|uniq)\b[^|]*$")
_LOOKING = frozenset(
    [
        "status",
        "ls-files",
        "diff",
        "log",
        "show",
        "branch",
        "remote",
        "rev-parse",
        "describe",
        "blame",
        "config",
        "--version",
        "-v",
        "version",
        "help",
        "list",
    ]
)


def display_command(command: str) -> str:
    """A command as a lesson should show it: no `cd x &&` prefix, no `2>&1`, no `| tail -5`."""
    cmd = " ".join(command.split())
    cmd = re.sub(r"^(?:cd\s+\S+\s*&&\s*)+", "", cmd)
    for _ in range(3):
        cmd = _TRAILING_PIPE.sub("", cmd)
    return _REDIRECT.sub("", cmd).strip()


def chain(command: str) -> list[str]:
    """The commands of a chain (`cd x && a && b; c` → [a, b, c])."""
    return [p.strip() for p in re.split(r"&&|;|\|\|", command) if p.strip() and not p.strip().startswith("cd ")]


def failing_part(command: str, error: str) -> str:
    """The part of a chained command (`a && b`) an error line belongs to: the one whose program or
    sub-command it names (`git add x && git commit` failing "pre-commit validation" → the commit)."""
    parts = chain(command)
    if len(parts) <= 1:
        return command
    low = error.lower()
    named = [p for p in parts if any(re.search(rf"\b{re.escape(w)}\b", low) for w in normalize_command(p).split()[1:2])]
    return named[-1] if named else parts[0]


def looks_around(norm: str) -> bool:
    """A command that only reads state (`git status`, `ls`): never the fix of a failure."""
    words = norm.split()
    return (
        not words
        or words[0] in ("ls", "cat", "head", "tail", "grep", "rg", "find", "echo", "pwd", "which")
        or (len(words) > 1 and words[1] in _LOOKING)
    )


def program(norm: str) -> str:
    """The program of a normalised command (`pnpm run build` → `pnpm`)."""
    return norm.split(" ", 1)[0] if norm else ""


def tool_of(norm: str) -> str:
    """The tool a command really runs: `npx prettier` → `prettier`, `uv run pytest` → `pytest`,
    `python -m pytest` → `pytest` (a runner is not the tool a person corrects)."""
    words = norm.split()
    if not words:
        return ""
    if words[0] in _RUNNERS and len(words) > 1:
        return words[1]
    if len(words) > 2 and words[1] in _TOOL_RUNNING.get(words[0], ()):
        return words[2]
    return words[0]


def command_of(tool_input: dict[str, Any] | None) -> str:
    """The shell command of a tool call's input (argv lists joined; `bash -lc` peeled)."""
    if not tool_input:
        return ""
    for key in ("command", "cmd"):
        val = tool_input.get(key)
        if isinstance(val, list):
            val = " ".join(str(v) for v in val)
            if val.startswith(("bash -lc ", "bash -c ", "sh -c ")):
                val = val.split(" ", 2)[-1]
        if isinstance(val, str) and val:
            return val
    return ""


def file_of(tool_input: dict[str, Any] | None) -> str:
    """The file a tool call reads or writes, if it names one."""
    if not tool_input:
        return ""
    for key in ("file_path", "path", "notebook_path", "filePath", "absolute_path"):
        val = tool_input.get(key)
        if isinstance(val, str) and val:
            return val
    return ""


def rel_path(path: str, cwd: str) -> str:
    if cwd and path.startswith(cwd.rstrip("/") + "/"):
        return path[len(cwd.rstrip("/")) + 1 :]
    return path


def same_family(a: str, b: str) -> bool:
    """Two different programs that do the same job (npm and pnpm; pytest and unittest)."""
    return a != b and any(a in f and b in f for f in FAMILIES)


def same_purpose(failed_norm: str, failed_cmd: str, fixed_norm: str, fixed_cmd: str) -> bool:
    """Whether a working command plausibly did what a failed one tried (same sub-command, both tests, …)."""
    a, b = failed_norm.split(), fixed_norm.split()
    if a[0] == b[0] and a[1:2] != b[1:2]:
        return bool(set(a[1:]) & set(b[1:])) or (
            TEST_WORDS.search(failed_norm) is not None and TEST_WORDS.search(fixed_norm) is not None
        )
    if a[1:] and a[1:] == b[1:]:
        return True
    if TEST_WORDS.search(failed_cmd) and TEST_WORDS.search(fixed_cmd):
        return True
    return bool(BUILD_WORDS.search(failed_cmd) and BUILD_WORDS.search(fixed_cmd))


def is_test_run(norm: str) -> bool:
    """A test runner: its failures are usually the code's, not the environment's."""
    words = norm.split()
    return bool(words) and (words[0] in _TEST_RUNNERS or (len(words) > 1 and words[-1] in ("test", "tests")))


def facts_of(norm: str) -> list[tuple[str, str]]:
    """Environment facts a successful command confirms: (category, value)."""
    words = norm.split()
    out = []
    if words[0] in PACKAGE_MANAGERS and len(words) > 1 and words[1] in INSTALL_SUBS:
        out.append(("package_manager", words[0]))
    if FACT_TEST_WORDS.search(norm) and words[0] not in ("git", "cat", "ls", "grep", "rg", "find", "echo"):
        out.append(("test_command", norm))
    elif _builds(words):
        out.append(("build_command", norm))
    return out


def _builds(words: list[str]) -> bool:
    """`npm run build`, `cargo build`, `make` / `make build`, `tsc`: a build, not any `make <target>`."""
    if words[0] == "make":
        return len(words) == 1 or words[1] in ("build", "all", "compile", "dist")
    if words[0] in ("tsc", "webpack", "vite", "gradle", "mvn", "cmake"):
        return words[0] != "vite" or words[1:2] == ["build"]
    return (words[0] in PACKAGE_MANAGERS or words[0] == "npx") and any(w in ("build", "compile") for w in words[1:])


def error_line(output: str) -> str:
    """The line of an error output that says what went wrong (not the exit code, progress or a stack frame).

    Why: the same failure prints different noise every time (seeds, timings,
    compiled file counts); the line that names the problem is what recurs.
    """
    lines = [ln.strip().replace("\\n", " ") for ln in output.replace("\\n", "\n").splitlines()]
    lines = [ln for ln in lines if ln and not _NOISE_LINE.match(ln)]
    for i, ln in enumerate(lines[:40]):
        if _ERROR_LINE.search(ln):
            if ln.endswith(":") and i + 1 < len(lines):  # "ignored by one of your .gitignore files:" + the paths
                ln = f"{ln} {lines[i + 1]}"
            return ln[:200]
    return lines[0][:200] if lines else ""


def same_error(a: str, b: str) -> bool:
    """Two error lines that report the same problem (run-specific names and numbers aside)."""
    if not a or not b:
        return False
    if a == b:
        return True
    ta, tb = tokens(_unnumbered(a)), tokens(_unnumbered(b))
    return bool(ta and tb) and len(ta & tb) / len(ta | tb) >= 0.6


def _unnumbered(text: str) -> str:
    return re.sub(r"\b[\w.-]*\d[\w.-]*\b", " ", text)


def generalize(commands: list[str]) -> str:
    """One command standing for several runs of it: words that differ between runs become `<…>`.

    `git push --set-upstream origin spotter-gqc` and `… spotter-fum` →
    `git push --set-upstream origin <…>`; runs of different lengths give the latest one.
    """
    if not commands:
        return ""
    split = [c.split() for c in commands]
    if len({len(s) for s in split}) != 1 or len(split) == 1:
        return commands[-1]
    out = []
    for words in zip(*split, strict=True):
        out.append(words[0] if len(set(words)) == 1 else "<…>")
    return " ".join(out)
