"""The append-only operation log: ids, the head ref, undo/redo navigation.

Why jj-style: undo, redo and restore are new operations whose view equals an
earlier one, so nothing is ever rewritten and every state stays reachable.
Each operation also records `undo_next` (the op an undo would revert) and
`redo_stack` (ops undone and not yet redone), so navigation is O(1).

A row (schema m005) is `operations(seq, id, created_us, parent, view_base,
record, pruned)`: the time as microseconds, `parent` NULL when it is the
operation before (always, so far), `view_base` the operation its view is a
diff against (store.viewlog; NULL: a checkpoint), and `record` everything
else — the view's diff or checkpoint, actor, kind, description, data, undo
and redo — as one JSON array deflated with a preset dictionary
(store.packing), so a small operation costs a small row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import sqlite_utils

from reverie.store.blobs import canonical_json, sha256
from reverie.store.clock import SYSTEM_CLOCK, SYSTEM_IDS, Clock, Ids, from_micros, iso, micros
from reverie.store.errors import NotFoundError, StoreCorruptError, UsageError
from reverie.store.models import ACTORS, Actor, Operation, member
from reverie.store.packing import Packer

UNDOES_ITSELF = "self"
"""`undo_next` of an ordinary operation: an undo right after it reverts it."""

RECORDS = Packer(
    b"\x01",
    b'"created_at","forced":false,"conflicts":[],"snapshots":{},"skipped":[],"adopted":[],"kept_observed":[],'
    b'"restored":"op-","redone":"op-","undone":"op-","reason":"","scope":"","kind":"","body_hash":"",'
    b'"details":{},"engine":"heuristic","clear_blocks":false,"candidate":"c-","files":{"CLAUDE.md":"write"},'
    b'"proposals":["p-"],"status":"approved","by":"person"},{"d":{"artifacts":{"a-":""},'
    b'"candidates":{"c-":"open"},"files":{"CLAUDE.md":{"created":false,"hash":""}},"reviews":{"p-":{"by":"person",'
    b'"status":"applied"}}},"top":"","id":""},"import","watcher","observe","restore","redo","undo","discard",'
    b'"reject","edit","rescope","rekind","keep","revert","init","create store",'
    b'"import 0 artifact(s) from 1 file(s)","undo apply: apply 1 proposal(s) from c-",'
    b'[{"d":{"reviews":{"p-":{"by":"person","status":"approved"}}}},"person","approve","approve p-",'
    b'{"clear_blocks":false,"proposals":["p-"]},"",[]]'
    b'[{"d":{"candidates":{"c-":"open"}}},"dream","dream","heuristic: 1 proposal(s) in c-",'
    b'{"candidate":"c-","proposals":["p-"],"engine":"heuristic"},"",[]]'
    b'[{"d":{"artifacts":{"a-":""},"candidates":{"c-":"applied"},"files":{"CLAUDE.md":{"created":false,"hash":""}},'
    b'"reviews":{"p-":{"by":"person","status":"applied"}}}},"person","apply","apply 1 proposal(s) from c-",'
    b'{"candidate":"c-","proposals":["p-"],"conflicts":[],"forced":false,"files":{"CLAUDE.md":"write"},'
    b'"snapshots":{"CLAUDE.md":"',
)
"""Operation records (prefix 0x01). Never change this dictionary: rows packed with it must stay readable."""


def child_id(base_id: str, d: dict[str, Any]) -> tuple[str, int]:
    """The id of the view a diff `d` makes of the view `base_id`, and the diff's weight (bytes).

    Like a commit id (store.viewlog): sha256(base id, canonical diff); an empty diff keeps its base's id.
    """
    if not d:
        return base_id, 0
    raw = canonical_json(d)
    return sha256(base_id.encode() + b"\n" + raw), len(raw)


@dataclass(frozen=True)
class ViewRecord:
    """How an operation's view is stored (see store.viewlog): `base` None and payload
    ``{"top": tree hash, "id"?: view id}`` for a checkpoint, else the operation `base` whose view
    payload ``{"d": diff}`` changes."""

    base: int | None
    payload: dict[str, Any]


def pack_record(
    view: dict[str, Any],
    actor: str,
    kind: str,
    description: str,
    data: dict[str, Any],
    undo_next: str | None,
    redo_stack: list[str],
) -> bytes:
    """An operation's record as stored (`undo_next`: "" for the operation itself)."""
    row = [view, actor, kind, description, data, undo_next, redo_stack]
    return RECORDS.pack(orjson.dumps(row, option=orjson.OPT_NON_STR_KEYS))


def _unpack(raw: bytes) -> list[Any]:
    try:
        row = orjson.loads(RECORDS.unpack(bytes(raw)))
    except orjson.JSONDecodeError as err:
        raise StoreCorruptError(f"an operation record is damaged: {err}") from None
    if not isinstance(row, list) or len(row) != 7:
        raise StoreCorruptError("an operation record is damaged: not the seven fields of an operation")
    return row


