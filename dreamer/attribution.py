"""Who wrote a watched file: the session and tool call a transcript shows, or nobody we can name.

Why its own module: an observed write is an *agent's* write only when a
transcript shows the call that made it — a Write/Edit/MultiEdit, Gemini's
`save_memory`/`write_file`/`replace`, Codex's `apply_patch`, or a shell command
that writes or removes that path — at or before the time the file changed.
Everything else is a person's edit (DESIGN: actor ``person`` when it cannot be
attributed). Claude Code's Auto Dream consolidation runs as a forked agent
whose calls are not in the session transcript; it touches
``memory/.consolidate-lock`` when it runs, so a batch of memory changes next to
that lock's mtime is attributed to it (documented only, see docs/AGENT_FILES.md).

Pure functions over tool-call records (`ToolCall`) and changes (`Change`);
`calls_from_index` reads the records from the sessions index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reverie.dreamer.agent_files import key_of_tool_path

WRITE_TOOLS = frozenset(
    {
        "Write",
        "Edit",
        "MultiEdit",
        "NotebookEdit",
        "write_file",
        "replace",
        "edit",
        "save_memory",
        "apply_patch",
        "create_file",
        "str_replace_based_edit_tool",
    }
)
SHELL_TOOLS = frozenset({"Bash", "run_shell_command", "shell", "exec_command", "local_shell", "container.exec"})
PATH_HINTS = ("CLAUDE", "AGENTS", "GEMINI", "memor", ".claude")
"""A watched path contains one of these (checked before the full path mapping)."""
BEFORE_SLACK = 5.0
"""Seconds a tool call's timestamp may follow the file's mtime (clocks, the message written after the call)."""
WINDOW = 24 * 3600.0
"""How long before the change a call may be and still be its cause (a permission prompt can wait)."""
LOCK_WINDOW = 15 * 60.0
"""Auto Dream: the consolidation lock is touched at most this long before/after the batch it wrote."""


@dataclass(frozen=True)
class ToolCall:
    """One tool call from the sessions index, with the keys it may have written."""

    session_id: str
    uuid: str
    tool_use_id: str
    timestamp: str
    agent: str
    tool: str
    keys: tuple[str, ...]
    texts: tuple[str, ...] = ()
    """Text the call put into the file (Write content, Edit new_string, save_memory fact)."""
    deletes: bool = False
    summary: str = ""
    failed: bool = False


@dataclass
class Change:
    key: str
    change: str
    """``add``, ``update`` or ``delete``."""
    after_text: str
    when: float
    """Epoch seconds: the file's mtime, or when the change was noticed (a deleted file has no mtime)."""


@dataclass
class Attribution:
    writer: str
    """``agent`` or ``person``."""
    session_id: str = ""
    event_uuid: str = ""
    tool_use_id: str = ""
    timestamp: str = ""
    agent: str = ""
    tool: str = ""
    summary: str = ""
    how: str = ""
    """Why we believe it: ``content`` (the call's text is in the file), ``path and time``, ``consolidation lock``."""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_meta(self) -> dict[str, Any]:
        data = {
            "writer": self.writer,
            "session_id": self.session_id,
            "event_uuid": self.event_uuid,
            "tool_use_id": self.tool_use_id,
            "timestamp": self.timestamp,
            "agent": self.agent,
            "tool": self.tool,
            "how": self.how,
        }
        return {k: v for k, v in data.items() if v} | self.extra


def epoch(ts: str) -> float | None:
    """ISO-8601 (``…Z`` or with offset) → epoch seconds; None when unreadable."""
    if not ts:
        return None
    try:
        dt = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


# --- reading tool calls -------------------------------------------------------------------------

