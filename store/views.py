"""Views: what the active store and the workspace look like after an operation.

A view is a small tree of blobs (like a git tree), so an operation that changes
only review state stores a few hundred bytes:

    {"artifacts": h(artifact_id -> artifact blob),
     "files": h(key -> {"hash": file blob, "created": bool, "mode": int}),
     "reviews": h(proposal_id -> review overrides),
     "candidates": {candidate_id: status}}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from store.blobs import Blobs
from store.models import Artifact


@dataclass
class View:
    artifacts: dict[str, str] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    reviews: dict[str, dict[str, Any]] = field(default_factory=dict)
    candidates: dict[str, str] = field(default_factory=dict)

    def copy(self) -> "View":
        return View(
            dict(self.artifacts),
            {k: dict(v) for k, v in self.files.items()},
            {k: dict(v) for k, v in self.reviews.items()},
            dict(self.candidates),
        )


def save_view(blobs: Blobs, view: View) -> str:
    return blobs.put_json(
        {
            "artifacts": blobs.put_json(view.artifacts),
            "files": blobs.put_json(view.files),
            "reviews": blobs.put_json(view.reviews),
            "candidates": view.candidates,
        }
    )


def load_view(blobs: Blobs, view_hash: str) -> View:
    top = blobs.get_json(view_hash)
    return View(
        artifacts=dict(blobs.get_json(top["artifacts"])),
        files={k: dict(v) for k, v in blobs.get_json(top["files"]).items()},
        reviews={k: dict(v) for k, v in blobs.get_json(top["reviews"]).items()},
        candidates=dict(top.get("candidates") or {}),
    )


def view_blob_refs(blobs: Blobs, view_hash: str) -> set[str]:
    """Every blob hash a view needs (for gc): the tree, artifacts and file contents."""
    top = blobs.get_json(view_hash)
    refs = {view_hash, top["artifacts"], top["files"], top["reviews"]}
    refs.update(blobs.get_json(top["artifacts"]).values())
    for rec in blobs.get_json(top["files"]).values():
        if rec.get("hash"):
            refs.add(rec["hash"])
    return refs


def put_artifact(blobs: Blobs, artifact: Artifact) -> str:
    return blobs.put_json(artifact.to_dict())


def get_artifact(blobs: Blobs, h: str) -> Artifact:
    return Artifact.from_dict(blobs.get_json(h))


def artifacts_of(blobs: Blobs, view: View) -> list[Artifact]:
    """The view's artifacts in a deterministic order (kind, scope, name, id)."""
    from store.models import KINDS, SCOPES

    arts = [get_artifact(blobs, h) for h in view.artifacts.values()]
    arts.sort(key=lambda a: (KINDS.index(a.kind) if a.kind in KINDS else 99,
                             SCOPES.index(a.scope) if a.scope in SCOPES else 99, a.name, a.id))
    return arts
