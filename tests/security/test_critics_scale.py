"""Critics over many proposals: the indexes find what comparing every pair found, with work that grows linearly.

No timing here (benchmarks print times: tests/benchmarks/bench_critics.py);
instead the number of exact comparisons per proposal is counted, which a
return to comparing every pair would multiply by the number of proposals.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import reverie.dreamer.critics as critics
from reverie.dreamer.artifact_text import artifact_lines, conflict_word
from reverie.dreamer.wording import similarity, tokens
from reverie.store.models import Artifact, Evidence, Proposal

TOOLS = ["pnpm", "npm", "yarn", "uv", "pip", "ruff", "black", "pytest", "jest", "make", "docker", "cargo"]


def _proposals(n: int, seed: int) -> list[Proposal]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        a, b = rng.sample(TOOLS, 2)
        shape = rng.random()
        if shape < 0.3:
            body, kind = f"Use {a} for module{i}, not {b}.", "instinct"
        elif shape < 0.5:
            body, kind = f"Never edit files under gen{i}/ by hand.", "rule"
        elif shape < 0.8:
            body, kind = f"The service{i} config lives in conf{i}/ (owner team{i % 17}).", "memory"
        else:
            body, kind = f"Always run `{a} test` before touching area{i}.", "rule"
        if rng.random() < 0.05 and out:  # a restatement of an earlier one
            body, kind = out[rng.randrange(len(out))].body, out[-1].kind
        out.append(
            Proposal(
                id=f"p{i}",
                action="add",
                kind=kind,
                scope="project",
                title=body[:40],
                body=body,
                evidence=[Evidence(f"s{i}", f"e{i}"), Evidence(f"s{i + 1}", f"e{i}b")],
            )
        )
    return out


def _artifacts() -> list[Artifact]:
    lines = "\n".join(f"- Use {t} for everything in area{k}." for k, t in enumerate(TOOLS))
    return [Artifact("a1", "instinct", "project", "notes", lines)]


def _first_conflicts_by_scanning(props: list[Proposal], arts: list[Artifact]) -> list[str | None]:
    """What `contradiction_drift` reported when it compared every pair (kept here as the reference)."""
    out: list[str | None] = []
    for p in props:
        new_lines = [l for l in p.body.splitlines() if l.strip()]
        found = None
        for art in arts:
            for old in artifact_lines(art):
                if any(conflict_word(n, old) or conflict_word(old, n) for n in new_lines):
                    found = f"artifact {art.name}"
                    break
            if found:
                break
        if found is None:
            for other in props:
                if other is p or set(other.replaces) & set(p.replaces):
                    continue
                if any(conflict_word(a, b) or conflict_word(b, a) for a in new_lines for b in other.body.splitlines()):
                    found = f"proposal '{other.title[:60]}'"
                    break
        out.append(found)
    return out


def _first_duplicates_by_scanning(props: list[Proposal]) -> list[str | None]:
    out: list[str | None] = []
    for k, p in enumerate(props):
        hit = next(
            (
                o.title
                for o in props[:k]
                if o.kind == p.kind and similarity(tokens(o.body), tokens(p.body.strip())) >= 0.8
            ),
            None,
        )
        out.append(hit)
    return out


def test_indexed_critics_report_exactly_what_comparing_every_pair_reported(tmp_path: Path) -> None:
    props, arts = _proposals(400, 1), _artifacts()
    expected_conflicts = _first_conflicts_by_scanning(props, arts)
    expected_duplicates = _first_duplicates_by_scanning(props)
    critics.run_critics(props, arts, tmp_path, context_budget=10**9)
    for p, conflict, duplicate in zip(props, expected_conflicts, expected_duplicates, strict=True):
        drift = [l.reason for l in p.labels if l.label == "contradiction_drift"]
        assert bool(drift) == (conflict is not None), (p.body, drift, conflict)
        if conflict is not None:
            assert conflict.split(" ", 1)[1].strip("'") in drift[0]
        dup = [l.reason for l in p.labels if l.label == "context_pollution" and "duplicates proposal" in l.reason]
        assert bool(dup) == (duplicate is not None), (p.body, dup, duplicate)
    assert sum(c is not None for c in expected_conflicts) > 50 and sum(d is not None for d in expected_duplicates) > 5


def _comparisons(n: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> float:
    count = [0]

    def counted_conflict(a: str, b: str) -> str | None:
        count[0] += 1
        return conflict_word(a, b)

    def counted_similarity(a: frozenset[str], b: frozenset[str]) -> float:
        count[0] += 1
        return similarity(a, b)

    monkeypatch.setattr(critics, "conflict_word", counted_conflict)
    monkeypatch.setattr(critics, "similarity", counted_similarity)
    critics.run_critics(_proposals(n, 2), _artifacts(), tmp_path)
    return count[0] / n


def test_exact_comparisons_per_proposal_stay_flat_as_the_candidate_grows(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small, large = _comparisons(300, monkeypatch, tmp_path), _comparisons(2400, monkeypatch, tmp_path)
    with capsys.disabled():
        print(f"\ncritics: {small:.1f} exact comparisons per proposal at 300 proposals, {large:.1f} at 2,400")
    assert large < 2 * small + 5  # comparing every pair would make it ~8x
