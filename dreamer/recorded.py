"""A lesson the person asked the agent to record: the first point of the note the agent then wrote.

Why: "log a learnings entry and make sure this never repeats" names no lesson in
its own words (`turns` classifies it as a record request); the lesson is what
the agent writes in reply — a notes file, its memory, a CLAUDE.md section. The
person asked for it to last, so it is a candidate like a stated convention. A
note leads with its point: the first list item (its bold lead when it has one,
else its first clause), or the first short plain line; headings, quotes of the
prompt, metadata ("**Date:** …"), tables and code are not points. Only a note
written where agents keep notes counts (`NOTE_PLACE`: an instruction or memory
file, or a learnings/lessons/notes/decisions folder): "make a note of the
version in the changelog" is a task, and its changelog line is not a lesson.
"""

from __future__ import annotations

import re
from typing import Any

_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?P<item>.+)$")
_BOLD_LEAD = re.compile(r"^\*\*(?P<bold>[^*]{6,200}?)\*\*\s*(?P<rest>.*)$")
_METADATA = re.compile(r"^\W*[\w ]{1,30}:\W*(?:\*\*)?\s*\S{0,40}$|^\*\*[\w ]{1,30}:\*\*")
"""`**Date:** 2026-02-22`, `Status: done`: a field, not a point."""
_CLAUSE_END = re.compile(r"\s+[—–]\s+|\s+-\s+|(?<=[a-z0-9`)])\.\s+(?=[A-Z])")
MIN_WORDS, MAX_WORDS = 4, 40
NOTE_PLACE = re.compile(
    r"(?:^|/)(?:CLAUDE|AGENTS|GEMINI|MEMORY)(?:\.local)?\.md$"
    r"|(?:^|/)\.?(?:learnings?|lessons?(?:[-_]learned)?|notes?|memor(?:y|ies)|decisions?|adrs?|rules)(?:/|[-_.]|$)",
    re.I,
)
"""Where agents keep notes: instruction and memory files, and folders or files of learnings, lessons, notes."""
_PROSE_FILE = re.compile(r"\.(?:md|mdx|mdc|markdown|txt|rst)$", re.I)
"""A note is prose: `src/notes.ts` or `app/rules.py` is code, whatever its name."""


def note_place(path: str) -> bool:
    """Is `path` (workspace-relative or absolute) where an agent keeps notes?"""
    return bool(NOTE_PLACE.search(path or "")) and bool(_PROSE_FILE.search(path))


def written_text(tool_input: dict[str, Any]) -> str:
    """What an editing tool call wrote: a new file's content, or the new side of each edit."""
    if not isinstance(tool_input, dict):
        return ""
    parts = [tool_input.get(k) for k in ("content", "new_string", "new_str", "file_text")]
    for e in tool_input.get("edits") or ():
        if isinstance(e, dict):
            parts.append(e.get("new_string"))
    return "\n".join(p for p in parts if isinstance(p, str))[:20000]


_PATCH_FILE = re.compile(r"^\*\*\* (?:Add|Update) File: (?P<path>\S.*)$", re.M)


def written_notes(tool_input: dict[str, Any], path: str) -> list[tuple[str, str]]:
    """(file, text written) of one editing call: a file tool's file and text, or each file of a Codex patch
    (``*** Add File:`` / ``*** Update File:`` sections, their ``+`` lines)."""
    patch = tool_input.get("input") if isinstance(tool_input, dict) else None
    if isinstance(patch, str) and patch.lstrip().startswith("*** Begin Patch"):
        marks = list(_PATCH_FILE.finditer(patch))
        out = []
        for i, m in enumerate(marks):
            body = patch[m.end() : marks[i + 1].start() if i + 1 < len(marks) else len(patch)]
            added = [ln[1:] for ln in body.splitlines() if ln.startswith("+")]
            out.append((m.group("path").strip(), "\n".join(added)))
        return out
    return [(path, written_text(tool_input))]


def _point(line: str) -> str:
    """The point of one line of a note: its bold lead, else its first clause (markdown emphasis removed)."""
    bold = _BOLD_LEAD.match(line)
    text = bold.group("bold") if bold else _CLAUSE_END.split(line, maxsplit=1)[0]
    text = text.replace("**", "").strip().rstrip(".:;,")
    return f"{text[0].upper()}{text[1:]}." if text else ""


def noted_lesson(written: str) -> str:
    """The first point of a note the agent wrote ('' when it makes none: only headings, fields, code, quotes)."""
    fenced = False
    for raw in written.splitlines():
        line = raw.strip()
        if line.startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced or not line or line.startswith(("#", ">", "|", "<", "---")) or _METADATA.match(line):
            continue
        bullet = _BULLET.match(line)
        point = _point(bullet.group("item") if bullet else line)
        if not point or (point.startswith("`") and point.count("`") == 2 and point.endswith("`.")):
            continue  # a bare file or command name (a "Key files" list)
        words = len(point.split())
        if MIN_WORDS <= words <= MAX_WORDS:
            return point
    return ""
