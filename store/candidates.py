"""Candidate stores and their proposals: immutable rows + review overlay.

Why split: the dream's output (proposal rows) is written once and never
changed, so it can be audited; everything a person does to a proposal lives in
the view's `reviews` map, so undo/redo/restore cover review state too.
"""

from __future__ import annotations

import gc
from dataclasses import MISSING, fields
from typing import TYPE_CHECKING, Any

import orjson

from reverie.store.errors import NotFoundError, UsageError
from reverie.store.models import Candidate, Label, LineEdit, Proposal
from reverie.store.packing import Packer
from reverie.store.schema import SUMMARY_FIELDS

if TYPE_CHECKING:
    import sqlite_utils


def insert_candidate(db: sqlite_utils.Database, cand: Candidate) -> None:
    db.execute(
        "INSERT INTO candidates(id, base_op, created_at, engine, sessions_read, events_read, stats, source)"
        " VALUES (?,?,?,?,?,?,?,?)",
        [
            cand.id,
            cand.base_op,
            cand.created_at,
            cand.engine,
            int(cand.sessions_read),
            int(cand.events_read),
            orjson.dumps(cand.stats or {}, default=str).decode(),
            cand.source,
        ],
    )


def insert_proposals(db: sqlite_utils.Database, cid: str, proposals: list[Proposal]) -> None:
    rows, summaries = [], []
    for seq, p in enumerate(proposals):
        data = p.to_dict()
        data["meta"] = p.meta
        data["original_scope"] = p.original_scope
        data["original_kind"] = p.original_kind
        data["original_body"] = p.original_body
        rows.append((p.id, cid, seq, pack(orjson.dumps(data, default=str))))
        summary = [p.id, seq] + [data.get(f) or None for f in SUMMARY_FIELDS]  # null, not [], for no labels
        summaries.append((cid, seq, p.id, orjson.dumps(summary, default=str).decode()[1:-1]))
    db.conn.executemany("INSERT INTO proposals(id, candidate_id, seq, data) VALUES (?,?,?,?)", rows)
    db.conn.executemany("INSERT INTO proposal_summaries(candidate_id, seq, id, summary) VALUES (?,?,?,?)", summaries)


