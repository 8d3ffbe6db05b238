"""`reverie effect`: did an applied artifact change what happens in later sessions?

For each artifact a dream created and a person applied, count how often its
trigger recurred in sessions before versus after the apply time. The trigger is
what the artifact's evidence was about:

- path guards (hooks, path-scoped rules): edits of files under its globs;
- statements (memories, instincts, rules): user corrections similar to its text
  or rejecting the same thing ("not:npm");
- skills/commands: the procedure performed with a person correcting a step.

Figures are per session so sessions of different lengths compare fairly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reverie.dreamer import hooks
from reverie.dreamer.artifact_text import negated_words
from reverie.dreamer.commands import EDIT_TOOLS
from reverie.dreamer.model import SessionSignals
from reverie.dreamer.wording import similarity, tokens
from reverie.store.models import Artifact

if TYPE_CHECKING:
    from reverie.store.store import Store


@dataclass
class Effect:
    artifact_id: str
    name: str
    kind: str
    applied_at: str
    trigger: str
    sessions_before: int = 0
    sessions_after: int = 0
    recurred_before: int = 0
    recurred_after: int = 0

    def to_dict(self) -> dict[str, Any]:
        def rate(n: int, d: int) -> float | None:
            return round(n / d, 3) if d else None

        return {
            "artifact": self.artifact_id,
            "name": self.name,
            "kind": self.kind,
            "applied_at": self.applied_at,
            "trigger": self.trigger,
            "sessions_before": self.sessions_before,
            "sessions_after": self.sessions_after,
            "recurred_before": self.recurred_before,
            "recurred_after": self.recurred_after,
            "rate_before": rate(self.recurred_before, self.sessions_before),
            "rate_after": rate(self.recurred_after, self.sessions_after),
        }


def applied_times(store: Store) -> dict[str, str]:
    """proposal id → time of the first apply operation that included it."""
    out: dict[str, str] = {}
    for op in reversed(store.log()):
        if op.kind == "apply":
            for pid in (op.data or {}).get("proposals", []):
                out.setdefault(pid, op.created_at)
    return out


def _recurs(art: Artifact, sig: SessionSignals) -> bool:
    globs = list(art.paths)
    if art.kind == "hook":
        globs = [g for g in _globs_in(art.body)]
    if globs:
        return any(c.tool in EDIT_TOOLS and hooks.path_matches(c.target, globs) for c in sig.tool_calls)
    if art.kind in ("skill", "command"):
        raw = art.meta.get("steps")
        steps = {s.get("norm") for s in raw if isinstance(s, dict)} if isinstance(raw, list) else set()
        return any(p.corrected and steps & {s.norm for s in p.steps} for p in sig.procedures)
    body_toks = tokens(art.body)
    rejected = negated_words(art.body)
    for st in sig.statements:
        if st.kind == "external":
            continue
        keys = {k.a for k in st.keys if k.kind == "not"}
        if (rejected & keys) or similarity(tokens(st.line), body_toks) >= 0.5:
            return True
    return False


def _globs_in(script: str) -> list[str]:
    import ast
    import re

    m = re.search(r"^GLOBS = (\[.*\])$", script, re.M)
    if not m:
        return []
    try:
        val = ast.literal_eval(m.group(1))
    except (ValueError, SyntaxError):
        return []
    return [str(g) for g in val] if isinstance(val, list) else []


def trigger_of(art: Artifact) -> str:
    if art.kind == "hook" and _globs_in(art.body):
        return "edits under " + ", ".join(_globs_in(art.body))
    if art.paths:
        return "edits under " + ", ".join(art.paths)
    if art.kind in ("skill", "command"):
        return "the procedure needed a correction"
    return "a similar correction by the user"


def compute_effects(store: Store, signals: list[SessionSignals]) -> list[Effect]:
    times = applied_times(store)
    out = []
    for art in store.active_artifacts():
        applied = times.get(art.origin)
        if not applied:
            continue
        eff = Effect(art.id, art.name, art.kind, applied, trigger_of(art))
        for sig in signals:
            started = sig.started_at
            after = bool(started) and started >= applied
            hit = _recurs(art, sig)
            if after:
                eff.sessions_after += 1
                eff.recurred_after += hit
            else:
                eff.sessions_before += 1
                eff.recurred_before += hit
        out.append(eff)
    return out
