"""Reverie's dreamer: turns agent experience into proposals, without a UI.

Transcript adapters, redaction, ingest, the workspace watcher, signal
extraction, consolidation, critics, replay verification and the engines.
"""

from reverie.store import guard as _guard


def _credentials(text: str) -> set[str]:
    """What apply's last check looks for (`store.guard`): every credential the one redactor finds."""
    from reverie.dreamer.redact import credentials_in

    return credentials_in(text)


_guard.install(_credentials)