_REDIRECT = re.compile(r"(>>?|\btee(\s+-a)?)\s*['\"]?([^\s'\";|&]+)")
_REMOVE = re.compile(r"\b(rm|unlink|trash)\b([^;|&\n]*)")
_PATCH_FILE = re.compile(r"^\*\*\* (Add|Update|Delete) File: (.+)$", re.M)
_SED_INPLACE = re.compile(r"\bsed\s+(-[a-zA-Z]*i[a-zA-Z]*\b[^;|&\n]*)")


def _paths_and_texts(tool: str, inp: dict[str, Any]) -> tuple[list[str], list[str], bool, list[str]]:
    """(paths written, text put in, deletes?, paths removed) for one call's input."""
    paths: list[str] = []
    texts: list[str] = []
    removed: list[str] = []
    for k in ("file_path", "path", "absolute_path", "notebook_path", "filename"):
        v = inp.get(k)
        if isinstance(v, str) and v:
            paths.append(v)
    for k in ("content", "new_string", "new_str", "file_text", "fact", "text"):
        v = inp.get(k)
        if isinstance(v, str) and v.strip():
            texts.append(v)
    for edit in inp.get("edits") or []:
        if isinstance(edit, dict) and isinstance(edit.get("new_string"), str):
            texts.append(edit["new_string"])
    if tool == "apply_patch" or "*** Begin Patch" in str(inp.get("input", "")):
        patch = str(inp.get("input") or inp.get("patch") or "")
        for m in _PATCH_FILE.finditer(patch):
            (removed if m.group(1) == "Delete" else paths).append(m.group(2).strip())
        texts.extend(line[1:] for line in patch.splitlines() if line.startswith("+") and len(line) > 1)
    if tool in SHELL_TOOLS or "command" in inp:
        cmd = inp.get("command")
        if isinstance(cmd, list):
            cmd = " ".join(str(c) for c in cmd)
        if isinstance(cmd, str):
            paths.extend(m.group(3) for m in _REDIRECT.finditer(cmd))
            for m in _SED_INPLACE.finditer(cmd):
                words = [w.strip("'\"") for w in m.group(1).split() if not w.startswith("-")]
                paths.extend(w for w in words if "/" in w or w.endswith(".md"))
            for m in _REMOVE.finditer(cmd):
                removed.extend(w.strip("'\"") for w in m.group(2).split() if not w.startswith("-"))
    return paths, texts, bool(removed), removed


def make_call(row: dict[str, Any], session_cwd: str, workspace: Path) -> ToolCall | None:
    """A ToolCall from an events row when it may have written a watched file, else None."""
    tool = str(row.get("tool_name") or "")
    inp = row.get("tool_input")
    if not isinstance(inp, dict):
        return None
    if tool not in WRITE_TOOLS and tool not in SHELL_TOOLS and "command" not in inp:
        return None
    cwd = str(row.get("cwd") or session_cwd or "")
    paths, texts, deletes, removed = _paths_and_texts(tool, inp)
    keys: list[str] = []
    for p in [*paths, *removed]:
        if not any(h in p for h in PATH_HINTS):  # cheap: most calls touch source files
            continue
        key = key_of_tool_path(p, cwd, workspace)
        if key is not None and key not in keys:
            keys.append(key)
    if tool == "save_memory" and "~/.gemini/GEMINI.md" not in keys:
        keys.append("~/.gemini/GEMINI.md")  # save_memory names no path: it appends to the global GEMINI.md
    if not keys:
        return None
    return ToolCall(
        session_id=str(row.get("session_id") or ""),
        uuid=str(row.get("uuid") or ""),
        tool_use_id=str(row.get("tool_use_id") or ""),
        timestamp=str(row.get("timestamp") or ""),
        agent=str(row.get("agent") or ""),
        tool=tool,
        keys=tuple(keys),
        texts=tuple(t for t in texts if t),
        deletes=deletes,
        summary=str(row.get("text") or tool)[:300],
        failed=str(row.get("status") or "") in ("error", "rejected"),
    )


