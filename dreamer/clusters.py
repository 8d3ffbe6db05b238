"""Clusters of statements: the same lesson said in several sessions, in different words.

Why apart: consolidation, staleness and procedures all read clusters; keeping the
grouping (shared keys such as "not:npm" or "forbid:db/migrations/generated", or
token-set similarity) in one module lets each of them change without the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from reverie.dreamer.wording import quote, similarity, tokens
from reverie.store.models import Evidence

MIN_SESSIONS_DURABLE = 2
MIN_SESSIONS_PROCEDURE = 3
DUPLICATE_SIMILARITY = 0.6
CLUSTER_SIMILARITY = 0.5


@dataclass
class Cluster:
    statements: list[dict[str, Any]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    toks: frozenset[str] = frozenset()

    @property
    def sessions(self) -> list[str]:
        return sorted({s["session_id"] for s in self.statements})

    @property
    def latest(self) -> str:
        return max(s["ts"] for s in self.statements)

    @property
    def first(self) -> str:
        return min(s["ts"] for s in self.statements)

    _polarity: str = ""

    def add(self, st: dict[str, Any]) -> None:
        self.statements.append(st)
        self.keys |= set(st["keys"])
        self.toks = self.toks | tokens(st["line"])
        self._polarity = ""

    def best_similarity(self, toks: frozenset[str]) -> float:
        """Similarity to the cluster: its whole vocabulary, or its closest recent statement
        (a short restatement should not be drowned by a long first wording)."""
        best = similarity(toks, self.toks)
        for s in self.statements[-8:]:
            best = max(best, similarity(toks, tokens(s["line"])))
        return best

    def representative(self) -> dict[str, Any]:
        pairs = [k[4:].split(">") for k in self.keys if k.startswith("use:") and ">" in k]
        dirs = self.forbid_dirs()

        def score(s: dict[str, Any]) -> tuple:
            low = s["line"].lower()
            explicit = any(k.startswith("use:") for k in s["keys"])
            # the line that carries the whole lesson: both sides of "use X not Y", or the guarded path
            contrast = any(_has_word(low, a) and _has_word(low, b) for a, b in pairs)
            names_dir = any(d.lower() in low for d in dirs)
            return (
                3 * explicit + 2 * contrast + 2 * names_dir + 2 * s["general"] + s["strong"] - 3 * s["temporal"],
                -len(s["line"]) // 80,
                s["ts"],
            )

        return max(self.statements, key=score)

    def polarity(self) -> str:
        if self._polarity:
            return self._polarity
        self._polarity = self._count_polarity()
        return self._polarity

    def _count_polarity(self) -> str:
        counts: dict[str, int] = {}
        for s in self.statements:
            counts[s["polarity"]] = counts.get(s["polarity"], 0) + 1
        return max(sorted(counts), key=lambda k: counts[k])

    def forbid_dirs(self) -> list[str]:
        """Guarded paths; one inside another guarded folder adds nothing."""
        found = {k.split(":", 1)[1] for k in self.keys if k.startswith("forbid:")}
        return sorted(p for p in found if not any(p.startswith(q.rstrip("/") + "/") for q in found if q != p))


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def _forbid_overlap(a: set[str], b: set[str]) -> bool:
    """A guarded file inside a guarded folder is the same lesson."""
    fa = [k[7:] for k in a if k.startswith("forbid:")]
    fb = [k[7:] for k in b if k.startswith("forbid:")]
    return any(x.startswith(y + "/") or y.startswith(x + "/") for x in fa for y in fb)


def evidence_of(st: dict[str, Any]) -> Evidence:
    return Evidence(
        session_id=st["session_id"],
        event_uuid=st.get("uuid", ""),
        timestamp=st.get("ts", ""),
        trust=st.get("trust", "user"),
        quote=quote(st.get("text", ""), 200),
        agent=st.get("agent", ""),
    )


def cluster_statements(statements: list[dict[str, Any]]) -> list[Cluster]:
    clusters: list[Cluster] = []
    for st in statements:
        keys = {k for k in st["keys"] if not k.startswith("sub:")} | {k for k in st["keys"] if k.startswith("sub:")}
        toks = tokens(st["line"])
        best, best_score = None, 0.0
        for cl in clusters:
            if cl.polarity() == "must_not" and st["polarity"] in ("use", "prefer") and not (keys & cl.keys):
                continue
            reversed_pairs = {
                f"use:{k[4:].split('>')[1]}>{k[4:].split('>')[0]}" for k in keys if k.startswith("use:") and ">" in k
            }
            if reversed_pairs & cl.keys:
                continue  # the opposite lesson: kept apart so the newer one can win
            shared = keys & cl.keys or _forbid_overlap(keys, cl.keys)
            score = 1.0 if shared else cl.best_similarity(toks)
            if score > best_score:
                best, best_score = cl, score
        if best is not None and best_score >= CLUSTER_SIMILARITY:
            best.add(st)
        else:
            cl = Cluster()
            cl.add(st)
            clusters.append(cl)
    return clusters


def resolve_conflicting_clusters(clusters: list[Cluster]) -> list[Cluster]:
    """ "use X not Y" vs "use Y not X": the cluster with the newer evidence wins."""
    drop: set[int] = set()
    for i, a in enumerate(clusters):
        for j, b in enumerate(clusters):
            if i >= j or i in drop or j in drop:
                continue
            pa = {tuple(k[4:].split(">")) for k in a.keys if k.startswith("use:")}
            pb = {tuple(k[4:].split(">")) for k in b.keys if k.startswith("use:")}
            if any((y, x) in pb for x, y in pa):
                loser, winner = (i, b) if a.latest < b.latest else (j, a)
                drop.add(loser)
                winner.statements[-1].setdefault("superseded", []).append(clusters[loser].representative()["line"])
    return [c for k, c in enumerate(clusters) if k not in drop]
