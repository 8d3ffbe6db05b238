"""The observation pass: find writes Reverie did not make to the agent's files, attribute and label them.

    observe(store, noticed_by="ingest") -> ObserveReport

Why a pass and not only the watcher: the watcher sees writes live, but a
write made while nothing watched (the console closed, Auto Dream at night)
must surface too, so `ingest` and `dream` run the same pass. It compares every
watched file (dreamer.agent_files) with the bytes the store last saw, matches
each change to the tool call that wrote it (dreamer.attribution, over the
sessions index — ingest first), builds proposals with the dream's critics
(dreamer.observed_proposals), and records them as one observed group through
`Store.record_observation`. The first pass on a store takes a silent baseline
of files it never recorded (they predate Reverie); later ones propose them.

`[observe]` in .reverie/config.toml: ``enabled = false`` turns the pass off;
``home = false`` leaves the files under ``~`` (auto memory, ~/.gemini, ~/.codex)
unwatched.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reverie.dreamer import attribution as attr
from reverie.dreamer import observed_proposals as build
from reverie.dreamer.agent_files import MAX_BYTES, AgentFile, classify, path_of, watched_files
from reverie.dreamer.critics import DEFAULT_CONTEXT_BUDGET
from reverie.dreamer.redact import contains_secret, redact
from reverie.store.blobs import sha256
from reverie.store.config import config_table
from reverie.store.errors import ReverieError
from reverie.store.fsutil import read_bytes
from reverie.store.materialize import memory_dir_key
from reverie.store.models import Evidence, Proposal
from reverie.store.observed import Observation, seen_hash
from reverie.store.paths import home

log = logging.getLogger(__name__)

BASELINE = ("observe", "baseline-v1")
"""Cache key: set once the first pass recorded the files that predate Reverie."""
EXTERNAL_LOOKBACK = 40
"""Events before a write in which web/MCP content counts as what the agent had just read."""


@dataclass
class Write:
    """One observed write, as `reverie watch` prints it (``agent_write``)."""

    key: str
    path: str
    change: str
    writer: str
    proposal: str = ""
    candidate: str = ""
    session_id: str = ""
    tool: str = ""
    labels: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "path": self.path,
            "change": self.change,
            "writer": self.writer,
            "proposal": self.proposal,
            "candidate_store": self.candidate,
            "session_id": self.session_id,
            "tool": self.tool,
            "labels": self.labels,
        }


@dataclass
class ObserveReport:
    writes: list[Write] = field(default_factory=list)
    candidate: str = ""
    operation: str = ""
    baseline: int = 0
    settled: int = 0
    """Files that went back to their reviewed bytes (an older pending write superseded)."""
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidate_store": self.candidate or None,
            "operation": self.operation or None,
            "writes": [w.to_dict() for w in self.writes],
            "baseline": self.baseline,
            "settled": self.settled,
            "skipped": self.skipped,
        }


def settings(workspace: Path) -> tuple[bool, bool]:
    """(enabled, include_home) from `[observe]`; an unreadable config leaves both on."""
    try:
        table = config_table(workspace, "observe")
    except ReverieError:
        table = {}
    return bool(table.get("enabled", True)), bool(table.get("home", True))


def observe(
    store: Any, noticed_by: str = "ingest", now: float | None = None, include_home: bool | None = None
) -> ObserveReport:
    """One pass (see module doc). Never raises for one bad file: it is reported in `skipped`.

    `include_home=False` leaves the files under ``~`` out whatever the config says.
    """
    report = ObserveReport()
    ws = Path(store.workspace)
    enabled, home_on = settings(ws)
    include_home = home_on and include_home is not False
    if not enabled or store.oplog.head_id() is None:
        return report
    now = time.time() if now is None else now
    base = store.observed_baseline()
    view_files = store.view().files
    first_pass = store.cache_get(*BASELINE) is None
    files: dict[str, AgentFile] = {f.key: f for f in watched_files(ws, include_home)}
    for key in base.seen:
        f = classify(key, ws)
        if f is not None and key not in files and (include_home or not key.startswith("~/")):
            files[key] = f
    found: list[tuple[AgentFile, bytes | None, int | None, float, dict[str, Any] | None]] = []
    observations: list[Observation] = []
    for key in sorted(files):
        f = files[key]
        path = path_of(key, ws)
        try:
            data = read_bytes(path)
            st = os.stat(path) if data is not None else None
        except (ReverieError, OSError) as err:
            report.skipped.append(f"{key}: {err}")
            continue
        if data is not None and len(data) > MAX_BYTES:
            report.skipped.append(f"{key}: larger than {MAX_BYTES} bytes, not versioned")
            continue
        seen = base.seen.get(key)
        digest = sha256(data) if data is not None else None
        if digest == seen:
            continue
        mode = (st.st_mode & 0o7777) if st is not None else None
        if seen is None and first_pass and data is not None:
            stored, disk = _storable(data)
            observations.append(Observation(key, None, stored, mode, baseline=True, disk=disk))
            report.baseline += 1
            continue
        reviewed = base.reviewed_record(view_files, key)
        if seen_hash(reviewed) == digest:
            stored, disk = _storable(data)
            observations.append(Observation(key, seen, stored, mode, disk=disk))
            report.settled += 1
            continue
        found.append((f, data, mode, st.st_mtime if st is not None else now, reviewed))
    proposals = _proposals(store, ws, found, base.seen, now)
    for (f, data, mode, _when, reviewed), p in zip(found, proposals, strict=True):
        stored, disk = _storable(data)
        observations.append(Observation(f.key, base.seen.get(f.key), stored, mode, p, seen_hash(reviewed), disk=disk))
    if first_pass:
        store.cache_put(*BASELINE, {"at": datetime.now(UTC).isoformat()})
    if not observations:
        return report
    stats = _group_stats(proposals, noticed_by)
    op, cand = store.record_observation(observations, noticed_by=noticed_by, stats=stats)
    if op is None:
        return report
    report.operation = op.id
    if cand is not None:
        report.candidate = cand.id
        for p in store.proposals(cand.id):
            info = p.meta.get("observed") or {}
            report.writes.append(
                Write(
                    key=str(info.get("key", "")),
                    path=p.target,
                    change=str(info.get("change", "")),
                    writer=str(info.get("writer", "person")),
                    proposal=p.id,
                    candidate=cand.id,
                    session_id=str(info.get("session_id", "")),
                    tool=str(info.get("tool", "")),
                    labels=[f"{lb.label}({lb.severity})" for lb in p.labels],
                )
            )
    return report


def _storable(data: bytes | None) -> tuple[bytes | None, str | None]:
    """(bytes to keep as the version blob, sha256 of the disk bytes when they differ).

    A version holding a credential is kept redacted: no secret reaches the
    store. Restoring it writes the redacted text — the credential stays gone.
    """
    if data is None:
        return None, None
    text = data.decode("utf-8", "replace")
    if not contains_secret(text):
        return data, None
    return redact(text).encode("utf-8"), sha256(data)


def _proposals(
    store: Any,
    ws: Path,
    found: list[tuple[AgentFile, bytes | None, int | None, float, dict[str, Any] | None]],
    seen: dict[str, str],
    now: float,
) -> list[Proposal]:
    if not found:
        return []
    befores = [store.blobs.get(rev["hash"]) if rev else None for (_f, _d, _m, _w, rev) in found]
    changes = [
        attr.Change(f.key, build.change_of(b, data), build.decode(data), when)
        for (f, data, _m, when, _r), b in zip(found, befores, strict=True)
    ]
    since = datetime.fromtimestamp(min(c.when for c in changes) - attr.WINDOW, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    try:
        calls = attr.calls_from_index(store.db, ws, since)
    except Exception as err:  # an index from an older version: unattributed, never fatal
        log.warning("cannot read tool calls for attribution: %s", err)
        calls = []
    who = [attr.attribute(c, calls) for c in changes]
    _auto_dream(ws, changes, who)
    out: list[Proposal] = []
    for (f, data, _m, _w, _r), before, w in zip(found, befores, who, strict=True):
        target = str(path_of(f.key, ws))
        out.append(build.build(f, before, data, w, target, _external_before(store, w)))
    try:
        budget = int(config_table(ws, "dream").get("context_budget") or DEFAULT_CONTEXT_BUDGET)
    except (ReverieError, ValueError):
        budget = DEFAULT_CONTEXT_BUDGET
    return build.label(out, store.active_artifacts(), ws, budget)


def _auto_dream(ws: Path, changes: list[attr.Change], who: list[attr.Attribution]) -> None:
    """Unattributed auto-memory changes next to Auto Dream's lock: its consolidation (documented only)."""
    mem = memory_dir_key(ws)
    idx = [i for i, c in enumerate(changes) if c.key.startswith(mem + "/") and who[i].writer == "person"]
    try:
        lock = (home() / mem[2:] / ".consolidate-lock").stat().st_mtime
    except OSError:
        lock = None
    if attr.consolidation_lock([changes[i] for i in idx], lock):
        assert lock is not None
        at = datetime.fromtimestamp(lock, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for i in idx:
            who[i] = attr.Attribution(
                writer="agent",
                agent="claude",
                tool="Auto Dream",
                how="consolidation lock",
                timestamp=at,
                summary=f"Auto Dream touched memory/.consolidate-lock at {at} (its calls are in no transcript)",
                extra={"consolidation": True},
            )


def _external_before(store: Any, who: attr.Attribution) -> Evidence | None:
    """Web or MCP content the agent read shortly before the write (the way poisoned memory arrives)."""
    if who.writer != "agent" or not who.session_id or not who.event_uuid:
        return None
    try:
        row = store.db.conn.execute(
            "SELECT seq FROM events WHERE session_id = ? AND uuid = ? AND kind = 'tool_call' LIMIT 1",
            (who.session_id, who.event_uuid),
        ).fetchone()
        if row is None:
            return None
        hit = store.db.conn.execute(
            "SELECT uuid, timestamp, text, agent FROM events WHERE session_id = ? AND trust = 'external'"
            " AND is_sidechain = 0 AND seq < ? AND seq >= ? ORDER BY seq DESC LIMIT 1",
            (who.session_id, row[0], row[0] - EXTERNAL_LOOKBACK),
        ).fetchone()
    except Exception as err:
        log.debug("no external-trust lookup: %s", err)
        return None
    if hit is None:
        return None
    uuid, ts, text, agent = hit
    return Evidence(
        session_id=who.session_id, event_uuid=uuid, timestamp=ts, trust="external", quote=str(text)[:200], agent=agent
    )


def _group_stats(proposals: list[Proposal], noticed_by: str) -> dict[str, Any]:
    writers: dict[str, int] = {}
    sessions: set[str] = set()
    consolidation = False
    for p in proposals:
        info = p.meta.get("observed") or {}
        w = str(info.get("writer", "person"))
        writers[w] = writers.get(w, 0) + 1
        if info.get("session_id"):
            sessions.add(str(info["session_id"]))
        consolidation = consolidation or bool(info.get("consolidation"))
    changes = [str((p.meta.get("observed") or {}).get("change")) for p in proposals]
    tools = sorted({str((p.meta.get("observed") or {}).get("tool")) for p in proposals} - {"None", ""})
    return {
        "noticed_by": noticed_by,
        "writers": writers,
        "tools": tools,
        "sessions": sorted(sessions),
        "consolidation": consolidation or (len(proposals) >= 3 and changes.count("delete") >= 2),
    }
