"""Write Claude Code transcripts in the real JSONL record format.

Why: scenario tests and `reverie demo` must exercise the same parser real
sessions go through, so every record carries the fields Claude Code writes
(type user/assistant, message.content blocks, toolUseResult, uuid/parentUuid,
sessionId, cwd, timestamp, isSidechain, version, gitBranch). Everything is
deterministic: uuids derive from the session id and a counter, timestamps from
a start time and a step.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reverie.store.paths import claude_projects_dir, claude_slug

VERSION = "2.1.39"
REJECTED_TEXT = (
    "The user doesn't want to proceed with this tool use. The tool use was rejected "
    "(eg. if it was a file edit, the new_string was NOT written to the file). STOP what "
    "you are doing and wait for the user to tell you how to proceed."
)
REJECTED_WITH_REASON = (
    "The user doesn't want to proceed with this tool use. The tool use was rejected "
    "(eg. if it was a file edit, the new_string was NOT written to the file). The user provided "
    "the following reason for the rejection:  "
)
"""How Claude Code words a rejection when the person typed a reason (seen in real sessions)."""


def stable_uuid(*parts: object) -> str:
    """A uuid derived from `parts`, so generated corpora are reproducible."""
    return str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, "reverie:" + ":".join(str(p) for p in parts)))


@dataclass
class SessionWriter:
    """Builds one session's records; `write()` puts them where Claude Code would."""

    cwd: Path
    session_id: str
    start: datetime
    branch: str = "main"
    records: list[dict[str, Any]] = field(default_factory=list)
    _n: int = 0
    _last: str | None = None
    _pending: dict[str, str] = field(default_factory=dict)

    @classmethod
    def new(cls, cwd: Path, key: str, start: datetime) -> SessionWriter:
        return cls(cwd=cwd, session_id=stable_uuid("session", key), start=start)

    # --- plumbing -------------------------------------------------------------

    def _base(self, rtype: str) -> dict[str, Any]:
        self._n += 1
        ts = (self.start + timedelta(seconds=7 * self._n)).astimezone(UTC)
        rec: dict[str, Any] = {
            "parentUuid": self._last,
            "isSidechain": False,
            "userType": "external",
            "cwd": str(self.cwd),
            "sessionId": self.session_id,
            "version": VERSION,
            "gitBranch": self.branch,
            "type": rtype,
            "uuid": stable_uuid(self.session_id, self._n),
            "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z",
        }
        self._last = rec["uuid"]
        return rec

    def _msg_id(self) -> str:
        return "msg_" + stable_uuid(self.session_id, "msg", self._n).replace("-", "")[:24]

    # --- records --------------------------------------------------------------

    def user(self, text: str) -> str:
        """A prompt the person typed."""
        rec = self._base("user")
        rec["message"] = {"role": "user", "content": text}
        rec["permissionMode"] = "default"
        self.records.append(rec)
        return rec["uuid"]

    def say(self, text: str) -> str:
        """Assistant text."""
        rec = self._base("assistant")
        rec["message"] = {
            "model": "claude-sonnet-4-5",
            "id": self._msg_id(),
            "type": "message",
            "role": "assistant",
            "content": [{"type": "text", "text": text}],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": max(1, len(text) // 4)},
        }
        rec["requestId"] = "req_" + stable_uuid(self.session_id, "req", self._n).replace("-", "")[:24]
        self.records.append(rec)
        return rec["uuid"]

    def tool(
        self,
        name: str,
        tool_input: dict[str, Any],
        output: str = "",
        *,
        status: str = "ok",
        result: Any = None,
        reason: str = "",
    ) -> str:
        """A tool_use record and its tool_result; status ok | error | rejected.

        A rejection with a `reason` carries the person's words inside the tool
        result (as Claude Code writes it) and is not followed by an interruption."""
        call = self._base("assistant")
        tid = "toolu_" + stable_uuid(self.session_id, "tool", self._n).replace("-", "")[:24]
        call["message"] = {
            "model": "claude-sonnet-4-5",
            "id": self._msg_id(),
            "type": "message",
            "role": "assistant",
            "content": [{"type": "tool_use", "id": tid, "name": name, "input": tool_input}],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": 20},
        }
        self.records.append(call)
        res = self._base("user")
        block: dict[str, Any] = {"tool_use_id": tid, "type": "tool_result"}
        if status == "rejected" and reason:
            block.update(content=REJECTED_WITH_REASON + reason, is_error=True)
            res["toolUseResult"] = "Error: " + REJECTED_WITH_REASON + reason
        elif status == "rejected":
            block.update(content=REJECTED_TEXT, is_error=True)
            res["toolUseResult"] = "User rejected tool use"
        elif status == "error":
            block.update(content=output, is_error=True)
            res["toolUseResult"] = "Error: " + output
        else:
            block.update(content=output, is_error=False)
            if result is not None:
                res["toolUseResult"] = result
            elif name == "Bash":
                res["toolUseResult"] = {
                    "stdout": output,
                    "stderr": "",
                    "interrupted": False,
                    "isImage": False,
                    "noOutputExpected": False,
                }
            else:
                res["toolUseResult"] = {"type": "text", "text": output}
        res["message"] = {"role": "user", "content": [block]}
        res["sourceToolAssistantUUID"] = call["uuid"]
        self.records.append(res)
        if status == "rejected" and not reason:
            self.interrupt(tool_use=True)
        return call["uuid"]

    def bash(self, command: str, output: str = "", *, status: str = "ok", reason: str = "") -> str:
        return self.tool(
            "Bash", {"command": command, "description": command[:40]}, output, status=status, reason=reason
        )

    def edit(self, path: str, old: str, new: str, *, status: str = "ok", reason: str = "") -> str:
        full = str(self.cwd / path)
        result = {
            "filePath": full,
            "oldString": old,
            "newString": new,
            "originalFile": old,
            "structuredPatch": [],
            "userModified": False,
            "replaceAll": False,
        }
        msg = f"The file {full} has been updated successfully."
        return self.tool(
            "Edit",
            {"file_path": full, "old_string": old, "new_string": new},
            msg,
            status=status,
            result=result if status == "ok" else None,
            reason=reason,
        )

    def write(self, path: str, content: str) -> str:
        full = str(self.cwd / path)
        return self.tool(
            "Write",
            {"file_path": full, "content": content},
            f"File created successfully at: {full}",
            result={"type": "create", "filePath": full, "content": content, "structuredPatch": []},
        )

    def read(self, path: str, content: str = "") -> str:
        full = str(self.cwd / path)
        numbered = "\n".join(f"{i + 1:6}\u2192{line}" for i, line in enumerate(content.splitlines()))
        return self.tool(
            "Read",
            {"file_path": full},
            numbered,
            result={
                "type": "text",
                "file": {"filePath": full, "content": content, "numLines": content.count("\n") + 1},
            },
        )

    def fetch(self, url: str, page: str) -> str:
        """A WebFetch whose result is the page text (external trust)."""
        return self.tool(
            "WebFetch",
            {"url": url, "prompt": "Summarize the install steps"},
            page,
            result={"bytes": len(page), "code": 200, "codeText": "OK", "result": page, "durationMs": 420, "url": url},
        )

    def interrupt(self, tool_use: bool = False) -> str:
        rec = self._base("user")
        text = "[Request interrupted by user for tool use]" if tool_use else "[Request interrupted by user]"
        rec["message"] = {"role": "user", "content": [{"type": "text", "text": text}]}
        self.records.append(rec)
        return rec["uuid"]

    # --- output ---------------------------------------------------------------

    def jsonl(self) -> str:
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.records)

    def write_to(self, directory: Path | None = None) -> Path:
        """Write `<session>.jsonl` into `directory`, default Claude Code's project dir under $HOME."""
        target_dir = directory if directory is not None else claude_projects_dir() / claude_slug(self.cwd)
        target_dir.mkdir(parents=True, exist_ok=True)
        path = target_dir / f"{self.session_id}.jsonl"
        path.write_text(self.jsonl(), encoding="utf-8")
        return path
