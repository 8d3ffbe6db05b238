"""Materialize artifacts into Claude Code's layout: targets, rendering, regions.

Pure functions of (artifacts, existing file bytes) → new file bytes. Three file
types:
- *block* files (CLAUDE.md, CLAUDE.local.md, AGENTS.md, GEMINI.md, MEMORY.md): Reverie
  owns one managed block between ``<!-- reverie:begin -->`` and
  ``<!-- reverie:end -->``; text outside it is never touched;
- *json* settings files: Reverie owns the hook entries whose command runs a
  script under ``.claude/hooks/reverie/``; every other key/entry is kept;
- *whole* files (rules, commands, skills, agents, memory topics, hook scripts).
Keys are workspace-relative or ``~/``-relative (see store.fsutil).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from reverie.store import frontmatter, jsontext
from reverie.store.mirrors import mirror_keys
from reverie.store.models import KINDS, Artifact
from reverie.store.paths import claude_slug
from reverie.store.resolve import WHOLE, FileFormat, Unmergeable

BEGIN = "<!-- reverie:begin -->"
END = "<!-- reverie:end -->"
_BLOCK = re.compile(r"<!-- reverie:begin(?: [^>]*?)? -->\n?(.*?)<!-- reverie:end(?: [^>]*?)? -->", re.S)
HOOK_DIR_MARK = ".claude/hooks/reverie/"
BLOCK_NAMES = ("CLAUDE.md", "CLAUDE.local.md", "AGENTS.md", "GEMINI.md", "MEMORY.md")
DOCUMENT = "document"


def slugify(text: str, limit: int = 48) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")
    if len(s) > limit:  # cut at a word boundary: `…-skip-the-payment`, not `…-skip-the-paymen`
        cut = s[: limit + 1].rfind("-")
        s = s[:cut] if cut >= limit // 2 else s[:limit]
    return s.rstrip("-") or "artifact"


def file_type(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    if name in BLOCK_NAMES:
        return "block"
    if name in ("settings.json", "settings.local.json"):
        return "json"
    return "whole"


def memory_dir_key(workspace: Path) -> str:
    return _memory_dir_key(str(workspace))


@functools.lru_cache(maxsize=64)
def _memory_dir_key(workspace: str) -> str:
    return f"~/.claude/projects/{claude_slug(Path(workspace).resolve())}/memory"


def targets_of(a: Artifact, workspace: Path) -> list[str]:
    """Every file key an artifact contributes to, primary target first."""
    layout = a.meta.get("layout")
    source = a.meta.get("source")
    if source and layout in ("file", DOCUMENT, "hook", "entry"):
        if layout == "file" and a.kind == "hook":
            return [source]
        return [source]
    g = a.scope == "global"
    root = "~/.claude/" if g else ".claude/"
    name = a.name
    if a.kind == "memory":
        if g:
            return ["~/.claude/CLAUDE.md"]
        d = memory_dir_key(workspace)
        return [f"{d}/{name}.md", f"{d}/MEMORY.md"]
    if a.kind == "instinct":  # every other agent in use reads it too (store.mirrors)
        if a.scope == "path":
            return [f".claude/rules/{name}.md", *mirror_keys(a, workspace)]
        if a.scope == "project":
            return ["CLAUDE.local.md", *mirror_keys(a, workspace)]
        if a.scope == "team":
            return ["CLAUDE.md", *mirror_keys(a, workspace)]
        return ["~/.claude/CLAUDE.md"]
    if a.kind == "rule":
        if a.scope == "project":
            return ["CLAUDE.local.md", *mirror_keys(a, workspace)]
        return [f"{root}rules/{name}.md", *mirror_keys(a, workspace)]
    if a.kind == "hook":
        settings = (
            "~/.claude/settings.json"
            if g
            else ".claude/settings.json"
            if a.scope == "team"
            else ".claude/settings.local.json"
        )
        return [f"{root}hooks/reverie/{hook_script_name(a)}", settings]
    if a.kind == "command":
        return [f"{root}commands/{name}.md"]
    if a.kind == "skill":
        return [f"{root}skills/{name}/SKILL.md"]
    if a.kind == "subagent":
        return [f"{root}agents/{name}.md"]
    return [f"{root}rules/{name}.md"]


# --- managed blocks ----------------------------------------------------------


def block_region(text: str) -> str | None:
    """The managed block (markers included) or None."""
    m = _BLOCK.search(text)
    return m.group(0) if m else None


def has_broken_markers(text: str) -> bool:
    return (("reverie:begin" in text) != ("reverie:end" in text)) or (
        "reverie:begin" in text and _BLOCK.search(text) is None
    )


MARKER_LIKE = re.compile(r"(?i)(reverie)(\s*)[:\uff1a\ufe55](\s*)(begin|end)\b")
"""Reverie's block markers and look-alikes (any case, spacing, a full-width colon)."""


