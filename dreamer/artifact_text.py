"""What an artifact's lines say: the stating lines, the words they reject, conflicts, local paths.

Why apart: the critics and the staleness check both judge artifact lines against
new statements; one module keeps them agreeing on what a conflict is.
"""

from __future__ import annotations

import re

from reverie.dreamer.commands import tool_of
from reverie.dreamer.lexicon import NEG_WINDOW, NOT_WORD, PROGRAMS, USE
from reverie.dreamer.wording import has_word, similarity, tokens
from reverie.store.models import Artifact


def statement_lines(text: str) -> list[tuple[int, str]]:
    """(1-based line number, line) of every line that states something.

    Not frontmatter, fenced code, headings, blank lines, HTML comments, or
    Reverie's own managed block: those are structure, not statements a dream
    could find stale or contradicted. A line keeps its ``\r`` if the file has CRLF.
    """
    out: list[tuple[int, str]] = []
    fence = front = comment = block = False
    for i, line in enumerate(text.split("\n")):
        s = line.strip()
        if i == 0 and s == "---":
            front = True
            continue
        if front:
            front = s != "---"
            continue
        if block:
            block = not s.startswith("<!-- reverie:end")
            continue
        if s.startswith("<!-- reverie:begin"):
            block = True
            continue
        if comment:
            comment = "-->" not in s
            continue
        if s.startswith("```") or s.startswith("~~~"):
            fence = not fence
            continue
        if fence or not s or s.startswith("#"):
            continue
        if s.startswith("<!--"):
            comment = "-->" not in s
            continue
        out.append((i + 1, line))
    return out


def artifact_lines(art: Artifact) -> list[str]:
    """Lines of an artifact body that state something (see `statement_lines`)."""
    return [line for _, line in statement_lines(art.body)]


def negated_words(line: str) -> set[str]:
    words = set()
    for m in USE.finditer(line):
        words.add(m.group(2).lower().strip("`'\".,;:!?"))
    for m in NOT_WORD.finditer(line):
        w = m.group(1).lower().strip("`'\".,;:!?")
        if w and w not in ("the", "a", "an", "to", "be", "just", "that", "this", "it", "so", "only", "more"):
            words.add(w)
    return words


def mentions_positively(line: str, word: str) -> bool:
    """`word` appears in `line` and is not itself negated there (nor within a few words after a
    negation: "is not allowed to push to main" does not recommend pushing)."""
    low = line.lower()
    if not has_word(low, word):
        return False
    if word in negated_words(line):
        return False
    window = {w.strip("`'\".,;:!?") for m in NEG_WINDOW.finditer(low) for w in m.group(1).split()}
    return word not in window


_TICKED = re.compile(r"`([^`]+)`")
_IDENTIFIER = re.compile(r"\b\w+(?:[._]\w+)+\b")
_IDENTIFIER_SEP = re.compile(r"[._]")


def _identifier_parts(line: str) -> list[str]:
    """The parts of the code identifiers in `line` ("unittest.TestCase" → unittest, testcase)."""
    return [p for ident in _IDENTIFIER.findall(line.lower()) for p in _IDENTIFIER_SEP.split(ident)]


def code_words(line: str) -> list[str]:
    """Words of backticked commands and parts of code identifiers ("unittest.TestCase", "snake_case"):
    they name a tool as surely as a known program does."""
    out = " ".join(_TICKED.findall(line)).lower().split()
    return out + _identifier_parts(line)


def tool_words(line: str) -> set[str]:
    """The tools a line's backticked commands run (`npx prettier --write` → prettier) and the parts of
    code identifiers: a sub-command or an argument (the `push` of `git push`) is not a tool."""
    tools = {tool_of(" ".join(span.lower().split())) for span in _TICKED.findall(line)}
    return (tools | set(_identifier_parts(line))) - {""}


def conflict_word(new_line: str, old_line: str) -> str | None:
    """A word the new line rejects that the old line recommends, if any.

    The word must name a tool (a known program or the tool of a backticked command in
    the old line), or the two lines must otherwise talk about the same thing."""
    related = similarity(tokens(new_line), tokens(old_line)) >= 0.2
    ticked = tool_words(old_line)
    for w in sorted(negated_words(new_line)):
        if len(w) >= 2 and mentions_positively(old_line, w) and (related or w in PROGRAMS or w in ticked):
            return w
    return None
