"""Opt-in: `dream --engine llm` against a real llama.cpp server with SmolLM2-135M on 127.0.0.1.

Runs when the `.[llm-local]` extra is installed and REVERIE_LLM_LOCAL=1 (a dream
with a real model takes minutes on 2 cores, too long for every run of the
suite); otherwise skipped with the reason. A 135M model often answers badly:
what is checked is that every reply is either validated or skipped with a
logged reason, nothing crashes, stats add up, and a re-dream asks the model
nothing (all from the cache).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from tests.llm.conftest import point_llm_at
from tests.llm.llama_server import LlamaServer, unavailable

pytestmark = [
    pytest.mark.usefixtures("litellm_module"),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or "available"),
    pytest.mark.skipif(
        os.environ.get("REVERIE_LLM_LOCAL") != "1",
        reason="the real local model takes minutes: set REVERIE_LLM_LOCAL=1 to run it",
    ),
]


def test_dream_with_a_real_local_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from reverie.dreamer import dream as dream_mod
    from reverie.dreamer import scenarios
    from reverie.store.core import Store

    ws, transcripts = tmp_path / "ws", tmp_path / "transcripts"
    transcripts.mkdir()
    scenarios.build_scenario("repeated_correction", ws, transcripts=transcripts)
    scenarios.build_scenario("secrets", ws, transcripts=transcripts, day0=3)
    store = Store.open(ws, create=True)
    store.init()
    (ws / ".reverie" / "config.toml").write_text("[llm]\nmax_tokens = 512\ntimeout = 300\n", encoding="utf-8")
    with LlamaServer(log=tmp_path / "llama.log") as server:
        point_llm_at(monkeypatch, server.api_base, "local")
        with caplog.at_level(logging.WARNING):
            first = dream_mod.run_dream(
                store, [transcripts], engine="llm", model="openai/smollm2", options={"home": False}
            )
        s = first.stats
        skipped = [r.getMessage() for r in caplog.records if r.getMessage().startswith("llm: skipped")]
        assert s["llm_local"] is True and s["llm_concurrency"] == 1
        assert s["llm_calls"] >= 1 and s["llm_tokens_completion"] > 0
        # every question was answered with a valid reply or skipped with a reason, never lost
        assert len(skipped) == s["llm_failures"]
        assert all(": " in m for m in skipped)
        again = dream_mod.run_dream(store, [transcripts], engine="llm", model="openai/smollm2", options={"home": False})
        assert again.stats.get("llm_calls", 0) == 0  # everything from the cache
    store.close()
