"""Against a model on this machine: one request at a time, back off on timeouts, queue wait counted apart."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from reverie.dreamer.engines.llm import LLMEngine, _Limiter, is_local_endpoint
from tests.llm.conftest import pnpm_session
from tests.llm.test_engine_mock import Scripted, map_answer, reduce_answer

pytestmark = pytest.mark.usefixtures("litellm_module")


@pytest.mark.parametrize(
    ("model", "api_base", "local"),
    [
        ("openai/smollm2", "http://127.0.0.1:8080/v1", True),
        ("openai/x", "http://localhost:1234/v1", True),
        ("openai/x", "http://[::1]:8000/v1", True),
        ("openai/x", "127.0.0.5:9000", True),
        ("ollama/llama3.1", None, True),
        ("gpt-4o-mini", None, False),
        ("openai/x", "https://api.example.com/v1", False),
        ("openai/x", "http://127.example.com/v1", False),
    ],
)
def test_local_endpoints_are_recognised(model: str, api_base: str | None, local: bool) -> None:
    assert is_local_endpoint(model, api_base) is local


def test_limiter_halves_on_timeouts_and_never_drops_below_one() -> None:
    limiter = _Limiter(4)
    limiter.timed_out()
    assert limiter.limit == 2
    assert limiter.timeout_scale == 1.0  # too many in flight: fewer, same timeout
    limiter.timed_out()
    assert limiter.limit == 1 and limiter.timeout_scale == 1.0
    limiter.timed_out()  # one in flight and still too slow: the server is slow, wait longer
    limiter.timed_out()
    limiter.timed_out()
    assert limiter.limit == 1 and limiter.timeouts == 5 and limiter.timeout_scale == _Limiter.MAX_TIMEOUT_SCALE


def test_limiter_holds_requests_beyond_the_limit_on_our_side() -> None:
    limiter = _Limiter(1)
    entered = threading.Event()

    def second() -> None:
        with limiter:
            entered.set()

    with limiter:
        t = threading.Thread(target=second)
        t.start()
        assert not entered.wait(0.2)  # queued here while the first request is in flight
        assert limiter.active == 1
    t.join(5)
    assert entered.is_set() and limiter.active == 0
    assert limiter.wait_s > 0  # the time it waited is counted apart from request time


class TimesOutFirst(Scripted):
    """The first map request times out at the server (a one-slot local model busy with another)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.timeouts = 0

    def __call__(self, stage: str, messages: list[dict[str, str]]) -> Any:
        import litellm

        if stage == "map" and self.timeouts == 0:
            self.timeouts += 1
            return litellm.Timeout("Request timed out.", model="openai/smollm2", llm_provider="openai")
        return super().__call__(stage, messages)


def test_a_timeout_backs_off_and_retries_instead_of_skipping_the_session(make_ctx, cache) -> None:
    ctx = make_ctx({"s1": pnpm_session("s1"), "s2": pnpm_session("s2")})
    script = TimesOutFirst([map_answer()], [reduce_answer()])
    engine = LLMEngine(
        "openai/smollm2",
        api_base="http://127.0.0.1:9/v1",
        api_key="local",
        mock_response=script,
        concurrency=4,
        num_retries=2,
        retry_backoff=0.0,
    )
    proposals = engine.propose(ctx)
    s = ctx.stats
    assert len(proposals) == 1
    assert s["llm_timeouts"] == 1 and s["llm_failures"] == 0  # retried, not skipped
    assert s["llm_concurrency"] == 2  # halved from the 4 asked for
    assert s["llm_local"] is True
    assert s["llm_calls"] == 3 and s["llm_request_s"] >= 0 and s["llm_queue_wait_s"] >= 0


def test_a_local_endpoint_defaults_to_one_request_at_a_time(make_ctx, cache) -> None:
    ctx = make_ctx({"s1": pnpm_session("s1"), "s2": pnpm_session("s2"), "s3": pnpm_session("s3")})
    script = Scripted([map_answer()], [reduce_answer()])
    LLMEngine("openai/smollm2", api_base="http://localhost:9/v1", api_key="x", mock_response=script).propose(ctx)
    assert ctx.stats["llm_concurrency"] == 1 and ctx.stats["llm_local"] is True
    remote = make_ctx({"s1": pnpm_session("s1"), "s2": pnpm_session("s2")})
    LLMEngine("gpt-4o-mini", mock_response=Scripted([map_answer()], [reduce_answer()])).propose(remote)
    assert remote.stats["llm_concurrency"] == 4 and remote.stats["llm_local"] is False
