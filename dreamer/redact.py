"""The one redactor: every credential is replaced before anything is stored, shown, written or sent.

Everything that leaves a transcript or a proposal goes through here: event text,
tool inputs and outputs, session ids, transcript paths and file names, titles,
proposal bodies, the files apply writes (a last check, `contains_secret`) and
text sent to a model. No other module keeps secret rules.

Detection finds *spans* of the original text — our own rules (provider key
formats, ``*_KEY=``/``*_PASS=`` assignments, CLI password flags, passwords told
in prose, ``user / pass`` pairs, base64-encoded and line-split tokens, chat-bot
tokens, …) plus the kingfisher scanner (hundreds of maintained rules,
in-process, no network validation) — and each span is replaced by
``[REDACTED:<rule>]``. Spans are what make clipping safe: a long text is cut to
a head and a tail window, each redacted with a margin of context beyond the
cut, and only characters whose *original* position lies in the kept part are
kept (a span crossing the cut is kept whole, as its marker). A kept character
was therefore judged with at least `CLIP_MARGIN` characters of context on the
cut side, exactly as if the whole text had been redacted first.

Speed: a cheap prefilter (`_maybe_secret`) lets clean text skip everything, and
`redact_many` runs one kingfisher scan over a whole batch (maintained rules +
"gates", necessary conditions of our own rules), so only strings something
matched go through the exact per-string rules.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import functools
import hashlib
import itertools
import logging
import math
import os
import re
import string
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

Span = tuple[int, int, str]
"""(start, end, rule): characters [start, end) of a text are a credential found by `rule`."""

# --- value checks ---------------------------------------------------------------

_PLACEHOLDER = re.compile(
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


def _path_like(value: str) -> bool:
    return value.startswith(("/", "~/", "./", "../", "\\")) or re.match(r"[A-Za-z]:[\\/]", value) is not None


def _code_like(value: str, literal: bool = False) -> bool:
    """An identifier, a call, a path or a slug rather than a credential (`templateCacheKey`, `a.b`, `/x/y`).

    A `literal` value (quoted, or assigned to an UPPER_CASE environment name) is data, not
    code: only paths, references and slugs are told apart from credentials then.
    """
    value = value.lstrip("*&!")
    if _path_like(value):
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


def _value_ok(value: str, password: bool = False, literal: bool = False) -> bool:
    """Whether an assigned value looks like a real credential, not code, a path or a placeholder."""
    if _PLACEHOLDER.match(value) or value.startswith("[REDACTED") or not any(c.isalnum() for c in value):
        return False
    if value.isupper() and "_" in value:  # a reference to another variable
        return False
    if password:  # a password can be any word: only paths, calls and placeholders are not
        return len(value) >= 4 and not _path_like(value) and not _DOTTED.fullmatch(value.lstrip("*&!"))
    has_digit = any(c.isdigit() for c in value)
    if not has_digit and len(value) < 16:
        return False
    return not _code_like(value, literal)


# --- our own rules ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    """One detector. `groups`: the groups holding the value (the first that matched is the span);
    () means the whole match. `hints`: lower-case substrings one of which the text must hold
    (a necessary condition, so text without any skips the regex); () means always run.
    `gate`: the key of a `_GATES` pattern that is also a necessary condition, found within
    `_WINDOW` characters of every match (or anywhere, for the rules in `_WHOLE`)."""

    name: str
    gate: str
    """The `_GATES` entry whose hits tell the batch path where this rule can match."""
    pattern: re.Pattern[str]
    groups: tuple[int, ...] = ()
    hints: tuple[str, ...] = ()
    check: Callable[[re.Match[str], str], bool] | None = None


_Q = r"""(?:'([^'\n]{1,256})'|"([^"\n]{1,256})"|([^\s'"|;&<>()`]{1,256}))"""
"""A shell argument: single-quoted, double-quoted or bare (three groups)."""
_CMD = r"[^\n|;&]{0,200}?(?<=[\s])"
"""The rest of one simple command up to a flag (no pipe, list or newline in between)."""


def _flag_value(m: re.Match[str], value: str) -> bool:
    return not value.startswith("-") and _value_ok(value, password=True)


def _secret_flag(m: re.Match[str], value: str) -> bool:
    name = (m.group("flag") or "").lower()
    password = any(w in name for w in ("pass", "pwd"))
    return not value.startswith("-") and _value_ok(value, password=password)


def _discord(m: re.Match[str], value: str) -> bool:
    """A Discord bot token's first part is the bot's numeric id in base64."""
    head = value.split(".", 1)[0]
    try:
        raw = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
    except (binascii.Error, ValueError):
        return False
    return raw.isdigit() and 15 <= len(raw) <= 21


def _aws_shaped(m: re.Match[str], value: str) -> bool:
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


def _user_pass(m: re.Match[str], value: str) -> bool:
    """`admin / Summer2024!`: a known user name or login words just before, and a password-shaped value."""
    if not (re.search(r"[^A-Za-z0-9]", value) or (re.search(r"[A-Z]", value) and re.search(r"[a-z]", value))):
        return False
    if value.isdigit() or _PLACEHOLDER.match(value):
        return False
    user = m.group(1)
    if user.lower() in _USERNAMES or "@" in user:
        return True
    before = m.string[max(0, m.start() - 60) : m.start()]
    return _LOGIN_CONTEXT.search(before) is not None


def _basic_auth(m: re.Match[str], value: str) -> bool:
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=False)
    except (binascii.Error, ValueError):
        return False
    return b":" in raw and all(32 <= b < 127 for b in raw)


def _hex_not_sid(m: re.Match[str], value: str) -> bool:
    return not m.string[max(0, m.start(1) - 2) : m.start(1)].upper().endswith(("AC", "SK"))


