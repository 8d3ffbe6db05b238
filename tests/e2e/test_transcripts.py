"""Transcripts end to end: realdata ingest/dream JSON contract, malformed files, secrets never leak."""

from __future__ import annotations

import base64
import json
import os
import random
import sqlite3
import string
import zlib
from datetime import UTC, datetime
from pathlib import Path

from reverie.dreamer.scenarios.transcript import SessionWriter
from tests.conftest import realdata_or_skip
from tests.e2e.conftest import Cli

PROPOSAL_KEYS = {
    "id",
    "action",
    "kind",
    "scope",
    "paths",
    "title",
    "body",
    "target",
    "before",
    "after",
    "replaces",
    "confidence",
    "status",
    "rationale",
    "labels",
    "evidence",
}
EVIDENCE_KEYS = {"session_id", "event_uuid", "timestamp", "trust", "quote"}


def test_realdata_ingest_then_dream_json_contract(cli: Cli, workspace: Path) -> None:
    realdata = realdata_or_skip()
    ing = cli.ok("ingest", "--json", "--transcripts", realdata, "--no-progress").json()
    assert ing["sessions"] > 50 and ing["events"] > 5000
    assert set(ing["by_agent"]) >= {"claude", "codex", "gemini"}
    doc = cli.ok("dream", "--json", "--transcripts", realdata, "--no-progress").json()
    assert doc["candidate_store"].startswith("c-") and doc["base_version"].startswith("op-")
    assert doc["engine"] == "heuristic"
    assert doc["sessions_read"] == ing["sessions"] and doc["events_read"] == ing["events"]
    assert doc["proposals"], "realdata should yield at least one proposal"
    for p in doc["proposals"]:
        assert set(p) >= PROPOSAL_KEYS, PROPOSAL_KEYS - set(p)
        assert 0.0 <= p["confidence"] <= 1.0 and p["status"] == "pending"
        assert isinstance(p["paths"], list) and isinstance(p["replaces"], list)
        for lab in p["labels"]:
            assert {"label", "severity", "reason"} <= set(lab) and lab["severity"] in ("info", "warn", "block")
        for ev in p["evidence"]:
            assert set(ev) >= EVIDENCE_KEYS
    # the candidate is what `proposals` lists; the dream wrote nothing to the workspace
    listed = cli.ok("proposals", "--json").json()
    assert [p["id"] for p in listed["proposals"]] == [p["id"] for p in doc["proposals"]]
    assert sorted(os.listdir(workspace)) == [".reverie"]


def test_malformed_transcripts_are_skipped_not_fatal(cli: Cli, workspace: Path, tmp_path: Path) -> None:
    tr = tmp_path / "tr"
    tr.mkdir()
    cwd = str(workspace)
    (tr / "empty.jsonl").write_bytes(b"")
    (tr / "binary.jsonl").write_bytes(random.Random(7).randbytes(100_000))
    (tr / "nul.jsonl").write_bytes(b"\x00" * 5000)
    (tr / "garbage.jsonl").write_text(
        'not json\n{\n[1,2,3]\n"str"\nnull\n12\n{"type": 5}\n{"type":"user","message":null}\n'
        f'{{"type":"user","message":{{"content":[null, 5, {{"type":"tool_result"}}]}}, "cwd":"{cwd}"}}\n'
    )
    (tr / "huge.jsonl").write_text(
        json.dumps(
            {
                "type": "user",
                "sessionId": "h",
                "uuid": "u1",
                "cwd": cwd,
                "timestamp": "2026-01-01T00:00:00Z",
                "message": {"role": "user", "content": "x" * 5_000_000},
            }
        )
        + "\n"
    )
    (tr / "weirdts.jsonl").write_text(
        "".join(
            json.dumps(
                {
                    "type": "user",
                    "sessionId": "t",
                    "uuid": f"u{i}",
                    "cwd": cwd,
                    "timestamp": ts,
                    "message": {"role": "user", "content": "hello"},
                }
            )
            + "\n"
            for i, ts in enumerate(["yesterday", 99999999999999])
        )
    )
    (tr / "broken.json").write_text("{ a gemini file that is broken")
    (tr / "rollout-2026-01-01.jsonl").write_text(
        '{"timestamp":"x","type":"session_meta","payload":null}\n{"type":"response_item","payload":{"type":"message","content":7}}\n'
    )
    (tr / "loop.jsonl").symlink_to(tr / "loop.jsonl")
    good = SessionWriter.new(workspace, "good", datetime(2026, 1, 1, tzinfo=UTC))
    good.user("hello there")
    good.say("hi")
    good.write_to(tr)
    ing = cli.ok("ingest", "--json", "--transcripts", tr, "--no-progress").json()
    assert ing["sessions"] >= 1 and ing["events"] >= 2
    cli.ok("dream", "--json", "--transcripts", tr, "--no-progress")
    again = cli.ok("ingest", "--json", "--transcripts", tr, "--no-progress").json()
    assert again["new_events"] == 0


def _db_plaintext(db: Path) -> bytes:
    """Every value in the database, with zlib-compressed blobs inflated (raw bytes would hide them)."""
    con = sqlite3.connect(db)
    parts: list[bytes] = []
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for t in tables:
            for row in con.execute(f'SELECT * FROM "{t}"'):
                for v in row:
                    if isinstance(v, bytes):
                        try:
                            v = zlib.decompress(v)
                        except zlib.error:
                            pass
                        parts.append(v)
                    elif v is not None:
                        parts.append(str(v).encode())
    finally:
        con.close()
    return b"\n".join(parts)


