"""Make hostile text safe to show: invisible and control characters become escapes.

Proposal titles, quotes and bodies come from transcripts and files nobody
vetted. Shown raw, an ESC sequence can repaint a terminal, a bidi control can
reorder what a reviewer reads, and a newline can fake an extra row. Every place
that shows such text (CLI output, the console's diff and panels) escapes it
with the same rules, defined once here.
"""

from __future__ import annotations

import re

# Characters that render as nothing (or as a plain space) but change meaning:
# C0/C1 controls (not tab/newline), NBSP and odd spaces, zero-width and bidi
# controls, word joiners, BOM, variation selectors, Unicode tag characters.
INVISIBLE_RE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00a0\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5"
    "\u180b-\u180f\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\u3164\ufe00-\ufe0f"
    "\ufeff\uffa0\ufff0-\ufffb\U0001d173-\U0001d17a\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)


def escape_char(ch: str) -> str:
    """The visible escape of one invisible character, e.g. ``\\u200b``."""
    code = ord(ch)
    if code < 0x100 and code not in (0xA0, 0xAD):
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape_invisible(text: str) -> tuple[str, list[tuple[int, int]]]:
    """`text` with invisible characters escaped, and the spans of the escapes."""
    if not INVISIBLE_RE.search(text):
        return text, []
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    length = 0
    for match in INVISIBLE_RE.finditer(text):
        chunk = text[pos : match.start()]
        out.append(chunk)
        length += len(chunk)
        esc = escape_char(match.group())
        out.append(esc)
        spans.append((length, length + len(esc)))
        length += len(esc)
        pos = match.end()
    out.append(text[pos:])
    return "".join(out), spans


_ASCII_SHOWN = b"\t\n" + bytes(range(0x20, 0x7F))
"""The ASCII characters INVISIBLE_RE leaves alone."""


def has_invisible(text: str) -> bool:
    if text.isascii():  # the common case, ~10x faster than the regex (a 400 KB skill body: 0.4 ms, not 4 ms)
        return bool(text.encode("ascii").translate(None, _ASCII_SHOWN))
    return bool(INVISIBLE_RE.search(text))


def safe_text(text: str) -> str:
    """Multi-line text for a terminal: every invisible character escaped, newlines kept."""
    return escape_invisible(text)[0] if INVISIBLE_RE.search(text) else text


def one_line(text: str) -> str:
    """A field shown on one line: newlines and tabs escaped too, so nothing fakes a row."""
    return safe_text(text).replace("\n", "\\n").replace("\t", "\\t")
