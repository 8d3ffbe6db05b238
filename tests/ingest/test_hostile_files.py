"""Files no transcript should be, and lines no parser expects: skipped, never fatal, never a hang."""

from __future__ import annotations

import json
import os
from pathlib import Path

from reverie.dreamer.ingest import ingest
from tests.ingest.fixtures import Claude, write_jsonl


def test_invalid_utf8_in_a_line_is_read_with_replacement_not_fatal(db, tmp_path: Path) -> None:
    c = Claude()
    path = write_jsonl(tmp_path / "t" / f"{c.session_id}.jsonl", [c.user("first")])
    raw = json.dumps(c.user("caf\u00e9 latte")).encode().replace(b"caf\\u00e9", b"caf\xe9")
    with open(path, "ab") as fh:
        fh.write(raw + b"\n")

    report = ingest(db, tmp_path, [tmp_path / "t"], home=False)

    assert report.sessions == 1 and report.events == 2 and report.malformed_lines == 0


def test_nesting_deeper_than_the_stack_is_a_malformed_line(db, tmp_path: Path) -> None:
    c = Claude()
    path = write_jsonl(tmp_path / "t" / f"{c.session_id}.jsonl", [c.user("first")])
    with open(path, "a") as fh:
        fh.write('{"type":"user","message":{"content":' + "[" * 100_000 + "]" * 100_000 + "}}\n")

    report = ingest(db, tmp_path, [tmp_path / "t"], home=False)

    assert report.events == 1 and report.malformed_lines == 1


def test_fifos_and_device_links_are_skipped_without_blocking(db, tmp_path: Path) -> None:
    c = Claude()
    write_jsonl(tmp_path / "t" / f"{c.session_id}.jsonl", [c.user("real one")])
    os.mkfifo(tmp_path / "t" / "pipe.jsonl")  # open() on it would wait for a writer forever
    (tmp_path / "t" / "zero.jsonl").symlink_to("/dev/zero")  # reading it never ends

    report = ingest(db, tmp_path, [tmp_path / "t"], home=False)

    assert report.sessions == 1 and report.events == 1
