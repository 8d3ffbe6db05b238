"""Errors the library raises; the CLI turns each into one line and an exit code.

The library never prints: it raises one of these with a message that names what
was wrong, and the console or CLI decides how to show it.
"""

from __future__ import annotations


class ReverieError(Exception):
    """A failure a person can act on; `str(err)` is a one-line message."""

    exit_code = 1


class UsageError(ReverieError):
    """Bad usage: an unknown id, an invalid scope, missing arguments (exit 2)."""

    exit_code = 2


class NotFoundError(UsageError):
    """An id or reference that does not exist."""


class StoreCorruptError(ReverieError):
    """The database file cannot be read as a Reverie store."""


class UnsafePathError(ReverieError):
    """A target path that escapes the workspace or the home directory."""


class NothingToDoError(ReverieError):
    """Undo with nothing to undo, apply with nothing approved, …"""


class ReadOnlyStoreError(ReverieError):
    """A change asked of a store whose files cannot be written (it opened for reading only)."""
