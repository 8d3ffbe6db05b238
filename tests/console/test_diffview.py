"""The pure diff builder: markers, escapes, side-by-side pairs, folding, big inputs."""

from __future__ import annotations

import difflib
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from reverie.console.diffview import (
    _matching_blocks,
    build_diff,
    combine,
    fold_offsets,
    lexer_name_for,
    row_count,
    to_text,
)
from reverie.store.textsafe import escape_invisible


def test_markers_and_counts() -> None:
    d = build_diff("a\nb\nc\n", "a\nB\nc\nd\n", "CLAUDE.md")
    tags = [(l.tag, l.raw) for l in d.lines]
    assert tags[0][0] == "@"
    assert ("-", "b") in tags and ("+", "B") in tags and ("+", "d") in tags and (" ", "a") in tags
    assert (d.added, d.removed) == (2, 1)
    text = to_text(d).plain
    assert "- b" in text and "+ B" in text


def test_identical_texts_give_no_lines() -> None:
    assert build_diff("same\n", "same\n").lines == []


def test_invisible_unicode_is_escaped_and_flagged() -> None:
    raw, spans = escape_invisible("ok\u200bthen\u202eevil\U000e0041")
    assert raw == "ok\\u200bthen\\u202eevil\\U000e0041"
    assert [raw[a:b] for a, b in spans] == ["\\u200b", "\\u202e", "\\U000e0041"]
    d = build_diff("", "run this\u200b\n", "x.md")
    assert d.invisible and d.lines[1].raw == "run this\\u200b"
    styled = d.lines[1].text
    assert any(span.start == len("run this") for span in styled.spans)


def test_crlf_and_no_trailing_newline() -> None:
    d = build_diff("a\r\nb\r\n", "a\r\nc", "f.txt")
    assert [l.raw for l in d.lines if l.tag != "@"] == ["a", "b", "c"]


def test_side_by_side_pairs_align_changes() -> None:
    d = build_diff("x\ny\nz\n", "x\nY\nz\nw\n")
    pairs = [(a.raw if a else None, b.raw if b else None) for a, b in d.pairs if not (a and a.tag == "@")]
    assert ("y", "Y") in pairs and (None, "w") in pairs and ("x", "x") in pairs


def test_lexer_by_target_type() -> None:
    assert lexer_name_for("/w/.claude/settings.json") == "json"
    assert lexer_name_for("/w/.claude/hooks/reverie/x.sh") == "bash"
    assert lexer_name_for("/w/CLAUDE.md") == "markdown"
    assert lexer_name_for("") == "text"


def test_context_none_shows_every_line() -> None:
    before = "\n".join(str(i) for i in range(50))
    after = before.replace("25", "twenty-five")
    assert len(build_diff(before, after, context=None).lines) == 52  # header + 49 same + -/+
    assert len(build_diff(before, after).lines) == 1 + 3 + 2 + 3


def test_combine_titles_sections() -> None:
    d = combine([("one", build_diff("a", "b")), ("two", build_diff("c", "c"))])
    assert [l.raw for l in d.lines if l.tag == "#"] == ["one", "two"]
    assert any(l.raw == "(no change)" for l in d.lines)


def test_folding_offsets_by_cells() -> None:
    assert fold_offsets("abcdefgh", 3) == [0, 3, 6]
    assert row_count("", 10) == 1
    assert fold_offsets("日本語です", 4) == [0, 2, 4]  # two wide characters per row
    assert row_count("日本語です", 4) == 3


def _apply_blocks(a: list[str], b: list[str], blocks: list[tuple[int, int, int]]) -> bool:
    pi = pj = 0
    for i, j, n in blocks:
        if i < pi or j < pj or a[i : i + n] != b[j : j + n]:
            return False
        pi, pj = i + n, j + n
    return blocks[-1] == (len(a), len(b), 0)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from("abcdefgh"), max_size=40), st.lists(st.sampled_from("abcdefgh"), max_size=40))
def test_matching_blocks_are_valid_matches(a: list[str], b: list[str]) -> None:
    assert _apply_blocks(a, b, _matching_blocks(a, b))


def test_big_diff_matches_as_much_as_difflib() -> None:
    rng = random.Random(7)
    a = [f"line {i}" for i in range(3000)]
    b = list(a)
    for _ in range(200):
        k = rng.randrange(len(b))
        b[k] = b[k] + " changed"
    blocks = _matching_blocks(a, b)
    assert _apply_blocks(a, b, blocks)
    ours = sum(n for _, _, n in blocks)
    ref = sum(n for _, _, n in difflib.SequenceMatcher(None, a, b).get_matching_blocks())
    assert ours >= ref - 5
    d = build_diff("\n".join(a), "\n".join(b), "x.md")
    assert d.added == d.removed == len({k for k in range(3000) if a[k] != b[k]})


def test_every_ascii_control_is_found_by_the_fast_check() -> None:
    from reverie.store.textsafe import INVISIBLE_RE, has_invisible

    for code in range(128):
        text = f"plain {chr(code)} text"
        assert has_invisible(text) == bool(INVISIBLE_RE.search(text)), code
    assert has_invisible("ünïcödé\u200b") and not has_invisible("ünïcödé")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "c", "d\u200b", "é"]), max_size=25),
    st.lists(st.sampled_from(["a", "b", "c", "e", "é"]), max_size=25),
    st.sampled_from([None, 0, 2]),
)
def test_side_by_side_rows_pair_every_line_in_order(before: list[str], after: list[str], context: int | None) -> None:
    """The pairs (built on first use) hold every removed line on the left, every added line on the right,
    each context line on both sides with its own number, in the unified order; a combined diff keeps them."""
    d = build_diff("\n".join(before) + "\n", "\n".join(after) + "\n", "x.md", context=context)
    lefts = [(a.tag, a.old_no, a.raw) for a, _ in d.pairs if a is not None and a.tag in " -"]
    rights = [(b.tag, b.new_no, b.raw) for _, b in d.pairs if b is not None and b.tag in " +"]
    assert lefts == [(l.tag, l.old_no, l.raw) for l in d.lines if l.tag in " -"]
    assert rights == [(l.tag, l.new_no, l.raw) for l in d.lines if l.tag in " +"]
    assert all(a is b for a, b in d.pairs if a is not None and a.tag == "@")
    both = combine([("one", d), ("two", d)])
    assert len(both.pairs) == 2 * len(d.pairs) + 2 + 2 * (not d.lines)


def test_pane_rows_map_each_screen_row_to_its_line_and_fold() -> None:
    from reverie.console.widgets.diffpane import Rows

    rng = random.Random(3)
    for _ in range(100):
        counts = [rng.randint(1, 4) for _ in range(rng.randint(0, 40))]
        rows = Rows(counts)
        expected = [(i, k) for i, n in enumerate(counts) for k in range(n)]
        assert len(rows) == len(expected) and [rows[x] for x in range(len(rows))] == expected
        for height in range(12):
            assert list(rows.first_lines(height)) == sorted({i for i, _ in expected[:height]})