_RULES: tuple[_Rule, ...] = (
    _Rule(
        "private-key",
        "pk",
        re.compile(
            r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,12000}?"
            r"(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|(?=\Z))"
        ),
        hints=("private key",),
    ),
    # the tail of a key block whose BEGIN line is out of sight (a clipped window)
    _Rule(
        "private-key",
        "pk",
        re.compile(
            r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/=][A-Za-z0-9+/=\r\n\\]{39,12000}-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
        ),
        hints=("private key",),
    ),
    # the body of a PEM block with neither marker in sight: several 64-column base64 lines
    _Rule(
        "pem-body",
        "pem",
        re.compile(r"(?:(?<=\n)|\A)(?:[A-Za-z0-9+/]{64}(?:\r?\n|\\n)){3,}[A-Za-z0-9+/=]{0,64}"),
    ),
    _Rule("anthropic-key", "sk", re.compile(r"sk-ant-[A-Za-z0-9_\-]{16,}"), hints=("sk-ant-",)),
    _Rule(
        "openai-key",
        "sk",
        re.compile(r"(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}"),
        hints=("sk-",),
    ),
    _Rule(
        "stripe-key", "stripe", re.compile(r"(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}"), hints=("_live_", "_test_")
    ),
    _Rule(
        "aws-access-key-id",
        "akia",
        re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}(?![A-Z0-9])"),
        hints=("akia", "asia", "abia", "acca", "agpa", "aida", "aroa", "anpa"),
    ),
    _Rule(
        "aws-secret-key",
        "aws",
        re.compile(
            r"(?i)(aws_?secret_?access_?key|aws_?secret|secretaccesskey)([\"']?\s*[=:]\s*[\"']?)"
            r"([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
        ),
        groups=(3,),
        hints=("aws", "secretaccesskey"),
    ),
    # a secret access key printed next to its key id (credentials.csv, `aws iam create-access-key`)
    _Rule(
        "aws-secret-key",
        "akia",
        re.compile(
            r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])[^\n]{0,120}?"
            r"(?<![A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
        groups=(1,),
        hints=("akia", "asia"),
        check=_aws_shaped,
    ),
    _Rule(
        "github-token",
        "gh",
        re.compile(r"(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{30,}"),
        hints=("ghp_", "gho_", "ghs_", "ghu_", "ghr_"),
    ),
    _Rule("github-pat", "ghpat", re.compile(r"github_pat_[A-Za-z0-9_]{22,}"), hints=("github_pat_",)),
    _Rule("gitlab-token", "glpat", re.compile(r"glpat-[A-Za-z0-9_\-]{20,}"), hints=("glpat-",)),
    _Rule("slack-token", "slack", re.compile(r"xox[abposre]-[A-Za-z0-9-]{10,}"), hints=("xox",)),
    _Rule("slack-app-token", "slack", re.compile(r"xapp-\d-[A-Za-z0-9-]{10,}"), hints=("xapp-",)),
    _Rule(
        "slack-webhook",
        "slackhook",
        re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{20,}"),
        hints=("hooks.slack.com",),
    ),
    _Rule(
        "discord-webhook",
        "discord",
        re.compile(r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]{20,}"),
        hints=("discord",),
    ),
    _Rule(
        "discord-bot-token",
        "discordbot",
        re.compile(
            r"(?<![A-Za-z0-9_-])[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,40}(?![A-Za-z0-9_-])"
        ),
        check=_discord,
    ),
    _Rule(
        "telegram-bot-token",
        "telegram",
        re.compile(r"(?<![0-9])[0-9]{8,10}:AA[A-Za-z0-9_-]{32,33}(?![A-Za-z0-9_-])"),
        hints=(":aa",),
    ),
    _Rule(
        "twilio-auth-token",
        "twilio",
        re.compile(r"(?i)(?:twilio|auth[_ -]?token|authtoken)[^\n]{0,80}?(?<![0-9a-f])([0-9a-f]{32})(?![0-9a-f])"),
        groups=(1,),
        hints=("twilio", "auth", "authtoken"),
        check=_hex_not_sid,
    ),
    _Rule(
        "twilio-auth-token",
        "sid",
        re.compile(r"\b(?:AC|SK)[0-9a-f]{32}\b[^\n]{0,120}?(?<![0-9a-fA-Z])([0-9a-f]{32})(?![0-9a-f])"),
        groups=(1,),
        hints=("ac", "sk"),
        check=_hex_not_sid,
    ),
    _Rule("google-api-key", "aiza", re.compile(r"AIza[0-9A-Za-z_\-]{35}"), hints=("aiza",)),
    _Rule("jwt", "eyj", re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), hints=("eyj",)),
    _Rule(
        "provider-token",
        "provider",
        re.compile(
            r"(?<![A-Za-z0-9_-])(?:"
            r"npm_[A-Za-z0-9]{36}|pypi-AgE[A-Za-z0-9_-]{50,}|hf_[A-Za-z0-9]{30,}|"
            r"SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{30,64}|key-[0-9a-f]{32}|"
            r"shp(?:at|ca|pa|ss)_[A-Fa-f0-9]{32}|do[por]_v1_[a-f0-9]{64}|AGE-SECRET-KEY-1[0-9A-Z]{50,}|"
            r"hvs\.[A-Za-z0-9_-]{24,}|dapi[0-9a-f]{32}|lin_api_[A-Za-z0-9]{40}|glsa_[A-Za-z0-9]{32}_[a-f0-9]{8}|"
            r"sq0(?:atp|csp)-[A-Za-z0-9_-]{22,43}|dp\.pt\.[A-Za-z0-9]{40,}|pul-[a-f0-9]{40}|ATATT3[A-Za-z0-9_=-]{60,}"
            r")"
        ),
        hints=(
            "npm_",
            "pypi-",
            "hf_",
            "sg.",
            "key-",
            "shp",
            "_v1_",
            "age-secret-key",
            "hvs.",
            "dapi",
            "lin_api_",
            "glsa_",
            "sq0",
            "dp.pt.",
            "pul-",
            "atatt3",
        ),
    ),
    _Rule(
        "bearer-token",
        "bearer",
        re.compile(r"(?i)(bearer\s+)([A-Za-z0-9._~+/=-]{20,})"),
        groups=(2,),
        hints=("bearer",),
    ),
    _Rule(
        "basic-auth",
        "basic",
        re.compile(r"(?i)\bbasic\s+([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])"),
        groups=(1,),
        hints=("basic",),
        check=_basic_auth,
    ),
    _Rule(
        "authorization-header",
        "authz",
        re.compile(
            r"(?i)\b(?:authorization|x-api-key|api-key|x-auth-token)[\"']?\s*[:=]\s*[\"']?(?:token\s+)?([^\s\"'`,;]{12,})"
        ),
        groups=(1,),
        hints=("authorization", "api-key", "auth-token"),
        check=lambda m, v: _value_ok(v) and v.lower() not in ("bearer", "basic"),
    ),
    _Rule(
        "url-credentials",
        "url",
        # the password runs to the last `@` before the host (people do leave an `@` unencoded in one)
        re.compile(
            r"([a-zA-Z][a-zA-Z0-9+.\-]{1,20}://)([^\s:/@\"'<>`]{0,128}):([^\s/\"'<>`]{1,256}?)@"
            r"(?=[^\s@/\"'<>`]*(?:[\s/:?#\"'<>`]|$))"
        ),
        groups=(3,),
        hints=("://",),
    ),
    # --- passwords on command lines ---
    _Rule(
        "mysql-password",
        "mysql",
        re.compile(
            r"(?i)\b(?:mysql\w*|mariadb[\w-]*|mydumper|myloader)\b" + _CMD + r"(?-i:-p|--password=)" + _Q,
        ),
        groups=(1, 2, 3),
        hints=("mysql", "mariadb", "mydumper", "myloader"),
        check=_flag_value,
    ),
    _Rule(
        "sshpass-password",
        "sshpass",
        re.compile(r"\bsshpass\b" + _CMD + r"-p[ \t]*" + _Q),
        groups=(1, 2, 3),
        hints=("sshpass",),
        check=_flag_value,
    ),
    _Rule(
        "redis-password",
        "redis",
        re.compile(r"\bredis-cli\b" + _CMD + r"(?:-a|--pass|--askpass)[ \t]+" + _Q),
        groups=(1, 2, 3),
        hints=("redis-cli",),
        check=_flag_value,
    ),
    _Rule(
        "registry-password",
        "login",
        re.compile(
            r"\b(?:docker|podman|helm|buildah|skopeo|oras|nerdctl|crane|cf|heroku|az acr)\b[^\n|;&]{0,80}?\blogin\b"
            + _CMD
            + r"(?:-p|--password)[ \t=]+"
            + _Q
        ),
        groups=(1, 2, 3),
        hints=("login",),
        check=_flag_value,
    ),
    _Rule(
        "cli-password",
        "cli",
        re.compile(
            r"\b(?:mongo(?:sh|dump|restore|import|export)?|sqlcmd|bcp|ldap\w+|7z|7za|smbclient|"
            r"openssl|keytool|jarsigner|vsql)\b"
            + _CMD
            + r"(?:-p|-P|-w|-k|-storepass|-keypass|-srcstorepass|-deststorepass)[ \t]*"
            + _Q
        ),
        groups=(1, 2, 3),
        hints=("mongo", "sqlcmd", "bcp", "ldap", "7z", "smbclient", "openssl", "keytool", "jarsigner", "vsql"),
        check=lambda m, v: _flag_value(m, v) and not v.isdigit(),
    ),
    _Rule(
        "cli-password",
        "zip",
        re.compile(r"\b(?:un)?zip(?:[ \t]+-[A-Za-z]+)*[ \t]+-P[ \t]*" + _Q),
        groups=(1, 2, 3),
        hints=("zip",),
        check=_flag_value,
    ),
    _Rule(
        "cli-password",
        "passcolon",
        re.compile(r"(?<![\w-])(?:pass|env|file):([^\s'\"|;&]{3,256})"),
        groups=(1,),
        hints=("pass:",),
        check=lambda m, v: m.group(0).startswith("pass:") and _flag_value(m, v),
    ),
    _Rule(
        "cli-password",
        "curl",
        re.compile(
            r"\b(?:curl|wget|http|httpie|xh)\b" + _CMD + r"(?:-u|--user)[ \t]*['\"]?[^\s:'\"]{1,64}:([^\s'\"@]{3,256})"
        ),
        groups=(1,),
        hints=("curl", "wget", "http", "xh"),
        check=_flag_value,
    ),
    _Rule(
        "cli-password",
        "cli",
        re.compile(r"\bsmbclient\b" + _CMD + r"-U[ \t]*['\"]?[^\s%'\"]{1,64}%([^\s'\"]{3,256})"),
        groups=(1,),
        hints=("smbclient",),
        check=_flag_value,
    ),
    _Rule(
        "secret-flag",
        "flag",
        re.compile(
            r"(?<![\w-])--(?!no-)(?P<flag>(?:[A-Za-z0-9]+[-_])*(?:password|passwd|pass|passphrase|secret|token|"
            r"api[-_]?key|access[-_]?key|secret[-_]?key|auth[-_]?token|client[-_]?secret))(?:=|[ \t]+)" + _Q
        ),
        groups=(2, 3, 4),
        hints=("--",),
        check=_secret_flag,
    ),
    # --- passwords told in prose or as pairs ---
    # "the root password for staging is Qw9!…", "set the db password to …", "my pw is …": the value
    # must hold a digit or a symbol, so "the password is stored in vault" stays readable
    _Rule(
        "password-phrase",
        "pw",
        re.compile(
            r"(?i)\b(?:pass(?:word|phrase|wd|code)s?|pwd|pw)\b"
            r"(?:[ \t]+(?!is\b|was\b|are\b|to\b)[\w.@'’/-]{1,30}){0,5}?"
            r"[ \t]*(?:\bis\b|\bwas\b|\bare\b|\bto\b|\bof\b|=|:)[ \t]+(?:now[ \t]+|still[ \t]+)?[\"'`]?"
            r"(?=[^\s\"'`]*[0-9!@#$%^&*])([^\s\"'`]{6,128}?)[\"'`.,;)]*(?=\s|$)"
        ),
        groups=(1,),
        hints=("pass", "pwd", "pw"),
        check=lambda m, v: not _PLACEHOLDER.match(v) and not _path_like(v) and not v.startswith("http"),
    ),
    _Rule(
        "password-phrase",
        "pw",
        re.compile(
            r"(?i)\b(?:user(?:name)?|login|account)\b[\s:=]+[^\s,;]{1,64}[\s,;]+(?:and[ \t]+)?"
            r"(?:password|passwd|pwd|pw)\b[\s:=]+[\"'`]?([^\s\"'`,;]{4,128})"
        ),
        groups=(1,),
        hints=("user", "login", "account"),
        check=lambda m, v: _value_ok(v, password=True),
    ),
    _Rule(
        "netrc-password",
        "netrc",
        re.compile(r"(?i)\bmachine\s+\S+\s+(?:login|user)\s+\S+\s+password\s+(\S+)"),
        groups=(1,),
        hints=("machine",),
    ),
    _Rule(
        "user-password-pair",
        "slash",
        re.compile(r"(?<![\w/.@-])([A-Za-z][\w.@+-]{1,63})[ \t]+/[ \t]+([^\s/,;()\[\]]{6,128}?)[.,;)]?(?=\s|$)"),
        groups=(2,),
        hints=(" / ",),
        check=_user_pass,
    ),
    _Rule(
        "user-password-pair",
        "logincolon",
        re.compile(
            r"(?i)\b(?:log ?in|logon|sign ?in|creds?|credentials?|account)[\s:=][^\n]{0,30}?(?<![\w.@+-])"
            r"([A-Za-z][\w.@+-]{1,63}):((?=[^\s]*\d)[^\s:@/]{6,128})(?=\s|$|[,;)])"
        ),
        groups=(2,),
        hints=("login", "log in", "logon", "sign", "cred", "account"),
        check=lambda m, v: not _PLACEHOLDER.match(v) and not v.isdigit(),
    ),
)

