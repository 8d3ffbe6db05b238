"""The cheap prefilter: text holding none of the rules' necessary substrings skips everything."""

from __future__ import annotations

import re

from reverie.dreamer.redaction.assignments import ASSIGN_NAMES
from reverie.dreamer.redaction.encoded import B64_HINTS_LOW, SPLIT_PREFIXES
from reverie.dreamer.redaction.rules import RULES

HINTS: tuple[str, ...] = tuple(
    sorted(
        {h for r in RULES for h in r.hints}
        | set(ASSIGN_NAMES)
        | {p.lower() for p in SPLIT_PREFIXES}
        | set(B64_HINTS_LOW)
        | {
            # kingfisher rules we care about
            "auth",
            "credential",
            "private",
            "sk_",
            "rk_",
            "pk_",
            "glpat",
            "slack",
            "begin",
            "shpat_",
            "dop_v1",
            "eaa",
            "api",
        }
    )
)
"""Lower-case substrings every rule with hints needs; most text has none of them."""
_NO_HINT = re.compile(
    r"[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]{6}\.|"  # discord bot token
    r"[A-Za-z0-9+/]{64}(?:\r?\n|\\n)"  # pem body line
)
"""Necessary conditions of the rules without hints."""


def maybe_secret(text: str) -> bool:
    """The cheap prefilter: plain substring tests (C speed) on the lower-cased text, then one regex."""
    low = text.lower()
    for hint in HINTS:
        if hint in low:
            return True
    return _NO_HINT.search(text) is not None
