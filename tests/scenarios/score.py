"""Score a dream against a scenario: which expectations were met, which proposals were right.

Why one place: the scenario tests and the benchmark must count precision and
recall the same way for the authored and the held-out suites.

- recall: expected outcomes (`Scenario.expect`) matched by at least one proposal;
- precision: proposals that match an expectation, or that mention a guarded
  word and satisfy the guard, over all proposals. Anything else a dream
  proposes for a scenario is counted as noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reverie.dreamer.scenarios.catalog import Scenario


@dataclass
class Score:
    expected: int = 0
    found: int = 0
    proposals: int = 0
    correct: int = 0
    missed: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    guard_violations: list[str] = field(default_factory=list)
    over_limit: bool = False

    def add(self, other: Score) -> None:
        self.expected += other.expected
        self.found += other.found
        self.proposals += other.proposals
        self.correct += other.correct

    @property
    def recall(self) -> float | None:
        return round(self.found / self.expected, 3) if self.expected else None

    @property
    def precision(self) -> float | None:
        return round(self.correct / self.proposals, 3) if self.proposals else None

    @property
    def passed(self) -> bool:
        return not self.missed and not self.guard_violations and not self.over_limit


def _text(p: dict[str, Any]) -> str:
    return (str(p.get("title", "")) + "\n" + str(p.get("body", ""))).lower()


def score(scenario: Scenario, proposals: list[dict[str, Any]]) -> Score:
    s = Score(expected=len(scenario.expect), proposals=len(proposals))
    for e in scenario.expect:
        if any(e.matches(p) for p in proposals):
            s.found += 1
        else:
            s.missed.append(repr(e))
    for p in proposals:
        good = any(e.matches(p) for e in scenario.expect) or any(
            g.mentions in _text(p) and g.then.matches(p) for g in scenario.guards
        )
        s.correct += good
        if not good:
            s.unexpected.append(f"{p.get('action')} {p.get('kind')}: {p.get('title')}")
        s.guard_violations += [f"{p.get('title')} mentions {g.mentions!r}" for g in scenario.guards if g.violated_by(p)]
    s.over_limit = scenario.max_proposals is not None and len(proposals) > scenario.max_proposals
    return s


def dream_scenario(build: Callable[[str, Path], Scenario], name: str, ws: Path) -> tuple[Scenario, dict[str, Any]]:
    """Build scenario `name` into `ws` with `build`, init a store there and dream once.

    Returns the scenario and the `reverie dream --json` document. One helper so
    the tests and the benchmark dream exactly the same way.
    """
    from reverie.dreamer.dream import run_dream
    from reverie.store.store import Store

    scenario = build(name, ws)
    store = Store.open(ws, create=True)
    try:
        store.init()
        doc = run_dream(store).to_json()
    finally:
        store.close()
    return scenario, doc
