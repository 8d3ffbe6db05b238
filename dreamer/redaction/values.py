"""Whether a matched value is a credential, not code, a path or a placeholder (the rules' checks)."""

from __future__ import annotations

import base64
import binascii
import math
import re

PLACEHOLDER = re.compile(
    r"^(?:\$|\{|<|%|\*{3}|x{4}|X{4}|\.{3}|…|\[REDACTED|your[_-]|changeme|example|placeholder|redacted|"
    r"none$|null$|nil$|true$|false$|undefined$|secret$|password$|token$|string$|str$|env\b|file:|stdin$)",
    re.IGNORECASE,
)
"""Values that stand for a credential without being one ($VAR, <token>, ***, your_key, …)."""

_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\??\.[A-Za-z_][A-Za-z0-9_]*)+")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def _entropy(value: str) -> float:
    counts: dict[str, int] = {}
    for c in value:
        counts[c] = counts.get(c, 0) + 1
    n = len(value)
    return -sum(k / n * math.log2(k / n) for k in counts.values())


def path_like(value: str) -> bool:
    return value.startswith(("/", "~/", "./", "../", "\\")) or re.match(r"[A-Za-z]:[\\/]", value) is not None


def _code_like(value: str, literal: bool = False) -> bool:
    """An identifier, a call, a path or a slug rather than a credential (`templateCacheKey`, `a.b`, `/x/y`).

    A `literal` value (quoted, or assigned to an UPPER_CASE environment name) is data, not
    code: only paths, references and slugs are told apart from credentials then.
    """
    value = value.lstrip("*&!")
    if path_like(value):
        return True
    if _DOTTED.fullmatch(value) or "?." in value or "::" in value:
        return True
    if not literal and _IDENT.fullmatch(value):
        words = _WORDS.findall(value)
        alpha = [w for w in words if w.isalpha() and len(w) >= 3]
        digits = sum(c.isdigit() for c in value)
        if len(alpha) * 3 >= len(words) and (len(alpha) >= 3 or (len(alpha) >= 2 and digits <= 2)):
            return True
    parts = re.split(r"[-_.]", value)
    if len(parts) >= 2 and all(p.isalpha() for p in parts):  # Content-Security-Policy, read_only
        return True
    return len(parts) >= 4 and sum(p.isalpha() and len(p) >= 3 for p in parts) >= 2


def value_ok(value: str, password: bool = False, literal: bool = False) -> bool:
    """Whether an assigned value looks like a real credential, not code, a path or a placeholder."""
    if PLACEHOLDER.match(value) or value.startswith("[REDACTED") or not any(c.isalnum() for c in value):
        return False
    if value.isupper() and "_" in value:  # a reference to another variable
        return False
    if password:  # a password can be any word: only paths, calls and placeholders are not
        return len(value) >= 4 and not path_like(value) and not _DOTTED.fullmatch(value.lstrip("*&!"))
    has_digit = any(c.isdigit() for c in value)
    if not has_digit and len(value) < 16:
        return False
    return not _code_like(value, literal)


# --- checks of single rules ---------------------------------------------------------


def flag_value(m: re.Match[str], value: str) -> bool:
    return not value.startswith("-") and value_ok(value, password=True)


def secret_flag(m: re.Match[str], value: str) -> bool:
    name = (m.group("flag") or "").lower()
    password = any(w in name for w in ("pass", "pwd"))
    return not value.startswith("-") and value_ok(value, password=password)


def discord(m: re.Match[str], value: str) -> bool:
    """A Discord bot token's first part is the bot's numeric id in base64."""
    head = value.split(".", 1)[0]
    try:
        raw = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
    except (binascii.Error, ValueError):
        return False
    return raw.isdigit() and 15 <= len(raw) <= 21


def aws_shaped(m: re.Match[str], value: str) -> bool:
    """A bare 40-character AWS secret access key: random base64, not a path, hash or word run."""
    if value.count("/") > 3 or value.startswith("/"):
        return False
    upper = sum(c.isupper() for c in value)
    lower = sum(c.islower() for c in value)
    digits = sum(c.isdigit() for c in value)
    return upper >= 5 and lower >= 5 and digits >= 1 and _entropy(value) >= 4.3


_USERNAMES = frozenset(
    [
        "admin",
        "root",
        "administrator",
        "user",
        "test",
        "guest",
        "postgres",
        "sa",
        "ubuntu",
        "pi",
        "demo",
        "superuser",
        "sysadmin",
        "dev",
        "deploy",
        "ec2-user",
        "oracle",
        "elastic",
        "mysql",
        "redis",
        "rabbitmq",
        "grafana",
        "jenkins",
        "operator",
    ]
)
_LOGIN_CONTEXT = re.compile(
    r"(?i)\b(?:log ?in|logon|sign ?in|creds?|credentials?|user(?:name)?|account|passw(?:or)?d|pw|auth)\b"
)


def user_pass(m: re.Match[str], value: str) -> bool:
    """`admin / Summer2024!`: a known user name or login words just before, and a password-shaped value."""
    if not (re.search(r"[^A-Za-z0-9]", value) or (re.search(r"[A-Z]", value) and re.search(r"[a-z]", value))):
        return False
    if value.isdigit() or PLACEHOLDER.match(value):
        return False
    user = m.group(1)
    if user.lower() in _USERNAMES or "@" in user:
        return True
    before = m.string[max(0, m.start() - 60) : m.start()]
    return _LOGIN_CONTEXT.search(before) is not None


def basic_auth(m: re.Match[str], value: str) -> bool:
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=False)
    except (binascii.Error, ValueError):
        return False
    return b":" in raw and all(32 <= b < 127 for b in raw)


def hex_not_sid(m: re.Match[str], value: str) -> bool:
    return not m.string[max(0, m.start(1) - 2) : m.start(1)].upper().endswith(("AC", "SK"))
