"""Importing the engine must not import litellm (seconds, and it may try the network)."""

from __future__ import annotations

import subprocess
import sys


def test_importing_llm_engine_does_not_import_litellm() -> None:
    code = (
        "import sys\n"
        "import reverie.dreamer.engines.llm, reverie.dreamer.engines.llm_schema\n"
        "import reverie.dreamer.engines.llm_prompts, reverie.dreamer.digest\n"
        "print('litellm' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
