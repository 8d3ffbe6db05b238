"""How a kind of work should be done: with a named skill, or handed to a named helper.

Why apart: people steer *how* the agent works by naming the means — "use the
writing clearly skill", "ask Fable to do this analysis", "review it with
Copilot". One such request is a task step; the same means asked for in
several sessions, at least once right after the agent had worked without it,
is how this person wants that kind of work done. This module reads the means
out of one sentence (`method_of`) and writes the lesson of a group of them
(`method_lesson`); consolidation decides whether the evidence is enough
(`clusters.MIN_SESSIONS_DURABLE` sessions, one of them after the agent acted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reverie.dreamer.lexicon import TOOL_WORDS
from reverie.dreamer.wording import STOPWORDS

_SKILL = re.compile(
    r"\bthe\s+(?P<what>[a-z][\w-]*(?:\s+[a-z][\w-]*){0,4}?)\s+skills?\b(?!\s+(?:file|folder|directory|body|list))",
    re.I,
)
"""A named skill ("the writing clearly and concisely skill")."""
_NOT_A_SKILL_NAME = frozenset(
    ["same", "new", "other", "old", "right", "wrong", "whole", "existing", "following", "above", "next", "last"]
)
_ASK = re.compile(r"\b(?:ask|let|have|get|tell)\s+(?P<name>[A-Z][\w-]{2,})\s+(?:to\s+)?(?P<act>[^.?!;]{3,120})")
_WITH = re.compile(r"\b(?:with|using|via|to|by|through)\s+(?P<name>[A-Z][\w-]{2,})\b")
_AS_SUBAGENT = re.compile(r"\b(?:with|using|via)\s+(?P<name>[A-Za-z][\w-]{2,})\s+as\s+an?\s+sub-?agent\b", re.I)
_WORK = (
    (re.compile(r"\binvestigat", re.I), "investigations"),
    (re.compile(r"\broot[- ]cause", re.I), "root-cause analyses"),
    (re.compile(r"\banaly[sz]", re.I), "analyses"),
    (re.compile(r"\breview", re.I), "reviews"),
    (re.compile(r"\bresearch", re.I), "research"),
    (re.compile(r"\baudit", re.I), "audits"),
    (re.compile(r"\bassess", re.I), "assessments"),
    (re.compile(r"\bdiagnos", re.I), "diagnoses"),
)
"""Kinds of work people hand to a helper (thinking work: finding out, judging), as the lesson names them."""
_SUBAGENT = re.compile(r"\bsub-?agents?\b", re.I)
_NOT_A_NAME = frozenset(
    ["The", "This", "That", "These", "Those", "There", "Then", "What", "When", "Where", "Why", "How", "Which", "Who",
     "GitHub", "Github", "Git", "Google", "Windows", "Linux", "Mac", "MacOS", "macOS", "Python", "JavaScript",
     "TypeScript", "Node", "Docker", "Chrome", "Firefox", "Safari", "Monday", "Tuesday", "Wednesday", "Thursday",
     "Friday", "Saturday", "Sunday", "README", "CLAUDE", "AGENTS", "API", "CLI", "JSON", "YAML", "HTML", "CSS", "URL"]
)  # fmt: skip
"""Capitalised words that are places, platforms or formats, not a helper that does work."""


@dataclass(frozen=True, slots=True)
class Method:
    """The means one sentence names: its cluster key (``skill:writing clearly``, ``fable``) and the line."""

    means: str
    line: str


def method_of(sentence: str) -> Method | None:
    """The skill or helper a sentence asks the agent to do work with, or None."""
    text = " ".join(sentence.split())
    if not text or text.rstrip().endswith("?"):
        return None
    skill = _SKILL.search(text)
    if skill:
        words = skill.group("what").replace("-", " ").split()
        words = [w for w in words if w.lower() not in ("a", "an", "the", "our", "my", "your")]
        if words and words[0].lower() not in _NOT_A_SKILL_NAME and len(words) <= 5:
            name = " ".join(w.lower() for w in words)
            key = "skill:" + " ".join(name.split()[:2])
            return Method(key, f"Use the {name} skill.")
    works = [noun for pattern, noun in _WORK if pattern.search(text)]
    if not works:
        return None
    for m in (_AS_SUBAGENT.search(text), _ASK.search(text), *(_WITH.finditer(text))):
        if m is None:
            continue
        name = m.group("name")
        if not _helper_name(name, text, m.start("name")):
            continue
        sub = " as a subagent" if _SUBAGENT.search(text) else ""
        return Method(name.lower(), f"Hand {_join(works)} to {name[0].upper()}{name[1:]}{sub}.")
    return None


def _helper_name(name: str, text: str, at: int) -> bool:
    """A word that names a helper: not the sentence's first word, not a platform, tool or common word."""
    low = name.lower()
    if at == 0 or name in _NOT_A_NAME or low in STOPWORDS or low in TOOL_WORDS:
        return False
    return not text[:at].rstrip().endswith((".", "!", "?", ":"))


_HAND = re.compile(r"^Hand (?P<works>.+?) to (?P<name>[\w-]+)(?P<sub> as a subagent)?\.$")


def method_lesson(lines: list[str]) -> str:
    """One line for a group of method statements about the same means: every kind of work handed to it."""
    works: list[str] = []
    name, sub = "", ""
    for line in lines:
        m = _HAND.match(line)
        if not m:
            continue
        name = name or m.group("name")
        sub = sub or (m.group("sub") or "")
        for w in re.split(r", | and ", m.group("works")):
            if w and w not in works:
                works.append(w)
    if name and works:
        return f"Hand {_join(works)} to {name}{sub}."
    return max(lines, key=len) if lines else ""


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
