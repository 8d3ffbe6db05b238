"""CLI handlers for the store commands (init, propose, review, apply, history).

Thin by design: parse what argparse gave us, call the Store facade, print one
JSON document (--json) or a terse git/jj-like text. Errors are raised as
ReverieError/UsageError and turned into one line by `console.cli.main`.
"""

from __future__ import annotations

import argparse
import difflib
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from reverie.console.output import Output
from reverie.store.errors import NothingToDoError, ReverieError, UsageError
from reverie.store.models import STATUSES, Operation, Proposal
from reverie.store.textsafe import one_line

if TYPE_CHECKING:
    from reverie.dreamer.observe import ObserveReport
    from reverie.store.store import Store


def _open(args: argparse.Namespace, create: bool = False) -> Store:
    from reverie.store.store import Store

    return Store.open(args.workspace, args.db, create=create)


def _op_doc(op: Operation) -> dict[str, Any]:
    return {"op": op.id, "kind": op.kind, "description": op.description, "conflicts": op.data.get("conflicts", [])}


def _warn_conflicts(out: Output, conflicts: list[dict[str, Any]]) -> None:
    for c in conflicts:
        who = c.get("proposal") or c.get("file")
        out.info(f"conflict: {who}: {c.get('reason')}")


# --- setup -------------------------------------------------------------------------


def _observe(store: Store, noticed_by: str) -> ObserveReport:
    """The observation pass (dreamer.observe): writes Reverie did not make since it last looked."""
    from reverie.dreamer.observe import observe

    return observe(store, noticed_by=noticed_by)


def cmd_init(args: argparse.Namespace, out: Output) -> int:
    store = _open(args, create=True)
    try:
        before = store.initialized()
        op = store.init()
        _observe(store, "init")  # the first pass records the agent files that predate Reverie
        op = store.head()
        n = len(store.view().artifacts)
        doc = {
            "op": op.id,
            "workspace": str(store.workspace),
            "db": str(store.db_path),
            "artifacts": n,
            "created": not before,
        }
        text = (
            f"Initialized Reverie in {store.workspace}: {n} artifact(s) imported (op {op.id})"
            if before is None
            else f"Reverie already initialized in {store.workspace} (head {op.id})"
        )
        out.emit(doc, text)
    finally:
        store.close()
    return 0


def cmd_import(args: argparse.Namespace, out: Output) -> int:
    store = _open(args)
    try:
        head = store.head().id
        op = store.import_workspace()
        changed = op.id != head
        doc = {
            "op": op.id,
            "changed": changed,
            "artifacts": len(store.view().artifacts),
            "skipped": op.data.get("skipped", []) if changed else [],
            "adopted": op.data.get("adopted", []) if changed else [],
        }
        for s in doc["skipped"]:
            out.info(f"skipped {s}")
        for aid in doc["adopted"]:
            out.info(f"adopted your edit of {aid}")
        out.emit(doc, f"Imported: {op.description} (op {op.id})" if changed else "Nothing new to import")
    finally:
        store.close()
    return 0


def _status_extras(store: Store) -> dict[str, Any]:
    """Figures other layers add (sessions, tokens): `dreamer.status.status_extras(store)`."""
    from reverie.dreamer.status import status_extras

    try:
        return dict(status_extras(store) or {})
    except Exception as err:
        return {"extras_error": f"{type(err).__name__}: {err}"}