_SELECT = (
    "SELECT o.seq, o.id, o.created_us, coalesce(o.parent,"
    " (SELECT p.id FROM operations p WHERE p.seq < o.seq ORDER BY p.seq DESC LIMIT 1)), o.view_base, o.record"
    " FROM operations o"
)


class OpLog:
    def __init__(self, db: sqlite_utils.Database, clock: Clock = SYSTEM_CLOCK, ids: Ids = SYSTEM_IDS) -> None:
        self.db = db
        self.clock = clock
        self.ids = ids
        self._vids: dict[int, str] = {}

    def forget(self) -> None:
        """Drop what was read (a rolled-back transaction may have read its own rows)."""
        self._vids.clear()

    # --- rows ------------------------------------------------------------------------------

    def _rows(self, where: str, args: list[Any]) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.db.execute(f"{_SELECT} {where}", args).fetchall()]

    def _ops(self, rows: list[tuple[Any, ...]]) -> list[Operation]:
        records = {int(r[0]): (r[4], _unpack(r[5])) for r in rows}
        views = {seq: ViewRecord(base, record[0]) for seq, (base, record) in records.items()}
        ops = []
        for seq, op_id, created, parent, _base, _raw in rows:
            actor, kind, description, data = records[int(seq)][1][1:5]
            ops.append(
                Operation(
                    id=op_id,
                    parent=parent or None,
                    created_at=from_micros(created) if isinstance(created, int) else str(created),
                    actor=member(actor, ACTORS, "actor"),
                    kind=kind,
                    description=description,
                    view_hash=self._view_id(int(seq), views),
                    data=data if isinstance(data, dict) else {},
                    seq=int(seq),
                )
            )
        return ops

    def _one(self, op_id: str) -> Operation | None:
        ops = self._ops(self._rows("WHERE o.id = ?", [op_id]))
        return ops[0] if ops else None

    def seq_of(self, op_id: str) -> int:
        row = self.db.execute("SELECT seq FROM operations WHERE id = ?", [op_id]).fetchone()
        if row is None:
            raise NotFoundError(f"no operation {op_id}")
        return int(row[0])

    def view_record(self, seq: int) -> ViewRecord:
        """How operation `seq`'s view is stored."""
        row = self.db.execute("SELECT view_base, record FROM operations WHERE seq = ?", [seq]).fetchone()
        if row is None:
            raise StoreCorruptError(f"operation #{seq} is missing from the log")
        return ViewRecord(row[0], _unpack(row[1])[0])

    def _view_id(self, seq: int, known: dict[int, ViewRecord]) -> str:
        """The id of operation `seq`'s view (see store.viewlog): follows diffs back to a known id."""
        chain: list[dict[str, Any]] = []
        at = seq
        while at not in self._vids:
            rec = known.get(at) or self.view_record(at)
            if rec.base is None:
                self._vids[at] = str(rec.payload.get("id") or rec.payload["top"])
                break
            if rec.base >= at:
                raise StoreCorruptError(f"operation #{at}'s view is a diff against #{rec.base}: the chain is broken")
            chain.append(rec.payload["d"])
            at = rec.base
        vid = self._vids[at]
        for d in reversed(chain):  # the ids in between are not kept: a chain is walked once per read
            vid = child_id(vid, d)[0]
        self._vids[seq] = vid
        return vid

    # --- reading ---------------------------------------------------------------------------

    def head_id(self) -> str | None:
        row = self.db.execute("SELECT op_id FROM refs WHERE name = 'head'").fetchone()
        return row[0] if row else None

    def head(self) -> Operation:
        hid = self.head_id()
        if hid is None:
            raise StoreCorruptError("the store has no head operation: run `reverie init`")
        return self.get(hid)

    def get(self, op_id: str) -> Operation:
        op = self._one(op_id)
        if op is None:
            raise NotFoundError(f"no operation {op_id}")
        return op

    def nav(self, op_id: str) -> tuple[str | None, list[str]]:
        row = self.db.execute("SELECT record FROM operations WHERE id = ?", [op_id]).fetchone()
        if row is None:
            raise NotFoundError(f"no operation {op_id}")
        undo_next, redo = _unpack(row[0])[5:]
        return (op_id if undo_next == "" else undo_next), list(redo or [])

    def pruned_ids(self) -> set[str]:
        return {str(r[0]) for r in self.db.execute("SELECT id FROM operations WHERE pruned = 1").fetchall()}

    def is_pruned(self, op_id: str) -> bool:
        row = self.db.execute("SELECT pruned FROM operations WHERE id = ?", [op_id]).fetchone()
        return bool(row and row[0])

    def resolve(self, ref: str) -> Operation:
        """Full id, unique prefix (with or without ``op-``), ``@`` head, ``@-`` parent…"""
        ref = (ref or "").strip()
        if not ref:
            raise UsageError("empty operation reference")
        if ref.startswith("@"):
            op = self.head()
            for ch in ref[1:]:
                if ch != "-":
                    raise UsageError(f"bad operation reference {ref!r}: use @, @-, @--")
                if op.parent is None:
                    raise NotFoundError(f"operation {ref} does not exist (the log is shorter)")
                op = self.get(op.parent)
            return op
        if ref.isdigit() and not ref.startswith("0"):
            row = self.db.execute("SELECT id FROM operations WHERE seq = ?", [int(ref)]).fetchone()
            if row:
                return self.get(row[0])
        full = ref if ref.startswith("op-") else "op-" + ref
        found = self._one(full)
        if found is not None:
            return found
        ids = [
            r[0]
            for r in self.db.execute(
                "SELECT id FROM operations WHERE id LIKE ? ESCAPE '\\' LIMIT 3",
                [full.replace("_", "\\_").replace("%", "\\%") + "%"],
            ).fetchall()
        ]
        if not ids and len(ref) >= 4:  # unique substring (ids share their time prefix)
            ids = [
                r[0]
                for r in self.db.execute("SELECT id FROM operations WHERE instr(id, ?) > 0 LIMIT 3", [ref]).fetchall()
            ]
        if len(ids) == 1:
            return self.get(ids[0])
        if not ids:
            raise NotFoundError(f"no operation matches {ref!r}")
        raise UsageError(f"operation reference {ref!r} is ambiguous: {', '.join(ids[:2])}, …")

    def log(self, limit: int | None = None) -> list[Operation]:
        where = "ORDER BY o.seq DESC"
        if limit is not None:
            where += f" LIMIT {int(limit)}"
        rows = self._rows(where, [])
        return list(reversed(self._ops(list(reversed(rows)))))  # ids computed oldest first: each chain walked once

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM operations").fetchone()[0])

    def live_seqs(self) -> list[int]:
        """Sequence numbers of the operations gc has not pruned, oldest first."""
        return [int(r[0]) for r in self.db.execute("SELECT seq FROM operations WHERE pruned = 0 ORDER BY seq")]

    def prune_before(self, cutoff: str, keep: str | None) -> int:
        """Mark operations created before `cutoff` (an `iso` time) pruned, never `keep`; how many."""
        us = micros(cutoff)
        if us is None:
            raise UsageError(f"bad time {cutoff!r}")
        cur = self.db.execute(
            "UPDATE operations SET pruned = 1 WHERE pruned = 0 AND created_us < ? AND id IS NOT ?", [us, keep]
        )
        return int(cur.rowcount)

    def snapshot_refs(self) -> set[str]:
        """Blobs the live operations' data names: each file's bytes before a write (`snapshots`)."""
        refs: set[str] = set()
        for (raw,) in self.db.execute("SELECT record FROM operations WHERE pruned = 0"):
            data = _unpack(raw)[4]
            snaps = data.get("snapshots") if isinstance(data, dict) else None
            refs.update(str(h) for h in (snaps or {}).values() if h)
        return refs

    # --- writing ---------------------------------------------------------------------------

    def append(
        self,
        *,
        kind: str,
        actor: Actor,
        description: str,
        view: ViewRecord,
        view_id: str,
        data: dict[str, Any] | None = None,
        undo_next: str | None = UNDOES_ITSELF,
        redo_stack: list[str] | None = None,
    ) -> Operation:
        """Insert an op after head and move head (caller holds the transaction).

        undo_next=UNDOES_ITSELF (the default for ordinary operations) means an
        undo reverts this op; ordinary operations clear the redo stack.
        """
        parent = self.head_id()
        last = self.db.execute("SELECT seq, id FROM operations ORDER BY seq DESC LIMIT 1").fetchone()
        seq = int(last[0]) + 1 if last else 1
        op_id = self.ids.new_id("op-")
        created = iso(self.clock.now())
        us = micros(created)
        record = pack_record(
            view.payload,
            actor,
            kind,
            description,
            data or {},
            "" if undo_next == UNDOES_ITSELF else undo_next,
            list(redo_stack or []),
        )
        self.db.execute(
            "INSERT INTO operations(seq, id, created_us, parent, view_base, record) VALUES (?,?,?,?,?,?)",
            [
                seq,
                op_id,
                us if us is not None else created,
                None if parent == (last[1] if last else None) else (parent or ""),
                view.base,
                record,
            ],
        )
        self.db.execute("INSERT OR REPLACE INTO refs(name, op_id) VALUES ('head', ?)", [op_id])
        return Operation(op_id, parent, created, actor, kind, description, view_id, dict(data or {}), seq)
