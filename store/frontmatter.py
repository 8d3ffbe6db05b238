"""Lenient YAML frontmatter: read what real files contain, write what parses.

Why lenient: real rule files carry invalid YAML such as ``globs: **/*.py``
(an alias marker) or unquoted colons. Reading them must never crash; we fall
back to a line-based ``key: value`` parser (with ``- item`` lists).
"""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"\A---[ \t]*\r?\n(.*?)(?:\r?\n)?^---[ \t]*(?:\r?\n|\Z)", re.S | re.M)
_KEY = re.compile(r"^([A-Za-z_][\w.-]*)[ \t]*:(.*)$")


def split(text: str) -> tuple[dict[str, Any], str, bool]:
    """(metadata, body, had_frontmatter). Never raises on malformed input."""
    if not text.startswith("---"):
        return {}, text, False
    m = _FENCE.match(text)
    if not m:
        return {}, text, False
    raw, body = m.group(1), text[m.end() :]
    return parse(raw), body, True


def parse(raw: str) -> dict[str, Any]:
    import yaml  # imported on first use: the console's first paint never needs it

    try:
        data = yaml.safe_load(raw) if raw.strip() else {}
    except yaml.YAMLError:
        data = None
    except Exception:
        data = None
    if isinstance(data, dict):
        return {str(k): v for k, v in data.items()}
    return parse_lines(raw)


def _scalar(value: str) -> Any:
    v = value.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        return v[1:-1]
    if v.startswith("[") and v.endswith("]"):
        inner = v[1:-1].strip()
        return [_scalar(x) for x in inner.split(",")] if inner else []
    return v


def parse_lines(raw: str) -> dict[str, Any]:
    """The fallback: ``key: value`` per line; ``- item`` lines extend the last key."""
    out: dict[str, Any] = {}
    last: str | None = None
    for line in raw.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        stripped = line.strip()
        if stripped.startswith("- ") and last is not None:
            cur = out.get(last)
            if not isinstance(cur, list):
                cur = [] if cur in ("", None) else [cur]
            cur.append(_scalar(stripped[2:]))
            out[last] = cur
            continue
        m = _KEY.match(line)
        if m and not line[0].isspace():
            last = m.group(1)
            out[last] = _scalar(m.group(2)) if m.group(2).strip() else ""
        elif last is not None and isinstance(out.get(last), str):
            out[last] = (out[last] + " " + stripped).strip()  # folded continuation
    return out


def as_list(value: Any) -> list[str]:
    """A frontmatter value that should be a list of strings (paths, globs, tools)."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p.strip() for p in str(value).split(",") if p.strip()]


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    s = str(value)
    if (
        re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9 _./(),-]*", s)
        and not s.endswith(" ")
        and s.lower() not in ("yes", "no", "true", "false", "null", "on", "off", "~")
    ):
        return s
    return json.dumps(s, ensure_ascii=False)


def dump(meta: dict[str, Any]) -> str:
    """Deterministic frontmatter block (keys in the given order), ending in a newline."""
    lines = ["---"]
    for key, value in meta.items():
        if isinstance(value, (list, tuple)):
            lines.append(f"{key}:")
            lines.extend(f"  - {_yaml_scalar(v)}" for v in value)
        else:
            lines.append(f"{key}: {_yaml_scalar(value)}")
    lines.append("---")
    return "\n".join(lines) + "\n"
