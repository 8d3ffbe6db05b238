"""Refused shortcuts (dreamer/shortcuts.py): a way around a check turned down is a lesson; a choice for the task is not."""

from __future__ import annotations

import pytest

from reverie.dreamer.shortcuts import Answer, answer_lesson, answers, refused_option, workaround_lesson
from reverie.dreamer.signals import extract
from tests.dream.helpers import Session

QUESTION = "The type checker fails on two files this branch never touched. What now?"
OPTIONS = {
    "questions": [
        {
            "question": QUESTION,
            "header": "Types",
            "options": [
                {"label": "Add type: ignore comments", "description": "silence the two errors"},
                {"label": "Fix the types", "description": "correct the annotations"},
            ],
            "multiSelect": False,
        }
    ]
}


def result_text(answer: str, question: str = QUESTION) -> str:
    return f'User has answered your questions: "{question}"="{answer}". You can now continue with the user\'s answers in mind.'


def test_answers_pair_each_question_with_its_offered_options() -> None:
    [a] = answers(OPTIONS, result_text("they were green on trunk, fix them"))
    assert a.answer == "they were green on trunk, fix them"
    assert a.options == ("Add type: ignore comments", "Fix the types")


def test_answers_need_the_tool_s_own_preamble() -> None:
    assert answers(OPTIONS, f'"{QUESTION}"="fix them"') == []


@pytest.mark.parametrize(
    "answer,refused",
    [
        ("they were green on trunk, fix them", "Add type: ignore comments"),
        ("Fix the types", "Add type: ignore comments"),
        ("Add type: ignore comments", None),  # took the shortcut
        ("ok, ignore the checks this once", None),  # a typed answer that takes it after all
    ],
)
def test_refused_option(answer: str, refused: str | None) -> None:
    assert refused_option(Answer(QUESTION, answer, ("Add type: ignore comments", "Fix the types"))) == refused


def test_a_choice_without_a_bypass_option_is_not_a_lesson() -> None:
    design = Answer("Which layout?", "the sidebar one", ("Sidebar layout", "Top bar layout"))
    assert answer_lesson(design) is None
    assert answer_lesson(Answer("Skip the mockups?", "no", ("Skip mockups for now", "Make mockups"))) is None


def test_answer_lesson_says_what_not_to_do_and_why() -> None:
    line = answer_lesson(Answer(QUESTION, "they were green on trunk, fix them", OPTIONS_LABELS))
    assert line == "Do not add type: ignore comments: they were green on trunk, fix them."


OPTIONS_LABELS = ("Add type: ignore comments", "Fix the types")


@pytest.mark.parametrize(
    "text,lesson",
    [
        (
            "the deploy job failed again. don't just rerun the job until it passes, fix the real cause of the timeout",
            "Do not rerun the job until it passes: fix the real cause of the timeout.",
        ),
        (
            "Please dont just bump the retry count. Find the root cause of the flaky upload first.",
            "Do not bump the retry count: find the root cause of the flaky upload first.",
        ),
    ],
)
def test_workaround_refused(text: str, lesson: str) -> None:
    got = workaround_lesson(text)
    assert got is not None and got[0] == lesson


@pytest.mark.parametrize(
    "text",
    [
        "don't just rename it, also update the callers",  # a task step, no cause to fix
        "just fix the actual bug please",  # no workaround refused
        "do not just trust the numbers, verify them",
    ],
)
def test_not_a_refused_workaround(text: str) -> None:
    assert workaround_lesson(text) is None


def test_signals_read_an_answer_refusing_a_bypass_as_the_person_s_lesson() -> None:
    s = Session()
    s.user("commit the refactor")
    s.bash("git commit -m refactor", "mypy: 2 errors", status="error")
    asked = s.tool("AskUserQuestion", OPTIONS, result_text("they were green on trunk, fix them"))
    sig = extract(s.events)
    [st] = [x for x in sig.statements if x.basis == "refused_shortcut"]
    assert st.trust == "user" and st.general and st.polarity == "must_not"
    assert st.line.startswith("Do not add type: ignore comments")
    assert st.uuid == sig.moments[-1].uuid and sig.moments[-1].turn == "answer"
    assert asked is not None


def test_signals_answers_from_a_subagent_or_a_web_page_are_not_the_person_s() -> None:
    s = Session()
    s.tool("AskUserQuestion", OPTIONS, result_text("fix them"), trust="external")
    assert not extract(s.events).statements


def test_signals_a_design_choice_is_a_dropped_moment() -> None:
    s = Session()
    layout = {"questions": [{"question": "Which layout?", "options": [{"label": "Sidebar"}, {"label": "Top bar"}]}]}
    s.tool("AskUserQuestion", layout, result_text("Sidebar", "Which layout?"))
    sig = extract(s.events)
    assert not sig.statements
    [m] = sig.moments
    assert m.decision == "dropped" and "choice" in m.reason


def test_signals_a_workaround_refused_inside_a_task_request_is_kept() -> None:
    s = Session()
    s.user(
        "the nightly import failed on staging, can you look at the logs? dont just rerun the import by hand on "
        "the box, fix the actual reason the scheduler skipped it"
    )
    [st] = extract(s.events).statements
    assert st.basis == "refused_shortcut" and st.line.startswith("Do not rerun the import by hand")
