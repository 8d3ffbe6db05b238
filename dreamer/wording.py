"""Small text tools the dream pass shares: tokens, similarity, sentences, phrasing.

Why one module: signals, consolidation and critics must agree on what "the same
lesson" means (token-set similarity over content words) and on how a lesson is
worded (short, imperative, in the user's terms, redacted).
"""

from __future__ import annotations

import re
from functools import lru_cache

from reverie.dreamer.lexicon import NOT_ALLOWED

_WORD = re.compile(r"[a-z0-9][a-z0-9_.+/-]*[a-z0-9]|[a-z0-9]")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "then",
        "so",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "we",
        "you",
        "i",
        "me",
        "my",
        "our",
        "your",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "us",
        "do",
        "does",
        "did",
        "doing",
        "done",
        "have",
        "has",
        "had",
        "not",
        "no",
        "yes",
        "please",
        "just",
        "again",
        "also",
        "too",
        "very",
        "really",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "let",
        "lets",
        "let's",
        "ok",
        "okay",
        "oh",
        "hey",
        "hi",
        "now",
        "then",
        "than",
        "when",
        "what",
        "which",
        "who",
        "whom",
        "why",
        "how",
        "all",
        "any",
        "each",
        "every",
        "some",
        "such",
        "only",
        "own",
        "same",
        "other",
        "into",
        "over",
        "under",
        "about",
        "after",
        "before",
        "up",
        "down",
        "out",
        "off",
        "more",
        "most",
        "use",
        "using",
        "used",
        "always",
        "never",
        "don't",
        "dont",
        "do",
        "not",
        "make",
        "sure",
        "remember",
        "from",
        "going",
        "forward",
        "time",
        "thing",
        "things",
        "like",
        "want",
        "need",
        "instead",
        "rather",
        "one",
        "way",
        "get",
        "got",
        "it's",
        "that's",
        "im",
        "i'm",
        "you're",
        "we're",
        "isn't",
        "aren't",
        "doesn't",
        "didn't",
        "won't",
        "wouldn't",
        "can't",
        "cannot",
        "project",
        "repo",
        "repository",
        "code",
        "yet",
        "pls",
        "plz",
        "u",
        "ur",
        "thx",
        "ty",
        "rn",
        "lol",
        "don",
        "doesn",
        "didn",
        "isn",
        "aren",
        "won",
        "wouldn",
        "shouldn",
        "couldn",
        "can",
        "haven",
        "hasn",
        "ll",
        "ve",
        "re",
    ]
)