def cmd_status(args: argparse.Namespace, out: Output) -> int:
    store = _open(args)
    try:
        doc = store.status()
        doc.update(_status_extras(store))
        lines = [
            f"workspace  {doc['workspace']}",
            f"head       {doc['head']}  {doc['head_kind']}: {doc['head_description']}",
            f"artifacts  {doc['artifacts']}"
            + (
                "  (" + ", ".join(f"{k} {v}" for k, v in doc["artifacts_by_kind"].items()) + ")"
                if doc["artifacts_by_kind"]
                else ""
            ),
            f"candidate  {doc['candidate_store'] or '-'}"
            + (
                "  (" + ", ".join(f"{k} {v}" for k, v in sorted(doc["proposals"].items())) + ")"
                if doc["proposals"]
                else ""
            ),
            "observed   " + _observed_line(doc.get("observed") or {}),
        ]
        for c in (doc.get("agents") or {}).get("details") or []:
            lines.append(f"disagree   {c['text']}")
        for key, problem in doc["broken_markers"].items():
            lines.append(f"markers    {key}: {problem}; fix it by hand")
        for key in sorted(k for k in doc if k not in _STATUS_CORE):
            value = doc[key]
            if isinstance(value, dict):
                value = ", ".join(f"{k} {v}" for k, v in value.items() if not isinstance(v, (list, dict)))
            lines.append(f"{key:<10} {'-' if value in (None, '') else value}")
        out.emit(doc, "\n".join(lines))
    finally:
        store.close()
    return 0


def _observed_line(counts: dict[str, int]) -> str:
    n = int(counts.get("unreviewed", 0))
    if not n:
        return "no unreviewed writes"
    who = ", ".join(
        f"{counts[w]} by {'the agent' if w == 'agent' else 'a person'}" for w in ("agent", "person") if counts.get(w)
    )
    groups = int(counts.get("groups", 0))
    return f"{n} unreviewed write{'s' if n != 1 else ''} ({who}) in {groups} group{'s' if groups != 1 else ''}"


_STATUS_CORE = {
    "observed",
    "workspace",
    "db",
    "head",
    "head_kind",
    "head_description",
    "operations",
    "candidate_store",
    "artifacts",
    "artifacts_by_kind",
    "files",
    "proposals",
    "can_undo",
    "can_redo",
    "broken_markers",
}


# --- proposals -----------------------------------------------------------------------


def _read_proposals_file(path: Path) -> tuple[list[Proposal], dict[str, Any]]:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror or err}") from None
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise UsageError(f"{path} is not valid JSON: {err}") from None
    items = doc.get("proposals") if isinstance(doc, dict) else doc if isinstance(doc, list) else None
    if not isinstance(items, list):
        raise UsageError(f'{path}: expected {{"proposals": [...]}}')
    out = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise UsageError(f"{path}: proposal {i} is not an object")
        try:
            out.append(Proposal.from_dict(item))
        except (TypeError, ValueError) as err:
            raise UsageError(f"{path}: proposal {i}: {err}") from None
    return out, doc if isinstance(doc, dict) else {}


def cmd_propose(args: argparse.Namespace, out: Output) -> int:
    proposals, doc = _read_proposals_file(args.file)
    if not proposals:
        raise UsageError(f"{args.file}: no proposals to open a candidate store with")
    store = _open(args)
    try:
        # A hand-written or scripted file gets the same scrutiny as a dream's
        # output, and nothing it claims (labels, statuses, replay figures) is kept.
        from reverie.dreamer import review

        stats = doc.get("stats") if isinstance(doc.get("stats"), dict) else None
        cand = review.open_from_file(
            store,
            proposals,
            engine=args.engine,
            sessions_read=_count(doc.get("sessions_read")),
            events_read=_count(doc.get("events_read")),
            stats=stats,
        )
        ids = [p.id for p in store.proposals(cand.id)]
        out.emit(
            {"candidate_store": cand.id, "base_version": cand.base_op, "op": store.head().id, "proposals": ids},
            f"Opened candidate {cand.id} with {len(ids)} proposal(s) (op {store.head().id})",
        )
    finally:
        store.close()
    return 0


def _count(value: Any) -> int:
    try:
        return max(int(value or 0), 0)
    except (TypeError, ValueError):
        raise UsageError(f"sessions_read/events_read must be whole numbers, not {value!r}") from None


