"""Property tests over random sequences of store operations.

Invariants (issue 2): restore(op) reproduces that op's view and files byte for
byte; a discarded candidate never changes the active store or the workspace;
no blob referenced by any operation is ever lost.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reverie.store import viewlog
from reverie.store.core import Store
from reverie.store.errors import NothingToDoError, ReverieError, UsageError
from reverie.store.models import Proposal
from tests.store.conftest import sandbox as store_sandbox
from tests.store.conftest import world

TEMPLATES = [
    dict(kind="instinct", scope="team"),
    dict(kind="instinct", scope="project"),
    dict(kind="rule", scope="path", paths=["src/**"]),
    dict(kind="rule", scope="team"),
    dict(kind="hook", scope="project", meta={"matcher": "Bash"}),
    dict(kind="memory", scope="project"),
    dict(kind="command", scope="team"),
    dict(kind="instinct", scope="global"),
]
TITLES = ["Run tests", "Use ruff", "Small commits"]

step = st.one_of(
    st.tuples(
        st.just("propose"),
        st.lists(
            st.tuples(st.integers(0, len(TEMPLATES) - 1), st.integers(0, len(TITLES) - 1)), min_size=1, max_size=3
        ),
    ),
    st.tuples(st.just("update"), st.integers(0, 20)),
    st.tuples(st.just("approve"), st.integers(0, 20)),
    st.tuples(st.just("reject"), st.integers(0, 20)),
    st.tuples(st.just("apply"), st.just(0)),
    st.tuples(st.just("apply"), st.just(0)),
    st.tuples(st.just("undo"), st.just(0)),
    st.tuples(st.just("redo"), st.just(0)),
    st.tuples(st.just("restore"), st.integers(0, 40)),
    st.tuples(st.just("discard"), st.just(0)),
    st.tuples(st.just("gc"), st.sampled_from([0, 365])),
)


def sandbox() -> contextlib.AbstractContextManager[tuple[Path, Path]]:
    return store_sandbox({"CLAUDE.md": b"# Project\n\nHand text.\n", ".claude/rules/style.md": b"Be consistent.\n"})


def _pending(s: Store) -> list[Proposal]:
    return (
        [p for p in s.proposals() if p.status in ("pending", "approved", "rejected")] if s.current_candidate() else []
    )


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(st.lists(step, min_size=1, max_size=14))
def test_random_sequences_keep_invariants(steps: list[tuple[str, object]]) -> None:
    _check_invariants(steps)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(st.lists(step, min_size=1, max_size=14))
def test_random_sequences_keep_invariants_with_a_checkpoint_every_third_view(steps: list[tuple[str, object]]) -> None:
    """The same, with views stored whole after every two diffs (store.viewlog), gc in between."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(viewlog, "CHAIN_MAX", 2)
        _check_invariants(steps)


def _check_invariants(steps: list[tuple[str, object]]) -> None:
    with sandbox() as (ws, home):
        s = Store.open(ws, create=True)
        s.init()
        snapshots: dict[str, dict[str, str]] = {op.id: world(ws, home) for op in s.log()}  # init, import
        for name, arg in steps:
            before_world, before_view = world(ws, home), s.view()
            try:
                if name == "propose":
                    s.open_candidate(
                        [
                            Proposal(id="", action="add", title=TITLES[t], body=f"{TITLES[t]} ({i}).", **TEMPLATES[i])
                            for i, t in arg
                        ]
                    )
                elif name == "update":
                    arts = [a for a in s.active_artifacts() if a.meta.get("layout") != "document"]
                    if not arts:
                        continue
                    a = arts[arg % len(arts)]
                    action = "retire" if arg % 2 else "update"
                    s.open_candidate(
                        [
                            Proposal(
                                id="",
                                action=action,
                                kind=a.kind,
                                scope=a.scope,
                                title=a.title,
                                body="" if action == "retire" else a.body + " (v2)",
                                paths=a.paths,
                                replaces=[a.id],
                                meta=dict(a.meta),
                            )
                        ]
                    )
                elif name in ("approve", "reject"):
                    props = _pending(s)
                    if not props:
                        continue
                    p = props[arg % len(props)]
                    s.approve([p.id]) if name == "approve" else s.reject([p.id])
                elif name == "apply":
                    res = s.apply()
                    if res.op is None:
                        assert res.conflicts
                        continue
                elif name == "undo":
                    s.undo()
                elif name == "redo":
                    s.redo()
                elif name == "discard":
                    s.discard()
                    after = s.view()
                    assert after.artifacts == before_view.artifacts and after.files == before_view.files
                    assert world(ws, home) == before_world
                elif name == "gc":
                    s.gc(arg)
                    continue
                elif name == "restore":
                    ops = s.log()
                    target = ops[arg % len(ops)]
                    if s.oplog.is_pruned(target.id):
                        try:
                            s.restore(target.id)
                        except ReverieError as err:
                            assert "pruned" in str(err)
                            continue
                        raise AssertionError("restoring a pruned op must fail")
                    s.restore(target.id)
                    assert s.head().view_hash == target.view_hash, "restore must reproduce the view"
                    assert world(ws, home) == snapshots[target.id], "restore must reproduce the files"
            except (NothingToDoError, UsageError):
                continue
            except ReverieError as err:  # undo/redo into a state gc pruned
                assert "pruned" in str(err), err
                continue
            snapshots[s.head().id] = world(ws, home)
            assert not (s.head().data.get("conflicts")), s.head().data  # no hand edits → no conflicts
        # no blob referenced by any operation is lost
        present = s.blobs.hashes()
        live = [op for op in s.log() if not s.oplog.is_pruned(op.id)]
        for op in live:
            assert s.view_blobs(op.id) <= present
            assert {h for h in op.data.get("snapshots", {}).values() if h} <= present
        # and every restorable state can still be restored byte for byte
        for op in live[-3:]:
            s.restore(op.id)
            assert world(ws, home) == snapshots[op.id]
        s.close()
