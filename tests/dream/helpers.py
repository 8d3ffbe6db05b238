"""Build Event lists the way the Claude adapter would, for signal/critic unit tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from reverie.dreamer.model import SessionSignals
from reverie.dreamer.signals import extract
from reverie.store.models import Artifact, Event

OLD = 1767225600
"""2026-01-01: before every session these helpers build."""


class Session:
    """A tiny builder of normalized events for one session."""

    def __init__(self, sid: str = "s1", cwd: str = "/w", day: int = 1) -> None:
        self.sid, self.cwd, self.day = sid, cwd, day
        self.events: list[Event] = []
        self._tid = 0

    def _ev(self, kind: str, trust: str, **kw: Any) -> Event:
        n = len(self.events)
        ev = Event(
            session_id=self.sid,
            seq=n,
            kind=kind,
            trust=trust,
            uuid=f"{self.sid}-u{n}",
            timestamp=f"2026-03-{self.day:02d}T10:{n // 60:02d}:{n % 60:02d}.000Z",
            cwd=self.cwd,
            **kw,
        )
        self.events.append(ev)
        return ev

    def user(self, text: str) -> Event:
        return self._ev("user_prompt", "user", text=text)

    def say(self, text: str) -> Event:
        return self._ev("assistant_text", "agent", text=text)

    def tool(self, name: str, tool_input: dict, output: str = "", status: str = "ok", trust: str = "tool") -> Event:
        self._tid += 1
        tid = f"{self.sid}-t{self._tid}"
        call = self._ev("tool_call", "agent", tool_name=name, tool_input=tool_input, tool_use_id=tid)
        self._ev("tool_result", trust, tool_name=name, tool_use_id=tid, text=output, status=status)
        if status == "rejected":
            self._ev("interruption", "user", text="[Request interrupted by user for tool use]")
        return call

    def bash(self, command: str, output: str = "", status: str = "ok") -> Event:
        return self.tool("Bash", {"command": command}, output, status)

    def edit(self, path: str, status: str = "ok") -> Event:
        return self.tool(
            "Edit", {"file_path": f"{self.cwd}/{path}", "old_string": "a", "new_string": "b"}, "ok", status
        )


def signals(*sessions: Session) -> list[SessionSignals]:
    """Each session's signals, as the dream extracts and stamps them."""
    out = []
    for s in sessions:
        sig = extract(s.events)
        sig.session_id = s.sid
        sig.stamp()
        out.append(sig)
    return out


def claude_md(root: Path, text: str, name: str = "claude-md", mtime: float | None = None) -> Artifact:
    """A hand-written CLAUDE.md: `text` written under `root` (last changed at `mtime`, default now)
    and its document artifact."""
    (root / "CLAUDE.md").write_text(text)
    if mtime is not None:
        os.utime(root / "CLAUDE.md", (mtime, mtime))
    return Artifact(
        id="a-doc",
        kind="instinct",
        scope="team",
        name=name,
        body=text,
        meta={"source": "CLAUDE.md", "layout": "document"},
    )