def cmd_proposals(args: argparse.Namespace, out: Output) -> int:
    if args.observed:
        return _observed_proposals(args, out)
    store = _open(args)
    try:
        props = store.proposals(args.candidate)
        if props:
            cand_id: str | None = props[0].candidate_id
        else:
            current = store.current_candidate()
            cand_id = args.candidate or (current.id if current else None)
        if args.status:
            if args.status not in STATUSES:
                raise UsageError(f"unknown status {args.status!r}: choose one of {', '.join(STATUSES)}")
            props = [p for p in props if p.status == args.status]
        cand = next((c for c in store.candidates() if c.id == cand_id), None)
        doc = {
            "candidate_store": cand_id,
            "base_version": cand.base_op if cand else None,
            "engine": cand.engine if cand else None,
            "status": cand.status if cand else None,
            "proposals": [p.to_dict() for p in props],
        }
        if not props:
            text = "No proposals" + (f" in {cand_id}" if cand_id else ": no candidate store")
        else:
            text = "\n".join(
                f"{p.id}  {p.status:<8} {p.action:<7} {p.kind:<8} {p.scope:<7} {p.confidence:.2f}  "
                f"{one_line(p.title or p.name)}"
                + (f"  [{', '.join(l.label + ':' + l.severity for l in p.labels)}]" if p.labels else "")
                for p in props
            )
        out.emit(doc, text)
    finally:
        store.close()
    return 0


def _observed_proposals(args: argparse.Namespace, out: Output) -> int:
    """`proposals --observed`: every write in an open observed group, with who wrote it."""
    store = _open(args)
    try:
        props = store.observed_proposals()
        if args.status:
            props = [p for p in props if p.status == args.status]
        doc = {"observed": [p.to_dict() for p in props]}
        lines = []
        for p in props:
            info = p.meta.get("observed") or {}
            via = f"  ({info.get('tool')}, session {str(info.get('session_id', ''))[:8]})" if info.get("tool") else ""
            lines.append(
                f"{p.id}  {p.candidate_id}  {p.status:<8} {info.get('writer', 'person'):<6} {info.get('change', ''):<6} "
                f"{one_line(p.name)}{via}"
                + (f"  [{', '.join(l.label + ':' + l.severity for l in p.labels)}]" if p.labels else "")
            )
        out.emit(doc, "\n".join(lines) or "No observed writes")
    finally:
        store.close()
    return 0


def _diff(before: str, after: str, target: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"{target} (before)",
        tofile=f"{target} (after)",
    )
    return "".join(l if l.endswith("\n") else l + "\n" for l in lines)


def cmd_show(args: argparse.Namespace, out: Output) -> int:
    store = _open(args)
    try:
        p = store.proposal(args.id)
        head = [
            f"{p.id}  {p.status}  {p.action} {p.kind} ({p.scope}"
            + (f": {', '.join(p.paths)}" if p.paths else "")
            + f")  confidence {p.confidence:.2f}",
            f"title   {one_line(p.title)}",
            f"target  {one_line(p.target)}",
        ]
        if p.edited:
            head.append("edited  by a person (the original body is kept: --json original_body)")
        if p.scope != p.original_scope or p.kind != p.original_kind:
            head.append(f"changed from {p.original_kind} ({p.original_scope}) by a person")
        if p.replaces:
            head.append(f"replaces {', '.join(p.replaces)}")
        if p.rationale:
            head.append(f"why     {one_line(p.rationale)}")
        for l in p.labels:
            cleared = " (cleared)" if l.label in p.cleared_labels else ""
            head.append(f"label   {l.label} [{l.severity}]{cleared}: {one_line(l.reason)}")
        for e in p.evidence:
            head.append(f"evidence {e.session_id} {e.event_uuid} {e.trust}: {one_line(e.quote)}")
        for x in p.edits:
            what = "remove" if not x.new else "change"
            head.append(f"edit    {x.path}:{x.line} {what} ({len(x.old)} line(s)): {one_line(x.reason)}")
        if p.reject_reason:
            head.append(f"rejected: {one_line(p.reject_reason)}")
        out.emit(p.to_dict(), "\n".join(head) + "\n\n" + _diff(p.before, p.after, p.target))
    finally:
        store.close()
    return 0


