"""Find transcript files and tell what they are, reading as little as possible.

Two sources: the agents' home directories (`~/.claude/projects`, `~/.codex/sessions`,
`~/.gemini/tmp`), where a file belongs to the workspace only if the cwd its
records carry is the workspace or inside it (never by reversing Claude's slug);
and `--transcripts DIR`s, taken whole whatever cwd they record. The agent is
told from the content's shape, not the path. Sniffing reads only the first
lines needed to find the session id and the cwd.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from reverie.dreamer.adapters.codex import CWD_TAG, RESPONSE_ITEM_TYPES
from reverie.dreamer.adapters.common import MAX_DOCUMENT_BYTES, FileInfo
from reverie.dreamer.adapters.gemini import looks_like_gemini, session_id_of
from reverie.dreamer.redact import redact_name
from reverie.store import paths

log = logging.getLogger(__name__)

SNIFF_LINES = 80
SNIFF_BYTES = 2 * 1024 * 1024
SNIFF_UNKNOWN_RECORDS = 8
"""Records of a type we do not know (a new bookkeeping record such as ``{"type": "mode"}``) that may come
before the first one that tells the agent: agents add record types faster than we learn them."""
_SNIFF_LINE_MAX = 1024 * 1024

CODEX_ENVELOPE_TYPES = frozenset({"session_meta", "response_item", "event_msg", "turn_context", "compacted"})
CLAUDE_TYPES = frozenset(
    {
        "user",
        "assistant",
        "system",
        "summary",
        "file-history-snapshot",
        "progress",
        "queue-operation",
        "attachment",
        "permission-mode",
        "last-prompt",
        "custom-title",
    }
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


@dataclass(slots=True)
class Found:
    """A candidate transcript file: where it came from decides whether cwd must match."""

    path: str
    from_home: bool


# --- listing -----------------------------------------------------------------


def home_files() -> Iterator[Found]:
    """Transcript files in the agents' home dirs (all projects; matched later by cwd)."""
    claude = paths.claude_projects_dir()
    if claude.is_dir():
        for project in _listdir(claude):
            pdir = claude / project
            if not pdir.is_dir():
                continue
            for name in _listdir(pdir):
                p = pdir / name
                if name.endswith(".jsonl"):
                    yield Found(str(p), True)
                elif p.is_dir():
                    sub = p / "subagents"
                    if sub.is_dir():
                        for sname in _listdir(sub):
                            if sname.endswith(".jsonl"):
                                yield Found(str(sub / sname), True)
    codex = paths.codex_sessions_dir()
    if codex.is_dir():
        for root, _dirs, files in os.walk(codex, onerror=_walk_error):
            for name in files:
                if name.startswith("rollout-") and name.endswith(".jsonl"):
                    yield Found(os.path.join(root, name), True)
    gemini = paths.gemini_tmp_dir()
    if gemini.is_dir():
        for project in _listdir(gemini):
            chats = gemini / project / "chats"
            if chats.is_dir():
                for name in _listdir(chats):
                    if name.startswith("session-") and name.endswith(".json"):
                        yield Found(str(chats / name), True)


def transcript_dir_files(dirs: list[Path]) -> Iterator[Found]:
    """Every file under each directory (or the file itself): what it is, `sniff` tells from its content.

    Why every file: real exports name things freely (a Gemini chat saved as
    `.jsonl`, a Claude transcript as `full.jsonl` next to `metadata.json` and
    `prompt.txt`); a name is no evidence of a format.
    """
    for d in dirs:
        d = Path(d)
        if d.is_file():
            yield Found(str(d), False)
            continue
        if not d.is_dir():
            log.warning("transcripts dir %s does not exist; skipped", d)
            continue
        for root, dirnames, files in os.walk(d, onerror=_walk_error):
            dirnames.sort()
            dirnames[:] = [n for n in dirnames if n not in (".git", ".reverie", "node_modules")]
            for name in sorted(files):
                yield Found(os.path.join(root, name), False)


def _listdir(path: Path) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except OSError as err:
        log.warning("cannot read %s: %s; skipped", path, err.strerror or err)
        return []


def _walk_error(err: OSError) -> None:
    log.warning("cannot read %s: %s; skipped", err.filename, err.strerror or err)


# --- matching ------------------------------------------------------------------


def cwd_matches(cwd: str, workspace: Path) -> bool:
    """Whether a recorded cwd is the workspace or a directory inside it."""
    if not cwd:
        return False
    c = os.path.normpath(cwd)
    for w in {os.path.normpath(str(workspace)), os.path.realpath(str(workspace))}:
        if c == w or c.startswith(w.rstrip(os.sep) + os.sep):
            return True
    return False


