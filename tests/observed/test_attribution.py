"""Which tool call wrote a file: content first, then path and time; failed calls never count."""

from __future__ import annotations

from pathlib import Path

from reverie.dreamer.attribution import Change, attribute, consolidation_lock, epoch, make_call
from reverie.store.materialize import memory_dir_key

CWD = "/Users/dev/proj"


def row(tool: str, inp: dict, ts: str = "2026-02-22T01:45:59.285Z", **kw) -> dict:
    return {
        "session_id": kw.get("session_id", "s1"),
        "uuid": kw.get("uuid", "u1"),
        "tool_use_id": kw.get("tid", "t1"),
        "timestamp": ts,
        "agent": kw.get("agent", "claude"),
        "tool_name": tool,
        "tool_input": inp,
        "cwd": CWD,
        "status": kw.get("status", ""),
    }


def test_calls_of_every_agent_name_the_file_they_write(workspace: Path) -> None:
    mem = memory_dir_key(workspace)
    slug_path = "/Users/dev/.claude/projects/-Users-dev-proj/memory/testing.md"
    cases = [
        (row("Write", {"file_path": slug_path, "content": "Run pytest -q"}), f"{mem}/testing.md", False),
        (row("Edit", {"file_path": f"{CWD}/CLAUDE.md", "old_string": "a", "new_string": "b"}), "CLAUDE.md", False),
        (
            row("MultiEdit", {"file_path": f"{CWD}/AGENTS.md", "edits": [{"old_string": "a", "new_string": "bb"}]}),
            "AGENTS.md",
            False,
        ),
        (row("save_memory", {"fact": "prefers tabs"}, agent="gemini"), "~/.gemini/GEMINI.md", False),
        (row("write_file", {"file_path": f"{CWD}/GEMINI.md", "content": "x"}, agent="gemini"), "GEMINI.md", False),
        (
            row("apply_patch", {"input": "*** Begin Patch\n*** Update File: AGENTS.md\n+Use uv\n*** End Patch"}),
            "AGENTS.md",
            False,
        ),
        (row("Bash", {"command": "echo '- use uv' >> CLAUDE.md"}), "CLAUDE.md", False),
        (row("Bash", {"command": f"rm -f {slug_path}"}), f"{mem}/testing.md", True),
    ]
    for r, key, deletes in cases:
        call = make_call(r, CWD, workspace)
        assert call is not None, r
        assert key in call.keys, (r, call.keys)
        assert call.deletes is deletes
    assert make_call(row("Read", {"file_path": f"{CWD}/CLAUDE.md"}), CWD, workspace) is None
    assert make_call(row("Write", {"file_path": f"{CWD}/src/a.py", "content": "x"}), CWD, workspace) is None
    assert make_call(row("Bash", {"command": "ls -la"}), CWD, workspace) is None


def test_content_beats_the_latest_call_and_failures_never_count(workspace: Path) -> None:
    key = "CLAUDE.md"
    body = "# Proj\n- never edit generated migrations\n"
    wrote = make_call(
        row("Edit", {"file_path": f"{CWD}/CLAUDE.md", "new_string": "- never edit generated migrations"}, uuid="good"),
        CWD,
        workspace,
    )
    later = make_call(
        row(
            "Edit",
            {"file_path": f"{CWD}/CLAUDE.md", "new_string": "- something else entirely"},
            ts="2026-02-22T01:46:10.000Z",
            uuid="later",
        ),
        CWD,
        workspace,
    )
    failed = make_call(
        row(
            "Write",
            {"file_path": f"{CWD}/CLAUDE.md", "content": body},
            ts="2026-02-22T01:46:20.000Z",
            uuid="failed",
            status="rejected",
        ),
        CWD,
        workspace,
    )
    when = epoch("2026-02-22T01:46:21Z")
    who = attribute(Change(key, "update", body, when), [wrote, later, failed])
    assert (who.writer, who.event_uuid, who.how) == ("agent", "good", "content")
    # no content match: the latest call by path and time
    who = attribute(Change(key, "update", "# other text\n", when), [wrote, later, failed])
    assert (who.writer, who.event_uuid, who.how) == ("agent", "later", "path and time")
    # a call after the change (beyond the slack) or a day before it did not write it
    assert attribute(Change(key, "update", body, epoch("2026-02-22T01:40:00Z")), [wrote]).writer == "person"
    assert attribute(Change(key, "update", body, epoch("2026-02-24T01:46:00Z")), [wrote]).writer == "person"
    # a deletion needs a call that deletes
    assert attribute(Change(key, "delete", "", when), [wrote, later]).writer == "person"


def test_auto_dream_lock_next_to_a_batch() -> None:
    t = 1_760_000_000.0
    batch = [Change("a", "delete", "", t), Change("b", "update", "x", t + 20)]
    assert consolidation_lock(batch, t + 10)
    assert not consolidation_lock(batch, t - 3600)
    assert not consolidation_lock(batch[:1], t)
    assert not consolidation_lock(batch, None)
