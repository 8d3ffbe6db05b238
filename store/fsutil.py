"""Safe, atomic file writes for materialized artifacts.

Why: a crash or a full disk must never leave a half-written CLAUDE.md, and no
target may land outside the workspace or ``$HOME/.claude`` (a malicious or
buggy proposal must not write ``../../.bashrc``). Paths are stored as *keys*:
workspace-relative (``CLAUDE.md``) or home-relative (``~/.claude/...``).
Home keys may also name the other agents' own directories (``~/.gemini/``,
``~/.codex/``): Reverie reverts an agent's write to ``~/.gemini/GEMINI.md`` or
its Codex memories there, and nowhere else under ``$HOME``.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from reverie.store.errors import ReverieError, UnsafePathError
from reverie.store.paths import home

HOME_PREFIX = "~/"
HOME_ROOTS = (".claude", ".gemini", ".codex")
"""The only directories under $HOME a home key may name (each agent's own)."""


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def safe_target(workspace: Path, key: str) -> Path:
    """Resolve a target key to an absolute path, refusing anything that escapes.

    Workspace keys must stay inside the workspace; ``~/`` keys inside
    ``$HOME/.claude`` (or ``$HOME/.gemini``, ``$HOME/.codex``). ``..``
    components, absolute paths and symlinked parents that lead elsewhere raise
    UnsafePathError naming the key.
    """
    if not key or "\x00" in key:
        raise UnsafePathError(f"unsafe target path {key!r}: empty or contains NUL")
    if key.startswith(HOME_PREFIX):
        rel = key[len(HOME_PREFIX) :]
        first = rel.split("/", 1)[0]
        root = home() / (first if first in HOME_ROOTS else ".claude")
        base = home()
    else:
        rel, root, base = key, workspace, workspace
    parts = Path(rel).parts
    if Path(rel).is_absolute() or rel.startswith(("/", "\\")) or any(p == ".." for p in parts):
        raise UnsafePathError(
            f"unsafe target path {key!r}: escapes {'$HOME/.claude' if key.startswith(HOME_PREFIX) else 'the workspace'}"
        )
    candidate = base / rel
    real_root = root.resolve()
    real = candidate.resolve()  # follows symlinked parents (and the file itself)
    if not _inside(real, real_root):
        raise UnsafePathError(f"unsafe target path {key!r}: resolves to {real}, outside {root}")
    return candidate


def key_for(workspace: Path, path: Path) -> str:
    """The key of an absolute path (workspace-relative, else ``~/``-relative)."""
    path = Path(os.path.abspath(path))
    ws = Path(os.path.abspath(workspace))
    if _inside(path, ws):
        return path.relative_to(ws).as_posix()
    h = Path(os.path.abspath(home()))
    if _inside(path, h):
        return HOME_PREFIX + path.relative_to(h).as_posix()
    raise UnsafePathError(f"unsafe target path {str(path)!r}: outside the workspace and $HOME")


def read_bytes(path: Path) -> bytes | None:
    """File bytes, or None when absent (a directory counts as unreadable → error)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ReverieError(f"{path} is a directory, expected a file") from None
    except OSError as err:
        raise ReverieError(f"cannot read {path}: {err.strerror or err}") from None


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write `data` to `path` so readers see the old or the new file, never half.

    Temp file in the same directory, fsync, rename over the target, fsync the
    directory. An OSError (read-only dir, disk full) becomes a ReverieError and
    the original file is left untouched.
    """
    tmp_name = None
    if path.is_symlink():  # keep the person's link; write the file it points to
        path = path.resolve()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        _pause_in_temp()
        if mode is not None:
            os.chmod(tmp_name, mode)
        elif path.exists():
            os.chmod(tmp_name, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
        tmp_name = None
        _fsync_dir(path.parent)
    except OSError as err:
        raise ReverieError(f"cannot write {path}: {err.strerror or err}") from None
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


TMP_SUFFIX = ".reverie-tmp"


def leftover_temps(path: Path) -> list[Path]:
    """Temp files `atomic_write` left beside `path` when its process was killed mid-write."""
    if path.is_symlink():
        path = path.resolve()
    try:
        return sorted(path.parent.glob(f".{glob_escape(path.name)}.*{TMP_SUFFIX}"))
    except OSError:
        return []


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def remove_file(path: Path) -> None:
    """Delete a file Reverie wrote; prune the empty dirs Reverie created for it."""
    try:
        path.unlink()
    except FileNotFoundError:
        return
    except OSError as err:
        raise ReverieError(f"cannot delete {path}: {err.strerror or err}") from None
    _fsync_dir(path.parent)
    parent = path.parent
    # only prune reverie-specific directories (hooks/reverie, skills/<name>)
    for _ in range(2):
        if parent.name in ("reverie",) or parent.parent.name == "skills":
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
        else:
            break


# --- test-only pause point -------------------------------------------------


def _pause_in_temp() -> None:
    """With REVERIE_TEST_PAUSE_IN_TEMP=1, stop with the temp file written and not yet renamed (a test kills us)."""
    if os.environ.get("REVERIE_TEST_PAUSE_IN_TEMP") == "1":
        PausePoint.pause()


class PausePoint:
    """Counts file writes; with REVERIE_TEST_PAUSE_AFTER_WRITES=N, stops after N.

    At the pause it creates the file named by REVERIE_TEST_PAUSE_MARKER (if
    set) and sleeps, so a crash test can SIGKILL the process between writes.
    """

    def __init__(self) -> None:
        raw = os.environ.get("REVERIE_TEST_PAUSE_AFTER_WRITES", "")
        self.after = int(raw) if raw.isdigit() else None
        self.count = 0

    def wrote(self) -> None:
        self.count += 1
        if self.after is not None and self.count == self.after:
            self.pause()

    @staticmethod
    def pause() -> None:
        marker = os.environ.get("REVERIE_TEST_PAUSE_MARKER")
        if marker:
            Path(marker).write_text(str(os.getpid()))
        deadline = time.monotonic() + float(os.environ.get("REVERIE_TEST_PAUSE_SECONDS", "60"))
        while time.monotonic() < deadline:
            time.sleep(0.05)
