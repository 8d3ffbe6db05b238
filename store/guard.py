"""The last check before apply writes a file: no credential the file did not already hold.

Why a registry: the one redactor lives in the dreamer layer, which the store
must not import; the dreamer package installs its detector here when it is
imported (every front end that applies — the CLI, the console — imports it).
Without one installed (the store used on its own), nothing is checked here;
proposals were labelled by the critics already.
"""

from __future__ import annotations

from collections.abc import Callable

Detector = Callable[[str], set[str]]
"""Text → the credential strings found in it."""

_detector: Detector | None = None


def install(detector: Detector) -> None:
    global _detector
    _detector = detector


def new_credentials(before: bytes | None, after: bytes | None) -> set[str]:
    """Credentials `after` holds that `before` did not (a person's own text is theirs)."""
    if _detector is None or after is None:
        return set()
    found = _detector(after.decode("utf-8", "replace"))
    if found and before is not None:
        found -= _detector(before.decode("utf-8", "replace"))
    return found
