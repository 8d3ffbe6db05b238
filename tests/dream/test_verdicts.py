"""Clean verdicts kept between dreams: a dream over nothing new judges its texts without loading kingfisher.

Only texts the whole redactor found clean are remembered, as keyed hashes tied to the
redactor's fingerprint; a text with a credential is judged again every time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reverie.dreamer import redact as R
from reverie.dreamer.dream import run_dream
from reverie.dreamer.redact import Verdicts, find_secrets, redact, redact_many, remembered_verdicts, scan_many
from reverie.dreamer.scenarios import build_scenario
from reverie.store.store import Store
from tests.security.corpus import SECRETS

CLEAN = ["Run `make test` before pushing.", "Use the Makefile targets.", "prefer pnpm over npm in web/"]


def _no_scanning(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("scanned although the verdict was known")

    monkeypatch.setattr(R, "_scan_distinct", refuse)
    monkeypatch.setattr(R, "_spans", refuse)


def test_clean_texts_are_remembered_and_trusted_without_a_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    R._kingfisher()
    R._memo.clear()
    first = Verdicts()
    with remembered_verdicts(first):
        assert redact_many(CLEAN) == CLEAN
        assert [find_secrets(t) for t in CLEAN] == [[], [], []]
    assert len(first.used) == len(CLEAN)
    R._memo.clear()
    again = Verdicts(first.used)
    _no_scanning(monkeypatch)
    with remembered_verdicts(again):
        assert scan_many(CLEAN) == [[], [], []]
        assert [redact(t) for t in CLEAN] == CLEAN
    assert again.used == first.used
    with pytest.raises(AssertionError):  # outside the block nothing is trusted
        scan_many(["Use the Makefile targets. (outside)"])


def test_a_text_holding_a_credential_is_never_remembered() -> None:
    R._memo.clear()
    texts = [s.text for s in SECRETS[:20]]
    verdicts = Verdicts()
    with remembered_verdicts(verdicts):
        out = redact_many(texts)
        singles = [redact(t) for t in texts]
    assert verdicts.used == set()
    assert all(s.value not in o for s, o in zip(SECRETS[:20], out, strict=True))
    assert out == singles


def test_verdicts_of_another_redactor_are_not_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    R._memo.clear()
    old = Verdicts()
    with remembered_verdicts(old):
        scan_many(CLEAN)
    monkeypatch.setattr(R, "fingerprint", lambda: "ab" * 32)  # a new rule or kingfisher build
    newer = Verdicts(old.used)
    assert not any(newer.clean(t) for t in CLEAN)


def test_without_kingfisher_nothing_is_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(R, "_scanner", None)
    verdicts = Verdicts()
    verdicts.found_clean("built-in rules only")
    assert verdicts.used == set() and not verdicts.clean("built-in rules only")


def test_a_second_dream_over_nothing_new_needs_no_scanner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = tmp_path / "ws"
    for name in ("repeated_correction", "release_procedure"):
        build_scenario(name, ws)
    store = Store.open(ws, create=True)
    store.init()
    try:
        first = run_dream(store)
        R._memo.clear()
        _no_scanning(monkeypatch)
        second = run_dream(store)
    finally:
        store.close()
    assert first.proposals and [(p.title, p.body) for p in second.proposals] == [
        (p.title, p.body) for p in first.proposals
    ]
