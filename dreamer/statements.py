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
    FIRST_PERSON,
    GENERAL,
    HIDDEN,
    IMPERATIVE_START,
    INJECTION,
    ISSUE_LINK,
    JOINED_LEAD,
    LEAD_IN,
    MEMORY_VERB,
    NEG,
    NO_THING,
    NOT_ALLOWED,
    NOT_WORD,
    ONLY_THING,
    PATH,
    POS_STRONG,
    PRACTICE_VERB,
    PREF,
    RATIONALE,
    REASON_CLAUSE,
    REJECT_REASON,
    RULE_REQUEST,
    SMALL_TALK,
    SYMPTOM,
    TEMPORAL,
    TOOL_WORDS,
    USE,
    VERBS,
)
from reverie.dreamer.methods import method_of
from reverie.dreamer.model import Call, Key, Statement, trust_of
from reverie.dreamer.shortcuts import workaround_lesson
from reverie.dreamer.shorthand import expand_shorthand
from reverie.dreamer.turns import RHETORICAL
from reverie.dreamer.wording import base_verb, imperative, quote, sentences, tokens
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
_WHY_NOT = re.compile(
    r"^(?P<reason>.*?)[,;:\s]*\bwhy (?:are ?n[o']?t|aren'?t|is ?n[o']?t|isn'?t|do ?n[o']?t|don'?t|does ?n[o']?t|"
    r"doesn'?t|not) (?P<who>we|you|u|the agent|it)\s+(?P<act>[^?]{3,160}?)\s*\?*\s*$",
    re.I | re.S,
)
"""A question why a practice is not followed ("why aren't we using table-driven tests here?"): follow it."""
_WHY_WOULD = re.compile(
    r"^(?P<reason>.*?)[,;:\s]*\bwhy (?:would|did|do|are|is|were|was) (?:you|u|we|it|the agent)\s+"
    r"(?P<act>[^?]{3,160}?)(?:\s+if\s+(?P<cond>[^?]{3,160}))?\s*\?*\s*$",
    re.I | re.S,
)


def core(sentence: str) -> str:
    """The sentence without chat shorthand and correction lead-ins ("nope, use yarn" -> "use yarn")."""
    out = expand_shorthand(sentence)  # never inside code: `sort -u` stays `sort -u`
    stripped = JOINED_LEAD.sub("", LEAD_IN.sub("", out)).strip()
    return stripped if len(stripped) >= 3 else out.strip()


_STANDING_WORD = re.compile(r"\b(never|always|don'?t|do not)\b", re.I)
"""A question that still says never/always/don't ("why not X? never Y") can carry a rule."""
_X_NOT_Y = re.compile(r"[\w`'\"][,—–:-]?\s+(?:please\s+)?[—–,-]\s*not\s+[`'\"]?\w|^\W*[\w.+-]+\s*,\s*not\s+\w")
""""yarn — not npm", "pytest, not unittest": the first is the one to use."""
_WE_USE = re.compile(r"\b(we use|we're using|it'?s \w+ in this (?:project|repo)|here, not)\b", re.I)
"""How this project does it ("we use pnpm", "it's ruff in this repo"): a use."""


