"""Imported once by the ingest forkserver: build the secret scanners there, so every worker forked
from it starts with them ready (kingfisher takes ~0.7 s to build and is single-threaded, so it
survives a fork). Never imported by the parent process."""

from __future__ import annotations

try:
    import reverie.dreamer.ingest
    import reverie.dreamer.ingest_parallel  # noqa: F401
    from reverie.dreamer.redact import _gate_scanner, _kingfisher

    _kingfisher()
    _gate_scanner()
except Exception:
    pass
