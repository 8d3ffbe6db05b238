"""Where the engine's model, endpoint and options come from."""

from __future__ import annotations

from pathlib import Path

import pytest

from reverie.dreamer.engines.llm import engine_from_config
from reverie.store.errors import ReverieError, UsageError


def write_config(ws: Path, text: str) -> None:
    (ws / ".reverie").mkdir(exist_ok=True)
    (ws / ".reverie" / "config.toml").write_text(text, encoding="utf-8")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("REVERIE_MODEL", "REVERIE_LLM_API_BASE", "REVERIE_LLM_API_KEY", "MY_LLM_KEY"):
        monkeypatch.delenv(var, raising=False)


def test_model_precedence_cli_env_config(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(workspace, '[llm]\nmodel = "ollama/llama3.1"\napi_base = "http://localhost:11434"\nmax_sessions = 7\n')
    engine = engine_from_config(workspace)
    assert engine.model == "ollama/llama3.1"
    assert engine.api_base == "http://localhost:11434"
    assert engine.options["max_sessions"] == 7
    monkeypatch.setenv("REVERIE_MODEL", "anthropic/claude-haiku")
    monkeypatch.setenv("REVERIE_LLM_API_BASE", "http://127.0.0.1:9/v1")
    engine = engine_from_config(workspace)
    assert (engine.model, engine.api_base) == ("anthropic/claude-haiku", "http://127.0.0.1:9/v1")
    assert engine_from_config(workspace, model="openai/gpt-4o-mini").model == "openai/gpt-4o-mini"


def test_key_comes_from_env_never_from_the_file(workspace: Path, monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    write_config(workspace, '[llm]\nmodel = "m"\napi_key = "sk-committed-by-mistake"\napi_key_env = "MY_LLM_KEY"\n')
    assert engine_from_config(workspace)._api_key is None
    assert any("ignoring api_key" in r.getMessage() for r in caplog.records)
    monkeypatch.setenv("MY_LLM_KEY", "from-env")
    assert engine_from_config(workspace)._api_key == "from-env"
    monkeypatch.setenv("REVERIE_LLM_API_KEY", "reverie-env")
    assert engine_from_config(workspace)._api_key == "reverie-env"


def test_no_model_anywhere_is_a_usage_error(workspace: Path) -> None:
    with pytest.raises(UsageError, match="--model"):
        engine_from_config(workspace)


def test_broken_config_is_one_line_naming_the_file(workspace: Path) -> None:
    write_config(workspace, "[llm\nmodel = ")
    with pytest.raises(ReverieError, match=r"config\.toml"):
        engine_from_config(workspace, model="m")
    write_config(workspace, 'llm = "not a table"\n')
    with pytest.raises(ReverieError, match=r"\[llm\] must be a table"):
        engine_from_config(workspace, model="m")
