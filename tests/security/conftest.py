"""Fixtures for the security tests: the real CLI in-process (see tests/e2e/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Cli


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], workspace: Path) -> Cli:
    return Cli(capsys, workspace)


def proposals_file(tmp_path: Path, proposals: list[dict[str, Any]], name: str = "p.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"proposals": proposals}))
    return path


def labels_of(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(l["label"], l["severity"]) for l in doc["labels"]}
