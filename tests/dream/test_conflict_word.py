"""A contradiction is over a tool both lines name, not over a word one of them uses in passing."""

from __future__ import annotations

import pytest

from reverie.dreamer.artifact_text import conflict_word, tool_words


def test_the_tool_of_a_backticked_command_is_its_program_or_what_a_runner_runs() -> None:
    assert tool_words("When `git push` fails, run `git push --set-upstream origin main`") == {"git"}
    assert tool_words("Format with `npx prettier --write .` and `uv run pytest -q`") == {"prettier", "pytest"}
    assert tool_words("Tests subclass unittest.TestCase") >= {"unittest", "testcase"}


@pytest.mark.parametrize(
    ("new", "old", "word"),
    [
        # a real dev corpus: a refused workaround ("push through the migrations") is not about `git push`
        (
            "Do not push through the migrations by executing them on the server: fix the pipeline.",
            "When `git push` fails, run `git push --set-upstream origin <branch>`.",
            None,
        ),
        ("Use biome, not prettier.", "Run `npx prettier --write .` before committing.", "prettier"),
        ("Do not use yarn.", "Install dependencies with `yarn install`.", "yarn"),
    ],
)
def test_conflict_word(new: str, old: str, word: str | None) -> None:
    assert conflict_word(new, old) == word
