"""The LLM dream engine: map session digests to lessons, reduce them to proposals.

Why this shape: a model is good at reading what a person meant and phrasing a
lesson in their terms, but its output is untrusted. So the engine sends only
condensed, redacted digests (`dreamer.digest`), validates every reply with
pydantic (one retry with the error, then a logged skip), keeps only citations
that point at events really present in the digest, and returns proposals that
the deterministic critics still judge. Replies are cached in SQLite by
sha256(model, prompt version, input), so a re-dream over unchanged sessions
makes no model calls; tokens, calls, cache hits and cost land in `ctx.stats`.

litellm is imported lazily inside `_litellm()` (it takes seconds and may try the
network at import); nothing at module import time pulls it in.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from reverie.dreamer.digest import DEFAULT_SESSION_TOKEN_BUDGET, Digest, approx_tokens, build_digest, scrub
from reverie.dreamer.engines.base import DreamContext, SessionRef
from reverie.dreamer.engines.llm_prompts import PROMPT_VERSION, map_messages, reduce_messages, retry_messages
from reverie.dreamer.engines.llm_schema import Lesson, MapResult, ProposalOut, ReduceResult, parse
from reverie.store.config import config_table
from reverie.store.errors import ReverieError, UsageError
from reverie.store.materialize import slugify
from reverie.store.models import Evidence, Proposal

log = logging.getLogger(__name__)

CACHE_NAMESPACE = f"llm:v{PROMPT_VERSION}"

DEFAULTS: dict[str, Any] = {
    "session_token_budget": DEFAULT_SESSION_TOKEN_BUDGET,
    "reduce_token_budget": 16000,
    "max_sessions": 100,
    "concurrency": None,
    "timeout": 120.0,
    "num_retries": 2,
    "retry_backoff": 1.0,
    "temperature": 0.0,
    "max_tokens": 4000,
    "json_mode": True,
}
"""Engine options and their defaults; `[llm]` in config.toml may set any of them.

