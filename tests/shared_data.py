"""Where the real-data corpora live, for every test and benchmark that reads them in place.

`<repo>/../shared` (a checkout beside the course material), or /work/shared (a git
worktree's parent holds none). A folder counts only when it holds the part asked for
(`realdata`, `realdata2`): a user's fresh clone has neither, and then every real-data
test skips with a visible reason while the generated fixtures still cover each format.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CANDIDATES = (REPO.parent / "shared", Path("/work/shared"))


def shared_dir(*parts: str) -> Path | None:
    """The first candidate holding every one of `parts` (default: `realdata`); None in a fresh clone."""
    wanted = parts or ("realdata",)
    for candidate in CANDIDATES:
        if all((candidate / part).is_dir() for part in wanted):
            return candidate
    return None
