"""The diff of the selected proposal, folded to the pane's width, painted row by row.

Unified by default, side-by-side on toggle. The folding is computed from plain
text lengths only; highlighting happens lazily for the rows on screen, so a
5,000-line diff opens as fast as a five-line one.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from reverie.console.diffview import MARK, Diff, DiffLine, fold_offsets, gutter_width, line_styles, row_count


class Rows:
    """Screen rows of a folded diff: for each line, the index of its first row (one int array).

    Why not a (line, row) tuple per row: a 5,000-line diff has ~10,000 rows, and those
    tuples were 10,000 objects per j/k for the garbage collector to walk (its young
    collections were most of the slow key presses). Looking a row up is a bisection.
    """

    __slots__ = ("starts",)

    def __init__(self, counts: Iterable[int] = ()) -> None:
        self.starts = array("l", [0])
        self.starts.extend(accumulate(counts))

    def __len__(self) -> int:
        return self.starts[-1]

    def __getitem__(self, index: int) -> tuple[int, int]:
        """(line index, row within that line) of screen row `index`."""
        i = bisect_right(self.starts, index) - 1
        return i, index - self.starts[i]

    def first_lines(self, rows: int) -> range:
        """The lines shown on the first `rows` screen rows."""
        return range(min(bisect_right(self.starts, rows - 1), len(self.starts) - 1))


def _row_counts(lines: list[DiffLine], text_w: int, full_w: int) -> list[int]:
    """Screen rows of each line (ASCII lines by arithmetic: no call per line)."""
    out: list[int] = []
    add = out.append
    for line in lines:
        raw = line.raw
        w = full_w if line.tag in "@#" else text_w
        if raw.isascii():
            add((len(raw) - 1) // w + 1 if raw else 1)
        else:
            add(row_count(raw, w))
    return out


class DiffPane(ScrollView, can_focus=True):
    """A virtual, wrapped view of a `Diff`."""

    DEFAULT_CSS = """
    DiffPane { background: $background; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.diff: Diff | None = None
        self.message = ""
        self.side_by_side = False
        self._rows = Rows()
        self._layout_width = -1
        self._cache: dict[int, Strip] = {}
        self._offsets: dict[tuple[int, int, int], list[int]] = {}
        self._width_key: object = None
        self._width_value = 10
        self._layouts: dict[tuple[int, int, bool], tuple[Diff, Rows, dict[int, Strip]]] = {}
        """Row layouts of recently shown (or prepared) diffs, with the rows already painted: moving back and
        forth costs no re-fold, and a prepared diff's first screen is painted before it is shown."""

    @property
    def dark(self) -> bool:
        try:
            return bool(self.app.current_theme.dark)
        except Exception:
            return True

    def show(self, diff: Diff | None, message: str = "") -> None:
        """Show `diff` (or `message` when there is none) from the top."""
        self.diff = diff
        self.message = message
        self._layout_width = -1
        self._cache = {}
        self._offsets = {}
        self._relayout()
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def prepare(self, diff: Diff | None) -> None:
        """Fold `diff` for the current width and paint its first screen ahead of `show` (the screen calls
        it for the next proposal while the person reads), so showing it costs a lookup."""
        if diff is not None and diff.lines and self.size.width:
            width = self._width()
            rows = self._layout(diff, width)
            strips = self._layouts[(id(diff), width, self.side_by_side)][2]
            base = self.rich_style
            shown_offsets, self._offsets = self._offsets, {}  # fold offsets are keyed by line identity
            try:
                for index in range(min(self.size.height, len(rows))):
                    if index not in strips:
                        strips[index] = self._render_row(index, width, diff, rows).apply_style(base)
            finally:
                self._offsets = shown_offsets

    def toggle_side_by_side(self) -> None:
        self.side_by_side = not self.side_by_side
        self._layout_width = -1
        self._relayout()
        self.refresh()

    def on_resize(self) -> None:
        self._relayout()

    # --- layout ---------------------------------------------------------------

    def _width(self) -> int:
        key = (self.size, self.show_vertical_scrollbar)
        if key != self._width_key:
            self._width_key = key
            self._width_value = max(self.scrollable_content_region.width, 10)
        return self._width_value

    def _relayout(self) -> None:
        width = self._width()
        if width == self._layout_width:
            return
        self._layout_width = width
        self._offsets = {}
        diff = self.diff
        if diff is None or not diff.lines:
            rows = Rows([1] * len((self.message or "").split("\n")))
            self._cache = {}
        else:
            rows = self._layout(diff, width)
            self._cache = self._layouts[(id(diff), width, self.side_by_side)][2]
        self._rows = rows
        self.virtual_size = Size(width, len(rows))

    def _layout(self, diff: Diff, width: int) -> Rows:
        """(line index, row within the line) for every screen row of `diff` at `width`, cached."""
        key = (id(diff), width, self.side_by_side)
        hit = self._layouts.get(key)
        if hit is not None and hit[0] is diff:
            return hit[1]
        if not self.side_by_side:
            rows = Rows(_row_counts(diff.lines, max(self._text_width(width, diff), 1), max(width, 1)))
        else:
            half_w = self._half_text_width(width, diff)
            counts = []
            for left, right in diff.pairs:
                if left is not None and left.tag in "@#":
                    counts.append(row_count(left.raw, width))
                else:
                    counts.append(
                        max(row_count(left.raw, half_w) if left else 1, row_count(right.raw, half_w) if right else 1)
                    )
            rows = Rows(counts)
        if len(self._layouts) >= 16:
            self._layouts.pop(next(iter(self._layouts)))
        self._layouts[key] = (diff, rows, {})
        return rows

    def _text_width(self, width: int, diff: Diff | None = None) -> int:
        diff = diff or self.diff
        g = gutter_width(diff) if diff else 1
        return max(width - (2 * g + 4), 4)

    def _half(self, width: int) -> int:
        return max((width - 1) // 2, 6)

    def _half_text_width(self, width: int, diff: Diff | None = None) -> int:
        diff = diff or self.diff
        g = gutter_width(diff) if diff else 1
        return max(self._half(width) - (g + 3), 4)

    # --- painting -------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        self._relayout()
        width = self._width()
        index = y + round(self.scroll_y)
        base = self.rich_style
        if index >= len(self._rows):
            return Strip.blank(width, base)
        strip = self._cache.get(index)
        if strip is None:
            strip = self._render_row(index, width).apply_style(base)
            if len(self._cache) > 400:
                self._cache.clear()
            self._cache[index] = strip
        return strip

    def _chunk(self, line: DiffLine, k: int, w: int) -> Text:
        key = (id(line), w, 0)
        offsets = self._offsets.get(key)
        if offsets is None:
            offsets = fold_offsets(line.raw, w)
            self._offsets[key] = offsets
        if k >= len(offsets):
            return Text("")
        start = offsets[k]
        end = offsets[k + 1] if k + 1 < len(offsets) else len(line.raw)
        if start == 0 and end >= len(line.raw):
            return line.text
        return line.text[start:end]

    def _render_row(self, index: int, width: int, diff: Diff | None = None, rows: Rows | None = None) -> Strip:
        """Screen row `index` of the shown diff (or of `diff`, folded as `rows`, when preparing one)."""
        if diff is None:
            diff, rows = self.diff, self._rows
        assert rows is not None
        i, k = rows[index]
        styles = line_styles(self.dark)
        console = self.app.console
        if diff is None or not diff.lines:
            lines = (self.message or "").split("\n")
            text = Text(lines[i] if i < len(lines) else "", style="italic")
            return Strip(text.render(console), text.cell_len).adjust_cell_length(width)
        if not self.side_by_side:
            line = diff.lines[i]
            if line.tag in "@#":
                text = self._chunk(line, k, width).copy()
                text.stylize(styles[line.tag])
                return Strip(text.render(console), text.cell_len).adjust_cell_length(width)
            g = gutter_width(diff)
            text_w = self._text_width(width, diff)
            row = self._gutter(line, k, g, two=True, styles=styles)
            row.append_text(self._chunk(line, k, text_w))
            return self._finish(row, width, styles[line.tag])
        left, right = diff.pairs[i]
        if left is not None and left.tag in "@#":
            text = self._chunk(left, k, width).copy()
            text.stylize(styles[left.tag])
            return Strip(text.render(console), text.cell_len).adjust_cell_length(width)
        g = gutter_width(diff)
        half = self._half(width)
        hw = self._half_text_width(width, diff)
        parts: list[Strip] = []
        for side in (left, right):
            if side is None:
                parts.append(Strip.blank(half))
                continue
            row = self._gutter(side, k, g, two=False, styles=styles)
            row.append_text(self._chunk(side, k, hw))
            parts.append(self._finish(row, half, styles[side.tag]))
        sep = Text("│", style=styles["gutter"])
        mid = Strip(sep.render(console), 1)
        return Strip.join([parts[0], mid, parts[1]]).adjust_cell_length(width)

    def _gutter(self, line: DiffLine, k: int, g: int, two: bool, styles: dict[str, Style]) -> Text:
        if k:
            nums = " " * (2 * g + 1 if two else g)
            mark = " "
        else:
            old = str(line.old_no) if line.old_no else ""
            new = str(line.new_no) if line.new_no else ""
            nums = f"{old:>{g}} {new:>{g}}" if two else f"{(line.old_no or line.new_no or ''):>{g}}"
            mark = MARK[line.tag]
        out = Text(nums + " ", style=styles["gutter"])
        out.append(mark, styles.get(line.tag + "m", styles["gutter"]))
        out.append(" ")
        return out

    def _finish(self, row: Text, width: int, bg: Style) -> Strip:
        strip = Strip(row.render(self.app.console), row.cell_len).adjust_cell_length(width)
        return strip.apply_style(bg) if bg else strip
