"""The `reverie` command line (DESIGN §4).

Parsing only: every subcommand's handler lives in a `console.cmd_*` module that
is imported when that subcommand runs, so `reverie --help` and the console start
fast (litellm and textual are never imported by commands that do not need them).

Handlers have the signature ``handler(args: argparse.Namespace, out: Output) -> int``.
They raise `store.errors.ReverieError` for failures; `main` turns any error into
one line on stderr and an exit code (2 bad usage, 1 otherwise), never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from reverie.console.output import Output
from reverie.store.errors import ReverieError
from reverie.store.textsafe import one_line

# subcommand -> (module, function, help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("reverie.console.cmd_store", "cmd_init", "create the store and import the workspace's artifacts"),
    "import": ("reverie.console.cmd_store", "cmd_import", "re-read the workspace's artifacts into the active store"),
    "status": ("reverie.console.cmd_store", "cmd_status", "show the active version, open candidate and counts"),
    "propose": ("reverie.console.cmd_store", "cmd_propose", "open a candidate store from a proposals JSON file"),
    "proposals": ("reverie.console.cmd_store", "cmd_proposals", "list the proposals of a candidate store"),
    "show": ("reverie.console.cmd_store", "cmd_show", "show one proposal with its diff"),
    "approve": ("reverie.console.cmd_store", "cmd_approve", "approve proposals"),
    "reject": ("reverie.console.cmd_store", "cmd_reject", "reject proposals"),
    "edit": ("reverie.console.cmd_store", "cmd_edit", "replace a proposal's body (from --body-file or stdin)"),
    "scope": ("reverie.console.cmd_store", "cmd_scope", "change a proposal's scope"),
    "kind": ("reverie.console.cmd_store", "cmd_kind", "change a proposal's kind"),
    "apply": ("reverie.console.cmd_store", "cmd_apply", "apply approved proposals to the workspace"),
    "discard": ("reverie.console.cmd_store", "cmd_discard", "discard a candidate store (kept for audit)"),
    "log": ("reverie.console.cmd_store", "cmd_log", "show the operation log"),
    "undo": ("reverie.console.cmd_store", "cmd_undo", "undo the last operation"),
    "redo": ("reverie.console.cmd_store", "cmd_redo", "redo the last undone operation"),
    "restore": ("reverie.console.cmd_store", "cmd_restore", "restore the store and files to an earlier operation"),
    "gc": ("reverie.console.cmd_store", "cmd_gc", "delete blobs only old operations reference"),
    "ingest": ("reverie.console.cmd_ingest", "cmd_ingest", "read new agent transcripts into the sessions index"),
    "watch": (
        "reverie.console.cmd_ingest",
        "cmd_watch",
        "watch the workspace and transcripts; print events as JSON lines",
    ),
    "dream": ("reverie.console.cmd_dream", "cmd_dream", "run a dream pass and open a candidate store"),
    "effect": (
        "reverie.console.cmd_dream",
        "cmd_effect",
        "how often each applied artifact's trigger recurred before/after",
    ),
    "review": ("reverie.console.cmd_tui", "cmd_review", "open the review console"),
    "demo": ("reverie.console.cmd_tui", "cmd_demo", "build a sample workspace, dream, and open the console on it"),
}


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise _BadUsage(message)


class _BadUsage(Exception):
    pass


def _common(parser: argparse.ArgumentParser, sub: bool = False) -> None:
    # On subcommands the defaults are SUPPRESS: otherwise a subparser's default
    # would overwrite a value given before the subcommand (`reverie -w X init`).
    d = (lambda value: argparse.SUPPRESS) if sub else (lambda value: value)
    parser.add_argument("--workspace", "-w", type=Path, default=d(None), help="workspace dir (default: current dir)")
    parser.add_argument("--db", type=Path, default=d(None), help="database (default: <workspace>/.reverie/reverie.db)")
    parser.add_argument(
        "--transcripts",
        action="append",
        type=Path,
        default=d([]),
        metavar="DIR",
        help="also read transcripts from DIR (repeatable)",
    )
    parser.add_argument("--json", action="store_true", default=d(False), help="print one JSON document on stdout")
    parser.add_argument("--verbose", "-v", action="store_true", default=d(False), help="log details to stderr")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="reverie", description="Review what your coding agents learn.")
    _common(parser)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    for name, (_, _, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        _common(p, sub=True)
        _add_arguments(name, p)
    return parser


def _add_arguments(name: str, p: argparse.ArgumentParser) -> None:
    """Subcommand-specific arguments."""
    if name == "propose":
        p.add_argument("--file", "-f", type=Path, required=True, help='JSON file {"proposals": [...]}')
        p.add_argument("--engine", default="manual")
    elif name in ("proposals",):
        p.add_argument("--candidate", "-c", default=None, help="candidate store id (default: the open one)")
        p.add_argument("--status", default=None, help="only proposals with this status")
        p.add_argument(
            "--observed", action="store_true", help="the observed writes (agent/person edits Reverie did not make)"
        )
    elif name == "show":
        p.add_argument("id")
    elif name == "approve":
        p.add_argument("ids", nargs="+", help="proposal ids; an observed group id keeps every write in it")
        p.add_argument("--clear-block", action="store_true", help="also clear block labels (logged)")
    elif name == "reject":
        p.add_argument("ids", nargs="+", help="proposal ids; an observed group id reverts every write in it")
        p.add_argument("--reason", default="")
    elif name == "edit":
        p.add_argument("id")
        p.add_argument("--body-file", type=Path, default=None, help="file with the new body (default: stdin)")
    elif name == "scope":
        p.add_argument("id")
        p.add_argument("scope")
        p.add_argument("--paths", nargs="*", default=None, help="globs for path scope")
    elif name == "kind":
        p.add_argument("id")
        p.add_argument("kind")
        p.add_argument("--body-file", type=Path, default=None, help="the new body (a hook's script)")
        p.add_argument("--matcher", default=None, help="a hook's tool matcher (regex on the tool name)")
    elif name == "apply":
        p.add_argument("--candidate", "-c", default=None)
        p.add_argument("--dry-run", action="store_true", help="list the files that would be written")
        p.add_argument("--force", action="store_true", help="overwrite hand edits (snapshots are kept)")
        p.add_argument("--yes", "-y", action="store_true", help="apply hooks without asking (still needs approval)")
    elif name == "discard":
        p.add_argument("--candidate", "-c", default=None)
    elif name == "log":
        p.add_argument("--limit", "-n", type=int, default=None)
    elif name == "restore":
        p.add_argument("op")
    elif name == "gc":
        p.add_argument("--older-than", type=float, required=True, metavar="DAYS")
    elif name == "watch":
        p.add_argument("--once", action="store_true", help="one reconciliation scan, then exit")
        p.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    elif name == "dream":
        p.add_argument("--engine", default=None, help="heuristic (default) or llm")
        p.add_argument("--model", default=None, help="model name for the llm engine (litellm)")
        p.add_argument("--no-progress", action="store_true")
        p.add_argument(
            "--explain",
            action="store_true",
            help="also list every candidate moment the dream saw and why it was kept or dropped",
        )
    elif name == "demo":
        p.add_argument("dir", nargs="?", type=Path, default=None)
        p.add_argument(
            "--no-tui", action="store_true", help="build and dream, print a summary, do not open the console"
        )
    elif name == "ingest":
        p.add_argument("--no-progress", action="store_true")


def _merge_common(args: argparse.Namespace, argv: list[str]) -> None:
    """Options may come before or after the subcommand; normalise paths."""
    if args.workspace is None:
        args.workspace = Path.cwd()
    args.workspace = Path(os.path.abspath(os.path.expanduser(str(args.workspace))))
    if args.db is not None:
        args.db = Path(os.path.abspath(os.path.expanduser(str(args.db))))
    args.transcripts = [Path(os.path.abspath(os.path.expanduser(str(t)))) for t in args.transcripts]


def _say(message: str) -> None:
    """The one-line error on stderr, redacted (a message can name a path or quote input)."""
    from reverie.dreamer.redact import redact

    print(f"reverie: {redact(message)}", file=sys.stderr)


def _redact_log_record(record: logging.LogRecord) -> bool:
    """Every log line goes through the one redactor: paths and messages can hold a credential."""
    from reverie.dreamer.redact import redact

    message = record.getMessage()
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    return True


def _handler(command: str) -> Callable[..., int]:
    module_name, func_name, _ = COMMANDS[command]
    module = importlib.import_module(module_name)
    return getattr(module, func_name)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            raise _BadUsage(f"unrecognized arguments: {' '.join(extra)}")
    except _BadUsage as err:
        _say(str(err))
        return 2
    except SystemExit as exit_:  # --help
        return int(exit_.code or 0)
    _merge_common(args, argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="reverie: %(message)s",
        stream=sys.stderr,
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(_redact_log_record)
    command = args.command or "review"
    out = Output(json_mode=bool(args.json))
    try:
        return int(_handler(command)(args, out) or 0)
    except ReverieError as err:
        _say(one_line(str(err)))
        return err.exit_code
    except KeyboardInterrupt:
        print("reverie: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # last line of defence: one line, never a traceback
        if os.environ.get("REVERIE_DEBUG"):
            raise
        _say(f"internal error: {type(err).__name__}: {err}")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
