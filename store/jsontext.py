"""Edit a JSON document as text: add and remove members and array items, keep every other byte.

Why: settings.json is the user's file. Re-serializing it to add one hook entry
rewrites their formatting (indentation, inline lists, CRLF, a BOM, no final
newline), and "restore" would then hand back bytes that differ from what the
user wrote. So Reverie parses the text with positions and splices: a removal
takes out exactly what the matching insertion put in, new text copies the
indentation, separators and line endings of its neighbours.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

BOM = "\ufeff"


class JsonTextError(ValueError):
    """The text is not one JSON value (the message says where)."""


@dataclass
class Node:
    """A parsed value and where it sits: `text[start:end]`."""

    start: int
    end: int
    kind: str  # "object", "array" or "scalar"
    keys: list[str] = field(default_factory=list)
    """Object member names, in order (parallel to `items`)."""
    items: list[Node] = field(default_factory=list)
    """Object member values or array items, in order."""
    key_starts: list[int] = field(default_factory=list)
    """Where each object member's name (its opening quote) starts."""

    def get(self, key: str) -> Node | None:
        """The value of member `key` (the last one, as json.loads keeps), or None."""
        for k, v in zip(reversed(self.keys), reversed(self.items), strict=True):
            if k == key:
                return v
        return None

    def index(self, key: str) -> int:
        for i in range(len(self.keys) - 1, -1, -1):
            if self.keys[i] == key:
                return i
        raise KeyError(key)


_WS = " \t\r\n"
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')


def parse(text: str) -> Node:
    """The positions of `text`'s one JSON value (a leading BOM is skipped)."""
    parser = _Parser(text)
    pos = parser.skip(1 if text.startswith(BOM) else 0)
    node = parser.value(pos)
    if parser.skip(node.end) != len(text):
        raise JsonTextError(f"extra data after the JSON value at offset {parser.skip(node.end)}")
    return node


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text

    def skip(self, pos: int) -> int:
        text, n = self.text, len(self.text)
        while pos < n and text[pos] in _WS:
            pos += 1
        return pos

    def value(self, pos: int, depth: int = 0) -> Node:
        if depth > 200:
            raise JsonTextError("nested too deeply")
        text = self.text
        if pos >= len(text):
            raise JsonTextError("unexpected end of the document")
        ch = text[pos]
        if ch == "{":
            return self._object(pos, depth)
        if ch == "[":
            return self._array(pos, depth)
        if ch == '"':
            return Node(pos, self._string(pos), "scalar")
        for word in ("true", "false", "null"):
            if text.startswith(word, pos):
                return Node(pos, pos + len(word), "scalar")
        m = _NUMBER.match(text, pos)
        if m and m.end() > pos:
            return Node(pos, m.end(), "scalar")
        raise JsonTextError(f"unexpected {ch!r} at offset {pos}")

    def _string(self, pos: int) -> int:
        m = _STRING.match(self.text, pos)
        if m is None:
            raise JsonTextError(f"bad string at offset {pos}")
        return m.end()

    def _open(self, start: int, kind: str, close: str) -> tuple[Node, int]:
        """The container opening at `start` and where its first entry starts (-1: it is empty, `end` set)."""
        node = Node(start, start, kind)
        pos = self.skip(start + 1)
        if self.text.startswith(close, pos):
            node.end = pos + 1
            return node, -1
        return node, pos

    def _object(self, start: int, depth: int) -> Node:
        node, pos = self._open(start, "object", "}")
        while pos >= 0:
            if not self.text.startswith('"', pos):
                raise JsonTextError(f"expected a member name at offset {pos}")
            key_end = self._string(pos)
            node.key_starts.append(pos)
            node.keys.append(json.loads(self.text[pos:key_end]))
            pos = self.skip(key_end)
            if not self.text.startswith(":", pos):
                raise JsonTextError(f"expected ':' at offset {pos}")
            pos = self._entry(node, self.skip(pos + 1), depth, "}")
        return node

    def _array(self, start: int, depth: int) -> Node:
        node, pos = self._open(start, "array", "]")
        while pos >= 0:
            pos = self._entry(node, pos, depth, "]")
        return node

    def _entry(self, node: Node, pos: int, depth: int, close: str) -> int:
        """Parse the item at `pos` into `node`, then its ',' (where the next entry starts) or
        `close` (the container ends: `node.end` set, -1 returned)."""
        item = self.value(pos, depth + 1)
        node.items.append(item)
        pos = self.skip(item.end)
        if self.text.startswith(",", pos):
            return self.skip(pos + 1)
        if self.text.startswith(close, pos):
            node.end = pos + 1
            return -1
        raise JsonTextError(f"expected ',' or '{close}' at offset {pos}")