def classify(sentence: str) -> tuple[str, bool] | None:
    """(polarity, strong) of a directive sentence, or None when it is not one."""
    sentence = core(sentence)
    if sentence.rstrip().endswith("?") and not _STANDING_WORD.search(sentence):
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
    if _X_NOT_Y.search(sentence) or _WE_USE.search(sentence):
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
    """ "<reason>, why would you <act> [if <cond>]?" → "Do not <act>: <reason>." (the reason is the lesson's why);
    "why aren't we <using X>?" → "Use X." (only for how work is done: not "why don't we have X?")."""
    plain = core(sentence).strip()
    neg = _WHY_NOT.match(plain)
    if neg:
        act = neg.group("act").strip().rstrip(".,;")
        if not PRACTICE_VERB.match(act):
            return None  # "why don't we have a RenderTrusted()": a design idea for this change, not a practice
        first, _, rest = act.partition(" ")
        act = f"{base_verb(first)} {_generic(rest)}".strip()
        return f"{act[0].upper()}{act[1:]}." if len(act.split()) >= 2 else None
    m = _WHY_WOULD.match(plain)
    if not m:
        return None
    act = m.group("act").strip().rstrip(".,;")
    act = re.sub(r"^(?:(?:still|even|just|again|keep|keeps)\s+)+", "", act, flags=re.I)
    act = re.sub(r"\b(?:your|you)\b", "the", act, flags=re.I)
    first, _, rest = act.partition(" ")
    act = f"{base_verb(first)} {rest}".strip() if first.lower().endswith("ing") else act
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


_THIS_ONE = re.compile(r"\b(?:these|this|that|those)\s+(?=[a-z])", re.I)


def _generic(text: str) -> str:
    """ "table-driven tests for these test cases" → "table-driven tests for test cases": no pointing at one change."""
    return _THIS_ONE.sub("", text).strip()


_ADDRESSED = re.compile(
    r"^\W*(?:please\s+)?(?:do not|don'?t|never|always|no|avoid|stop|prefer|keep|only|use|run|make sure|hand)\b"
    r"|\b(?:you|we|agents?|the agent|claude) (?:should|must|need to|have to|shall|always|never|do ?n[o']?t|don'?t|"
    r"should ?n[o']?t|must ?n[o']?t|may ?n[o']?t|use|keep|prefer)\b",
    re.I,
)
_UNIVERSAL = re.compile(r"\b(?:never|always|only|every|all|any|no)\b", re.I)
_PRONOUN_SUBJECT = re.compile(r"^\W*(?:they|it|this|that|these|those|he|she|there|here)\b(?!-)", re.I)
_DECLARATIVE_START = re.compile(
    r"^\W*(?:the|a|an|its|it'?s|his|her|their|our|your|some|most|many|one|everything|nothing)\b(?!-)", re.I
)
"""A sentence that opens with its subject states something; a rule opens with what to do ("Use …", "Never …")."""
_QUESTION_START = re.compile(
    r"^\W*(?:why|how|what|which|who|is|are|do(?!\s+not\b)|does|did|can|could|would|will|should|shall|"
    r"have|has)\b",
    re.I,
)
_TASKY = re.compile(
    r"^\W*(?:can|could|would|will) (?:you|u)\b|^\W*(?:please|pls|plz)\b|\blet'?s\b|\bi (?:need|want) you\b", re.I
)
MAX_LESSON_WORDS = 45


def addressed(text: str) -> bool:
    """Said to the agent as a must or a must-not ("never X", "use Y", "you should Z"), not about something."""
    plain = imperative(text)  # "from now on, run the linter" → "Run the linter"
    return bool(IMPERATIVE_START.search(plain) or _ADDRESSED.search(plain))


def lesson_problem(line: str, strict: bool = True) -> str:
    """Why a written line is not a durable lesson ('' when it is one).

    A lesson is a short rule for the agent: not the speaker's account ("I want to keep that
    documentation …"), a symptom ("I don't see a prompt anymore"), a question, a request
    about the task at hand, or a sentence about one issue or pull request. `strict` (the
    heuristic engine's own lines) also refuses a remark about one thing ("they don't look
    that bad"); a fact another engine states ("Postgres runs on the Docker host") may be one.
    """
    text = " ".join(line.split())
    if len(text) < 8:
        return "too short to say anything"
    if FIRST_PERSON.match(text) and not PREF.search(text):
        return "the speaker's account of the task, not a rule"
    if text.endswith("?") or (strict and _QUESTION_START.match(text)):
        return "a question"
    if _TASKY.search(text):
        return "a request about the task at hand"
    if SYMPTOM.search(text):
        return "a symptom (a bug report)"
    if ISSUE_LINK.search(text):
        return "about one issue or pull request"
    if not strict:
        return ""
    if len(text.split()) > MAX_LESSON_WORDS:
        return f"longer than {MAX_LESSON_WORDS} words: not a short statement"
    if not addressed(text) and (
        _PRONOUN_SUBJECT.match(text) or (_DECLARATIVE_START.match(text) and not _UNIVERSAL.search(text))
    ):
        return "a remark, not a rule"
    return ""


