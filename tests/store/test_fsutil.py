"""Targets never escape the workspace or ~/.claude; writes are atomic."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reverie.store.errors import UnsafePathError
from reverie.store.fsutil import atomic_write, key_for, safe_target


@pytest.mark.parametrize("key", ["../x.md", "a/../../x.md", "/etc/passwd", "~/../.bashrc", "~/.claude/../../x", ""])
def test_escaping_keys_rejected(workspace: Path, key: str) -> None:
    with pytest.raises(UnsafePathError) as err:
        safe_target(workspace, key)
    assert "unsafe target path" in str(err.value)


def test_home_key_must_stay_in_dot_claude(workspace: Path) -> None:
    with pytest.raises(UnsafePathError):
        safe_target(workspace, "~/.bashrc")
    assert safe_target(workspace, "~/.claude/CLAUDE.md").name == "CLAUDE.md"


def test_symlinked_parent_escape_rejected(workspace: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (workspace / ".claude").mkdir()
    os.symlink(outside, workspace / ".claude" / "rules")
    with pytest.raises(UnsafePathError):
        safe_target(workspace, ".claude/rules/x.md")


def test_atomic_write_replaces_and_keeps_mode(tmp_path: Path) -> None:
    p = tmp_path / "d" / "f.sh"
    atomic_write(p, b"one", 0o755)
    assert p.read_bytes() == b"one" and p.stat().st_mode & 0o777 == 0o755
    atomic_write(p, b"two")
    assert p.read_bytes() == b"two" and p.stat().st_mode & 0o777 == 0o755
    assert [x.name for x in p.parent.iterdir()] == ["f.sh"]  # no temp files left


def test_key_for(workspace: Path, temp_home: Path) -> None:
    assert key_for(workspace, workspace / "CLAUDE.md") == "CLAUDE.md"
    assert key_for(workspace, temp_home / ".claude" / "x.md") == "~/.claude/x.md"


def test_atomic_write_through_symlink_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "real.md").write_text("old")
    (tmp_path / "link.md").symlink_to("real.md")
    atomic_write(tmp_path / "link.md", b"new")
    assert (tmp_path / "link.md").is_symlink() and (tmp_path / "real.md").read_bytes() == b"new"