def escape_markers(text: str) -> str:
    """`text` with every marker look-alike defused (`reverie&#58;end`), so a body can never end or
    open a managed block: the block Reverie wrote is exactly the block undo and restore remove."""
    return MARKER_LIKE.sub(r"\1\2&#58;\3\4", text)


_MARKER_LINE = re.compile(r"<!-- reverie:(begin|end)(?: [^>]*?)? -->")


def marker_problem(text: str) -> str | None:
    """Why the markers of a block file do not form one managed block, or None when they do (or are absent)."""
    kinds = [m.group(1) for m in _MARKER_LINE.finditer(text)]
    if not kinds or kinds == ["begin", "end"]:
        return None
    if kinds.count("begin") != kinds.count("end"):
        return f"{kinds.count('begin')} begin and {kinds.count('end')} end marker(s)"
    if kinds[0] == "end":
        return "an end marker before the first begin"
    return f"{kinds.count('begin')} managed blocks (Reverie writes one)"


def splice_block(text: str, block: str | None) -> str:
    """Replace the managed block in `text` by `block` (None removes it).

    A new block is appended at the end: after one blank line when the text
    ends with a newline, after a line break when it does not. Removing a
    block at the end removes that separator too, so add-then-remove gives
    back the same bytes (a final newline the text lacked is not added).
    """
    m = _BLOCK.search(text)
    if m:
        if block is not None:
            return text[: m.start()] + block + text[m.end() :]
        start, end = m.start(), m.end()
        if text[end : end + 1] == "\n":
            end += 1
        if end == len(text) and start > 0 and text[start - 1] == "\n":
            start -= 1  # the blank line (or the line break) that appending put before it
        return text[:start] + text[end:]
    if block is None:
        return text
    if not text:
        return block + "\n"
    return text + "\n" + block + "\n"


def _entry(a: Artifact) -> str:
    body = escape_markers(a.body.strip("\n"))
    if a.scope == "path" and a.paths:  # a path rule mirrored into another agent's file says where it applies
        body = (
            f"(for {', '.join(a.paths)}) {body}" if "\n" not in body.strip() else f"For {', '.join(a.paths)}:\n{body}"
        )
    if "\n" not in body.strip():
        return f"- {body.strip()}"
    return f"### {escape_markers(a.title or a.name)}\n{body}"


def _memory_index_entry(a: Artifact) -> str:
    desc = escape_markers(str(a.meta.get("description") or "").strip() or _first_line(a.body))
    title = escape_markers(a.title or a.name)
    return f"- [{title}]({a.name}.md) — {desc}" if desc and desc != title else f"- [{title}]({a.name}.md)"


def _first_line(text: str, limit: int = 120) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:limit]
    return ""


def _order(arts: list[Artifact]) -> list[Artifact]:
    return sorted(arts, key=lambda a: (KINDS.index(a.kind) if a.kind in KINDS else 99, a.name, a.id))


def render_block(key: str, arts: list[Artifact]) -> str | None:
    """The managed block for a block file, or None when no artifact lands there."""
    entries = []
    for a in _order(arts):
        if a.meta.get("layout") == DOCUMENT:
            continue
        if key.endswith("/MEMORY.md") and a.kind == "memory" and a.scope != "global":
            entries.append(_memory_index_entry(a))
        else:
            entries.append(_entry(a))
    if not entries:
        return None
    sep = "\n\n" if any("\n" in e for e in entries) else "\n"
    return f"{BEGIN}\n{sep.join(entries)}\n{END}"


