"""End-to-end helpers: run the real CLI in-process and check its output contract.

Why in-process: a subprocess costs ~0.5 s; `console.cli.main` with capsys runs
the same argument parsing, handlers and error handling in milliseconds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reverie.console.cli import main


@dataclass
class Result:
    rc: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """Calls `reverie …` in-process and enforces DESIGN §4 on every call."""

    def __init__(self, capsys: pytest.CaptureFixture[str], workspace: Path) -> None:
        self.capsys = capsys
        self.workspace = workspace

    def __call__(self, *args: Any, ws: bool = True) -> Result:
        argv = [str(a) for a in args]
        if ws and "-w" not in argv and "--workspace" not in argv:
            argv += ["--workspace", str(self.workspace)]
        self.capsys.readouterr()
        rc = main(argv)
        cap = self.capsys.readouterr()
        res = Result(rc, cap.out, cap.err)
        assert "Traceback" not in res.err, res.err
        assert "internal error" not in res.err, res.err
        if "--json" in argv:
            if rc == 0:
                json.loads(res.out)  # exactly one JSON document
            else:
                assert res.out.strip() == "" or json.loads(res.out) is not None, res.out
        if rc != 0:
            assert res.err.strip(), f"exit {rc} without a message"
            assert len(res.err.strip().splitlines()) <= 3, res.err
        return res

    def ok(self, *args: Any, **kw: Any) -> Result:
        res = self(*args, **kw)
        assert res.rc == 0, (args, res.err)
        return res


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], workspace: Path) -> Cli:
    return Cli(capsys, workspace)


def tree_digest(*roots: Path, skip: str = ".reverie") -> dict[str, str]:
    """sha256 of every file under `roots` (skipping the store), for byte-identity checks."""
    digest: dict[str, str] = {}
    for root in roots:
        if not root.exists():
            continue
        for p in sorted(root.rglob("*")):
            if p.is_file() and skip not in p.relative_to(root).parts:
                digest[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return digest
