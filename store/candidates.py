"""Candidate stores and their proposals: immutable rows + review overlay.

Why split: the dream's output (proposal rows) is written once and never
changed, so it can be audited; everything a person does to a proposal lives in
the view's `reviews` map, so undo/redo/restore cover review state too.
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlite_utils

from store.errors import NotFoundError, UsageError
from store.models import Candidate, Label, Proposal


def insert_candidate(db: sqlite_utils.Database, cand: Candidate) -> None:
    db.execute(
        "INSERT INTO candidates(id, base_op, created_at, engine, sessions_read, events_read, stats)"
        " VALUES (?,?,?,?,?,?,?)",
        [cand.id, cand.base_op, cand.created_at, cand.engine, int(cand.sessions_read),
         int(cand.events_read), orjson.dumps(cand.stats or {}, default=str).decode()],
    )


def insert_proposals(db: sqlite_utils.Database, cid: str, proposals: list[Proposal]) -> None:
    rows = []
    for seq, p in enumerate(proposals):
        data = p.to_dict()
        data["meta"] = p.meta
        data["original_scope"] = p.original_scope
        data["original_kind"] = p.original_kind
        data["original_body"] = p.original_body
        rows.append((p.id, cid, seq, orjson.dumps(data, default=str).decode()))
    db.conn.executemany("INSERT INTO proposals(id, candidate_id, seq, data) VALUES (?,?,?,?)", rows)


def _row_to_candidate(row: dict[str, Any], status: str) -> Candidate:
    return Candidate(
        id=row["id"], base_op=row["base_op"], created_at=row["created_at"], engine=row["engine"],
        status=status, sessions_read=row["sessions_read"], events_read=row["events_read"],
        stats=orjson.loads(row["stats"] or "{}"),
    )


def get_candidate_row(db: sqlite_utils.Database, cid: str) -> dict[str, Any]:
    rows = list(db.query("SELECT * FROM candidates WHERE id = ?", [cid]))
    if rows:
        return rows[0]
    rows = list(db.query("SELECT * FROM candidates WHERE id LIKE ? LIMIT 2", [cid + "%"]))
    if len(rows) == 1:
        return rows[0]
    if not rows:
        raise NotFoundError(f"no candidate store {cid}")
    raise UsageError(f"candidate reference {cid!r} is ambiguous")


def candidates_in(db: sqlite_utils.Database, statuses: dict[str, str]) -> list[Candidate]:
    """Candidates present in a view (status from the view), oldest first."""
    if not statuses:
        return []
    ids = list(statuses)
    out = []
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        out.extend(_row_to_candidate(row, statuses[row["id"]])
                   for row in db.query(f"SELECT * FROM candidates WHERE id IN ({marks})", chunk))
    out.sort(key=lambda c: (c.created_at, c.id))
    return out


def candidate_of(db: sqlite_utils.Database, row: dict[str, Any], status: str) -> Candidate:
    return _row_to_candidate(row, status)


def load_proposal_rows(db: sqlite_utils.Database, cid: str) -> list[Proposal]:
    out = []
    for row in db.query("SELECT data FROM proposals WHERE candidate_id = ? ORDER BY seq", [cid]):
        out.append(_from_row(row["data"], cid))
    return out


_SUMMARY_FIELDS = ("action", "kind", "scope", "title", "name", "target", "confidence", "status", "labels")


def load_proposal_summaries(db: sqlite_utils.Database, cid: str) -> list[Proposal]:
    """The proposals of a candidate without their text (body, diff, evidence are empty).

    Why: a queue of 10,000 proposals needs only titles and badges; extracting a
    few fields in SQLite (which releases the GIL) is several times cheaper than
    decoding every row's whole JSON, whose before/after hold entire files.
    Fetch the full proposal with `find_proposal_row` when one is shown.
    """
    paths = ", ".join(f"'$.{f}'" for f in _SUMMARY_FIELDS)  # one JSON parse per row, not nine
    out = []
    for pid, packed in db.execute(
        f"SELECT id, json_extract(data, {paths}) FROM proposals WHERE candidate_id = ? ORDER BY seq", [cid]
    ):
        action, kind, scope, title, name, target, confidence, status, labels = orjson.loads(packed)
        out.append(Proposal(
            id=pid, action=action or "add", kind=kind or "memory", scope=scope or "project",
            title=title or "", body="", name=name or "", target=target or "",
            confidence=float(confidence or 0.0), status=status or "pending",
            labels=[Label.from_dict(l) for l in labels] if labels else [],
            candidate_id=cid, original_scope=scope or "project", original_kind=kind or "memory",
        ))
    return out


def _from_row(raw: str, cid: str) -> Proposal:
    data = orjson.loads(raw)
    p = Proposal.from_dict(data)
    p.candidate_id = cid
    p.original_scope = data.get("original_scope") or p.scope
    p.original_kind = data.get("original_kind") or p.kind
    p.original_body = data.get("original_body") or p.body
    return p


def find_proposal_row(db: sqlite_utils.Database, pid: str) -> tuple[Proposal, str]:
    """A proposal by id or unique prefix (``p-`` optional) → (proposal, candidate id)."""
    pid = pid.strip()
    full = pid if pid.startswith("p-") else "p-" + pid
    rows = list(db.query("SELECT candidate_id, data FROM proposals WHERE id = ?", [full]))
    if not rows:
        rows = list(db.query("SELECT candidate_id, data FROM proposals WHERE id LIKE ? LIMIT 2", [full + "%"]))
    if not rows:
        raise NotFoundError(f"no proposal {pid}")
    if len(rows) > 1:
        raise UsageError(f"proposal reference {pid!r} is ambiguous")
    return _from_row(rows[0]["data"], rows[0]["candidate_id"]), rows[0]["candidate_id"]


def overlay(p: Proposal, review: dict[str, Any] | None) -> Proposal:
    """The proposal with a person's review state applied (a new object)."""
    if not review:
        return p
    q = Proposal.from_dict(p.to_dict() | {"meta": p.meta})
    q.candidate_id = p.candidate_id
    q.original_body, q.original_scope, q.original_kind = p.original_body, p.original_scope, p.original_kind
    q.status = review.get("status", p.status)
    if "body" in review:
        q.body = review["body"]
    if "scope" in review:
        q.scope = review["scope"]
    if "paths" in review:
        q.paths = list(review["paths"])
    if "kind" in review:
        q.kind = review["kind"]
    if "name" in review:
        q.name = review["name"]
    q.reject_reason = review.get("reason", "")
    q.cleared_labels = list(review.get("cleared") or [])
    prev = review.get("preview")
    if prev:
        q.target, q.before, q.after = prev["target"], prev["before"], prev["after"]
    return q


def labels_text(labels: list[Label]) -> str:
    return ", ".join(f"{l.label}({l.severity})" for l in labels)
