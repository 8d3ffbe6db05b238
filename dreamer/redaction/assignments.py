"""Values of ``*_KEY=``/``*_TOKEN:``/``"password": "…"`` style assignments."""

from __future__ import annotations

import re
import string

from reverie.dreamer.redaction.spans import Span
from reverie.dreamer.redaction.values import value_ok

ASSIGN_NAMES: tuple[str, ...] = (
    "key",
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "pass",
    "auth",
    "_pat",
    "credential",
    "credentials",
)
"""Endings of a variable name that holds a credential (FOO_API_KEY, db_password, DB_PASS, …)."""
_PASSWORD_NAMES = frozenset({"password", "passwd"})
"""Names whose value is a password whatever it looks like (not `pass`: `--- PASS: TestFoo`; not `pwd`:
the working directory)."""
_LOOSE_NAMES = frozenset({"pass", "auth"})
"""Names that end ordinary words too (bypass, oauth): only after a non-lower-case letter (DB_PASS, TWILIO_AUTH)."""
_ASSIGN_TAIL = re.compile(r"""(["']?[ \t]*(?:=|:=|:)[ \t]*["']?)([^\s"'`,;()\[\]{}<>]{4,})""")
"""After the name: `=`, `:` or `:=` (env, YAML, JSON, code), then the value."""


_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_")


def assignment_at(text: str, name: str, pos: int, out: list[Span]) -> None:
    """The assignment whose (lower-case) variable name ending `name` starts at `pos`, if any."""
    if name in _LOOSE_NAMES and pos > 0 and text[pos - 1].islower():
        return
    m = _ASSIGN_TAIL.match(text, pos + len(name))
    if m is None:
        return
    value = m.group(2)
    if text[m.end(2) : m.end(2) + 1] == "(" or value.startswith("-"):  # a call, a flag
        return
    start = pos
    while start > 0 and text[start - 1] in _NAME_CHARS:
        start -= 1
    full = text[start : pos + len(name)]
    separator = m.group(1)
    if full.lower() == "pass" and "=" not in separator:  # `--- PASS: TestLogin`, `PASS: 12`
        return
    literal = any(q in separator for q in "\"'") or (full.isupper() and "=" in separator)
    password = name in _PASSWORD_NAMES
    if (password or len(value) >= 6) and value_ok(value, password=password, literal=literal):
        out.append((m.start(2), m.end(2), "secret-assignment"))


def assignment_spans(text: str, low: str, out: list[Span]) -> None:
    """Values of ``*_KEY=``/``*_TOKEN:``/``"password": "…"`` style assignments.

    Finds each name ending with str.find (fast) and matches the rest anchored
    there, instead of scanning every position with a case-insensitive regex.
    """
    for name in ASSIGN_NAMES:
        pos = low.find(name)
        while pos != -1:
            assignment_at(text, name, pos, out)
            pos = low.find(name, pos + len(name))
