"""The store facade: one object per workspace, runnable without a UI.

Every public method that changes anything is one operation in the log, made
in one `Transaction` (plus journaled, atomic file writes for
apply/undo/redo/restore). The facade is what the dreamer, the CLI and the
console call; the modules beside it do the work (see docs/ARCHITECTURE.md).

CONTRACT (other layers are written against these signatures):

    Store.open(workspace, db_path=None, create=False, *, clock=…, ids=…) -> Store
    Store.init() -> Operation                      # create db, import workspace (idempotent)
    store.workspace: Path ; store.sessions: SessionIndex
    store.transaction(kind, actor="person") -> Transaction   # with …: tx.commit(description)
    store.snapshot() -> Snapshot                   # the head, for reading
    store.initialized() -> bool
    store.head() -> Operation
    store.log(limit=None) -> list[Operation]       # newest first
    store.get_op(ref) -> Operation                 # full id or unique prefix; "@" = head
    store.is_restorable(op_id) / store.pruned_operations() -> set[str]
    store.view(op_id=None) -> View                 # see store.views.View
    store.view_blobs(op_id) -> set[str]            # every blob that view needs (gc keeps them)
    store.recorded_files() -> dict[str, str]       # head view: file key → sha256
    store.blob_text(hash) -> str
    store.active_artifacts(op_id=None) -> list[Artifact]
    store.import_workspace(actor="import") -> Operation
    store.open_candidate(proposals, engine="heuristic", base_op=None,
                         sessions_read=0, events_read=0, stats=None,
                         actor="dream", dreamed_sessions=()) -> Candidate
    store.candidates() -> list[Candidate]          # with status from the head view
    store.current_candidate() -> Candidate | None  # newest open one
    store.proposals(candidate_id=None) -> list[Proposal]   # review state merged in
    store.proposal_summaries(candidate_id=None) -> list[Proposal]  # same, without body/diff/evidence
    store.proposal(pid) -> Proposal                # id or unique prefix
    store.validate_proposals(proposals)            # UsageError naming the first bad one
    store.approve(ids, clear_blocks=False) -> Operation
    store.reject(ids, reason="") -> Operation
    store.edit(pid, body) -> Operation
    store.rescope(pid, scope, paths=None) -> Operation
    store.rekind(pid, kind) -> Operation
    store.preview(proposal) -> Preview             # target, before, after for any proposal
    store.plan_apply(candidate_id=None) -> ApplyPlan
    store.apply(candidate_id=None, force=False) -> ApplyResult
    store.discard(candidate_id=None) -> Operation
    store.undo() / store.redo() -> Operation
    store.restore(op_ref) -> Operation
    store.gc(older_than_days) -> dict
    store.cache_get(namespace, key) / store.cache_put(namespace, key, value)
    store.close()
"""

from __future__ import annotations

# The implementation lives in store.core; this module re-exports it so callers
# import `from store import Store`.
from reverie.store.apply import ApplyPlan, ApplyResult
from reverie.store.core import Store
from reverie.store.proposals import Preview

__all__ = ["ApplyPlan", "ApplyResult", "Preview", "Store"]
