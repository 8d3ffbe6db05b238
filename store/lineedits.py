"""Line-precise edits of hand-written files, applied as a three-way patch.

Why its own module: a person's file changes only through the exact lines a
proposal cites (`LineEdit`); every other byte — frontmatter order, quoting,
blank lines, the trailing newline, CRLF endings — must come out as it went in.
Pure functions of bytes, so apply, preview and undo agree, and tests can check
them on every real file we have.

Three-way: the dream read the file (base) and cited `old` at `line`; the disk
may have changed since (theirs). The edit lands where its `old` lines are now —
at the cited line, or, when lines above moved it, at the one other place they
occur — and is a conflict when they are gone, changed or ambiguous.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from reverie.store.errors import ReverieError
from reverie.store.models import LineEdit


class EditConflict(ReverieError):
    """The cited lines are not in the file as the dream saw them."""


def split_lines(text: str) -> list[str]:
    """Lines with their endings (only ``\\n`` ends a line; a ``\\r`` before it stays with the line)."""
    out = text.split("\n")
    lines = [x + "\n" for x in out[:-1]]
    if out[-1]:
        lines.append(out[-1])
    return lines


def content(line: str) -> str:
    """A line without its ending (``\\n`` or ``\\r\\n``)."""
    if line.endswith("\n"):
        line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
    return line


def _ending(line: str) -> str:
    if line.endswith("\r\n"):
        return "\r\n"
    return "\n" if line.endswith("\n") else ""


def _decode(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise EditConflict(f"{path}: not UTF-8 text ({err.reason}); edit it by hand") from None


def _locate(lines: list[str], old: Sequence[str], line: int, path: str) -> int:
    """0-based index where `old` occurs: at `line` if it is there, else its one other occurrence."""
    n = len(old)
    want = list(old)

    def at(i: int) -> bool:
        return i >= 0 and i + n <= len(lines) and [content(x) for x in lines[i : i + n]] == want

    if at(line - 1):
        return line - 1
    hits = [i for i in range(len(lines) - n + 1) if at(i)]
    shown = old[0] if len(old[0]) <= 60 else old[0][:59] + "…"
    if not hits:
        raise EditConflict(f"{path}: line {line} ('{shown}') changed since the dream; edit it by hand")
    if len(hits) > 1:
        raise EditConflict(f"{path}: line {line} ('{shown}') moved and now occurs {len(hits)} times; edit it by hand")
    return hits[0]


def _replace(lines: list[str], i: int, n: int, new: Sequence[str]) -> list[str]:
    """`lines[i:i+n]` replaced by `new`: inner lines end like the first replaced line, the last like the
    last replaced one (a file without a final newline still has none). Removing lines removes exactly
    their bytes: every other line keeps its own, ending included."""
    if not new:
        return lines[:i] + lines[i + n :]
    inner = _ending(lines[i]) or ("\r\n" if any(x.endswith("\r\n") for x in lines) else "\n")
    body = [x + inner for x in new[:-1]] + [new[-1] + _ending(lines[i + n - 1])]
    return lines[:i] + body + lines[i + n :]


def apply_edits(data: bytes, edits: Sequence[LineEdit], path: str = "") -> bytes:
    """`data` with every edit applied; EditConflict when one cannot apply.

    Edits are applied bottom-up so earlier line numbers stay valid; two edits
    touching the same lines are a conflict (a proposal never needs that).
    """
    label = path or (edits[0].path if edits else "file")
    lines = split_lines(_decode(data, label))
    spots = sorted(((_locate(lines, e.old, e.line, label), e) for e in edits), key=lambda x: x[0])
    for (i, a), (j, _) in itertools.pairwise(spots):
        if j < i + len(a.old):
            raise EditConflict(f"{label}: two edits overlap at line {j + 1}")
    for i, e in reversed(spots):
        lines = _replace(lines, i, len(e.old), e.new)
    return "".join(lines).encode("utf-8")


def diff_edits(path: str, before: bytes, after: str, keep: Sequence[LineEdit] = ()) -> list[LineEdit]:
    """The line edits that turn `before` into `after` (a person's rewrite of a proposal).

    Why: a person may reword the line a dream proposed; the result must still be
    a line-precise edit. Changed ranges become edits; an insertion is anchored on
    the line before it (or after it, at the top). An edit that overlaps one in
    `keep` carries that one's reason and evidence; any other is the person's.
    """
    import difflib

    old = [content(x) for x in split_lines(_decode(before, path))]
    new = [content(x) for x in split_lines(after)]
    out: list[LineEdit] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if i1 == i2:  # pure insertion: anchor on a neighbouring line
            if i1 > 0:
                i1, j1 = i1 - 1, j1 - 1
            elif i2 < len(old):
                i2, j2 = i2 + 1, j2 + 1
            else:
                raise EditConflict(f"{path}: the file is empty; write it by hand")
        source = next((k for k in keep if k.line <= i2 and i1 < k.line - 1 + len(k.old)), None)
        out.append(
            LineEdit(
                path=path,
                line=i1 + 1,
                old=old[i1:i2],
                new=new[j1:j2],
                reason=source.reason if source else "edited by a person",
                evidence=list(source.evidence) if source else [],
            )
        )
    return out
