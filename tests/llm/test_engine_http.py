"""The real HTTP path: litellm's OpenAI-compatible route against a fake server on 127.0.0.1."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reverie.dreamer.engines.llm import LLMEngine
from reverie.store.errors import ReverieError
from tests.llm.conftest import ev, pnpm_session
from tests.llm.fake_openai import FakeOpenAI

pytestmark = pytest.mark.usefixtures("litellm_module")

SECRET = "ghp_" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8"


def answer(request: dict[str, Any]) -> str:
    """Map requests get one lesson citing e4; the reduce request gets one proposal."""
    system = request["messages"][0]["content"]
    if system.startswith("You review one condensed transcript"):
        return json.dumps(
            {
                "lessons": [
                    {
                        "kind": "instinct",
                        "title": "Use pnpm",
                        "statement": "Use pnpm",
                        "citations": [{"event": "e4", "quote": "we use pnpm"}],
                    }
                ]
            }
        )
    lessons = json.loads(request["messages"][1]["content"])["candidate_lessons"]
    return json.dumps(
        {
            "proposals": [
                {
                    "action": "add",
                    "kind": "instinct",
                    "scope": "project",
                    "title": "Use pnpm",
                    "body": "Use pnpm, not npm.",
                    "evidence": [
                        {"session_id": l["session_id"], "event": "e4", "quote": "we use pnpm"} for l in lessons
                    ],
                }
            ]
        }
    )


def http_engine(server: FakeOpenAI, **opts: Any) -> LLMEngine:
    settings: dict[str, Any] = {"num_retries": 0, "timeout": 10, **opts}
    return LLMEngine("openai/fake-model", api_base=server.api_base, api_key="test", **settings)


def test_http_path_caching_and_token_accounting(make_ctx, cache) -> None:
    sessions = {"s1": pnpm_session("s1"), "s2": pnpm_session("s2"), "s3": pnpm_session("s3")}
    with FakeOpenAI(answer, prompt_tokens=123, completion_tokens=45) as server:
        ctx = make_ctx(sessions)
        proposals = http_engine(server).propose(ctx)
        assert server.count == 4  # three maps, one reduce
        assert len(proposals) == 1
        assert sorted(e.event_uuid for e in proposals[0].evidence) == ["s1-u4", "s2-u4", "s3-u4"]
        s = ctx.stats
        assert s["llm_calls"] == 4 and s["llm_cache_hits"] == 0
        assert s["llm_tokens_prompt"] == 4 * 123 and s["llm_tokens_completion"] == 4 * 45
        assert s["llm_cost_usd"] == 0 and "not in litellm's local cost map" in s["llm_cost_note"]
        body = server.requests[0]
        assert body["model"] == "fake-model"
        assert body["temperature"] == 0
        assert body["response_format"] == {"type": "json_object"}

        # a second dream over the same input: zero requests, all cache hits
        ctx2 = make_ctx(sessions)
        again = http_engine(server).propose(ctx2)
        assert server.count == 4
        assert ctx2.stats["llm_calls"] == 0 and ctx2.stats["llm_cache_hits"] == 4
        assert ctx2.stats["llm_tokens_prompt"] == 0
        assert [p.to_dict() for p in again] == [p.to_dict() for p in proposals]


def test_secret_never_reaches_the_model(make_ctx) -> None:
    leaky = [
        ev("s1", 1, "user_prompt", f"deploy with GITHUB_TOKEN={SECRET} please"),
        ev(
            "s1", 2, "tool_call", tool_name="Bash", tool_input={"command": f"curl -H 'Authorization: token {SECRET}' x"}
        ),
        ev("s1", 3, "tool_result", f"error: bad credentials {SECRET}", status="error", tool_name="Bash"),
        ev("s1", 4, "user_prompt", f"no, we use pnpm; the key is {SECRET}"),
    ]
    with FakeOpenAI(answer) as server:
        proposals = http_engine(server, concurrency=1).propose(make_ctx({"s1": leaky}))
        assert server.count == 2
        raw = b"".join(server.bodies)
    assert SECRET.encode() not in raw
    assert SECRET[:12].encode() not in raw
    assert b"REDACTED" in raw
    assert all(SECRET not in json.dumps(p.to_dict()) for p in proposals)


def test_unreachable_provider_is_one_clear_error(make_ctx) -> None:
    with FakeOpenAI(answer) as server:
        pass  # stopped: the port is closed now
    with pytest.raises(ReverieError) as err:
        http_engine(server).propose(make_ctx({"s1": pnpm_session("s1"), "s2": pnpm_session("s2")}))
    message = str(err.value)
    assert "every llm map call to openai/fake-model failed" in message
    assert "\n" not in message


def test_a_garbage_reply_is_retried_over_http(make_ctx) -> None:
    calls = {"n": 0}

    def flaky(request: dict[str, Any]) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            return "<html>502 bad gateway</html>"
        return answer(request)

    with FakeOpenAI(flaky) as server:
        ctx = make_ctx({"s1": pnpm_session("s1"), "s2": pnpm_session("s2")})
        proposals = http_engine(server, concurrency=1).propose(ctx)
    assert server.count == 4  # s1 map, its retry, s2 map, reduce
    assert ctx.stats["llm_retries"] == 1
    assert len(proposals) == 1


def test_auth_error_stops_the_dream_and_hides_the_key(make_ctx) -> None:
    key = "sk-" + "live0123456789abcdefghijklmnop"
    with FakeOpenAI(answer, status=401) as server:
        engine = LLMEngine("openai/fake-model", api_base=server.api_base, api_key=key, num_retries=0, timeout=10)
        with pytest.raises(ReverieError) as err:
            engine.propose(make_ctx({"s1": pnpm_session("s1"), "s2": pnpm_session("s2")}))
    assert "AuthenticationError" in str(err.value)
    assert key not in str(err.value)


def test_transient_provider_errors_are_retried_without_tenacity(make_ctx) -> None:
    with FakeOpenAI(answer, fail_first=2) as server:
        ctx = make_ctx({"s1": pnpm_session("s1")})
        proposals = http_engine(server, num_retries=2, retry_backoff=0.0).propose(ctx)
        assert server.count == 4  # two 503s, then map and reduce
    assert len(proposals) == 1
    assert ctx.stats["llm_calls"] == 2 and ctx.stats["llm_failures"] == 0


def test_a_dead_provider_stops_after_three_failures(make_ctx) -> None:
    with FakeOpenAI(answer) as server:
        pass
    sessions = {f"s{i}": pnpm_session(f"s{i}") for i in range(10)}
    with pytest.raises(ReverieError, match="the first 3 calls to openai/fake-model failed"):
        http_engine(server, concurrency=1).propose(make_ctx(sessions))