`concurrency` None means: `LOCAL_CONCURRENCY` for a server on this machine (llama.cpp,
Ollama and LM Studio answer one request at a time by default; more only queue up
inside the server and time out there), `REMOTE_CONCURRENCY` for a provider."""
LOCAL_CONCURRENCY = 1
REMOTE_CONCURRENCY = 4
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0", "[::1]"})
_LOCAL_PROVIDERS = ("ollama/", "ollama_chat/", "lm_studio/", "llamafile/")


def is_local_endpoint(model: str, api_base: str | None) -> bool:
    """Whether the model is served on this machine (an api_base on loopback, or a local-only provider)."""
    if api_base:
        import ipaddress
        from urllib.parse import urlsplit

        host = (urlsplit(api_base if "://" in api_base else f"http://{api_base}").hostname or "").lower()
        if host in _LOCAL_HOSTS:
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return model.startswith(_LOCAL_PROVIDERS)


class _Limiter:
    """How many requests may be in flight, halved on every timeout (never below 1).

    Requests beyond the limit wait here, on our side, so the time one spends
    queued is counted apart from its time at the server (`wait_s` vs the
    request's own clock) and a server-side queue never eats the request
    timeout. Against a one-slot local server the first timeout brings the limit
    down to what the server can take; the timed-out request is retried. A
    timeout with one request in flight means the server itself is slow (a small
    machine, a long answer): then the timeout doubles instead (up to 4x).
    """

    MAX_TIMEOUT_SCALE = 4.0

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.active = 0
        self.wait_s = 0.0
        self.timeouts = 0
        self.timeout_scale = 1.0
        self._cond = threading.Condition()

    def __enter__(self) -> _Limiter:
        started = time.perf_counter()
        with self._cond:
            while self.active >= self.limit:
                self._cond.wait()
            self.active += 1
            self.wait_s += time.perf_counter() - started
        return self

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self.active -= 1
            self._cond.notify_all()

    def timed_out(self) -> None:
        with self._cond:
            self.timeouts += 1
            if self.limit == 1:
                self.timeout_scale = min(self.timeout_scale * 2, self.MAX_TIMEOUT_SCALE)
            self.limit = max(1, self.limit // 2)


# Provider errors worth another try after a pause (our own loop: litellm's
# num_retries needs `tenacity`, which is not a dependency).
_TRANSIENT_ERRORS = {
    "RateLimitError",
    "APIConnectionError",
    "Timeout",
    "InternalServerError",
    "ServiceUnavailableError",
    "APIError",
    "BadGatewayError",
}

_TIMEOUT_ERRORS = {"Timeout", "APITimeoutError", "ReadTimeout"}
"""A request that took longer than `timeout` at the server: back off (see `_Limiter`), then retry."""

# Errors that will fail every call the same way: stop the dream at once.
_FATAL_ERRORS = {"AuthenticationError", "PermissionDeniedError", "NotFoundError", "BadRequestError"}

MockResponse = str | Callable[[str, list[dict[str, str]]], str]
"""Test hook passed to litellm's `mock_response`: a string, or fn(stage, messages)."""


def _litellm() -> Any:
    """Import litellm offline and quiet: local cost map, no telemetry, no callbacks."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True  # it would print help text on stdout
    litellm.drop_params = True  # e.g. response_format on providers without it
    for attr in (
        "success_callback",
        "failure_callback",
        "_async_success_callback",
        "_async_failure_callback",
        "callbacks",
    ):
        if isinstance(getattr(litellm, attr, None), list):
            setattr(litellm, attr, [])
    return litellm


def _one_line_error(err: BaseException) -> str:
    """A redacted one-line description of a provider error (keys never leak)."""
    text = " ".join(str(err).split())
    return scrub(f"{type(err).__name__}: {text}")[:300]


@dataclass(slots=True)
class _Outcome:
    """What one (possibly retried) model exchange produced, merged in the main thread."""

    data: dict[str, Any] | None = None
    error: str = ""
    fatal: bool = False
    transport: bool = False
    """The provider could not be asked (network, auth, rate limit), as opposed to a bad reply."""
    calls: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    cost_unknown: bool = False
    request_s: float = 0.0
    """Seconds spent in requests at the server (the wait for a free slot on our side is not in it)."""


@dataclass(slots=True)
class _Job:
    stage: str
    key: str
    messages: list[dict[str, str]]
    schema: type[BaseModel]
    label: str
    digest: Digest | None = None
    session: SessionRef | None = None
    result: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class LLMEngine:
    """`Engine` backed by any litellm model (OpenAI, Anthropic, Ollama, …)."""

    name = "llm"

    def __init__(self, model: str, **options: Any) -> None:
        if not model or not str(model).strip():
            raise UsageError(
                "the llm engine needs a model: pass --model, set [llm] model in .reverie/config.toml, or REVERIE_MODEL"
            )
        self.model = str(model).strip()
        self.options = {**DEFAULTS, **{k: v for k, v in options.items() if v is not None}}
        self.api_base: str | None = options.get("api_base") or os.environ.get("REVERIE_LLM_API_BASE") or None
        self._api_key: str | None = options.get("api_key") or os.environ.get("REVERIE_LLM_API_KEY") or None
        self.mock_response: MockResponse | None = options.get("mock_response")
        self._limiter = _Limiter(REMOTE_CONCURRENCY)

    # -- Engine ----------------------------------------------------------------

    def propose(self, ctx: DreamContext) -> list[Proposal]:
        """Map every (recent) session to lessons, reduce them with the active artifacts."""
        opts = {**self.options, **{k: v for k, v in ctx.options.items() if k in DEFAULTS and v is not None}}
        local = is_local_endpoint(self.model, self.api_base)
        if not opts.get("concurrency"):
            opts["concurrency"] = LOCAL_CONCURRENCY if local else REMOTE_CONCURRENCY
        stats = ctx.stats
        for key in (
            "llm_tokens_prompt",
            "llm_tokens_completion",
            "llm_calls",
            "llm_cache_hits",
            "llm_retries",
            "llm_failures",
        ):
            stats.setdefault(key, 0)
        stats.setdefault("llm_cost_usd", 0.0)
        stats["llm_model"] = self.model
        stats["llm_prompt_version"] = PROMPT_VERSION
        stats["llm_local"] = local
        for key in ("llm_queue_wait_s", "llm_request_s"):
            stats.setdefault(key, 0.0)
        stats.setdefault("llm_timeouts", 0)
        self._limiter = _Limiter(int(opts["concurrency"]))

        digests = self._digests(ctx, opts)
        lessons = self._map(ctx, opts, digests)
        if not lessons:
            ctx.report("llm reduce", 1, 1)
            return []
        return self._reduce(ctx, opts, lessons, digests)

    # -- map -------------------------------------------------------------------

    def _digests(self, ctx: DreamContext, opts: dict[str, Any]) -> list[tuple[SessionRef, Digest]]:
        """Digests of the most recent `max_sessions` sessions that hold user words."""
        sessions = sorted(ctx.sessions, key=lambda s: (s.started_at, s.session_id))
        limit = int(opts["max_sessions"] or 0)
        if limit and len(sessions) > limit:
            ctx.stats["llm_sessions_not_read"] = len(sessions) - limit
            sessions = sessions[-limit:]
        out: list[tuple[SessionRef, Digest]] = []
        budget = int(opts["session_token_budget"])
        for i, ref in enumerate(sessions):
            ctx.check_cancelled()
            digest = build_digest(ref.session_id, ctx.load_events(ref.session_id), budget, agent=ref.agent, cwd=ref.cwd)
            if not digest.empty:
                out.append((ref, digest))
            ctx.report("llm digest", i + 1, len(sessions))
        ctx.stats["llm_sessions_digested"] = len(out)
        ctx.stats["llm_digest_tokens"] = sum(d.tokens for _, d in out)
        return out

    def _map(
        self, ctx: DreamContext, opts: dict[str, Any], digests: list[tuple[SessionRef, Digest]]
    ) -> list[dict[str, Any]]:
        jobs = [
            _Job("map", "", map_messages(d.text), MapResult, f"session {ref.session_id}", digest=d, session=ref)
            for ref, d in digests
        ]
        for job in jobs:
            job.key = self._cache_key(job.stage, job.messages)
        self._run(ctx, opts, jobs, "llm map")
        lessons: list[dict[str, Any]] = []
        for job in jobs:
            if job.result is None or job.digest is None or job.session is None:
                continue
            for lesson in MapResult.model_validate(job.result).lessons:
                item = self._grounded_lesson(lesson, job.session, job.digest, ctx.stats)
                if item is not None:
                    lessons.append(item)
        ctx.stats["llm_lessons"] = len(lessons)
        return lessons

    def _grounded_lesson(
        self, lesson: Lesson, ref: SessionRef, digest: Digest, stats: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The lesson as reduce input, keeping only citations of events in the digest."""
        citations = []
        for cite in lesson.citations:
            found = _find_ref(digest, cite.event)
            if found is None:
                stats["llm_citations_dropped"] = stats.get("llm_citations_dropped", 0) + 1
                continue
            citations.append({"event": found.ref, "quote": _verified_quote(cite.quote, found.text)})
        if not citations:
            log.warning(
                "llm: dropped lesson %r from session %s: it cites no event of the digest", lesson.title, ref.session_id
            )
            return None
        return {
            "session_id": ref.session_id,
            "started_at": ref.started_at,
            "kind": lesson.kind,
            "title": scrub(lesson.title),
            "statement": scrub(lesson.statement),
            "paths": lesson.paths,
            "temporary": lesson.temporary,
            "confidence": lesson.confidence,
            "citations": citations,
        }

    # -- reduce ----------------------------------------------------------------

    def _reduce(
        self,
        ctx: DreamContext,
        opts: dict[str, Any],
        lessons: list[dict[str, Any]],
        digests: list[tuple[SessionRef, Digest]],
    ) -> list[Proposal]:
        artifacts = [
            {
                "id": a.id,
                "kind": a.kind,
                "scope": a.scope,
                "title": scrub(a.title or a.name),
                "paths": list(a.paths),
                "body": scrub(a.body[:800] + ("…" if len(a.body) > 800 else "")),
            }
            for a in ctx.artifacts
        ]
        jobs = [
            _Job(
                "reduce",
                "",
                reduce_messages(batch, artifacts),
                ReduceResult,
                f"reduce batch {i + 1}",
                # the model may cite only what it was shown: the citations of this batch's lessons
                extra={"allowed": {(l["session_id"], c["event"]) for l in batch for c in l["citations"]}},
            )
            for i, batch in enumerate(_batches(lessons, artifacts, int(opts["reduce_token_budget"])))
        ]
        for job in jobs:
            job.key = self._cache_key(job.stage, job.messages)
        self._run(ctx, opts, jobs, "llm reduce")
        by_session = {ref.session_id: (ref, d) for ref, d in digests}
        known_ids = {a.id for a in ctx.artifacts}
        proposals: dict[str, Proposal] = {}
        for job in jobs:
            if job.result is None:
                continue
            for out in ReduceResult.model_validate(job.result).proposals:
                proposal = self._to_proposal(out, by_session, job.extra["allowed"], known_ids, ctx.stats)
                if proposal is None:
                    continue
                key = _norm(proposal.title)
                if key in proposals:  # the same proposal from two batches: keep one, all evidence
                    _merge_into(proposals[key], proposal)
                else:
                    proposals[key] = proposal
        ctx.stats["llm_proposals"] = len(proposals)
        return list(proposals.values())

    def _to_proposal(
        self,
        out: ProposalOut,
        by_session: dict[str, tuple[SessionRef, Digest]],
        allowed: set[tuple[str, str]],
        known_ids: set[str],
        stats: dict[str, Any],
    ) -> Proposal | None:
        """A Proposal with grounded evidence, a legal action and a scope the evidence supports."""
        evidence: list[Evidence] = []
        seen: set[tuple[str, str]] = set()
        cwds: set[str] = set()
        for cite in out.evidence:
            pair = by_session.get(cite.session_id)
            found = _find_ref(pair[1], cite.event) if pair else None
            if pair is None or found is None or (cite.session_id, found.ref) not in allowed:
                stats["llm_citations_dropped"] = stats.get("llm_citations_dropped", 0) + 1
                continue
            ref, digest = pair
            if (ref.session_id, found.ref) in seen:
                continue
            seen.add((ref.session_id, found.ref))
            cwds.add(ref.cwd or digest.cwd)
            evidence.append(
                Evidence(
                    session_id=ref.session_id,
                    event_uuid=found.event_uuid,
                    timestamp=found.timestamp,
                    trust=found.trust,
                    quote=_verified_quote(cite.quote, found.text),
                    agent=ref.agent or digest.agent,
                )
            )
        if not evidence:
            stats["llm_proposals_dropped"] = stats.get("llm_proposals_dropped", 0) + 1
            log.warning("llm: dropped proposal %r: none of its evidence is an event the lessons cited", out.title)
            return None
        replaces = [r for r in out.replaces if r in known_ids]
        action = out.action
        if not replaces and action in ("update", "merge", "evolve"):
            action = "add"
        if not replaces and action in ("retire", "promote", "demote"):
            stats["llm_proposals_dropped"] = stats.get("llm_proposals_dropped", 0) + 1
            log.warning("llm: dropped %s proposal %r: it names no existing artifact", action, out.title)
            return None
        scope, paths = out.scope, [p.strip() for p in out.paths if _safe_glob(p)]
        if scope == "team" or (scope == "global" and len(cwds) < 2):
            scope = "project"  # widening scope is a person's explicit promotion
        if scope == "path" and not paths:
            scope = "project"
        meta: dict[str, Any] = {}
        if out.kind == "hook":
            meta = {"event": out.hook_event or "PreToolUse", "matcher": out.matcher, "timeout": 10}
        elif out.kind in ("skill", "command", "subagent"):
            meta = {"description": scrub(out.description or out.title)}
        rationale = scrub(out.rationale)
        if rationale:
            rationale += " "
        rationale += f"(llm engine, {self.model})"
        return Proposal(
            id="",
            action=action,
            kind=out.kind,
            scope=scope,
            title=scrub(out.title),
            body=scrub(out.body),
            paths=paths if scope == "path" else [],
            name=slugify(out.name or out.title, 60),
            replaces=replaces,
            confidence=out.confidence,
            rationale=rationale,
            evidence=evidence,
            meta=meta,
        )

    # -- model calls -------------------------------------------------------------

    def _cache_key(self, stage: str, messages: list[dict[str, str]]) -> str:
        blob = json.dumps(
            {"model": self.model, "prompt_version": PROMPT_VERSION, "stage": stage, "messages": messages},
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(blob.encode()).hexdigest()

    def _run(self, ctx: DreamContext, opts: dict[str, Any], jobs: list[_Job], stage: str) -> None:
        """Answer every job: from the cache, else from the model (in a small thread pool).

        Cache reads/writes and stats stay on the calling thread (SQLite
        connections are per-thread); only the HTTP exchanges run in workers.
        """
        stats = ctx.stats
        todo: list[_Job] = []
        for job in jobs:
            cached = ctx.cache_get(CACHE_NAMESPACE, job.key)
            if isinstance(cached, str):
                try:
                    cached = json.loads(cached)
                except ValueError:
                    cached = None
            if isinstance(cached, dict) and isinstance(cached.get("skipped"), str):
                # the model answered this exact question badly twice (temperature 0): it would again
                stats["llm_cache_hits"] += 1
                stats["llm_failures"] += 1
                log.warning("llm: skipped %s: %s (cached)", job.label, cached["skipped"])
                continue
            if isinstance(cached, dict) and isinstance(cached.get("data"), dict):
                try:
                    job.schema.model_validate(cached["data"])
                    job.result = cached["data"]
                    stats["llm_cache_hits"] += 1
                    continue
                except Exception:
                    pass  # an unreadable cache entry is just a miss
            todo.append(job)
        total, done = len(jobs), len(jobs) - len(todo)
        ctx.report(stage, done, total)
        if not todo:
            return
        litellm = _litellm()
        errors: list[str] = []  # provider errors (not bad replies)
        answered = 0
        workers = max(1, min(int(opts["concurrency"] or 1), len(todo)))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reverie-llm")
        try:
            futures: list[tuple[_Job, Future[_Outcome]]] = [
                (job, pool.submit(self._exchange, litellm, opts, job)) for job in todo
            ]
            for job, future in futures:
                outcome = future.result()
                self._account(stats, outcome)
                if outcome.data is not None:
                    answered += 1
                    job.result = outcome.data
                    ctx.cache_put(CACHE_NAMESPACE, job.key, {"data": outcome.data, "model": self.model})
                else:
                    stats["llm_failures"] += 1
                    if outcome.transport:
                        errors.append(outcome.error)
                    else:  # an invalid reply, not a provider failure: remember it, so a re-dream asks nothing
                        ctx.cache_put(CACHE_NAMESPACE, job.key, {"skipped": outcome.error, "model": self.model})
                    if outcome.fatal:  # config problem: one clear error, no per-session noise
                        raise ReverieError(f"llm engine: {self.model}: {outcome.error}")
                    log.warning("llm: skipped %s: %s", job.label, outcome.error)
                    if len(errors) >= 3 and answered == 0:  # the provider is down: do not wait out every session
                        raise ReverieError(
                            f"llm engine: the first {len(errors)} calls to {self.model} failed; last error: {errors[-1]}"
                        )
                done += 1
                ctx.report(stage, done, total)
                ctx.check_cancelled()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            limiter = self._limiter
            stats["llm_queue_wait_s"] = round(limiter.wait_s, 3)
            stats["llm_timeouts"] = limiter.timeouts
            stats["llm_concurrency"] = limiter.limit
            stats["llm_timeout_s"] = float(opts["timeout"]) * limiter.timeout_scale
        if errors and len(errors) == len(jobs):  # nothing answered at all: say why, once
            raise ReverieError(f"llm engine: every {stage} call to {self.model} failed; first error: {errors[0]}")

    def _account(self, stats: dict[str, Any], outcome: _Outcome) -> None:
        stats["llm_calls"] += outcome.calls
        stats["llm_request_s"] = round(float(stats["llm_request_s"]) + outcome.request_s, 3)
        stats["llm_retries"] += outcome.retries
        stats["llm_tokens_prompt"] += outcome.prompt_tokens
        stats["llm_tokens_completion"] += outcome.completion_tokens
        stats["llm_cost_usd"] = round(float(stats["llm_cost_usd"]) + outcome.cost, 8)
        if outcome.cost_unknown:
            stats["llm_cost_note"] = f"cost unknown for {self.model} (not in litellm's local cost map); counted as 0"

    def _exchange(self, litellm: Any, opts: dict[str, Any], job: _Job) -> _Outcome:
        """One question, validated; on an invalid reply one retry that quotes the error."""
        outcome = _Outcome()
        messages = job.messages
        for attempt in range(2):
            try:
                content = self._complete(litellm, opts, job.stage, messages, outcome)
            except Exception as err:  # provider errors: logged skip, or fatal for config problems
                outcome.error = _one_line_error(err)
                outcome.transport = True
                outcome.fatal = type(err).__name__ in _FATAL_ERRORS and "context" not in str(err).lower()
                return outcome
            try:
                outcome.data = parse(job.schema, content).model_dump()
                return outcome
            except ValueError as err:
                outcome.error = f"invalid reply after {attempt + 1} attempt(s): {err}"
                if attempt == 0:
                    outcome.retries += 1
                    messages = retry_messages(job.messages, content, str(err))
        return outcome

    def _complete(
        self, litellm: Any, opts: dict[str, Any], stage: str, messages: list[dict[str, str]], outcome: _Outcome
    ) -> str:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": opts["temperature"],
            "timeout": float(opts["timeout"]),
            "num_retries": 0,  # we retry ourselves (see _TRANSIENT_ERRORS)
        }
        if opts.get("max_tokens"):
            kwargs["max_tokens"] = int(opts["max_tokens"])
        if opts.get("json_mode"):
            kwargs["response_format"] = {"type": "json_object"}
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if self._api_key:
            kwargs["api_key"] = self._api_key
        retries = max(int(opts["num_retries"] or 0), 0)
        limiter = self._limiter
        for attempt in range(retries + 1):
            if self.mock_response is not None:  # per attempt, like a request
                mock = self.mock_response
                kwargs["mock_response"] = mock(stage, messages) if callable(mock) else mock
            kwargs["timeout"] = float(opts["timeout"]) * limiter.timeout_scale
            try:
                with limiter:
                    started = time.perf_counter()
                    try:
                        response = litellm.completion(**kwargs)
                    finally:
                        outcome.request_s += time.perf_counter() - started
                break
            except Exception as err:
                if type(err).__name__ in _TIMEOUT_ERRORS:
                    limiter.timed_out()  # fewer requests in flight before trying again
                if type(err).__name__ not in _TRANSIENT_ERRORS or attempt == retries:
                    raise
                time.sleep(float(opts["retry_backoff"]) * min(2**attempt, 8))
        outcome.calls += 1
        usage = getattr(response, "usage", None)
        outcome.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
        outcome.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)
        try:
            outcome.cost += float(litellm.completion_cost(completion_response=response) or 0.0)
        except Exception:  # model not in the local cost map
            outcome.cost_unknown = True
        return str(response.choices[0].message.content or "")


