"""The one redactor against the attack corpus: every planted credential goes, every non-secret stays.

Also the clipping attack of issue 9: a long tool result is cut to a head and a
tail window; a cut must never separate a credential from the context that
identifies it (the old windows kept a bare AWS secret key once a PEM block
inside the tail had been redacted). And the names: a token in a transcript's
file name never reaches the sessions index.
"""

from __future__ import annotations

import pytest

from reverie.dreamer import redact as R
from reverie.dreamer.adapters.common import FileInfo, make_event, redact_events
from reverie.dreamer.redact import clip_redacted, contains_secret, redact, redact_many, redact_name, redact_obj
from tests.security.corpus import KINDS, NON_SECRETS, SECRETS, Secret


def test_the_corpus_is_big_enough() -> None:
    assert len(SECRETS) >= 100 and len(KINDS) >= 30


@pytest.mark.parametrize("secret", SECRETS, ids=[f"{s.kind}-{i}" for i, s in enumerate(SECRETS)])
def test_every_planted_secret_is_redacted_the_same_way_alone_and_in_a_batch(secret: Secret) -> None:
    R._memo.clear()
    alone = redact(secret.text)
    assert secret.value not in alone
    assert not [f for f in _fragments(secret.value, 8) if f in alone]
    assert "[REDACTED:" in alone
    assert contains_secret(secret.text) is not None
    batch = redact_many(["plain words", secret.text, f"prefix {secret.text} suffix"])
    assert batch[1] == alone
    assert secret.value not in batch[2]


@pytest.mark.parametrize("secret", SECRETS, ids=[f"{s.kind}-{i}" for i, s in enumerate(SECRETS)])
def test_redacting_twice_changes_nothing(secret: Secret) -> None:
    """Redacted text holds no credential: the last checks (critics, apply) never block on a marker."""
    once = redact(secret.text)
    assert redact(once) == once and contains_secret(once) is None
    assert redact_many(["a", once])[1] == once


def test_non_secrets_survive_and_the_false_positive_count_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    changed = [(t, redact(t)) for t in NON_SECRETS if redact(t) != t]
    batch_changed = [t for t, r in zip(NON_SECRETS, redact_many(NON_SECRETS), strict=True) if r != t]
    with capsys.disabled():
        print(
            f"\nredaction corpus: {len(SECRETS)} planted secrets of {len(KINDS)} kinds, all redacted; "
            f"false positives {len(changed)}/{len(NON_SECRETS)} realistic non-secrets"
        )
    assert changed == [] and batch_changed == []


@pytest.mark.parametrize(
    "text",
    ["sort -u names.txt", "git push -u origin main", "docker run -p 8080:80 app", "mysql -u root -p shop"],
)
def test_command_arguments_that_look_like_flags_are_kept(text: str) -> None:
    assert redact(text) == text


# --- clipping: redact before cutting -------------------------------------------------

_CONTEXT_KINDS = (
    "aws-secret-key",
    "password-prose",
    "mysql-p-attached",
    "user-pass-pair",
    "twilio-auth-token",
    "secret-assignment",
    "split-token",
    "base64-token",
    "redis-cli-a",
)
_PLANTS = [s for s in SECRETS if s.kind in _CONTEXT_KINDS]


def _fragments(value: str, n: int = 10) -> list[str]:
    return [value[i : i + n] for i in range(0, max(len(value) - n, 0) + 1, 3)]


@pytest.mark.parametrize("secret", _PLANTS, ids=[s.kind for s in _PLANTS])
def test_no_cut_separates_a_secret_from_its_context(secret: Secret) -> None:
    """Plant the secret at offsets sweeping both cuts of a clipped text: no fragment is ever kept."""
    limit = 4000
    half = limit // 2
    total = 20_000
    plant = f"\n{secret.text}\n"
    for cut in (half, total - half):  # the head cut, then where the tail window starts
        for offset in range(cut - len(plant) - R.CLIP_MARGIN - 40, cut + 40, 97):
            if offset < 0:
                continue
            text = ("x " * total)[:offset] + plant
            text += ("y " * total)[: total - len(text)]
            out = clip_redacted(text, limit)
            info = FileInfo("/t.jsonl", "claude", "s")
            ev = redact_events([make_event(info, "tool_result", "tool", text, limit=limit)])[0]
            for kept in (out, ev.text):
                leaked = [f for f in _fragments(secret.value) if f in kept]
                assert not leaked, (secret.kind, cut, offset, leaked[:2])


def _key_block(chars: int) -> str:
    import random

    rng = random.Random(7)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    lines = ["".join(rng.choice(alphabet) for _ in range(64)) for _ in range(chars // 65)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def test_the_issue_attack_a_redacted_key_block_no_longer_pulls_a_bare_aws_key_into_the_tail() -> None:
    """Issue 9: a PEM block redacted inside the tail window made the kept tail reach back into the margin,
    where a 40-character AWS secret key sat with its `aws_secret_access_key=` context cut off.
    (The windows before this change leaked the key at 3 of these 30 offsets.)"""
    aws = next(s for s in SECRETS if s.kind == "aws-secret-key")
    limit, margin = 4000, R.CLIP_MARGIN
    pem = _key_block(margin + margin // 2)  # its redaction shrinks the window by more than the margin
    for shift in range(-30, 30, 2):  # the value starts just before / after the tail window's first character
        filler = limit // 2 + margin - shift - len(aws.value) - len(pem) - 12
        text = "log line\n" * 3000 + f"aws_secret_access_key = {aws.value} done\n" + "w " * (filler // 2)
        text += "\n" + pem + "\nok\n"
        for out in (
            clip_redacted(text, limit),
            redact_events([make_event(FileInfo("/t", "claude", "s"), "tool_result", "tool", text, limit=limit)])[
                0
            ].text,
        ):
            assert all(f not in out for f in _fragments(aws.value)), shift


def test_clipped_tool_inputs_are_redacted_before_the_cut() -> None:
    secret = next(s for s in SECRETS if s.kind == "password-prose")
    value = "a" * 9000 + " " + secret.text + " " + "b" * 3000
    out = redact_obj({"content": value}, 8000)["content"]
    assert all(f not in out for f in _fragments(secret.value))


# --- names ------------------------------------------------------------------------------


def test_a_name_keeps_its_shape_and_stays_distinct_without_the_token() -> None:
    a, b = "ghp_" + "A1b2C3d4" * 5, "ghp_" + "Z9y8X7w6" * 5
    name_a, name_b = redact_name(f"/h/.claude/projects/x/{a}.jsonl"), redact_name(f"/h/.claude/projects/x/{b}.jsonl")
    assert a not in name_a and b not in name_b and name_a != name_b
    assert name_a.startswith("/h/.claude/projects/x/[REDACTED:") and name_a.endswith(".jsonl")
    assert redact_name("/h/.claude/projects/x/0d3a8e6f-290f-4105-a327-a2496e5e2a83.jsonl").endswith("2a83.jsonl")
