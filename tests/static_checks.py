"""The static checks: ruff lint, ruff format and mypy, each clean or failing with its output.

`tests/test_static.py` runs them in the suite (so the README's test command runs
them in CI); run them by hand with

    python -m tests.static_checks            # all four
    python -m tests.static_checks mypy       # one of: ruff, format, mypy, ignores

mypy checks the installed names (`reverie.store`, `reverie.dreamer`,
`reverie.console`), but the code lives in the top-level folders `store/`,
`dreamer/` and `console/`, which mypy cannot map to those names by itself (the
mapping is setuptools' `package-dir`). So mypy runs in a *link tree*: a directory
holding `reverie/<folder>` symlinks to the repo's folders, with the repo's
`pyproject.toml` as its config. Paths in its output are mapped back to the repo's
(`reverie/store/core.py` -> `store/core.py`) so they can be clicked and grepped.

`ignores` holds every `# type: ignore` to the rule mypy alone cannot enforce:
it names its error code(s) *and* says why, on the same line
(`# type: ignore[arg-type]  # redact_events swaps in the str`).

The link tree and mypy's cache live in a per-checkout directory under the system
temp dir (not in the repo, not in HOME): a warm run takes about a second, a cold
one about ten.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import tempfile
import time
import tokenize
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FOLDERS = ("store", "dreamer", "console")
"""The code folders, each installed as `reverie.<folder>` (see pyproject's package-dir)."""
IGNORE_WITH_REASON = re.compile(r"#\s*type:\s*ignore\[[\w\-, ]+\]\s+#\s*\S.{4,}")
"""`# type: ignore[code, ...]  # why` (the reason at least a few characters)."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    command: list[str]
    returncode: int
    output: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def report(self) -> str:
        """What a person needs when the check fails: the command and the tool's own output."""
        verdict = "clean" if self.ok else f"FAILED (exit {self.returncode})"
        return f"{self.name}: {verdict} in {self.seconds:.1f} s\n$ {' '.join(self.command)}\n{self.output.rstrip()}"


def _run(name: str, command: list[str], cwd: Path, rewrite: Callable[[str], str] = str) -> CheckResult:
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    output = rewrite(proc.stdout + proc.stderr)
    return CheckResult(name, command, proc.returncode, output, time.perf_counter() - start)


def _default_work_dir(repo: Path) -> Path:
    """A directory of this checkout's own under the temp dir (two checkouts never share a cache)."""
    digest = hashlib.sha256(str(repo).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"reverie-static-{digest}"


class StaticChecks:
    """The checks over one checkout; `work` holds mypy's link tree and cache."""

    def __init__(self, repo: Path = REPO, work: Path | None = None) -> None:
        self.repo = repo
        self.work = work if work is not None else _default_work_dir(repo)

    def ruff_lint(self) -> CheckResult:
        """`ruff check` over the whole repo (pyproject's rule set)."""
        return _run("ruff check", [sys.executable, "-m", "ruff", "check", "--no-cache", "."], self.repo)

    def ruff_format(self) -> CheckResult:
        """`ruff format --diff`: fails with the diff the formatter would apply."""
        command = [sys.executable, "-m", "ruff", "format", "--diff", "--no-cache", "."]
        return _run("ruff format", command, self.repo)

    def link_tree(self) -> Path:
        """`<work>/tree/reverie/<folder>` -> `<repo>/<folder>` for each code folder; returns `<work>/tree`."""
        tree = self.work / "tree"
        (tree / "reverie").mkdir(parents=True, exist_ok=True)
        for folder in FOLDERS:
            link = tree / "reverie" / folder
            target = self.repo / folder
            if link.is_symlink() and Path(os.readlink(link)) == target:
                continue
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(target, target_is_directory=True)
        return tree

    def mypy(self) -> CheckResult:
        """mypy over the three packages by their installed names, with the repo's config."""
        tree = self.link_tree()
        command = [sys.executable, "-m", "mypy", "--config-file", str(self.repo / "pyproject.toml")]
        command += ["--cache-dir", str(self.work / "mypy-cache")]
        for folder in FOLDERS:
            command += ["-p", f"reverie.{folder}"]
        return _run("mypy", command, tree, _to_repo_paths(tree))

    def ignores(self) -> CheckResult:
        """Every `# type: ignore` comment in the code and tests names its code and gives a reason."""
        start = time.perf_counter()
        bad = []
        for folder in (*FOLDERS, "tests"):
            for path in sorted((self.repo / folder).rglob("*.py")):
                bad.extend(f"{path.relative_to(self.repo)}:{line}: {text}" for line, text in _bare_ignores(path))
        output = "\n".join(bad) + ("\n" if bad else "")
        if bad:
            output += (
                f"{len(bad)} `type: ignore` without an error code and a reason (write: # type: ignore[code]  # why)\n"
            )
        return CheckResult("type: ignore reasons", ["(scan)"], 1 if bad else 0, output, time.perf_counter() - start)


def _bare_ignores(path: Path) -> list[tuple[int, str]]:
    """(line, comment) of each `type: ignore` comment lacking a code or a reason (comments only, not strings)."""
    out = []
    source = path.read_text(encoding="utf-8")
    if "ignore" not in source:
        return out
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        is_ignore = tok.type == tokenize.COMMENT and re.search(r"type:\s*ignore", tok.string)
        if is_ignore and not IGNORE_WITH_REASON.search(tok.string):
            out.append((tok.start[0], tok.string))
    return out


def _to_repo_paths(tree: Path) -> Callable[[str], str]:
    """Rewrite `reverie/<folder>/x.py` (relative or absolute in the tree) to `<folder>/x.py`."""
    prefixes = []
    for folder in FOLDERS:
        prefixes.append((f"{tree}/reverie/{folder}/", f"{folder}/"))
        prefixes.append((f"reverie/{folder}/", f"{folder}/"))

    def rewrite(output: str) -> str:
        lines = []
        for line in output.splitlines():
            for old, new in prefixes:
                if line.startswith(old):
                    line = new + line[len(old) :]
                    break
            lines.append(line)
        return "\n".join(lines) + ("\n" if lines else "")

    return rewrite


_checks = StaticChecks()
CHECKS: dict[str, Callable[[], CheckResult]] = {
    "ruff": _checks.ruff_lint,
    "format": _checks.ruff_format,
    "mypy": _checks.mypy,
    "ignores": _checks.ignores,
}


def main(argv: list[str] | None = None) -> int:
    names = list(sys.argv[1:] if argv is None else argv) or list(CHECKS)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        print(f"unknown check {unknown[0]!r}; choose from: {', '.join(CHECKS)}", file=sys.stderr)
        return 2
    failed = 0
    for name in names:
        result = CHECKS[name]()
        print(result.report(), end="\n\n")
        failed += not result.ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
