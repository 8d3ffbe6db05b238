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

from reverie.store import frontmatter
from reverie.store.mirrors import mirror_keys
from reverie.store.models import KINDS, Artifact
from reverie.store.paths import claude_slug

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


def splice_block(text: str, block: str | None) -> str:
    """Replace the managed block in `text` by `block` (None removes it).

    A new block is appended at the end after one blank line; removing a block
    removes that separator too, so add-then-remove gives back the same bytes.
    """
    m = _BLOCK.search(text)
    if m:
        if block is not None:
            return text[: m.start()] + block + text[m.end() :]
        start, end = m.start(), m.end()
        if text[end : end + 1] == "\n":
            end += 1
        if end == len(text) and text[:start].endswith("\n\n"):
            start -= 1
        return text[:start] + text[end:]
    if block is None:
        return text
    if not text:
        return block + "\n"
    if not text.endswith("\n"):
        text += "\n"
    return text + "\n" + block + "\n"


def _entry(a: Artifact) -> str:
    body = a.body.strip("\n")
    if a.scope == "path" and a.paths:  # a path rule mirrored into another agent's file says where it applies
        body = (
            f"(for {', '.join(a.paths)}) {body}" if "\n" not in body.strip() else f"For {', '.join(a.paths)}:\n{body}"
        )
    if "\n" not in body.strip():
        return f"- {body.strip()}"
    return f"### {a.title or a.name}\n{body}"


def _memory_index_entry(a: Artifact) -> str:
    desc = str(a.meta.get("description") or "").strip() or _first_line(a.body)
    title = a.title or a.name
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
    """Remove Reverie's hook entries (and entries running `drop_commands`)."""
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
            inner = [
                h
                for h in group["hooks"]
                if not _is_reverie_hook(h) and not (isinstance(h, dict) and h.get("command") in drop_commands)
            ]
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


def render_settings(
    existing: bytes | None, arts: list[Artifact], drop_commands: AbstractSet[str] = frozenset()
) -> bytes:
    """Merge Reverie's hook entries into a settings document (other keys kept)."""
    data: dict[str, Any] = {}
    if existing is not None and existing.strip():
        loaded = json.loads(existing.decode("utf-8"))
        if not isinstance(loaded, dict):
            raise ValueError("settings file is not a JSON object")
        data = loaded
    data = strip_hooks(data, set(drop_commands))
    for a in _order([a for a in arts if a.kind == "hook" and a.meta.get("layout") != "hook"]):
        event = str(a.meta.get("event") or "PreToolUse")
        group: dict[str, Any] = {}
        if a.meta.get("matcher") is not None or event in ("PreToolUse", "PostToolUse", "PermissionRequest"):
            group["matcher"] = str(a.meta.get("matcher") or "")
        group["hooks"] = [{"type": "command", "command": hook_command(a), "timeout": int(a.meta.get("timeout") or 10)}]
        data.setdefault("hooks", {}).setdefault(event, []).append(group)
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


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
    if data is None:
        return True
    ftype = file_type(key)
    if ftype == "block":
        return not data.strip()
    if ftype == "json":
        try:
            return bool(json.loads(data) == {})
        except ValueError:
            return False
    return False


def region_of(key: str, data: bytes | None) -> Any:
    """The part of a file Reverie owns (compare to detect hand edits inside it)."""
    if data is None:
        return None
    ftype = file_type(key)
    if ftype == "block":
        return block_region(data.decode("utf-8", "replace"))
    if ftype == "json":
        try:
            return json_region(json.loads(data))
        except ValueError:
            return "<invalid json>"
    return data


def outside_of(key: str, data: bytes | None) -> Any:
    """The part of a file people own (text outside the managed region)."""
    if data is None:
        return None
    ftype = file_type(key)
    if ftype == "block":  # appending a block may add the newline a file lacked
        return splice_block(data.decode("utf-8", "replace"), None).rstrip("\n")
    if ftype == "json":
        try:
            return json.dumps(strip_hooks(json.loads(data)), sort_keys=True)
        except (ValueError, AttributeError):
            return "<invalid json>"
    return None


def splice_region(key: str, disk: bytes, target: bytes | None) -> bytes | None:
    """Keep the people's text of `disk`, put in the managed region of `target`."""
    ftype = file_type(key)
    if ftype == "block":
        block = block_region(target.decode("utf-8")) if target is not None else None
        new = splice_block(disk.decode("utf-8"), block)
        return new.encode("utf-8") if new.strip() else None
    if ftype == "json":
        data = strip_hooks(json.loads(disk))
        if target is not None:
            for event, matcher, h in json_region(json.loads(target)):
                group: dict[str, Any] = (
                    {"matcher": matcher, "hooks": [h]}
                    if matcher != "" or event in ("PreToolUse", "PostToolUse")
                    else {"hooks": [h]}
                )
                data.setdefault("hooks", {}).setdefault(event, []).append(group)
        return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return target