def gemini_project_matches(path: str, workspace: Path) -> bool:
    """Gemini names a project by sha256 of its root path (or writes `.project_root`)."""
    project_dir = Path(path).parent.parent
    marker = project_dir / ".project_root"
    try:
        if marker.is_file():
            return cwd_matches(marker.read_text(encoding="utf-8").strip(), workspace)
    except OSError:
        pass
    hashes = {
        hashlib.sha256(os.path.normpath(str(workspace)).encode()).hexdigest(),
        hashlib.sha256(os.path.realpath(str(workspace)).encode()).hexdigest(),
    }
    return project_dir.name in hashes


# --- sniffing ------------------------------------------------------------------


def parse_line(line: bytes) -> tuple[list[Any], bool]:
    """The JSON values on one line and whether any of it was unparseable.

    Usually one object; a line holding two concatenated objects yields both.
    """
    try:
        return [orjson.loads(line)], False
    except orjson.JSONDecodeError:
        pass
    import json

    text = line.decode("utf-8", "replace").strip()
    decoder = json.JSONDecoder()
    values: list[Any] = []
    pos = 0
    while pos < len(text):
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos >= len(text):
            break
        try:
            value, end = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError):  # bad JSON, or nesting deeper than Python's stack
            return values, True
        values.append(value)
        pos = end
    return values, not values


def detect_record(record: Any) -> str:
    """'claude', 'codex' or '' from one parsed JSONL record."""
    if not isinstance(record, dict):
        return ""
    rtype = record.get("type")
    if "payload" in record and rtype in CODEX_ENVELOPE_TYPES:
        return "codex"
    if rtype in CLAUDE_TYPES and (
        "sessionId" in record
        or "uuid" in record
        or "leafUuid" in record
        or "message" in record
        or rtype in ("summary", "file-history-snapshot")
    ):
        return "claude"
    if rtype is None and "id" in record and "timestamp" in record and ("instructions" in record or "git" in record):
        return "codex"  # legacy rollout header
    if record.get("record_type") == "state":
        return "codex"
    if rtype in RESPONSE_ITEM_TYPES and "parentId" not in record and ("role" in record or "call_id" in record):
        return "codex"
    return ""


_CWD_FIELD = re.compile(rb'"cwd"\s*:\s*"((?:[^"\\]|\\.)*)"')
QUICK_CWD_BYTES = 64 * 1024


def quick_cwd(path: str) -> str | None:
    """The first ``"cwd": "…"`` field in the file's first `QUICK_CWD_BYTES`, found without parsing JSON.

    Lets ingest pass over another project's transcripts in the agents' home dirs
    at the cost of one small read, whatever the size of their first lines (a
    pasted image, a file snapshot). A quoted ``"cwd"`` inside a JSON string is
    escaped (a backslash before each quote), so only a record's own field matches. None when
    there is none in that window (then `sniff` decides).
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(QUICK_CWD_BYTES)
    except OSError:
        return None
    m = _CWD_FIELD.search(head)
    if m is None:
        return None
    try:
        value = orjson.loads(b'"' + m.group(1) + b'"')
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, str) and value else None


def sniff(path: str) -> FileInfo | None:
    """What a transcript file is (agent, session id, cwd), from its content; None when we do not read it."""
    return sniff_file(path).info


@dataclass(slots=True)
class Sniffed:
    """A sniffed file: what it is, or why it is not a transcript we read."""

    info: FileInfo | None
    reason: str = ""


def sniff_file(path: str) -> Sniffed:
    """What a file is, from its content alone (never its name).

    JSON lines are told by their first record (Claude Code, Codex); anything
    else that is JSON — a pretty-printed document, or one document on a line —
    is read whole (bounded) and kept when it has the shape of a Gemini CLI chat.
    The reason says why anything else is skipped (empty files may be sniffed
    again once they grow).
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as err:
        return Sniffed(None, f"unreadable: {err.strerror or err}")
    first = head.lstrip()[:1]
    if not first:
        return Sniffed(None, "empty")
    if first not in (b"{", b"["):
        return Sniffed(None, "not JSON (not a Claude Code, Codex or Gemini CLI transcript)")
    info = _sniff_lines(path)
    if info is not None:
        return Sniffed(info)
    return _sniff_document(path)


