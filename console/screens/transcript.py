"""`enter` on a proposal: the transcript at the cited event, with its neighbours."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from reverie.console import keys as keymod
from reverie.console.app import reverie_app
from reverie.console.widgets.info import TRUST
from reverie.store.models import Event, Evidence
from reverie.store.textsafe import escape_invisible

MAX_TEXT_LINES = 24


def find_cited(events: list[Event], ev: Evidence) -> int:
    """Index of the cited event: by uuid, then tool-use id, then timestamp; -1 if absent."""
    if ev.event_uuid:
        for i, e in enumerate(events):
            if e.uuid == ev.event_uuid or e.tool_use_id == ev.event_uuid:
                return i
    if ev.timestamp:
        for i, e in enumerate(events):
            if e.timestamp and e.timestamp >= ev.timestamp:
                return i
    return -1


def render_events(events: list[Event], cited: int, radius: int, dark: bool = True) -> RenderableType:
    """The cited event and `radius` neighbours each side, the cited one marked."""
    if not events:
        return Text("no events")
    lo = max(0, (cited if cited >= 0 else 0) - radius)
    hi = min(len(events), (cited if cited >= 0 else 0) + radius + 1)
    out: list[RenderableType] = []
    if lo:
        out.append(Text(f"… {lo} earlier events (m: more)", style="dim"))
    for i in range(lo, hi):
        e = events[i]
        head = Text()
        head.append("▶ " if i == cited else "  ", "bold reverse" if i == cited else "")
        head.append(f"#{e.seq} ", "dim")
        head.append(e.timestamp[:19].replace("T", " ") + " " if e.timestamp else "", "dim")
        head.append(e.kind, "bold")
        if e.tool_name:
            head.append(f" {e.tool_name}")
        if e.status:
            head.append(f" [{e.status}]", "bold" if e.status != "ok" else "dim")
        head.append(f"  {e.trust}", TRUST[dark].get(e.trust, ""))
        if e.is_sidechain:
            head.append(" sidechain", "dim")
        body_src = e.text or (str(e.tool_input) if e.tool_input else "")
        lines = escape_invisible(body_src)[0].split("\n")
        if len(lines) > MAX_TEXT_LINES:
            lines = [*lines[:MAX_TEXT_LINES], f"… {len(lines) - MAX_TEXT_LINES} more lines"]
        body = Text("\n".join("    " + l for l in lines), style="bold" if i == cited else "")
        out.append(head)
        out.append(body)
    if hi < len(events):
        out.append(Text(f"… {len(events) - hi} later events (m: more)", style="dim"))
    return Group(*out)


class TranscriptScreen(Screen[None]):
    BINDINGS = keymod.bindings(keymod.TRANSCRIPT)

    def __init__(self, evidence: Evidence, events: list[Event], note: str = "") -> None:
        super().__init__()
        self.evidence = evidence
        self.events = events
        self.note = note
        self.radius = 6
        self.cited = find_cited(events, evidence)

    def compose(self) -> ComposeResult:
        ev = self.evidence
        title = Text()
        title.append(f" session {ev.session_id}", "bold")
        if ev.event_uuid:
            title.append(f"  event {ev.event_uuid}", "dim")
        if self.note:
            title.append(f"  {self.note}", "italic")
        elif self.cited < 0 and self.events:
            title.append("  (cited event not found; showing the start)", "italic")
        yield Static(title, id="transcript-title")
        with VerticalScroll(id="transcript-scroll"):
            yield Static(id="transcript")
        yield Footer()

    def on_mount(self) -> None:
        self._paint()
        self.query_one("#transcript-scroll").focus()

    def _paint(self) -> None:
        dark = self.app.current_theme.dark
        if not self.events:
            msg = self.note or f"session {self.evidence.session_id} is not in the sessions index (run `reverie ingest`)"
            self.query_one("#transcript", Static).update(Text(msg, style="italic"))
            return
        self.query_one("#transcript", Static).update(render_events(self.events, self.cited, self.radius, dark))

    def action_more(self) -> None:
        self.radius *= 2
        self._paint()

    def action_scroll_down(self) -> None:
        self.query_one("#transcript-scroll").scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.query_one("#transcript-scroll").scroll_up(animate=False)

    def action_help(self) -> None:
        from reverie.console.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(keymod.TRANSCRIPT, reverie_app(self.app).key_overrides, "transcript keys"))

    def action_close(self) -> None:
        self.app.pop_screen()
