"""Diffs a person reviews: before/after text → highlighted, marked diff lines.

Pure functions, no widget: `build_diff` turns the before and after text of a
target file into `DiffLine`s (unified order) and side-by-side pairs, highlighted
by the target's file type, with invisible Unicode shown as visible escapes so a
hidden instruction cannot slip through review. `layout` folds those lines to a
width so a widget can paint only the rows on screen (5,000-line diffs stay
fast), and `to_text` gives a plain rich renderable for non-virtual uses.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import zip_longest
from pathlib import PurePath

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text

from reverie.store.textsafe import escape_invisible, has_invisible

ESCAPE_STYLE = Style(color="#ffffff", bgcolor="#b0008a", bold=True)
"""Loud on dark and light themes alike: an escape must never be missed."""


# --- highlighting -----------------------------------------------------------

# token type prefix -> (dark colour, light colour); walked from the most specific.
_PALETTE: dict[str, tuple[str, str]] = {
    "Token.Keyword": ("#c792ea", "#7a3e9d"),
    "Token.Name.Builtin": ("#82aaff", "#1a5fb4"),
    "Token.Name.Function": ("#82aaff", "#1a5fb4"),
    "Token.Name.Tag": ("#f07178", "#a51d2d"),
    "Token.Name.Attribute": ("#ffcb6b", "#8a5a00"),
    "Token.Name.Variable": ("#f78c6c", "#9c3d00"),
    "Token.Literal.String": ("#c3e88d", "#26722b"),
    "Token.Literal.Number": ("#f78c6c", "#9c3d00"),
    "Token.Comment": ("#8a94a6", "#6a6f78"),
    "Token.Operator": ("#89ddff", "#0e6e8c"),
    "Token.Generic.Heading": ("#82aaff", "#1a5fb4"),
    "Token.Generic.Subheading": ("#82aaff", "#1a5fb4"),
    "Token.Generic.Emph": ("", ""),
    "Token.Generic.Strong": ("", ""),
}
_BOLD = ("Token.Generic.Heading", "Token.Generic.Subheading", "Token.Generic.Strong", "Token.Keyword")


@lru_cache(maxsize=256)
def _token_style(token_type: object, dark: bool) -> Style | None:
    name = str(token_type)
    while name:
        if name in _PALETTE:
            colour = _PALETTE[name][0 if dark else 1]
            bold = name in _BOLD
            italic = name == "Token.Generic.Emph" or name.startswith("Token.Comment")
            return Style(color=colour or None, bold=bold or None, italic=italic or None)
        name = name.rpartition(".")[0]
    return None


@lru_cache(maxsize=64)
def lexer_name_for(target: str) -> str:
    """The pygments lexer alias for a target path ('text' when unknown)."""
    name = PurePath(target).name if target else ""
    if not name:
        return "text"
    suffix = PurePath(name).suffix.lower()
    quick = {
        ".md": "markdown",
        ".json": "json",
        ".sh": "bash",
        ".py": "python",
        ".toml": "toml",
        ".yaml": "yaml",
        ".yml": "yaml",
        ".txt": "text",
        "": "text",
    }
    if suffix in quick:
        return quick[suffix]
    try:
        from pygments.lexers import get_lexer_for_filename

        return get_lexer_for_filename(name).aliases[0]
    except Exception:  # unknown type: plain text is still a correct diff
        return "text"


@lru_cache(maxsize=32)
def _lexer(alias: str):  # -> pygments Lexer | None
    if alias == "text":
        return None
    from pygments.lexers import get_lexer_by_name

    try:
        return get_lexer_by_name(alias, stripnl=False, ensurenl=False)
    except Exception:
        return None


def highlight_line(raw: str, spans: tuple[tuple[int, int], ...], lexer_alias: str, dark: bool) -> Text:
    """One already-escaped line, highlighted on its own (cheap; only visible lines pay)."""
    lexer = _lexer(lexer_alias)
    if lexer is None or not raw.strip():
        text = Text(raw)
    else:
        text = Text()
        text.append_tokens((tok, _token_style(tt, dark)) for tt, tok in lexer.get_tokens(raw) if tok != "\n")
        if text.plain != raw:  # a lexer that rewrote the text: keep the truth
            text = Text(raw)
    for start, end in spans:
        text.stylize(ESCAPE_STYLE, start, end)
    return text


def _split(text: str) -> list[str]:
    """Lines split on newline only (other separators are shown escaped), CR of CRLF dropped."""
    if not text:
        return []
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return [l[:-1] if l.endswith("\r") else l for l in lines]


# --- the diff ---------------------------------------------------------------


class DiffLine:
    """One line of a diff: tag ' ' context, '+' added, '-' removed, '@' hunk header, '#' section title.

    `raw` is the line with invisible characters already escaped; the highlighted
    `text` is computed on first use so a 5,000-line diff only highlights what is seen.
    """

    __slots__ = ("_text", "dark", "lexer", "new_no", "old_no", "raw", "spans", "tag")

    def __init__(
        self,
        tag: str,
        old_no: int | None,
        new_no: int | None,
        raw: str,
        spans: tuple[tuple[int, int], ...] = (),
        lexer: str = "text",
        dark: bool = True,
        text: Text | None = None,
    ) -> None:
        self.tag, self.old_no, self.new_no = tag, old_no, new_no
        self.raw, self.spans, self.lexer, self.dark = raw, spans, lexer, dark
        self._text = text

    @property
    def text(self) -> Text:
        if self._text is None:
            self._text = highlight_line(self.raw, self.spans, self.lexer, self.dark)
        return self._text

    def __repr__(self) -> str:
        return f"DiffLine({self.tag!r}, {self.old_no}, {self.new_no}, {self.raw!r})"


Pair = tuple[DiffLine | None, DiffLine | None]


@dataclass(slots=True)
class Diff:
    target: str
    lexer: str
    lines: list[DiffLine] = field(default_factory=list)
    added: int = 0
    removed: int = 0
    invisible: bool = False
    """True when either side holds invisible Unicode (shown escaped)."""
    max_no: int = 0
    """The largest line number shown (sizes the gutter)."""
    pair_parts: list[Callable[[], list[Pair]]] = field(default_factory=list)
    """Builders of the side-by-side rows, run on the first `pairs` (most diffs are only seen unified)."""
    _pairs: list[Pair] | None = None

    @property
    def pairs(self) -> list[Pair]:
        """Side-by-side rows: (old line, new line), either None; headers pair with themselves.

        Built on first use: a 5,000-line diff otherwise allocated 5,000 more tuples (and
        old-side lines) per j/k, and young garbage collections paid for them.
        """
        if self._pairs is None:
            out: list[Pair] = []
            for part in self.pair_parts:
                out.extend(part())
            self._pairs = out
        return self._pairs

    @property
    def max_line_no(self) -> int:
        return self.max_no


def _matching_blocks(a: list[str], b: list[str]) -> list[tuple[int, int, int]]:
    """Matching blocks like difflib's, but patience-anchored so big files stay fast.

    Common prefix/suffix are stripped, lines unique in both sides anchor the
    match (longest increasing run), and difflib only sees the small gaps.
    """
    blocks: list[tuple[int, int, int]] = []
    _match(a, b, 0, len(a), 0, len(b), blocks, 0)
    blocks.sort()
    merged: list[tuple[int, int, int]] = []
    for i, j, n in blocks:
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            pi, pj, pn = merged[-1]
            merged[-1] = (pi, pj, pn + n)
        elif n:
            merged.append((i, j, n))
    merged.append((len(a), len(b), 0))
    return merged


class _AnchoredMatcher(difflib.SequenceMatcher[str]):
    """difflib's opcodes and grouping over the blocks `_matching_blocks` finds.

    Why a subclass: only `get_matching_blocks` is replaced; difflib never indexes
    the sequences (they are not even given to it) and the opcode logic stays its own.
    """

    def __init__(self, a: list[str], b: list[str]) -> None:
        super().__init__(None, [], [])
        self._blocks = [difflib.Match(i, j, n) for i, j, n in _matching_blocks(a, b)]

    def get_matching_blocks(self) -> list[difflib.Match]:
        return self._blocks


def _match(
    a: list[str], b: list[str], alo: int, ahi: int, blo: int, bhi: int, out: list[tuple[int, int, int]], depth: int
) -> None:
    # common prefix / suffix
    n = 0
    while alo + n < ahi and blo + n < bhi and a[alo + n] == b[blo + n]:
        n += 1
    if n:
        out.append((alo, blo, n))
        alo, blo = alo + n, blo + n
    m = 0
    while ahi - m > alo and bhi - m > blo and a[ahi - m - 1] == b[bhi - m - 1]:
        m += 1
    if m:
        out.append((ahi - m, bhi - m, m))
        ahi, bhi = ahi - m, bhi - m
    if alo >= ahi or blo >= bhi:
        return
    if (ahi - alo) * (bhi - blo) <= 40_000 or depth > 8:
        sm = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
        out.extend((alo + i, blo + j, k) for i, j, k in sm.get_matching_blocks() if k)
        return
    count_a: dict[str, int] = {}
    for i in range(alo, ahi):
        count_a[a[i]] = count_a.get(a[i], 0) + 1
    count_b: dict[str, tuple[int, int]] = {}
    for j in range(blo, bhi):
        c, _ = count_b.get(b[j], (0, j))
        count_b[b[j]] = (c + 1, j)
    pairs = [(i, count_b[a[i]][1]) for i in range(alo, ahi) if count_a[a[i]] == 1 and count_b.get(a[i], (0, 0))[0] == 1]
    anchors = _lis(pairs)
    if not anchors:
        sm = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi])
        out.extend((alo + i, blo + j, k) for i, j, k in sm.get_matching_blocks() if k)
        return
    pi, pj = alo, blo
    for i, j in anchors:
        _match(a, b, pi, i, pj, j, out, depth + 1)
        out.append((i, j, 1))
        pi, pj = i + 1, j + 1
    _match(a, b, pi, ahi, pj, bhi, out, depth + 1)


def _lis(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest run of `pairs` (sorted by i) whose j also increases (patience sorting)."""
    import bisect

    tails: list[int] = []
    tails_idx: list[int] = []
    prev: list[int] = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect.bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tails_idx.append(k)
        else:
            tails[pos] = j
            tails_idx[pos] = k
        prev[k] = tails_idx[pos - 1] if pos else -1
    out: list[tuple[int, int]] = []
    k = tails_idx[-1] if tails_idx else -1
    while k >= 0:
        out.append(pairs[k])
        k = prev[k]
    return out[::-1]