# --- secrets ------------------------------------------------------------------------


def _secrets() -> dict[str, str]:
    r = random.Random(1234)

    def rs(alphabet: str, n: int) -> str:
        return "".join(r.choice(alphabet) for _ in range(n))

    a = string.ascii_letters + string.digits
    jwt_head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    jwt_body = base64.urlsafe_b64encode(json.dumps({"sub": rs(a, 10), "iat": 1516239022}).encode()).decode().rstrip("=")
    return {
        "aws_key": "AKIA" + rs(string.ascii_uppercase + "234567", 16),
        "aws_secret": rs(a + "/+", 40),
        "github_pat": "ghp_" + rs(a, 36),
        "github_fine": "github_pat_" + rs(a, 22) + "_" + rs(a, 59),
        "slack": "xoxb-" + rs(string.digits, 12) + "-" + rs(string.digits, 13) + "-" + rs(a, 24),
        "stripe": "sk_live_" + rs(a, 24),
        "openai": "sk-proj-" + rs(a + "-_", 48) + "T3BlbkFJ" + rs(a + "-_", 48),
        "anthropic": "sk-ant-api03-" + rs(a + "-_", 93) + "AA",
        "google": "AIza" + rs(a + "-_", 35),
        "jwt": f"{jwt_head}.{jwt_body}.{rs(a + '-_', 43)}",
        "pg_password": rs(string.ascii_lowercase, 6) + "Pw" + rs(a, 14),
        "npm": "npm_" + rs(a, 36),
        "gitlab": "glpat-" + rs(a + "-_", 20),
        "sendgrid": "SG." + rs(a + "-_", 22) + "." + rs(a + "-_", 43),
        "hf": "hf_" + rs(string.ascii_letters, 34),
        "pem_line": rs(a + "+/", 64),
    }


def _sentences(s: dict[str, str]) -> list[str]:
    return [
        f"export AWS_ACCESS_KEY_ID={s['aws_key']}",
        f"aws_secret_access_key = {s['aws_secret']}",
        f"use token {s['github_pat']} for the API",
        f"GITHUB_TOKEN={s['github_fine']}",
        f"slack bot token: {s['slack']}",
        f"STRIPE_SECRET_KEY={s['stripe']}",
        f"OPENAI_API_KEY={s['openai']}",
        f"ANTHROPIC_API_KEY={s['anthropic']}",
        f"const key = '{s['google']}';",
        f"Authorization: Bearer {s['jwt']}",
        f"DATABASE_URL=postgres://admin:{s['pg_password']}@db.internal:5432/prod",
        f"//registry.npmjs.org/:_authToken={s['npm']}",
        f"GITLAB_TOKEN={s['gitlab']}",
        f"SENDGRID_API_KEY={s['sendgrid']}",
        f"HF_TOKEN={s['hf']}",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n" + s["pem_line"] + "\n-----END RSA PRIVATE KEY-----",
    ]


def test_secrets_in_transcripts_never_reach_output_or_db(
    cli: Cli, workspace: Path, tmp_path: Path, temp_home: Path
) -> None:
    secrets = _secrets()
    tr = tmp_path / "tr"
    for k in range(3):
        sw = SessionWriter.new(workspace, f"sec{k}", datetime(2026, 1, 1 + 2 * k, tzinfo=UTC))
        for s in _sentences(secrets):
            sw.user(f"Always remember: {s}")
            sw.say(f"Noted, I'll use {s}")
            sw.bash(f"echo '{s}'", output=s)
            sw.tool("WebFetch", {"url": "https://example.com/?k=" + secrets["github_pat"]}, s)
        sw.bash(f"npm install left-pad --token {secrets['npm']}", status="rejected")
        sw.user(f"No, we use pnpm in this repo, not npm. The registry token is {secrets['npm']}.")
        sw.bash("pnpm add left-pad", "Packages: +1")
        sw.write_to(tr)
    (tr / "broken.jsonl").write_text('{"type":"user","message":{"content":"' + secrets["stripe"] + '"\n')

    outputs: list[str] = []

    def run(*args: object) -> dict:
        res = cli.ok(*args)
        outputs.extend([res.out, res.err])
        return res.json() if "--json" in args else {}

    run("init", "--json")
    run("ingest", "--json", "--transcripts", tr, "--no-progress")
    doc = run("dream", "--json", "--transcripts", tr, "--no-progress")
    run("proposals", "--json")
    run("proposals")
    run("status", "--json")
    run("status")
    run("log", "--json")
    run("effect", "--json")
    for p in doc["proposals"]:
        run("show", p["id"], "--json")
        run("show", p["id"])
    blob = "\n".join(outputs)
    assert not [k for k, v in secrets.items() if v in blob]
    store_dir = workspace / ".reverie"
    for f in store_dir.iterdir():
        data = f.read_bytes()
        assert not [k for k, v in secrets.items() if v.encode() in data], f
    stored = _db_plaintext(store_dir / "reverie.db")
    assert len(stored) > 1000
    assert not [k for k, v in secrets.items() if v.encode() in stored]
    for root in (workspace, temp_home):
        for f in root.rglob("*"):
            if f.is_file():
                data = f.read_bytes()
                assert not [k for k, v in secrets.items() if v.encode() in data], f
