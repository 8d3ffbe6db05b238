"""Key bindings with ids, so people can remap them (lazygit/tig habits by default).

Every binding has a stable id (``approve``, ``reject``, …). Overrides come from
``~/.config/reverie/keys.toml`` and then the workspace's ``.reverie/config.toml``
``[keys]`` table (the workspace wins), as ``id = "key"`` or ``id = "key1,key2"``.
The app hands the merged map to Textual's keymap, so help, footer and palette
show the remapped keys.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path

from textual.binding import Binding, BindingType

from reverie.store import paths

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Key:
    id: str
    key: str
    action: str
    description: str
    show: bool = True
    priority: bool = False


MAIN: tuple[Key, ...] = (
    Key("down", "j,down", "cursor_down", "down", show=False),
    Key("up", "k,up", "cursor_up", "up", show=False),
    Key("page_down", "ctrl+d,pagedown", "page_down", "page down", show=False),
    Key("page_up", "ctrl+u,pageup", "page_up", "page up", show=False),
    Key("top", "g,home", "cursor_top", "first", show=False),
    Key("bottom", "G,end", "cursor_bottom", "last", show=False),
    Key("open", "enter", "open_evidence", "open transcript"),
    Key("mark", "space", "toggle_mark", "mark"),
    Key("mark_group", "m", "mark_group", "mark group", show=False),
    Key("approve", "a", "approve", "approve"),
    Key("reject", "x", "reject", "reject"),
    Key("edit", "e", "edit_inline", "edit"),
    Key("edit_external", "E", "edit_external", "edit in $EDITOR", show=False),
    Key("scope", "s", "rescope", "scope"),
    Key("kind", "K", "rekind", "kind"),
    Key("apply", "A", "apply", "apply"),
    Key("dream", "d", "dream", "dream"),
    Key("discard", "D", "discard", "discard", show=False),
    Key("history", "h", "history", "history"),
    Key("why_not", "w", "why_not", "why not"),
    Key("undo", "z", "undo", "undo"),
    Key("redo", "Z", "redo", "redo", show=False),
    Key("filter", "slash", "filter", "filter"),
    Key("side_by_side", "v", "toggle_side_by_side", "side-by-side", show=False),
    Key("next_evidence", "n", "next_evidence", "next quote", show=False),
    Key("help", "question_mark", "help", "help"),
    Key("quit", "q", "quit_screen", "quit"),
)

HISTORY: tuple[Key, ...] = (
    Key("history_down", "j,down", "cursor_down", "down", show=False),
    Key("history_up", "k,up", "cursor_up", "up", show=False),
    Key("restore", "r", "restore", "restore"),
    Key("history_undo", "z", "undo", "undo"),
    Key("history_redo", "Z", "redo", "redo"),
    Key("history_help", "question_mark", "help", "help"),
    Key("history_close", "q,escape", "close", "back"),
)

TRANSCRIPT: tuple[Key, ...] = (
    Key("transcript_down", "j,down", "scroll_down", "down", show=False),
    Key("transcript_up", "k,up", "scroll_up", "up", show=False),
    Key("transcript_more", "m", "more", "more context"),
    Key("transcript_help", "question_mark", "help", "help"),
    Key("transcript_close", "q,escape", "close", "back"),
)

EDIT: tuple[Key, ...] = (
    Key("edit_save", "ctrl+s", "save", "save", priority=True),
    Key("edit_cancel", "escape", "cancel", "cancel", priority=True),
)

DREAM: tuple[Key, ...] = (Key("dream_cancel", "escape", "cancel", "cancel dream", priority=True),)

ALL: tuple[Key, ...] = MAIN + HISTORY + TRANSCRIPT + EDIT + DREAM
BY_ID: dict[str, Key] = {k.id: k for k in ALL}


def bindings(keys: tuple[Key, ...]) -> list[BindingType]:
    """Textual bindings for a screen, each carrying its id (namespaced ``reverie.<id>``)."""
    return [
        Binding(k.key, k.action, k.description, show=k.show, id=binding_id(k.id), priority=k.priority) for k in keys
    ]


def binding_id(key_id: str) -> str:
    return f"reverie.{key_id}"


def _read_toml_keys(path: Path, nested: bool) -> dict[str, str]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        log.warning("ignoring key overrides in %s: %s", path, err)
        return {}
    table = data.get("keys", {}) if nested else data.get("keys", data)
    if not isinstance(table, dict):
        log.warning("ignoring key overrides in %s: [keys] is not a table", path)
        return {}
    out: dict[str, str] = {}
    for name, value in table.items():
        name = str(name).removeprefix("reverie.")
        if name not in BY_ID:
            log.warning("%s: unknown key binding id %r (known: %s)", path, name, ", ".join(sorted(BY_ID)))
            continue
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        if not isinstance(value, str) or not value.strip():
            log.warning("%s: key for %r must be a string", path, name)
            continue
        out[name] = value.strip()
    return out


def user_keys_path() -> Path:
    return paths.home() / ".config" / "reverie" / "keys.toml"


def load_overrides(workspace: Path | None) -> dict[str, str]:
    """Merged overrides ``{binding id: keys}``; the workspace's config wins over the user's."""
    merged = _read_toml_keys(user_keys_path(), nested=False)
    if workspace is not None:
        merged.update(_read_toml_keys(paths.state_dir(workspace) / paths.CONFIG_NAME, nested=True))
    return {binding_id(k): v for k, v in merged.items()}


def display_key(key_id: str, keymap: dict[str, str] | None = None) -> str:
    """The key a person presses for `key_id`, as shown in help (first alternative)."""
    keys = (keymap or {}).get(binding_id(key_id)) or BY_ID[key_id].key
    first = keys.split(",")[0].strip()
    return {"slash": "/", "question_mark": "?", "space": "space"}.get(first, first)
