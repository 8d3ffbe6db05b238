"""Words for the apply confirmation and its outcome: files to write, conflicts per proposal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text

from reverie.store.models import Operation, Proposal

if TYPE_CHECKING:
    from reverie.store.apply import ApplyPlan, ApplyResult


def _conflict(entry: Mapping[str, Any]) -> str:
    """One conflict as a person reads it: proposal id, file, reason (apply and sync both give `reason`)."""
    parts = (entry.get("proposal"), entry.get("file"), entry["reason"])
    return " ".join(str(x) for x in parts if x)


def plan_summary(
    plan: ApplyPlan, proposals: Sequence[Proposal], workspace: Path | None = None
) -> tuple[Text, list[str]]:
    """The confirmation body and the list of files the apply will write (as a person reads them)."""
    from reverie.console.widgets.info import display_path

    writes = [display_path(str(f["path"]), workspace) for f in plan.files]
    actions = [str(f["action"]) for f in plan.files]
    conflicts = [_conflict(c) for c in plan.conflicts]
    taken = set(plan.proposals)
    approved = [p for p in proposals if p.id in taken]
    body = Text()
    if approved:
        body.append(f"{len(approved)} approved proposal{'s' if len(approved) != 1 else ''}\n", "bold")
        for p in approved:
            body.append(f"  {p.kind:<8} {p.title}\n")
        hooks = [p for p in approved if p.kind == "hook"]
        if hooks:
            body.append(
                f"\n{len(hooks)} hook{'s' if len(hooks) != 1 else ''} will run code on every matching tool call.\n",
                "bold",
            )
    body.append(f"\nfiles to write ({len(writes)})\n", "bold")
    for path, action in zip(writes, actions, strict=False):
        body.append(f"  {path}" + (f"  ({action})" if action != "write" else "") + "\n")
    if conflicts:
        body.append(f"\nconflicts ({len(conflicts)}) — skipped, left as they are\n", "bold red")
        for c in conflicts:
            body.append(f"  {c}\n")
    body.append("\nz undoes the apply and restores every file byte for byte.", "dim")
    return body, writes


def result_summary(result: ApplyResult) -> tuple[str, bool]:
    """One line after an apply, and whether anything conflicted."""
    n = len(result.applied)
    text = f"applied {n} proposal{'s' if n != 1 else ''}: wrote {len(result.files)} file(s)"
    if result.conflicts:
        text += f"; {len(result.conflicts)} conflict(s): " + "; ".join(_conflict(c) for c in result.conflicts[:3])
    return text, bool(result.conflicts)


def op_outcome(verb: str, op: Operation) -> tuple[str, bool]:
    """The line shown after undo/redo/restore: what it did, and any file it had to leave alone."""
    text = f"{verb}: {op.description}".strip()
    conflicts: list[dict[str, Any]] = op.data.get("conflicts") or []
    if conflicts:
        text += f" — {len(conflicts)} file(s) left as they are: " + "; ".join(_conflict(c) for c in conflicts[:3])
    return text, bool(conflicts)
