"""Import: read a workspace's existing agent artifacts into the active store.

Why: Reverie reviews changes *against what the agent already carries*, and it
detects hand edits by comparing files with what it recorded. So every file read
here is recorded in the view, byte for byte. Claude Code layout first, plus
AGENTS.md. Frontmatter is read leniently (store.frontmatter).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reverie.store import frontmatter
from reverie.store import materialize as mat
from reverie.store.blobs import Blobs
from reverie.store.errors import ReverieError, UnsafePathError
from reverie.store.fsutil import read_bytes, safe_target
from reverie.store.models import Artifact, Kind, Scope
from reverie.store.views import View, record_hash, recorded_bytes

log = logging.getLogger("reverie.import")

MAX_BYTES = 2_000_000
DOCUMENTS: dict[str, Scope] = {
    "CLAUDE.md": "team",
    ".claude/CLAUDE.md": "team",
    "CLAUDE.local.md": "project",
    "AGENTS.md": "team",
    "GEMINI.md": "team",
}
SETTINGS: dict[str, Scope] = {".claude/settings.json": "team", ".claude/settings.local.json": "project"}


@dataclass
class ScanResult:
    artifacts: list[Artifact] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)
    """Ids of existing import-origin artifacts to keep as they are."""
    gone: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    adopted: list[Artifact] = field(default_factory=list)
    """Reverie's own artifacts whose file a person edited: the edit becomes the body."""


def _aid(key: str, discriminator: str = "") -> str:
    return "a-" + hashlib.sha256(f"import\0{key}\0{discriminator}".encode()).hexdigest()[:10]


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _candidate_keys(ws: Path, documents: list[str]) -> list[str]:
    """Every file the importer reads: the `documents` present (see `_document_keys`), then the rest."""
    keys = list(documents)
    claude = ws / ".claude"
    for sub, pattern in (("rules", "**/*.md"), ("commands", "**/*.md"), ("agents", "*.md"), ("skills", "*/SKILL.md")):
        d = claude / sub
        if d.is_dir():
            keys.extend(sorted(p.relative_to(ws).as_posix() for p in d.glob(pattern) if p.is_file()))
    keys.extend(k for k in SETTINGS if (ws / k).is_file())
    mem_key = mat.memory_dir_key(ws)
    mem_dir = Path(str(safe_home(mem_key)))
    if mem_dir.is_dir():
        keys.extend(f"{mem_key}/{p.name}" for p in sorted(mem_dir.glob("*.md")) if p.is_file())
    return keys


def _canonical(key: str) -> str:
    """`.claude/claude.md` → `.claude/CLAUDE.md`: the document a differently-cased file is."""
    return next(k for k in DOCUMENTS if k.lower() == key.lower())


def _document_keys(ws: Path) -> list[str]:
    """The always-loaded documents present, under the name they have on disk.

    Why any case: Claude Code on macOS reads `.claude/claude.md` as `.claude/CLAUDE.md`
    (a case-insensitive file system), and real projects commit it that way.
    """
    out = []
    listed: dict[Path, list[str]] = {}  # four of the documents live in the workspace root: list it once
    for key in DOCUMENTS:
        parent, _, name = key.rpartition("/")
        folder = ws / parent if parent else ws
        if folder not in listed:
            try:
                listed[folder] = sorted(os.listdir(folder))
            except OSError:
                listed[folder] = []
        names = listed[folder]
        exact = name in names
        for n in names:
            rel = f"{parent}/{n}" if parent else n
            if n.lower() == name.lower() and (n == name or not exact) and rel not in out and (folder / n).is_file():
                out.append(rel)
    return out


def safe_home(key: str) -> Path:
    from reverie.store.paths import home

    return home() / key[2:]


