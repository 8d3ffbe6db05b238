"""A person's words → durable statements: what to do, in the engine's words, with the quote as evidence.

Why apart from `signals` (the event walk): this is the part that reads
language — lead-ins ("nope,"), chat shorthand ("u", "dont"), "X, not Y",
"no X", "X only", accusations ("you pushed to main again"), rhetorical
corrections ("why would you repeat the table in the full schema?") and
tool swaps ("nope. yarn" after `npm install`). Everything it writes is a short
imperative line; the person's words stay in the statement's `text`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from reverie.dreamer.commands import EDIT_TOOLS, normalize_command, same_family, tool_of
from reverie.dreamer.lexicon import (
    ACCUSATION,
    AGENT_ADDRESS,
    BACKTICK,
    BASE_VERB,
    CREDENTIAL,
    EDIT_VERB,
    GENERAL,
    HIDDEN,
    IMPERATIVE_START,
    INJECTION,
    LEAD_IN,
    MEMORY_VERB,
    NEG,
    NO_THING,
    NOT_WORD,
    ONLY_THING,
    PATH,
    POS_STRONG,
    PREF,
    RATIONALE,
    REJECT_REASON,
    SMALL_TALK,
    TEMPORAL,
    TOOL_WORDS,
    USE,
    VERBS,
)
from reverie.dreamer.model import Call, Key, Statement, trust_of
from reverie.dreamer.shorthand import expand_shorthand
from reverie.dreamer.turns import RHETORICAL
from reverie.dreamer.wording import imperative, quote, sentences, tokens
from reverie.store.models import Event

_NOT_A_WORD = frozenset(
    [
        "the",
        "a",
        "an",
        "to",
        "just",
        "that",
        "this",
        "it",
        "so",
        "only",
        "more",
        "one",
        "need",
        "longer",
        "way",
        "worries",
    ]
)
_FORGOT = re.compile(
    r"^\W*(?:again,?\s+)?(?:you|u)\s+(?:forgot|skipped|missed|left out|did ?n[o']?t run)\s+(?:to\s+)?"
    r"(?P<what>.{3,120}?)(?:\s+again)?\s*[!.?]*$",
    re.I,
)
"""A missed step ("u skipped the changeset bump again"): do not skip it."""
_COMMAND_FIRST = re.compile(
    r"^\W*(?P<cmd>(?P<prog>[a-z][\w.+-]*)(?:\s+[\w:./@=-]+){0,4}?)"
    r"(?P<rest>\s+(?:before|after|first|then|instead|when|whenever|every time|each time)\b.*)?\W*$",
    re.I,
)
"""A correction that is just a command ("yarn changeset version before tagging"): run it."""
_WHY_WOULD = re.compile(
    r"^(?P<reason>.*?)[,;:\s]*\bwhy (?:would|did|do|are|is|were|was) (?:you|u|we|it|the agent)\s+"
    r"(?P<act>[^?]{3,160}?)(?:\s+if\s+(?P<cond>[^?]{3,160}))?\s*\?*\s*$",
    re.I | re.S,
)


def core(sentence: str) -> str:
    """The sentence without chat shorthand and correction lead-ins ("nope, use yarn" -> "use yarn")."""
    out = expand_shorthand(sentence)  # never inside code: `sort -u` stays `sort -u`
    stripped = LEAD_IN.sub("", out).strip()
    return stripped if len(stripped) >= 3 else out.strip()


def classify(sentence: str) -> tuple[str, bool] | None:
    """(polarity, strong) of a directive sentence, or None when it is not one."""
    sentence = core(sentence)
    if sentence.rstrip().endswith("?") and not re.search(r"\b(never|always|don'?t|do not)\b", sentence, re.I):
        return None
    if PREF.search(sentence):
        return "prefer", False
    if USE.search(sentence):
        return "use", bool(POS_STRONG.search(sentence))
    if NEG.search(sentence) or NO_THING.search(sentence):
        return "must_not", True
    if POS_STRONG.search(sentence):
        return "must", True
    if IMPERATIVE_START.search(sentence):
        return "must", False
    if ONLY_THING.search(sentence):
        return "use", False
    if re.search(r"[\w`'\"][,—–:-]?\s+(?:please\s+)?[—–,-]\s*not\s+[`'\"]?\w|^\W*[\w.+-]+\s*,\s*not\s+\w", sentence):
        return "use", False
    if re.search(r"\b(we use|we're using|it'?s \w+ in this (?:project|repo)|here, not)\b", sentence, re.I):
        return "use", False
    return None


def _word(w: str) -> str:
    return w.lower().strip("`'\".,;:!?")


def statement_keys(sentence: str) -> set[Key]:
    """`use X over Y` and `not Y` keys of a sentence (what it prefers and what it rejects)."""
    keys: set[Key] = set()
    for m in USE.finditer(sentence):
        a, b = _word(m.group(1)), _word(m.group(2))
        keys.add(Key.use(a, b))
        keys.add(Key.reject(b))
    for m in NOT_WORD.finditer(sentence):
        word = _word(m.group(1))
        if word and word not in VERBS and word not in _NOT_A_WORD:
            keys.add(Key.reject(word))
    return keys


def mentioned_paths(text: str) -> list[str]:
    out = []
    for m in PATH.finditer(text):
        p = m.group(1)
        if "://" in text[max(0, m.start() - 12) : m.start() + 3] or p.startswith(("http", "www.")):
            continue
        if p.count("/") == 1 and p.endswith("/") is False and "." not in p.rsplit("/", 1)[-1] and len(p) < 6:
            continue  # "and/or", "i/o"
        out.append(p.lstrip("./") if p.startswith("./") else p)
    return out[:6]


def concrete(sentence: str) -> bool:
    """A lesson must name something: two content words, a program, a path or a command."""
    toks = tokens(sentence)
    return (
        len(toks) >= 2 or bool(toks & TOOL_WORDS) or bool(BACKTICK.search(sentence)) or bool(mentioned_paths(sentence))
    )


def rejection_reason(ev: Event) -> str:
    """The words a person typed when rejecting a tool use (Claude Code keeps them in the result)."""
    if ev.trust != "tool" or ev.is_sidechain:
        return ""  # web/MCP/subagent output could imitate the wording; only our own tools' results count
    head = (ev.text or "")[:3000]
    if not head.startswith(("The user doesn't want", "The user does not want")):
        return ""
    m = REJECT_REASON.search(head)
    return m.group(1).strip() if m else ""


def rhetorical_lesson(sentence: str) -> str | None:
    """ "<reason>, why would you <act> [if <cond>]?" → "Do not <act>: <reason>." (the reason is the lesson's why)."""
    m = _WHY_WOULD.match(core(sentence).strip())
    if not m:
        return None
    act = m.group("act").strip().rstrip(".,;")
    act = re.sub(r"^(?:still|even|just|again)\s+", "", act, flags=re.I)
    act = re.sub(r"\b(?:your|you)\b", "the", act, flags=re.I)
    reason = re.sub(r"^\W*(?:but|and|so|well|hmm+|ok|okay)\b[\s,]*", "", m.group("reason").strip(), flags=re.I)
    reason = reason.rstrip(" ,;:")
    cond = (m.group("cond") or "").strip().rstrip(".")
    if len(act.split()) < 2:
        return None
    line = f"Do not {act}"
    why = reason or (f"{cond}" if cond else "")
    if cond and reason:
        why = f"{reason} ({cond})"
    line = f"{line}: {why[0].lower() + why[1:]}." if why else f"{line}."
    return line if len(line) <= 300 else None


def read_turn(ev: Event, is_correction: bool, prior: Call | None, turn: str = "") -> list[Statement]:
    """The statements of one person's turn (at most two), strongest first."""
    text = ev.text or ""
    if len(text) > 4000 or text.lstrip().startswith(("<command-", "<local-command", "Caveat:", "[Request")):
        return []
    found: list[Statement] = []

    def add(
        sentence: str,
        line: str,
        polarity: str,
        strong: bool,
        keys: set[Key] | None = None,
        commands: list[str] | None = None,
    ) -> None:
        found.append(
            Statement(
                kind="correction" if is_correction else "request",
                text=quote(sentence, 300),
                line=line,
                polarity=polarity,
                strong=strong,
                general=bool(GENERAL.search(sentence) or RATIONALE.search(text)),
                temporal=bool(TEMPORAL.search(text)),
                uuid=ev.uuid,
                ts=ev.timestamp,
                trust=trust_of(ev.trust),
                keys=frozenset(_keys(sentence, text, polarity, is_correction, prior) | (keys or set())),
                paths=mentioned_paths(sentence),
                commands=(commands or []) + BACKTICK.findall(sentence)[:4],
                prior=_prior_view(prior),
                turn=turn,
            )
        )

    for sentence in sentences(text)[:20]:
        if len(sentence) < 5 or len(sentence) > 400 or SMALL_TALK.match(sentence) or SMALL_TALK.match(core(sentence)):
            continue
        if CREDENTIAL.search(sentence) or "[REDACTED:" in sentence:
            continue  # its point is a credential: nothing durable to keep
        if is_correction and RHETORICAL.search(sentence):
            line = rhetorical_lesson(sentence)
            if line:
                add(sentence, line, "must_not", True)
                continue
        cls = classify(sentence)
        if is_correction and cls is None:
            missed = _FORGOT.match(core(sentence))
            if missed:
                what = missed.group("what").strip().rstrip(".")
                add(sentence, f"Do not skip {what}.", "must", True)
                continue
            run = _COMMAND_FIRST.match(core(sentence))
            if run and run.group("prog").lower() in TOOL_WORDS and len(run.group("cmd").split()) >= 2:
                cmd, rest = run.group("cmd").strip(), (run.group("rest") or "").strip()
                add(sentence, f"Run `{cmd}`" + (f" {rest.rstrip('.')}." if rest else "."), "must", False, None, [cmd])
                continue
        accused = ACCUSATION.match(core(sentence)) if is_correction and cls is None else None
        if accused is not None:
            verb = accused.group(1).lower()
            add(sentence, f"Do not {BASE_VERB.get(verb, verb)} {accused.group(2).strip()}.", "must_not", True)
            continue
        if cls is None or not concrete(core(sentence)):
            continue
        polarity, strong = cls
        general = bool(GENERAL.search(sentence) or RATIONALE.search(text))
        temporal = bool(TEMPORAL.search(text))
        if not (is_correction or general or (temporal and strong) or polarity == "prefer"):
            continue
        line = imperative(core(sentence))
        no_thing = NO_THING.match(core(sentence))
        if no_thing and not line.lower().startswith("no "):  # imperative() drops a leading "no"
            line = "No " + line[0].lower() + line[1:]
        if len(line) < 8:
            continue
        add(sentence, line, polarity, strong)
    if (
        not found
        and is_correction
        and 8 <= len(text) <= 200
        and len(sentences(text)) > 1
        and not CREDENTIAL.search(text)
    ):
        whole = " ".join(text.split())  # "yarn please — not npm": the split hid the point
        cls = classify(whole)
        if cls is not None:
            add(whole, imperative(core(whole)), cls[0], cls[1])
    if not found and is_correction and prior and prior.shell and len(text) <= 200:
        # "nope. yarn": a terse correction naming the program to run instead of the one the agent ran
        old = tool_of(prior.norm or normalize_command(prior.target))
        named = [w for w in dict.fromkeys(re.findall(r"[a-z][\w.+-]*", core(text).lower())) if same_family(old, w)]
        if len(named) == 1:
            new = named[0]
            add(
                " ".join(text.split()),
                f"Use {new}, not {old}.",
                "use",
                False,
                {Key.use(new, old), Key.reject(old), Key.swap(old, new)},
            )
    found.sort(key=lambda s: (not s.strong, not s.general))
    return found[:2]


def _prior_view(prior: Call | None) -> Call | None:
    if prior is None:
        return None
    return replace(prior, target=prior.target[:200], input={})


def _keys(sentence: str, message: str, polarity: str, is_correction: bool, prior: Call | None) -> set[Key]:
    """Cluster keys: `use X over Y` / `not Y` (from the whole message for corrections) and `forbid <dir>`
    when a must-not follows an edit (the folder the edit touched)."""
    keys = statement_keys(message if is_correction else sentence)
    if is_correction and prior and prior.shell and polarity in ("use", "must"):
        old = tool_of(prior.norm or normalize_command(prior.target))
        low = core(message).lower()
        named = [w for w in dict.fromkeys(re.findall(r"[a-z][\w.+-]*", low)) if same_family(old, w)]
        if len(named) == 1 and not re.search(rf"\b(?:use|run)\s+{re.escape(old)}\b", low):
            keys |= {Key.use(named[0], old), Key.reject(old)}
    if (
        polarity == "must_not"
        and prior
        and prior.tool in EDIT_TOOLS
        and prior.target
        and (
            EDIT_VERB.search(sentence)
            or any(prior.target.lstrip("./").startswith(p.rstrip("/")) for p in mentioned_paths(sentence))
        )
    ):
        # about editing that place ("stop touching vendor/"), not about what was written ("no default export")
        target = prior.target.lstrip("./")
        said = mentioned_paths(sentence) + [p for p in mentioned_paths(message) if p not in mentioned_paths(sentence)]
        exact = [p for p in said if p.rstrip("/") == target and not p.endswith("/")]
        named_dirs = [p.rstrip("/") for p in said if target.startswith(p.rstrip("/") + "/")]
        # the file itself when the person named it ("never edit web/yarn.lock"), else the folder they named,
        # else the folder of the file the agent edited
        if exact:
            folder = exact[0]
        elif named_dirs:
            folder = max(named_dirs, key=len)
        else:
            folder = target.rsplit("/", 1)[0] if "/" in target else target
        keys.add(Key.forbid(folder))
    return keys


def external_statement(ev: Event) -> Statement | None:
    """Instruction-like text inside tool/external content (prompt-injection candidates)."""
    text = ev.text[:20000]
    injection = bool(INJECTION.search(text))
    hidden = bool(HIDDEN.search(text))
    addressed = bool(AGENT_ADDRESS.search(text))
    if not injection and not hidden and not (ev.trust == "external" and addressed):
        return None
    if not injection and not hidden and (ev.tool_name in ("Task", "Agent") or ev.is_sidechain):
        return None  # our own subagent's report echoing its brief is not an outside instruction
    picked = []
    for sentence in sentences(text):
        if len(sentence) > 600:
            continue
        directive = POS_STRONG.search(sentence) or NEG.search(sentence) or INJECTION.search(sentence)
        if (directive and (injection or (hidden and (HIDDEN.search(sentence) or AGENT_ADDRESS.search(sentence))))) or (
            addressed and MEMORY_VERB.search(sentence) and not sentence.lstrip().startswith(("REMINDER", "IMPORTANT"))
        ):
            picked.append(sentence.strip("<!-> "))
        if len(picked) >= 4:
            break
    if not picked:
        return None
    body = " ".join(picked)
    body = re.sub(r"^(?:note to [\w\s]+?:|[\w\s]+ reading this:)\s*", "", body, flags=re.I)
    return Statement(
        kind="external",
        text=quote(" ".join(picked), 300),
        line=imperative(body)[:600],
        polarity="must",
        strong=True,
        general=True,
        temporal=False,
        uuid=ev.uuid,
        ts=ev.timestamp,
        trust=trust_of(ev.trust),
        commands=BACKTICK.findall(body)[:4],
        tool=ev.tool_name,
    )