def cmd_approve(args: argparse.Namespace, out: Output) -> int:
    store = _open(args)
    try:
        op = store.approve(args.ids, clear_blocks=args.clear_block)
        verb = "Kept" if op.kind == "keep" else "Approved"
        out.emit(
            _op_doc(op) | {"approved": op.data.get("proposals", []), "kind": op.kind},
            f"{verb} {', '.join(op.data['proposals'])} (op {op.id})",
        )
    finally:
        store.close()
    return 0


def cmd_reject(args: argparse.Namespace, out: Output) -> int:
    store = _open(args)
    try:
        op = store.reject(args.ids, reason=args.reason)
        files = op.data.get("files", {}) if op.kind == "revert" else {}
        text = f"{'Reverted' if op.kind == 'revert' else 'Rejected'} {', '.join(op.data['proposals'])} (op {op.id})"
        if files:
            text += "\n" + "\n".join(f"  {a:<6} {k}" for k, a in sorted(files.items()))
        out.emit(_op_doc(op) | {"rejected": op.data.get("proposals", []), "files": files}, text)
    finally:
        store.close()
    return 0


def _read_body(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"cannot read {path}: {err}") from None


def _labels_doc(store: Store, op: Operation, out: Output) -> dict[str, Any]:
    """The recomputed labels of the changed proposal (critics ran again); block labels said on stderr."""
    p = store.proposal(op.data["proposals"][0])
    for label in p.labels:
        if label.severity == "block":
            out.info(f"{p.id} {label.label} [block]: {one_line(label.reason)}")
    return {"status": p.status, "labels": [l.to_dict() for l in p.labels]}


def cmd_edit(args: argparse.Namespace, out: Output) -> int:
    if args.body_file is not None:
        body = _read_body(args.body_file)
    else:
        if sys.stdin.isatty():
            raise UsageError("give the new body with --body-file FILE or on stdin")
        body = sys.stdin.read()
    store = _open(args)
    try:
        from reverie.dreamer import review

        op = review.edit(store, args.id, body)
        out.emit(_op_doc(op) | _labels_doc(store, op, out), f"Edited {op.data['proposals'][0]} (op {op.id})")
    finally:
        store.close()
    return 0


def cmd_scope(args: argparse.Namespace, out: Output) -> int:
    store = _open(args)
    try:
        from reverie.dreamer import review

        op = review.rescope(store, args.id, args.scope, args.paths)
        out.emit(
            _op_doc(op) | _labels_doc(store, op, out), f"Scoped {op.data['proposals'][0]} to {args.scope} (op {op.id})"
        )
    finally:
        store.close()
    return 0


def cmd_kind(args: argparse.Namespace, out: Output) -> int:
    store = _open(args)
    try:
        from reverie.dreamer import review

        body = _read_body(args.body_file) if args.body_file is not None else None
        op = review.rekind(store, args.id, args.kind, body=body, matcher=args.matcher)
        out.emit(
            _op_doc(op) | _labels_doc(store, op, out), f"Changed {op.data['proposals'][0]} to {args.kind} (op {op.id})"
        )
    finally:
        store.close()
    return 0


# --- apply & discard -----------------------------------------------------------------


