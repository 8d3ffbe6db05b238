"""The one path for every change of what a proposal says: critics and replay run again, every time.

Why: a label earned by the dream's output says nothing about a body a person
(or a script) replaced since. `edit`, `rekind`, `rescope` and `open_from_file`
recompute the proposal's labels — and a hook's replay — before the store
records the change; the store's methods take those labels as a required
argument, so no caller can record an unchecked change. The CLI and the console
change proposals only through here.

Nothing from a proposals file is trusted: its labels, statuses, cleared blocks
and the figures it claims (`meta.replay`, `verified_sessions`, `workspaces`) are
kept only under `meta.claimed`; its hooks are replayed like a dream's.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from reverie.dreamer.critics import DEFAULT_CONTEXT_BUDGET, run_critics
from reverie.dreamer.hook_script import is_hook_script
from reverie.dreamer.hooks import EDIT_MATCHER, path_guard_script
from reverie.dreamer.redact import redact
from reverie.dreamer.replay import ReplayCall, replay_proposals
from reverie.store.config import config_table
from reverie.store.core import Store
from reverie.store.errors import UsageError
from reverie.store.models import KINDS, SCOPES, Candidate, Operation, Proposal

CLAIMED_META = ("replay", "verified_sessions", "workspaces")
"""Figures a proposal may carry that only Reverie's own checks can establish."""
MAX_META_DEPTH = 32


# --- rechecking one proposal ------------------------------------------------------------------


def past_calls(store: Store) -> list[ReplayCall]:
    """Every tool call of the indexed sessions, as replay inputs (signals are cached per session)."""
    from reverie.dreamer.dream import indexed_signals, replay_calls

    return replay_calls(indexed_signals(store))


def _budget(workspace: Path) -> int:
    return int(config_table(workspace, "dream").get("context_budget") or DEFAULT_CONTEXT_BUDGET)


def recheck(store: Store, p: Proposal, calls: list[ReplayCall] | None = None) -> Proposal:
    """`p` (a changed copy of a stored proposal) with its labels and a hook's replay recomputed, redacted."""
    p.labels = []
    if p.kind == "hook":
        replay_proposals([p], past_calls(store) if calls is None else calls, store.cache_get, store.cache_put)
    siblings = [p if o.id == p.id else o for o in store.proposals(p.candidate_id)] if p.candidate_id else [p]
    run_critics(siblings, store.active_artifacts(), store.workspace, _budget(store.workspace), only=[p])
    return p


def _changed(store: Store, pid: str) -> Proposal:
    """A deep copy of the stored proposal to change (its meta included): the stored one stays as it was."""
    return copy.deepcopy(store.proposal(pid))


# --- the changes ---------------------------------------------------------------------------------


def edit(store: Store, pid: str, body: str) -> Operation:
    """Replace a proposal's body; a hook's body must stay a script."""
    if not body.strip():
        raise UsageError("the new body is empty")
    q = _changed(store, pid)
    if q.kind == "hook" and not is_hook_script(body):
        raise UsageError(f"{q.id} is a hook: its body runs as a script on every matching tool call, not prose")
    q.body = body
    recheck(store, q)
    return store.edit(q.id, q.body, labels=q.labels, meta=q.meta)


def rescope(store: Store, pid: str, scope: str, paths: list[str] | None = None) -> Operation:
    """Change a proposal's scope; a scope wider than the dream's earns `preference_overreach`."""
    if scope not in SCOPES:
        raise UsageError(f"unknown scope {scope!r} (expected one of {', '.join(SCOPES)})")
    q = _changed(store, pid)
    q.scope = scope
    if paths is not None:
        q.paths = list(paths)
    elif scope != "path":
        q.paths = []
    recheck(store, q)
    return store.rescope(q.id, scope, paths, labels=q.labels)


def rekind(store: Store, pid: str, kind: str, body: str | None = None, matcher: str | None = None) -> Operation:
    """Change a proposal's kind. A hook needs a script: `body`, the hook it was, or — for a rule
    scoped to paths — a guard that blocks edits there. The script is never the rule's prose."""
    if kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
    q = _changed(store, pid)
    was = q.kind
    meta = q.meta  # already `_changed`'s own copy
    if kind == "hook":
        if body is None and was == "hook":
            body = q.body
        elif body is None and q.original_kind == "hook":
            body = q.original_body
        elif body is None and q.paths:
            body = path_guard_script(q.paths, q.body.strip().splitlines()[0][:300], q.title)
            meta.setdefault("matcher", EDIT_MATCHER)
        elif body is None:
            raise UsageError(
                f"{q.id} is a {was}: a hook runs a script, never the {was}'s sentence. Give the script "
                f"(`reverie kind {q.id} hook --body-file FILE`: it is replayed and checked), or scope the {was} "
                "to paths first and a guard that blocks edits there is written for you"
            )
        if not is_hook_script(body):
            raise UsageError(
                f"the body for hook {q.id} is prose, not a script: it would run as bash on every tool call"
            )
        meta.setdefault("event", "PreToolUse")
        meta.setdefault("timeout", 10)
        if matcher is not None:
            meta["matcher"] = matcher
        meta.pop("replay", None)
    elif was == "hook" and body is None:
        body = q.original_body if q.original_kind != "hook" else q.title
    q.kind = kind
    if body is not None:
        q.body = body
    recheck(store, q)
    return store.rekind(q.id, kind, labels=q.labels, body=q.body if body is not None else None, meta=q.meta)


# --- proposals files -----------------------------------------------------------------------------


def meta_depth(value: Any) -> int:
    """How deeply a JSON value nests (iteratively: a hostile file cannot exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        deepest = max(deepest, d)
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return deepest


def distrust(p: Proposal, where: str = "") -> Proposal:
    """Strip what a proposals file may claim but only Reverie's checks establish; keep it under `meta.claimed`."""
    depth = meta_depth(p.meta)
    if depth > MAX_META_DEPTH:
        raise UsageError(f"{where}meta nests {depth} levels deep (at most {MAX_META_DEPTH})")
    claimed: dict[str, Any] = {}
    if p.labels:
        claimed["labels"] = [{**l.to_dict(), "reason": redact(l.reason)} for l in p.labels]
    if p.status and p.status != "pending":
        claimed["status"] = p.status
    if p.cleared_labels:
        claimed["cleared_labels"] = list(p.cleared_labels)
    meta = dict(p.meta)
    for key in CLAIMED_META:
        if key in meta:
            claimed[key] = meta.pop(key)
    if claimed:
        meta["claimed"] = claimed
    p.meta = meta
    p.labels, p.status, p.cleared_labels = [], "pending", []
    return p


def open_from_file(
    store: Store,
    proposals: list[Proposal],
    *,
    engine: str = "manual",
    sessions_read: int = 0,
    events_read: int = 0,
    stats: dict[str, Any] | None = None,
) -> Candidate:
    """A candidate store from a proposals file, judged like a dream's output: nothing it claims is kept."""
    for i, p in enumerate(proposals, 1):
        distrust(p, f"proposal {i}: ")
    store.validate_proposals(proposals)  # critics expect known kinds and scopes
    hooks = [p for p in proposals if p.kind == "hook"]
    if hooks:
        replay_proposals(hooks, past_calls(store), store.cache_get, store.cache_put)
    run_critics(proposals, store.active_artifacts(), store.workspace, _budget(store.workspace))
    return store.open_candidate(
        proposals,
        engine=engine,
        sessions_read=sessions_read,
        events_read=events_read,
        stats=stats,
        actor="person",
    )