# --- configuration --------------------------------------------------------------


def load_config(workspace: Path | None) -> dict[str, Any]:
    """The `[llm]` table of `<workspace>/.reverie/config.toml` ({} when absent)."""
    return config_table(workspace, "llm")


def engine_from_config(workspace: Path | None = None, model: str | None = None, **overrides: Any) -> LLMEngine:
    """An LLMEngine configured from, in order: arguments, environment, config.toml.

    Model: `model` (--model) > $REVERIE_MODEL > `[llm] model`. Endpoint:
    $REVERIE_LLM_API_BASE > `[llm] api_base` (else litellm's provider default).
    Key: $REVERIE_LLM_API_KEY > the variable named by `[llm] api_key_env` > litellm's
    own provider variables (OPENAI_API_KEY, ANTHROPIC_API_KEY, …). A key is never
    read from the config file, so it cannot be committed by accident.
    """
    table = load_config(workspace)
    if "api_key" in table:
        log.warning("llm: ignoring api_key in config.toml; put the key in an environment variable")
    chosen = model or os.environ.get("REVERIE_MODEL") or table.get("model")
    options: dict[str, Any] = {k: table[k] for k in DEFAULTS if k in table}
    options["api_base"] = os.environ.get("REVERIE_LLM_API_BASE") or table.get("api_base")
    key_env = table.get("api_key_env")
    options["api_key"] = os.environ.get("REVERIE_LLM_API_KEY") or (os.environ.get(str(key_env)) if key_env else None)
    options.update({k: v for k, v in overrides.items() if v is not None})
    return LLMEngine(str(chosen or ""), **options)


