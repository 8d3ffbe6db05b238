"""`reverie demo [DIR]`: a realistic sample workspace, a private HOME, one dream.

Layout of DIR (default: a new `reverie-demo-*` dir under the system temp dir):

    DIR/project/       the workspace (hand-written CLAUDE.md, .claude/ files)
    DIR/home/          a private HOME: everything Reverie writes under `~` lands here
    DIR/home/transcripts/   the demo's Claude Code sessions, passed explicitly

While the demo dreams and while its console runs, `HOME` points at DIR/home, so
memories and global artifacts are written there and never into the real
`~/.claude`. Running `reverie demo DIR` again reuses what is there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reverie.store.errors import UsageError


@dataclass(frozen=True, slots=True)
class DemoDream:
    """What the demo's own dream read."""

    sessions_read: int
    events_read: int


@dataclass
class Demo:
    root: Path
    workspace: Path
    home: Path
    transcripts: Path
    reused: bool = False
    dream: DemoDream | None = None
    """None when a candidate was already open (no dream ran)."""

    @contextlib.contextmanager
    def home_env(self) -> Iterator[None]:
        """HOME → the demo's private home for the duration (restored after)."""
        old = os.environ.get("HOME")
        os.environ["HOME"] = str(self.home)
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("HOME", None)
            else:
                os.environ["HOME"] = old


def _layout(root: Path) -> Demo:
    root = root.resolve()
    return Demo(root=root, workspace=root / "project", home=root / "home", transcripts=root / "home" / "transcripts")


def build_demo(directory: Path | None = None, log: Callable[[str], None] = print, dream: bool = True) -> Demo:
    """Build (or reuse) the demo in `directory`, then dream once if no candidate is open."""
    from reverie.dreamer.scenarios.build import build_demo_workspace, demo_transcripts_dir

    root = directory if directory is not None else Path(tempfile.mkdtemp(prefix="reverie-demo-"))
    demo = _layout(root)
    if demo.workspace.is_dir() and (demo.workspace / ".reverie").is_dir():
        demo.reused = True
        log(f"reverie demo: reusing {demo.root}")
    else:
        if root.exists() and not root.is_dir():
            raise UsageError(f"demo dir {root} exists and is not a directory")
        if root.is_dir() and any(root.iterdir()):
            raise UsageError(f"demo dir {root} is not empty and holds no earlier demo: choose a new or empty dir")
        log(f"reverie demo: building a sample workspace in {demo.root}")
        demo.home.mkdir(parents=True, exist_ok=True)
        with demo.home_env():
            ws = build_demo_workspace(demo.workspace)
            built = demo_transcripts_dir(ws)
            if built.is_dir():
                shutil.move(str(built), str(demo.transcripts))
            else:
                demo.transcripts.mkdir(parents=True, exist_ok=True)
    if dream:
        with demo.home_env():
            demo.dream = _dream_once(demo, log)
    return demo


def _dream_once(demo: Demo, log: Callable[[str], None]) -> DemoDream | None:
    from reverie.store.store import Store

    store = Store.open(demo.workspace, create=True)
    try:
        store.init()
        if store.current_candidate() is not None:
            return None
        from reverie.dreamer.dream import run_dream

        log("reverie demo: dreaming over the demo sessions…")
        result = run_dream(store, transcripts=[demo.transcripts])
        return DemoDream(result.sessions_read, result.events_read)
    finally:
        store.close()


def demo_summary(demo: Demo) -> dict[str, Any]:
    """What the demo's open candidate proposes: counts by kind, by label, by status."""
    from reverie.store.store import Store

    store = Store.open(demo.workspace)
    try:
        cand = store.current_candidate()
        proposals = store.proposals(cand.id) if cand else []
    finally:
        store.close()
    by_kind: dict[str, int] = {}
    by_label: dict[str, int] = {}
    by_status: dict[str, int] = {}
    for p in proposals:
        by_kind[p.kind] = by_kind.get(p.kind, 0) + 1
        by_status[p.status] = by_status.get(p.status, 0) + 1
        for label in p.labels:
            key = f"{label.label} ({label.severity})"
            by_label[key] = by_label.get(key, 0) + 1
    read = {"sessions_read": demo.dream.sessions_read, "events_read": demo.dream.events_read} if demo.dream else {}
    return {
        "dir": str(demo.root),
        "workspace": str(demo.workspace),
        "home": str(demo.home),
        "transcripts": str(demo.transcripts),
        "reused": demo.reused,
        "candidate_store": cand.id if cand else None,
        "proposals": len(proposals),
        "by_kind": dict(sorted(by_kind.items())),
        "by_label": dict(sorted(by_label.items())),
        "by_status": by_status,
        **read,
    }


def summary_text(summary: dict[str, Any]) -> str:
    lines = [
        f"demo workspace: {summary['workspace']}",
        f"private HOME:   {summary['home']} (transcripts in {summary['transcripts']})",
        f"candidate {summary['candidate_store'] or '(none)'}: {summary['proposals']} proposals",
    ]
    if summary.get("sessions_read") is not None:
        lines[-1] += f" from {summary['sessions_read']} sessions"
    if summary["by_kind"]:
        lines.append("  by kind:  " + ", ".join(f"{k} {n}" for k, n in summary["by_kind"].items()))
    if summary["by_label"]:
        lines.append("  labels:   " + ", ".join(f"{k} {n}" for k, n in summary["by_label"].items()))
    lines.append(
        f"open it again: HOME={summary['home']} reverie review --workspace {summary['workspace']}"
        f" --transcripts {summary['transcripts']}   (or: reverie demo {summary['dir']})"
    )
    return "\n".join(lines)
