"""The smaller items of issue 9: temp files after a kill, a newer schema, a read-only store.

Read-only: tests run as root here, where `chmod` blocks nothing, so the store's
directory is made read-only for real with a bind mount inside a private mount
namespace (`unshare -rm`; gone with the process). Where that is not possible and
we are not root, `chmod` does it; otherwise the test skips and says why.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from reverie.store.core import Store
from reverie.store.fsutil import TMP_SUFFIX
from tests.e2e.conftest import Cli
from tests.store.conftest import P, paused_apply

REPO = Path(__file__).resolve().parents[2]


def _approved(ws: Path) -> Store:
    (ws / "CLAUDE.md").write_text("# Project\n\nHand text.\n")
    s = Store.open(ws, create=True)
    s.init()
    s.open_candidate([P("Run tests"), P("Deploy", "Deploy carefully.", kind="command")])
    s.approve([p.id for p in s.proposals()])
    return s


def test_a_kill_inside_a_file_write_leaves_no_temp_file_after_recovery(workspace: Path, tmp_path: Path) -> None:
    s = _approved(workspace)
    head = s.head().id
    s.close()
    with paused_apply(workspace, tmp_path / "paused", "--yes", REVERIE_TEST_PAUSE_IN_TEMP="1") as child:
        temps = [p for p in workspace.rglob(f"*{TMP_SUFFIX}")]
        assert temps  # the kill lands with a temp file written and not yet renamed
        os.kill(child.pid, signal.SIGKILL)
    s = Store.open(workspace)  # recovery
    assert not list(workspace.rglob(f"*{TMP_SUFFIX}"))
    assert s.head().id == head and (workspace / "CLAUDE.md").read_text() == "# Project\n\nHand text.\n"
    assert len(s.apply().applied) == 2


def test_a_store_from_a_newer_reverie_is_refused_with_both_versions(cli: Cli, workspace: Path) -> None:
    cli.ok("init")
    db = workspace / ".reverie" / "reverie.db"
    conn = sqlite3.connect(db)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('reverie-core', 'm999_future', 'x')"
    )
    conn.commit()
    conn.close()
    before = db.read_bytes()
    for command in (["status"], ["log"], ["approve", "p-x"]):
        res = cli(*command)
        assert res.rc == 1 and "created by a newer Reverie (reverie-core schema" in res.err and " > " in res.err
    assert db.read_bytes() == before  # nothing written to it


def _read_only_runner(state: Path) -> list[str] | None:
    """A command prefix under which `state` is read-only, or None."""
    if os.geteuid() != 0:
        return []  # chmod below is enough
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    probe = subprocess.run(
        [unshare, "-rm", "sh", "-c", f'mount --bind "{state}" "{state}" && mount -o remount,bind,ro "{state}"'],
        capture_output=True,
    )
    if probe.returncode != 0:
        return None
    return [
        unshare,
        "-rm",
        "sh",
        "-c",
        f'mount --bind "{state}" "{state}" && mount -o remount,bind,ro "{state}" && exec "$0" "$@"',
    ]


_CONSOLE = textwrap.dedent(
    """
    import asyncio, sys
    from reverie.console.app import ReverieApp
    from reverie.store.core import Store
    ws = sys.argv[1]
    store = Store.open(ws)
    app = ReverieApp(store, lambda: Store.open(ws), watch=False)
    notes = []
    async def main():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            app.notify = lambda message, **kw: notes.append(str(message))
            app.screen.notify = app.notify
            await pilot.press("a")
            await pilot.pause()
    asyncio.run(main())
    print("NOTES", notes)
    """
)


def test_a_read_only_store_opens_for_reading_and_refuses_writes_in_one_line(workspace: Path) -> None:
    s = _approved(workspace)
    pid = s.proposals()[0].id
    s.close()
    state = workspace / ".reverie"
    prefix = _read_only_runner(state)
    if prefix is None:
        pytest.skip("cannot make a directory read-only here (root without user namespaces)")
    if not prefix:
        for p in [state, *state.iterdir()]:
            p.chmod(0o555 if p.is_dir() else 0o444)
    env = dict(os.environ, PYTHONPATH=str(REPO))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "reverie.console.cli", "--workspace", str(workspace), *args]
        return subprocess.run([*prefix, *cmd], env=env, capture_output=True, text=True, timeout=120)

    for args in (["status"], ["log"], ["show", pid], ["proposals", "--json"]):
        res = run(*args)
        assert res.returncode == 0, (args, res.stderr)
    for args in (["approve", pid], ["apply", "--yes"], ["ingest"]):
        res = run(*args)
        assert res.returncode == 1 and "read-only" in res.stderr, (args, res.stderr)
        assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    console = subprocess.run(
        [*prefix, sys.executable, "-c", _CONSOLE, str(workspace)], env=env, capture_output=True, text=True, timeout=120
    )
    assert console.returncode == 0, console.stderr
    assert "read-only" in console.stdout, console.stdout  # the approve key said why, the console stayed up
