"""`reverie demo DIR --no-tui`: builds, dreams, prints a summary, and writes nothing outside DIR."""

from __future__ import annotations

import os
from pathlib import Path

from tests.e2e.conftest import Cli, tree_digest


def _listing(root: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            out[p] = (st.st_size, st.st_mtime_ns)
    return out


def test_demo_no_tui_stays_inside_its_dir(cli: Cli, tmp_path: Path, temp_home: Path) -> None:
    (temp_home / ".claude").mkdir()
    (temp_home / ".claude" / "CLAUDE.md").write_text("the user's own global memory\n")
    home_before = _listing(temp_home)
    siblings_before = sorted(os.listdir(tmp_path))
    d = tmp_path / "demo"
    res = cli.ok("demo", d, "--no-tui", "--json", ws=False)
    doc = res.json()
    assert doc["proposals"] > 0 and doc["candidate_store"].startswith("c-")
    assert Path(doc["workspace"]).resolve().is_relative_to(d.resolve())
    assert Path(doc["home"]).resolve().is_relative_to(d.resolve())
    assert _listing(temp_home) == home_before
    assert os.environ["HOME"] == str(temp_home)  # the private HOME does not leak out of the command
    assert sorted(os.listdir(tmp_path)) == sorted([*siblings_before, "demo"])

    # running it again reuses the demo, still without touching the home
    ws = Path(doc["workspace"])
    before = tree_digest(ws)
    res = cli.ok("demo", d, "--no-tui", ws=False)
    assert "candidate" in res.out
    assert tree_digest(ws) == before
    assert _listing(temp_home) == home_before
