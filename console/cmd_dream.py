"""`reverie dream` and `reverie effect`.

Thin handlers: open the store, call `dreamer.dream.run_dream` /
`dreamer.effect.compute_effects`, print one JSON document (--json) or a terse
summary. Progress goes to stderr as a rich bar, only on a TTY.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from reverie.console.output import Output
from reverie.store.errors import ReverieError
from reverie.store.models import Proposal

if TYPE_CHECKING:
    from reverie.dreamer.engines.base import ProgressCallback
    from reverie.store.store import Store


def _open(args: argparse.Namespace) -> Store:
    from reverie.store.store import Store

    store = Store.open(args.workspace, args.db, create=True)
    store.init()
    return store


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[ProgressCallback | None]:
    """A progress callback drawing a rich bar on stderr, or None."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    lock = threading.Lock()
    with Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            with lock:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=max(total, 1))
                bar.update(tasks[stage], completed=done, total=max(total, 1))

        yield update


def _label_text(p: Proposal) -> str:
    if not p.labels:
        return ""
    return "  [" + ", ".join(f"{l.label}:{l.severity}" for l in p.labels) + "]"


def cmd_dream(args: argparse.Namespace, out: Output) -> int:
    from reverie.dreamer.dream import run_dream

    store = _open(args)
    try:
        with _progress(not args.no_progress) as progress:
            result = run_dream(
                store,
                transcripts=args.transcripts,
                engine=args.engine,
                model=args.model,
                progress=progress,
            )
    except Exception as err:
        from reverie.dreamer.engines.base import DreamCancelled

        if isinstance(err, DreamCancelled):
            raise ReverieError("dream cancelled; nothing was written") from None
        raise
    finally:
        store.close()
    lines = [
        f"{result.candidate.id}: {len(result.proposals)} proposal(s) from {result.sessions_read} session(s), "
        f"{result.events_read} events [{result.engine}, {result.seconds:.2f}s]"
    ]
    for p in result.proposals:
        scope = p.scope + (f" {','.join(p.paths)}" if p.paths else "")
        lines.append(f"  {p.id}  {p.action:<7} {p.kind:<8} ({scope})  {p.title}{_label_text(p)}")
    if result.proposals:
        lines.append("review with `reverie review` or `reverie proposals`")
    skipped = result.ingest.get("skipped") or []
    if skipped:
        lines.append(f"{len(skipped)} file(s) under --transcripts are not transcripts we read (--verbose lists them)")
    doc = result.to_json()
    if getattr(args, "explain", False):
        doc["explain"] = result.explain
        lines += ["", *explain_lines(result.explain)]
    out.emit(doc, "\n".join(lines))
    return 0


def explain_lines(entries: list[dict[str, Any]]) -> list[str]:
    """`--explain` as text: per session, each moment, what the dream did with it and why."""
    from reverie.dreamer.wording import quote

    if not entries:
        return ["explain: the dream saw no candidate moment (no person's turn, no failed command)"]
    counts: dict[str, int] = {}
    for e in entries:
        counts[e["decision"]] = counts.get(e["decision"], 0) + 1
    out = ["explain: " + ", ".join(f"{n} {d}" for d, n in sorted(counts.items())) + f" of {len(entries)} moments"]
    session = None
    for e in entries:
        if e["session_id"] != session:
            session = e["session_id"]
            out.append(f"session {session[:8]} {e['ts'][:10]}")
        what = e["turn"].replace("_", " ") if e["source"] == "turn" else e["source"]
        where = f" after {e['after']}" if e.get("after") and e["after"] != "start" else ""
        out.append(f'  {e["decision"]:<7} [{what}{where}] "{quote(e["text"], 90)}"')
        out.append(f"          {e['reason']}" + (f" → {e['proposal']}" if e.get("proposal") else ""))
    return out


def cmd_effect(args: argparse.Namespace, out: Output) -> int:
    from reverie.dreamer.dream import indexed_signals
    from reverie.dreamer.effect import compute_effects
    from reverie.dreamer.ingest import ingest

    store = _open(args)
    try:
        ingest(store, store.workspace, list(args.transcripts))
        effects = compute_effects(store, indexed_signals(store))
    finally:
        store.close()
    doc = {"artifacts": [e.to_dict() for e in effects]}
    if not effects:
        text = "no applied artifacts from a dream yet"
    else:
        text = "\n".join(
            f"{e.name} ({e.kind}): {e.trigger} — before {e.recurred_before}/{e.sessions_before} sessions, "
            f"after {e.recurred_after}/{e.sessions_after}"
            for e in effects
        )
    out.emit(doc, text)
    return 0
