"""Where a file's events are cut into batches (one secret scan and one insert each) never changes what is stored.

`scan_lines` closes a batch after `BATCH_BYTES` of lines or `BATCH_EVENTS` events; a batch of one
line at a time must store exactly the rows of the default batches, secrets redacted the same way.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reverie.dreamer import ingest as ingest_mod
from reverie.dreamer.ingest import ingest
from tests.ingest.fixtures import SECRET_VALUES
from tests.ingest.test_parallel import _corpus, _db, _dump


def test_one_line_batches_store_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _corpus(tmp_path / "t")
    default = _db(tmp_path / "default.db")
    ingest(default, tmp_path / "ws", [tmp_path / "t"], home=False, workers=0)
    monkeypatch.setattr(ingest_mod, "BATCH_BYTES", 1)
    tiny = _db(tmp_path / "tiny.db")
    ingest(tiny, tmp_path / "ws", [tmp_path / "t"], home=False, workers=0)
    rows = _dump(tiny)
    assert rows == _dump(default)
    text = repr(rows)
    assert "[REDACTED:" in text
    assert not [name for name, value in SECRET_VALUES.items() if value in text]
