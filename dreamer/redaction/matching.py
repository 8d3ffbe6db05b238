"""Running our own rules over one text: the exact pass over a whole string, or only near gate hits."""

from __future__ import annotations

from reverie.dreamer.redaction.assignments import ASSIGN_NAMES, assignment_at, assignment_spans
from reverie.dreamer.redaction.encoded import B64_HINTS, B64_RUN, decode_b64, split_spans
from reverie.dreamer.redaction.gates import WHOLE, WIDE, WINDOW
from reverie.dreamer.redaction.rules import RULES, Rule
from reverie.dreamer.redaction.spans import Span
from reverie.dreamer.redaction.values import PLACEHOLDER

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _base64_spans(text: str, out: list[Span], lo: int = 0, hi: int | None = None) -> None:
    """A base64 run whose decoded text holds a credential is redacted whole (`base64-<rule>`)."""
    for m in B64_RUN.finditer(text, lo, len(text) if hi is None else hi):
        run = m.group(0)
        if not any(h in run for h in B64_HINTS):
            continue
        decoded = decode_b64(run)
        if decoded is None:
            continue
        inner: list[Span] = []
        rule_spans(decoded, inner, nested=True)
        if inner:
            out.append((m.start(), m.end(), "base64-" + inner[0][2]))


def _rule_matches(rule: Rule, text: str, out: list[Span], lo: int = 0, hi: int | None = None) -> int:
    """Spans of `rule` in `text[lo:hi]` (context before `lo` visible); returns the furthest match end."""
    reach = 0
    for m in rule.pattern.finditer(text, lo, len(text) if hi is None else hi):
        reach = m.end()
        if rule.groups:
            group = next((g for g in rule.groups if m.group(g) is not None), 0)
            if not group:
                continue
            value = m.group(group)
            if PLACEHOLDER.match(value) or value.startswith("[REDACTED"):
                continue
            start, end = m.span(group)
        else:
            value = m.group(0)
            start, end = m.span()
        if rule.check is not None and not rule.check(m, value):
            continue
        out.append((start, end, rule.name))
    return reach


def rule_spans(text: str, out: list[Span], nested: bool = False) -> None:
    """Every span our own rules find in `text` (the exact pass over the whole string)."""
    low = text.lower()
    if len(low) != len(text):
        # str.lower() can change lengths (dotted İ → i̇), which would shift offsets; the names are ASCII
        low = text.translate(_ASCII_LOWER)
    for rule in RULES:
        if rule.hints and not any(h in low for h in rule.hints):
            continue
        _rule_matches(rule, text, out)
    assignment_spans(text, low, out)
    if not nested:
        split_spans(text, out)
        if any(h in text for h in B64_HINTS):
            _base64_spans(text, out)


def _windows(hits: list[tuple[int, int]], size: int, length: int) -> list[tuple[int, int]]:
    """The ranges within `size` characters of each hit, merged."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(hits):
        lo, hi = max(0, start - size), min(length, end + size)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def gated_spans(text: str, hits: dict[str, list[tuple[int, int]]], out: list[Span]) -> None:
    """`rule_spans` restricted to the rules whose gate hit `text`, each run only near its hits.

    A match that reaches the end of its window is looked for again up to the end
    of the text, so a window never cuts a value short.
    """
    n = len(text)
    for rule in RULES:
        where = hits.get(rule.gate)
        if not where:
            continue
        if rule.gate in WHOLE:
            _rule_matches(rule, text, out)
            continue
        for lo, hi in _windows(where, WINDOW, n):
            if _rule_matches(rule, text, out, lo, hi) >= hi and hi < n:
                _rule_matches(rule, text, out, lo)
    for start, end in hits.get("assign", ()):
        name = text[start:end].lower()
        name = next((x for x in ASSIGN_NAMES if name == x), name)
        assignment_at(text, name, start, out)
    for lo, hi in _windows(hits.get("split", []), WINDOW, n):
        split_spans(text, out, lo, hi)
    for lo, hi in _windows(hits.get("b64", []), WIDE["b64"], n):
        _base64_spans(text, out, lo, hi)
