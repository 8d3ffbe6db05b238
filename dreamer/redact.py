"""Secret redaction applied at ingest, before anything is stored or shown.

Two layers: our own regex rules for the credential formats agents most often
echo (provider keys, ``*_KEY=`` assignments, URLs with credentials, …), then the
kingfisher scanner (hundreds of maintained rules, in-process, no network
validation). A cheap prefilter lets clean text skip both: most transcript text
has none of the hints every rule needs, and redaction must keep ingest near the
speed of a bare JSON parse loop.

A redacted value reads ``[REDACTED:<rule>]``. `contains_secret` is the same
detection without the rewrite, for critics that check proposals.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import os
import re
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

# --- our own rules ------------------------------------------------------------

# (rule name, pattern, group to replace or 0 for the whole match, lower-case hints:
#  the rule only runs when one of them occurs in the lower-cased text)
_RULES: list[tuple[str, re.Pattern[str], int, tuple[str, ...]]] = [
    (
        "private-key",
        re.compile(
            r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,12000}?"
            r"(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|(?=\Z))"
        ),
        0,
        ("private key-----", "private key block-----"),
    ),
    # the tail of a key block whose BEGIN line was cut off (clipped text)
    (
        "private-key",
        re.compile(
            r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/=][A-Za-z0-9+/=\r\n]{39,12000}-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
        ),
        0,
        ("private key-----", "private key block-----"),
    ),
    ("anthropic-key", re.compile(r"sk-ant-[A-Za-z0-9_\-]{16,}"), 0, ("sk-ant-",)),
    (
        "openai-key",
        re.compile(r"(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}"),
        0,
        ("sk-",),
    ),
    ("stripe-key", re.compile(r"(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}"), 0, ("_live_", "_test_")),
    (
        "aws-access-key-id",
        re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}(?![A-Z0-9])"),
        0,
        ("akia", "asia", "abia", "acca", "agpa", "aida", "aroa", "anpa"),
    ),
    (
        "aws-secret-key",
        re.compile(
            r"(?i)(aws_?secret_?access_?key|aws_?secret|secretaccesskey)([\"']?\s*[=:]\s*[\"']?)"
            r"([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
        ),
        3,
        ("aws", "secretaccesskey"),
    ),
    (
        "github-token",
        re.compile(r"(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{30,}"),
        0,
        ("ghp_", "gho_", "ghs_", "ghu_", "ghr_"),
    ),
    ("github-pat", re.compile(r"github_pat_[A-Za-z0-9_]{22,}"), 0, ("github_pat_",)),
    ("gitlab-token", re.compile(r"glpat-[A-Za-z0-9_\-]{20,}"), 0, ("glpat-",)),
    ("slack-token", re.compile(r"xox[abposre]-[A-Za-z0-9-]{10,}"), 0, ("xox",)),
    (
        "slack-webhook",
        re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{20,}"),
        0,
        ("hooks.slack.com",),
    ),
    ("google-api-key", re.compile(r"AIza[0-9A-Za-z_\-]{35}"), 0, ("aiza",)),
    ("jwt", re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), 0, ("eyj",)),
    ("bearer-token", re.compile(r"(?i)(bearer\s+)([A-Za-z0-9._~+/=-]{20,})"), 2, ("bearer",)),
    (
        "url-credentials",
        re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]{1,20}://)([^\s:/@\"'<>`]{1,128}):([^\s@/\"'<>`]{1,256})@"),
        3,
        ("://",),
    ),
    # a password told in prose ("the db password is Wq7!vR2#…"): the value must hold a
    # digit or a symbol, so "the password is stored in vault" stays readable
    (
        "password-phrase",
        re.compile(
            r"(?i)\b(pass(?:word|phrase|wd|code)|pwd|pw)(\s+(?:is|was)\s+[\"'`]?)"
            r"(?=[^\s\"'`]*[0-9!@#$%^&*])([^\s\"'`]{6,})"
        ),
        3,
        ("pass", "pwd", "pw "),
    ),
]

_ASSIGN_NAMES: tuple[str, ...] = (
    "key",
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "_pat",
    "credential",
    "credentials",
)
"""Endings of a variable name that holds a credential (FOO_API_KEY, db_password, …)."""
_ASSIGN_TAIL = re.compile(r"""(["']?[ \t]*(?:=|:=|:)[ \t]*["']?)([^\s"'`,;()\[\]{}<>]{6,})""")
"""After the name: `=`, `:` or `:=` (env, YAML, JSON, code), then the value."""

_PLACEHOLDER = re.compile(
    r"^(?:\$|\{|<|\*{3}|x{4}|\[REDACTED|your[_-]|changeme|example|placeholder|redacted|none$|null$|true$|false$)",
    re.IGNORECASE,
)
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")

_HINTS: tuple[str, ...] = (
    "key",
    "token",
    "secret",
    "pass",
    "pwd",
    "pw ",
    "auth",
    "bearer",
    "credential",
    "private",
    "sk-",
    "sk_",
    "rk_",
    "pk_",
    "_pat",
    "gh",
    "glpat",
    "xox",
    "slack",
    "akia",
    "asia",
    "aiza",
    "eyj",
    "begin",
    "npm_",
    "pypi-",
    "hf_",
    "shpat_",
    "dop_v1",
    "sg.",
    "sq0",
    "eaa",
    "xapp",
    "api",
)
"""Lower-case hints every rule (ours and the kingfisher ones we care about) needs; most text has none."""


def _maybe_secret(text: str) -> bool:
    """The cheap prefilter: plain substring tests (C speed) on the lower-cased text."""
    low = text.lower()
    for hint in _HINTS:
        if hint in low:
            return True
    return "://" in low and "@" in low


def _value_ok(value: str) -> bool:
    """Whether an assignment's value looks like a real credential, not code or a placeholder."""
    if _PLACEHOLDER.match(value):
        return False
    if value.isupper() and "_" in value:  # a reference to another variable
        return False
    has_digit = any(c.isdigit() for c in value)
    if not has_digit and len(value) < 16:
        return False
    # settings.SECRET_KEY, os.environ
    return has_digit or not _DOTTED.fullmatch(value)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _assignments(text: str, low: str, found: list[str] | None) -> str:
    """Redact the values of ``*_KEY=``/``*_TOKEN:``/``"password": "…"`` style assignments.

    Finds each name ending with str.find (fast) and matches the rest anchored
    there, instead of scanning every position with a case-insensitive regex.
    """
    if len(low) != len(text):
        # str.lower() can change lengths (dotted İ → i̇), which would shift every
        # offset below; the names are ASCII, so an ASCII-only fold is enough.
        low = text.translate(_ASCII_LOWER)
    spans: list[tuple[int, int]] = []
    for name in _ASSIGN_NAMES:
        pos = low.find(name)
        while pos != -1:
            m = _ASSIGN_TAIL.match(text, pos + len(name))
            if m is not None and _value_ok(m.group(2)):
                spans.append(m.span(2))
            pos = low.find(name, pos + len(name))
    if not spans:
        return text
    spans.sort()
    out, last = [], 0
    for start, end in spans:
        if start < last:
            continue
        out.append(text[last:start])
        out.append("[REDACTED:secret-assignment]")
        if found is not None:
            found.append("secret-assignment")
        last = end
    out.append(text[last:])
    return "".join(out)


def _apply_rules(text: str, found: list[str] | None = None) -> str:
    low = text.lower()
    for name, pattern, group, hints in _RULES:
        if not any(h in low for h in hints):
            continue
        if group == 0:

            def sub0(m: re.Match[str], name: str = name) -> str:
                if found is not None:
                    found.append(name)
                return f"[REDACTED:{name}]"

            new = pattern.sub(sub0, text)
        else:

            def subg(m: re.Match[str], name: str = name, group: int = group) -> str:
                value = m.group(group)
                if _PLACEHOLDER.match(value) or value.startswith("[REDACTED"):
                    return m.group(0)
                if found is not None:
                    found.append(name)
                start, end = m.span(group)
                base = m.start(0)
                whole = m.group(0)
                return whole[: start - base] + f"[REDACTED:{name}]" + whole[end - base :]

            new = pattern.sub(subg, text)
        if new != text:
            text = new
            low = text.lower()
    return _assignments(text, low, found)


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


def _kingfisher_redact(text: str, found: list[str] | None = None) -> str:
    scanner = _kingfisher()
    if scanner is None:
        return text
    data = text.encode("utf-8", "surrogatepass")
    try:
        findings = scanner.scan(data)
    except Exception as err:
        log.warning("kingfisher scan failed (%s); built-in rules only for this text", err)
        return text
    spans: list[tuple[int, int, str]] = []
    for f in findings:
        if not f.visible:
            continue
        loc = f.location
        start, end = int(loc["start_offset"]), int(loc["end_offset"])
        secret = (f.secret or "").encode("utf-8", "surrogatepass")
        if secret and len(secret) >= 4 and secret in data[start:end]:
            start += data[start:end].index(secret)
            end = start + len(secret)
        rule = f.rule_id.split(".", 1)[-1].split("/")[-1]
        spans.append((start, end, rule))
    if not spans:
        return text
    spans.sort()
    out, pos = [], 0
    for start, end, rule in spans:
        if start < pos:  # overlapping findings: the first one already covers it
            start = pos
            if end <= pos:
                continue
        out.append(data[pos:start])
        out.append(f"[REDACTED:{rule}]".encode())
        if found is not None:
            found.append(rule)
        pos = end
    out.append(data[pos:])
    return b"".join(out).decode("utf-8", "replace")


# --- batches: one scan for many strings ---------------------------------------

# Kingfisher rules that mark where one of OUR rules could match. Each pattern is a
# necessary condition of the rule it names (a literal its regex needs), so a
# string without a gate hit is left unchanged by `_apply_rules`. The capture is
# that fixed literal, so kingfisher's own secret filters never drop a gate hit
# (tests/ingest/test_redact_batch.py checks every one).
_GATES: tuple[tuple[str, str], ...] = (
    ("private-key", r"(PRIVATE KEY)"),
    ("sk", r"(sk-)"),
    ("stripe", r"((?:sk|rk|pk)_(?:live|test)_)"),
    ("aws-access-key-id", r"(AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA)"),
    ("aws-secret-key", r"(?i)(aws_?secret|secretaccesskey)"),
    ("github-token", r"((?:ghp|gho|ghs|ghu|ghr)_)"),
    ("github-pat", r"(github_pat_)"),
    ("gitlab-token", r"(glpat-)"),
    ("slack-token", r"(xox[abposre]-)"),
    ("slack-webhook", r"(hooks\.slack\.com/)"),
    ("google-api-key", r"(AIza)"),
    ("jwt", r"(eyJ)"),
    ("bearer-token", r"(?i)(bearer)"),
    ("url-credentials", r"(://)[^/@]*@"),
    ("password-phrase", r"(?i)(pass(?:word|phrase|wd|code)|pwd|pw)\s+(?:is|was)\s"),
    ("secret-assignment", r"""(?i)(key|token|secret|password|passwd|pwd|_pat|credentials?)["']?[ \t]*[=:]"""),
)
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
_memo: dict[str, str] = {}


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
                for i, (name, pattern) in enumerate(_GATES)
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


def redact_many(texts: list[str]) -> list[str]:
    """`[redact(t) for t in texts]`, with one kingfisher scan for the whole list.

    The maintained rules and the gates of our own rules run once over all the
    distinct strings joined; only strings something matched go through the
    exact per-string path (`_apply_rules`, then kingfisher on that string
    alone). A string nothing matched is returned as is. Same result as `redact`
    for every string, except that kingfisher now also sees text without any of
    the `_HINTS` (stricter, never weaker).
    """
    memo = _memo
    if len(memo) >= _MEMO_MAX:
        memo.clear()
    memo[""] = ""
    todo = [t for t in set(texts) if t not in memo]
    if not todo:
        return [memo[t] for t in texts]
    done = _redact_distinct(todo)
    for t, r in done.items():
        if len(t) <= _MEMO_CHARS:
            memo[t] = r
    return [done[t] if t in done else memo[t] for t in texts]


def _redact_distinct(todo: list[str]) -> dict[str, str]:
    scanner, gate = _kingfisher(), _gate_scanner()
    if scanner is None or gate is None:
        return {t: redact(t) for t in todo}
    parts = [t.encode("utf-8", "surrogatepass") for t in todo]
    starts = list(itertools.accumulate([len(p) + len(_SEP) for p in parts], initial=0))
    data = _SEP.join(parts)
    try:
        flagged = _hit_strings(gate, data, starts) | _hit_strings(scanner, data, starts)
    except Exception as err:
        log.warning("batch secret scan failed (%s); redacting string by string", err)
        flagged = set(range(len(todo)))
    for k, t in enumerate(todo):
        if not t.isascii() and any(c in t for c in _FOLDING):
            flagged.add(k)
    done = {t: t for t in todo}
    for k in flagged:
        t = todo[k]
        done[t] = _kingfisher_redact(_apply_rules(t))
    return done


# --- public API ---------------------------------------------------------------


def redact(text: str) -> str:
    """`text` with every credential replaced by ``[REDACTED:<rule>]``."""
    if not text or not _maybe_secret(text):
        return text
    text = _apply_rules(text)
    return _kingfisher_redact(text)


def contains_secret(text: str) -> str | None:
    """The rule name of the first credential found in `text`, or None."""
    if not text or not _maybe_secret(text):
        return None
    found: list[str] = []
    text = _apply_rules(text, found)
    if found:
        return found[0]
    _kingfisher_redact(text, found)
    return found[0] if found else None


def redact_obj(obj: Any, limit: int = 0) -> Any:
    """A copy of a JSON-like value with every string redacted (keys too).

    With `limit`, long strings are cut to head and tail first (see `clip`), so a
    megabyte tool argument costs nothing and is not stored whole.
    """
    if isinstance(obj, str):
        return clip_redacted(obj, limit) if limit else redact(obj)
    if isinstance(obj, dict):
        return {(redact(k) if isinstance(k, str) else k): redact_obj(v, limit) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [redact_obj(v, limit) for v in obj]
    return obj


_MARGIN = CLIP_MARGIN = 1024


def cut_marker(n: int) -> str:
    """What stands in for the `n` characters `clip` leaves out."""
    return f"\n[… {n} chars cut …]\n"


def clip(text: str, limit: int) -> str:
    """Head and tail of `text` within about `limit` characters, with a marker between."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}{cut_marker(len(text) - 2 * half)}{text[-half:]}"


def clip_redacted(text: str, limit: int, redactor: Callable[[str], str] = redact) -> str:
    """Redact then clip, cheaply for huge text.

    Only the head and tail windows (plus a margin) are redacted, so a secret that
    straddles the cut point is still recognised whole before the cut.
    """
    if len(text) <= limit + 2 * _MARGIN:
        return clip(redactor(text), limit)
    half = limit // 2
    head = redactor(text[: half + _MARGIN])[:half]
    tail_src = text[-(half + _MARGIN) :]
    tail = redactor(tail_src)
    tail = tail[-half:] if half else ""
    return f"{head}{cut_marker(len(text) - 2 * half)}{tail}"
