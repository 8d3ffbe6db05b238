"""Dream benchmark: precision/recall over the authored and the held-out scenario sets, dream and re-dream times.

Run: python tests/benchmarks/bench_dream.py [--sessions 1000] [--pad-kb 500]

Prints numbers, asserts nothing about time (machines differ). The large corpus is
made of the planted scenario sessions copied with fresh session ids and uuids,
each padded with a big file read (like real sessions, whose bulk is tool output)
so 1,000 sessions weigh about 500 MB on disk.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from reverie.dreamer.dream import run_dream
from reverie.dreamer.scenarios import SCENARIOS, build_scenario
from reverie.dreamer.scenarios.build import write_files
from reverie.dreamer.scenarios.catalog import BASE_FILES
from reverie.dreamer.scenarios.transcript import stable_uuid
from reverie.store.store import Store
from tests.scenarios.heldout import HELDOUT, build_heldout
from tests.scenarios.score import Score, dream_scenario, score


def precision_recall(root: Path, catalog: dict, build) -> dict:
    """Dream every scenario of `catalog` (built by `build`) and score it (dreamer.scenarios.score)."""
    total = Score()
    per = {}
    for name in sorted(catalog):
        ws = root / "pr" / name
        scenario, doc = dream_scenario(build, name, ws)
        s = score(scenario, doc["proposals"])
        total.add(s)
        per[name] = {"expected": s.expected, "found": s.found, "proposals": s.proposals, "unexpected": s.unexpected}
    return {
        "recall": total.recall,
        "precision": total.precision,
        "expected": total.expected,
        "found": total.found,
        "proposals": total.proposals,
        "correct": total.correct,
        "per_scenario": per,
    }


def build_corpus(ws: Path, out: Path, n: int, pad_kb: int) -> int:
    """`n` sessions copied from the scenarios with fresh ids, padded; returns bytes written."""
    ws.mkdir(parents=True, exist_ok=True)
    write_files(ws, BASE_FILES)
    templates = []
    for name in sorted(SCENARIOS):
        templates += SCENARIOS[name](ws.resolve(), 0).sessions
    pad = ("lorem ipsum dolor sit amet " * 40 + "\n") * max(1, pad_kb * 1024 // 1081 // 2)
    out.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(n):
        tpl = templates[i % len(templates)]
        sid = stable_uuid("bench", i)
        mapping = {tpl.session_id: sid}
        lines = []
        for rec in tpl.records:
            rec = dict(rec, sessionId=sid)
            for key in ("uuid", "parentUuid"):
                if rec.get(key):
                    rec[key] = mapping.setdefault(rec[key], stable_uuid("bench", i, rec[key]))
            lines.append(json.dumps(rec))
        last = json.loads(lines[-1])
        read = {
            "parentUuid": last["uuid"],
            "isSidechain": False,
            "userType": "external",
            "cwd": last["cwd"],
            "sessionId": sid,
            "version": "2.1.39",
            "type": "user",
            "uuid": stable_uuid("bench", i, "pad"),
            "timestamp": last["timestamp"],
            "message": {
                "role": "user",
                "content": [{"tool_use_id": f"toolu_pad{i}", "type": "tool_result", "content": pad}],
            },
            "toolUseResult": {"type": "text", "file": {"filePath": "/x/big.txt", "content": pad}},
        }
        lines.append(json.dumps(read))
        data = ("\n".join(lines) + "\n").encode()
        (out / f"{sid}.jsonl").write_bytes(data)
        total += len(data)
    return total


def timed_dream(ws: Path, transcripts: Path) -> tuple[float, dict]:
    store = Store.open(ws, create=True)
    store.init()
    t = time.perf_counter()
    res = run_dream(store, transcripts=[transcripts], options={"home": False})
    dt = time.perf_counter() - t
    store.close()
    return dt, {
        "sessions": res.sessions_read,
        "events": res.events_read,
        "proposals": len(res.proposals),
        "ingest_s": res.ingest.get("seconds"),
        "cache_hits": res.stats.get("signals_cache_hits"),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--pad-kb", type=int, default=500)
    ap.add_argument("--skip-large", action="store_true")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="reverie-bench-dream-"))
    os.environ["HOME"] = str(root / "home")
    try:
        for label, catalog, build in (("authored", SCENARIOS, build_scenario), ("held-out", HELDOUT, build_heldout)):
            pr = precision_recall(root / label, catalog, build)
            print(
                f"{label} scenarios: precision {pr['precision']} ({pr['correct']}/{pr['proposals']} proposals), "
                f"recall {pr['recall']} ({pr['found']}/{pr['expected']} expected outcomes)"
            )
            for name, row in pr["per_scenario"].items():
                extra = f"  unexpected: {row['unexpected']}" if row["unexpected"] else ""
                print(f"  {name:<24} found {row['found']}/{row['expected']}, {row['proposals']} proposal(s){extra}")
        for n in [100] if args.skip_large else [100, args.sessions]:
            ws, tr = root / f"ws{n}", root / f"tr{n}"
            size = build_corpus(ws, tr, n, args.pad_kb)
            cold, info = timed_dream(ws, tr)
            warm, info2 = timed_dream(ws, tr)
            print(
                f"{n} sessions ({size / 1e6:.0f} MB): dream {cold:.2f}s (ingest {info['ingest_s']}s; "
                f"{cold / n * 100:.2f}s per 100 sessions; {info['events']} events, {info['proposals']} proposals); "
                f"re-dream with nothing new {warm:.2f}s (signal cache hits {info2['cache_hits']}/{n})"
            )
            shutil.rmtree(tr, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
