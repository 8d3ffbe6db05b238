"""store/ and dreamer/ never import textual or console; the console starts without litellm."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BARE = ("store", "dreamer", "console")  # the folders' install names are reverie.store etc.


def _modules(package: str) -> list[str]:
    out = []
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        out.append(".".join(["reverie", *parts]))
    return out


def _imported_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_store_and_dreamer_sources_never_import_textual_or_console() -> None:
    offenders = []
    files = [p for pkg in ("store", "dreamer") for p in (ROOT / pkg).rglob("*.py")]
    assert len(files) > 10  # the walk really found the packages
    for path in files:
        for name in _imported_names(path):
            if name.split(".")[0] == "textual" or name.startswith("reverie.console"):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, offenders


def test_importing_every_store_and_dreamer_module_loads_no_textual() -> None:
    modules = [m for m in _modules("store") + _modules("dreamer")]
    code = (
        "import importlib, json, sys\n"
        f"mods = {modules!r}\n"
        "failed = {}\n"
        "for m in mods:\n"
        "    try:\n"
        "        importlib.import_module(m)\n"
        "    except Exception as e:\n"
        "        failed[m] = repr(e)\n"
        "bad = sorted(k for k in sys.modules if k.split('.')[0] == 'textual' or k.startswith('reverie.console'))\n"
        "print(json.dumps({'bad': bad, 'failed': failed, 'loaded': len(mods)}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["loaded"] == len(modules) > 10
    assert result["bad"] == [], result
    # a module that cannot even be imported would hide its imports from this check
    assert not {k: v for k, v in result["failed"].items() if "textual" in v or "console" in v}


def test_console_start_imports_no_litellm(tmp_path: Path) -> None:
    """Build the app (as `reverie review` does, up to run()) and check sys.modules."""
    code = (
        "import json, sys, os\n"
        "from pathlib import Path\n"
        "from reverie.store.store import Store\n"
        "import reverie.console.cli, reverie.console.cmd_tui\n"
        "from reverie.console.app import ReverieApp\n"
        f"ws = Path({str(tmp_path / 'ws')!r}); ws.mkdir()\n"
        "s = reverie.console.cmd_tui.open_workspace_store(ws, None)\n"
        "app = ReverieApp(s, lambda: Store.open(ws), watch=False)\n"
        "print(json.dumps({'litellm': 'litellm' in sys.modules,"
        " 'dreamer_llm': 'reverie.dreamer.engines.llm' in sys.modules,"
        " 'textual': 'textual' in sys.modules}))\n"
    )
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"litellm": False, "dreamer_llm": False, "textual": True}


def test_no_module_imports_a_bare_folder_name() -> None:
    """`import store` would load a second copy of the package from the checkout."""
    offenders = []
    files = [p for pkg in ("store", "dreamer", "console", "tests") for p in (ROOT / pkg).rglob("*.py")]
    for path in files:
        for name in _imported_names(path):
            if name.split(".")[0] in BARE:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, offenders