@lru_cache(maxsize=65536)
def tokens(text: str) -> frozenset[str]:
    """Content-word tokens (lower case, crude plural stripping) for similarity."""
    out = set()
    for w in _WORD.findall(text.lower().replace("\u2019", "'")):
        if w in STOPWORDS or len(w) < 2:
            continue
        if len(w) > 4 and w.endswith("s") and not w.endswith("ss") and "/" not in w and "." not in w:
            w = w[:-1]
        out.add(w)
    return frozenset(out)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Token-set similarity: the larger of Jaccard and a damped overlap coefficient.

    The overlap part lets a short restatement match a longer one ("short commit
    messages" vs "keep commit messages to one short line") but needs 3 shared words.
    """
    if not a or not b:
        return 0.0
    inter = len(a & b)
    if not inter:
        return 0.0
    jac = inter / len(a | b)
    overlap = inter / min(len(a), len(b)) if inter >= 3 else 0.0
    return max(jac, overlap * 0.9)


def has_word(text: str, word: str) -> bool:
    """`word` stands in `text` as a whole word: a hyphen or word character on either side makes it part of
    another word (`pnpm` is not `npm`, `pre-commit` is not `commit`). Case-sensitive: lower both first."""
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


_SENT = re.compile(r"(?<=[.!?])\s+|\n+|\s+[—–]\s+|;\s+")


def sentences(text: str) -> list[str]:
    """Split a message into sentence-like pieces (keeps backtick spans intact enough)."""
    return [s.strip() for s in _SENT.split(text) if s and s.strip()]


_LEAD = re.compile(
    r"^(?:(?:no|nope|nah|ok|okay|so|well|hey|actually|again|also|and|but|hmm+|ugh+|wait|sorry|please|pls|"
    r"note|i told you|i said|as i said|like i said|seriously|come on)\b[\s,!:.?-]*)+",
    re.I,
)
_REWRITES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(?:please\s+)?remember\s+(?:that\s+|to\s+)?", re.I), ""),
    (re.compile(r"^we (?:always )?use\s+", re.I), "Use "),
    (re.compile(r"^(?:it's|it is)\s+(\S+)\s+(?:in|for)\s+this\s+(project|repo)\b", re.I), r"Use \1 in this \2"),
    (re.compile(r"^i(?:'d| would)? prefer\s+", re.I), "Prefer "),
    (re.compile(r"^(?:from now on|going forward|in (?:the )?future),?\s+", re.I), ""),
    (re.compile(r"^(?:you should|you must|you need to)\s+", re.I), ""),
    (re.compile(r"^(?:make sure (?:to|that you|you)|be sure to)\s+", re.I), ""),
    (
        re.compile(
            r"^(?:i think |i feel |imo,? )?(?:it'?s|it is|it would be|would be) (?:much )?(?:better|best|safer) not to\s+",
            re.I,
        ),
        "Do not ",
    ),
    (
        re.compile(
            r"^(?:i think |i feel |imo,? )?(?:it'?s|it is|it would be|would be) (?:much )?(?:better|best|safer) to\s+",
            re.I,
        ),
        "",
    ),
    (
        re.compile(r"^(?:i think |i feel )?we (?:should not|shouldn'?t|must not|mustn'?t|don'?t want to)\s+", re.I),
        "Do not ",
    ),
    (re.compile(r"^(?:i think |i feel )?we (?:should|must|need to|have to|want to)\s+", re.I), ""),
    (re.compile(r"^don'?t\s+", re.I), "Do not "),
    (NOT_ALLOWED, "Do not "),  # "it is not allowed to push to main", "is not allowed to …" (subject dropped)
    (re.compile(r"^to\s+(?=[a-z])", re.I), ""),  # "please to create the branch" (non-native phrasing)
]


_RATIONALE_FIRST = re.compile(r"^(?P<why>(?:given|since|because|as)\b[^,]{6,120}),\s*(?P<rest>.{6,})$", re.I | re.S)
"""A reason stated first ("given the privacy focus of the app, …"): the lesson leads, the reason follows."""


_TASTE_TAIL = re.compile(
    r"\s*[,;:\u2014-]?\s*(?:that'?s|that is|this is|it'?s|it is) (?:how|what|the way) (?:i|we)(?:'d)? (?:like|prefer|want)"
    r"(?: (?:it|them|things))?\s*[.!]*$",
    re.I,
)
"""The speaker's taste tagged on after the instruction ("…, that's how I like them"): the lesson is the instruction."""


def imperative(sentence: str) -> str:
    """Rephrase a user's sentence as a short imperative line, keeping their words."""
    s = sentence.strip().strip("-*> ").strip()
    s = _LEAD.sub("", s).strip()
    m = _RATIONALE_FIRST.match(s)
    if m:
        main = imperative(m.group("rest"))
        why = m.group("why").strip()
        return f"{main.rstrip('.')}: {why[0].lower()}{why[1:]}." if main else ""
    for pattern, repl in _REWRITES:
        s = pattern.sub(repl, s, count=1).strip()
    s = _TASTE_TAIL.sub("", s).strip()
    s = re.sub(r"[!?]+$", ".", s).strip()
    if not s:
        return ""
    s = s[0].upper() + s[1:]
    if not s.endswith((".", "`", ")")):
        s += "."
    return s


def title_of(line: str, limit: int = 64) -> str:
    """A short title: the first clause of `line`, without the final period."""
    t = line.strip().rstrip(".")
    for sep in (": ", "; ", " — ", ", because", " because "):
        if sep in t and t.index(sep) > 12:
            t = t[: t.index(sep)]
    if len(t) > limit:
        cut = t[:limit].rsplit(" ", 1)[0]
        t = cut.rstrip(",;:") + "…"
    return t


def quote(text: str, limit: int = 200) -> str:
    """A short single-line quote (callers pass already-redacted text)."""
    q = " ".join(text.split())
    return q if len(q) <= limit else q[: limit - 1].rstrip() + "…"


@lru_cache(maxsize=4096)
def approx_tokens(text: str) -> int:
    """Rough token count (chars / 4), enough for context budgets."""
    return (len(text) + 3) // 4


_KEEP_DOUBLE = frozenset(
    [
        "add",
        "pass",
        "miss",
        "call",
        "install",
        "fill",
        "spell",
        "tell",
        "kill",
        "roll",
        "poll",
        "press",
        "access",
        "process",
        "discuss",
        "express",
        "stress",
        "dress",
        "buzz",
        "fuzz",
        "err",
        "stall",
        "scroll",
        "pull",
        "push",
        "bless",
        "guess",
        "toss",
        "boss",
        "uninstall",
        "sell",
        "smell",
        "stuff",
        "sniff",
        "buff",
        "bluff",
        "fall",
    ]
)
_E_ENDINGS = (
    "at",
    "ut",
    "iz",
    "us",
    "ak",
    "ov",
    "rv",
    "rit",
    "id",
    "ag",
    "c",
    "v",
    "ng",
    "dl",
    "bl",
    "pl",
    "rs",
    "ur",
    "ir",
    "as",
    "os",
    "ys",
    "ys",
    "ud",
    "od",
    "ad",
    "ik",
    "ok",
    "uk",
    "ap",
    "ip",
    "yp",
    "op",
    "ar",
    "et",
    "or",
    "ab",
    "ib",
    "ob",
    "ub",
)
_NO_E = frozenset(
    [
        "edit",
        "visit",
        "limit",
        "exit",
        "audit",
        "commit",
        "submit",
        "split",
        "omit",
        "permit",
        "credit",
        "deposit",
        "bring",
        "sing",
        "ring",
        "swing",
        "string",
        "log",
        "debug",
        "tag",
        "lag",
        "drag",
        "plug",
        "bug",
        "hug",
        "dig",
        "rig",
        "sync",
        "lint",
        "print",
        "paint",
        "point",
        "hint",
        "mint",
        "run",
        "begin",
        "open",
        "listen",
        "happen",
        "render",
        "enter",
        "filter",
        "order",
        "offer",
        "cover",
        "deliver",
        "consider",
        "register",
        "alter",
        "answer",
        "gather",
        "wander",
        "wonder",
        "clear",
        "appear",
        "hear",
        "fear",
        "gear",
        "near",
        "tear",
        "wear",
        "bear",
        "focus",
        "bias",
        "alias",
        "atlas",
        "read",
        "load",
        "lead",
        "head",
        "build",
        "hold",
        "fold",
        "mold",
        "shield",
        "yield",
        "field",
        "add",
        "pad",
        "nod",
        "plod",
        "prod",
        "look",
        "book",
        "cook",
        "hook",
        "cook",
        "check",
        "pick",
        "kick",
        "lick",
        "click",
        "stick",
        "trick",
        "lock",
        "block",
        "mock",
        "rock",
        "track",
        "pack",
        "hack",
        "back",
        "attack",
        "stack",
        "map",
        "wrap",
        "trap",
        "tap",
        "cap",
        "clip",
        "skip",
        "ship",
        "slip",
        "drip",
        "flip",
        "grip",
        "strip",
        "zip",
        "type",
        "develop",
        "stop",
        "drop",
        "shop",
        "swap",
        "bar",
        "star",
        "par",
        "mar",
        "scar",
        "spar",
        "war",
        "hurt",
        "start",
        "report",
        "import",
        "export",
        "sort",
        "test",
        "list",
        "fetch",
        "match",
        "patch",
        "watch",
        "switch",
        "catch",
        "touch",
        "push",
        "finish",
        "publish",
        "refresh",
        "rush",
        "flush",
        "brush",
        "crash",
        "hash",
        "stash",
        "fix",
        "mix",
        "box",
        "tax",
        "wax",
        "relax",
        "show",
        "follow",
        "allow",
        "know",
        "grow",
        "throw",
        "flow",
        "draw",
        "view",
        "review",
        "renew",
        "chew",
        "play",
        "stay",
        "pay",
        "say",
        "delay",
        "display",
        "deploy",
        "enjoy",
        "employ",
        "destroy",
        "annoy",
        "obey",
        "try",
        "bust",
        "trust",
        "adjust",
        "rest",
        "ask",
        "mask",
        "task",
        "work",
        "fork",
        "park",
        "mark",
        "bark",
        "talk",
        "walk",
        "help",
        "want",
        "need",
        "seed",
        "feed",
        "speed",
        "bleed",
        "proceed",
        "succeed",
        "exceed",
        "weed",
        "heed",
        "keep",
        "sleep",
        "sweep",
        "weep",
        "peep",
        "deep",
        "creep",
        "think",
        "link",
        "sink",
        "drink",
        "blink",
        "shrink",
        "rethink",
        "wrap",
        "unwrap",
        "parse",
        "repeat",
        "treat",
        "beat",
        "eat",
        "seat",
        "heat",
        "cheat",
        "defeat",
        "format",
        "reformat",
        "chat",
        "combat",
        "wait",
        "await",
        "bait",
        "act",
        "react",
        "extract",
        "contract",
        "attract",
        "abstract",
        "subtract",
        "interact",
        "redact",
        "target",
        "budget",
        "market",
        "ticket",
        "bucket",
        "monitor",
        "color",
        "colour",
        "honor",
        "author",
        "factor",
        "refactor",
        "anchor",
        "vendor",
        "mirror",
        "error",
        "grab",
        "stab",
    ]
)
_IRREGULAR = {
    "writing": "write",
    "making": "make",
    "taking": "take",
    "using": "use",
    "having": "have",
    "running": "run",
    "getting": "get",
    "putting": "put",
    "setting": "set",
    "letting": "let",
    "cutting": "cut",
    "hitting": "hit",
    "sitting": "sit",
    "shutting": "shut",
    "being": "be",
    "doing": "do",
    "going": "go",
    "saying": "say",
    "seeing": "see",
    "lying": "lie",
    "dying": "die",
    "tying": "tie",
    "changing": "change",
    "merging": "merge",
    "staging": "stage",
    "managing": "manage",
    "charging": "charge",
    "judging": "judge",
    "bridging": "bridge",
    "forcing": "force",
    "placing": "place",
    "replacing": "replace",
    "reducing": "reduce",
    "producing": "produce",
    "introducing": "introduce",
}


def base_verb(word: str) -> str:
    """The base form of a verb in -ing ("using" → "use", "running" → "run", "executing" → "execute").

    A lesson is written in the imperative; a rhetorical correction says what the agent
    is *doing* ("why are you still using vale?"). Rules plus the common exceptions; a
    word that does not end in -ing is returned as it is.
    """
    w = word.lower()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if not w.endswith("ing") or len(w) < 5:
        return w
    stem = w[:-3]
    if stem in _NO_E or stem in _KEEP_DOUBLE:
        return stem
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "aeiouy":
        return stem[:-1]  # "shipping" → "ship"
    if stem.endswith(_E_ENDINGS):
        return stem + "e"
    return stem
