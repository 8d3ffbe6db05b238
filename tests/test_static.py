"""ruff (lint + format) and mypy are clean: the suite runs the static checks, so CI does.

Run the same by hand with `python -m tests.static_checks` (see that module for
how mypy sees the folders as `reverie.*`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import static_checks


def _installed(module: str) -> bool:
    proc = subprocess.run([sys.executable, "-m", module, "--version"], capture_output=True, check=False)
    return proc.returncode == 0


TOOL = {"ruff": "ruff", "format": "ruff", "mypy": "mypy", "ignores": None}


@pytest.mark.parametrize("name", list(static_checks.CHECKS))
def test_static_check_is_clean(name: str) -> None:
    tool = TOOL[name]
    if tool is not None:
        assert _installed(tool), f"{tool} is not installed: pip install -e '.[test]' (the test extra pins it)"
    result = static_checks.CHECKS[name]()
    assert result.ok, "\n" + result.report()


def _tiny_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    for folder in (*static_checks.FOLDERS, "tests"):
        (repo / folder).mkdir(parents=True)
        (repo / folder / "__init__.py").write_text("")
    return repo


def test_mypy_failures_name_repo_paths(tmp_path: Path) -> None:
    """A type error is reported, under the folder's own path (not the link tree's `reverie/...`)."""
    repo = _tiny_repo(tmp_path)
    (repo / "store" / "broken.py").write_text('count: int = "three"\n')
    shutil.copy(static_checks.REPO / "pyproject.toml", repo / "pyproject.toml")
    checks = static_checks.StaticChecks(repo, work=tmp_path / "work")

    result = checks.mypy()

    assert not result.ok
    assert re.search(r"^store/broken\.py:1: error: .*incompatible types", result.output, re.M | re.I), result.output
    assert "reverie/store" not in result.output


def test_ignores_need_a_code_and_a_reason(tmp_path: Path) -> None:
    repo = _tiny_repo(tmp_path)
    (repo / "dreamer" / "m.py").write_text(
        "a = f()  # type: ignore\n"
        "b = f()  # type: ignore[arg-type]\n"
        "c = f()  # type: ignore[arg-type]  # the stub is wrong about this overload\n"
        "d = '# type: ignore'\n"  # a string, not a comment
    )

    result = static_checks.StaticChecks(repo, work=tmp_path / "work").ignores()

    assert not result.ok
    flagged = [line.split(":")[1] for line in result.output.splitlines() if line.startswith("dreamer/")]
    assert flagged == ["1", "2"], result.output
