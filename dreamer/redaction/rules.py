"""Our own detectors: one `Rule` per credential format, with the hints and gate that skip it cheaply."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from reverie.dreamer.redaction.values import (
    PLACEHOLDER,
    aws_shaped,
    basic_auth,
    discord,
    flag_value,
    hex_not_sid,
    path_like,
    secret_flag,
    user_pass,
    value_ok,
)


@dataclass(frozen=True, slots=True)
class Rule:
    """One detector. `groups`: the groups holding the value (the first that matched is the span);
    () means the whole match. `hints`: lower-case substrings one of which the text must hold
    (a necessary condition, so text without any skips the regex); () means always run.
    `gate`: the key of a `GATES` pattern that is also a necessary condition, found within
    `WINDOW` characters of every match (or anywhere, for the rules in `WHOLE`)."""

    name: str
    gate: str
    """The `GATES` entry whose hits tell the batch path where this rule can match."""
    pattern: re.Pattern[str]
    groups: tuple[int, ...] = ()
    hints: tuple[str, ...] = ()
    check: Callable[[re.Match[str], str], bool] | None = None


_Q = r"""(?:'([^'\n]{1,256})'|"([^"\n]{1,256})"|([^\s'"|;&<>()`]{1,256}))"""
"""A shell argument: single-quoted, double-quoted or bare (three groups)."""
_CMD = r"[^\n|;&]{0,200}?(?<=[\s])"
"""The rest of one simple command up to a flag (no pipe, list or newline in between)."""


def _token(name: str, gate: str, pattern: str, *hints: str) -> Rule:
    """A credential format matched whole (a provider key, a webhook URL, a key block): the match is the span."""
    return Rule(name, gate, re.compile(pattern), hints=hints)


def _command_password(
    name: str,
    gate: str,
    command: str,
    flag: str,
    *hints: str,
    value: str = _Q,
    check: Callable[[re.Match[str], str], bool] = flag_value,
) -> Rule:
    """A password given to `command` by `flag` later in the same simple command (`_CMD`).

    `value` is one shell argument (`_Q`: quoted or bare) or, after a `user:`-style flag, the
    password part; its groups are the pattern's only capturing groups, so they are the span.
    """
    pattern = re.compile(command + _CMD + flag + value)
    return Rule(name, gate, pattern, groups=tuple(range(1, pattern.groups + 1)), hints=hints, check=check)


