"""Clean-text verdicts of the redactor kept in the store between dreams (`redact.Verdicts`).

A dream ends by judging every proposal text for credentials (the critics); a second
dream over nothing new asks about the same texts, and answering meant loading
kingfisher (~0.4 s of a ~0.8 s run). The keys of the texts judged clean in one dream
are kept under the redactor's fingerprint, so the next dream trusts them without a
scan. Only clean verdicts, only as keyed hashes (see `redact.Verdicts`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from reverie.dreamer.redact import Verdicts, fingerprint, remembered_verdicts

NAMESPACE = "redact-clean"


@contextmanager
def remembered(cache_get: Callable[[str, str], Any], cache_put: Callable[[str, str, Any], None]) -> Iterator[Verdicts]:
    """Within the block, the redactor trusts the verdicts the last run kept; afterwards the ones this
    run used or found are kept instead (so the set stays the size of one dream's texts)."""
    key = fingerprint()
    stored = cache_get(NAMESPACE, key)
    known = [k for k in stored if isinstance(k, str)] if isinstance(stored, list) else []
    verdicts = Verdicts(known)
    with remembered_verdicts(verdicts):
        yield verdicts
    if verdicts.used != set(known):
        cache_put(NAMESPACE, key, sorted(verdicts.used))