def _sniff_document(path: str) -> Sniffed:
    try:
        size = os.path.getsize(path)
    except OSError as err:
        return Sniffed(None, f"unreadable: {err.strerror or err}")
    if size > MAX_DOCUMENT_BYTES:
        return Sniffed(None, f"JSON, but not JSON lines we read, and over {MAX_DOCUMENT_BYTES} bytes to read whole")
    try:
        with open(path, "rb") as fh:
            line = fh.readline(_SNIFF_LINE_MAX)
            more = bool(fh.read(65536).strip())
    except OSError as err:
        return Sniffed(None, f"unreadable: {err.strerror or err}")
    values, bad = parse_line(line)
    if more and values and not bad:  # one record per line, none of them ours: no need to read it whole
        return Sniffed(None, "JSON lines, but not Claude Code or Codex records")
    doc = load_json_document(path)
    if doc is None:
        return Sniffed(None, "JSON lines, but not Claude Code or Codex records")
    if not looks_like_gemini(doc):
        keys = ", ".join(sorted(str(k) for k in doc)[:5]) if isinstance(doc, dict) else type(doc).__name__
        return Sniffed(None, f"a JSON document, but not a Gemini CLI chat ({keys})")
    sid = session_id_of(doc) or Path(path).stem
    return Sniffed(FileInfo(path=path, agent="gemini", session_id=_id_key(sid), cwd=""))


def _id_key(session_id: str) -> str:
    """A session id as stored: `redact_name` of it, except that a bare UUID is kept as it is.

    No credential is a bare UUID without context around it, so `redact_name` returns
    one unchanged; but about one UUID in eight passes its cheap prefilter and would
    load kingfisher (most of a second) while ingest is still sniffing files.
    """
    return session_id if _UUID.fullmatch(session_id) else redact_name(session_id)


def _sniff_lines(path: str) -> FileInfo | None:
    """Claude Code or Codex JSON lines, from the first records (None: not those).

    The agent is told by the first record that has its shape; up to `SNIFF_UNKNOWN_RECORDS`
    objects of a shape we do not know may come first (a record type newer than this code).
    """
    agent = ""
    session_id = ""
    cwd = ""
    read = 0
    unknown = 0
    try:
        with open(path, "rb") as fh:
            for n, line in enumerate(fh):
                read += len(line)
                if n >= SNIFF_LINES or read > SNIFF_BYTES:
                    break
                if len(line) > _SNIFF_LINE_MAX or not line.strip():
                    continue
                values, _ = parse_line(line)
                for rec in values:
                    if not isinstance(rec, dict):
                        if not agent:
                            return None  # JSON lines of arrays or scalars: not a transcript we read
                        continue
                    if not agent:
                        agent = detect_record(rec)
                        if not agent:
                            unknown += 1
                            if unknown > SNIFF_UNKNOWN_RECORDS:
                                return None
                            continue
                    if agent == "claude":
                        session_id = session_id or str(rec.get("sessionId") or "")
                        rec_cwd = rec.get("cwd")
                        cwd = cwd or (rec_cwd if isinstance(rec_cwd, str) else "")
                    else:
                        raw_payload = rec.get("payload")
                        payload: dict[str, Any] = raw_payload if isinstance(raw_payload, dict) else rec
                        payload_cwd = payload.get("cwd")
                        if rec.get("type") == "session_meta" or (n == 0 and "payload" not in rec and "id" in rec):
                            session_id = session_id or str(payload.get("id") or "")
                            cwd = cwd or (payload_cwd if isinstance(payload_cwd, str) else "")
                        if not cwd and rec.get("type") == "turn_context" and isinstance(payload_cwd, str):
                            cwd = payload_cwd
                        if not cwd:
                            m = CWD_TAG.search(line[:20000].decode("utf-8", "replace").replace("\\n", "\n"))
                            if m:
                                cwd = m.group(1)
                if agent and session_id and cwd:
                    break
    except OSError as err:
        log.warning("cannot read %s: %s; skipped", path, err.strerror or err)
        return None
    if not agent:
        return None
    p = Path(path)
    stem = p.name[: -len(".jsonl")] if p.name.endswith(".jsonl") else p.stem
    sidechain = False
    if agent == "claude":
        sidechain = stem.startswith("agent-") or p.parent.name == "subagents"
        if not session_id:
            session_id = p.parent.parent.name if p.parent.name == "subagents" else stem
    else:
        if not session_id:
            uuids = _UUID.findall(stem)
            session_id = uuids[-1] if uuids else stem
    return FileInfo(path=path, agent=agent, session_id=_id_key(session_id), is_sidechain=sidechain, cwd=cwd)


def load_json_document(path: str) -> Any:
    """A whole-document transcript, or None (too large / unreadable / not JSON), logged."""
    try:
        size = os.path.getsize(path)
        if size > MAX_DOCUMENT_BYTES:
            log.warning(
                "%s: %d bytes is over the %d-byte limit for a JSON transcript; skipped", path, size, MAX_DOCUMENT_BYTES
            )
            return None
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as err:
        log.warning("cannot read %s: %s; skipped", path, err.strerror or err)
        return None
    if not data.strip():
        return None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
