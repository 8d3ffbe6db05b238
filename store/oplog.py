"""The append-only operation log: ids, the head ref, undo/redo navigation.

Why jj-style: undo, redo and restore are new operations whose view equals an
earlier one, so nothing is ever rewritten and every state stays reachable.
Each row also stores `undo_next` (the op an undo would revert) and
`redo_stack` (ops undone and not yet redone), so navigation is O(1).
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlite_utils

from reverie.store.clock import SYSTEM_CLOCK, SYSTEM_IDS, Clock, Ids, iso
from reverie.store.errors import NotFoundError, StoreCorruptError, UsageError
from reverie.store.models import ACTORS, Actor, Operation, member


def _row_to_op(row: dict[str, Any]) -> Operation:
    return Operation(
        id=row["id"],
        parent=row["parent"],
        created_at=row["created_at"],
        actor=member(row["actor"], ACTORS, "actor"),
        kind=row["kind"],
        description=row["description"],
        view_hash=row["view_hash"],
        data=orjson.loads(row["data"] or "{}"),
    )


UNDOES_ITSELF = "self"
"""`undo_next` of an ordinary operation: an undo right after it reverts it."""


class OpLog:
    def __init__(self, db: sqlite_utils.Database, clock: Clock = SYSTEM_CLOCK, ids: Ids = SYSTEM_IDS) -> None:
        self.db = db
        self.clock = clock
        self.ids = ids

    def _row(self, op_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM operations WHERE id = ?", [op_id]))
        return rows[0] if rows else None

    def head_id(self) -> str | None:
        row = self.db.execute("SELECT op_id FROM refs WHERE name = 'head'").fetchone()
        return row[0] if row else None

    def head(self) -> Operation:
        hid = self.head_id()
        if hid is None:
            raise StoreCorruptError("the store has no head operation: run `reverie init`")
        return self.get(hid)

    def get(self, op_id: str) -> Operation:
        row = self._row(op_id)
        if row is None:
            raise NotFoundError(f"no operation {op_id}")
        return _row_to_op(row)

    def nav(self, op_id: str) -> tuple[str | None, list[str]]:
        row = self._row(op_id)
        if row is None:
            raise NotFoundError(f"no operation {op_id}")
        return row["undo_next"], orjson.loads(row["redo_stack"] or "[]")

    def pruned_ids(self) -> set[str]:
        return {str(r[0]) for r in self.db.execute("SELECT id FROM operations WHERE pruned = 1").fetchall()}

    def is_pruned(self, op_id: str) -> bool:
        row = self._row(op_id)
        return bool(row and row["pruned"])

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
        if self._row(full):
            return self.get(full)
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
        sql = "SELECT * FROM operations ORDER BY seq DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_row_to_op(r) for r in self.db.query(sql)]

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM operations").fetchone()[0])

    def append(
        self,
        *,
        kind: str,
        actor: Actor,
        description: str,
        view_hash: str,
        data: dict[str, Any] | None = None,
        undo_next: str | None = UNDOES_ITSELF,
        redo_stack: list[str] | None = None,
    ) -> Operation:
        """Insert an op after head and move head (caller holds the transaction).

        undo_next=UNDOES_ITSELF (the default for ordinary operations) means an
        undo reverts this op; ordinary operations clear the redo stack.
        """
        parent = self.head_id()
        op_id = self.ids.new_id("op-")
        seq = (self.db.execute("SELECT coalesce(max(seq), 0) FROM operations").fetchone()[0]) + 1
        created = iso(self.clock.now())
        self.db.execute(
            "INSERT INTO operations(id, seq, parent, created_at, actor, kind, description, view_hash, data,"
            " undo_next, redo_stack) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [
                op_id,
                seq,
                parent,
                created,
                actor,
                kind,
                description,
                view_hash,
                orjson.dumps(data or {}, option=orjson.OPT_NON_STR_KEYS).decode(),
                op_id if undo_next == UNDOES_ITSELF else undo_next,
                orjson.dumps(redo_stack or []).decode(),
            ],
        )
        self.db.execute("INSERT OR REPLACE INTO refs(name, op_id) VALUES ('head', ?)", [op_id])
        return Operation(op_id, parent, created, actor, kind, description, view_hash, dict(data or {}))
