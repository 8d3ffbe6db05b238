"""Tokens split over lines, and credentials encoded in base64: the tables and the decoding."""

from __future__ import annotations

import base64
import binascii
import re

from reverie.dreamer.redaction.spans import Span

SPLIT_PREFIXES: dict[str, int] = {
    "ghp_": 36,
    "gho_": 36,
    "ghs_": 36,
    "ghu_": 36,
    "ghr_": 36,
    "github_pat_": 82,
    "glpat-": 20,
    "sk-ant-": 95,
    "sk-proj-": 148,
    "xoxb-": 50,
    "xoxp-": 60,
    "AKIA": 16,
    "ASIA": 16,
    "AIza": 35,
    "hf_": 34,
    "npm_": 36,
}
"""Token prefixes and the length of what follows them in a whole token."""
_SPLIT = re.compile(
    r"(?:" + "|".join(re.escape(p) for p in SPLIT_PREFIXES) + r")[A-Za-z0-9_\-]*"
    r"(?:(?:\\?\r?\n[ \t>#*/|+\"']*|\\n|[\"'][ \t]*\+[ \t]*\\?\r?\n?[ \t]*[\"'])[A-Za-z0-9_\-]+){1,4}"
)
_SPLIT_SEP = re.compile(r"\\?\r?\n[ \t>#*/|+\"']*|\\n|[\"'][ \t]*\+[ \t]*\\?\r?\n?[ \t]*[\"']")


def split_spans(text: str, out: list[Span], lo: int = 0, hi: int | None = None) -> None:
    """A token broken over lines (or `"…" + "…"` pieces): the first piece is too short to be whole."""
    for m in _SPLIT.finditer(text, lo, len(text) if hi is None else hi):
        whole = m.group(0)
        prefix = next(p for p in SPLIT_PREFIXES if whole.startswith(p))
        need = SPLIT_PREFIXES[prefix]
        pieces = []
        pos = 0
        for sep in _SPLIT_SEP.finditer(whole):
            pieces.append((pos, sep.start()))
            pos = sep.end()
        pieces.append((pos, len(whole)))
        have = pieces[0][1] - pieces[0][0] - len(prefix)
        if have >= need:
            continue
        end = pieces[0][1]
        for start, stop in pieces[1:]:
            have += stop - start
            end = stop
            if have >= need:
                break
        if have >= min(need, 16):
            out.append((m.start(), m.start() + end, "split-token"))


def _b64_fragments(prefix: bytes) -> set[str]:
    """The base64 characters fixed by `prefix` at each of the three byte alignments."""
    out = set()
    for align in range(3):
        lo, hi = -(-8 * align // 6), (8 * align + 8 * len(prefix)) // 6
        enc = base64.b64encode(b"\0" * align + prefix + b"\0\0\0").decode()[lo:hi]
        if len(enc) >= 4:
            out.add(enc)
            out.add(enc.replace("+", "-").replace("/", "_"))
    return out


_B64_PREFIXES = (
    b"ghp_",
    b"gho_",
    b"ghs_",
    b"github_pat_",
    b"glpat-",
    b"sk-ant-",
    b"sk-proj-",
    b"sk_live_",
    b"xoxb-",
    b"xoxp-",
    b"AKIA",
    b"AIza",
    b"npm_",
    b"hf_",
    b"PRIVATE KEY",
    b"password",
    b"PASSWORD",
    b"Password",
    b"secret",
    b"SECRET",
    b"token",
    b"TOKEN",
    b"_KEY",
    b"://",
)
B64_HINTS: tuple[str, ...] = tuple(sorted({f for p in _B64_PREFIXES for f in _b64_fragments(p)}))
"""Text without any of these cannot hold one of `_B64_PREFIXES` in base64."""
B64_HINTS_LOW = tuple(sorted({h.lower() for h in B64_HINTS}))
B64_RUN = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_-]{20,8192}={0,2}(?![A-Za-z0-9+/_=-])")


def decode_b64(run: str) -> str | None:
    raw_run = run.rstrip("=")
    alphabet = base64.urlsafe_b64decode if ("-" in raw_run or "_" in raw_run) else base64.b64decode
    if "-" in raw_run and ("+" in raw_run or "/" in raw_run):
        return None
    for cut in range(0, 3):  # the run may start mid-group when it was cut out of a longer one
        body = raw_run[cut:]
        try:
            raw = alphabet(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        printable = sum(c.isprintable() or c in "\r\n\t" for c in text)
        if text and printable >= 0.9 * len(text):
            return text
    return None