# --- style -------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """How a document is written, so new text looks like its neighbours."""

    newline: str = "\n"
    indent: str = "  "
    colon: str = ": "
    comma: str = ", "
    multiline: bool = True


def style_of(text: str) -> Style:
    """The newline, indent unit and separators `text` uses.

    A document with nothing to copy (``{}``) gets the style of a new
    settings file: two-space indent, LF, ``": "``.
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    multiline = "\n" in text.strip() or not re.search(r"[:,]", text)
    indents = [m.group(1) for m in re.finditer(r"\n([ \t]+)\S", text)]
    indent = "  "
    if indents:
        indent = "\t" if any(i.startswith("\t") for i in indents) else " " * min(len(i) for i in indents)
    colon = ":" if re.search(r'"\s*:', text) and not re.search(r'"\s*:\s', text) else ": "
    if re.search(r",\s", text):
        comma = ", "
    elif "," in text:
        comma = ","
    else:
        comma = ", " if colon == ": " else ","
    return Style(newline, indent, colon, comma, multiline)


def dumps(value: Any, style: Style, level: str | None) -> str:
    """`value` written in `style`: on one line when `level` is None, else indented from `level`."""
    if level is None:
        return json.dumps(value, ensure_ascii=False, separators=(style.comma, style.colon))
    text = json.dumps(value, ensure_ascii=False, indent=style.indent, separators=(",", style.colon))
    return text.replace("\n", style.newline + level)


def _line_indent(text: str, pos: int) -> str:
    """The whitespace that starts the line holding `pos`."""
    line_start = text.rfind("\n", 0, pos) + 1
    m = re.match(r"[ \t]*", text[line_start:pos])
    return m.group(0) if m else ""


def _entry_start(container: Node, index: int) -> int:
    return container.key_starts[index] if container.kind == "object" else container.items[index].start


# --- edits --------------------------------------------------------------------------


def insert_item(text: str, container: Node, value: Any, key: str | None = None) -> str:
    """`text` with `value` appended to `container` (as member `key` of an object).

    The new entry copies the separator and indentation of the container's
    existing entries (an inline container stays on one line); in an empty
    container it opens a new indented line when the document is multi-line.
    `remove_item` of the new entry gives back `text`.
    """
    style = style_of(text)
    inner = container.start + 1
    if container.items:
        first = _entry_start(container, 0)
        if len(container.items) > 1:
            gap = text[_comma_after(text, container.items[0].end) + 1 : _entry_start(container, 1)]
        else:
            lead = text[inner:first]
            gap = lead if "\n" in lead else (" " if style.comma.endswith(" ") else "")
        level = _line_indent(text, first) if "\n" in gap else None
        at = container.items[-1].end
        return text[:at] + "," + gap + _entry(value, key, style, level) + text[at:]
    if style.multiline:
        outer = _line_indent(text, container.start)
        level = outer + style.indent
        entry = _entry(value, key, style, level)
        return text[:inner] + style.newline + level + entry + style.newline + outer + text[container.end - 1 :]
    return text[:inner] + _entry(value, key, style, None) + text[container.end - 1 :]


def _entry(value: Any, key: str | None, style: Style, level: str | None) -> str:
    body = dumps(value, style, level)
    return body if key is None else json.dumps(key, ensure_ascii=False) + style.colon + body


def remove_item(text: str, container: Node, index: int) -> str:
    """`text` without member/item `index` of `container`, its separator with it.

    The last entry goes with the comma and whitespace before it; another entry
    with the comma and whitespace after it; the only entry with everything
    between the brackets (so an entry `insert_item` added to `[]` leaves `[]`).
    """
    items = container.items
    start = _entry_start(container, index)
    end = items[index].end
    if len(items) == 1:
        return text[: container.start + 1] + text[container.end - 1 :]
    if index == len(items) - 1:
        prev_end = items[index - 1].end
        return text[:prev_end] + text[end:]
    return text[:start] + text[_entry_start(container, index + 1) :]


def _comma_after(text: str, pos: int) -> int:
    comma = text.find(",", pos)
    if comma < 0:
        raise JsonTextError("missing ','")
    return comma
