"""The default dream engine: deterministic, offline, no key.

Signals per session come from the cache (``signals:v1`` keyed by session id and
content hash), so an unchanged session costs one cache read; consolidation then
turns the signals and the active artifacts into proposals. Same input, same
output: no randomness, no clock (ordering is by evidence timestamps).
"""

from __future__ import annotations

from typing import Any

from reverie.dreamer.consolidate import consolidate
from reverie.dreamer.engines.base import DreamContext
from reverie.dreamer.model import SessionSignals
from reverie.dreamer.signals import session_signals
from reverie.store.models import Proposal


def collect_signals(ctx: DreamContext) -> list[SessionSignals]:
    """Signals of every session in the context (cached), memoised on the context."""
    if ctx.signals is not None:
        return ctx.signals
    out: list[SessionSignals] = []
    hits = 0
    total = len(ctx.sessions)
    for i, ref in enumerate(ctx.sessions, 1):
        ctx.check_cancelled()
        sig, hit = session_signals(ref.session_id, ref.content_hash, ctx.load_events, ctx.cache_get, ctx.cache_put)
        sig.session_id = ref.session_id
        sig.agent = ref.agent or sig.agent
        sig.cwd = sig.cwd or ref.cwd
        sig.stamp()
        out.append(sig)
        hits += hit
        if i % 25 == 0 or i == total:
            ctx.report("signals", i, total)
    ctx.stats["signals_cache_hits"] = hits
    ctx.stats["signals_computed"] = total - hits
    ctx.signals = out
    return out


class HeuristicEngine:
    name = "heuristic"

    def __init__(self, **options: Any) -> None:
        self.options = options

    def propose(self, ctx: DreamContext) -> list[Proposal]:
        signals = collect_signals(ctx)
        ctx.check_cancelled()
        ctx.report("consolidate", 0, 1)
        ctx.ledger.moments(signals)
        proposals = consolidate(signals, ctx.artifacts, ctx.workspace, {**ctx.options, **self.options}, ctx.ledger)
        ctx.report("consolidate", 1, 1)
        return proposals