def calls_from_index(db: Any, workspace: Path, since: str = "") -> list[ToolCall]:
    """Every tool call in the sessions index that may have written a watched file (failed calls marked)."""
    import orjson

    conn = db.conn
    cwds = {sid: cwd or "" for sid, cwd in conn.execute("SELECT id, cwd FROM sessions").fetchall()}
    names = sorted(WRITE_TOOLS | SHELL_TOOLS)
    marks = ",".join("?" * len(names))
    # cwd is stored sparsely: the call's own, else the nearest one recorded before it in the session
    sql = (
        "SELECT session_id, uuid, timestamp, agent, tool_name, tool_use_id, tool_input,"
        " coalesce(nullif(cwd, ''), (SELECT p.cwd FROM events p WHERE p.session_id = events.session_id"
        " AND p.seq < events.seq AND p.cwd != '' ORDER BY p.seq DESC LIMIT 1), ''), text FROM events"
        f" WHERE kind = 'tool_call' AND (tool_name IN ({marks}) OR tool_input LIKE '%\"command\"%')"
    )
    params: list[Any] = list(names)
    if since:
        sql += " AND timestamp >= ?"
        params.append(since)
    results = {
        tid: status
        for tid, status in conn.execute(
            "SELECT tool_use_id, status FROM events WHERE kind = 'tool_result' AND tool_use_id != ''"
            " AND status IN ('error', 'rejected')"
        ).fetchall()
    }
    out: list[ToolCall] = []
    for sid, uuid, ts, agent, tname, tid, tinput, cwd, text in conn.execute(sql, params).fetchall():
        try:
            inp = orjson.loads(tinput) if tinput else None
        except orjson.JSONDecodeError:
            continue
        row = {
            "session_id": sid,
            "uuid": uuid,
            "timestamp": ts,
            "agent": agent,
            "tool_name": tname,
            "tool_use_id": tid,
            "tool_input": inp,
            "cwd": cwd,
            "text": text,
            "status": results.get(tid, ""),
        }
        call = make_call(row, cwds.get(sid, ""), workspace)
        if call is not None:
            out.append(call)
    return out


# --- matching ---------------------------------------------------------------------------------------


def _content_match(call: ToolCall, change: Change) -> bool:
    if change.change == "delete":
        return call.deletes
    body = change.after_text
    for text in call.texts:
        probe = text.strip()
        if "[REDACTED:" in probe:  # the index holds redacted text; compare the part before it
            probe = probe.split("[REDACTED:", 1)[0].strip()
        probe = probe[:400]
        if len(probe) >= 8 and probe in body:
            return True
    return False


def attribute(change: Change, calls: list[ToolCall]) -> Attribution:
    """The call that most likely wrote `change` (content match first, then the latest by path and time)."""
    best: tuple[int, float, ToolCall] | None = None
    for call in calls:
        if change.key not in call.keys or call.failed:
            continue
        t = epoch(call.timestamp)
        if t is None or t > change.when + BEFORE_SLACK or t < change.when - WINDOW:
            continue
        score = 2 if _content_match(call, change) else 1
        if change.change == "delete" and not call.deletes:
            continue
        rank = (score, t, call)
        if best is None or (rank[0], rank[1]) > (best[0], best[1]):
            best = rank
    if best is None:
        return Attribution(writer="person")
    score, _t, call = best
    return Attribution(
        writer="agent",
        session_id=call.session_id,
        event_uuid=call.uuid,
        tool_use_id=call.tool_use_id,
        timestamp=call.timestamp,
        agent=call.agent,
        tool=call.tool,
        summary=call.summary,
        how="content" if score == 2 else "path and time",
    )


def consolidation_lock(changes: list[Change], lock_mtime: float | None) -> bool:
    """Several memory files changed next to the time Auto Dream touched its lock: its consolidation."""
    if lock_mtime is None or len(changes) < 2:
        return False
    times = [c.when for c in changes]
    return min(times) - LOCK_WINDOW <= lock_mtime <= max(times) + LOCK_WINDOW
