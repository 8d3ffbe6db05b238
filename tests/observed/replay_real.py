"""Replay every real write to an agent memory/instruction file and check who Reverie says wrote it.

For each Edit/Write/MultiEdit call in the real transcripts whose path is a
watched file (CLAUDE.md, AGENTS.md, auto memory, …) and whose tool result
carries the file as it was (`originalFile`, or a Write's content), a fresh
temporary workspace gets those bytes, the write is played at its real time
(the file's mtime one second after the call), the session is ingested from
its own directory, and the observation pass must name that session and call.

    python -m tests.observed.replay_real      # prints the figures (a benchmark: not in the suite)
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.shared_data import shared_dir

WATCH_HINTS = ("CLAUDE.md", "CLAUDE.local.md", "AGENTS.md", "GEMINI.md", "/memory/", "\\memory\\", ".claude/rules")


@dataclass
class RealWrite:
    transcript: Path
    session_id: str
    cwd: str
    call_uuid: str
    timestamp: str
    tool: str
    file_path: str
    before: str | None
    after: str


def shared_root() -> Path | None:
    """The folder holding ``realdata`` and ``realdata2`` (the writes are replayed from both); None in a fresh clone."""
    return shared_dir("realdata", "realdata2")


def _apply(tool: str, inp: dict, original: str | None) -> str | None:
    if tool == "Write":
        return str(inp.get("content", ""))
    if original is None:
        return None
    text = original
    edits = inp.get("edits") if tool == "MultiEdit" else [inp]
    for e in edits or []:
        old, new = str(e.get("old_string", "")), str(e.get("new_string", ""))
        if old not in text:
            return None
        text = text.replace(old, new) if e.get("replace_all") else text.replace(old, new, 1)
    return text


def real_writes(root: Path) -> Iterator[RealWrite]:
    """Every reconstructible write to a watched file in the real transcripts under `root`."""
    for path in sorted(root.glob("realdata*/**/*.jsonl")):
        calls: dict[str, dict] = {}
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            if not any(h in line for h in WATCH_HINTS):
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            msg = rec.get("message") if isinstance(rec, dict) else None
            content = msg.get("content") if isinstance(msg, dict) else None
            if not isinstance(content, list):
                continue
            for block in content:
                if not isinstance(block, dict):
                    continue
                if block.get("type") == "tool_use" and block.get("name") in ("Write", "Edit", "MultiEdit"):
                    fp = str((block.get("input") or {}).get("file_path", ""))
                    if any(h in fp for h in WATCH_HINTS):
                        calls[str(block.get("id"))] = {"rec": rec, "block": block}
                elif block.get("type") == "tool_result" and str(block.get("tool_use_id")) in calls:
                    call = calls.pop(str(block["tool_use_id"]))
                    result = rec.get("toolUseResult")
                    if block.get("is_error") or not isinstance(result, dict):
                        continue
                    tool = str(call["block"]["name"])
                    inp = call["block"].get("input") or {}
                    original = result.get("originalFile")
                    before = original if isinstance(original, str) else None
                    if tool != "Write" and before is None:
                        continue
                    after = _apply(tool, inp, before)
                    if after is None or after == before:
                        continue
                    yield RealWrite(
                        transcript=path,
                        session_id=str(call["rec"].get("sessionId", "")),
                        cwd=str(call["rec"].get("cwd", "")),
                        call_uuid=str(call["rec"].get("uuid", "")),
                        timestamp=str(call["rec"].get("timestamp", "")),
                        tool=tool,
                        file_path=str(inp.get("file_path", "")),
                        before=before if result.get("type") != "create" else None,
                        after=after,
                    )


def play(w: RealWrite) -> tuple[bool, str]:
    """Replay one write in a temporary HOME and workspace; (attributed to its call?, what Reverie said)."""
    from reverie.dreamer.agent_files import key_of_tool_path, path_of
    from reverie.dreamer.attribution import epoch
    from reverie.dreamer.ingest import ingest
    from reverie.dreamer.observe import observe
    from reverie.store.core import Store

    with tempfile.TemporaryDirectory() as tmp:
        old_home = os.environ.get("HOME")
        os.environ["HOME"] = str(Path(tmp) / "home")
        try:
            ws = Path(tmp) / "project"
            ws.mkdir()
            key = key_of_tool_path(w.file_path, w.cwd, ws)
            if key is None:
                return False, f"not a watched path: {w.file_path}"
            target = path_of(key, ws)
            target.parent.mkdir(parents=True, exist_ok=True)
            if w.before is not None:
                target.write_text(w.before, encoding="utf-8")
            store = Store.open(ws, create=True)
            try:
                store.init()
                observe(store, noticed_by="init")
                target.write_text(w.after, encoding="utf-8")
                when = (epoch(w.timestamp) or 0.0) + 1.0
                os.utime(target, (when, when))
                if not ingest(store, ws, [w.transcript.parent], home=False).sessions:
                    return False, "ingest skipped the transcript"
                report = observe(store)
                hit = [x for x in report.writes if x.key == key]
                if not hit:
                    return False, "no observed write"
                p = store.proposal(hit[0].proposal)
                ok = bool(p.evidence) and p.evidence[0].event_uuid == w.call_uuid and hit[0].session_id == w.session_id
                said = f"{hit[0].writer} {hit[0].tool} {p.evidence[0].event_uuid[:8] if p.evidence else '-'}"
                return ok, said
            finally:
                store.close()
        finally:
            if old_home is not None:
                os.environ["HOME"] = old_home


def main() -> None:
    root = shared_root()
    if root is None:
        print("no ../shared: nothing to replay")
        return
    total = right = 0
    for w in real_writes(root):
        ok, said = play(w)
        total += 1
        right += ok
        where = w.transcript.relative_to(root)
        print(
            f"{'ok ' if ok else 'MISS'} {w.tool:<9} {Path(w.file_path.replace(chr(92), '/')).name:<12} {where}  → {said}"
        )
    print(f"attributed to the right session and call: {right}/{total}")


if __name__ == "__main__":
    main()
