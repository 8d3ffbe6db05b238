"""The status line: workspace, active version, open candidate, live figures, warnings."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual.widgets import Static


@dataclass
class StatusInfo:
    """What the status line shows; the app fills it from the store and the watcher."""

    workspace: str = ""
    head: str = ""
    candidate: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    undreamed: int | None = None
    context_tokens: int | None = None
    warnings: list[str] = field(default_factory=list)
    busy: str = ""
    agent_writes: int = 0
    """Observed writes by an agent not reviewed yet (keep or revert)."""
    person_writes: int = 0


def status_text(info: StatusInfo) -> Text:
    """One line, most important first, so a narrow terminal still shows what matters."""
    t = Text(no_wrap=True, overflow="ellipsis")
    if info.busy:
        t.append(f" {info.busy} ", "bold reverse")
        t.append(" ")
    if info.warnings:
        t.append(f" ⚠ {info.warnings[-1]} ", "bold reverse")
        if len(info.warnings) > 1:
            t.append(f" (+{len(info.warnings) - 1})", "bold")
        t.append(" ")
    if info.agent_writes:
        n = info.agent_writes
        t.append(f" {n} agent write{'s' if n != 1 else ''} to review ", "bold reverse")
        if info.person_writes:
            t.append(f" +{info.person_writes} by a person", "bold")
        t.append(" │ ", "dim")
    elif info.person_writes:
        n = info.person_writes
        t.append(f"{n} write{'s' if n != 1 else ''} to review (by a person)", "bold")
        t.append(" │ ", "dim")
    if info.candidate:
        t.append("candidate ", "dim")
        t.append(info.candidate, "bold")
        if info.counts:
            order = ("pending", "approved", "rejected", "applied")
            figures = " ".join(f"{info.counts[s]} {s}" for s in order if info.counts.get(s))
            t.append(f" ({figures})" if figures else "")
    else:
        t.append("no candidate", "dim")
    t.append(" │ ", "dim")
    t.append("active ", "dim")
    t.append(info.head or "-")
    if info.undreamed is not None:
        t.append(" │ ", "dim")
        t.append(
            f"{info.undreamed} session{'s' if info.undreamed != 1 else ''} not dreamed",
            "bold" if info.undreamed else "dim",
        )
    if info.context_tokens is not None:
        t.append(" │ ", "dim")
        t.append(f"context ~{_k(info.context_tokens)} tok", "")
    t.append(" │ ", "dim")
    t.append(info.workspace, "dim")
    return t


def _k(n: int) -> str:
    return f"{n / 1000:.1f}k" if n >= 1000 else str(n)


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self.info = StatusInfo()

    def show(self, info: StatusInfo) -> None:
        self.info = info
        self.update(status_text(info))
