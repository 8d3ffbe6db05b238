"""`w`: why not — every moment the last dream saw, and what it did with each (kept, dropped and why).

Why a screen of its own: a person who misses a lesson asks "why didn't it learn
that?"; the answer is in the dream's ledger (`dreamer.ledger`), cached with the
candidate. The grouping is `ledger.why_not`; this screen only shows it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from reverie.dreamer.ledger import why_not
from reverie.dreamer.wording import quote


def why_not_table(entries: list[dict[str, Any]], proposal_id: str = "") -> Table:
    table = Table(show_header=True, header_style="bold", box=None, expand=True, padding=(0, 1))
    table.add_column("moment", ratio=3)
    table.add_column("what the dream did", ratio=2)
    for label, rows in why_not(entries, proposal_id):
        table.add_row(Text(f"{label} ({len(rows)})", style="bold"), "")
        for e in rows[:200]:
            kind = e.turn.replace("_", " ") if e.source == "turn" else e.source
            where = f" after {e.after}" if e.after and e.after != "start" else ""
            left = Text(f"  [{kind}{where}] ", style="dim")
            left.append(f"“{quote(e.text, 140)}”")
            left.append(f"  {e.session_id[:8]} {e.ts[:10]}", style="dim")
            right = Text(e.reason)
            if e.proposal and e.decision != "dropped":
                right.append(f" → {e.proposal}", style="bold")
            table.add_row(left, right)
    return table


class WhyNotScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,w", "close", "close", id="reverie.why_not_close")]

    def __init__(self, entries: list[dict[str, Any]], proposal_id: str = "", candidate_id: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.entries = entries
        self.proposal_id = proposal_id
        self.candidate_id = candidate_id

    def compose(self) -> ComposeResult:
        counts: dict[str, int] = {}
        for e in self.entries:
            counts[e["decision"]] = counts.get(e["decision"], 0) + 1
        summary = ", ".join(f"{n} {d}" for d, n in sorted(counts.items())) or "nothing"
        with Vertical(classes="dialog help"):
            yield Label(f"why not — {self.candidate_id}: {summary}", classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                if self.entries:
                    yield Static(why_not_table(self.entries, self.proposal_id), id="why-not-table")
                else:
                    yield Static("The dream that made this candidate saw no candidate moment (or predates --explain).")
            yield Static(Text("q/escape: close", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
