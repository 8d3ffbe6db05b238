"""The engine through litellm's `mock_response` (no server, no network)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from reverie.dreamer.engines.llm import CACHE_NAMESPACE, LLMEngine
from reverie.store.errors import UsageError
from reverie.store.models import Artifact
from tests.llm.conftest import ev, pnpm_session

pytestmark = pytest.mark.usefixtures("litellm_module")


def map_answer(session_ref: str = "e4") -> str:
    return json.dumps(
        {
            "lessons": [
                {
                    "kind": "instinct",
                    "title": "Use pnpm",
                    "statement": "Use pnpm, not npm, in this repo",
                    "confidence": 0.8,
                    "citations": [
                        {"event": session_ref, "quote": "we use pnpm in this repo"},
                        {"event": "e999", "quote": "made up"},
                    ],
                }
            ]
        }
    )


def reduce_answer(extra: list[dict[str, Any]] | None = None) -> str:
    proposals = [
        {
            "action": "add",
            "kind": "rule",
            "scope": "team",
            "name": "use-pnpm",
            "title": "Use pnpm, not npm",
            "body": "Always use `pnpm` (not `npm`) to install and test.",
            "confidence": 0.9,
            "rationale": "corrected in s1 and s2",
            "evidence": [
                {"session_id": "s1", "event": "e4", "quote": "we use pnpm in this repo"},
                {"session_id": "s2", "event": "e4", "quote": "an invented quote"},
                {"session_id": "s2", "event": "e77", "quote": "not in the digest"},
                {"session_id": "nope", "event": "e4", "quote": "unknown session"},
            ],
        }
    ]
    return json.dumps({"proposals": proposals + (extra or [])})


class Scripted:
    """mock_response callable: answers per stage, records what the model was asked."""

    def __init__(self, map_replies: list[str], reduce_replies: list[str]) -> None:
        self.replies = {"map": list(map_replies), "reduce": list(reduce_replies)}
        self.asked: list[tuple[str, list[dict[str, str]]]] = []

    def __call__(self, stage: str, messages: list[dict[str, str]]) -> str:
        self.asked.append((stage, messages))
        queue = self.replies[stage]
        return queue.pop(0) if len(queue) > 1 else queue[0]


def engine(script: Scripted, **opts: Any) -> LLMEngine:
    return LLMEngine("gpt-4o-mini", mock_response=script, num_retries=0, concurrency=1, **opts)


def test_happy_path_maps_reduces_and_grounds_evidence(make_ctx, cache) -> None:
    ctx = make_ctx({"s1": pnpm_session("s1"), "s2": pnpm_session("s2")})
    script = Scripted([map_answer()], [reduce_answer()])
    proposals = engine(script).propose(ctx)

    assert [s for s, _ in script.asked] == ["map", "map", "reduce"]
    assert len(proposals) == 1
    p = proposals[0]
    assert (p.action, p.kind, p.scope, p.name) == ("add", "rule", "project", "use-pnpm")  # team is never proposed
    assert p.body.startswith("Always use `pnpm`")
    assert [(e.session_id, e.event_uuid, e.trust) for e in p.evidence] == [
        ("s1", "s1-u4", "user"),
        ("s2", "s2-u4", "user"),
    ]
    assert p.evidence[0].quote == "we use pnpm in this repo"
    assert p.evidence[1].quote.startswith("no, we use pnpm")  # invented quote replaced by the digest's text
    assert p.evidence[0].timestamp == "2026-01-04T00:00:00Z"

    s = ctx.stats
    assert s["llm_calls"] == 3 and s["llm_cache_hits"] == 0
    assert s["llm_tokens_prompt"] == 3 * 10 and s["llm_tokens_completion"] == 3 * 20  # litellm's mock usage
    assert s["llm_cost_usd"] > 0  # gpt-4o-mini is in the local cost map
    assert "llm_cost_note" not in s
    assert s["llm_citations_dropped"] == 2 + 2  # e999 in each map; e77 and the unknown session in reduce
    assert cache.count() == 3

    # the reduce step saw the lessons of both sessions, with only grounded citations
    reduce_input = json.loads(script.asked[-1][1][1]["content"])
    assert {l["session_id"] for l in reduce_input["candidate_lessons"]} == {"s1", "s2"}
    assert all(c["event"] == "e4" for l in reduce_input["candidate_lessons"] for c in l["citations"])


def test_second_dream_over_same_input_makes_no_calls(make_ctx, cache) -> None:
    sessions = {"s1": pnpm_session("s1"), "s2": pnpm_session("s2")}
    first = engine(Scripted([map_answer()], [reduce_answer()])).propose(make_ctx(sessions))
    script = Scripted([map_answer()], [reduce_answer()])
    ctx = make_ctx(sessions)
    second = engine(script).propose(ctx)
    assert script.asked == []
    assert ctx.stats["llm_calls"] == 0 and ctx.stats["llm_cache_hits"] == 3
    assert ctx.stats["llm_tokens_prompt"] == 0 and ctx.stats["llm_cost_usd"] == 0
    assert [p.to_dict() for p in second] == [p.to_dict() for p in first]
    # another model is another cache key
    other = LLMEngine("gpt-4o", mock_response=script, num_retries=0, concurrency=1)
    other.propose(make_ctx(sessions))
    assert len(script.asked) == 3


def test_changed_session_recomputes_only_that_map(make_ctx, cache) -> None:
    sessions = {"s1": pnpm_session("s1"), "s2": pnpm_session("s2")}
    engine(Scripted([map_answer()], [reduce_answer()])).propose(make_ctx(sessions))
    sessions["s2"] = [*pnpm_session("s2"), ev("s2", 7, "user_prompt", "thanks, that works")]
    script = Scripted([map_answer()], [reduce_answer()])
    ctx = make_ctx(sessions)
    engine(script).propose(ctx)
    # only s2's map is asked again; it answered the same lessons, so the reduce input is unchanged too
    assert [s for s, _ in script.asked] == ["map"]
    assert "session s2" in script.asked[0][1][1]["content"]
    assert ctx.stats["llm_cache_hits"] == 2
    # a different lesson changes the reduce input: reduce is asked again
    sessions["s2"].append(ev("s2", 8, "user_prompt", "and always run lint first"))
    script = Scripted([map_answer().replace("Use pnpm", "Use pnpm and lint")], [reduce_answer()])
    engine(script).propose(make_ctx(sessions))
    assert [s for s, _ in script.asked] == ["map", "reduce"]


def test_invalid_json_is_retried_once_with_the_error(make_ctx, cache) -> None:
    ctx = make_ctx({"s1": pnpm_session("s1")})
    script = Scripted(["Sure! Use pnpm.", map_answer()], [reduce_answer()])
    proposals = engine(script).propose(ctx)
    assert [s for s, _ in script.asked] == ["map", "map", "reduce"]
    retry = script.asked[1][1]
    assert retry[-2] == {"role": "assistant", "content": "Sure! Use pnpm."}
    assert "not valid JSON" in retry[-1]["content"]
    assert ctx.stats["llm_retries"] == 1 and ctx.stats["llm_calls"] == 3
    assert len(proposals) == 1 and proposals[0].evidence[0].session_id == "s1"
    # the validated answer is cached under the original question: no calls next time
    again = Scripted([map_answer()], [reduce_answer()])
    engine(again).propose(make_ctx({"s1": pnpm_session("s1")}))
    assert again.asked == []


def test_reduce_may_cite_only_what_the_lessons_cited(make_ctx) -> None:
    ctx = make_ctx({"s1": pnpm_session("s1")})
    extra = [
        {
            "action": "add",
            "kind": "memory",
            "title": "Cites an uncited line",
            "body": "b",
            "evidence": [{"session_id": "s1", "event": "e1"}],
        }
    ]
    titles = [p.title for p in engine(Scripted([map_answer()], [reduce_answer(extra)])).propose(ctx)]
    assert titles == ["Use pnpm, not npm"]


def test_twice_invalid_is_skipped_with_a_warning(make_ctx, cache, caplog) -> None:
    ctx = make_ctx({"s1": pnpm_session("s1"), "s2": pnpm_session("s2")})
    bad = json.dumps({"lessons": [{"title": "x"}]})
    # s1's map fails twice; s2's map answers; reduce answers
    script = Scripted([bad, bad, map_answer()], [reduce_answer()])
    with caplog.at_level(logging.WARNING):
        proposals = engine(script).propose(ctx)
    assert ctx.stats["llm_failures"] == 1 and ctx.stats["llm_retries"] == 1
    assert any("skipped session s1" in r.getMessage() and "schema" in r.getMessage() for r in caplog.records)
    assert len(proposals) == 1
    assert [e.session_id for e in proposals[0].evidence] == ["s2"]  # s1 contributed no lesson
    # the skip is remembered (a model at temperature 0 answers the same question the same way):
    # a re-dream over the same input asks nothing, and says again why s1 gave no lesson
    assert cache.count() == 3
    again = Scripted([map_answer()], [reduce_answer()])
    ctx2 = make_ctx({"s1": pnpm_session("s1"), "s2": pnpm_session("s2")})
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        engine(again).propose(ctx2)
    assert again.asked == [] and ctx2.stats["llm_calls"] == 0 and ctx2.stats["llm_failures"] == 1
    assert any("skipped session s1" in r.getMessage() and "(cached)" in r.getMessage() for r in caplog.records)


def test_reduce_failing_twice_yields_nothing_not_a_crash(make_ctx) -> None:
    ctx = make_ctx({"s1": pnpm_session("s1")})
    script = Scripted([map_answer()], ["{not json"])
    assert engine(script).propose(ctx) == []
    assert ctx.stats["llm_failures"] == 1


def test_actions_replaces_and_scope_are_checked(make_ctx) -> None:
    art = Artifact(id="a-npm", kind="instinct", scope="project", name="use-npm", body="Use npm for everything.")
    extra = [
        {
            "action": "retire",
            "kind": "instinct",
            "title": "Retire npm habit",
            "body": "-",
            "replaces": ["a-npm"],
            "evidence": [{"session_id": "s1", "event": "e4"}],
        },
        {
            "action": "retire",
            "kind": "memory",
            "title": "Retire ghost",
            "body": "-",
            "replaces": ["a-ghost"],
            "evidence": [{"session_id": "s1", "event": "e4"}],
        },
        {
            "action": "update",
            "kind": "memory",
            "title": "Update unknown",
            "body": "b",
            "replaces": ["a-ghost"],
            "evidence": [{"session_id": "s1", "event": "e3"}],
        },
        {
            "action": "add",
            "kind": "memory",
            "title": "Hallucinated",
            "body": "b",
            "evidence": [{"session_id": "s1", "event": "e42"}],
        },
        {
            "action": "add",
            "kind": "rule",
            "scope": "path",
            "paths": [],
            "title": "Path without paths",
            "body": "b",
            "evidence": [{"session_id": "s1", "event": "e4"}],
        },
        {
            "action": "add",
            "kind": "hook",
            "scope": "path",
            "paths": ["db/**", "/etc/*", "../x/**", "~/.ssh/*"],
            "title": "Block npm",
            "body": "#!/bin/sh\nexit 2",
            "matcher": "Bash",
            "evidence": [{"session_id": "s1", "event": "e2"}],
        },
    ]
    ctx = make_ctx({"s1": pnpm_session("s1")}, artifacts=[art])
    lesson = json.loads(map_answer())
    lesson["lessons"][0]["citations"] += [{"event": "e2"}, {"event": "e3"}]
    script = Scripted([json.dumps(lesson)], [reduce_answer(extra)])
    by_title = {p.title: p for p in engine(script).propose(ctx)}
    assert by_title["Retire npm habit"].replaces == ["a-npm"]
    assert "Retire ghost" not in by_title
    assert by_title["Update unknown"].action == "add" and by_title["Update unknown"].replaces == []
    assert "Hallucinated" not in by_title
    assert by_title["Path without paths"].scope == "project"
    hook = by_title["Block npm"]
    assert hook.scope == "path" and hook.paths == ["db/**"]
    assert hook.meta == {"event": "PreToolUse", "matcher": "Bash", "timeout": 10}
    assert hook.evidence[0].trust == "agent"  # trust comes from the event, never from the model
    assert ctx.stats["llm_proposals_dropped"] == 2
    # the active artifacts were shown to the reduce step
    reduce_input = json.loads(script.asked[-1][1][1]["content"])
    assert reduce_input["existing_artifacts"][0]["id"] == "a-npm"


def test_sessions_without_user_words_cost_nothing(make_ctx) -> None:
    quiet = [ev("q", 1, "tool_call", tool_name="Bash", tool_input={"command": "ls"})]
    script = Scripted([map_answer()], [reduce_answer()])
    ctx = make_ctx({"q": quiet})
    assert engine(script).propose(ctx) == []
    assert script.asked == [] and ctx.stats["llm_calls"] == 0


def test_map_with_no_lessons_skips_reduce(make_ctx) -> None:
    script = Scripted(['{"lessons": []}'], [reduce_answer()])
    assert engine(script).propose(make_ctx({"s1": pnpm_session("s1")})) == []
    assert [s for s, _ in script.asked] == ["map"]


def test_max_sessions_reads_the_most_recent(make_ctx) -> None:
    sessions = {f"s{i}": pnpm_session(f"s{i}") for i in range(1, 5)}
    script = Scripted(['{"lessons": []}'], [reduce_answer()])
    ctx = make_ctx(sessions)
    engine(script, max_sessions=2).propose(ctx)
    asked = [m[1]["content"] for s, m in script.asked]
    assert len(asked) == 2 and "session s4" in asked[-1] + asked[0] and "session s3" in asked[0] + asked[-1]
    assert ctx.stats["llm_sessions_not_read"] == 2


def test_missing_model_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="needs a model"):
        LLMEngine("")


def test_cache_namespace_is_versioned() -> None:
    from reverie.dreamer.engines.llm_prompts import PROMPT_VERSION

    assert f"llm:v{PROMPT_VERSION}" == CACHE_NAMESPACE


def test_progress_is_reported_and_cancel_stops_before_any_call(make_ctx) -> None:
    import threading

    from reverie.dreamer.engines.base import DreamCancelled

    seen: list[tuple[str, int, int]] = []
    ctx = make_ctx({"s1": pnpm_session("s1"), "s2": pnpm_session("s2")})
    ctx.progress = lambda stage, done, total: seen.append((stage, done, total))
    engine(Scripted([map_answer()], [reduce_answer()])).propose(ctx)
    assert ("llm digest", 2, 2) in seen and ("llm map", 2, 2) in seen and ("llm reduce", 1, 1) in seen

    script = Scripted([map_answer()], [reduce_answer()])
    ctx = make_ctx({"s1": pnpm_session("s1")})
    ctx.cancel = threading.Event()
    ctx.cancel.set()
    with pytest.raises(DreamCancelled):
        engine(script).propose(ctx)
    assert script.asked == []
