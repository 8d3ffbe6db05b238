"""Batch redaction (one kingfisher scan per batch) gives what per-string `redact` gives.

Ingest redacts a whole batch of events at once: the maintained kingfisher rules
plus "gate" rules for our own regexes run once over all strings, and only
flagged strings go through the exact per-string path. These tests pin that a
string the gates miss could never have been changed by our own rules.
"""

from __future__ import annotations

import pytest

from reverie.dreamer import redact as R
from reverie.dreamer.adapters.common import FileInfo, make_event, redact_events
from reverie.dreamer.redact import _gate_scanner, _hit_strings, clip_redacted, redact, redact_many, redact_obj
from tests.ingest.fixtures import SECRET_VALUES, SECRETS

CLEAN = [
    "def lookup(key): return table[key]",
    "API_KEY = os.environ['API_KEY']",
    "token = get_token(); max_tokens: 1000; primary_key: id",
    "see https://example.com/docs?page=2 and git@github.com:org/repo.git",
    "file_path",
    "command",
    "Bash",
    "/Users/someone/work/project",
    "ünïcödé text — with “quotes” and emoji 🎉 and a long tail " * 20,
    "",
]


def _gate_hits(text: str) -> bool:
    data = text.encode()
    return bool(_hit_strings(_gate_scanner(), data, [0, len(data) + 1]))


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_batch_equals_per_string_for_every_format(name: str) -> None:
    texts = [*CLEAN, f"before {SECRETS[name]} after", SECRETS[name], *CLEAN]
    R._memo.clear()
    out = redact_many(texts)
    assert out == [redact(t) for t in texts]
    assert all(SECRET_VALUES[name] not in o for o in out)


def test_clean_strings_untouched_and_memoised() -> None:
    R._memo.clear()
    assert redact_many(CLEAN) == CLEAN
    assert "file_path" in R._memo and R._memo["file_path"] == []
    assert redact_many(["file_path", SECRETS["github"]])[1] != SECRETS["github"]


@pytest.mark.parametrize(
    "text",
    [
        "MY_KEY=abc12345",
        "my_key = 'abc12345'",
        '"Token": "abc12345"',
        "SECRET:abc12345",
        "password := abc12345",
        "PASSWD=abc12345",
        "pwd=abc12345",
        "gh_pat=abc12345",
        "credentials: abc12345",
        "Credential=abc12345",
        "sk-x",
        "rk_live_x",
        "pk_test_x",
        "AKIAX",
        "ASIAX",
        "AROAX",
        "aws_secret",
        "AWSSECRET",
        "secretAccessKey",
        "ghp_x",
        "ghs_x",
        "github_pat_x",
        "glpat-x",
        "xoxb-x",
        "xoxp-x",
        "hooks.slack.com/x",
        "AIzaX",
        "eyJx",
        "Bearer x",
        "BEARER x",
        "x://user:pass@host",
        "-----BEGIN OPENSSH PRIVATE KEY-----",
    ],
)
def test_every_gate_literal_is_reported(text: str) -> None:
    """Kingfisher's own secret filters must never drop a gate hit (the capture is a fixed literal)."""
    assert _gate_hits(f"some words before {text} and after")
    assert _gate_hits(text)


@pytest.mark.parametrize(
    "text",
    [
        "Kelvin \u212aEY=abcdef123456",  # lower() turns the Kelvin sign into k
        "dotted \u0130 then API_KEY=zzzzzzzz1234",  # lower() makes this one char longer
        "long \u017fecret=abcd1234efgh",
        "dotless \u0131 and bearer abcdefghijklmnopqrstuvwxyz",
    ],
)
def test_case_folding_oddities_take_the_exact_path(text: str) -> None:
    R._memo.clear()
    assert redact_many(["a", text, "b"])[1] == redact(text)


def test_secret_split_over_two_strings_is_still_found_in_each() -> None:
    """A finding that spans the joint between two strings flags both; neither leaks its own part."""
    secret = SECRETS["github"]
    texts = [secret[:20], secret[20:], secret]
    out = redact_many(texts)
    assert out[2] != secret
    assert out[:2] == [redact(texts[0]), redact(texts[1])]


def test_redact_events_matches_the_per_string_functions() -> None:
    info = FileInfo("/x.jsonl", "claude", "s1")
    long_text = "x " * 9000 + SECRETS["openai"] + " y" * 9000
    tool_input = {
        "command": f"curl -H 'Authorization: Bearer {SECRETS['openai']}'",
        "content": long_text,
        "nested": [{"k": SECRETS["github"]}, 3, None, ("a", SECRETS["slack"])],
        "API_KEY=kq93Hf8s7Dj2Lx0Pz": 1,
    }
    events = [
        make_event(
            info,
            "tool_call",
            "agent",
            long_text,
            limit=4000,
            tool_name="Bash",
            tool_input=tool_input,
            cwd="/home/u/proj",
        ),
        make_event(info, "user_prompt", "user", f"use {SECRETS['anthropic']}", cwd="/home/u/proj"),
        make_event(info, "assistant_text", "agent", ""),
    ]
    redact_events(events)
    assert events[0].text == clip_redacted(long_text, 4000)
    assert events[0].tool_input == redact_obj(tool_input, 8000)
    assert events[0].tool_name == "Bash" and events[0].cwd == "/home/u/proj"
    assert events[1].text == redact(f"use {SECRETS['anthropic']}")
    assert events[2].text == ""
    flat = repr([e.text for e in events]) + repr(events[0].tool_input)
    for value in (SECRETS["openai"], SECRETS["github"], SECRETS["slack"], SECRETS["anthropic"], "kq93Hf8s7Dj2Lx0Pz"):
        assert value not in flat


def test_assignment_after_a_length_changing_lowercase_is_redacted() -> None:
    """`'İ'.lower()` is two characters long; the assignment after it must still be found."""
    assert "zzzzzzzz1234" not in redact("x \u0130 API_KEY=zzzzzzzz1234")


@pytest.mark.parametrize(
    "text, leaked",
    [
        ("remember the db password is Wq7!vR2#pL9xK4mZ", "Wq7!vR2#pL9xK4mZ"),
        ("my pw is hunter22", "hunter22"),
        ("passcode is 123456", "123456"),
    ],
)
def test_a_password_told_in_prose_is_redacted_on_both_paths(text: str, leaked: str) -> None:
    R._memo.clear()
    assert leaked not in redact(text)
    assert redact_many(["a", text])[1] == redact(text)


def test_a_sentence_about_passwords_stays_readable() -> None:
    assert redact("the password is stored in vault") == "the password is stored in vault"