_ASSIGN_NAMES: tuple[str, ...] = (
    "key",
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "pass",
    "auth",
    "_pat",
    "credential",
    "credentials",
)
"""Endings of a variable name that holds a credential (FOO_API_KEY, db_password, DB_PASS, …)."""
_PASSWORD_NAMES = frozenset({"password", "passwd"})
"""Names whose value is a password whatever it looks like (not `pass`: `--- PASS: TestFoo`; not `pwd`:
the working directory)."""
_LOOSE_NAMES = frozenset({"pass", "auth"})
"""Names that end ordinary words too (bypass, oauth): only after a non-lower-case letter (DB_PASS, TWILIO_AUTH)."""
_ASSIGN_TAIL = re.compile(r"""(["']?[ \t]*(?:=|:=|:)[ \t]*["']?)([^\s"'`,;()\[\]{}<>]{4,})""")
"""After the name: `=`, `:` or `:=` (env, YAML, JSON, code), then the value."""
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_")


def _assignment_at(text: str, name: str, pos: int, out: list[Span]) -> None:
    """The assignment whose (lower-case) variable name ending `name` starts at `pos`, if any."""
    if name in _LOOSE_NAMES and pos > 0 and text[pos - 1].islower():
        return
    m = _ASSIGN_TAIL.match(text, pos + len(name))
    if m is None:
        return
    value = m.group(2)
    if text[m.end(2) : m.end(2) + 1] == "(" or value.startswith("-"):  # a call, a flag
        return
    start = pos
    while start > 0 and text[start - 1] in _NAME_CHARS:
        start -= 1
    full = text[start : pos + len(name)]
    separator = m.group(1)
    if full.lower() == "pass" and "=" not in separator:  # `--- PASS: TestLogin`, `PASS: 12`
        return
    literal = any(q in separator for q in "\"'") or (full.isupper() and "=" in separator)
    password = name in _PASSWORD_NAMES
    if (password or len(value) >= 6) and _value_ok(value, password=password, literal=literal):
        out.append((m.start(2), m.end(2), "secret-assignment"))


