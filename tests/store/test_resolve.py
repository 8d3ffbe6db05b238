"""The one three-way file decision, table by table: recorded (base), on disk (ours), wanted (theirs)."""

from __future__ import annotations

import pytest

from reverie.store import materialize as mat
from reverie.store.resolve import DELETE, KEEP, WHOLE, Conflict, Decision, Write, merge_lines, resolve

BLOCK = mat.format_of("CLAUDE.md")
SETTINGS = mat.format_of(".claude/settings.json")

HAND = b"# Project\n\nHand text.\n"
HAND2 = b"# Project\n\nHand text, edited.\n"


def blk(*entries: str) -> bytes:
    return ("<!-- reverie:begin -->\n" + "\n".join(f"- {e}" for e in entries) + "\n<!-- reverie:end -->\n").encode()


def doc(hand: bytes, *entries: str) -> bytes:
    return hand + b"\n" + blk(*entries) if entries else hand


CASES: list[tuple[str, bytes | None, bytes | None, bytes | None, object, bool, Decision | type]] = [
    # name, base, ours, theirs, format, force, expected (a Decision, or Conflict for any conflict)
    ("whole: already as wanted", b"a", b"b", b"b", WHOLE, False, KEEP),
    ("whole: untouched, new bytes", b"a", b"a", b"b", WHOLE, False, Write(b"b")),
    ("whole: untouched, goes", b"a", b"a", None, WHOLE, False, DELETE),
    ("whole: new file", None, None, b"b", WHOLE, False, Write(b"b")),
    ("whole: hand-edited", b"a", b"a2", b"b", WHOLE, False, Conflict),
    ("whole: hand-edited, forced", b"a", b"a2", b"b", WHOLE, True, Write(b"b")),
    ("whole: someone else's file", None, b"x", b"b", WHOLE, False, Conflict),
    ("whole: deleted by hand", b"a", None, b"b", WHOLE, False, Conflict),
    ("whole: deleted by hand, forced", b"a", None, b"b", WHOLE, True, Write(b"b")),
    ("whole: both gone", b"a", None, None, WHOLE, False, KEEP),
    ("block: untouched", doc(HAND, "x"), doc(HAND, "x"), doc(HAND, "x", "y"), BLOCK, False, Write(doc(HAND, "x", "y"))),
    (
        "block: hand edit outside the region is kept",
        doc(HAND, "x"),
        doc(HAND2, "x"),
        doc(HAND, "x", "y"),
        BLOCK,
        False,
        Write(doc(HAND2, "x", "y")),
    ),
    ("block: hand edit inside the region", doc(HAND, "x"), doc(HAND, "X"), doc(HAND, "x", "y"), BLOCK, False, Conflict),
    (
        "block: hand edit inside, forced keeps people's text",
        doc(HAND, "x"),
        doc(HAND2, "X"),
        doc(HAND, "y"),
        BLOCK,
        True,
        Write(doc(HAND2, "y")),
    ),
    ("block: a person's file gets a region", None, HAND, doc(HAND, "x"), BLOCK, False, Write(doc(HAND, "x"))),
    ("block: unrecorded region", None, doc(HAND, "z"), doc(HAND, "x"), BLOCK, False, Conflict),
    (
        "block: broken markers",
        doc(HAND, "x"),
        HAND + b"<!-- reverie:begin -->\n- x\n",
        doc(HAND, "y"),
        BLOCK,
        False,
        Conflict,
    ),
    ("block: region goes, hand text stays", doc(HAND, "x"), doc(HAND2, "x"), None, BLOCK, False, Write(HAND2)),
    ("block: region goes, nothing left", blk("x"), blk("x"), None, BLOCK, False, DELETE),
    ("block: only the region changed on disk", doc(HAND, "x"), doc(HAND, "x"), doc(HAND, "x"), BLOCK, False, KEEP),
    (
        "settings: user entry added by hand is kept",
        b'{"hooks": {}}',
        b'{"hooks": {}, "model": "x"}',
        b'{"hooks": {"Stop": [{"hooks": [{"type": "command", "command": ".claude/hooks/reverie/a.sh"}]}]}}',
        SETTINGS,
        False,
        Write(
            b'{"hooks": {"Stop": [{"hooks": [{"type": "command", "command": ".claude/hooks/reverie/a.sh"}]}]},'
            b' "model": "x"}'
        ),
    ),
    ("settings: invalid JSON on disk", b"{}", b"{", b'{"a": 1}', SETTINGS, False, Conflict),
]


@pytest.mark.parametrize(
    ("name", "base", "ours", "theirs", "fmt", "force", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_resolve_table(name, base, ours, theirs, fmt, force, expected) -> None:
    got = resolve(base, ours, theirs, fmt, force=force)
    if expected is Conflict:
        assert isinstance(got, Conflict) and got.reason, got
    else:
        assert got == expected


def _reason(decision: Decision) -> str:
    assert isinstance(decision, Conflict), decision
    return decision.reason


def test_conflict_reasons_name_what_happened() -> None:
    assert _reason(resolve(b"a", None, b"b")).startswith("deleted by hand")
    assert "not written by Reverie" in _reason(resolve(None, b"x", b"b"))
    assert "inside Reverie's region" in _reason(resolve(doc(HAND, "x"), doc(HAND, "X"), doc(HAND, "y"), BLOCK))


def test_people_text_changed_on_both_sides_merges_by_line() -> None:
    base = b"one\ntwo\nthree\nfour\n"
    ours = b"ONE\ntwo\nthree\nfour\n"  # the person's edit
    theirs = b"one\ntwo\nthree\nFOUR\n"  # Reverie's line edit
    assert resolve(base, ours, theirs, BLOCK) == Write(b"ONE\ntwo\nthree\nFOUR\n")
    clash = resolve(base, b"one\nTWO\nthree\nfour\n", b"one\ntwo!\nthree\nfour\n", BLOCK)
    assert isinstance(clash, Conflict)


MERGES = [
    ("disjoint", b"a\nb\nc\n", b"A\nb\nc\n", b"a\nb\nC\n", b"A\nb\nC\n"),
    ("same change both sides", b"a\nb\n", b"a\nB\n", b"a\nB\n", b"a\nB\n"),
    ("overlap", b"a\nb\nc\n", b"a\nX\nc\n", b"a\nY\nc\n", None),
    ("two inserts at one place", b"a\nb\n", b"a\nx\nb\n", b"a\ny\nb\n", None),
    ("insert next to an edit", b"a\nb\nc\n", b"a\nB\nc\n", b"a\nb\nnew\nc\n", b"a\nB\nnew\nc\n"),
    ("crlf kept", b"a\r\nb\r\n", b"A\r\nb\r\n", b"a\r\nB\r\n", b"A\r\nB\r\n"),
    ("no final newline", b"a\nb", b"A\nb", b"a\nb\nc", b"A\nb\nc"),
]


@pytest.mark.parametrize(("name", "base", "ours", "theirs", "expected"), MERGES, ids=[m[0] for m in MERGES])
def test_merge_lines(name, base, ours, theirs, expected) -> None:
    assert merge_lines(base, ours, theirs) == expected