def scan(ws: Path, view: View, arts: dict[str, Artifact], blobs: Blobs) -> ScanResult:
    res = ScanResult()
    owned: dict[str, list[Artifact]] = {}  # keys Reverie's own artifacts write
    for a in arts.values():
        if a.origin != "import":
            for k in mat.targets_of(a, ws):
                owned.setdefault(k, []).append(a)
    by_source: dict[str, list[Artifact]] = {}
    for a in arts.values():
        if a.origin == "import" and a.meta.get("source"):
            by_source.setdefault(a.meta["source"], []).append(a)
    mem_key = mat.memory_dir_key(ws)
    present = _document_keys(ws)
    documents = set(present)
    seen: set[str] = set()
    for key in _candidate_keys(ws, present):
        seen.add(key)
        try:
            path = safe_target(ws, key)
            data = read_bytes(path)
        except (UnsafePathError, ReverieError) as err:
            res.skipped.append(f"{key}: {err}")
            continue
        if data is None:
            continue
        if len(data) > MAX_BYTES:
            res.skipped.append(f"{key}: larger than {MAX_BYTES} bytes")
            continue
        rec = view.files.get(key)
        rec_b = recorded_bytes(blobs, rec)
        if rec_b is None:
            rec = None  # recorded as absent (a retired file): the file is new to Reverie
        ftype = mat.file_type(key)
        if ftype == "whole" and key in owned:
            if rec is not None and data != rec_b and len(owned[key]) == 1:
                res.adopted.append(_adopt(owned[key][0], data))
                res.files[key] = data
            continue  # Reverie wrote it; its artifact is already in the store
        if (
            ftype != "whole"
            and rec is not None
            and data != rec_b
            and mat.region_of(key, data) != mat.region_of(key, rec_b)
        ):
            res.skipped.append(f"{key}: Reverie's region was edited by hand; not re-imported")
            res.kept.update(a.id for a in by_source.get(key, []))
            continue
        try:
            if key in documents:
                _document(key, data, rec is not None, by_source.get(key, []), res)
            elif key.endswith("/MEMORY.md") and key.startswith(mem_key):
                pass  # an index Reverie derives from the topic files
            elif key in SETTINGS:
                _settings(key, data, res)
            elif key.startswith(mem_key + "/"):
                res.artifacts.append(_file_artifact(key, data, "memory", "project", Path(key).stem))
            elif key.startswith(".claude/rules/"):
                rel = key[len(".claude/rules/") : -3]
                res.artifacts.append(_file_artifact(key, data, "rule", "team", rel.replace("/", "-")))
            elif key.startswith(".claude/commands/"):
                rel = key[len(".claude/commands/") : -3]
                res.artifacts.append(_file_artifact(key, data, "command", "team", rel.replace("/", ":")))
            elif key.startswith(".claude/agents/"):
                res.artifacts.append(_file_artifact(key, data, "subagent", "team", Path(key).stem))
            elif key.startswith(".claude/skills/"):
                res.artifacts.append(_file_artifact(key, data, "skill", "team", Path(key).parent.name))
        except Exception as err:
            res.skipped.append(f"{key}: {type(err).__name__}: {err}")
            log.warning("skipped %s: %s", key, err)
            continue
        res.files[key] = data
    for key, rec in view.files.items():
        if key in seen or rec.get("created") or key in owned or record_hash(rec) is None:
            continue
        try:
            if read_bytes(safe_target(ws, key)) is None:
                res.gone.append(key)
        except ReverieError:
            res.gone.append(key)
    return res


def reread(old: Artifact, key: str, data: bytes) -> Artifact:
    """A hand-written artifact as the importer would read it from `data` (after a line edit).

    Why here: the body of an imported artifact is whatever `scan` makes of its
    file, so after Reverie edits lines of that file the artifact must be read
    back the same way. Identity (id, kind, scope, name, origin) stays: the
    file is still the person's.
    """
    if old.meta.get("layout") == mat.DOCUMENT:
        body = mat.splice_block(_text(data), None)
        fresh = Artifact(id=old.id, kind=old.kind, scope=old.scope, name=old.name, body=body, title=old.title)
    else:
        fresh = _file_artifact(key, data, old.kind, old.scope, old.name)
    return Artifact(
        id=old.id,
        kind=old.kind,
        scope=old.scope,
        name=old.name,
        body=fresh.body,
        title=fresh.title or old.title,
        paths=fresh.paths if old.meta.get("layout") != mat.DOCUMENT else list(old.paths),
        meta=dict(old.meta) if old.meta.get("layout") == mat.DOCUMENT else dict(fresh.meta),
        confidence=old.confidence,
        provenance=list(old.provenance),
        origin=old.origin,
    )


def _adopt(a: Artifact, data: bytes) -> Artifact:
    """The artifact with the body (and path globs) a person wrote into its file."""
    text = _text(data)
    if a.kind == "hook":
        body, paths = text, a.paths
    else:
        meta_fm, body, _ = frontmatter.split(text)
        paths = frontmatter.as_list(meta_fm.get("paths") or meta_fm.get("globs")) or a.paths
        body = body.lstrip("\n")
    return Artifact(
        id=a.id,
        kind=a.kind,
        scope=a.scope,
        name=a.name,
        body=body,
        title=a.title,
        paths=paths,
        meta=dict(a.meta),
        confidence=a.confidence,
        provenance=list(a.provenance),
        origin=a.origin,
    )