def _assignment_spans(text: str, low: str, out: list[Span]) -> None:
    """Values of ``*_KEY=``/``*_TOKEN:``/``"password": "…"`` style assignments.

    Finds each name ending with str.find (fast) and matches the rest anchored
    there, instead of scanning every position with a case-insensitive regex.
    """
    for name in _ASSIGN_NAMES:
        pos = low.find(name)
        while pos != -1:
            _assignment_at(text, name, pos, out)
            pos = low.find(name, pos + len(name))


# --- tokens split over lines, and encoded in base64 --------------------------------------

_SPLIT_PREFIXES: dict[str, int] = {
    "ghp_": 36,
    "gho_": 36,
    "ghs_": 36,
    "ghu_": 36,
    "ghr_": 36,
    "github_pat_": 82,
    "glpat-": 20,
    "sk-ant-": 95,
    "sk-proj-": 148,
    "xoxb-": 50,
    "xoxp-": 60,
    "AKIA": 16,
    "ASIA": 16,
    "AIza": 35,
    "hf_": 34,
    "npm_": 36,
}
"""Token prefixes and the length of what follows them in a whole token."""
_SPLIT = re.compile(
    r"(?:" + "|".join(re.escape(p) for p in _SPLIT_PREFIXES) + r")[A-Za-z0-9_\-]*"
    r"(?:(?:\\?\r?\n[ \t>#*/|+\"']*|\\n|[\"'][ \t]*\+[ \t]*\\?\r?\n?[ \t]*[\"'])[A-Za-z0-9_\-]+){1,4}"
)
_SPLIT_SEP = re.compile(r"\\?\r?\n[ \t>#*/|+\"']*|\\n|[\"'][ \t]*\+[ \t]*\\?\r?\n?[ \t]*[\"']")


def _split_spans(text: str, out: list[Span], lo: int = 0, hi: int | None = None) -> None:
    """A token broken over lines (or `"…" + "…"` pieces): the first piece is too short to be whole."""
    for m in _SPLIT.finditer(text, lo, len(text) if hi is None else hi):
        whole = m.group(0)
        prefix = next(p for p in _SPLIT_PREFIXES if whole.startswith(p))
        need = _SPLIT_PREFIXES[prefix]
        pieces = []
        pos = 0
        for sep in _SPLIT_SEP.finditer(whole):
            pieces.append((pos, sep.start()))
            pos = sep.end()
        pieces.append((pos, len(whole)))
        have = pieces[0][1] - pieces[0][0] - len(prefix)
        if have >= need:
            continue
        end = pieces[0][1]
        for start, stop in pieces[1:]:
            have += stop - start
            end = stop
            if have >= need:
                break
        if have >= min(need, 16):
            out.append((m.start(), m.start() + end, "split-token"))


def _b64_fragments(prefix: bytes) -> set[str]:
    """The base64 characters fixed by `prefix` at each of the three byte alignments."""
    out = set()
    for align in range(3):
        lo, hi = -(-8 * align // 6), (8 * align + 8 * len(prefix)) // 6
        enc = base64.b64encode(b"\0" * align + prefix + b"\0\0\0").decode()[lo:hi]
        if len(enc) >= 4:
            out.add(enc)
            out.add(enc.replace("+", "-").replace("/", "_"))
    return out


_B64_PREFIXES = (
    b"ghp_",
    b"gho_",
    b"ghs_",
    b"github_pat_",
    b"glpat-",
    b"sk-ant-",
    b"sk-proj-",
    b"sk_live_",
    b"xoxb-",
    b"xoxp-",
    b"AKIA",
    b"AIza",
    b"npm_",
    b"hf_",
    b"PRIVATE KEY",
    b"password",
    b"PASSWORD",
    b"Password",
    b"secret",
    b"SECRET",
    b"token",
    b"TOKEN",
    b"_KEY",
    b"://",
)
_B64_HINTS: tuple[str, ...] = tuple(sorted({f for p in _B64_PREFIXES for f in _b64_fragments(p)}))
"""Text without any of these cannot hold one of `_B64_PREFIXES` in base64."""
_B64_HINTS_LOW = tuple(sorted({h.lower() for h in _B64_HINTS}))
_B64_RUN = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_-]{20,8192}={0,2}(?![A-Za-z0-9+/_=-])")


