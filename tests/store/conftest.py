"""Fixtures for store tests: a fresh workspace with a store, and helpers."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reverie.store.core import Store
from reverie.store.models import Artifact, Label, LineEdit, Proposal

REPO = Path(__file__).resolve().parents[2]


def P(title: str, body: str = "", kind: str = "instinct", scope: str = "team", action: str = "add", **kw) -> Proposal:
    """A proposal as a dream would hand it over (ids/targets filled by the store)."""
    return Proposal(id="", action=action, kind=kind, scope=scope, title=title, body=body or f"{title}.", **kw)


def update_of(art: Artifact, edits: list[LineEdit], body: str = "x", **kw) -> Proposal:
    """An update of the hand-written artifact `art` by line `edits`, titled after its source file."""
    kw.setdefault("title", f"Update {art.meta.get('source')}")
    return Proposal(
        id="", action="update", kind=art.kind, scope=art.scope, body=body, replaces=[art.id], edits=edits, **kw
    )


@contextlib.contextmanager
def paused_apply(workspace: Path, marker: Path, *args: str, **pause: str) -> Iterator[subprocess.Popen[bytes]]:
    """`reverie apply` in a child process held at a test pause point (`pause`: ``REVERIE_TEST_PAUSE_*``
    variables); the block runs once the child wrote `marker`, to look at the half-done work and kill
    it. The child is always reaped (its `returncode` is set after the block)."""
    env = dict(os.environ, PYTHONPATH=str(REPO), REVERIE_TEST_PAUSE_MARKER=str(marker), **pause)
    child = subprocess.Popen(
        [sys.executable, "-m", "reverie.console.cli", "--workspace", str(workspace), "apply", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the child never reached the pause point"
            time.sleep(0.02)
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)


def block(label: str = "memory_poisoning") -> list[Label]:
    return [Label(label, "block", "instruction from tool output")]


def tree(root: Path, skip: tuple[str, ...] = (".reverie",)) -> dict[str, str]:
    """Every file under `root` (minus the state dir) → sha256, for byte-identity checks."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in skip]
        for name in filenames:
            p = Path(dirpath) / name
            out[p.relative_to(root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def world(ws: Path, home: Path) -> dict[str, str]:
    """Workspace files plus the temp home's ~/.claude files."""
    out = tree(ws)
    if (home / ".claude").exists():
        out.update({"~/" + k: v for k, v in tree(home / ".claude").items()})
    return out


@pytest.fixture
def store(workspace: Path) -> Store:
    (workspace / "CLAUDE.md").write_text("# Project\n\nHand-written notes.\n")
    s = Store.open(workspace, create=True)
    s.init()
    yield s
    s.close()


@contextlib.contextmanager
def sandbox(files: dict[str, bytes | None]) -> Iterator[tuple[Path, Path]]:
    """A fresh workspace and HOME for one hypothesis example (function fixtures last a whole test).

    `files`: workspace-relative keys (or ``~/``-relative, under the temp HOME) → bytes (None: no file).
    """
    root = Path(tempfile.mkdtemp(prefix="reverie-sandbox-"))
    old_home = os.environ.get("HOME")
    os.environ["HOME"] = str(root / "home")
    (root / "home").mkdir()
    ws = root / "ws"
    ws.mkdir()
    for key, data in files.items():
        if data is None:
            continue
        path = root / "home" / key[2:] if key.startswith("~/") else ws / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    try:
        yield ws, root / "home"
    finally:
        if old_home is not None:
            os.environ["HOME"] = old_home
        shutil.rmtree(root, ignore_errors=True)
