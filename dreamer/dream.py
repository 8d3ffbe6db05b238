"""The dream pass: ingest what is new, run an engine, critics and replay, open a candidate.

    run_dream(store, transcripts=(), engine=None, model=None, progress=None,
              cancel=None, options=None) -> DreamResult

Why this shape: every engine (heuristic by default, LLM on request) gets the same
`DreamContext` and its output goes through the same deterministic replay and
critics, so an LLM cannot skip the safety net. A dream writes only the sessions
index, the cache and one `dream` operation with its candidate store: the active
artifacts and the workspace files are never touched.

Engine selection: `engine`/`model` arguments > $REVERIE_ENGINE / $REVERIE_MODEL >
`[dream] engine` / `model` in `.reverie/config.toml` > heuristic.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reverie.dreamer import scanner_load
from reverie.dreamer.critics import DEFAULT_CONTEXT_BUDGET, run_critics
from reverie.dreamer.engines.base import DreamCancelled, DreamContext, Engine, ProgressCallback, SessionRef
from reverie.dreamer.engines.heuristic import HeuristicEngine, collect_signals
from reverie.dreamer.invariants import enforce
from reverie.dreamer.ledger import EXPLAIN_NAMESPACE
from reverie.dreamer.model import SessionSignals
from reverie.dreamer.replay import ReplayCall, replay_proposals
from reverie.dreamer.verdicts import remembered as remembered_verdicts
from reverie.store.config import config_table
from reverie.store.errors import UsageError
from reverie.store.models import Candidate, Proposal
from reverie.store.sessions import SessionIndex
from reverie.store.store import Store

ENGINES = ("heuristic", "llm")


@dataclass
class DreamResult:
    candidate: Candidate
    proposals: list[Proposal]
    engine: str
    sessions_read: int
    events_read: int
    stats: dict[str, Any] = field(default_factory=dict)
    ingest: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    observed: dict[str, Any] = field(default_factory=dict)
    """The observation pass the dream ran first (dreamer.observe.ObserveReport.to_dict)."""
    explain: list[dict[str, Any]] = field(default_factory=list)
    """Every candidate moment and what the dream did with it (`ledger.Entry`), for --explain."""

    @property
    def candidate_id(self) -> str:
        return self.candidate.id

    def to_json(self) -> dict[str, Any]:
        """The document of DESIGN §4, plus `skipped_files`: files under --transcripts not read, with why."""
        return {
            "candidate_store": self.candidate.id,
            "base_version": self.candidate.base_op,
            "engine": self.engine,
            "sessions_read": self.sessions_read,
            "events_read": self.events_read,
            "proposals": [p.to_dict() for p in self.proposals],
            "skipped_files": list(self.ingest.get("skipped") or []),
        }


def dream_config(workspace: Path) -> dict[str, Any]:
    """The `[dream]` table of `.reverie/config.toml` ({} when absent)."""
    return config_table(workspace, "dream")


def choose_engine(workspace: Path, engine: str | None, model: str | None) -> tuple[str, str | None]:
    table = dream_config(workspace)
    name = (engine or os.environ.get("REVERIE_ENGINE") or table.get("engine") or "heuristic").strip().lower()
    chosen_model = model or os.environ.get("REVERIE_MODEL") or table.get("model")
    if name not in ENGINES:
        raise UsageError(f"unknown engine {name!r}: choose one of {', '.join(ENGINES)}")
    return name, chosen_model


def make_engine(name: str, workspace: Path, model: str | None, options: dict[str, Any]) -> Engine:
    if name == "heuristic":
        return HeuristicEngine()
    from reverie.dreamer.engines import llm  # lazy: litellm is only imported inside the engine's calls

    return llm.engine_from_config(workspace, model=model)


def session_refs(index: SessionIndex) -> list[SessionRef]:
    rows = index.sessions()
    rows.sort(key=lambda r: (r.get("started_at") or "", r["id"]))
    return [
        SessionRef(
            session_id=r["id"],
            agent=r.get("agent", ""),
            path=r.get("path", ""),
            cwd=r.get("cwd", ""),
            content_hash=r.get("content_hash", ""),
            started_at=r.get("started_at", ""),
            ended_at=r.get("ended_at", ""),
            events=int(r.get("events") or 0),
        )
        for r in rows
        if int(r.get("events") or 0) > 0
    ]


def indexed_signals(store: Store) -> list[SessionSignals]:
    """The signals of every session `store` has indexed (cached per session), outside a dream:
    what a reviewed hook is replayed against and what `effect` measures."""
    index = store.sessions
    ctx = DreamContext(
        workspace=store.workspace,
        sessions=session_refs(index),
        artifacts=[],
        load_events=index.iter_events,
        cache_get=store.cache_get,
        cache_put=store.cache_put,
    )
    return collect_signals(ctx)


def replay_calls(signals: list[SessionSignals]) -> list[ReplayCall]:
    """Every historical tool call (from the cached signals) as replay inputs."""
    calls: list[ReplayCall] = []
    for sig in signals:
        for c in sig.tool_calls:
            calls.append(
                {
                    "session_id": sig.session_id,
                    "cwd": sig.cwd,
                    "tool": c.tool,
                    "input": c.input,
                    "uuid": c.uuid,
                    "status": c.status,
                }
            )
    return calls


def run_dream(
    store: Store,
    transcripts: Iterable[Path] = (),
    engine: str | None = None,
    model: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    options: dict[str, Any] | None = None,
) -> DreamResult:
    """Ingest, dream, verify, label, and open a candidate store (see module doc)."""
    started = time.perf_counter()
    workspace = Path(store.workspace)
    opts = dict(options or {})
    name, chosen_model = choose_engine(workspace, engine, model)
    eng = make_engine(name, workspace, chosen_model, opts)  # fail fast on a bad engine/model, before any work

    from reverie.dreamer.ingest import ingest  # the ingest engineer's module

    def ingest_progress(done: int, total: int, _path: str = "") -> None:
        if total:  # new transcript content: the critics will judge new texts, so load the scanner meanwhile
            scanner_load.start()  # (a dream over nothing new needs no scanner: see dreamer.verdicts)
        if progress is not None:
            progress("ingest", done, total)

    report = ingest(
        store,
        workspace,
        list(transcripts or ()),
        ingest_progress,
        home=bool(opts.get("home", True)),
        cancel=(lambda: cancel.is_set()) if cancel is not None else None,
    )
    if cancel is not None and cancel.is_set():
        raise DreamCancelled("dream cancelled")
    from reverie.dreamer.observe import observe

    observed = observe(store, noticed_by="dream")  # writes made while nothing watched become their own group
    index = store.sessions
    refs = session_refs(index)
    ctx = DreamContext(
        workspace=workspace,
        sessions=refs,
        artifacts=store.active_artifacts(),
        load_events=index.iter_events,
        cache_get=store.cache_get,
        cache_put=store.cache_put,
        progress=progress,
        cancel=cancel,
        options=opts,
    )
    signals = collect_signals(ctx)
    ctx.report("engine", 0, 1)
    proposals = enforce(list(eng.propose(ctx)), ctx.artifacts, workspace, index.has_event, ctx.ledger)
    ctx.check_cancelled()
    ctx.report("engine", 1, 1)
    ctx.report("verify", 0, 1)
    replay_proposals(proposals, replay_calls(signals), store.cache_get, store.cache_put)
    with remembered_verdicts(store.cache_get, store.cache_put):  # a dream over nothing new loads no scanner
        run_critics(
            proposals,
            ctx.artifacts,
            workspace,
            int(opts.get("context_budget") or dream_config(workspace).get("context_budget") or DEFAULT_CONTEXT_BUDGET),
        )
    ctx.report("verify", 1, 1)
    ctx.check_cancelled()
    events_read = sum(r.events for r in refs)
    stats = dict(ctx.stats)
    stats.pop("signals", None)
    stats["seconds"] = round(time.perf_counter() - started, 3)
    stats["undreamed_before"] = len(index.undreamed_ids())
    stats["model"] = chosen_model if name == "llm" else None
    cand = store.open_candidate(
        proposals,
        engine=name,
        sessions_read=len(refs),
        events_read=events_read,
        stats=stats,
        dreamed_sessions=[r.session_id for r in refs],  # marked in the candidate's transaction
    )
    with_ids = store.proposals(cand.id)
    ctx.ledger.finish(proposals, with_ids)
    explain = ctx.ledger.to_list()
    store.cache_put(EXPLAIN_NAMESPACE, cand.id, explain)
    return DreamResult(
        candidate=cand,
        proposals=with_ids,
        engine=name,
        sessions_read=len(refs),
        events_read=events_read,
        stats=stats,
        ingest=report.to_dict(),
        seconds=time.perf_counter() - started,
        observed=observed.to_dict(),
        explain=explain,
    )