def _decode_b64(run: str) -> str | None:
    raw_run = run.rstrip("=")
    alphabet = base64.urlsafe_b64decode if ("-" in raw_run or "_" in raw_run) else base64.b64decode
    if "-" in raw_run and ("+" in raw_run or "/" in raw_run):
        return None
    for cut in range(0, 3):  # the run may start mid-group when it was cut out of a longer one
        body = raw_run[cut:]
        try:
            raw = alphabet(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        printable = sum(c.isprintable() or c in "\r\n\t" for c in text)
        if text and printable >= 0.9 * len(text):
            return text
    return None


def _base64_spans(text: str, out: list[Span], lo: int = 0, hi: int | None = None) -> None:
    """A base64 run whose decoded text holds a credential is redacted whole (`base64-<rule>`)."""
    for m in _B64_RUN.finditer(text, lo, len(text) if hi is None else hi):
        run = m.group(0)
        if not any(h in run for h in _B64_HINTS):
            continue
        decoded = _decode_b64(run)
        if decoded is None:
            continue
        inner: list[Span] = []
        _rule_spans(decoded, inner, nested=True)
        if inner:
            out.append((m.start(), m.end(), "base64-" + inner[0][2]))


def _rule_matches(rule: _Rule, text: str, out: list[Span], lo: int = 0, hi: int | None = None) -> int:
    """Spans of `rule` in `text[lo:hi]` (context before `lo` visible); returns the furthest match end."""
    reach = 0
    for m in rule.pattern.finditer(text, lo, len(text) if hi is None else hi):
        reach = m.end()
        if rule.groups:
            group = next((g for g in rule.groups if m.group(g) is not None), 0)
            if not group:
                continue
            value = m.group(group)
            if _PLACEHOLDER.match(value) or value.startswith("[REDACTED"):
                continue
            start, end = m.span(group)
        else:
            value = m.group(0)
            start, end = m.span()
        if rule.check is not None and not rule.check(m, value):
            continue
        out.append((start, end, rule.name))
    return reach


def _rule_spans(text: str, out: list[Span], nested: bool = False) -> None:
    """Every span our own rules find in `text` (the exact pass over the whole string)."""
    low = text.lower()
    if len(low) != len(text):
        # str.lower() can change lengths (dotted İ → i̇), which would shift offsets; the names are ASCII
        low = text.translate(_ASCII_LOWER)
    for rule in _RULES:
        if rule.hints and not any(h in low for h in rule.hints):
            continue
        _rule_matches(rule, text, out)
    _assignment_spans(text, low, out)
    if not nested:
        _split_spans(text, out)
        if any(h in text for h in _B64_HINTS):
            _base64_spans(text, out)


def _windows(hits: list[tuple[int, int]], size: int, length: int) -> list[tuple[int, int]]:
    """The ranges within `size` characters of each hit, merged."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(hits):
        lo, hi = max(0, start - size), min(length, end + size)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _gated_spans(text: str, hits: dict[str, list[tuple[int, int]]], out: list[Span]) -> None:
    """`_rule_spans` restricted to the rules whose gate hit `text`, each run only near its hits.

    A match that reaches the end of its window is looked for again up to the end
    of the text, so a window never cuts a value short.
    """
    n = len(text)
    for rule in _RULES:
        where = hits.get(rule.gate)
        if not where:
            continue
        if rule.gate in _WHOLE:
            _rule_matches(rule, text, out)
            continue
        for lo, hi in _windows(where, _WINDOW, n):
            if _rule_matches(rule, text, out, lo, hi) >= hi and hi < n:
                _rule_matches(rule, text, out, lo)
    for start, end in hits.get("assign", ()):
        name = text[start:end].lower()
        name = next((x for x in _ASSIGN_NAMES if name == x), name)
        _assignment_at(text, name, start, out)
    for lo, hi in _windows(hits.get("split", []), _WINDOW, n):
        _split_spans(text, out, lo, hi)
    for lo, hi in _windows(hits.get("b64", []), _WIDE["b64"], n):
        _base64_spans(text, out, lo, hi)


# --- the cheap prefilter -------------------------------------------------------------

_HINTS: tuple[str, ...] = tuple(
    sorted(
        {h for r in _RULES for h in r.hints}
        | set(_ASSIGN_NAMES)
        | {p.lower() for p in _SPLIT_PREFIXES}
        | set(_B64_HINTS_LOW)
        | {
            # kingfisher rules we care about
            "auth",
            "credential",
            "private",
            "sk_",
            "rk_",
            "pk_",
            "glpat",
            "slack",
            "begin",
            "shpat_",
            "dop_v1",
            "eaa",
            "api",
        }
    )
)
"""Lower-case substrings every rule with hints needs; most text has none of them."""
_NO_HINT = re.compile(
    r"[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]{6}\.|"  # discord bot token
    r"[A-Za-z0-9+/]{64}(?:\r?\n|\\n)"  # pem body line
)
"""Necessary conditions of the rules without hints."""


def _maybe_secret(text: str) -> bool:
    """The cheap prefilter: plain substring tests (C speed) on the lower-cased text, then one regex."""
    low = text.lower()
    for hint in _HINTS:
        if hint in low:
            return True
    return _NO_HINT.search(text) is not None


# --- spans → text ---------------------------------------------------------------------


def _merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, overlapping spans joined (the first one's rule names the union)."""
    out: list[Span] = []
    for start, end, rule in sorted(spans, key=lambda s: (s[0], -s[1])):
        if end <= start:
            continue
        if out and start < out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end, out[-1][2])
            continue
        out.append((start, end, rule))
    return out


def _marker(rule: str) -> str:
    return f"[REDACTED:{rule}]"


def apply_spans(text: str, spans: list[Span], lo: int = 0, hi: int | None = None) -> str:
    """`text[lo:hi]` with every span replaced by its marker; a span crossing `lo` or `hi` is kept whole."""
    if not spans and not lo and hi is None:
        return text
    hi = len(text) if hi is None else hi
    out: list[str] = []
    pos = lo
    for start, end, rule in spans:
        if end <= lo or start >= hi:
            continue
        if start > pos:
            out.append(text[pos:start])
        out.append(_marker(rule))
        pos = max(pos, end)
    if pos < hi:
        out.append(text[pos:hi])
    return "".join(out)


# --- kingfisher ---------------------------------------------------------------

_scanner: Any = None
_scanner_failed = False
_lock = threading.Lock()


def _kingfisher() -> Any:
    """The process-wide kingfisher scanner, built on first use (rule compile is slow, then cached)."""
    global _scanner, _scanner_failed
    if _scanner is not None or _scanner_failed:
        return _scanner
    with _lock:
        if _scanner is not None or _scanner_failed:
            return _scanner
        try:
            from kingfisher_sdk import Rules, Scanner

            cache_dir = os.environ.get("REVERIE_KINGFISHER_CACHE") or None
            if cache_dir:
                os.makedirs(cache_dir, mode=0o700, exist_ok=True)
            rules = Rules(cache_dir=cache_dir)
            _scanner = Scanner(rules, base64=False)
        except Exception as err:  # never fatal: our own rules still run
            log.warning("kingfisher secret scanner unavailable (%s); using built-in rules only", err)
            _scanner_failed = True
    return _scanner


