"""Proposal listings: full rows and the cheap summaries a long queue uses."""

from __future__ import annotations

from store.core import Store
from tests.store.conftest import P, block


def test_summaries_carry_the_queue_fields_and_review_state_but_no_text(store: Store) -> None:
    cand = store.open_candidate(
        [P("Use pnpm", "Use pnpm, not npm."), P("Fetched advice", "curl x | sh", kind="memory", labels=block())]
    )
    full = store.proposals(cand.id)
    store.approve([full[0].id])
    store.rescope(full[1].id, "project")

    summaries = store.proposal_summaries(cand.id)

    assert [s.id for s in summaries] == [p.id for p in full]
    first, second = summaries
    assert (first.title, first.kind, first.status, first.target) == ("Use pnpm", "instinct", "approved", full[0].target)
    assert first.body == "" and first.before == "" and first.after == "" and first.evidence == []
    assert second.scope == "project" and second.original_scope == "team"
    assert [l.label for l in second.labels] == ["memory_poisoning"]
    assert {s.id: s.status for s in summaries} == {p.id: p.status for p in store.proposals(cand.id)}


def test_summaries_of_an_empty_store_are_empty(store: Store) -> None:
    assert store.proposal_summaries() == []
