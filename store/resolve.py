"""The one three-way decision about a file: what Reverie recorded, what is on disk, what it wants.

    resolve(base, ours, theirs, fmt) -> Write | Keep | Delete | Conflict

- `base`: the bytes the current view recorded for the file (None: no record,
  or Reverie recorded it as absent);
- `ours`: the bytes on disk now (None: no file);
- `theirs`: the bytes the file should hold after the change (None: no file).

Why one pure function: apply planning, undo/redo/restore and crash recovery
all ask the same question — "did a person change this file since Reverie
recorded it, and if so can their change and ours both stand?" — and answered
it separately before. Pure (bytes in, decision out) so it is table-tested and
reusable: a line-precise edit of a hand-written file is `resolve` with
`theirs` = the recorded file with the edited lines (`merge_lines` combines it
with a person's edits elsewhere in the file).

`fmt` says how Reverie shares the file with people (`FileFormat`): `WHOLE`
files are Reverie's alone (any hand edit is a conflict); block and settings
files (store.materialize) have a Reverie region and people's text around it,
so a hand edit outside the region is kept.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Write:
    """Write these bytes (atomically)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Keep:
    """Leave the file exactly as it is: its bytes are already right (or not Reverie's to change)."""


@dataclass(frozen=True, slots=True)
class Delete:
    """Remove the file."""


@dataclass(frozen=True, slots=True)
class Conflict:
    """Leave the file alone and tell the person why."""

    reason: str


Decision = Write | Keep | Delete | Conflict
KEEP = Keep()
DELETE = Delete()


class Unmergeable(ValueError):
    """A file whose Reverie region cannot be read (broken markers, invalid JSON)."""


class FileFormat(Protocol):
    """How Reverie shares one kind of file with people."""

    @property
    def shared(self) -> bool:
        """False: Reverie owns the whole file, so any hand edit is a conflict."""
        ...

    def owned(self, data: bytes) -> object:
        """Reverie's part of `data`, comparable with ==; falsy when there is none.

        Raises Unmergeable when the region cannot be read.
        """
        ...

    def people(self, data: bytes) -> object:
        """People's part of `data` (everything outside Reverie's region), comparable with ==."""
        ...

    def splice(self, people: bytes, owned: bytes | None) -> bytes:
        """`people`'s text with Reverie's part taken from `owned` (None: without Reverie's part).

        Bytes of `people` outside the region are kept exactly.
        """
        ...

    def empty(self, data: bytes) -> bool:
        """True when `data` holds nothing but (absent) Reverie content."""
        ...


class _Whole:
    """A file Reverie owns entirely (rules, skills, hook scripts, memory topics)."""

    shared = False

    def owned(self, data: bytes) -> object:
        return data

    def people(self, data: bytes) -> object:
        return b""

    def splice(self, people: bytes, owned: bytes | None) -> bytes:
        return owned if owned is not None else b""

    def empty(self, data: bytes) -> bool:
        return not data


WHOLE: FileFormat = _Whole()

_UNREADABLE = object()


def resolve(
    base: bytes | None, ours: bytes | None, theirs: bytes | None, fmt: FileFormat = WHOLE, *, force: bool = False
) -> Decision:
    """What to do with one file so it holds `theirs`, without losing a person's edit (see module doc).

    `theirs is None` means "Reverie no longer has anything here": a file whose
    people's text is empty goes away, one with a person's text keeps that text.
    `force` takes Reverie's side where the two conflict, still keeping the
    people's text around the region when it can be read.
    """
    if ours == theirs:
        return KEEP
    if ours == base:
        return DELETE if theirs is None else Write(theirs)
    # A person changed (or created) the file since Reverie recorded `base`.
    if ours is None:
        return _forced(theirs) if force else Conflict("deleted by hand since Reverie wrote it")
    if not fmt.shared:
        if force:
            return _forced(theirs)
        if base is None:
            return Conflict("already exists and was not written by Reverie")
        return Conflict("hand-edited since Reverie wrote it")
    try:
        mine = fmt.owned(ours)
    except Unmergeable as err:
        return _forced(theirs) if force else Conflict(f"cannot be merged: {err}")
    if base is None:
        if mine and not force:
            return Conflict("has a Reverie region that Reverie did not record")
        return _spliced(fmt, ours, theirs)
    try:
        recorded: object = fmt.owned(base)
    except Unmergeable:
        recorded = _UNREADABLE
    if mine != recorded and not force:
        return Conflict("hand-edited inside Reverie's region since Reverie wrote it")
    if theirs is None or _people(fmt, theirs) == _people(fmt, base):
        return _spliced(fmt, ours, theirs)  # the usual case: only Reverie's region changes
    merged = merge_lines(base, ours, theirs)  # the change edits people's text too (a retired hook, a line edit)
    if merged is not None:
        return KEEP if merged == ours else Write(merged)
    if force:
        return _forced(theirs)
    return Conflict("hand-edited where this change edits since Reverie wrote it")


def _forced(theirs: bytes | None) -> Decision:
    return DELETE if theirs is None else Write(theirs)


def _people(fmt: FileFormat, data: bytes) -> object:
    try:
        return fmt.people(data)
    except Unmergeable:
        return _UNREADABLE


def _spliced(fmt: FileFormat, ours: bytes, theirs: bytes | None) -> Decision:
    """The person's file with Reverie's region from `theirs`."""
    out = fmt.splice(ours, theirs)
    if theirs is None and fmt.empty(out):
        return DELETE
    return KEEP if out == ours else Write(out)


# --- line merge ------------------------------------------------------------------------


def merge_lines(base: bytes, ours: bytes, theirs: bytes) -> bytes | None:
    """Both sides' line changes against `base` in one text (None: they touch the same lines).

    A classic diff3 by lines: changes that touch different lines combine; two
    changes of the same lines (or two insertions at one place) conflict unless
    they are identical. Lines keep their endings, so CRLF files stay CRLF.
    """
    b = base.splitlines(keepends=True)
    hunks = sorted(_hunks(b, ours.splitlines(keepends=True)) + _hunks(b, theirs.splitlines(keepends=True)))
    out: list[bytes] = []
    pos = 0
    prev: tuple[int, int, tuple[bytes, ...]] | None = None
    for hunk in hunks:
        start, end, lines = hunk
        if prev is not None:
            if hunk == prev:
                continue  # both sides made the same change
            p_start, p_end, _ = prev
            if start < p_end or start == p_start:
                return None
        out.extend(b[pos:start])
        out.extend(lines)
        pos = end
        prev = hunk
    out.extend(b[pos:])
    return b"".join(out)


def _hunks(base: list[bytes], other: list[bytes]) -> list[tuple[int, int, tuple[bytes, ...]]]:
    """Changed ranges of `base` and their replacement lines."""
    matcher = difflib.SequenceMatcher(None, base, other, autojunk=False)
    return [(i1, i2, tuple(other[j1:j2])) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]