def _kingfisher_spans(text: str, out: list[Span]) -> None:
    scanner = _kingfisher()
    if scanner is None:
        return
    data = text.encode("utf-8", "surrogatepass")
    try:
        findings = scanner.scan(data)
    except Exception as err:
        log.warning("kingfisher scan failed (%s); built-in rules only for this text", err)
        return
    ascii_only = len(data) == len(text)
    for f in findings:
        if not f.visible:
            continue
        loc = f.location
        start, end = int(loc["start_offset"]), int(loc["end_offset"])
        secret = (f.secret or "").encode("utf-8", "surrogatepass")
        if secret and len(secret) >= 4 and secret in data[start:end]:
            start += data[start:end].index(secret)
            end = start + len(secret)
        if not ascii_only:  # byte offsets → character offsets
            start, end = len(data[:start].decode("utf-8", "ignore")), len(data[:end].decode("utf-8", "ignore"))
        rule = f.rule_id.split(".", 1)[-1].split("/")[-1]
        out.append((start, end, rule))


_MARKER_TEXT = re.compile(r"\[REDACTED:[^\]\n]{1,80}\]")


def _outside_markers(text: str, spans: list[Span]) -> list[Span]:
    """`spans` without those lying inside a redaction marker: redacting redacted text changes nothing
    (kingfisher reads `mysql://app:[REDACTED:url-credentials]@db` as a URL with a password)."""
    if "[REDACTED:" not in text or not spans:
        return spans
    markers = [m.span() for m in _MARKER_TEXT.finditer(text)]
    return [s for s in spans if not any(a <= s[0] and s[1] <= b for a, b in markers)]


def _spans(text: str) -> list[Span]:
    """Every credential span in `text` (ours + kingfisher), merged; exact, per string."""
    found: list[Span] = []
    _rule_spans(text, found)
    _kingfisher_spans(text, found)
    return _merge(_outside_markers(text, found))


# --- batches: one scan for many strings ---------------------------------------


# Kingfisher rules that mark where one of OUR rules could match. Each pattern is a
# necessary condition of the rules that name it as their `gate`, found within
# `_WINDOW` characters of each of their matches, so the exact per-string pass runs
# each rule only around its own gate's hits. The capture is a fixed literal (≥ 3
# characters), so kingfisher's own secret filters never drop a gate hit
# (tests/ingest/test_redact_batch.py checks every rule against its gate).
def _each(words: Iterable[str], flags: str = "", after: str = "") -> tuple[str, ...]:
    """One gate pattern per alternative: kingfisher runs ten literal rules ~3x faster than one
    rule alternating between them (the `assign` gate alone took 0.16 s of 0.24 s over 32 MB)."""
    return tuple(f"{flags}({w}){after}" for w in words)