_NO_SPANS: tuple[tuple[int, int], ...] = ()


def _escaped(lines: list[str], any_invisible: bool) -> tuple[list[str], list[tuple[tuple[int, int], ...]] | None]:
    """The lines with invisible characters escaped, and each one's escape spans (None: no line has any)."""
    if not any_invisible:  # the common case: the whole text was scanned once
        return lines, None
    raws, spans = [], []
    for line in lines:
        raw, where = escape_invisible(line)
        raws.append(raw)
        spans.append(tuple(where))
    return raws, spans


def build_diff(before: str, after: str, target: str = "", context: int | None = 3, dark: bool = True) -> Diff:
    """The diff of `before` → `after` for `target` (whose type picks the highlighting).

    `context=None` shows every line. Identical texts give a diff with no lines.
    """
    alias = lexer_name_for(target)
    a_raw, b_raw = _split(before), _split(after)
    inv_a, inv_b = has_invisible(before), has_invisible(after)
    diff = Diff(target=target, lexer=alias, invisible=inv_a or inv_b)
    if a_raw == b_raw:
        return diff
    (a_txt, a_spans), (b_txt, b_spans) = _escaped(a_raw, inv_a), _escaped(b_raw, inv_b)
    diff.max_no = max(len(a_raw), len(b_raw))
    matcher = _AnchoredMatcher(a_raw, b_raw)
    groups = [matcher.get_opcodes()] if context is None else list(matcher.get_grouped_opcodes(context))

    def old(i: int, tag: str, with_new: int | None = None) -> DiffLine:
        return DiffLine(tag, i + 1, with_new, a_txt[i], a_spans[i] if a_spans else _NO_SPANS, alias, dark)

    def new(j: int, tag: str, with_old: int | None = None) -> DiffLine:
        return DiffLine(tag, with_old, j + 1, b_txt[j], b_spans[j] if b_spans else _NO_SPANS, alias, dark)

    lines = diff.lines
    for group in groups:
        first, last = group[0], group[-1]
        header = f"@@ -{first[1] + 1},{last[2] - first[1]} +{first[3] + 1},{last[4] - first[3]} @@"
        lines.append(DiffLine("@", None, None, header))
        for op, i1, i2, j1, j2 in group:
            if op == "equal":
                lines.extend(new(j1 + k, " ", i1 + k + 1) for k in range(i2 - i1))
                continue
            lines.extend(old(i, "-") for i in range(i1, i2))
            lines.extend(new(j, "+") for j in range(j1, j2))
            diff.removed += i2 - i1
            diff.added += j2 - j1

    def pairs() -> list[Pair]:
        """The same walk, side by side: context lines split into an old-side and a new-side line."""
        out: list[Pair] = []
        at = 0
        for group in groups:
            out.append((lines[at], lines[at]))
            at += 1
            for op, i1, i2, j1, j2 in group:
                if op == "equal":
                    out.extend((old(i1 + k, " "), new(j1 + k, " ")) for k in range(i2 - i1))
                    at += i2 - i1
                    continue
                n_old, n_new = i2 - i1, j2 - j1
                out.extend(zip_longest(lines[at : at + n_old], lines[at + n_old : at + n_old + n_new]))
                at += n_old + n_new
        return out

    diff.pair_parts.append(pairs)
    return diff