# --- settings.json -----------------------------------------------------------


def hook_script_name(a: Artifact) -> str:
    """`<name>.py` for a script whose shebang runs Python, else `<name>.sh`."""
    first = a.body.lstrip().split("\n", 1)[0]
    return f"{a.name}.py" if first.startswith("#!") and "python" in first else f"{a.name}.sh"


def hook_command(a: Artifact) -> str:
    if a.scope == "global":
        return f'"$HOME"/.claude/hooks/reverie/{hook_script_name(a)}'
    return f'"$CLAUDE_PROJECT_DIR"/.claude/hooks/reverie/{hook_script_name(a)}'


def _is_reverie_hook(h: Any) -> bool:
    return isinstance(h, dict) and HOOK_DIR_MARK in str(h.get("command", ""))


def _settings_doc(data: bytes) -> Any:
    """The settings document in `data` (a BOM is allowed); ValueError when it is not JSON."""
    return json.loads(data.decode("utf-8-sig"))


def json_region(data: Any) -> list[Any]:
    """Reverie's hook entries in a settings document, canonical order."""
    out = []
    hooks = data.get("hooks") if isinstance(data, dict) else None
    if isinstance(hooks, dict):
        for event in sorted(hooks):
            for group in hooks[event] if isinstance(hooks[event], list) else []:
                if isinstance(group, dict):
                    for h in group.get("hooks") or []:
                        if _is_reverie_hook(h):
                            out.append([event, group.get("matcher", ""), h])
    return out


def strip_hooks(data: dict[str, Any], drop_commands: AbstractSet[str] = frozenset()) -> dict[str, Any]:
    """Remove Reverie's hook entries (and entries running `drop_commands`) from a parsed document."""
    hooks = data.get("hooks")
    if not isinstance(hooks, dict):
        return data
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        kept_groups = []
        for group in groups:
            if not isinstance(group, dict) or not isinstance(group.get("hooks"), list):
                kept_groups.append(group)
                continue
            inner = [h for h in group["hooks"] if not _dropped(h, drop_commands)]
            if inner:
                if len(inner) != len(group["hooks"]):
                    group = dict(group, hooks=inner)
                kept_groups.append(group)
        if kept_groups:
            hooks[event] = kept_groups
        else:
            del hooks[event]
    if not hooks:
        del data["hooks"]
    return data


def _dropped(h: Any, drop_commands: AbstractSet[str]) -> bool:
    return _is_reverie_hook(h) or (isinstance(h, dict) and h.get("command") in drop_commands)


NEW_SETTINGS = "{\n}\n"
"""The text a new settings file starts from: entries added to it come out as `json.dumps(indent=2)`."""


def strip_settings_text(text: str, drop_commands: AbstractSet[str] = frozenset()) -> str:
    """`text` without Reverie's hook entries (and entries running `drop_commands`), other bytes kept.

    A group left without entries goes, then an event without groups, then an
    empty `hooks` object — as `strip_hooks` does to the parsed document.
    """
    while True:
        root = jsontext.parse(text)
        found = _next_dropped(text, root, drop_commands)
        if found is None:
            return text
        container, index = found
        text = jsontext.remove_item(text, container, index)


def _next_dropped(text: str, root: jsontext.Node, drop_commands: AbstractSet[str]) -> tuple[jsontext.Node, int] | None:
    """The (container, index) whose removal takes out the last entry to drop, or None."""
    hooks = root.get("hooks") if root.kind == "object" else None
    if hooks is None or hooks.kind != "object":
        return None
    for ei in range(len(hooks.items) - 1, -1, -1):
        groups = hooks.items[ei]
        if groups.kind != "array":
            continue
        for gi in range(len(groups.items) - 1, -1, -1):
            group = groups.items[gi]
            inner = group.get("hooks") if group.kind == "object" else None
            if inner is None or inner.kind != "array":
                continue
            for hi in range(len(inner.items) - 1, -1, -1):
                entry = inner.items[hi]
                if not _dropped(json.loads(text[entry.start : entry.end]), drop_commands):
                    continue
                if len(inner.items) > 1:
                    return inner, hi
                if len(groups.items) > 1:
                    return groups, gi
                if len(hooks.items) > 1:
                    return hooks, ei
                return root, root.index("hooks")
    return None


