"""Bad input: corrupt db, read-only workspace, full disk, escaping targets."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from reverie.store.core import Store
from reverie.store.errors import StoreCorruptError, UnsafePathError
from reverie.store.models import Artifact
from tests.store.conftest import P, world

REPO = Path(__file__).resolve().parents[2]


def _child(code: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, PYTHONPATH=str(REPO), **(env or {}))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=full, timeout=120, **kw
    )


def test_corrupt_database(workspace: Path) -> None:
    db = workspace / ".reverie" / "reverie.db"
    db.parent.mkdir()
    db.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreCorruptError, match="is not a Reverie database"):
        Store.open(workspace)
    assert db.read_bytes() == b"this is not sqlite at all" * 100  # untouched


def test_corrupt_database_cli_one_line(workspace: Path) -> None:
    db = workspace / ".reverie" / "reverie.db"
    db.parent.mkdir()
    db.write_bytes(b"\x00garbage" * 500)
    proc = subprocess.run(
        [sys.executable, "-m", "reverie.console.cli", "--workspace", str(workspace), "status"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 1 and "is not a Reverie database" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_escaping_targets_write_nothing(store: Store, workspace: Path, tmp_path: Path, temp_home: Path) -> None:
    before = world(workspace, temp_home)
    # a proposal cannot smuggle a path: names are slugified
    store.open_candidate([P("../../evil", "x", kind="rule")])
    assert store.proposals()[0].name == "evil"
    # an artifact whose imported source escapes is refused at write time
    outside = tmp_path / "outside"
    outside.mkdir()
    (workspace / ".claude").mkdir()
    os.symlink(outside, workspace / ".claude" / "commands")
    store.open_candidate([P("deploy", "Deploy.", kind="command")])
    pid = next(iter(store.proposals())).id
    store.approve([pid])
    with pytest.raises(UnsafePathError, match="unsafe target path"):
        store.apply()
    assert list(outside.iterdir()) == []
    assert world(workspace, temp_home) == before
    assert store.head().kind == "approve"


def test_unsafe_source_in_meta_refused(store: Store, workspace: Path) -> None:
    from reverie.store import materialize as mat

    a = Artifact(id="a-x", kind="rule", scope="team", name="x", body="b", meta={"source": "../x.md", "layout": "file"})
    with pytest.raises(UnsafePathError):
        from reverie.store.fsutil import safe_target

        safe_target(workspace, mat.targets_of(a, workspace)[0])


@pytest.fixture
def open_workspace() -> Path:
    """A workspace under a world-traversable dir (pytest's tmp root is 0700)."""
    root = Path(tempfile.mkdtemp(prefix="reverie-ro-"))
    os.chmod(root, 0o755)
    (root / "project").mkdir()
    yield root / "project"
    for dirpath, _dirnames, _filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.skipif(not hasattr(os, "setuid"), reason="needs POSIX uids")
def test_read_only_workspace(open_workspace: Path, tmp_path: Path) -> None:
    """A workspace the user cannot write: apply fails with one line, nothing changes."""
    workspace = open_workspace
    (workspace / "CLAUDE.md").write_text("# Mine\n")
    s = Store.open(workspace, create=True)
    s.init()
    s.open_candidate([P("one")])
    s.approve([s.proposals()[0].id])
    head = s.head().id
    s.close()
    before = (workspace / "CLAUDE.md").read_bytes()
    code = f"""
        import os, sys
        from reverie.console.cli import main
        # imported before dropping privileges
        import reverie.console.cmd_store, reverie.store.core, reverie.store.importer, reverie.store.sessions
        main(["--workspace", {str(workspace)!r}, "status"])  # warms every lazy import
        if os.getuid() == 0:
            os.setgid(65534); os.setuid(65534)  # root ignores permissions: become nobody
        sys.exit(main(["--workspace", {str(workspace)!r}, "apply"]))
    """
    os.chmod(workspace, 0o555)
    os.chmod(workspace / "CLAUDE.md", 0o444)
    if os.getuid() == 0:
        for p in [workspace / ".reverie", *(workspace / ".reverie").iterdir()]:
            os.chown(p, 65534, 65534)
    try:
        proc = _child(code, env={"HOME": str(workspace.parent / "home")})
    finally:
        os.chmod(workspace, 0o755)
        os.chmod(workspace / "CLAUDE.md", 0o644)
    assert proc.returncode == 1, proc.stderr
    assert "cannot write" in proc.stderr and "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
    assert (workspace / "CLAUDE.md").read_bytes() == before
    s = Store.open(workspace)
    assert s.head().id == head and s.proposals()[0].status == "approved"
    assert not s.db.execute("SELECT count(*) FROM journal").fetchone()[0]


def test_full_disk(workspace: Path, tmp_path: Path) -> None:
    """A file-size limit (RLIMIT_FSIZE) stands in for a full disk."""
    (workspace / "CLAUDE.md").write_text("# Mine\n")
    s = Store.open(workspace, create=True)
    s.init()
    big = os.urandom(400_000).hex()  # incompressible, 800 KB
    s.open_candidate([P("small", "small rule", kind="rule"), P("big", big, kind="skill")])
    s.approve([p.id for p in s.proposals()])
    head = s.head().id
    s.close()
    before = world(workspace, tmp_path / "h")
    code = f"""
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))
        from reverie.console.cli import main
        sys.exit(main(["--workspace", {str(workspace)!r}, "apply"]))
    """
    proc = _child(code, env={"HOME": str(tmp_path / "h")})
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
    assert world(workspace, tmp_path / "h") == before
    s = Store.open(workspace)
    assert s.head().id == head
    assert {p.status for p in s.proposals()} == {"approved"}


def test_foreign_sqlite_database_is_refused(workspace: Path, tmp_path: Path) -> None:
    import sqlite3

    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    with pytest.raises(StoreCorruptError, match="another application's tables"):
        Store.open(workspace, db_path=other)
    assert other.read_bytes() == before


def test_missing_workspace_and_uninitialised(tmp_path: Path) -> None:
    from reverie.store.errors import ReverieError

    with pytest.raises(ReverieError, match="does not exist"):
        Store.open(tmp_path / "nope")
    with pytest.raises(ReverieError, match="reverie init"):
        Store.open(tmp_path)
    assert not (tmp_path / ".reverie").exists()  # a read never creates state
