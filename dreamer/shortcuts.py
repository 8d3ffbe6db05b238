"""Refused shortcuts: the person turns down a way around a problem and asks for the problem itself to be fixed.

Why a class of its own: a one-session correction is a lesson only when it says
why it lasts. Refusing a shortcut does: "don't just push the migrations through
by hand, fix the actual problem in the pipeline", or answering the agent's "skip
the hook (--no-verify) or fix the findings?" with "main was clean; fix the
issues", states how this project's problems are handled, not a step of one task.
Two shapes, both read here:

- an **answer** to the agent's multiple-choice question (Claude Code's
  ``AskUserQuestion``; the answers come back in the tool result) that goes
  against an offered option bypassing a check (`lexicon.CHECK_BYPASS`);
- a **workaround refused** in the person's own words: "don't just X … fix the
  actual / real / root / underlying problem" (`lexicon.WORKAROUND_REFUSED`).

Every other answer is a choice for the task at hand and stays out (``--explain``
shows it as such).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from reverie.dreamer.lexicon import CHECK_BYPASS, NEG, WORKAROUND_REFUSED

QUESTION_TOOLS = frozenset({"AskUserQuestion"})
"""Tools whose result carries the person's answers to the agent's own questions."""
_ANSWERED = re.compile(r"^\s*User has answered your questions?:", re.I)
_PAIR = re.compile(r'"(?P<q>(?:[^"]|"(?!="))+)"="(?P<a>.*?)"(?=\s*,\s*"|\s*\.\s*You can|\s*\.?\s*$)', re.S)


@dataclass(frozen=True, slots=True)
class Answer:
    """One question the agent asked, the options it offered (labels) and what the person answered."""

    question: str
    answer: str
    options: tuple[str, ...]


def answers(call_input: dict[str, Any], result_text: str) -> list[Answer]:
    """The person's answers in a question tool's result, each with the options the agent had offered."""
    if not _ANSWERED.match(result_text or ""):
        return []
    offered: dict[str, tuple[str, ...]] = {}
    for q in call_input.get("questions") or ():
        if isinstance(q, dict):
            labels = tuple(
                str(o.get("label") or "") for o in q.get("options") or () if isinstance(o, dict) and o.get("label")
            )
            offered[str(q.get("question") or "")[:200]] = labels
    out = []
    for m in _PAIR.finditer(result_text[:8000]):
        question, answer = m.group("q").strip(), " ".join(m.group("a").split())
        if answer:
            out.append(Answer(question, answer, offered.get(question[:200], ())))
    return out


def refused_option(a: Answer) -> str | None:
    """The offered option that bypasses a check when the person answered otherwise (None when they took it)."""
    bypass = [o for o in a.options if CHECK_BYPASS.search(o)]
    if len(bypass) != 1 or len(a.options) < 2:
        return None
    chosen = a.answer.strip().lower()
    if chosen == bypass[0].strip().lower():
        return None
    if CHECK_BYPASS.search(a.answer) and not NEG.search(a.answer):
        return None  # a typed answer that takes the shortcut after all ("yes, skip the hook this once")
    return bypass[0]


def answer_lesson(a: Answer) -> str | None:
    """ "Do not skip hook (--no-verify): main was clean; fix the issues." — the refused option, the answer as why."""
    refused = refused_option(a)
    if refused is None:
        return None
    act = refused.strip().rstrip(".")
    why = a.answer.strip().rstrip(".")
    line = f"Do not {act[0].lower()}{act[1:]}"
    if why.lower() not in {o.strip().lower() for o in a.options} or len(why.split()) >= 3:
        line += f": {why[0].lower()}{why[1:]}"
    return line + "."


def workaround_lesson(text: str) -> tuple[str, str] | None:
    """(lesson, the words it came from) of a refused workaround, or None."""
    m = WORKAROUND_REFUSED.search(" ".join((text or "").split()))
    if m is None:
        return None
    act = m.group("act").strip().rstrip(" ,")
    fix = m.group("fix").strip().rstrip(" ,")
    return f"Do not {act}: {fix[0].lower()}{fix[1:]}.", m.group(0)