def cmd_apply(args: argparse.Namespace, out: Output) -> int:
    store = _open(args)
    try:
        plan = store.plan_apply(args.candidate, force=args.force)
        if args.dry_run:
            _warn_conflicts(out, plan.conflicts)
            text = "\n".join(
                [f"would apply {len(plan.proposals)} proposal(s) from {plan.candidate_id}"]
                + [f"  {f['action']:<6} {f['path']}" for f in plan.files]
            )
            out.emit(plan.to_dict() | {"dry_run": True}, text)
            return 0
        hooks = [p for p in store.proposals(plan.candidate_id) if p.id in plan.proposals and p.kind == "hook"]
        if hooks and not args.yes and not out.json_mode and sys.stdin.isatty():
            answer = input(f"apply {len(hooks)} hook(s) that run code on your machine? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                raise ReverieError("apply cancelled: hooks not confirmed (use --yes to skip this question)")
        result = store.apply(args.candidate, force=args.force)
        _warn_conflicts(out, result.conflicts)
        if result.op is None:
            out.emit(result.to_dict(), f"Nothing applied from {result.candidate_id}: every approved proposal conflicts")
            return 1
        text = "\n".join(
            [f"Applied {len(result.applied)} proposal(s) from {result.candidate_id} (op {result.op.id})"]
            + [f"  {f['action']:<6} {f['path']}" for f in result.files]
        )
        out.emit(result.to_dict(), text)
    finally:
        store.close()
    return 0


def cmd_discard(args: argparse.Namespace, out: Output) -> int:
    store = _open(args)
    try:
        op = store.discard(args.candidate)
        out.emit(
            _op_doc(op) | {"candidate_store": op.data["candidate"]},
            f"Discarded {op.data['candidate']} (kept for audit; op {op.id})",
        )
    finally:
        store.close()
    return 0


# --- history -------------------------------------------------------------------------


def cmd_log(args: argparse.Namespace, out: Output) -> int:
    if args.limit is not None and args.limit < 0:
        raise UsageError("--limit must be zero or more")
    store = _open(args)
    try:
        ops = store.log(args.limit)
        head = store.head().id
        pruned = store.pruned_operations()
        docs = []
        for op in ops:
            d = op.to_dict()
            d["head"] = op.id == head
            d["restorable"] = op.id not in pruned
            docs.append(d)
        text = "\n".join(
            f"{'@' if op.id == head else ' '} {op.id}  {op.created_at[:19].replace('T', ' ')}  {op.actor:<7} "
            f"{op.kind:<8} {one_line(op.description)}" + ("  (pruned)" if op.id in pruned else "")
            for op in ops
        )
        out.emit({"head": head, "operations": docs}, text or "No operations")
    finally:
        store.close()
    return 0


def _history_cmd(args: argparse.Namespace, out: Output, verb: str, move: Callable[[Store], Operation]) -> int:
    store = _open(args)
    try:
        op = move(store)
        conflicts = op.data.get("conflicts", [])
        _warn_conflicts(out, conflicts)
        files = op.data.get("files", {})
        text = f"{verb}: {op.description.split(': ', 1)[-1] if verb != 'Restored' else op.description} (op {op.id})"
        if files:
            text += "\n" + "\n".join(f"  {a:<6} {k}" for k, a in sorted(files.items()))
        out.emit(_op_doc(op) | {"files": files}, text)
    finally:
        store.close()
    return 0


def cmd_undo(args: argparse.Namespace, out: Output) -> int:
    return _history_cmd(args, out, "Undid", lambda store: store.undo())


def cmd_redo(args: argparse.Namespace, out: Output) -> int:
    return _history_cmd(args, out, "Redid", lambda store: store.redo())


def cmd_restore(args: argparse.Namespace, out: Output) -> int:
    return _history_cmd(args, out, "Restored", lambda store: store.restore(args.op))


def cmd_gc(args: argparse.Namespace, out: Output) -> int:
    if not math.isfinite(args.older_than) or args.older_than < 0:
        raise UsageError(f"--older-than must be a number of days ≥ 0, not {args.older_than}")
    store = _open(args)
    try:
        res = store.gc(args.older_than)
        out.emit(
            res,
            f"Pruned {res['pruned_operations']} operation(s); deleted {res['deleted_blobs']} blob(s), "
            f"{res['freed_bytes']} bytes",
        )
    finally:
        store.close()
    return 0


__all__ = [n for n in dir() if n.startswith("cmd_")] + ["NothingToDoError"]
