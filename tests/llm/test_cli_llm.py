"""`reverie dream --engine llm --json` and `reverie status --json` with the fake server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.llm.conftest import point_llm_at
from tests.llm.fake_openai import FakeOpenAI
from tests.llm.test_dream_integration import answer

pytestmark = pytest.mark.usefixtures("litellm_module")
cli = pytest.importorskip("reverie.console.cli", reason="console.cli not built yet")
scenarios = pytest.importorskip("reverie.dreamer.scenarios", reason="dreamer.scenarios not built yet")
pytest.importorskip("reverie.console.cmd_dream", reason="reverie dream not built yet")


def test_dream_json_stdout_is_one_document_and_status_shows_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ws, transcripts = tmp_path / "ws", tmp_path / "t"
    transcripts.mkdir()
    scenarios.build_scenario("repeated_correction", ws, transcripts=transcripts)
    with FakeOpenAI(answer, prompt_tokens=250, completion_tokens=20) as server:
        point_llm_at(monkeypatch, server.api_base)
        code = cli.main(
            [
                "dream",
                "--workspace",
                str(ws),
                "--transcripts",
                str(transcripts),
                "--engine",
                "llm",
                "--model",
                "openai/fake-model",
                "--json",
                "--no-progress",
            ]
        )
        captured = capsys.readouterr()
        calls = server.count
    assert code == 0, captured.err
    doc = json.loads(captured.out)  # litellm printed nothing on stdout
    assert doc["engine"] == "llm" and doc["proposals"]
    assert calls >= 2

    assert cli.main(["status", "--workspace", str(ws), "--json"]) == 0
    status = capsys.readouterr().out
    assert str(250 * calls) in status  # the prompt tokens of the dream reach `reverie status`

    # a wrong endpoint: one line on stderr, exit 1, no traceback ([llm] options come from config.toml)
    config = ws / ".reverie" / "config.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[llm]\nnum_retries = 0\n", encoding="utf-8")
    monkeypatch.setenv("REVERIE_LLM_API_BASE", f"http://127.0.0.1:{server.port}/v1")
    (transcripts / "extra").mkdir()
    scenarios.build_scenario("noise", ws, transcripts=transcripts / "extra", day0=9)
    code = cli.main(
        [
            "dream",
            "--workspace",
            str(ws),
            "--transcripts",
            str(transcripts),
            "--engine",
            "llm",
            "--model",
            "openai/other-model",
            "--json",
            "--no-progress",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "llm engine" in captured.err and "Traceback" not in captured.err
