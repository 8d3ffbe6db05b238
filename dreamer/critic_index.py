"""Indexes that let the critics compare N proposals without comparing every pair.

Why: `contradiction_drift` and `context_pollution` ask, for each proposal, which
other proposal or artifact line it contradicts or duplicates *first* (in the
candidate's order). Comparing every pair made 10,000 proposals take longer than
anyone waits. Both questions have a cheap necessary condition, so each proposal
is checked exactly (same functions as before) against only the items that meet
it, in order, stopping at the first real hit:

- a contradiction over word `w` needs `w` negated in one line and mentioned
  positively in the other: lines are indexed by the words they negate and by
  the negatable words they mention positively;
- a duplicate needs token-set similarity ≥ 0.8, hence an overlap of ≥ 80 % of
  the smaller set, hence a shared token among the smaller set's rarest
  `n - ceil(0.8 n) + 1` tokens (prefix filtering, as in set-similarity joins).

Items are numbered in the order the critics must visit them; posting lists are
kept in that order, and `candidates` merges them lazily (`heapq.merge`), so the
first real hit usually ends the walk after a handful of items.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from reverie.dreamer.artifact_text import mentions_positively, negated_words
from reverie.dreamer.wording import tokens

_RUN = re.compile(r"[\w-]+")
DUPLICATE_SIMILARITY = 0.8


def runs(line: str) -> set[str]:
    """The maximal `[\\w-]+` runs of a line, lower-case."""
    return set(_RUN.findall(line.lower()))


def _first_run(word: str) -> str | None:
    m = _RUN.search(word)
    return m.group(0) if m else None


def _in_order(lists: Iterable[list[int]]) -> Iterator[int]:
    """The union of ascending lists, ascending, each item once."""
    last = -1
    for i in heapq.merge(*lists):
        if i != last:
            last = i
            yield i


class ConflictIndex:
    """Items (numbered in visiting order) with a line that could contradict a given line.

    A contradiction over `w` needs `w` negated in one line and mentioned
    positively in the other. Every word any indexed or queried line negates is
    known up front (`negatable`), so each line is indexed by the exact words it
    negates and the exact negatable words it mentions positively.
    """

    def __init__(self, negatable: Iterable[str]) -> None:
        self.by_run: dict[str, list[str]] = defaultdict(list)
        for w in sorted(set(negatable)):
            first = _first_run(w)
            if first is not None:
                self.by_run[first].append(w)
        self.positive: dict[str, list[int]] = defaultdict(list)
        self.negating: dict[str, list[int]] = defaultdict(list)

    def _mentioned(self, line: str) -> set[str]:
        """The negatable words `line` mentions positively."""
        return {w for r in runs(line) for w in self.by_run.get(r, ()) if mentions_positively(line, w)}

    def add(self, item: int, lines: Sequence[str]) -> None:
        """Index item `item` (call in ascending order of `item`)."""
        negated: set[str] = set()
        mentioned: set[str] = set()
        for line in lines:
            negated |= negated_words(line)
            mentioned |= self._mentioned(line)
        for w in negated:
            self.negating[w].append(item)
        for w in mentioned:
            self.positive[w].append(item)

    def candidates(self, lines: Sequence[str]) -> Iterator[int]:
        """Items with a line `l` such that `conflict_word(a, l) or conflict_word(l, a)` may hold for a line `a`
        of `lines`, ascending."""
        lists: list[list[int]] = []
        for line in lines:
            lists.extend(self.positive[w] for w in negated_words(line) if w in self.positive)
            lists.extend(self.negating[w] for w in self._mentioned(line) if w in self.negating)
        return _in_order(lists)


@dataclass
class DuplicateIndex:
    """Items (numbered in visiting order) that could have token-set similarity ≥ 0.8 with a given text."""

    freq: Counter[str]
    larger: dict[tuple[str, int], list[int]] = field(default_factory=lambda: defaultdict(list))
    """(token, set size) → items holding the token, for a probe whose set is the smaller one."""
    by_prefix: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    """Token → items with that token among their prefix, for a probe whose set is the larger one."""
    size: dict[int, int] = field(default_factory=dict)
    sizes: set[int] = field(default_factory=set)

    @classmethod
    def over(cls, texts: Iterable[str]) -> DuplicateIndex:
        """An empty index whose token order (rarest first) is the frequencies in `texts`."""
        freq: Counter[str] = Counter()
        for t in texts:
            freq.update(tokens(t))
        return cls(freq)

    def prefix(self, toks: frozenset[str]) -> list[str]:
        n = len(toks)
        keep = n - math.ceil(DUPLICATE_SIMILARITY * n - 1e-9) + 1
        return sorted(toks, key=lambda t: (self.freq.get(t, 0), t))[:keep]

    def add(self, item: int, text: str) -> None:
        """Index item `item` (call in ascending order of `item`)."""
        toks = tokens(text)
        if not toks:
            return
        n = len(toks)
        self.size[item] = n
        self.sizes.add(n)
        for t in toks:
            self.larger[(t, n)].append(item)
        for t in self.prefix(toks):
            self.by_prefix[t].append(item)

    def candidates(self, text: str) -> Iterator[int]:
        """Items that may be ≥ 0.8 similar to `text` (the smaller of the two sets shares a prefix token), ascending."""
        toks = tokens(text)
        if not toks:
            return iter(())
        n = len(toks)
        lists: list[list[int]] = []
        bigger = [m for m in self.sizes if m >= n]
        for t in self.prefix(toks):  # `text` is the smaller set
            lists.extend(self.larger[(t, m)] for m in bigger if (t, m) in self.larger)
        smaller = [i for t in toks for i in self.by_prefix.get(t, ()) if self.size[i] < n]  # the item is smaller
        if smaller:
            lists.append(sorted(set(smaller)))
        return _in_order(lists)
