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

Speed: a cheap prefilter (`maybe_secret`) lets clean text skip everything, and
`redact_many` runs one kingfisher scan over a whole batch (maintained rules +
"gates", necessary conditions of our own rules), so only strings something
matched go through the exact per-string rules.

This module is the engine (kingfisher, batches, the verdict cache, the public
functions); the rule tables and the span mechanics are in `reverie.dreamer.redaction`,
one job a module. Callers import from here only.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reverie.dreamer.redaction.clipping import CLIP_MARGIN, Clipped, clip, cut_marker
from reverie.dreamer.redaction.gates import GATES
from reverie.dreamer.redaction.matching import gated_spans, rule_spans
from reverie.dreamer.redaction.prefilter import maybe_secret
from reverie.dreamer.redaction.spans import Span, apply_spans, merge, outside_markers

__all__ = [
    "CLIP_MARGIN",
    "Clipped",
    "GateHits",
    "Span",
    "Verdicts",
    "apply_spans",
    "clip",
    "clip_redacted",
    "contains_secret",
    "credentials_in",
    "cut_marker",
    "find_secrets",
    "fingerprint",
    "redact",
    "redact_many",
    "redact_name",
    "redact_obj",
    "remembered_verdicts",
    "scan_many",
]

log = logging.getLogger(__name__)

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


def _spans(text: str) -> list[Span]:
    """Every credential span in `text` (ours + kingfisher), merged; exact, per string."""
    found: list[Span] = []
    rule_spans(text, found)
    _kingfisher_spans(text, found)
    return merge(outside_markers(text, found))


# --- batches: one scan for many strings ---------------------------------------

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
    """A small kingfisher scanner of `GATES` only (compiles in milliseconds, not cached)."""
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
                for i, (name, pattern) in enumerate((n, p) for n, ps in GATES.items() for p in ps)
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
    near its gate hits (`gated_spans`) and, when a maintained rule hit it,
    kingfisher on that string alone. A string nothing matched has no spans.
    Same result as `find_secrets` for every string, except that kingfisher now
    also sees text without any of the `HINTS` (stricter, never weaker).
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
        gated_spans(t, _char_hits(t, parts[k], gated.get(k, [])), found)
        if k in maintained:
            _kingfisher_spans(t, found)
        found = outside_markers(t, found)
        if found:
            done[t] = merge(found)
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
    if not text or not maybe_secret(text):
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


_CODE = (Path(__file__), *sorted((Path(__file__).parent / "redaction").glob("*.py")))
"""The redactor's own code: a change to any rule makes every kept verdict unknown."""


@functools.lru_cache(maxsize=1)
def fingerprint() -> str:
    """What the redactor's verdicts depend on: this module's code, every module of the rule tables
    (`_CODE`) and the installed kingfisher build (its native library: the maintained rules ship
    inside it). Found without importing kingfisher."""
    import importlib.util

    h = hashlib.sha256()
    for path in _CODE:
        h.update(path.read_bytes())
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


def clip_redacted(text: str, limit: int, scan: Callable[[str], list[Span]] = find_secrets) -> str:
    """Redact, then clip to about `limit` characters (see `Clipped`): cheap for huge text."""
    clipped = Clipped(text, limit)
    return clipped.finish([scan(p) for p in clipped.parts])
