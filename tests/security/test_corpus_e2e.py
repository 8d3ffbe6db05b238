"""The attack corpus end to end: no planted secret survives anywhere Reverie writes, shows or stores.

Every credential of `tests.security.corpus` (≥ 100 of ≥ 30 kinds) is planted in
transcripts of all three agents — Claude Code JSON lines, Codex rollouts, Gemini
CLI chats — in prompts, tool inputs, tool outputs (long ones too, so they are
clipped), assistant text, titles and a transcript's file name; the issue's
`mysql -p…` → `mariadb -p…` error-and-fix is repeated so the dream turns it into
an instinct. Then, as a person would: dream, list, show, approve everything
(clearing blocks), apply, ingest again, watch, and open the console and walk the
queue. Checked afterwards: the database file, its WAL and shared memory, every
blob inflated, every `--json` document and line on stdout/stderr, every frame
the console drew, and every file under the workspace and the home directory.
Realistic non-secrets planted beside them must reach the index unchanged.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import sqlite3
import zlib
from pathlib import Path

import pytest
import sqlite_utils

from reverie.store.blobs import Blobs
from reverie.store.candidates import unpack
from reverie.store.errors import StoreCorruptError
from reverie.store.oplog import RECORDS
from tests.e2e.conftest import Cli
from tests.ingest.fixtures import Claude, codex_call, codex_envelope, codex_user_turn, gemini_doc, write_jsonl
from tests.security.corpus import KINDS, NON_SECRETS, SECRETS, Secret

FILE_TOKEN = "ghp_" + "Fn4mE7t0k3nR8w2Qz5Lp1Xc9Vb6Nm3Kj0Hg4"
MYSQL_PASSWORD = "Qz8!mariaRoot7"


def _fragments(value: str, n: int = 12) -> list[str]:
    return [value] if len(value) <= n else [value[i : i + n] for i in range(0, len(value) - n + 1, 4)]


def _plant(root: Path, workspace: Path) -> None:
    cwd = str(workspace)
    claude, codex, gemini = SECRETS[0::3], SECRETS[1::3], SECRETS[2::3]
    # Claude Code: one session per secret group, every field, plus a clipped tool output
    for n, group in enumerate([claude[i : i + 6] for i in range(0, len(claude), 6)]):
        c = Claude(cwd=cwd)
        records: list[dict] = []
        for s in group:
            call, tid = c.tool_use("Bash", {"command": s.text, "description": f"run it: {s.text}"})
            long_output = "log line\n" * 900 + s.text + "\n" + "tail line\n" * 900
            records += [c.user(f"here: {s.text}"), call, c.tool_result(tid, long_output), c.text(f"noted {s.text}")]
        records.append({"type": "summary", "summary": f"session title {group[0].text}", "leafUuid": "x"})
        name = f"{FILE_TOKEN}-{n}.jsonl" if n == 0 else f"{c.session_id}.jsonl"
        write_jsonl(root / "claude" / name, records)
    # Codex rollouts
    for n, group in enumerate([codex[i : i + 6] for i in range(0, len(codex), 6)]):
        sid = f"019c8a70-dda7-7f33-98ea-f3055334{n:04d}"
        items = []
        for s in group:
            items += codex_user_turn(f"please {s.text}")
            items += codex_call("exec_command", {"cmd": s.text}, f"Exit code: 1\n{s.text}")
        write_jsonl(root / "codex" / f"rollout-2026-02-23T12-19-38-{sid}.jsonl", codex_envelope(sid, cwd, items))
    # Gemini CLI chats
    for n, group in enumerate([gemini[i : i + 6] for i in range(0, len(gemini), 6)]):
        messages = []
        for k, s in enumerate(group):
            messages.append({"id": f"u{k}", "type": "user", "content": f"gemini: {s.text}"})
            messages.append(
                {
                    "id": f"g{k}",
                    "type": "gemini",
                    "content": f"ran {s.text}",
                    "toolCalls": [
                        {
                            "id": f"t{k}",
                            "name": "run_shell_command",
                            "args": {"command": s.text},
                            "status": "success",
                            "result": [{"functionResponse": {"response": {"output": s.text}}}],
                        }
                    ],
                }
            )
        path = root / "gemini" / f"session-{n}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(gemini_doc(f"gem-{n}", messages)))
    # lessons the dream will propose (so critics, approval and apply run on its output), secrets beside them
    lessons = [
        ("npm install left-pad", f"stop using npm, this project is on yarn (token was {SECRETS[0].value})"),
        ("npm run build", "yarn please, not npm"),
        ("npm i zod", "I told you: yarn, never npm."),
    ]
    for command, correction in lessons:
        c = Claude(cwd=cwd)
        call, tid = c.tool_use("Bash", {"command": command})
        write_jsonl(
            root / "claude" / f"{c.session_id}.jsonl",
            [c.user("add the package"), call, c.tool_result(tid, "ok"), c.user(correction), c.text("ok, yarn")],
        )
    # the error-and-fix: mysql -p… fails, mariadb -p… works, in two sessions
    for _ in range(2):
        c = Claude(cwd=cwd)
        fail, t1 = c.tool_use("Bash", {"command": f"mysql -u root -p{MYSQL_PASSWORD} shop -e 'select 1'"})
        fix, t2 = c.tool_use("Bash", {"command": f"mariadb -u root -p{MYSQL_PASSWORD} shop -e 'select 1'"})
        write_jsonl(
            root / "claude" / f"{c.session_id}.jsonl",
            [
                c.user("check the shop database"),
                fail,
                c.tool_result(t1, "ERROR 2002 (HY000): Can't connect to local MySQL server", is_error=True),
                c.user(f"no, mysql is gone here: use mariadb -u root -p{MYSQL_PASSWORD} instead, always"),
                fix,
                c.tool_result(t2, "1\n1"),
            ],
        )
    c = Claude(cwd=cwd)
    write_jsonl(root / "claude" / f"{c.session_id}.jsonl", [c.user(t) for t in NON_SECRETS])


def _inflated(value: bytes) -> bytes:
    """A BLOB column as the text it stores: zlib, a packed row (operation record, proposal), or raw.

    A column of hashes holds random bytes, which may start like a packed row (1 in 256 per
    prefix): what does not inflate is kept raw (the raw database bytes are searched too).
    """
    try:
        return zlib.decompress(value)
    except zlib.error:
        pass
    try:
        if RECORDS.packed(value):
            return RECORDS.unpack(value)
        out = unpack(value)
    except (zlib.error, StoreCorruptError):
        return value
    return out if isinstance(out, bytes) else out.encode()


def _db_bytes(workspace: Path) -> tuple[bytes, str]:
    """The raw database files, and the text of every blob inflated and every BLOB column."""
    state = workspace / ".reverie"
    raw = b"".join(p.read_bytes() for p in state.iterdir() if p.name.startswith("reverie.db"))
    db = sqlite_utils.Database(sqlite3.connect(state / "reverie.db"))
    blobs = Blobs(db)
    texts = [
        blobs.get(h.hex() if isinstance(h, bytes) else h).decode("utf-8", "replace")  # deltas resolved: whole versions
        for (h,) in db.execute("SELECT hash FROM blobs").fetchall()
    ]
    for table in db.table_names():
        for row in db.execute(f"SELECT * FROM [{table}]").fetchall():
            for value in row:
                if isinstance(value, bytes):
                    texts.append(_inflated(value).decode("utf-8", "replace"))
                elif isinstance(value, str):
                    texts.append(value)
    db.conn.close()
    return raw, "\n".join(texts)


def _console_frames(workspace: Path, count: int) -> str:
    """Every frame the console draws while a person walks the whole queue and opens each proposal."""
    from reverie.console.app import ReverieApp
    from reverie.store.core import Store

    store = Store.open(workspace)
    app = ReverieApp(store, lambda: Store.open(workspace), watch=False)
    frames: list[str] = []

    async def walk() -> None:
        async with app.run_test(size=(160, 60)) as pilot:
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            for _ in range(count + 1):
                frames.append(app.export_screenshot())
                await pilot.press("j")
                await pilot.pause()
            await pilot.press("h")  # the history screen
            await pilot.pause()
            frames.append(app.export_screenshot())

    asyncio.run(walk())
    store.close()
    text = html.unescape(re.sub(r"<[^>]+>", "", "\n".join(frames)))
    return text.replace("\xa0", " ")


def _files(*roots: Path) -> dict[str, bytes]:
    return {
        str(p): p.read_bytes() for root in roots for p in root.rglob("*") if p.is_file() and ".reverie" not in p.parts
    }


def test_no_planted_secret_appears_in_any_output(
    cli: Cli, tmp_path: Path, workspace: Path, temp_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "transcripts"
    _plant(root, workspace)
    outputs: list[str] = []

    def run(*args: object) -> dict:
        res = cli.ok(*args)
        outputs.append(res.out + res.err)
        return res.json() if "--json" in args else {}

    run("init")
    dream = run("dream", "--json", "--transcripts", root, "--no-progress")
    dreamed = run("proposals", "--json")["proposals"]
    assert dream["sessions_read"] >= 20 and any("yarn" in p["body"] for p in dreamed), [p["body"] for p in dreamed]
    run("approve", *[p["id"] for p in dreamed], "--clear-block")
    applied = run("apply", "--yes", "--json")
    # the instinct, as a script or a person would hand it in: every field carries a secret
    hostile = [
        {
            "kind": "instinct",
            "title": f"mariadb {s.text}",
            "body": f"When `mysql` fails, run `mariadb -u root -p{MYSQL_PASSWORD} shop` instead. {s.text}",
            "rationale": s.text,
            "paths": [],
            "meta": {"note": s.text},
            "evidence": [{"session_id": "s1", "event_uuid": "e1", "quote": s.text}],
        }
        for s in SECRETS[:: max(len(SECRETS) // 12, 1)]
    ]
    (tmp_path / "hostile.json").write_text(json.dumps({"proposals": hostile}))
    run("propose", "--file", tmp_path / "hostile.json")
    props = run("proposals", "--json")["proposals"]
    assert all(("secret_exposure", "block") in {(l["label"], l["severity"]) for l in p["labels"]} for p in props)
    for p in props:
        run("show", p["id"], "--json")
        run("show", p["id"])
    run("approve", *[p["id"] for p in props], "--clear-block")
    applied2 = run("apply", "--yes", "--json")
    assert applied["applied"] and applied2["applied"]
    assert "mariadb -u root -p[REDACTED:" in (workspace / "CLAUDE.local.md").read_text()
    run("status", "--json")
    run("log", "--json")
    run("ingest", "--json", "--transcripts", root)
    run("watch", "--once", "--transcripts", root)
    frames = _console_frames(workspace, len(props) + len(dreamed))
    raw, inflated = _db_bytes(workspace)
    files = _files(workspace, temp_home)
    written = "\n".join(b.decode("utf-8", "replace") for b in files.values())

    surfaces = {
        "database (db, wal, shm)": raw.decode("latin-1"),
        "inflated blobs and columns": inflated,
        "stdout/stderr of every command": "\n".join(outputs),
        "console frames": frames,
        "files written": written,
    }
    planted = [*SECRETS, Secret("file-name-token", FILE_TOKEN, FILE_TOKEN), Secret("mysql-p", "", MYSQL_PASSWORD)]
    leaks = [
        (s.kind, where)
        for s in planted
        for where, text in surfaces.items()
        if any(f in text for f in _fragments(s.value))
    ]
    survived = [t for t in NON_SECRETS if t not in inflated]
    with capsys.disabled():
        print(
            f"\ncorpus end to end: {len(planted)} planted secrets of {len(KINDS) + 2} kinds in Claude Code, Codex "
            f"and Gemini CLI transcripts and a proposals file; {len(dreamed) + len(props)} proposals applied to "
            f"{len(applied['files']) + len(applied2['files'])} files; "
            f"{sum(len(t) for t in surfaces.values()) / 1e6:.1f} MB of output checked over {len(surfaces)} surfaces; "
            f"secrets found: {len(leaks)}; non-secrets altered: {len(survived)}/{len(NON_SECRETS)}"
        )
    assert leaks == [], leaks
    assert survived == []
