"""Replay runs real hook scripts (Python batch and sh per call) over past tool calls."""

from __future__ import annotations

from reverie.dreamer import hooks
from reverie.dreamer.replay import matcher_matches, replay, replay_proposals
from reverie.store.models import Proposal


def calls() -> list[dict]:
    base = {"session_id": "s1", "cwd": "/w", "status": "ok"}
    return [
        {**base, "tool": "Edit", "input": {"file_path": "/w/gen/a.sql"}, "uuid": "v1"},
        {**base, "tool": "Write", "input": {"file_path": "/w/gen/sub/b.sql"}, "uuid": "v2"},
        {**base, "tool": "Edit", "input": {"file_path": "/w/src/gen.py"}, "uuid": "ok1"},
        {**base, "tool": "Edit", "input": {"file_path": "/w/generated.txt"}, "uuid": "ok2"},
        {**base, "tool": "Bash", "input": {"command": "make gen"}, "uuid": "ok3"},
        {**base, "tool": "Read", "input": {"file_path": "/w/gen/a.sql"}, "uuid": "ok4"},
    ]


def hook_proposal(script: str, violations: list[str], matcher: str = hooks.EDIT_MATCHER) -> Proposal:
    return Proposal(
        id="",
        action="add",
        kind="hook",
        scope="project",
        title="guard",
        body=script,
        meta={"event": "PreToolUse", "matcher": matcher, "replay": {"violations": violations}},
    )


def test_python_guard_is_replayed_in_one_batch() -> None:
    p = hook_proposal(hooks.path_guard_script(["gen/**"], "generated"), ["v1", "v2"])
    r = replay(p, calls())
    assert r["mode"] == "batch"
    assert (r["violations"], r["violations_blocked"], r["legit_blocked"]) == (2, 2, 0)
    assert r["matched"] == 4 and r["calls"] == 6, "Bash and Read calls are outside the Edit matcher"


def test_sh_hook_runs_per_call_and_overblocking_is_counted() -> None:
    script = '#!/bin/sh\ninput=$(cat)\ncase "$input" in *gen*) echo "no gen" >&2; exit 2;; esac\nexit 0\n'
    r = replay(hook_proposal(script, ["v1", "v2"]), calls())
    assert r["mode"] == "subprocess"
    assert r["violations_blocked"] == 2 and r["legit_blocked"] == 2  # src/gen.py and generated.txt


def test_broken_hook_reports_an_error_not_an_exception() -> None:
    p = hook_proposal("#!/usr/bin/env python3\ndef check(payload):\n    return None\nraise SystemExit(3)\n", ["v1"])
    r = replay(p, calls())
    assert "error" in r or r["violations_blocked"] == 0
    replay_proposals([p], calls())
    assert "Replay" in p.rationale


def test_hook_without_network_access() -> None:
    script = (
        "#!/usr/bin/env python3\nimport socket, sys\n"
        "def check(payload):\n"
        "    try:\n        socket.create_connection(('1.1.1.1', 53), timeout=1)\n        return 'net'\n"
        "    except OSError:\n        return None\n"
        "if __name__ == '__main__':\n    sys.exit(2 if check({}) else 0)\n"
    )
    r = replay(hook_proposal(script, []), calls()[:1])
    assert r["legit_blocked"] == 0, f"the replay sandbox let the hook reach the network ({r['sandbox']})"


def test_matcher_semantics() -> None:
    assert matcher_matches("", "Anything") and matcher_matches("*", "Bash")
    assert matcher_matches("Edit|Write", "Write") and not matcher_matches("Edit|Write", "WriteFile")
    assert matcher_matches("mcp__.*", "mcp__github__push")
