"""Console benchmark (prints numbers; not part of the default test run).

    python tests/benchmarks/bench_console.py [--proposals 10000] [--runs 5]

1. Cold start to first paint: a fresh Python process opens a 10,000-proposal
   store and paints the queue (first `render_line` of the queue with data),
   against a minimal Textual app (one Static) measured the same way — both are
   subprocesses timed from spawn to the first paint of their content, headless.
   Also reports whether litellm was imported at start-up (it must not be).
2. j/k repaint: median / p95 of a keypress to the frame that shows it (Pilot),
   on the same 10,000-proposal store: through ordinary proposals, and through
   proposals whose diff is a whole new 5,000-line file. The same-run baseline is
   a minimal Textual app whose one Static changes on j/k, timed the same way.
3. A 5,000-line diff: build + fold + paint of the visible rows, and a full
   render of every line for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CHILD_REVERIE = r"""
import sys, time, json
T0 = float(sys.argv[2])
from pathlib import Path
ws = Path(sys.argv[1])
import reverie.console.cmd_tui
from reverie.console.widgets.queue import QueueView
from reverie.store.store import Store
from reverie.console.app import ReverieApp
painted = {}
orig = QueueView.render_line
def render_line(self, y):
    strip = orig(self, y)
    if "t" not in painted and self.rows:
        painted["t"] = time.time()
        painted["litellm"] = "litellm" in sys.modules
        self.app.call_after_refresh(self.app.exit)
    return strip
QueueView.render_line = render_line
store = reverie.console.cmd_tui.open_workspace_store(ws, None)
app = ReverieApp(store, lambda: Store.open(ws), watch=False)
orig_display = app._display
def display(screen, renderable):
    if renderable is not None and "shell" not in painted:
        painted["shell"] = time.time()
    return orig_display(screen, renderable)
app._display = display
app.run(headless=True, size=(120, 40))
print(json.dumps({"paint": painted["t"] - T0, "shell": painted["shell"] - T0, "litellm": painted["litellm"]}))
"""

CHILD_MINIMAL = r"""
import sys, time, json
T0 = float(sys.argv[1])
from textual.app import App
from textual.widgets import Static
painted = {}
class Hello(Static):
    def render_line(self, y):
        strip = super().render_line(y)
        if "t" not in painted:
            painted["t"] = time.time()
            self.app.call_after_refresh(self.app.exit)
        return strip
class Minimal(App):
    def compose(self):
        yield Hello("hello")
