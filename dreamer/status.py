"""Figures `reverie status` and the console header show about dreaming.

`status_extras(store) -> dict`: sessions indexed and not yet dreamed over, the
last dream (candidate, engine, when, proposals, seconds) and the tokens/cost
the LLM engine recorded per dream (summed over all dreams too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reverie.store.store import Store

_LLM_KEYS = ("llm_tokens_prompt", "llm_tokens_completion", "llm_calls", "llm_cache_hits")


def _agents(store: Store) -> dict[str, Any]:
    """Which agents approved lessons are written for, and where their instruction files disagree."""
    from reverie.dreamer.agent_contradictions import contradictions
    from reverie.store.mirrors import agents_in_use

    found = contradictions(store.active_artifacts())
    return {
        "targets": ", ".join(sorted(agents_in_use(store.workspace))),
        "contradictions": len(found),
        "details": [c.to_dict() | {"text": c.text()} for c in found],
    }


def status_extras(store: Store) -> dict[str, Any]:
    index = store.sessions
    sessions = index.status()
    cands = sorted(store.candidates(), key=lambda c: c.created_at)
    dreams = [c for c in cands if c.engine in ("heuristic", "llm")]
    last = dreams[-1] if dreams else None
    totals = {k: 0 for k in _LLM_KEYS}
    cost = 0.0
    per_dream = []
    for c in dreams:
        st = c.stats or {}
        for k in _LLM_KEYS:
            totals[k] += int(st.get(k, 0) or 0)
        cost += float(st.get("llm_cost_usd", 0.0) or 0.0)
        if c.engine == "llm":
            per_dream.append(
                {
                    "candidate_store": c.id,
                    "created_at": c.created_at,
                    "model": st.get("llm_model"),
                    "tokens_prompt": st.get("llm_tokens_prompt", 0),
                    "tokens_completion": st.get("llm_tokens_completion", 0),
                    "cost_usd": st.get("llm_cost_usd", 0.0),
                }
            )
    return {
        "agents": _agents(store),
        "sessions": {
            "indexed": sessions.get("sessions", 0),
            "events": sessions.get("events", 0),
            "undreamed": sessions.get("undreamed", 0),
            "last_activity": sessions.get("last_activity", ""),
        },
        "last_dream": None
        if last is None
        else {
            "candidate_store": last.id,
            "engine": last.engine,
            "created_at": last.created_at,
            "status": last.status,
            "sessions_read": last.sessions_read,
            "events_read": last.events_read,
            "seconds": (last.stats or {}).get("seconds"),
        },
        "dreams": len(dreams),
        "llm": {
            "tokens_prompt": totals["llm_tokens_prompt"],
            "tokens_completion": totals["llm_tokens_completion"],
            "calls": totals["llm_calls"],
            "cache_hits": totals["llm_cache_hits"],
            "cost_usd": round(cost, 6),
            "per_dream": per_dream[-10:],
        },
    }