def _document(key: str, data: bytes, recorded: bool, existing: list[Artifact], res: ScanResult) -> None:
    text = _text(data)
    scope = DOCUMENTS.get(key) or DOCUMENTS[_canonical(key)]
    body = mat.splice_block(text, None)
    if body.strip():
        res.artifacts.append(
            Artifact(
                id=_aid(key, "document"),
                kind="instinct" if key != "AGENTS.md" else "rule",
                scope=scope,
                name=mat.slugify(key.replace(".", "-")),
                title=key,
                body=body,
                meta={"source": key, "layout": mat.DOCUMENT},
                origin="import",
            )
        )
    if recorded:
        res.kept.update(a.id for a in existing if a.meta.get("layout") == "entry")
        return
    block = mat.block_region(text)
    if not block:
        return
    inner = block.split("\n", 1)[1].rsplit("\n", 1)[0] if "\n" in block else ""
    for i, entry in enumerate(_entries(inner)):
        title, body_e = entry
        res.artifacts.append(
            Artifact(
                id=_aid(key, f"entry{i}:{body_e}"),
                kind="instinct",
                scope=scope,
                name=mat.slugify(title or body_e[:40]),
                title=title,
                body=body_e,
                meta={"source": key, "layout": "entry"},
                origin="import",
            )
        )


def _entries(inner: str) -> list[tuple[str, str]]:
    """Split a managed block's text into (title, body) entries."""
    out: list[tuple[str, str]] = []
    cur_title: str | None = None
    cur_lines: list[str] = []
    for line in inner.splitlines():
        if line.startswith("### "):
            if cur_title is not None:
                out.append((cur_title, "\n".join(cur_lines).strip("\n")))
            cur_title, cur_lines = line[4:].strip(), []
        elif cur_title is not None:
            cur_lines.append(line)
        elif line.startswith("- "):
            out.append(("", line[2:].strip()))
    if cur_title is not None:
        out.append((cur_title, "\n".join(cur_lines).strip("\n")))
    return [e for e in out if e[1]]


def _settings(key: str, data: bytes, res: ScanResult) -> None:
    try:
        doc = json.loads(data) if data.strip() else {}
    except ValueError as err:
        res.skipped.append(f"{key}: invalid JSON ({err}); hooks not imported")
        return
    hooks = doc.get("hooks") if isinstance(doc, dict) else None
    if not isinstance(hooks, dict):
        return
    for event in sorted(hooks):
        groups = hooks[event] if isinstance(hooks[event], list) else []
        for gi, group in enumerate(groups):
            if not isinstance(group, dict):
                continue
            for hi, h in enumerate(group.get("hooks") or []):
                if not isinstance(h, dict) or mat.HOOK_DIR_MARK in str(h.get("command", "")):
                    continue
                command = str(h.get("command", ""))
                matcher = group.get("matcher", "")
                res.artifacts.append(
                    Artifact(
                        id=_aid(key, f"{event}:{gi}:{hi}:{command}"),
                        kind="hook",
                        scope=SETTINGS[key],
                        name=mat.slugify(f"{event}-{matcher}-{command}")[:40].rstrip("-"),
                        title=f"{event} {matcher}".strip(),
                        body=command,
                        meta={
                            "source": key,
                            "layout": "hook",
                            "event": event,
                            "matcher": matcher,
                            "command": command,
                            "timeout": h.get("timeout"),
                        },
                        origin="import",
                    )
                )


def _file_artifact(key: str, data: bytes, kind: Kind, scope: Scope, name: str) -> Artifact:
    meta_fm, body, _ = frontmatter.split(_text(data))
    paths = frontmatter.as_list(meta_fm.get("paths") or meta_fm.get("globs"))
    if paths and kind == "rule":
        scope = "path"
    meta: dict[str, Any] = {"source": key, "layout": "file"}
    extra = {k: v for k, v in meta_fm.items() if k not in ("paths", "globs")}
    if extra:
        meta["frontmatter"] = _jsonable(extra)
    if meta_fm.get("description"):
        meta["description"] = str(meta_fm["description"])
    if kind == "subagent" and meta_fm.get("tools"):
        meta["tools"] = frontmatter.as_list(meta_fm["tools"])
    if kind == "memory" and meta_fm.get("type"):
        meta["type"] = str(meta_fm["type"])
    title = str(meta_fm.get("name") or meta_fm.get("title") or name)
    return Artifact(
        id=_aid(key), kind=kind, scope=scope, name=name, title=title, body=body, paths=paths, meta=meta, origin="import"
    )


def _jsonable(obj: Any) -> Any:
    """YAML may yield dates/sets; keep the store's JSON plain."""
    return json.loads(json.dumps(obj, default=str))