def _self_pairs(lines: list[DiffLine]) -> list[Pair]:
    return [(line, line) for line in lines]


def _pairs_of(diff: Diff) -> list[Pair]:
    return diff.pairs


def combine(sections: list[tuple[str, Diff]]) -> Diff:
    """Several diffs under titles, as one (the proposal's diff, then the person's edit)."""
    out = Diff(target=sections[0][1].target if sections else "", lexer="text")
    for title, d in sections:
        head = [DiffLine("#", None, None, title)]
        if not d.lines:
            head.append(DiffLine("@", None, None, "(no change)"))
        out.lines.extend(head)
        out.pair_parts.append(partial(_self_pairs, head))
        out.lines.extend(d.lines)
        out.pair_parts.append(partial(_pairs_of, d))
        out.added += d.added
        out.removed += d.removed
        out.max_no = max(out.max_no, d.max_no)
        out.invisible = out.invisible or d.invisible
    return out


# --- layout: fold lines to a width -----------------------------------------


def fold_offsets(plain: str, width: int) -> list[int]:
    """Character offsets where a line folds at `width` cells (always starts with 0)."""
    width = max(1, width)
    if plain.isascii():
        return list(range(0, max(len(plain), 1), width))
    offsets, cells = [0], 0
    for i, ch in enumerate(plain):
        w = cell_len(ch)
        if cells + w > width and cells:
            offsets.append(i)
            cells = 0
        cells += w
    return offsets


