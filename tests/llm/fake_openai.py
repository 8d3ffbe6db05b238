"""A tiny OpenAI-compatible HTTP server for tests: canned answers, counted requests.

Why: the LLM engine's real HTTP path (litellm → openai SDK → HTTP) must be
tested without ever contacting a provider. The server listens on 127.0.0.1 on a
random port, answers `/v1/chat/completions` instantly with whatever `answer`
returns, reports fixed usage figures, records every request body, and is
bounded: it refuses requests beyond `max_requests` and shuts itself down after
`lifetime` seconds even if a test forgets to stop it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = Callable[[dict[str, Any]], str]
"""answer(request_json) -> the assistant message content to return."""


class FakeOpenAI:
    """Context manager running the fake server in a daemon thread."""

    def __init__(
        self,
        answer: Answer,
        prompt_tokens: int = 100,
        completion_tokens: int = 50,
        max_requests: int = 200,
        lifetime: float = 60.0,
        status: int = 200,
        fail_first: int = 0,
    ) -> None:
        self.answer = answer
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.max_requests = max_requests
        self.lifetime = lifetime
        self.status = status
        self.fail_first = fail_first
        """Answer the first N requests with HTTP 503 (a transient provider failure)."""
        self.bodies: list[bytes] = []
        """Raw bodies of every request received, in order."""
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._timer: threading.Timer | None = None
        self._port = 0

    # -- lifecycle -----------------------------------------------------------

    def __enter__(self) -> FakeOpenAI:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port it listens (or listened) on; stays valid after `stop`."""
        return self._port

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Parsed JSON of every request body."""
        with self._lock:
            return [json.loads(b) for b in self.bodies]

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.bodies)

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with fake._lock:
                    over = len(fake.bodies) >= fake.max_requests
                    if not over:
                        fake.bodies.append(body)
                    failing = len(fake.bodies) <= fake.fail_first
                if over:
                    self._send(429, {"error": {"message": "fake server: request limit reached", "type": "rate_limit"}})
                    return
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                    return
                if failing:
                    self._send(503, {"error": {"message": "fake overload", "type": "server_error"}})
                    return
                if fake.status != 200:
                    self._send(fake.status, {"error": {"message": "fake failure", "type": "server_error"}})
                    return
                request = json.loads(body or b"{}")
                content = fake.answer(request)
                self._send(
                    200,
                    {
                        "id": f"chatcmpl-fake-{len(fake.bodies)}",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": request.get("model", "fake-model"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {
                            "prompt_tokens": fake.prompt_tokens,
                            "completion_tokens": fake.completion_tokens,
                            "total_tokens": fake.prompt_tokens + fake.completion_tokens,
                        },
                    },
                )

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._port = int(self._server.server_address[1])
        thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()

    def stop(self) -> None:
        server, self._server = self._server, None
        if self._timer is not None:
            self._timer.cancel()
        if server is not None:
            server.shutdown()
            server.server_close()