def add_settings_groups(text: str, groups: list[tuple[str, dict[str, Any]]]) -> str:
    """`text` with each (event, group) appended to `hooks.<event>`, written in the file's own style."""
    for event, group in groups:
        root = jsontext.parse(text)
        if root.kind != "object":
            raise ValueError("settings file is not a JSON object")
        hooks = root.get("hooks")
        if hooks is None:
            text = jsontext.insert_item(text, root, {event: [group]}, key="hooks")
            continue
        if hooks.kind != "object":
            raise ValueError("settings file's `hooks` is not an object")
        groups_node = hooks.get(event)
        if groups_node is None:
            text = jsontext.insert_item(text, hooks, [group], key=event)
        elif groups_node.kind != "array":
            raise ValueError(f"settings file's `hooks.{event}` is not a list")
        else:
            text = jsontext.insert_item(text, groups_node, group)
    return text


def settings_groups(data: Any) -> list[tuple[str, dict[str, Any]]]:
    """Reverie's hook entries of a parsed settings document as (event, group) pairs, in document order."""
    out: list[tuple[str, dict[str, Any]]] = []
    hooks = data.get("hooks") if isinstance(data, dict) else None
    if not isinstance(hooks, dict):
        return out
    for event, groups in hooks.items():
        for group in groups if isinstance(groups, list) else []:
            if not isinstance(group, dict):
                continue
            for h in group.get("hooks") or []:
                if _is_reverie_hook(h):
                    out.append((event, {k: v for k, v in group.items() if k != "hooks"} | {"hooks": [h]}))
    return out


def _settings_text(existing: bytes | None) -> str:
    """The document to splice into: the file's text (checked to be a JSON object) or a new one."""
    if existing is None or not existing.strip(b" \t\r\n\xef\xbb\xbf"):
        return NEW_SETTINGS
    text = existing.decode("utf-8")
    if not isinstance(json.loads(text.removeprefix(jsontext.BOM)), dict):
        raise ValueError("settings file is not a JSON object")
    return text


def render_settings(
    existing: bytes | None, arts: list[Artifact], drop_commands: AbstractSet[str] = frozenset()
) -> bytes:
    """Splice Reverie's hook entries into a settings document; every other byte is kept."""
    text = strip_settings_text(_settings_text(existing), drop_commands)
    groups: list[tuple[str, dict[str, Any]]] = []
    for a in _order([a for a in arts if a.kind == "hook" and a.meta.get("layout") != "hook"]):
        event = str(a.meta.get("event") or "PreToolUse")
        group: dict[str, Any] = {}
        if a.meta.get("matcher") is not None or event in ("PreToolUse", "PostToolUse", "PermissionRequest"):
            group["matcher"] = str(a.meta.get("matcher") or "")
        group["hooks"] = [{"type": "command", "command": hook_command(a), "timeout": int(a.meta.get("timeout") or 10)}]
        groups.append((event, group))
    return add_settings_groups(text, groups).encode("utf-8")


# --- whole files --------------------------------------------------------------


def _with_frontmatter(meta: dict[str, Any], body: str) -> str:
    body = body.strip("\n") + "\n"
    return (frontmatter.dump(meta) + "\n" + body) if meta else body


def render_whole(key: str, a: Artifact) -> tuple[bytes, int | None]:
    """A whole file for one artifact: (bytes, mode or None)."""
    extra = dict(a.meta.get("frontmatter") or {})
    desc = str(a.meta.get("description") or a.title or _first_line(a.body))
    if a.kind == "hook":
        body = a.body if a.body.endswith("\n") else a.body + "\n"
        if not body.startswith("#!"):
            body = "#!/usr/bin/env bash\n" + body
        return body.encode("utf-8"), 0o755
    meta: dict[str, Any]
    if a.kind == "memory":
        meta = {"name": a.title or a.name, "description": desc, "type": str(a.meta.get("type") or "project")}
    elif a.kind == "skill":
        meta = {"name": a.name, "description": desc}
    elif a.kind == "subagent":
        meta = {"name": a.name, "description": desc}
        tools = a.meta.get("tools")
        if tools:
            meta["tools"] = ", ".join(tools) if isinstance(tools, list) else str(tools)
    elif a.kind == "command":
        meta = {"description": desc} if a.meta.get("description") else {}
    else:  # rule / instinct in a rules file
        meta = {"paths": list(a.paths)} if a.scope == "path" and a.paths else {}
    for k, v in extra.items():
        meta.setdefault(k, v)
    if a.scope == "path" and a.paths and "paths" in meta:
        meta["paths"] = list(a.paths)
    return _with_frontmatter(meta, a.body).encode("utf-8"), None


