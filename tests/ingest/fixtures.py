"""Generated transcripts in the real record formats (Claude Code, Codex, Gemini CLI).

Small writers so every test builds exactly the quirk it checks, without ../shared.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from pathlib import Path
from typing import Any

SECRETS: dict[str, str] = {
    "anthropic": "sk-ant-api03-" + "Zq7" * 30 + "AA",
    "openai": "sk-proj-" + "Tq4Lm9" * 8,
    "stripe": "sk_live_" + "51HxQ2eZvKYlo2C9x8Rt7Wq",
    "aws_id": "AKIA" + "QWERTYUIOPASDFGH",
    "aws_secret": "aws_secret_access_key=" + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz8" + "Qk1Zx9w",
    "github": "ghp_" + "R4nd0mT0k3nV4lu3Xy" + "Zq7Lm9Tq4Lm9Wx2Yv8",
    "github_pat": "github_pat_11" + "ABCDEFG0123456789_" + "abcdefghijklmnopqrstuvwxyz0123",
    "slack": "xoxb-" + "123456789012-1234567890123-" + "AbCdEfGhIjKlMnOpQrStUvWx",
    "google": "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
    "private_key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
    "-----END RSA PRIVATE KEY-----",
    "jwt": "eyJhbGciOiJIUzI1NiJ9."
    + "eyJzdWIiOiJyZXZlcmllLXRlc3QiLCJpYXQiOjE3MDAwMDAwMDB9."
    + "qS8dT3eXm0n0pL2rQ9wXy7zKcB1vA4uE6oI8yT0rW2s",
    "env_key": "MY_SERVICE_API_KEY=" + "kq93Hf8s7Dj2Lx0Pz",
    "env_token": 'export DEPLOY_TOKEN="' + "t0k3n-98asd7f6as5d4" + '"',
    "password": "DB_PASSWORD=" + "hunter2-corr3ct-h0rse",
    "json_secret": '{"client_secret": "' + "cs_8f7d6a5s4d3f2g1h" + '"}',
    "url": "postgres://admin:" + "S3cr3tPassw0rd" + "@db.internal.example:5432/app",
}
"""One planted credential of every format; tests grep the raw DB bytes for each value."""

SECRET_VALUES: dict[str, str] = {
    "anthropic": SECRETS["anthropic"],
    "openai": SECRETS["openai"],
    "stripe": SECRETS["stripe"],
    "aws_id": SECRETS["aws_id"],
    "aws_secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz8Qk1Zx9w",
    "github": SECRETS["github"],
    "github_pat": SECRETS["github_pat"],
    "slack": SECRETS["slack"],
    "google": SECRETS["google"],
    "private_key": "MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
    "jwt": SECRETS["jwt"],
    "env_key": "kq93Hf8s7Dj2Lx0Pz",
    "env_token": "t0k3n-98asd7f6as5d4",
    "password": "hunter2-corr3ct-h0rse",
    "json_secret": "cs_8f7d6a5s4d3f2g1h",
    "url": "S3cr3tPassw0rd",
}
"""The part of each planted secret that must never be stored."""


def all_secrets_text() -> str:
    return "\n".join(f"{k}: {v}" for k, v in SECRETS.items())


def write_jsonl(path: Path, records: list[Any], raw_lines: list[str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r) for r in records] + list(raw_lines or [])
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def append_jsonl(path: Path, records: list[Any]) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")


class Claude:
    """Claude Code record builder for one session."""

    def __init__(self, session_id: str | None = None, cwd: str = "/work/project", sidechain: bool = False) -> None:
        self.session_id = session_id or str(uuidlib.uuid4())
        self.cwd = cwd
        self.sidechain = sidechain
        self.last = None
        self.n = 0

    def _base(self, rtype: str, **extra: Any) -> dict[str, Any]:
        self.n += 1
        uid = str(uuidlib.uuid4())
        rec = {
            "parentUuid": self.last,
            "isSidechain": self.sidechain,
            "userType": "external",
            "cwd": self.cwd,
            "sessionId": self.session_id,
            "version": "2.1.39",
            "type": rtype,
            "uuid": uid,
            "timestamp": f"2026-02-11T21:{self.n // 60:02d}:{self.n % 60:02d}.000Z",
        }
        rec.update(extra)
        self.last = uid
        return rec

    def user(self, text: str, **extra: Any) -> dict[str, Any]:
        return self._base("user", message={"role": "user", "content": text}, **extra)

    def user_blocks(self, blocks: list[Any], **extra: Any) -> dict[str, Any]:
        return self._base("user", message={"role": "user", "content": blocks}, **extra)

    def assistant(self, blocks: list[Any], msg_id: str | None = None) -> dict[str, Any]:
        return self._base(
            "assistant",
            message={
                "model": "claude-sonnet-4-5",
                "id": msg_id or f"msg_{uuidlib.uuid4().hex[:20]}",
                "type": "message",
                "role": "assistant",
                "content": blocks,
                "usage": {"input_tokens": 3, "output_tokens": 5},
            },
        )

    def text(self, text: str, msg_id: str | None = None) -> dict[str, Any]:
        return self.assistant([{"type": "text", "text": text}], msg_id)

    def tool_use(
        self, name: str, tool_input: dict[str, Any], tool_id: str | None = None, msg_id: str | None = None
    ) -> tuple[dict[str, Any], str]:
        tid = tool_id or f"toolu_{uuidlib.uuid4().hex[:20]}"
        return self.assistant([{"type": "tool_use", "id": tid, "name": name, "input": tool_input}], msg_id), tid

    def tool_result(
        self, tid: str, content: Any, is_error: bool = False, tool_use_result: Any = None
    ) -> dict[str, Any]:
        extra = {} if tool_use_result is None else {"toolUseResult": tool_use_result}
        return self.user_blocks(
            [{"type": "tool_result", "tool_use_id": tid, "content": content, "is_error": is_error}], **extra
        )

    def system(self, subtype: str, content: str = "", **extra: Any) -> dict[str, Any]:
        return self._base("system", subtype=subtype, content=content, **extra)


REJECTION = (
    "The user doesn't want to proceed with this tool use. The tool use was rejected "
    "(eg. if it was a file edit, the new_string was NOT written to the file). STOP what you are doing."
)


def codex_envelope(session_id: str, cwd: str, items: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    recs = [
        {
            "timestamp": "2026-02-23T12:19:42.561Z",
            "type": "session_meta",
            "payload": {
                "id": session_id,
                "timestamp": "2026-02-23T12:19:38.535Z",
                "cwd": cwd,
                "originator": "codex_cli_rs",
                "cli_version": "0.104.0",
            },
        }
    ]
    for i, (rtype, payload) in enumerate(items):
        recs.append({"timestamp": f"2026-02-23T12:20:{i % 60:02d}.000Z", "type": rtype, "payload": payload})
    return recs


def codex_user_turn(text: str) -> list[tuple[str, dict[str, Any]]]:
    """A prompt as Codex writes it: the response_item and its event_msg twin."""
    return [
        ("response_item", {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}),
        ("event_msg", {"type": "user_message", "message": text, "images": []}),
    ]


def codex_agent_turn(text: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("event_msg", {"type": "agent_message", "message": text}),
        ("response_item", {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]}),
    ]


def codex_call(
    name: str, args: dict[str, Any], output: str, call_id: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    cid = call_id or f"call_{uuidlib.uuid4().hex[:16]}"
    return [
        ("response_item", {"type": "function_call", "name": name, "arguments": json.dumps(args), "call_id": cid}),
        ("event_msg", {"type": "token_count", "info": None}),
        ("response_item", {"type": "function_call_output", "call_id": cid, "output": output}),
    ]


def gemini_doc(session_id: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "sessionId": session_id,
        "projectHash": "0" * 64,
        "startTime": "2026-06-05T04:59:39.932Z",
        "lastUpdated": "2026-06-05T04:59:44.839Z",
        "messages": messages,
        "kind": "main",
    }
