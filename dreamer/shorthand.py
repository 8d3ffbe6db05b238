"""Chat shorthand in what a person typed ("u forgot", "pls", "dont"), expanded — never inside code.

Why a careful expander: a correction is read after expanding shorthand, and its
words can become the lesson's text. A `u` that is a flag (`sort -u`, `git push
-u origin`), part of an argument (`chmod u+x`) or inside backticks or a fenced
block is code: expanding it wrote `sort -you` into a proposal.
"""

from __future__ import annotations

import re

SHORTHAND = {
    "u": "you",
    "ur": "your",
    "pls": "please",
    "plz": "please",
    "dont": "don't",
    "cant": "can't",
    "its": "it's",
    "thats": "that's",
    "im": "I'm",
    "rn": "right now",
}
_WORD = re.compile(r"(?<!\S)(" + "|".join(SHORTHAND) + r")(?=[,.!?;:)]*(?:\s|$))")
"""A shorthand word standing alone: whitespace (or the start) before it, punctuation and whitespace after."""
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.S)


def expand_shorthand(text: str) -> str:
    """`text` with stand-alone shorthand words expanded outside backticks and fenced blocks."""
    out, pos = [], 0
    for m in _CODE.finditer(text):
        out.append(_WORD.sub(lambda w: SHORTHAND[w.group(1)], text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_WORD.sub(lambda w: SHORTHAND[w.group(1)], text[pos:]))
    return "".join(out)