def _row_to_candidate(row: dict[str, Any], status: str) -> Candidate:
    return Candidate(
        id=row["id"],
        base_op=row["base_op"],
        created_at=row["created_at"],
        engine=row["engine"],
        status=status,
        sessions_read=row["sessions_read"],
        events_read=row["events_read"],
        stats=orjson.loads(row["stats"] or "{}"),
        source=row.get("source") or "dream",
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
    out: list[Candidate] = []
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        out.extend(
            _row_to_candidate(row, statuses[row["id"]])
            for row in db.query(f"SELECT * FROM candidates WHERE id IN ({marks})", chunk)
        )
    out.sort(key=lambda c: (c.created_at, c.id))
    return out


def candidate_of(row: dict[str, Any], status: str) -> Candidate:
    return _row_to_candidate(row, status)


def load_proposal_rows(db: sqlite_utils.Database, cid: str) -> list[Proposal]:
    out = []
    for row in db.query("SELECT data FROM proposals WHERE candidate_id = ? ORDER BY seq", [cid]):
        out.append(_from_row(row["data"], cid))
    return out


# SQLite joins a candidate's summaries into one flat JSON array: one step that
# releases the GIL instead of 10,000 row fetches a busy UI thread would delay,
# and no per-row list objects to build.
_SUMMARY_SQL = (
    "SELECT count(*), '[' || group_concat(summary, ',') || ']' FROM proposal_summaries WHERE candidate_id = ?"
)
_STRIDE = 2 + len(SUMMARY_FIELDS)


class _Summary(Proposal):
    """A Proposal whose text fields are left unset until first read.

    Why: 10,000 full dataclass instances (six fresh lists and dicts each) cost
    the console's start-up several times more than the queue's few fields;
    the rest are created, empty, on first access.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:  # only called for a slot not yet set
        make = _LAZY.get(name)
        if make is None:
            raise AttributeError(name)
        value = make()
        object.__setattr__(self, name, value)
        return value


_ALWAYS_SET = {
    "id",
    "action",
    "kind",
    "scope",
    "title",
    "name",
    "target",
    "confidence",
    "status",
    "candidate_id",
    "original_kind",
    "original_scope",
}
_LAZY: dict[str, Any] = {}
for _f in fields(Proposal):
    if _f.name in _ALWAYS_SET:
        continue
    if _f.default_factory is not MISSING:
        _LAZY[_f.name] = _f.default_factory
    elif _f.default is not MISSING:
        _LAZY[_f.name] = lambda d=_f.default: d
    else:  # body, the one required field a summary leaves out
        _LAZY[_f.name] = str


def load_proposal_summaries(db: sqlite_utils.Database, cid: str) -> list[Proposal]:
    """The proposals of a candidate without their text (body, diff, evidence are empty).

    Why: a queue of 10,000 proposals needs only titles and badges: read from
    `proposal_summaries` (schema m002), never the rows' whole JSON.
    Fetch the full proposal with `find_proposal_row` when one is shown.
    """
    conn = db.conn
    count, packed = conn.execute(_SUMMARY_SQL, [cid]).fetchone()
    total = conn.execute("SELECT count(*) FROM proposals WHERE candidate_id = ?", [cid]).fetchone()[0]
    if count != total:  # rows written by a version without the summaries table: read the rows themselves
        flat: list[Any] = []
        for seq, raw in conn.execute("SELECT seq, data FROM proposals WHERE candidate_id = ? ORDER BY seq", [cid]):
            data = orjson.loads(unpack(raw))
            flat += [data.get("id"), seq, *(data.get(f) or None for f in SUMMARY_FIELDS)]
        return _summaries(flat, cid)
    paused = gc.isenabled()
    gc.disable()  # every object made here survives: a collection mid-way (a full one takes 30+ ms) frees nothing
    try:
        return _summaries(orjson.loads(packed) if packed else [], cid)
    finally:
        if paused:
            gc.enable()


def _summaries(flat: list[Any], cid: str) -> list[Proposal]:
    items = iter(flat)
    new = object.__new__
    out: list[Proposal] = []
    append = out.append
    seqs: list[int] = []
    for pid, seq, action, kind, scope, title, name, target, confidence, status, labels in zip(
        *[items] * _STRIDE, strict=False
    ):
        seqs.append(seq)
        p = new(_Summary)
        p.id = pid
        p.action = action or "add"
        p.kind = p.original_kind = kind or "memory"
        p.scope = p.original_scope = scope or "project"
        p.title = title or ""
        p.name = name or ""
        p.target = target or ""
        p.confidence = float(confidence or 0.0)
        p.status = status or "pending"
        if labels:
            p.labels = [Label.from_dict(l) for l in labels]
        p.candidate_id = cid
        append(p)
    if any(seqs[i] > seqs[i + 1] for i in range(len(seqs) - 1)):  # the primary key orders them; never rely on it
        order = sorted(range(len(out)), key=seqs.__getitem__)
        out = [out[i] for i in order]
    return out


PROPOSAL_ROWS = Packer(
    b"z1",
    b'"meta":{},"original_scope":"","original_kind":"","original_body":"","candidate_store":"c-",'
    b'"evidence":[{"session_id":"","event_uuid":"","timestamp":"","trust":"user","quote":"","agent":"claude"}],'
    b'"labels":[{"label":"","severity":"warn","reason":""}],"rationale":"","status":"pending","confidence":0.5,'
    b'"replaces":["a-"],"after":"<!-- reverie:begin -->\n- ","before":"<!-- reverie:begin -->\n- ",'
    b'"target":"","body":"","name":"","title":"","paths":[],"scope":"team","kind":"instinct",'
    b'{"id":"p-","action":"update",',
)
"""Proposal rows (prefix ``z1``; rows written before packing are plain JSON text): the keys every
row repeats are the preset dictionary, so a small row stays small. Never change the dictionary:
rows packed with it must stay readable (a new one gets a new prefix)."""


def pack(data: bytes) -> bytes:
    """A proposal row's JSON, deflated with the shared dictionary (before and after share most text)."""
    return PROPOSAL_ROWS.pack(data)


def unpack(raw: str | bytes) -> bytes | str:
    """The JSON of a stored proposal row (packed, or plain text from before packing)."""
    if isinstance(raw, bytes) and PROPOSAL_ROWS.packed(raw):
        return PROPOSAL_ROWS.unpack(raw)
    return raw


def _from_row(raw: str | bytes, cid: str) -> Proposal:
    data = orjson.loads(unpack(raw))
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
    if "edits" in review:
        q.edits = [LineEdit.from_dict(e) for e in review["edits"]]
    if "labels" in review:  # recomputed by the critics when a person changed what the proposal says
        q.labels = [Label.from_dict(l) for l in review["labels"]]
    if "meta" in review:
        q.meta = dict(review["meta"])
    q.reject_reason = review.get("reason", "")
    q.cleared_labels = list(review.get("cleared") or [])
    prev = review.get("preview")
    if prev:
        q.target, q.before, q.after = prev["target"], prev["before"], prev["after"]
    return q