Minimal().run(headless=True, size=(120, 40))
print(json.dumps({"paint": painted["t"] - T0}))
"""


BIG_LINES = 5000
BIG = 40
"""The first BIG skill proposals are a new 5,000-line file each (the diff pane shows all of it)."""


def big_body(i: int) -> str:
    return "\n".join(
        f"- step {k} of procedure {i}: run `make check-{k}` and keep **module_{k}** typed" for k in range(BIG_LINES)
    )


def make_store(ws: Path, n: int) -> None:
    from reverie.store.models import Evidence, Label, Proposal
    from reverie.store.store import Store

    ws.mkdir(parents=True, exist_ok=True)
    (ws / "CLAUDE.md").write_text("# Project\n\nUse pnpm.\n", encoding="utf-8")
    store = Store.open(ws, create=True)
    store.init()
    kinds = ["memory", "instinct", "rule", "command", "skill"]
    props = [
        Proposal(
            id="",
            action="add",
            kind=kinds[i % 5],
            scope="project",
            title=f"Lesson {i}: keep the build green before merging",
            body=big_body(i)
            if kinds[i % 5] == "skill" and i // 5 < BIG
            else f"Do thing {i} the right way.\nDetail {i}.",
            confidence=0.4 + (i % 6) / 10,
            labels=[Label("context_pollution", "warn", "near-duplicate")] if i % 7 == 0 else [],
            evidence=[Evidence("sess-1", "uuid-1", "2026-01-01T00:00:00Z", "user", "quote")],
        )
        for i in range(n)
    ]
    t = time.perf_counter()
    store.open_candidate(props, engine="heuristic")
    print(f"setup: opened a candidate with {n} proposals in {time.perf_counter() - t:.1f} s")
    store.close()


def child(code: str, *args: str, env: dict[str, str]) -> dict:
    t0 = time.time()
    proc = subprocess.run(
        [sys.executable, "-c", code, *args, str(t0)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if proc.returncode != 0:
        raise SystemExit(f"child failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_cold_start(ws: Path, runs: int, env: dict[str, str]) -> None:
    minimal = [child(CHILD_MINIMAL, env=env)["paint"] for _ in range(runs)]
    reverie, shell = [], []
    litellm = False
    for _ in range(runs):
        r = child(CHILD_REVERIE, str(ws), env=env)
        reverie.append(r["paint"])
        shell.append(r["shell"])
        litellm = litellm or r["litellm"]
    m, r, sh = statistics.median(minimal), statistics.median(reverie), statistics.median(shell)
    print(
        f"cold start (median of {runs}, process spawn → frame): minimal Textual app first paint {m * 1000:.0f} ms; "
        f"reverie first frame (status line and panes) {sh * 1000:.0f} ms → {sh / m:.2f}× (goal ≤ 2×); "
        f"queue painted with the {r and ''}proposals {r * 1000:.0f} ms → {r / m:.2f}×"
    )
    print(f"  litellm imported at start-up: {litellm} (goal: False)")


def frame_times(app: Any) -> list[float]:
    """A list that gets the time of every frame `app` paints (hooked at Textual's private `App._display`)."""
    frames: list[float] = []
    original = app._display

    def display(screen, renderable):  # type: ignore[no-untyped-def]  # wraps Textual's private _display
        if renderable is not None:
            frames.append(time.perf_counter())
        return original(screen, renderable)

    app._display = display
    return frames


async def _keys(ws: Path, presses: int, big: bool = False) -> list[float]:
    """Key press → the next frame the compositor produced (hooked at `App._display`).

    With `big`, the cursor starts on the first proposal whose diff is a 5,000-line
    file and j/k moves among those (each step shows another 5,000-line diff).
    """
    from reverie.console.app import ReverieApp
    from reverie.console.widgets.queue import QueueView
    from reverie.store.store import Store

    store = Store.open(ws)
    app = ReverieApp(store, lambda: Store.open(ws), watch=False)
    frames = frame_times(app)
    out: list[float] = []
    first: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        q = app.screen.query_one(QueueView)
        assert q.total > 0
        span = 50
        if big:
            start_row = next(i for i, r in enumerate(q.rows) if r.proposal is not None and r.proposal.kind == "skill")
            q._move(start_row)
            await pilot.pause()
            span = BIG - 1
            lines = len(app.screen.diff_for(app.screen.queue.current).lines)  # type: ignore[attr-defined]  # MainScreen
            print(f"  (big diffs: the proposal under the cursor shows a diff of {lines} lines)")
        for i in range(presses):
            key = "j" if (i // span) % 2 == 0 else "k"
            before = q.cursor
            t = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            assert q.cursor != before
            after = [f for f in frames if f >= t]
            if after:
                first.append(after[0] - t)  # the queue's cursor (and usually the diff) repainted
                out.append(after[-1] - t)  # the last frame of this press: queue, diff and provenance settled
        jump = time.perf_counter()
        await pilot.press("G")
        await pilot.pause()
        out_jump = [f for f in frames if f >= jump][-1] - jump
    store.close()
    if big:
        return out
    print(f"  G (jump to the last of {q.total}): {out_jump * 1000:.1f} ms")
    first.sort()
    print(
        f"  first frame after a j/k press: median {statistics.median(first) * 1000:.1f} ms, "
        f"p95 {first[int(len(first) * 0.95) - 1] * 1000:.1f} ms"
    )
    return out


async def _baseline_keys(presses: int) -> list[float]:
    """The floor: a minimal Textual app whose one Static shows a new number on j/k, timed like `_keys`."""
    from textual.app import App
    from textual.widgets import Static

    class Minimal(App[None]):
        BINDINGS = [("j", "move(1)", "down"), ("k", "move(-1)", "up")]  # noqa: RUF012  # Textual's convention
        n = 0

        def compose(self):  # type: ignore[no-untyped-def]  # a throwaway benchmark app
            yield Static("0", id="n")

        def action_move(self, step: int) -> None:
            self.n += step
            self.query_one("#n", Static).update(f"row {self.n}")

    app = Minimal()
    frames = frame_times(app)
    out: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for i in range(presses):
            t = time.perf_counter()
            await pilot.press("j" if (i // 50) % 2 == 0 else "k")
            await pilot.pause()
            after = [f for f in frames if f >= t]
            if after:
                out.append(after[-1] - t)
    return out


def _p95(times: list[float]) -> float:
    times = sorted(times)
    return times[max(int(len(times) * 0.95) - 1, 0)]


def bench_keys(ws: Path, presses: int) -> None:
    base = asyncio.run(_baseline_keys(presses))
    bmed = statistics.median(base)
    print(
        f"baseline: minimal Textual app, key press to frame: median {bmed * 1000:.1f} ms, p95 {_p95(base) * 1000:.1f} ms"
    )
    for label, big in (("ordinary proposals", False), ("5,000-line file diffs", True)):
        times = asyncio.run(_keys(ws, presses, big=big))
        med = statistics.median(times)
        p95 = _p95(times)
        print(
            f"j/k through {label}: key press to the frame with queue + diff + provenance repainted, "
            f"{len(times)} presses: median {med * 1000:.1f} ms ({med / bmed:.1f}x baseline), "
            f"p95 {p95 * 1000:.1f} ms ({p95 / _p95(base):.1f}x), max {max(times) * 1000:.1f} ms (goal p95 < 50 ms)"
        )


def bench_diff() -> None:
    from rich.console import Console

    from reverie.console.diffview import build_diff, to_text

    before = "\n".join(f"- rule {i}: keep `module_{i}` small and **typed**" for i in range(5000)) + "\n"
    after_lines = before.splitlines()
    for i in range(0, 5000, 7):
        after_lines[i] += " (updated)"
    after = "\n".join(after_lines) + "\n"
    t = time.perf_counter()
    diff = build_diff(before, after, "CLAUDE.md", context=None)
    built = time.perf_counter() - t
    asyncio.run(_paint_diff(diff))
    t = time.perf_counter()
    con = Console(width=120, file=io.StringIO(), color_system="truecolor")
    con.print(to_text(diff))
    full = time.perf_counter() - t
    print(
        f"5,000-line file diff ({len(diff.lines)} lines, +{diff.added} −{diff.removed}): build {built * 1000:.0f} ms; "
        f"full render of every line to a console {full * 1000:.0f} ms"
    )


async def _paint_diff(diff) -> None:
    from textual.app import App

    from reverie.console.widgets.diffpane import DiffPane

    class One(App):
        def compose(self):
            yield DiffPane()

    app = One()
    async with app.run_test(size=(160, 50)) as pilot:
        pane = app.query_one(DiffPane)
        t = time.perf_counter()
        pane.show(diff)
        strips = [pane.render_line(y) for y in range(pane.size.height)]
        paint = time.perf_counter() - t
        t = time.perf_counter()
        pane.toggle_side_by_side()
        strips = [pane.render_line(y) for y in range(pane.size.height)]
        side = time.perf_counter() - t
        await pilot.pause()
    print(
        f"  DiffPane: fold {len(pane._rows)} rows + paint the visible {len(strips)}: {paint * 1000:.0f} ms unified, "
        f"{side * 1000:.0f} ms side-by-side (goal: build + paint < 300 ms)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--proposals", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--skip-cold", action="store_true", help="only the j/k and diff figures")
    ap.add_argument("--presses", type=int, default=200)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="reverie-bench-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        os.environ["HOME"] = str(home)
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from corpus import cli_env, compile_sources

        compile_sources()
        env = cli_env(home)
        ws = Path(tmp) / "ws"
        make_store(ws, opts.proposals)
        if not opts.skip_cold:
            bench_cold_start(ws, opts.runs, env)
        bench_keys(ws, opts.presses)
        bench_diff()


if __name__ == "__main__":
    main()
