"""Clusters of statements: the same lesson said in several sessions, in different words.

Why apart: consolidation, staleness and procedures all read clusters; keeping the
grouping (shared keys such as `not npm` or `forbid db/migrations/generated`, or
token-set similarity) in one module lets each of them change without the others.

Why an index: comparing every statement with every cluster is quadratic in the
history. A statement is compared only with the clusters that share one of its
keys or one of its content words (an inverted index); two statements with no
word and no key in common have similarity 0 anyway, so nothing is missed — only
words carried by a large share of all clusters (near-stopwords) are not used
to look candidates up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reverie.dreamer.model import Key, Statement
from reverie.dreamer.wording import has_word, quote, similarity, tokens
from reverie.store.models import Evidence

MIN_SESSIONS_DURABLE = 2
MIN_SESSIONS_PROCEDURE = 3
DUPLICATE_SIMILARITY = 0.6
CLUSTER_SIMILARITY = 0.5
_COMMON_WORD = 200
"""A word carried by more clusters than this is not used to find candidates."""


@dataclass
class Cluster:
    statements: list[Statement] = field(default_factory=list)
    keys: set[Key] = field(default_factory=set)
    toks: frozenset[str] = frozenset()
    _polarity: str = ""

    @property
    def sessions(self) -> list[str]:
        return sorted({s.session_id for s in self.statements})

    @property
    def latest(self) -> str:
        return max(s.ts for s in self.statements)

    @property
    def first(self) -> str:
        return min(s.ts for s in self.statements)

    def add(self, st: Statement) -> None:
        self.statements.append(st)
        self.keys |= st.keys
        self.toks = self.toks | tokens(st.line)
        self._polarity = ""

    def best_similarity(self, toks: frozenset[str]) -> float:
        """Similarity to the cluster: its whole vocabulary, or its closest recent statement
        (a short restatement should not be drowned by a long first wording)."""
        best = similarity(toks, self.toks)
        for s in self.statements[-8:]:
            best = max(best, similarity(toks, tokens(s.line)))
        return best

    def pairs(self) -> list[tuple[str, str]]:
        """(preferred, rejected) of every `use X over Y` key."""
        return [(k.a, k.b) for k in self.keys if k.kind == "use" and k.b]

    def rejected(self) -> list[str]:
        return sorted(k.a for k in self.keys if k.kind == "not" and len(k.a) > 1)

    def swaps(self) -> list[tuple[str, str]]:
        return [(k.a, k.b) for k in self.keys if k.kind == "sub"]

    def representative(self) -> Statement:
        pairs = self.pairs()
        dirs = self.forbid_dirs()

        def score(s: Statement) -> tuple[int, int, str]:
            low = s.line.lower()
            explicit = any(k.kind == "use" for k in s.keys)
            # the line that carries the whole lesson: both sides of "use X not Y", or the guarded path
            contrast = any(has_word(low, a) and has_word(low, b) for a, b in pairs)
            # the guarded folder itself, not one file in it ("never edit anything under gen/" over
            # "you changed gen/0043.sql again")
            names_dir = any(names_folder(low, d) for d in dirs)
            return (
                3 * explicit + 2 * contrast + 2 * names_dir + 2 * s.general + s.strong - 3 * s.temporal,
                -len(s.line) // 80,
                s.ts,
            )

        return max(self.statements, key=score)

    def polarity(self) -> str:
        if not self._polarity:
            counts: dict[str, int] = {}
            for s in self.statements:
                counts[s.polarity] = counts.get(s.polarity, 0) + 1
            self._polarity = max(sorted(counts), key=lambda k: counts[k])
        return self._polarity

    def forbid_dirs(self) -> list[str]:
        """Guarded paths; one inside another guarded folder adds nothing."""
        found = {k.a for k in self.keys if k.kind == "forbid"}
        return sorted(p for p in found if not any(p.startswith(q.rstrip("/") + "/") for q in found if q != p))


def names_folder(line: str, folder: str) -> bool:
    """`line` names `folder` itself ("under db/gen/"), not only a file inside it ("db/gen/0043.sql")."""
    return re.search(re.escape(folder.lower().rstrip("/")) + r"(?!/?[\w-])", line.lower()) is not None


def names_file_in(line: str, folder: str) -> bool:
    """`line` names a file or folder inside `folder` ("db/gen/0043.sql" for "db/gen")."""
    return re.search(re.escape(folder.lower().rstrip("/")) + r"/[\w-]", line.lower()) is not None


def _forbid_overlap(a: set[Key], b: set[Key]) -> bool:
    """A guarded file inside a guarded folder is the same lesson."""
    fa = [k.a for k in a if k.kind == "forbid"]
    fb = [k.a for k in b if k.kind == "forbid"]
    return any(x.startswith(y + "/") or y.startswith(x + "/") for x in fa for y in fb)


def evidence_of(st: Statement) -> Evidence:
    return Evidence(
        session_id=st.session_id,
        event_uuid=st.uuid,
        timestamp=st.ts,
        trust=st.trust or "user",
        quote=quote(st.text, 200),
        agent=st.agent,
    )


class _Index:
    """Which clusters carry a key or a content word."""

    def __init__(self) -> None:
        self.by_key: dict[Key, set[int]] = {}
        self.by_word: dict[str, set[int]] = {}
        self.forbid: list[tuple[str, int]] = []

    def add(self, idx: int, keys: set[Key] | frozenset[Key], toks: frozenset[str]) -> None:
        for k in keys:
            self.by_key.setdefault(k, set()).add(idx)
            if k.kind == "forbid":
                self.forbid.append((k.a, idx))
        for w in toks:
            self.by_word.setdefault(w, set()).add(idx)

    def candidates(self, keys: frozenset[Key], toks: frozenset[str]) -> set[int]:
        out: set[int] = set()
        for k in keys:
            out |= self.by_key.get(k, set())
            if k.kind == "forbid":
                out |= {i for p, i in self.forbid if p.startswith(k.a + "/") or k.a.startswith(p + "/")}
        for w in toks:
            hits = self.by_word.get(w)
            if hits and len(hits) <= _COMMON_WORD:
                out |= hits
        return out


def cluster_statements(statements: list[Statement]) -> list[Cluster]:
    clusters: list[Cluster] = []
    index = _Index()
    for st in statements:
        keys = st.keys
        toks = tokens(st.line)
        opposite = {o for k in keys if (o := k.opposite()) is not None}
        best, best_score = None, 0.0
        for idx in sorted(index.candidates(keys, toks)):
            cl = clusters[idx]
            if cl.polarity() == "must_not" and st.polarity in ("use", "prefer") and not (keys & cl.keys):
                continue
            if opposite & cl.keys:
                continue  # the opposite lesson: kept apart so the newer one can win
            shared = keys & cl.keys or _forbid_overlap(set(keys), cl.keys)
            score = 1.0 if shared else cl.best_similarity(toks)
            if score > best_score:
                best, best_score = idx, score
        if best is not None and best_score >= CLUSTER_SIMILARITY:
            clusters[best].add(st)
            index.add(best, keys, toks)
        else:
            cl = Cluster()
            cl.add(st)
            clusters.append(cl)
            index.add(len(clusters) - 1, keys, toks)
    return clusters


def resolve_conflicting_clusters(clusters: list[Cluster]) -> list[Cluster]:
    """ "use X not Y" vs "use Y not X": the cluster with the newer evidence wins."""
    owners: dict[tuple[str, str], list[int]] = {}
    for i, cl in enumerate(clusters):
        for pair in cl.pairs():
            owners.setdefault(pair, []).append(i)
    drop: set[int] = set()
    for (a, b), mine in sorted(owners.items()):
        for i in mine:
            for j in owners.get((b, a), []):
                if i >= j or i in drop or j in drop:
                    continue
                loser, winner = (i, clusters[j]) if clusters[i].latest < clusters[j].latest else (j, clusters[i])
                drop.add(loser)
                winner.statements[-1].superseded.append(clusters[loser].representative().line)
    return [c for k, c in enumerate(clusters) if k not in drop]