def rule_line(rule: str) -> str:
    """The rule a person asked to record, as a line: "it is not allowed to X" → "Do not X"."""
    text = core(rule).strip().rstrip(".")
    text = NOT_ALLOWED.sub("Do not ", text, count=1)
    line = imperative(text)
    return line if not lesson_problem(line) else ""


def reasoned(sentence: str) -> tuple[str, str] | None:
    """(rule, reason) of a directive that gives its reason ("do not wrap lines as that ruins the rendering")."""
    parts = REASON_CLAUSE.split(core(sentence), maxsplit=1)
    if len(parts) != 2 or len(parts[0].split()) < 3 or len(parts[1].split()) < 3:
        return None
    rule, why = parts[0].strip(" ,"), parts[1].strip().rstrip(".")
    return (rule, why) if classify(rule) and addressed(rule) else None


def read_turn(ev: Event, is_correction: bool, prior: Call | None, turn: str = "") -> list[Statement]:
    """The statements of one person's turn (at most two), strongest first."""
    text = ev.text or ""
    if len(text) > 4000 or text.lstrip().startswith(("<command-", "<local-command", "Caveat:", "[Request")):
        return []
    found: list[Statement] = []
    reasoned_turn = bool(RATIONALE.search(text))  # the whole turn's: the same for each of its sentences
    temporal = bool(TEMPORAL.search(text))

    def add(
        sentence: str,
        line: str,
        polarity: str,
        strong: bool,
        keys: set[Key] | None = None,
        commands: list[str] | None = None,
        general: bool | None = None,
        basis: str = "",
    ) -> None:
        if basis != "method" and lesson_problem(line):
            return
        found.append(
            Statement(
                kind="correction" if is_correction else "request",
                text=quote(sentence, 300),
                line=line,
                polarity=polarity,
                strong=strong,
                general=bool(reasoned_turn or GENERAL.search(sentence)) if general is None else general,
                temporal=temporal,
                uuid=ev.uuid,
                ts=ev.timestamp,
                trust=trust_of(ev.trust),
                keys=frozenset(_keys(sentence, text, polarity, is_correction, prior) | (keys or set())),
                paths=mentioned_paths(sentence),
                commands=(commands or []) + BACKTICK.findall(sentence)[:4],
                prior=_prior_view(prior),
                turn=turn,
                basis=basis,
            )
        )

    refused = workaround_lesson(text) if not CREDENTIAL.search(text) else None
    if refused is not None:
        # "don't just X, fix the actual problem": how this project's problems are handled, whatever the turn is
        add(refused[1], refused[0], "must_not", True, general=True, basis="refused_shortcut")
    for sentence in sentences(text)[:20]:
        if len(sentence) < 5 or len(sentence) > 400:
            continue
        plain = core(sentence)  # once per sentence: every test below reads the same de-shorthanded words
        if SMALL_TALK.match(sentence) or SMALL_TALK.match(plain):
            continue
        if CREDENTIAL.search(sentence) or "[REDACTED:" in sentence:
            continue  # its point is a credential: nothing durable to keep
        if SYMPTOM.search(sentence) and not addressed(plain):
            continue  # what the person sees going wrong: a bug report
        asked = RULE_REQUEST.search(sentence)
        if asked:
            line = rule_line(asked.group("rule") or asked.group("rule2") or asked.group("rule3") or "")
            if line:
                said_as = classify(line) or ("must", True)
                add(sentence, line, said_as[0], True, general=True, basis="rule_request")
                continue
        means = method_of(sentence)
        if means is not None:
            add(sentence, means.line, "use", False, {Key.via(means.means)}, general=False, basis="method")
            continue
        if is_correction and RHETORICAL.search(sentence):
            asked_why = rhetorical_lesson(sentence)
            if asked_why:
                repeated = bool(re.search(r"\b(?:still|again|keep|keeps)\b", sentence, re.I))
                negative = asked_why.startswith("Do not ")
                lasting = True if (repeated or not negative or ":" in asked_why) else None
                add(sentence, asked_why, "must_not" if negative else "use", True, general=lasting)
                continue
        cls = classify(sentence)
        if is_correction and cls is None:
            missed = _FORGOT.match(plain)
            if missed:
                what = missed.group("what").strip().rstrip(".")
                add(sentence, f"Do not skip {what}.", "must", True)
                continue
            run = _COMMAND_FIRST.match(plain)
            if run and run.group("prog").lower() in TOOL_WORDS and len(run.group("cmd").split()) >= 2:
                cmd, rest = run.group("cmd").strip(), (run.group("rest") or "").strip()
                add(sentence, f"Run `{cmd}`" + (f" {rest.rstrip('.')}." if rest else "."), "must", False, None, [cmd])
                continue
        accused = ACCUSATION.match(plain) if is_correction and cls is None else None
        if accused is not None:
            verb = accused.group(1).lower()
            add(sentence, f"Do not {BASE_VERB.get(verb, verb)} {accused.group(2).strip()}.", "must_not", True)
            continue
        if cls is None or not concrete(plain):
            continue
        polarity, strong = cls
        general = bool(reasoned_turn or GENERAL.search(sentence))
        why = reasoned(sentence)
        if why is not None and not temporal:
            rule = imperative(why[0]).rstrip(".")
            add(sentence, f"{rule}: {why[1][0].lower()}{why[1][1:]}.", polarity, strong, general=True)
            continue  # a rule with its reason outlasts the task it was said in
        if not (is_correction or general or (temporal and strong) or polarity == "prefer"):
            continue
        line = imperative(plain)
        no_thing = NO_THING.match(plain)
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
        named = _family_named(old, core(text).lower())
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