RULES: tuple[Rule, ...] = (
    _token(
        "private-key",
        "pk",
        r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,12000}?"
        r"(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|(?=\Z))",
        "private key",
    ),
    # the tail of a key block whose BEGIN line is out of sight (a clipped window)
    _token(
        "private-key",
        "pk",
        r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/=][A-Za-z0-9+/=\r\n\\]{39,12000}-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----",
        "private key",
    ),
    # the body of a PEM block with neither marker in sight: several 64-column base64 lines
    _token("pem-body", "pem", r"(?:(?<=\n)|\A)(?:[A-Za-z0-9+/]{64}(?:\r?\n|\\n)){3,}[A-Za-z0-9+/=]{0,64}"),
    _token("anthropic-key", "sk", r"sk-ant-[A-Za-z0-9_\-]{16,}", "sk-ant-"),
    _token("openai-key", "sk", r"(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}", "sk-"),
    _token("stripe-key", "stripe", r"(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}", "_live_", "_test_"),
    _token(
        "aws-access-key-id",
        "akia",
        r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}(?![A-Z0-9])",
        *("akia", "asia", "abia", "acca", "agpa", "aida", "aroa", "anpa"),
    ),
    Rule(
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
    Rule(
        "aws-secret-key",
        "akia",
        re.compile(
            r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])[^\n]{0,120}?"
            r"(?<![A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
        groups=(1,),
        hints=("akia", "asia"),
        check=aws_shaped,
    ),
    _token("github-token", "gh", r"(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{30,}", "ghp_", "gho_", "ghs_", "ghu_", "ghr_"),
    _token("github-pat", "ghpat", r"github_pat_[A-Za-z0-9_]{22,}", "github_pat_"),
    _token("gitlab-token", "glpat", r"glpat-[A-Za-z0-9_\-]{20,}", "glpat-"),
    _token("slack-token", "slack", r"xox[abposre]-[A-Za-z0-9-]{10,}", "xox"),
    _token("slack-app-token", "slack", r"xapp-\d-[A-Za-z0-9-]{10,}", "xapp-"),
    _token(
        "slack-webhook",
        "slackhook",
        r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{20,}",
        "hooks.slack.com",
    ),
    _token(
        "discord-webhook",
        "discord",
        r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]{20,}",
        "discord",
    ),
    Rule(
        "discord-bot-token",
        "discordbot",
        re.compile(
            r"(?<![A-Za-z0-9_-])[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,40}(?![A-Za-z0-9_-])"
        ),
        check=discord,
    ),
    _token("telegram-bot-token", "telegram", r"(?<![0-9])[0-9]{8,10}:AA[A-Za-z0-9_-]{32,33}(?![A-Za-z0-9_-])", ":aa"),
    Rule(
        "twilio-auth-token",
        "twilio",
        re.compile(r"(?i)(?:twilio|auth[_ -]?token|authtoken)[^\n]{0,80}?(?<![0-9a-f])([0-9a-f]{32})(?![0-9a-f])"),
        groups=(1,),
        hints=("twilio", "auth", "authtoken"),
        check=hex_not_sid,
    ),
    Rule(
        "twilio-auth-token",
        "sid",
        re.compile(r"\b(?:AC|SK)[0-9a-f]{32}\b[^\n]{0,120}?(?<![0-9a-fA-Z])([0-9a-f]{32})(?![0-9a-f])"),
        groups=(1,),
        hints=("ac", "sk"),
        check=hex_not_sid,
    ),
    _token("google-api-key", "aiza", r"AIza[0-9A-Za-z_\-]{35}", "aiza"),
    _token("jwt", "eyj", r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", "eyj"),
    _token(
        "provider-token",
        "provider",
        (
            r"(?<![A-Za-z0-9_-])(?:"
            r"npm_[A-Za-z0-9]{36}|pypi-AgE[A-Za-z0-9_-]{50,}|hf_[A-Za-z0-9]{30,}|"
            r"SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{30,64}|key-[0-9a-f]{32}|"
            r"shp(?:at|ca|pa|ss)_[A-Fa-f0-9]{32}|do[por]_v1_[a-f0-9]{64}|AGE-SECRET-KEY-1[0-9A-Z]{50,}|"
            r"hvs\.[A-Za-z0-9_-]{24,}|dapi[0-9a-f]{32}|lin_api_[A-Za-z0-9]{40}|glsa_[A-Za-z0-9]{32}_[a-f0-9]{8}|"
            r"sq0(?:atp|csp)-[A-Za-z0-9_-]{22,43}|dp\.pt\.[A-Za-z0-9]{40,}|pul-[a-f0-9]{40}|ATATT3[A-Za-z0-9_=-]{60,}"
            r")"
        ),
        *(
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
    Rule(
        "bearer-token",
        "bearer",
        re.compile(r"(?i)(bearer\s+)([A-Za-z0-9._~+/=-]{20,})"),
        groups=(2,),
        hints=("bearer",),
    ),
    Rule(
        "basic-auth",
        "basic",
        re.compile(r"(?i)\bbasic\s+([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])"),
        groups=(1,),
        hints=("basic",),
        check=basic_auth,
    ),
    Rule(
        "authorization-header",
        "authz",
        re.compile(
            r"(?i)\b(?:authorization|x-api-key|api-key|x-auth-token)[\"']?\s*[:=]\s*[\"']?(?:token\s+)?([^\s\"'`,;]{12,})"
        ),
        groups=(1,),
        hints=("authorization", "api-key", "auth-token"),
        check=lambda m, v: value_ok(v) and v.lower() not in ("bearer", "basic"),
    ),
    Rule(
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
    _command_password(
        "mysql-password",
        "mysql",
        r"(?i)\b(?:mysql\w*|mariadb[\w-]*|mydumper|myloader)\b",
        r"(?-i:-p|--password=)",
        *("mysql", "mariadb", "mydumper", "myloader"),
    ),
    _command_password("sshpass-password", "sshpass", r"\bsshpass\b", r"-p[ \t]*", "sshpass"),
    _command_password("redis-password", "redis", r"\bredis-cli\b", r"(?:-a|--pass|--askpass)[ \t]+", "redis-cli"),
    _command_password(
        "registry-password",
        "login",
        r"\b(?:docker|podman|helm|buildah|skopeo|oras|nerdctl|crane|cf|heroku|az acr)\b[^\n|;&]{0,80}?\blogin\b",
        r"(?:-p|--password)[ \t=]+",
        "login",
    ),
    _command_password(
        "cli-password",
        "cli",
        r"\b(?:mongo(?:sh|dump|restore|import|export)?|sqlcmd|bcp|ldap\w+|7z|7za|smbclient|"
        r"openssl|keytool|jarsigner|vsql)\b",
        r"(?:-p|-P|-w|-k|-storepass|-keypass|-srcstorepass|-deststorepass)[ \t]*",
        *("mongo", "sqlcmd", "bcp", "ldap", "7z", "smbclient", "openssl", "keytool", "jarsigner", "vsql"),
        check=lambda m, v: flag_value(m, v) and not v.isdigit(),
    ),
    Rule(
        "cli-password",
        "zip",
        re.compile(r"\b(?:un)?zip(?:[ \t]+-[A-Za-z]+)*[ \t]+-P[ \t]*" + _Q),
        groups=(1, 2, 3),
        hints=("zip",),
        check=flag_value,
    ),
    Rule(
        "cli-password",
        "passcolon",
        re.compile(r"(?<![\w-])(?:pass|env|file):([^\s'\"|;&]{3,256})"),
        groups=(1,),
        hints=("pass:",),
        check=lambda m, v: m.group(0).startswith("pass:") and flag_value(m, v),
    ),
    _command_password(
        "cli-password",
        "curl",
        r"\b(?:curl|wget|http|httpie|xh)\b",
        r"(?:-u|--user)[ \t]*['\"]?[^\s:'\"]{1,64}:",
        *("curl", "wget", "http", "xh"),
        value=r"([^\s'\"@]{3,256})",
    ),
    _command_password(
        "cli-password",
        "cli",
        r"\bsmbclient\b",
        r"-U[ \t]*['\"]?[^\s%'\"]{1,64}%",
        "smbclient",
        value=r"([^\s'\"]{3,256})",
    ),
    Rule(
        "secret-flag",
        "flag",
        re.compile(
            r"(?<![\w-])--(?!no-)(?P<flag>(?:[A-Za-z0-9]+[-_])*(?:password|passwd|pass|passphrase|secret|token|"
            r"api[-_]?key|access[-_]?key|secret[-_]?key|auth[-_]?token|client[-_]?secret))(?:=|[ \t]+)" + _Q
        ),
        groups=(2, 3, 4),
        hints=("--",),
        check=secret_flag,
    ),
    # --- passwords told in prose or as pairs ---
    # "the root password for staging is Qw9!…", "set the db password to …", "my pw is …": the value
    # must hold a digit or a symbol, so "the password is stored in vault" stays readable
    Rule(
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
        check=lambda m, v: not PLACEHOLDER.match(v) and not path_like(v) and not v.startswith("http"),
    ),
    Rule(
        "password-phrase",
        "pw",
        re.compile(
            r"(?i)\b(?:user(?:name)?|login|account)\b[\s:=]+[^\s,;]{1,64}[\s,;]+(?:and[ \t]+)?"
            r"(?:password|passwd|pwd|pw)\b[\s:=]+[\"'`]?([^\s\"'`,;]{4,128})"
        ),
        groups=(1,),
        hints=("user", "login", "account"),
        check=lambda m, v: value_ok(v, password=True),
    ),
    Rule(
        "netrc-password",
        "netrc",
        re.compile(r"(?i)\bmachine\s+\S+\s+(?:login|user)\s+\S+\s+password\s+(\S+)"),
        groups=(1,),
        hints=("machine",),
    ),
    Rule(
        "user-password-pair",
        "slash",
        re.compile(r"(?<![\w/.@-])([A-Za-z][\w.@+-]{1,63})[ \t]+/[ \t]+([^\s/,;()\[\]]{6,128}?)[.,;)]?(?=\s|$)"),
        groups=(2,),
        hints=(" / ",),
        check=user_pass,
    ),
    Rule(
        "user-password-pair",
        "logincolon",
        re.compile(
            r"(?i)\b(?:log ?in|logon|sign ?in|creds?|credentials?|account)[\s:=][^\n]{0,30}?(?<![\w.@+-])"
            r"([A-Za-z][\w.@+-]{1,63}):((?=[^\s]*\d)[^\s:@/]{6,128})(?=\s|$|[,;)])"
        ),
        groups=(2,),
        hints=("login", "log in", "logon", "sign", "cred", "account"),
        check=lambda m, v: not PLACEHOLDER.match(v) and not v.isdigit(),
    ),
)
