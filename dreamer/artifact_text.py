"""What an artifact's lines say: the stating lines, the words they reject, conflicts, local paths.

Why apart: the critics and the staleness check both judge artifact lines against
new statements; one module keeps them agreeing on what a conflict is.
"""

from __future__ import annotations

import re

from reverie.dreamer.signals import NOT_WORD, USE
from reverie.dreamer.wording import similarity, tokens
from reverie.store.models import Artifact


def artifact_lines(art: Artifact) -> list[str]:
    """Lines of an artifact body that state something (no headings, fences, frontmatter)."""
    out, fence, front = [], False, False
    for i, line in enumerate(art.body.splitlines()):
        s = line.strip()
        if i == 0 and s == "---":
            front = True
            continue
        if front:
            front = s != "---"
            continue
        if s.startswith("```"):
            fence = not fence
            continue
        if fence or not s or s.startswith(("#", "<!--")):
            continue
        out.append(line)
    return out


def negated_words(line: str) -> set[str]:
    words = set()
    for m in USE.finditer(line):
        words.add(m.group(2).lower().strip("`'\".,;:!?"))
    for m in NOT_WORD.finditer(line):
        w = m.group(1).lower().strip("`'\".,;:!?")
        if w and w not in ("the", "a", "an", "to", "be", "just", "that", "this", "it", "so", "only", "more"):
            words.add(w)
    return words


NEG_WINDOW = re.compile(
    r"\b(?:not|no|never|don'?t|do not|stop|avoid|hands off)\s+((?:[\w.`'/-]+\s+){0,3}[\w.`'/-]+)", re.I
)


def mentions_positively(line: str, word: str) -> bool:
    """`word` appears in `line` and is not itself negated there (nor within a few words after a
    negation: "is not allowed to push to main" does not recommend pushing)."""
    low = line.lower()
    if not re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", low):
        return False
    if word in negated_words(line):
        return False
    window = {w.strip("`'\".,;:!?") for m in NEG_WINDOW.finditer(low) for w in m.group(1).split()}
    return word not in window


PROGRAMS = frozenset(
    [
        "npm",
        "pnpm",
        "yarn",
        "bun",
        "pip",
        "pip3",
        "uv",
        "poetry",
        "cargo",
        "go",
        "mix",
        "make",
        "npx",
        "docker",
        "podman",
        "git",
        "tabs",
        "spaces",
        "pytest",
        "vitest",
        "jest",
        "unittest",
        "black",
        "ruff",
        "flake8",
        "eslint",
        "prettier",
        "biome",
        "tsc",
        "webpack",
        "vite",
    ]
)


def code_words(line: str) -> list[str]:
    """Words of backticked commands and parts of code identifiers ("unittest.TestCase", "snake_case"):
    they name a tool as surely as a known program does."""
    out = " ".join(re.findall(r"`([^`]+)`", line)).lower().split()
    return out + [p for ident in re.findall(r"\b\w+(?:[._]\w+)+\b", line.lower()) for p in re.split(r"[._]", ident)]


def conflict_word(new_line: str, old_line: str) -> str | None:
    """A word the new line rejects that the old line recommends, if any.

    The word must name a tool (a known program or a backticked command in the old
    line), or the two lines must otherwise talk about the same thing."""
    related = similarity(tokens(new_line), tokens(old_line)) >= 0.2
    ticked = code_words(old_line)
    for w in sorted(negated_words(new_line)):
        if len(w) >= 2 and mentions_positively(old_line, w) and (related or w in PROGRAMS or w in ticked):
            return w
    return None


def local_paths(line: str) -> list[str]:
    out = []
    for m in re.finditer(
        r"(?<![\w/:.~`$-])([A-Za-z0-9_][\w.-]*/[\w./-]*[\w-]|[\w-]+\.(?:ya?ml|json|toml|md|py|ts|js|sql|sh|cfg|ini|lock))(?![\w/])",
        line,
    ):
        p = m.group(1)
        ctx = line[max(0, m.start() - 10) : m.start()]
        if "://" in ctx or "*" in p or p.startswith(("http", "www")):
            continue
        if "/" not in p and not re.search(r"\.(ya?ml|json|toml|lock|cfg|ini|sh|sql)$", p):
            continue
        out.append(p.rstrip("."))
    return out
