"""A credential as a span of the original text, and spans turned into redacted text."""

from __future__ import annotations

import re
from collections.abc import Iterable

Span = tuple[int, int, str]
"""(start, end, rule): characters [start, end) of a text are a credential found by `rule`."""


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, overlapping spans joined (the first one's rule names the union)."""
    out: list[Span] = []
    for start, end, rule in sorted(spans, key=lambda s: (s[0], -s[1])):
        if end <= start:
            continue
        if out and start < out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end, out[-1][2])
            continue
        out.append((start, end, rule))
    return out


def _marker(rule: str) -> str:
    return f"[REDACTED:{rule}]"


def apply_spans(text: str, spans: list[Span], lo: int = 0, hi: int | None = None) -> str:
    """`text[lo:hi]` with every span replaced by its marker; a span crossing `lo` or `hi` is kept whole."""
    if not spans and not lo and hi is None:
        return text
    hi = len(text) if hi is None else hi
    out: list[str] = []
    pos = lo
    for start, end, rule in spans:
        if end <= lo or start >= hi:
            continue
        if start > pos:
            out.append(text[pos:start])
        out.append(_marker(rule))
        pos = max(pos, end)
    if pos < hi:
        out.append(text[pos:hi])
    return "".join(out)


_MARKER_TEXT = re.compile(r"\[REDACTED:[^\]\n]{1,80}\]")


def outside_markers(text: str, spans: list[Span]) -> list[Span]:
    """`spans` without those lying inside a redaction marker: redacting redacted text changes nothing
    (kingfisher reads `mysql://app:[REDACTED:url-credentials]@db` as a URL with a password)."""
    if "[REDACTED:" not in text or not spans:
        return spans
    markers = [m.span() for m in _MARKER_TEXT.finditer(text)]
    return [s for s in spans if not any(a <= s[0] and s[1] <= b for a, b in markers)]
