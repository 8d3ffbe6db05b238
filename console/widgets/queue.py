"""The proposal queue: grouped by kind, with badges, painted one visible row at a time.

A Line-API scroll view: only the rows on screen are rendered, so 10,000
proposals cost the same to move through as ten. It knows nothing about the
store; the screen gives it `Proposal`s and listens for `Highlighted`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from reverie.console.diffview import ESCAPE_STYLE
from reverie.store.models import KINDS, Proposal
from reverie.store.textsafe import escape_invisible

STATUS_GLYPH = {"pending": "·", "approved": "✓", "rejected": "✗", "applied": "●", "superseded": "-"}
SCOPE_BADGE = {"path": "path", "project": "proj", "team": "team", "global": "glob"}
SCOPE_LETTER = {"path": "/", "project": "p", "team": "t", "global": "g"}
"""One-cell scope badges for narrow terminals: `path` and `project` must not both read `p`."""
SEVERITY_RANK = {"info": 0, "warn": 1, "block": 2}


@dataclass(slots=True)
class Row:
    """A group header (`proposal` is None) or one proposal; `kind` is the group's name."""

    kind: str
    proposal: Proposal | None = None
    count: int = 0


@dataclass(slots=True)
class Group:
    """A named group shown before the kinds (observed writes: one per batch), by proposal id."""

    title: str
    ids: tuple[str, ...]


def matches(p: Proposal, query: str) -> bool:
    """Filter: every word must appear in title, kind, scope, status, action, labels or id."""
    if not query:
        return True
    hay = " ".join(
        [p.title, p.kind, p.scope, p.status, p.action, p.id, p.name, p.target]
        + [l.label for l in p.labels]
        + [l.severity for l in p.labels]
    ).lower()
    return all(word in hay for word in query.lower().split())


def worst_severity(p: Proposal) -> str | None:
    live = [l for l in p.labels if l.label not in p.cleared_labels or l.severity != "block"]
    if not live:
        return None
    return max(live, key=lambda l: SEVERITY_RANK.get(l.severity, 0)).severity