_GATES: dict[str, tuple[str, ...]] = {
    "pk": (r"(?i)(PRIVATE KEY)",),
    "pem": (r"([A-Za-z0-9+/]{64})(?:\r?\n|\\n)",),
    "sk": (r"(sk-)",),
    "stripe": (r"((?:sk|rk|pk)_(?:live|test)_)",),
    "akia": _each(("AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "ANPA")),
    "aws": _each(("aws_?secret", "secretaccesskey"), "(?i)"),
    "gh": (r"((?:ghp|gho|ghs|ghu|ghr)_)",),
    "ghpat": (r"(github_pat_)",),
    "glpat": (r"(glpat-)",),
    "slack": _each(("xox[abposre]-", "xapp-")),
    "slackhook": (r"(hooks\.slack\.com/)",),
    "discord": (r"(?i)(discord)",),
    "discordbot": (r"([A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]{6}\.)",),
    "telegram": (r"(:AA)",),
    "twilio": _each(("twilio", "auth[_ -]?token"), "(?i)"),
    "sid": (r"((?:AC|SK)[0-9a-f]{32})",),
    "aiza": (r"(AIza)",),
    "eyj": (r"(eyJ)",),
    "provider": _each(
        (
            "npm_",
            "pypi-",
            "hf_",
            r"SG\.",
            "key-",
            "shp",
            "_v1_",
            "AGE-SECRET-KEY",
            r"hvs\.",
            "dapi",
            "lin_api_",
            "glsa_",
            "sq0",
            r"dp\.pt\.",
            "pul-",
            "ATATT3",
        )
    ),
    "bearer": (r"(?i)(bearer)",),
    "basic": (r"(?i)(basic)",),
    "authz": _each(("authorization", "api-key", "auth-token"), "(?i)"),
    "url": (r"(://)[^/@]*@",),
    "mysql": _each(("mysql", "mariadb", "mydumper", "myloader"), "(?i)"),
    "sshpass": (r"(sshpass)",),
    "redis": (r"(redis-cli)",),
    "login": (r"(login)",),
    "cli": _each(
        ("mongo", "sqlcmd", "bcp", "ldap", "7za", r"7z[ \t]", "smbclient", "openssl", "keytool", "jarsigner", "vsql")
    ),
    "zip": (r"((?:un)?zip[ \t]+-)",),
    "passcolon": (r"(pass:)",),
    "curl": _each(("curl", "wget", r"http[ \t]", "httpie", r"xh[ \t]")),
    "flag": (r"(?i)(--[A-Za-z0-9_-]*(?:pass|pwd|secret|token|key))",),
    "pw": _each(("pass(?:word|phrase|wd|code)", "pwd", r"pw[\s:=]"), "(?i)"),
    "netrc": (r"(?i)(machine)",),
    "slash": (r"([ \t]/[ \t])",),
    "logincolon": _each(("log ?in", "logon", "sign ?in", "creds?", "credentials?", "account"), "(?i)", r"[\s:=]"),
    "assign": _each(
        ("key", "token", "secret", "password", "passwd", "pwd", "pass", "auth", "_pat", "credentials?"),
        "(?i)",
        r"""["']?[ \t]*[=:]""",
    ),
    "split": _each(re.escape(p) for p in _SPLIT_PREFIXES),
    "b64": _each(re.escape(h) for h in _B64_HINTS),
}
_WINDOW = 512
"""How far from a gate hit a match of its rules can reach, either way (`_CMD` + a flag + a value)."""
_WIDE = {"b64": 8192 + 64}
"""Gates whose rules reach further: a base64 run is up to 8192 characters."""
_WHOLE = frozenset({"pk", "pem"})
"""Gates whose rules run over the whole string (a key block is up to 12,000 characters)."""
_FOLDING = ("\u0130", "\u0131", "\u017f", "\u212a")
"""Characters whose case folding is ASCII or changes the length (dotted I, dotless i, long s,
Kelvin sign): `str.lower` and `(?i)` treat them specially, so text holding one takes the
exact per-string path."""
_gate: Any = None
_gate_failed = False
_SEP = b"\n"
_MEMO_CHARS = 64
"""Strings up to this length (tool names, input keys, paths) are memoised: they repeat."""
_MEMO_MAX = 50_000
_memo: dict[str, list[Span]] = {}
"""Spans of short strings seen before (empty for clean ones)."""


def _gate_scanner() -> Any:
    """A small kingfisher scanner of `_GATES` only (compiles in milliseconds, not cached)."""
    global _gate, _gate_failed
    if _gate is not None or _gate_failed:
        return _gate
    with _lock:
        if _gate is not None or _gate_failed:
            return _gate
        import json
        import tempfile

        try:
            from kingfisher_sdk import Rules, Scanner

            rules = [
                {
                    "name": f"reverie gate {name}",
                    "id": f"reverie.gate.{name}.{i}",
                    "pattern": pattern,
                    "min_entropy": 0,
                    "confidence": "low",
                }
                for i, (name, pattern) in enumerate((n, p) for n, ps in _GATES.items() for p in ps)
            ]
            with tempfile.TemporaryDirectory(prefix="reverie-gate-") as tmp:
                path = os.path.join(tmp, "gates.yml")
                with open(path, "w", encoding="utf-8") as fh:
                    json.dump({"rules": rules}, fh)  # JSON is YAML
                _gate = Scanner(Rules([path], builtins=False, confidence="low", cache=False), base64=False)
        except Exception as err:  # never fatal: batches fall back to per-string redaction
            log.warning("redaction gate unavailable (%s); redacting string by string", err)
            _gate_failed = True
    return _gate


def _hit_strings(scanner: Any, data: bytes, starts: list[int]) -> set[int]:
    """Indexes of the joined strings that any finding of `scanner` overlaps (`starts`: their offsets)."""
    hits: set[int] = set()
    for f in scanner.scan(data):
        loc = f.location
        first = bisect.bisect_right(starts, int(loc["start_offset"])) - 1
        last = bisect.bisect_right(starts, max(int(loc["end_offset"]) - 1, int(loc["start_offset"]))) - 1
        hits.update(range(max(first, 0), min(last + 1, len(starts) - 1)))
    return hits


GateHits = dict[str, list[tuple[int, int]]]
"""Gate name → (start, end) character offsets of its hits in one string."""


def _gate_hits(scanner: Any, data: bytes, starts: list[int]) -> dict[int, list[tuple[str, int, int]]]:
    """Per joined string: (gate name, start, end) of each gate hit, in bytes relative to that string."""
    out: dict[int, list[tuple[str, int, int]]] = {}
    for f in scanner.scan(data):
        loc = f.location
        start, end = int(loc["start_offset"]), int(loc["end_offset"])
        k = bisect.bisect_right(starts, start) - 1
        if not 0 <= k < len(starts) - 1:
            continue
        base = starts[k]
        out.setdefault(k, []).append((f.rule_id.split(".")[2], start - base, min(end, starts[k + 1] - 1) - base))
    return out


def _char_hits(text: str, raw: bytes, hits: list[tuple[str, int, int]]) -> GateHits:
    """Byte offsets of `hits` in `raw` (the UTF-8 of `text`) as character offsets, by gate."""
    out: GateHits = {}
    if len(raw) == len(text):
        for gate, start, end in hits:
            out.setdefault(gate, []).append((start, end))
        return out
    chars: dict[int, int] = {}
    for b in sorted({x for _, s, e in hits for x in (s, e)}):
        chars[b] = len(raw[:b].decode("utf-8", "ignore"))
    for gate, start, end in hits:
        out.setdefault(gate, []).append((chars[start], chars[end]))
    return out


_NONE: list[Span] = []


def _found_in(texts: list[str]) -> dict[str, list[Span]]:
    """The strings of `texts` that hold a credential, with their spans (one batch scan, memoised)."""
    memo = _memo
    if len(memo) >= _MEMO_MAX:
        memo.clear()
    distinct = set(texts)
    todo = [t for t in distinct if t not in memo]
    verdicts = _VERDICTS.get()
    if verdicts is not None and todo:
        todo = [t for t in todo if not verdicts.clean(t)]
    found = _scan_distinct(todo) if todo else {}
    for t in todo:
        if len(t) <= _MEMO_CHARS:
            memo[t] = found.get(t, _NONE)
    for t in distinct:
        if t not in found:
            spans = memo.get(t)
            if spans:
                found[t] = spans
            elif verdicts is not None:  # clean: by this scan, an earlier one (memo) or a kept verdict
                verdicts.found_clean(t)
    return found


def scan_many(texts: list[str]) -> list[list[Span]]:
    """The credential spans of every string in `texts`, with one kingfisher scan for the whole list.

    The maintained rules and the gates of our own rules run once over all the
    distinct strings joined; a string something matched goes through our rules
    near its gate hits (`_gated_spans`) and, when a maintained rule hit it,
    kingfisher on that string alone. A string nothing matched has no spans.
    Same result as `find_secrets` for every string, except that kingfisher now
    also sees text without any of the `_HINTS` (stricter, never weaker).
    """
    found = _found_in(texts)
    return [found.get(t, _NONE) for t in texts]


def redact_many(texts: list[str]) -> list[str]:
    """`[redact(t) for t in texts]`, with one kingfisher scan for the whole list (see `scan_many`)."""
    found = _found_in(texts)
    if not found:
        return list(texts)
    done = {t: apply_spans(t, spans) for t, spans in found.items()}
    return [done.get(t, t) for t in texts]


def _scan_distinct(todo: list[str]) -> dict[str, list[Span]]:
    scanner, gate = _kingfisher(), _gate_scanner()
    if scanner is None or gate is None:
        return {t: spans for t in todo if (spans := find_secrets(t))}
    parts = [t.encode("utf-8", "surrogatepass") for t in todo]
    starts = list(itertools.accumulate([len(p) + len(_SEP) for p in parts], initial=0))
    data = _SEP.join(parts)
    try:
        gated = _gate_hits(gate, data, starts)
        maintained = _hit_strings(scanner, data, starts)
    except Exception as err:
        log.warning("batch secret scan failed (%s); redacting string by string", err)
        return {t: spans for t in todo if (spans := _spans(t))}
    done: dict[str, list[Span]] = {}
    for k in gated.keys() | maintained:
        t = todo[k]
        found: list[Span] = []
        _gated_spans(t, _char_hits(t, parts[k], gated.get(k, [])), found)
        if k in maintained:
            _kingfisher_spans(t, found)
        found = _outside_markers(t, found)
        if found:
            done[t] = _merge(found)
    for t in todo:
        if not t.isascii() and any(c in t for c in _FOLDING):
            spans = _spans(t)
            if spans:
                done[t] = spans
            else:
                done.pop(t, None)
    return done


# --- public API ---------------------------------------------------------------


def find_secrets(text: str) -> list[Span]:
    """The credential spans of `text` (empty when it holds none)."""
    if not text or not _maybe_secret(text):
        return []
    verdicts = _VERDICTS.get()
    if verdicts is None:
        return _spans(text)
    if verdicts.clean(text):
        return []
    spans = _spans(text)
    if not spans:
        verdicts.found_clean(text)
    return spans


# --- clean verdicts remembered across runs --------------------------------------------


class Verdicts:
    """Texts the whole redactor (kingfisher included) already judged clean, by a keyed hash.

    Why: a second dream over nothing new re-judges the same proposal texts, and judging
    them meant loading kingfisher (~0.4 s, most of that dream). Only *clean* verdicts are
    kept, as hashes that also cover the redactor's own version (`fingerprint`): a hash of a
    text holding no credential reveals none, and a new rule or kingfisher release makes
    every old verdict unknown. A text with a finding is always scanned again.
    """

    def __init__(self, known: Iterable[str] = ()) -> None:
        self.known = set(known)
        self.used: set[str] = set()
        """Keys looked up and found, or added: what the next run is likely to ask again."""
        self._salt = bytes.fromhex(fingerprint())

    def _key(self, text: str) -> str:
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16, key=self._salt).hexdigest()

    def clean(self, text: str) -> bool:
        key = self._key(text)
        if key in self.known:
            self.used.add(key)
            return True
        return False

    def found_clean(self, text: str) -> None:
        if _scanner is not None:  # without kingfisher, built-in rules only: not a verdict to keep
            key = self._key(text)
            self.known.add(key)
            self.used.add(key)


class _ThreadVerdicts(threading.local):
    verdicts: Verdicts | None = None

    def get(self) -> Verdicts | None:
        return self.verdicts


_VERDICTS = _ThreadVerdicts()


@contextmanager
def remembered_verdicts(verdicts: Verdicts) -> Iterator[Verdicts]:
    """Within the block (this thread only), `find_secrets`, `redact` and `scan_many` trust and
    extend `verdicts`."""
    outer, _VERDICTS.verdicts = _VERDICTS.verdicts, verdicts
    try:
        yield verdicts
    finally:
        _VERDICTS.verdicts = outer


@functools.lru_cache(maxsize=1)
def fingerprint() -> str:
    """What the redactor's verdicts depend on: this module's code and the installed kingfisher build
    (its native library: the maintained rules ship inside it). Found without importing kingfisher."""
    import importlib.util

    h = hashlib.sha256()
    with open(__file__, "rb") as fh:
        h.update(fh.read())
    spec = importlib.util.find_spec("kingfisher_sdk")
    where = os.path.dirname(spec.origin) if spec is not None and spec.origin else ""
    if where:
        for name in sorted(os.listdir(where)):
            if name.startswith("_native"):
                st = os.stat(os.path.join(where, name))
                h.update(f"{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


def redact(text: str) -> str:
    """`text` with every credential replaced by ``[REDACTED:<rule>]``."""
    return apply_spans(text, find_secrets(text)) if text else text


def credentials_in(text: str) -> set[str]:
    """The credential strings in `text` (for comparing what a write adds, never for storing)."""
    return {text[start:end] for start, end, _ in find_secrets(text)}


def contains_secret(text: str) -> str | None:
    """The rule name of the first credential found in `text`, or None."""
    spans = find_secrets(text)
    return spans[0][2] if spans else None


@functools.lru_cache(maxsize=65536)
def redact_name(name: str) -> str:
    """A file name, path or id with every credential replaced, still telling distinct names apart.

    Each span becomes ``[REDACTED:<rule>~<8 hex>]``, the hex a hash of the value,
    so two files whose names differ only by their token keep distinct keys in
    the sessions index (a 32-bit hash of a credential does not reveal it).
    """
    spans = find_secrets(name) if name else []
    if not spans:
        return name
    out, pos = [], 0
    for start, end, rule in spans:
        digest = hashlib.sha256(name[start:end].encode("utf-8", "surrogatepass")).hexdigest()[:8]
        out.append(name[pos:start])
        out.append(f"[REDACTED:{rule}~{digest}]")
        pos = end
    out.append(name[pos:])
    return "".join(out)


def redact_obj(obj: Any, limit: int = 0) -> Any:
    """A copy of a JSON-like value with every string redacted (keys too).

    With `limit`, long strings are cut to head and tail (see `clip_redacted`), so a
    megabyte tool argument costs nothing and is not stored whole.
    """
    if isinstance(obj, str):
        return clip_redacted(obj, limit) if limit else redact(obj)
    if isinstance(obj, dict):
        return {(redact(k) if isinstance(k, str) else k): redact_obj(v, limit) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [redact_obj(v, limit) for v in obj]
    return obj


# --- clipping: redact before cutting ----------------------------------------------------

_MARGIN = CLIP_MARGIN = 2048
"""Context kept beyond each cut while redacting: longer than any of our rules' context."""


def cut_marker(n: int) -> str:
    """What stands in for the `n` characters `clip` leaves out."""
    return f"\n[… {n} chars cut …]\n"


def clip(text: str, limit: int) -> str:
    """Head and tail of `text` within about `limit` characters, with a marker between."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}{cut_marker(len(text) - 2 * half)}{text[-half:]}"


class Clipped:
    """Raw text cut to the windows that will be redacted, then kept by original position.

    A text longer than `limit` plus two margins keeps its first and last
    `limit // 2` characters; each window is redacted with `CLIP_MARGIN` more
    characters of context on the cut side, and `finish` keeps exactly the
    characters whose original position is in the kept part (a credential
    crossing the boundary is kept as its marker, whole). A shorter text is
    redacted whole and then clipped.
    """

    __slots__ = ("length", "limit", "parts")

    def __init__(self, text: str, limit: int) -> None:
        self.limit = limit
        self.length = len(text)
        if len(text) <= limit + 2 * CLIP_MARGIN:
            self.parts: tuple[str, ...] = (text,)
        else:
            half = limit // 2
            self.parts = (text[: half + CLIP_MARGIN], text[-(half + CLIP_MARGIN) :])

    def size(self) -> int:
        return sum(len(p) for p in self.parts)

    def finish(self, spans: list[list[Span]]) -> str:
        """The clipped, redacted text, given the spans found in each of `parts`."""
        if len(self.parts) == 1:
            return clip(apply_spans(self.parts[0], spans[0]), self.limit)
        half = self.limit // 2
        head = apply_spans(self.parts[0], spans[0], 0, half)
        tail = apply_spans(self.parts[1], spans[1], CLIP_MARGIN, len(self.parts[1])) if half else ""
        return f"{head}{cut_marker(self.length - 2 * half)}{tail}"


def clip_redacted(text: str, limit: int, scan: Callable[[str], list[Span]] = find_secrets) -> str:
    """Redact, then clip to about `limit` characters (see `Clipped`): cheap for huge text."""
    clipped = Clipped(text, limit)
    return clipped.finish([scan(p) for p in clipped.parts])
