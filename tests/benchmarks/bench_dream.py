"""Dream benchmark: quality on real sessions and on the scenario sets, dream and re-dream times.

Run: python tests/benchmarks/bench_dream.py [--sessions 1000] [--pad-kb 500]
     python tests/benchmarks/bench_dream.py --only-realdata [--realdata dev|heldout|all] [--corpus NAME]

Real data: every corpus of tests/realdata_truth/ is dreamed as a user would
(its tree copied to a temp git workspace with its own HOME, `reverie dream
--transcripts` on the corpus in place) and scored against its hand-written
truth file: precision, recall, traps persisted unlabelled, damaging updates.
The held-out corpus prints its summary line only, unless --details.

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
from tests.realdata_truth.corpus import measure, shared_root
from tests.realdata_truth.score import Report, combine
from tests.realdata_truth.truth import load_truth, truth_paths
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


def dream_in_child(ws: Path, transcripts: Path) -> tuple[float, dict, float]:
    """`timed_dream` in a fresh process: (seconds, info, peak RSS in MB of that process alone)."""
    import subprocess

    proc = subprocess.Popen(
        [sys.executable, __file__, "--timed-dream", str(ws), str(transcripts)], stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"timed dream exited {proc.returncode}")
    doc = json.loads(out)
    return doc["seconds"], doc["info"], usage.ru_maxrss / 1024


def read_baseline(transcripts: Path) -> float:
    """Seconds to read every transcript byte once (the floor a dream's ingest is compared with)."""
    t = time.perf_counter()
    for path in transcripts.rglob("*.jsonl"):
        with open(path, "rb") as fh:
            while fh.read(1 << 20):
                pass
    return time.perf_counter() - t


def realdata(
    root: Path,
    split: str,
    corpora: list[str],
    details: bool,
    report_path: Path | None,
    data_root: Path | None = None,
    paths: list[Path] | None = None,
) -> None:
    """Dream over each real corpus of `split` and print its score; totals per split at the end.

    `data_root` and `paths` default to ../shared and tests/realdata_truth/; the
    test passes a generated corpus instead.
    """
    data_root = data_root or shared_root()
    if data_root is None:
        print("real data: ../shared not found (fresh clone), skipped")
        return
    reports: dict[str, list[Report]] = {"dev": [], "heldout": []}
    for path in paths if paths is not None else truth_paths(split):
        truth = load_truth(path)
        if corpora and truth.corpus not in corpora:
            continue
        try:
            report, run = measure(truth, data_root, root / "realdata" / truth.corpus)
        except (OSError, RuntimeError, ValueError) as e:
            print(f"real data [{truth.split}] {truth.corpus}: not measured: {e}")
            continue
        reports[truth.split].append(report)
        timing = f"  (dream {run.seconds:.1f}s, {run.doc.get('sessions_read')} sessions)"
        show_all = truth.split == "dev" or details
        print(("real data " + report.details() if show_all else "real data " + report.summary()) + timing)
    for name, items in reports.items():
        if len(items) > 1:
            print("real data total " + combine(items, f"{len(items)} corpora", name).summary())
    if report_path is not None:
        doc = {name: [r.to_dict() for r in items] for name, items in reports.items()}
        report_path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
        print(f"real data report written to {report_path}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--pad-kb", type=int, default=500)
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--realdata", choices=("dev", "heldout", "all", "none"), default="dev")
    ap.add_argument("--corpus", action="append", default=[], help="only this real corpus (repeatable)")
    ap.add_argument("--details", action="store_true", help="per-lesson table for the held-out corpus too")
    ap.add_argument("--only-realdata", action="store_true", help="skip the scenario and speed sections")
    ap.add_argument("--report", type=Path, help="write the real-data reports as JSON here")
    ap.add_argument("--timed-dream", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.timed_dream:
        seconds, info = timed_dream(*args.timed_dream)
        print(json.dumps({"seconds": seconds, "info": info}))
        return
    root = Path(tempfile.mkdtemp(prefix="reverie-bench-dream-"))
    os.environ["HOME"] = str(root / "home")
    try:
        if args.realdata != "none":
            realdata(root, args.realdata, args.corpus, args.details, args.report)
        if args.only_realdata:
            return
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
            base = read_baseline(tr)
            cold, info, rss = dream_in_child(ws, tr)
            warm, info2, rss2 = dream_in_child(ws, tr)
            print(
                f"{n} sessions ({size / 1e6:.0f} MB): dream {cold:.2f}s (ingest {info['ingest_s']}s; "
                f"{cold / max(base, 1e-6):.0f}x reading the bytes once ({base:.2f}s); "
                f"{info['events']} events, {info['proposals']} proposals; peak RSS {rss:.0f} MB) "
                f"[goal < 60 s, < 300 MB]; re-dream with nothing new {warm:.2f}s, peak RSS {rss2:.0f} MB "
                f"(signal cache hits {info2['cache_hits']}/{n}) [goal < 1 s]"
            )
            shutil.rmtree(tr, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
