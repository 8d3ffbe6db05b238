"""The distribution installs one top-level name, `reverie`, and lists every package folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("store", "dreamer", "console")


def _declared_packages() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return sorted(config["tool"]["setuptools"]["packages"])


def _packages_on_disk() -> list[str]:
    names = []
    for folder in FOLDERS:
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT)
            names.append(".".join(["reverie", *rel.parts]))
    return sorted(names)


def test_every_package_folder_is_declared() -> None:
    assert _declared_packages() == _packages_on_disk()


def test_wheel_holds_only_the_reverie_namespace(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for folder in FOLDERS:
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "wheel"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(src), "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = out.glob("reverie-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"reverie"}
    assert "reverie/console/reverie.tcss" in names
    assert "reverie/store/core.py" in names
    assert not any(n.startswith("reverie/dreamer/scenarios/heldout") for n in names)
