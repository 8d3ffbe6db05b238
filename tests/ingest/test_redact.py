"""Redaction: every planted format is replaced, clean text is untouched, clipping keeps secrets out."""

from __future__ import annotations

import re

import pytest

from reverie.dreamer.redact import clip_redacted, contains_secret, redact, redact_obj
from tests.ingest.fixtures import SECRET_VALUES, SECRETS


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_each_format_is_redacted(name: str) -> None:
    text = f"before {SECRETS[name]} after"
    out = redact(text)
    assert SECRET_VALUES[name] not in out
    assert "[REDACTED:" in out
    assert out.startswith("before ")
    assert contains_secret(text) is not None


@pytest.mark.parametrize(
    "clean",
    [
        "def lookup(key): return table[key]",
        "API_KEY = os.environ['API_KEY']",
        "token = get_token(); max_tokens: 1000; primary_key: id",
        "sort_key=lambda x: x.name",
        "see https://example.com/docs?page=2 and git@github.com:org/repo.git",
        "uuid 0d3a8e6f-290f-4105-a327-a2496e5e2a83 sha 8cc42b0bd39d04e71e509d7d58e6782ab435329f",
        "",
    ],
)
def test_clean_text_is_untouched(clean: str) -> None:
    assert redact(clean) == clean
    assert contains_secret(clean) is None


def test_assignment_keeps_the_name() -> None:
    assert redact("MY_SERVICE_API_KEY=kq93Hf8s7Dj2Lx0Pz") == "MY_SERVICE_API_KEY=[REDACTED:secret-assignment]"
    assert redact('{"client_secret": "cs_8f7d6a5s4d3f2g1h"}') == '{"client_secret": "[REDACTED:secret-assignment]"}'


def test_url_credentials_keep_user_and_host() -> None:
    out = redact("postgres://admin:S3cr3tPassw0rd@db.internal:5432/app")
    assert re.fullmatch(r"postgres://admin:\[REDACTED:[a-z-]+\]@db\.internal:5432/app", out), out


def test_redact_obj_nested() -> None:
    obj = {"command": f"curl -H 'Authorization: Bearer {SECRETS['openai']}'", "env": [{"k": SECRETS["github"]}], "n": 3}
    out = redact_obj(obj)
    flat = repr(out)
    assert SECRETS["openai"] not in flat and SECRETS["github"] not in flat
    assert out["n"] == 3 and obj["env"][0]["k"] == SECRETS["github"]  # the input is not modified


def test_clip_redacted_secret_across_the_cut() -> None:
    """A secret straddling the head/tail cut point is recognised whole before cutting."""
    secret = SECRETS["github"]
    limit = 400
    for shift in range(-30, 30, 7):
        text = "x " * (limit // 4 + shift) + secret + " y" * 5000
        out = clip_redacted(text, limit)
        assert secret not in out
        for i in range(len(secret) - 12):
            assert secret[i : i + 12] not in out, (shift, i)
    tail_text = "y " * 5000 + secret + " z" * (limit // 4)
    out = clip_redacted(tail_text, limit)
    assert all(secret[i : i + 12] not in out for i in range(len(secret) - 12))


def test_private_key_cut_in_half_is_redacted() -> None:
    body = "\n".join("MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0g" for _ in range(200))
    key = f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----"
    out = clip_redacted("log: " + key + " done", 2000)
    assert "MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0g" not in out