class QueueView(ScrollView, can_focus=True):
    """Proposals grouped by kind; cursor, marks and filter."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "queue--cursor",
        "queue--header",
        "queue--mark",
        "queue--dim",
        "queue--approved",
        "queue--rejected",
        "queue--applied",
        "queue--block",
        "queue--warn",
        "queue--info",
    }

    DEFAULT_CSS = """
    QueueView { background: $surface; }
    QueueView > .queue--cursor { background: $accent 40%; }
    QueueView:focus > .queue--cursor { background: $accent 70%; }
    QueueView > .queue--header { color: $text-accent; text-style: bold; }
    QueueView > .queue--mark { color: $warning; text-style: bold; }
    QueueView > .queue--dim { color: $text-muted; }
    QueueView > .queue--approved { color: $text-success; }
    QueueView > .queue--rejected { color: $text-error; }
    QueueView > .queue--applied { color: $text-primary; }
    QueueView > .queue--block { color: $text-error; text-style: bold; }
    QueueView > .queue--warn { color: $text-warning; }
    QueueView > .queue--info { color: $text-muted; }
    """

    class Highlighted(Message):
        """The cursor moved to a proposal (or to none)."""

        def __init__(self, queue: QueueView, proposal: Proposal | None) -> None:
            super().__init__()
            self.queue = queue
            self.proposal = proposal

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._all: list[Proposal] = []
        self.rows: list[Row] = []
        self.cursor = -1
        self.marked: set[str] = set()
        self.filter_text = ""  # not `query`: that is Widget.query(), the DOM lookup
        self._cache: dict[tuple[int, int], Strip] = {}
        self.groups: list[Group] = []
        self._row_of: dict[str, int] = {}
        """Proposal id → its row (rebuilt with the rows): moving and swapping stay O(1) at 10,000 rows."""
        self._all_of: dict[str, int] = {}

    # --- data -----------------------------------------------------------------

    def set_proposals(
        self, proposals: list[Proposal], keep: str | None = None, groups: list[Group] | None = None
    ) -> None:
        """Replace the data; keep the cursor on `keep` (a proposal id) when it is still shown.

        `groups` (None: keep the current ones) come first, each under its own
        header; every other proposal is grouped by kind.
        """
        keep = keep if keep is not None else (self.current.id if self.current else None)
        if groups is not None:
            self.groups = list(groups)
        self._all = list(proposals)
        self._all_of = {p.id: i for i, p in enumerate(self._all)}
        live = self._all_of.keys()
        self.marked &= live
        self._rebuild(keep)

    def set_filter(self, query: str) -> None:
        self.filter_text = query.strip()
        self._rebuild(self.current.id if self.current else None)

    def _rebuild(self, keep: str | None) -> None:
        groups: dict[str, list[Proposal]] = {}
        named = {pid: g.title for g in self.groups for pid in g.ids}
        for p in self._all:
            if matches(p, self.filter_text):
                groups.setdefault(named.get(p.id, p.kind), []).append(p)
        leading = [g.title for g in self.groups if g.title in groups]
        order = leading + [k for k in KINDS if k in groups and k not in leading]
        order += sorted(k for k in groups if k not in KINDS and k not in leading)
        rows: list[Row] = []
        for kind in order:
            items = groups[kind]
            rows.append(Row(kind, None, len(items)))
            rows.extend(Row(kind, p) for p in items)
        self.rows = rows
        self._row_of = {r.proposal.id: i for i, r in enumerate(rows) if r.proposal is not None}
        self._cache.clear()
        self.virtual_size = Size(self.size.width, len(rows))
        target = -1
        if keep is not None:
            target = self._row_of.get(keep, -1)
        if target < 0:
            old = min(max(self.cursor, 0), max(len(rows) - 1, 0))
            target = self._nearest(old, +1)
            if target < 0:
                target = self._nearest(old, -1)
        self._move(target, force=True)
        self.refresh()

    def replace_item(self, proposal: Proposal) -> None:
        """Swap in a fuller copy of a proposal already shown (same id, same place)."""
        k = self._all_of.get(proposal.id)
        if k is not None:
            self._all[k] = proposal
        i = self._row_of.get(proposal.id)
        if i is not None:
            self.rows[i] = Row(self.rows[i].kind, proposal)
            self._cache.pop((i, self.size.width), None)

    def neighbor(self, step: int) -> Proposal | None:
        """The proposal `cursor_down` (step +1) or `cursor_up` (-1) would move to, if any."""
        i = self._nearest(self.cursor + step, step)
        return self.rows[i].proposal if i >= 0 else None

    @property
    def proposals(self) -> list[Proposal]:
        """Proposals as shown (filtered, in group order)."""
        return [r.proposal for r in self.rows if r.proposal is not None]

    @property
    def all_proposals(self) -> Sequence[Proposal]:
        """Every proposal loaded, whatever the filter shows (read-only: use `set_proposals`)."""
        return self._all

    @property
    def total(self) -> int:
        return len(self._all)

    @property
    def current(self) -> Proposal | None:
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor].proposal
        return None

    def selected(self) -> list[Proposal]:
        """The marked proposals, or the one under the cursor when none is marked."""
        if self.marked:
            return [p for p in self._all if p.id in self.marked]
        return [self.current] if self.current else []

    def group_of(self, proposal: Proposal) -> list[Proposal]:
        """Every proposal shown in the same group as `proposal`."""
        name = next((r.kind for r in self.rows if r.proposal is not None and r.proposal.id == proposal.id), None)
        return [r.proposal for r in self.rows if r.proposal is not None and r.kind == name]

    def mark_group(self) -> int:
        """Mark every pending proposal of the current group (a whole consolidation); how many."""
        cur = self.current
        if cur is None:
            return 0
        ids = {p.id for p in self.group_of(cur) if p.status == "pending"}
        self.marked |= ids
        self._cache.clear()
        self.refresh()
        return len(ids)

    def toggle_mark(self) -> None:
        cur = self.current
        if cur is None:
            return
        self.marked.symmetric_difference_update({cur.id})
        self._cache.pop((self.cursor, self.size.width), None)
        self.cursor_down()
        self.refresh()

    # --- movement -------------------------------------------------------------

    def _nearest(self, start: int, step: int) -> int:
        i = start
        while 0 <= i < len(self.rows):
            if self.rows[i].proposal is not None:
                return i
            i += step
        return -1

    def _move(self, target: int, force: bool = False) -> None:
        if target < 0 or (target == self.cursor and not force):
            if target < 0 and force:
                self.cursor = -1
                self.post_message(self.Highlighted(self, None))
            return
        old = self.cursor
        self.cursor = target
        for row in (old, target):
            self._cache.pop((row, self.size.width), None)
        height = max(self.scrollable_content_region.height, 1)
        top = round(self.scroll_y)
        if target < top:
            header_above = target > 0 and self.rows[target - 1].proposal is None
            self.scroll_to(y=target - 1 if header_above else target, animate=False, immediate=True)
            self.refresh()
        elif target >= top + height:
            self.scroll_to(y=target - height + 1, animate=False, immediate=True)
            self.refresh()
        else:  # only the two rows whose cursor state changed
            if 0 <= old < len(self.rows):
                self.refresh_line(old)
            self.refresh_line(target)
        self.post_message(self.Highlighted(self, self.current))

    def cursor_down(self) -> None:
        self._move(self._nearest(self.cursor + 1, +1))

    def cursor_up(self) -> None:
        self._move(self._nearest(self.cursor - 1, -1))

    def page_down(self) -> None:
        height = max(self.scrollable_content_region.height - 1, 1)
        t = self._nearest(min(self.cursor + height, len(self.rows) - 1), -1)
        self._move(t if t > self.cursor else self._nearest(self.cursor + 1, +1))

    def page_up(self) -> None:
        height = max(self.scrollable_content_region.height - 1, 1)
        self._move(self._nearest(max(self.cursor - height, 0), +1))

    def cursor_top(self) -> None:
        self._move(self._nearest(0, +1))

    def cursor_bottom(self) -> None:
        self._move(self._nearest(len(self.rows) - 1, -1))

    def on_click(self, event: events.Click) -> None:
        row = event.y + round(self.scroll_y)
        if 0 <= row < len(self.rows) and self.rows[row].proposal is not None:
            self._move(row)

    def on_resize(self) -> None:
        self._cache.clear()
        self.virtual_size = Size(self.size.width, len(self.rows))

    # --- painting -------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        row_index = y + round(self.scroll_y)
        width = self.scrollable_content_region.width
        if row_index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        key = (row_index, width)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._render_row(row_index, width)
            if len(self._cache) > 500:
                self._cache.clear()
            self._cache[key] = strip
        return strip

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def _render_row(self, index: int, width: int) -> Strip:
        row = self.rows[index]
        base = self.rich_style
        if row.proposal is None:
            text = Text(f" {row.kind} ({row.count})", style=self._style("queue--header"))
            return Strip(text.render(self.app.console), text.cell_len).adjust_cell_length(width).apply_style(base)
        p = row.proposal
        compact = width < 44
        badges = Text()
        sev = worst_severity(p)
        if p.blocking_labels():
            badges.append(" B" if compact else " BLOCK", self._style("queue--block"))
        elif sev in ("warn", "info"):
            n = sum(1 for l in p.labels if l.severity == sev)
            tag = ("W" if sev == "warn" else "i") if compact else sev
            badges.append(f" {tag}{n if n > 1 else ''}", self._style(f"queue--{sev}"))
        scope = SCOPE_LETTER.get(p.scope, p.scope[:1]) if compact else SCOPE_BADGE.get(p.scope, p.scope[:4])
        badges.append(f" {scope}" if compact else f" {scope:>4}", self._style("queue--dim"))
        conf = round(p.confidence * 100)
        badges.append(f" {min(conf, 99):>2}" if compact else f" {conf:>3}%", self._style("queue--dim"))
        left = Text()
        marked = p.id in self.marked
        left.append("◆" if marked else " ", self._style("queue--mark"))
        status_style = self._style(f"queue--{p.status}") if p.status != "pending" else self._style("queue--dim")
        left.append(STATUS_GLYPH.get(p.status, "?") + " ", status_style)
        in_group = any(g.title == row.kind for g in self.groups)  # observed writes: the title says the change
        action = p.action if p.action != "add" and not in_group else ""
        if action:
            left.append(f"{action[:3] if compact else action}: ", self._style("queue--dim"))
        title_text, spans = escape_invisible(p.title or p.name or p.id)
        start = left.cell_len
        left.append(title_text, status_style if p.status == "rejected" else Style())
        for a, b in spans:
            left.stylize(ESCAPE_STYLE, start + a, start + b)
        room = width - badges.cell_len - 1
        if room < 8:  # too narrow for badges: title only
            badges = Text()
            room = width
        left.truncate(max(room, 1), overflow="ellipsis", pad=True)
        line = left + Text(" ") + badges
        strip = Strip(line.render(self.app.console), line.cell_len).adjust_cell_length(width)
        if index == self.cursor:  # beneath the text's own colours, above the background
            strip = strip.apply_style(self._style("queue--cursor"))
        return strip.apply_style(base)

    def refresh_rows(self) -> None:
        """Repaint after proposals changed in place (status, labels)."""
        self._cache.clear()
        self.refresh()
