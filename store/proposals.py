"""What a proposal means: validation, naming, the artifact it becomes, its preview.

Why apart from `candidates` (which stores proposal rows): these are pure
functions of a proposal and the active artifacts, shared by `open_candidate`
(validate, name, preview), the review operations (re-preview after an edit)
and apply planning (the artifact each approved proposal adds).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from reverie.store import frontmatter
from reverie.store import materialize as mat
from reverie.store.errors import UnsafePathError, UsageError
from reverie.store.fsutil import read_bytes, safe_target
from reverie.store.lineedits import EditConflict, apply_edits, diff_edits
from reverie.store.models import ACTIONS, KINDS, SCOPES, Artifact, LineEdit, Proposal


@dataclass
class Preview:
    """What a proposal would change: its primary target file and the text diff."""

    target: str
    before: str
    after: str
    key: str = ""


class PlanContext:
    """Artifacts of one view plus a memo of each artifact's target keys (built once per plan).

    Why: planning asks for the same artifacts' targets once per proposal; rendering
    target paths for every artifact each time made large applies quadratic.
    """

    def __init__(self, workspace: Path, arts: dict[str, Artifact]) -> None:
        self.workspace = workspace
        self.arts = arts
        self._targets: dict[str, list[str]] = {}

    def targets(self, a: Artifact) -> list[str]:
        t = self._targets.get(a.id)
        if t is None:
            t = mat.targets_of(a, self.workspace)
            self._targets[a.id] = t
        return t


def artifact_id(pid: str) -> str:
    """Derived from the proposal id, so one proposal always becomes the same artifact id."""
    return "a-" + hashlib.sha256(pid.encode()).hexdigest()[:10]


def validate(src: Proposal, i: int, arts: dict[str, Artifact], base_ids: set[str]) -> Proposal:
    """A clean copy of an incoming proposal, or UsageError naming the problem."""
    p = Proposal.from_dict(src.to_dict() | {"meta": src.meta})
    where = f"proposal {i}" + (f" ({src.title!r})" if src.title else "")
    if p.action not in ACTIONS:
        raise UsageError(f"{where}: unknown action {p.action!r} (expected one of {', '.join(ACTIONS)})")
    if p.kind not in KINDS:
        raise UsageError(f"{where}: unknown kind {p.kind!r} (expected one of {', '.join(KINDS)})")
    if p.scope not in SCOPES:
        raise UsageError(f"{where}: unknown scope {p.scope!r} (expected one of {', '.join(SCOPES)})")
    if p.action != "retire" and not p.body.strip():
        raise UsageError(f"{where}: empty body")
    if p.action in ("retire",) and not p.replaces:
        raise UsageError(f"{where}: retire needs `replaces` (the artifact ids to retire)")
    for rid in p.replaces:
        if rid not in arts and rid not in base_ids:
            raise UsageError(f"{where}: replaces unknown artifact {rid}")
    if p.edits:
        _validate_edits(p, where, arts)
    if not 0.0 <= p.confidence <= 1.0:
        p.confidence = min(1.0, max(0.0, p.confidence))
    return p


def editable_sources(p: Proposal, arts: dict[str, Artifact]) -> set[str]:
    """The hand-written files `p` may edit lines of: the sources of the artifacts it replaces."""
    return {
        str(arts[rid].meta["source"])
        for rid in p.replaces
        if rid in arts
        and arts[rid].origin == "import"
        and arts[rid].meta.get("layout") in (mat.DOCUMENT, "file")
        and arts[rid].meta.get("source")
    }


def _validate_edits(p: Proposal, where: str, arts: dict[str, Artifact]) -> None:
    """Line edits only touch the hand-written files the proposal replaces (never any other path)."""
    if p.action not in ("update", "retire"):
        raise UsageError(f"{where}: line edits belong to an update, not {p.action!r}")
    allowed = editable_sources(p, arts)
    for e in p.edits:
        if e.path not in allowed:
            raise UsageError(
                f"{where}: edit of {e.path!r} is not a hand-written file this proposal replaces"
                + (f" ({', '.join(sorted(allowed))})" if allowed else "")
            )


def unique(name: str, taken: set[str]) -> str:
    """`name`, or `name-2`, `name-3`… — the first not in `taken` (artifact names are file names)."""
    if name not in taken:
        return name
    i = 2
    while f"{name}-{i}" in taken:
        i += 1
    return f"{name}-{i}"


def proposal_artifact(p: Proposal, arts: dict[str, Artifact]) -> Artifact | None:
    """The artifact an add/update proposal becomes (None for a retire).

    Why `arts`: a one-for-one replacement of a file-layout artifact keeps its
    source file and front matter, so the update lands where the old one lived.
    """
    if p.action == "retire":
        return None
    meta = {k: v for k, v in p.meta.items() if k not in ("replay", "source", "layout")}
    name = p.name or mat.slugify(p.title or p.body[:60])
    if len(p.replaces) == 1 and p.replaces[0] in arts:
        old = arts[p.replaces[0]]
        if old.kind == p.kind and old.scope == p.scope and old.meta.get("layout") == "file":
            meta["source"], meta["layout"] = old.meta["source"], "file"
            if old.meta.get("frontmatter"):
                meta.setdefault("frontmatter", old.meta["frontmatter"])
    return Artifact(
        id=artifact_id(p.id),
        kind=p.kind,
        scope=p.scope,
        name=name,
        body=p.body,
        title=p.title,
        paths=list(p.paths),
        meta=meta,
        confidence=float(p.confidence),
        provenance=list(p.evidence),
        origin=p.id or "proposal",
    )


def preview(p: Proposal, ctx: PlanContext) -> Preview:
    """What applying `p` alone would do to its primary target (block files: the managed region only)."""
    if p.edits:
        return _edit_preview(p, ctx)
    new = proposal_artifact(p, ctx.arts)
    removed = [ctx.arts[r] for r in p.replaces if r in ctx.arts]
    if new is not None:
        key = mat.targets_of(new, ctx.workspace)[0]
    elif removed:
        key = ctx.targets(removed[0])[0]
    else:
        return Preview(target="", before="", after="")
    try:
        path = safe_target(ctx.workspace, key)
        existing = read_bytes(path)
    except UnsafePathError:  # shown in the preview; apply refuses it with the same error
        path, existing = Path(key), None
    others = [a for a in ctx.arts.values() if a.id not in p.replaces and key in ctx.targets(a)]
    if new is not None:
        others.append(new)
    drop = {str(a.meta.get("command")) for a in removed if a.meta.get("layout") == "hook"}
    ftype = mat.file_type(key)
    after_b, _ = mat.render_file(key, others, existing if ftype != "whole" else None, drop)
    if ftype == "block":
        before = mat.block_region(existing.decode("utf-8", "replace")) if existing else None
        after = mat.block_region(after_b.decode("utf-8")) if after_b else None
        if any(a.meta.get("layout") == mat.DOCUMENT for a in removed):
            before = existing.decode("utf-8", "replace") if existing else ""
        return Preview(str(path), before or "", after or "", key)
    return Preview(
        str(path),
        existing.decode("utf-8", "replace") if existing else "",
        after_b.decode("utf-8", "replace") if after_b else "",
        key,
    )


def _edit_preview(p: Proposal, ctx: PlanContext) -> Preview:
    """A line edit's diff: the whole file before and after, so only the cited lines differ.

    When the cited lines are no longer there, before and after are the file as
    it is and the conflict shows at apply.
    """
    key = p.edits[0].path
    try:
        path = safe_target(ctx.workspace, key)
        existing = read_bytes(path)
    except UnsafePathError:
        return Preview(key, "", "", key)
    if existing is None:
        return Preview(str(path), "", "", key)
    text = existing.decode("utf-8", "replace")
    try:
        after = apply_edits(existing, [e for e in p.edits if e.path == key], key).decode("utf-8")
    except EditConflict:
        after = text
    return Preview(str(path), text, after, key)


def person_edits(p: Proposal, body: str, ctx: PlanContext) -> list[LineEdit]:
    """The line edits of a person's rewrite (`body`) of a line-edit proposal.

    The body is the hand-written artifact's body after the edits; the file keeps
    everything around it (frontmatter, Reverie's block at the end), so the new
    file text is that frame around `body`, and its difference from the file on
    disk is the new set of edits (UsageError when that cannot be said in lines).
    """
    key = p.edits[0].path
    if any(e.path != key for e in p.edits):
        raise UsageError(f"{p.id} edits several files; edit them by hand")
    existing = read_bytes(safe_target(ctx.workspace, key))
    if existing is None:
        raise UsageError(f"{key} is gone; nothing to edit")
    try:
        patched = apply_edits(existing, p.edits, key).decode("utf-8")
    except EditConflict as err:
        raise UsageError(str(err)) from None
    layout = next((ctx.arts[r].meta.get("layout") for r in p.replaces if r in ctx.arts), "file")
    if layout == mat.DOCUMENT:
        block = mat.block_region(patched)
        if block is not None and not patched.rstrip("\n").endswith(block):
            raise UsageError(f"{key} has Reverie's block before its end; edit it by hand")
        frame_head, frame_tail = "", patched[patched.index(block) :] if block else ""
        if frame_tail:
            body = body.rstrip("\n") + "\n\n"
    else:
        _meta, rest, had = frontmatter.split(patched)
        frame_head, frame_tail = patched[: len(patched) - len(rest)] if had else "", ""
    if patched.endswith("\n") and not body.endswith("\n") and not frame_tail:
        body += "\n"
    try:
        return diff_edits(key, existing, frame_head + body + frame_tail, p.edits)
    except EditConflict as err:
        raise UsageError(str(err)) from None