def row_count(plain: str, width: int) -> int:
    if plain.isascii():
        return max(1, -(-len(plain) // max(1, width)))
    return len(fold_offsets(plain, width))


MARK = {"+": "+", "-": "-", " ": " ", "@": " ", "#": " "}


def gutter_width(diff: Diff) -> int:
    return len(str(max(diff.max_line_no, 1)))


def to_text(diff: Diff, dark: bool = True) -> Text:
    """The unified diff as one rich `Text` (no folding; the console wraps it)."""
    styles = line_styles(dark)
    g = gutter_width(diff)
    out = Text()
    for line in diff.lines:
        old = str(line.old_no) if line.old_no else ""
        new = str(line.new_no) if line.new_no else ""
        row = Text(f"{old:>{g}} {new:>{g}} {MARK[line.tag]} ", style=styles["gutter"])
        row.append_text(line.text)
        row.stylize(styles[line.tag])
        out.append_text(row)
        out.append("\n")
    return out


@lru_cache(maxsize=4)
def line_styles(dark: bool) -> dict[str, Style]:
    """Background per diff tag, chosen to stay readable on dark and light themes."""
    if dark:
        return {
            "+": Style(bgcolor="#12351d"),
            "-": Style(bgcolor="#3d1519"),
            " ": Style(),
            "@": Style(color="#6fb3d2", italic=True),
            "#": Style(color="#ffcb6b", bold=True),
            "gutter": Style(color="#6c7380"),
            "+m": Style(color="#5fd77a", bold=True),
            "-m": Style(color="#ff6b6b", bold=True),
        }
    return {
        "+": Style(bgcolor="#dcf5e0"),
        "-": Style(bgcolor="#fbe0e0"),
        " ": Style(),
        "@": Style(color="#1f5f8b", italic=True),
        "#": Style(color="#8a5a00", bold=True),
        "gutter": Style(color="#7a7f87"),
        "+m": Style(color="#1d7a32", bold=True),
        "-m": Style(color="#b3261e", bold=True),
    }