# --- helpers ----------------------------------------------------------------------


def _find_ref(digest: Digest, cited: str) -> Any:
    """The digest line a citation names: ``e12``, ``[e12 …``, a full uuid or a uuid prefix."""
    token = cited.strip().strip("[]").split()[0] if cited.strip().strip("[]") else ""
    token = token.lower()
    if token in digest.refs:
        return digest.refs[token]
    if re.fullmatch(r"\d+", token) and f"e{token}" in digest.refs:
        return digest.refs[f"e{token}"]
    if len(token) >= 8:
        for ref in digest.refs.values():
            if ref.event_uuid and ref.event_uuid.lower().startswith(token):
                return ref
    return None


def _safe_glob(pattern: str) -> bool:
    """A workspace-relative glob: not empty, not absolute, no `..`, no home or drive prefix."""
    p = pattern.strip()
    return bool(p) and not p.startswith(("/", "~", "\\")) and ".." not in p.split("/") and ":" not in p[:3]


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _verified_quote(quote: str, line: str) -> str:
    """The model's quote when it really is in the cited line, else the line's start."""
    q = " ".join((quote or "").split()).strip("\"' ")
    if q and _norm(q) and _norm(q) in _norm(line):
        return scrub(q[:300])
    return scrub(line[:200])


def _merge_into(target: Proposal, other: Proposal) -> None:
    seen = {(e.session_id, e.event_uuid, e.quote) for e in target.evidence}
    for ev in other.evidence:
        if (ev.session_id, ev.event_uuid, ev.quote) not in seen:
            target.evidence.append(ev)
    target.confidence = max(target.confidence, other.confidence)
    target.replaces = sorted(set(target.replaces) | set(other.replaces))


def _batches(lessons: list[dict[str, Any]], artifacts: list[dict[str, Any]], budget: int) -> list[list[dict[str, Any]]]:
    """Split lessons so each reduce call fits `budget` tokens; similar titles stay together."""
    fixed = approx_tokens(json.dumps(artifacts, ensure_ascii=False)) + 1500  # + system prompt
    room = max(budget - fixed, 1000)
    ordered = sorted(lessons, key=lambda l: (l["kind"], _norm(l["title"]), l["started_at"], l["session_id"]))
    batches: list[list[dict[str, Any]]] = [[]]
    used = 0
    for lesson in ordered:
        size = approx_tokens(json.dumps(lesson, ensure_ascii=False))
        if batches[-1] and used + size > room:
            batches.append([])
            used = 0
        batches[-1].append(lesson)
        used += size
    for batch in batches:  # oldest first inside a batch, so "newer wins" is visible
        batch.sort(key=lambda l: (l["started_at"], l["session_id"]))
    return batches
