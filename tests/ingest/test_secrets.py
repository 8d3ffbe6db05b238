"""Planted secrets of every format never reach the database file or any CLI output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from reverie.console.cli import main
from tests.ingest.fixtures import (
    SECRET_VALUES,
    Claude,
    all_secrets_text,
    codex_call,
    codex_envelope,
    codex_user_turn,
    gemini_doc,
    write_jsonl,
)


def _plant(root: Path, workspace: Path) -> None:
    text = all_secrets_text()
    c = Claude(cwd=str(workspace))
    call, tid = c.tool_use("Bash", {"command": f"echo {text}", "env": {"TOKENS": [text]}})
    write_jsonl(
        root / "claude" / f"{c.session_id}.jsonl",
        [
            c.user(f"use these: {text}"),
            call,
            c.tool_result(tid, f"output {text}", tool_use_result={"stdout": text}),
            c.text(f"I saw {text}"),
            {"type": "summary", "summary": f"title {text}", "leafUuid": "x"},
        ],
    )
    sub = Claude(c.session_id, sidechain=True)
    write_jsonl(
        root / "claude" / c.session_id / "subagents" / "agent-s1.jsonl",
        [sub.user(f"subagent prompt {text}"), sub.text(f"subagent says {text}")],
    )
    sid = "019c8a70-dda7-7f33-98ea-f30553347399"
    write_jsonl(
        root / "codex" / f"rollout-2026-02-23T12-19-38-{sid}.jsonl",
        codex_envelope(
            sid,
            str(workspace),
            [
                *codex_user_turn(f"codex prompt {text}"),
                *codex_call("exec_command", {"cmd": f"deploy {text}"}, f"Exit code: 1\n{text}"),
                ("compacted", {"message": f"summary {text}"}),
            ],
        ),
    )
    gem = root / "gemini" / "session-1.json"
    gem.parent.mkdir(parents=True)
    gem.write_text(
        json.dumps(
            gemini_doc(
                "gem-secret",
                [
                    {"id": "1", "type": "user", "content": f"gemini prompt {text}"},
                    {
                        "id": "2",
                        "type": "gemini",
                        "content": f"answer {text}",
                        "toolCalls": [
                            {
                                "id": "t",
                                "name": "run_shell_command",
                                "args": {"command": text},
                                "status": "success",
                                "result": [{"functionResponse": {"response": {"output": text}}}],
                            }
                        ],
                    },
                ],
            )
        )
    )


def _assert_clean(blob: bytes, where: str) -> None:
    for name, value in SECRET_VALUES.items():
        assert value.encode() not in blob, f"{name} secret found in {where}"


def test_no_secret_in_db_or_outputs(tmp_path: Path, workspace: Path, capsysbinary) -> None:
    root = tmp_path / "transcripts"
    _plant(root, workspace)
    rc = main(["ingest", "--json", "-w", str(workspace), "--transcripts", str(root)])
    out = capsysbinary.readouterr()
    assert rc == 0
    doc = json.loads(out.out)
    assert doc["sessions"] == 3 and doc["by_agent"]["claude"]["user_prompts"] == 1
    _assert_clean(out.out + out.err, "ingest --json output")
    rc = main(["watch", "--once", "-w", str(workspace), "--transcripts", str(root)])
    out = capsysbinary.readouterr()
    assert rc == 0
    _assert_clean(out.out + out.err, "watch output")
    state = workspace / ".reverie"
    files = [p for p in state.iterdir() if p.name.startswith("reverie.db")]
    assert any(p.name == "reverie.db" for p in files)
    for p in files:  # the db, its -wal and -shm, read raw
        _assert_clean(p.read_bytes(), p.name)
    # the redaction markers did land in the store
    import sqlite3

    conn = sqlite3.connect(state / "reverie.db")
    texts = " ".join(r[0] for r in conn.execute("select text from events"))
    inputs = " ".join(r[0] or "" for r in conn.execute("select tool_input from events"))
    assert texts.count("[REDACTED:") >= 10 * len(SECRET_VALUES)
    assert "[REDACTED:" in inputs
    conn.close()


def test_cli_ingest_text_mode_and_rerun(tmp_path: Path, workspace: Path) -> None:
    root = tmp_path / "transcripts"
    _plant(root, workspace)
    cmd = [
        sys.executable,
        "-m",
        "reverie.console.cli",
        "-w",
        str(workspace),
        "ingest",
        "--transcripts",
        str(root),
        "--json",
    ]
    first = subprocess.run(cmd, capture_output=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert first.returncode == 0, first.stderr
    again = subprocess.run(cmd, capture_output=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    doc = json.loads(again.stdout)
    assert doc["sessions"] == 3 and doc["new_events"] == 0 and doc["files_read"] == 0
    _assert_clean(first.stdout + first.stderr + again.stdout, "subprocess output")
