"""Session digests: what is kept, the token budget, references and redaction."""

from __future__ import annotations

from reverie.dreamer.digest import approx_tokens, build_digest, scrub
from tests.llm.conftest import ev, pnpm_session


def test_digest_keeps_lessons_and_tags_events() -> None:
    d = build_digest("s1", pnpm_session("s1"), token_budget=4000)
    lines = d.text.splitlines()
    assert lines[0].startswith("session s1")
    assert "[e1 user says] please run the tests" in d.text
    assert "[e2 agent ran] Bash: npm test" in d.text
    assert "[e3 Bash error (tool)] npm ERR!" in d.text
    assert "[e4 user says] no, we use pnpm" in d.text
    assert "42 passed" not in d.text  # ok tool output is not a lesson
    assert d.refs["e4"].event_uuid == "s1-u4"
    assert d.refs["e4"].trust == "user"
    assert d.refs["e3"].trust == "tool"
    assert not d.empty


def test_digest_rejections_interruptions_and_skips() -> None:
    events = [
        ev("s", 1, "user_prompt", "<command-name>/clear</command-name>"),
        ev("s", 2, "user_prompt", "edit the migration"),
        ev("s", 3, "tool_call", tool_name="Edit", tool_input={"file_path": "db/migrations/0001.sql"}),
        ev("s", 4, "tool_result", "The user doesn't want to proceed", status="rejected", tool_name="Edit"),
        ev("s", 5, "interruption", ""),
        ev("s", 6, "user_prompt", "subagent words", is_sidechain=True),
        ev("s", 7, "system", "compacted"),
    ]
    d = build_digest("s", events)
    assert "/clear" not in d.text
    assert "[e3 agent ran] Edit: db/migrations/0001.sql" in d.text
    assert "[e4 user rejected] Edit" in d.text
    assert "[e5 interrupted]" in d.text
    assert "subagent words" not in d.text
    assert "compacted" not in d.text
    assert d.events_read == 7


def test_repeated_errors_collapse() -> None:
    events = [ev("s", 1, "user_prompt", "go")] + [
        ev("s", i, "tool_result", "ECONNREFUSED", status="error", tool_name="Bash") for i in range(2, 7)
    ]
    d = build_digest("s", events)
    assert d.text.count("ECONNREFUSED") == 1
    assert "(x5)" in d.text


def test_budget_is_enforced_and_user_words_survive() -> None:
    events = []
    seq = 0
    for i in range(400):
        seq += 1
        events.append(ev("s", seq, "assistant_text", f"thinking out loud about step {i} " * 10))
        seq += 1
        events.append(ev("s", seq, "tool_call", tool_name="Bash", tool_input={"command": f"ls dir{i} " * 5}))
    seq += 1
    events.append(ev("s", seq, "user_prompt", "remember: never push to main directly"))
    for budget in (300, 1000, 4000):
        d = build_digest("s", events, token_budget=budget)
        assert d.tokens <= budget, (budget, d.tokens)
        assert "never push to main directly" in d.text
        assert d.lines_dropped > 0
    tiny = build_digest("s", [ev("s", i, "user_prompt", f"prompt number {i} " * 50) for i in range(1, 200)], 200)
    assert tiny.tokens <= 200
    assert "prompt number 199" in tiny.text  # the newest lines are kept
    assert "omitted" in tiny.text


def test_session_without_user_words_is_empty() -> None:
    d = build_digest("s", [ev("s", 1, "tool_call", tool_name="Bash", tool_input={"command": "ls"})])
    assert d.empty


def test_secret_in_event_is_redacted_in_digest() -> None:
    secret = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    aws = "AKIA" + "ABCDEFGHIJKLMNOP"
    events = [
        ev("s", 1, "user_prompt", f"use this token {secret} for the api"),
        ev("s", 2, "tool_result", f"export AWS_ACCESS_KEY_ID={aws}", status="error", tool_name="Bash"),
    ]
    d = build_digest("s", events)
    assert secret not in d.text and aws not in d.text
    assert "[REDACTED:" in d.text
    assert all(secret not in r.text for r in d.refs.values())


def test_scrub_fallback_rules() -> None:
    assert "hunter2hunter2" not in scrub("password = hunter2hunter2")
    assert "s3cretpass" not in scrub("postgres://admin:s3cretpass@db:5432/x")
    assert scrub("nothing to see") == "nothing to see"
    assert approx_tokens("abcd" * 10) == 10
