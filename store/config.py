"""`.reverie/config.toml`: one reader for every table (`[dream]`, `[llm]`, `[keys]`, …).

Read fresh on each call (it is tiny) so an edit takes effect on the next command.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from reverie.store.errors import ReverieError
from reverie.store.paths import CONFIG_NAME, state_dir


def config_path(workspace: Path) -> Path:
    return state_dir(workspace) / CONFIG_NAME


def config_table(workspace: Path | None, table: str) -> dict[str, Any]:
    """The `[table]` of the workspace's config ({} when the file or table is absent).

    A config that cannot be parsed is a one-line `ReverieError` naming the file.
    """
    if workspace is None:
        return {}
    path = config_path(Path(workspace))
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as err:
        raise ReverieError(f"cannot read {path}: {err}") from None
    value = data.get(table, {})
    if not isinstance(value, dict):
        raise ReverieError(f"{path}: [{table}] must be a table")
    return value