_WORDISH = re.compile(r"[a-z][\w.+-]*")


def _family_named(old: str, low: str) -> list[str]:
    """The programs of `old`'s family that lower-cased `low` names, each once ("nope. yarn" after `npm i`)."""
    return [w for w in dict.fromkeys(_WORDISH.findall(low)) if same_family(old, w)]


def _keys(sentence: str, message: str, polarity: str, is_correction: bool, prior: Call | None) -> set[Key]:
    """Cluster keys: `use X over Y` / `not Y` (from the whole message for corrections) and `forbid <dir>`
    when a must-not follows an edit (the folder the edit touched)."""
    keys = statement_keys(message if is_correction else sentence)
    if is_correction and prior and prior.shell and polarity in ("use", "must"):
        old = tool_of(prior.norm or normalize_command(prior.target))
        low = core(message).lower()
        named = _family_named(old, low)
        if len(named) == 1 and not re.search(rf"\b(?:use|run)\s+{re.escape(old)}\b", low):
            keys |= {Key.use(named[0], old), Key.reject(old)}
    if polarity != "must_not" or not prior or prior.tool not in EDIT_TOOLS or not prior.target:
        return keys
    target = prior.target.lstrip("./")
    in_sentence = mentioned_paths(sentence)
    if not (EDIT_VERB.search(sentence) or any(target.startswith(p.rstrip("/")) for p in in_sentence)):
        return keys
    # about editing that place ("stop touching vendor/"), not about what was written ("no default export")
    said = in_sentence + [p for p in mentioned_paths(message) if p not in in_sentence]
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
