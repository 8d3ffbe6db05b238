"""Words for the apply confirmation and its outcome: files to write, conflicts per proposal."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.text import Text

from reverie.store.models import Proposal


def _field(obj: Any, *names: str) -> Any:
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return None


def _items(obj: Any, *names: str) -> list[Any]:
    value = _field(obj, *names)
    if value is None:
        return []
    if isinstance(value, dict):
        return [{"path": k, **(v if isinstance(v, dict) else {"value": v})} for k, v in value.items()]
    return list(value)


def _path(entry: Any) -> str:
    if isinstance(entry, str):
        return entry
    return str(_field(entry, "path", "target", "file") or entry)


def _conflict(entry: Any) -> str:
    if isinstance(entry, str):
        return entry
    pid = _field(entry, "proposal_id", "proposal", "id") or ""
    path = _field(entry, "path", "target", "file") or ""
    reason = _field(entry, "reason", "message", "why") or ""
    return " ".join(str(x) for x in (pid, path, reason) if x)


def plan_summary(plan: Any, proposals: Sequence[Proposal], workspace: Path | None = None) -> tuple[Text, list[str]]:
    """The confirmation body and the list of files the apply will write (as a person reads them)."""
    from reverie.console.widgets.info import display_path

    entries = _items(plan, "files", "writes", "targets")
    writes = [display_path(_path(f), workspace) for f in entries]
    actions = [str(_field(f, "action") or "write") if not isinstance(f, str) else "write" for f in entries]
    conflicts = [_conflict(c) for c in _items(plan, "conflicts")]
    ids = (
        {str(x) for x in _items(plan, "proposals", "proposal_ids", "approved")}
        if _field(plan, "proposals", "proposal_ids", "approved")
        else set()
    )
    approved = [
        p
        for p in proposals
        if p.status == "approved"
        and (not ids or p.id in ids or any(p.id == getattr(i, "id", None) for i in _items(plan, "proposals")))
    ]
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


def result_summary(result: Any) -> tuple[str, bool]:
    """One line after an apply, and whether anything conflicted."""
    written = _items(result, "written", "files", "writes")
    conflicts = _items(result, "conflicts")
    applied = _items(result, "applied", "proposals", "proposal_ids")
    text = f"applied {len(applied) if applied else ''} proposal(s): wrote {len(written)} file(s)".replace(
        "applied  ", "applied "
    )
    if conflicts:
        text += f"; {len(conflicts)} conflict(s): " + "; ".join(_conflict(c) for c in conflicts[:3])
    return text, bool(conflicts)


def op_outcome(verb: str, op: Any) -> tuple[str, bool]:
    """The line shown after undo/redo/restore: what it did, and any file it had to leave alone."""
    text = f"{verb}: {getattr(op, 'description', '')}".strip()
    data = getattr(op, "data", None) or {}
    conflicts = data.get("conflicts") if isinstance(data, dict) else None
    if conflicts:
        text += f" — {len(conflicts)} file(s) left as they are: " + "; ".join(_conflict(c) for c in conflicts[:3])
    return text, bool(conflicts)
