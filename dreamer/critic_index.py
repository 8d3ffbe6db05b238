"""Indexes that let the critics compare N proposals without comparing every pair.

Why: `contradiction_drift` and `context_pollution` ask, for each proposal, which
other proposal or artifact line it contradicts or duplicates. Comparing every
pair made 10,000 proposals take longer than anyone waits. Both questions have
a cheap necessary condition, so each proposal is checked exactly (same
functions, same order as before) against only the few candidates that meet it:

- a contradiction over word `w` needs `w` negated in one line and mentioned in
  the other: lines are indexed by the `[\\w-]+` runs they mention and by the
  first run of every word they negate;
- a duplicate needs token-set similarity ≥ 0.8, hence an overlap of ≥ 80 % of
  the smaller set, hence a shared token among the smaller set's rarest
  `n - ceil(0.8 n) + 1` tokens (prefix filtering, as in set-similarity joins).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from reverie.dreamer.artifact_text import negated_words
from reverie.dreamer.wording import tokens

_RUN = re.compile(r"[\w-]+")
DUPLICATE_SIMILARITY = 0.8


def runs(line: str) -> set[str]:
    """The maximal `[\\w-]+` runs of a line, lower-case."""
    return set(_RUN.findall(line.lower()))


def _first_run(word: str) -> str | None:
    m = _RUN.search(word)
    return m.group(0) if m else None


@dataclass
class ConflictIndex:
    """Which owners (proposals or artifacts, by key) have a line that could contradict a given line."""

    mentions: dict[str, set[Hashable]] = field(default_factory=lambda: defaultdict(set))
    negations: dict[str, set[Hashable]] = field(default_factory=lambda: defaultdict(set))

    def add(self, owner: Hashable, lines: Sequence[str]) -> None:
        for line in lines:
            for r in runs(line):
                self.mentions[r].add(owner)
            for w in negated_words(line):
                first = _first_run(w)
                if first is not None:
                    self.negations[first].add(owner)

    def candidates(self, lines: Sequence[str]) -> set[Hashable]:
        """Owners with a line `l` such that `conflict_word(a, l) or conflict_word(l, a)` may hold for some `a` in `lines`."""
        out: set[Hashable] = set()
        for line in lines:
            for w in negated_words(line):
                first = _first_run(w)
                if first is not None:
                    out |= self.mentions.get(first, set())
            for r in runs(line):
                out |= self.negations.get(r, set())
        return out


@dataclass
class DuplicateIndex:
    """Which items could have token-set similarity ≥ 0.8 with a given text (prefix filtering)."""

    freq: Counter[str]
    all_tokens: dict[str, list[Hashable]] = field(default_factory=lambda: defaultdict(list))
    prefix_tokens: dict[str, list[Hashable]] = field(default_factory=lambda: defaultdict(list))
    size: dict[Hashable, int] = field(default_factory=dict)

    @classmethod
    def over(cls, texts: Sequence[str]) -> DuplicateIndex:
        """An empty index whose token order (rarest first) is the frequencies in `texts`."""
        freq: Counter[str] = Counter()
        for t in texts:
            freq.update(tokens(t))
        return cls(freq)

    def prefix(self, toks: frozenset[str]) -> list[str]:
        n = len(toks)
        keep = n - math.ceil(DUPLICATE_SIMILARITY * n - 1e-9) + 1
        return sorted(toks, key=lambda t: (self.freq.get(t, 0), t))[:keep]

    def add(self, item: Hashable, text: str) -> None:
        toks = tokens(text)
        if not toks:
            return
        self.size[item] = len(toks)
        for t in toks:
            self.all_tokens[t].append(item)
        for t in self.prefix(toks):
            self.prefix_tokens[t].append(item)

    def candidates(self, text: str) -> set[Hashable]:
        """Items that may be ≥ 0.8 similar to `text`: the smaller of the two sets shares a prefix token."""
        toks = tokens(text)
        if not toks:
            return set()
        n = len(toks)
        out: set[Hashable] = set()
        for t in self.prefix(toks):  # `text` is the smaller set
            out.update(i for i in self.all_tokens.get(t, ()) if self.size[i] >= n)
        for t in toks:  # the item is the smaller set
            out.update(i for i in self.prefix_tokens.get(t, ()) if self.size[i] < n)
        return out
