"""Provenance, labels, confidence and replay figures of one proposal.

`proposal_info` is a pure function of a proposal → a rich renderable, so it is
testable without an app; `InfoPane` just shows it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from reverie.store import paths
from reverie.store.models import Proposal
from reverie.store.textsafe import escape_invisible

SEVERITY = {
    True: {"block": "bold #ff6b6b", "warn": "bold #ffcb6b", "info": "#82aaff"},
    False: {"block": "bold #b3261e", "warn": "bold #8a5a00", "info": "#1a5fb4"},
}
TRUST = {
    True: {"user": "#5fd77a", "agent": "#82aaff", "tool": "#ffcb6b", "external": "bold #ff6b6b"},
    False: {"user": "#1d7a32", "agent": "#1a5fb4", "tool": "#8a5a00", "external": "bold #b3261e"},
}


def _visible(text: str) -> str:
    return escape_invisible(text)[0]


def short_session(session_id: str) -> str:
    return session_id[:8] if len(session_id) > 12 else session_id


def replay_line(replay: dict[str, Any]) -> str:
    """Replay figures in words, whatever keys the replay step recorded."""
    if not isinstance(replay, dict) or not replay:
        return ""
    parts = []
    for key, value in replay.items():
        if isinstance(value, (dict, list)):
            continue
        parts.append(f"{key.replace('_', ' ')} {value}")
    return " · ".join(parts)


def display_path(target: str, workspace: Path | None) -> str:
    """A target as a person reads it: workspace-relative, or under ~."""
    if not target:
        return ""
    path = Path(target)
    if workspace is not None:
        try:
            return str(path.relative_to(workspace))
        except ValueError:
            pass
    try:
        return "~/" + str(path.relative_to(paths.home()))
    except ValueError:
        return target


def observed_line(p: Proposal) -> Text | None:
    """Who wrote an observed write, with what, and what the two keys do (None for a dream's proposal)."""
    info = p.meta.get("observed") if isinstance(p.meta, dict) else None
    if not isinstance(info, dict):
        return None
    line = Text()
    writer = str(info.get("writer") or "person")
    line.append(f"written by {'the agent' if writer == 'agent' else 'a person'}", "bold")
    via = [str(info[k]) for k in ("agent", "tool") if info.get(k)] if writer == "agent" else []
    if info.get("session_id"):
        via.append(f"session {short_session(str(info['session_id']))}")
    if via:
        line.append(" (" + " · ".join(via) + ")")
    if p.status == "pending":
        line.append("  a keep · x revert to the last reviewed bytes", "dim")
    else:
        line.append({"applied": "  kept", "rejected": "  reverted"}.get(p.status, f"  {p.status}"), "italic")
    return line


def proposal_info(
    p: Proposal | None, evidence_index: int = 0, dark: bool = True, workspace: Path | None = None
) -> RenderableType:
    """Everything a reviewer weighs beside the diff."""
    if p is None:
        return Text("")
    sev = SEVERITY[dark]
    trust_colour = TRUST[dark]
    out: list[RenderableType] = []
    head = Text()
    head.append(_visible(p.title or p.name or p.id), "bold")
    out.append(head)
    meta = Text()
    meta.append(f"{p.action} {p.kind}")
    if p.original_kind and p.original_kind != p.kind:
        meta.append(f" (was {p.original_kind})", "italic")
    meta.append(f" · scope {p.scope}")
    if p.original_scope and p.original_scope != p.scope:
        meta.append(f" (was {p.original_scope})", "italic")
    if p.paths:
        meta.append(" " + ", ".join(p.paths))
    meta.append(f" · confidence {round(p.confidence * 100)}% · {p.status}")
    meta.append(f" · trust {p.trust()}", trust_colour.get(p.trust(), ""))
    if p.edited:
        meta.append(" · edited", "italic")
    out.append(meta)
    written = observed_line(p)
    if written is not None:
        out.append(written)
    if p.target:
        out.append(Text(f"target {display_path(p.target, workspace)}", style="dim"))
    if p.id:
        out.append(Text(f"id {p.id}", style="dim"))
    if p.reject_reason:
        out.append(Text(f"rejected: {_visible(p.reject_reason)}", style=sev["block"]))
    labels_shown = list(p.labels)  # the critics' labels, hand-widened scope included
    if labels_shown:
        labels = Text()
        for i, label in enumerate(labels_shown):
            if i:
                labels.append("\n")
            cleared = label.severity == "block" and label.label in p.cleared_labels
            tag = "cleared" if cleared else label.severity
            labels.append(f"{tag.upper():>7} ", sev.get(label.severity, "") if not cleared else "dim strike")
            labels.append(label.label, "bold")
            if label.reason:
                labels.append(f"  {_visible(label.reason)}")
        out.append(Text(""))
        out.append(labels)
    if p.rationale:
        out.append(Text(""))
        why = Text("why ", style="bold")
        why.append(_visible(p.rationale), style="")
        out.append(why)
    if p.edits:
        out.append(Text(""))
        out.append(Text(f"line edits ({len(p.edits)}): only these lines of {p.edits[0].path} change", style="bold"))
        for x in p.edits:
            line = Text()
            line.append(f"  line {x.line} ", "bold")
            line.append("removed" if not x.new else "changed", "")
            line.append(f"  {_visible(x.reason)}", "dim")
            out.append(line)
    replay = replay_line(p.meta.get("replay", {})) if isinstance(p.meta, dict) else ""
    if replay:
        out.append(Text(f"replay {replay}"))
    if p.evidence:
        out.append(Text(""))
        title = Text(f"evidence ({len(p.evidence)})", style="bold")
        title.append("  enter: open transcript · n: next quote", style="dim")
        out.append(title)
        for i, ev in enumerate(p.evidence):
            line = Text()
            line.append("▸ " if i == evidence_index else "  ", "bold")
            line.append(f"[{ev.trust}] ", trust_colour.get(ev.trust, ""))
            when = ev.timestamp[:19].replace("T", " ") if ev.timestamp else ""
            line.append(f"{short_session(ev.session_id)} {when} ", "dim")
            line.append(f"“{_visible(ev.quote)}”")
            out.append(line)
    return Group(*out)


class InfoPane(ScrollView, can_focus=False):
    """Shows `proposal_info` for the selected proposal.

    A Line-API view of the pre-rendered lines: moving through the queue changes
    only what is painted, never the screen layout, so j/k stays one frame.
    """

    DEFAULT_CSS = """
    InfoPane { padding: 0 1; }
    """

    def __init__(self, *, workspace: Path | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.workspace = workspace
        """Paths under it are shown relative to it."""
        self.renderable: RenderableType = Text("")
        self._strips: list[Strip] = []
        self._rendered_width = -1

    def show(self, p: Proposal | None, evidence_index: int = 0) -> None:
        dark = True
        try:
            dark = bool(self.app.current_theme.dark)
        except Exception:
            pass
        self.renderable = proposal_info(p, evidence_index, dark, self.workspace)
        self._rendered_width = -1
        self._layout_lines()
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def on_resize(self) -> None:
        self._layout_lines()

    def _layout_lines(self) -> None:
        width = max(self.scrollable_content_region.width, 10)
        if width == self._rendered_width:
            return
        self._rendered_width = width
        console = self.app.console
        lines = console.render_lines(self.renderable, console.options.update_width(width), pad=False)
        self._strips = [Strip(line) for line in lines]
        self.virtual_size = Size(width, len(self._strips))

    def render_line(self, y: int) -> Strip:
        self._layout_lines()
        index = y + round(self.scroll_y)
        width = self._rendered_width
        base = self.rich_style
        if 0 <= index < len(self._strips):
            return self._strips[index].adjust_cell_length(width).apply_style(base)
        return Strip.blank(width, base)
