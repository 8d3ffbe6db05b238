"""Clipping a long text to a head and a tail window, redacted before it is cut."""

from __future__ import annotations

from reverie.dreamer.redaction.spans import Span, apply_spans

_MARGIN = CLIP_MARGIN = 2048
"""Context kept beyond each cut while redacting: longer than any of our rules' context."""


def cut_marker(n: int) -> str:
    """What stands in for the `n` characters `clip` leaves out."""
    return f"\n[… {n} chars cut …]\n"


def clip(text: str, limit: int) -> str:
    """Head and tail of `text` within about `limit` characters, with a marker between."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}{cut_marker(len(text) - 2 * half)}{text[-half:]}"


class Clipped:
    """Raw text cut to the windows that will be redacted, then kept by original position.

    A text longer than `limit` plus two margins keeps its first and last
    `limit // 2` characters; each window is redacted with `CLIP_MARGIN` more
    characters of context on the cut side, and `finish` keeps exactly the
    characters whose original position is in the kept part (a credential
    crossing the boundary is kept as its marker, whole). A shorter text is
    redacted whole and then clipped.
    """

    __slots__ = ("length", "limit", "parts")

    def __init__(self, text: str, limit: int) -> None:
        self.limit = limit
        self.length = len(text)
        if len(text) <= limit + 2 * CLIP_MARGIN:
            self.parts: tuple[str, ...] = (text,)
        else:
            half = limit // 2
            self.parts = (text[: half + CLIP_MARGIN], text[-(half + CLIP_MARGIN) :])

    def size(self) -> int:
        return sum(len(p) for p in self.parts)

    def finish(self, spans: list[list[Span]]) -> str:
        """The clipped, redacted text, given the spans found in each of `parts`."""
        if len(self.parts) == 1:
            return clip(apply_spans(self.parts[0], spans[0]), self.limit)
        half = self.limit // 2
        head = apply_spans(self.parts[0], spans[0], 0, half)
        tail = apply_spans(self.parts[1], spans[1], CLIP_MARGIN, len(self.parts[1])) if half else ""
        return f"{head}{cut_marker(self.length - 2 * half)}{tail}"