def render_file(
    key: str, arts: list[Artifact], existing: bytes | None, drop_commands: AbstractSet[str] = frozenset()
) -> tuple[bytes | None, int | None]:
    """New content of file `key` given every artifact that targets it.

    Block/json files always get bytes (see `is_empty`); a whole file with no
    artifact left returns (None, None).
    """
    ftype = file_type(key)
    if ftype == "block":
        text = existing.decode("utf-8") if existing is not None else ""
        return splice_block(text, render_block(key, arts)).encode("utf-8"), None
    if ftype == "json":
        return render_settings(existing, arts, drop_commands), None
    owned = [a for a in arts if a.meta.get("layout") not in (DOCUMENT,)]
    if not owned:
        return None, None
    return render_whole(key, _order(owned)[0])


def is_empty(key: str, data: bytes | None) -> bool:
    """True when a block/json file holds nothing but (absent) Reverie content."""
    return data is None or format_of(key).empty(data)


def region_of(key: str, data: bytes | None) -> Any:
    """The part of a file Reverie owns (compare to detect hand edits inside it); None for no file."""
    if data is None:
        return None
    try:
        return format_of(key).owned(data)
    except Unmergeable:
        return "<unreadable>"


# --- how Reverie shares each kind of file with people (see store.resolve) ---------------


class BlockFormat:
    """CLAUDE.md, AGENTS.md, …: Reverie's managed block; people's text around it."""

    shared = True

    def owned(self, data: bytes) -> object:
        text = data.decode("utf-8", "replace")
        if has_broken_markers(text):
            raise Unmergeable("its Reverie markers are broken")
        return block_region(text)

    def people(self, data: bytes) -> object:
        # appending a block may add the newline a file lacked
        return splice_block(data.decode("utf-8", "replace"), None).rstrip("\n")

    def splice(self, people: bytes, owned: bytes | None) -> bytes:
        block = block_region(owned.decode("utf-8")) if owned is not None else None
        return splice_block(people.decode("utf-8"), block).encode("utf-8")

    def empty(self, data: bytes) -> bool:
        return not data.strip()


class SettingsFormat:
    """settings.json / settings.local.json: Reverie's hook entries; every other key and entry is people's."""

    shared = True

    def _doc(self, data: bytes) -> Any:
        try:
            doc = _settings_doc(data) if data.strip() else {}
        except ValueError as err:
            raise Unmergeable(f"invalid JSON ({err})") from None
        if not isinstance(doc, dict):
            raise Unmergeable("settings file is not a JSON object")
        return doc

    def owned(self, data: bytes) -> object:
        return json_region(self._doc(data))

    def people(self, data: bytes) -> object:
        return json.dumps(strip_hooks(self._doc(data)), sort_keys=True)

    def splice(self, people: bytes, owned: bytes | None) -> bytes:
        if owned is None and not people.strip():
            return people
        self._doc(people)
        text = strip_settings_text(_settings_text(people))
        if owned is not None:
            text = add_settings_groups(text, settings_groups(self._doc(owned)))
        return text.encode("utf-8")

    def empty(self, data: bytes) -> bool:
        try:
            return bool(self._doc(data) == {})
        except Unmergeable:
            return False


BLOCK_FORMAT = BlockFormat()
SETTINGS_FORMAT = SettingsFormat()


def format_of(key: str) -> FileFormat:
    """How Reverie shares file `key` with people (see store.resolve)."""
    ftype = file_type(key)
    if ftype == "block":
        return BLOCK_FORMAT
    if ftype == "json":
        return SETTINGS_FORMAT
    return WHOLE
