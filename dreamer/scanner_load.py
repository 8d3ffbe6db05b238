"""Load the secret scanners in a background thread, once per process.

Kingfisher's compiled rules take most of a second to load even from their
cache, and the load releases the GIL. A command that will redact or run critics
(`reverie dream`, a cold ingest) starts it first thing, before its other
imports, so the load overlaps work instead of stalling the first redaction.
This module imports only the redactor, so starting it costs almost nothing.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

READY = threading.Event()
"""Set once the scanners are loaded (or failed to load: then redaction reports it itself)."""
_STARTED = threading.Lock()


def _load() -> None:
    try:
        from reverie.dreamer.redact import redact_many

        redact_many(["reverie: load the secret scanners"])
    except Exception as err:  # the first real redaction reports it again
        log.debug("secret scanner warm-up failed: %s", err)
    finally:
        READY.set()


def start() -> None:
    """Start loading unless it is loaded or loading already."""
    if not READY.is_set() and _STARTED.acquire(blocking=False):
        threading.Thread(target=_load, name="reverie-scanner-load", daemon=True).start()
