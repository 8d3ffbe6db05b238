"""How CLI handlers print: one JSON document on stdout with --json, text otherwise.

Handlers call `out.emit(document, text)`; progress and logs always go to stderr,
so `--json` output can be piped straight into `jq`.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson

from reverie.store.textsafe import safe_text


class Output:
    def __init__(self, json_mode: bool = False) -> None:
        self.json_mode = json_mode

    def emit(self, document: Any, text: str | None = None) -> None:
        """Print `document` as JSON in --json mode, else `text` (or a plain rendering).

        Text goes through `safe_text`: an escape sequence or bidi control inside a
        proposal title must never reach the terminal raw.
        """
        if self.json_mode:
            sys.stdout.buffer.write(
                orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str)
            )
            sys.stdout.buffer.write(b"\n")
            sys.stdout.flush()
        else:
            print(safe_text(text if text is not None else str(document)))

    def info(self, message: str) -> None:
        """A line for people, on stderr so it never pollutes JSON output."""
        print(safe_text(message), file=sys.stderr)
