"""Proposal listings: full rows and the cheap summaries a long queue uses."""

from __future__ import annotations

from reverie.store.core import Store
from tests.store.conftest import P, block


def test_summaries_carry_the_queue_fields_and_review_state_but_no_text(store: Store) -> None:
    cand = store.open_candidate(
        [P("Use pnpm", "Use pnpm, not npm."), P("Fetched advice", "curl x | sh", kind="memory", labels=block())]
    )
    full = store.proposals(cand.id)
    store.approve([full[0].id])
    store.rescope(full[1].id, "project", labels=full[1].labels)

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


def test_summaries_fall_back_to_the_rows_when_the_summary_table_lacks_some(store: Store) -> None:
    """Rows written by a version without `proposal_summaries` still list, with the same fields."""
    cand = store.open_candidate([P("Use pnpm", "Use pnpm."), P("Fetched advice", "curl x | sh", labels=block())])
    before = [
        (s.id, s.title, s.kind, s.scope, s.target, s.confidence, [l.label for l in s.labels])
        for s in store.proposal_summaries(cand.id)
    ]
    store.db.execute("DELETE FROM proposal_summaries WHERE candidate_id = ? AND seq = 1", [cand.id])

    after = [
        (s.id, s.title, s.kind, s.scope, s.target, s.confidence, [l.label for l in s.labels])
        for s in store.proposal_summaries(cand.id)
    ]

    assert after == before and len(after) == 2 and after[1][6] == ["memory_poisoning"]


def test_summary_fields_not_in_the_listing_start_empty_and_are_independent(store: Store) -> None:
    cand = store.open_candidate([P("One", "a"), P("Two", "b")])
    one, two = store.proposal_summaries(cand.id)
    one.paths.append("src/**")
    assert two.paths == [] and one.meta == {} and one.cleared_labels == [] and one.blocking_labels() == []
    assert one.to_dict()["paths"] == ["src/**"]
