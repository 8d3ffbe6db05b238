"""`reverie review` (also plain `reverie`) and `reverie demo`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from reverie.console.output import Output
from reverie.store.errors import UsageError

if TYPE_CHECKING:
    from reverie.store.store import Store


def open_workspace_store(workspace: Path, db: Path | None, create: bool = True) -> Store:
    """Open (creating and importing on first use) the workspace's store."""
    from reverie.store.store import Store

    if not workspace.is_dir():
        raise UsageError(f"workspace {workspace} is not a directory")
    store = Store.open(workspace, db_path=db, create=create)
    store.init()
    return store


def run_console(workspace: Path, db: Path | None, transcripts: list[Path], watch: bool = True) -> int:
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        raise UsageError("the review console needs a terminal; use `reverie proposals` / `reverie show` in scripts")
    from reverie.store.store import Store

    store = open_workspace_store(workspace, db)
    from reverie.console.app import ReverieApp

    app = ReverieApp(store, lambda: Store.open(workspace, db_path=db), transcripts=transcripts, watch=watch)
    try:
        app.run()
    finally:
        store.close()
    return int(app.return_code or 0)


def cmd_review(args: argparse.Namespace, out: Output) -> int:
    """Open the console on --workspace (default: the current directory)."""
    return run_console(args.workspace, args.db, list(args.transcripts))


def cmd_demo(args: argparse.Namespace, out: Output) -> int:
    """Build the demo workspace + a private HOME, dream, then open the console (or print a summary)."""
    from reverie.console.demo import build_demo, demo_summary, summary_text

    demo = build_demo(args.dir, log=out.info)
    with demo.home_env():
        summary = demo_summary(demo)
        if args.no_tui or args.json:
            out.emit(summary, summary_text(summary))
            return 0
        out.info(summary_text(summary))
        return run_console(demo.workspace, None, [demo.transcripts], watch=True)
