"""What a person's turn is: a task, a question, a bug report, chatter, flow control — or a lesson.

Why: in real sessions almost every turn steers the task at hand ("can you add
tests for X", "commit, push and pr it", "any ideas why uploads fail?"). Those
are not lessons; a memory made of them is noise. A lesson is a correction, a
convention, a preference or a fact about the environment — said so that it
holds beyond this task. The classifier reads the form of the turn (who it
addresses, its mood, its markers of generality) and where it fell (after a
rejected call, a failed command, an edit), not particular phrases.

Kinds, in the order they are tried:

- ``meta``: slash commands, shell escapes (``!git pull``), tool chatter;
- ``correction``: rejects what the agent just did, including rhetorical
  questions ("why would you repeat the table in the full schema?");
- ``convention`` / ``preference``: a standing rule or taste ("we use pnpm",
  "never edit generated files", "I prefer short commits");
- ``environment_fact``: how this machine or project is set up ("you don't have
  access to docker here", "postgres runs on 192.168.1.5");
- ``question``, ``bug_report``, ``status``, ``flow_control``, ``task_request``:
  the task at hand — not lessons on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reverie.dreamer.lexicon import (
    CORRECTION,
    ENVIRONMENT_FACT,
    PREF,
    REDIRECT,
    RULE_REQUEST,
    SYMPTOM,
    USE,
)

LESSON_KINDS = frozenset({"correction", "convention", "preference", "environment_fact"})
TASK_KINDS = frozenset({"meta", "question", "bug_report", "status", "flow_control", "task_request", "record_request"})

_META = re.compile(
    r"^\s*(?:/[\w:-]+|!\S|<command-|<local-command|\[request interrupted|caveat:|<task-notification"
    r"|<[a-z]+(?:-[a-z]+)+[\s>]|\{\s*\"(?:task_id|tool_use_id|type)\")",
    re.I,
)
"""Not typed by a person: slash commands, shell escapes, and events a tool injected as a user turn
(``<ci-monitor-event>…``, a background task's JSON notice)."""
RECORD_THIS = re.compile(
    r"\b(?:memori[sz]e|remember (?:this|that|it)\b(?! (?:is|are|we|you))|make a note|note (?:this|that) down|"
    r"log (?:a|an|this|that)\b[^.?!]{0,60}\bentry|(?:add|save|write) (?:this|it|that) (?:to|in|into) (?:your )?"
    r"(?:memory|memories|claude\.md|agents\.md|notes)|never (?:happens?|repeats?) again|ensure this never|"
    r"(?:does ?n[o']?t|won'?t) happen again)\b",
    re.I,
)
"""Asks the agent to record a lesson: the lesson is in what the agent then writes, not in these words."""
_PLAN = re.compile(r"^\s*implement the following plan\b", re.I)
RHETORICAL = re.compile(
    r"\bwhy (?:would|did|are|do|does|is|were|was|on earth|the hell)\s+(?:you|u|we|the agent|it|claude|this)\b"
    r"|\bwhy (?:aren'?t|arent|are not|isn'?t|don'?t|dont|do not|doesn'?t|not) (?:we|you|u|the agent)\b"
    r"|\bwhy not just\b|\bhow (?:come|many times)\b|\bdid we not\b|\bdidn'?t (?:i|we) (?:say|tell)\b"
    r"|\bwhat did i (?:just )?say\b",
    re.I,
)
"""A question that is really a correction: it asks the agent to justify what it did."""
_INTERROGATIVE = re.compile(
    r"^\W*(?:(?:ok|okay|so|hmm+|and|but|also|btw|quick question)[\s,:.]+)*"
    r"(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does|did|can|could|would|will|should|"
    r"have|has|had|any (?:idea|ideas|thoughts)|thoughts|am i|isn'?t|aren'?t|doesn'?t|don'?t you think)\b",
    re.I,
)
_BUG = re.compile(
    r"\b(?:error|errors|exception|traceback|stack ?trace|crash(?:es|ed)?|broken|breaks|fails?|failing|failed|"
    r"doesn'?t (?:seem to )?(?:work|start|load|show)|not working|no longer works|still (?:seeing|broken|failing|"
    r"doesn'?t|not)|can'?t get past|is (?:displayed|shown|missing|empty|blank)|isn'?t (?:working|showing)|"
    r"went wrong|something wrong|regression|bug)\b",
    re.I,
)
_STATUS = re.compile(
    r"^\W*(?:(?:ok|okay|great|perfect|nice|cool|awesome|excellent|thanks|thank you|thx|ty|good|lgtm|"
    r"looks good|works|it works|that works|done|fixed|yay|wow|hmm+|uh+|uuum+|ah+|oh+)\b[\s\w,.!']{0,60}$|"
    r".*\b(?:already (?:been )?(?:fixed|done|merged)|thank you|thanks|excellent work|well done|good job)\b)",
    re.I,
)
_FLOW = re.compile(
    r"^\W*(?:(?:ok|okay|yes|yeah|yep|sure|alright|right|cool|great|fine|please|pls|now|so|and|then)[\s,.!]+)*"
    r"(?:continue|proceed|go ahead|go on|carry on|keep going|do it|yes|yeah|yep|ok|okay|sure|commit|push|pr|merge|"
    r"stop|wait|hold on|pause|undo|revert|retry|try (?:it )?again|check again|lets|let'?s|switch|get back|back to|"
    r"pull|rebase|deploy|ship|release|run it|start|restart|next|\d+)\b",
    re.I,
)
_TASK_VERB = re.compile(
    r"\b(?:can|could|would|will) (?:you|u|we)\b|\b(?:please|pls|plz)\b|\bi (?:need|want|would like|'d like) "
    r"(?:you )?to\b|\blet'?s\b|\blets\b|(?:^|[.!?:]\s+)\W*(?:(?:yes|yeah|ok|okay|sure|so|and|now|then|also|great|good)[\s,.!]+)*"
    r"(?:work on|add|fix|implement|create|make|write|update|change|remove|delete|use|"
    r"refactor|rename|move|build|run|test|check|look|review|explain|show|find|search|investigate|debug|help|"
    r"generate|set up|setup|install|migrate|convert|document|summari[sz]e|list|log|handle|do|start|stop|open|"
    r"read|edit|rewrite|port|split|merge|bump|upgrade|tackle|prepare|draft)\b",
    re.I,
)
STANDING = re.compile(
    r"\b(?:always|never|from now on|going forward|every time|each time|whenever|by default|as a rule|"
    r"in (?:the )?future,|in this (?:repo|project|codebase|team)|in our (?:repo|project|codebase|team)|"
    r"we (?:always |never )?(?:use|do|don'?t|prefer|keep|work)|remember (?:to|that)|any ?more|"
    r"here,? (?:we|it'?s|not)|not allowed|ever again|never again|ever)\b",
    re.I,
)
"""Markers that a statement holds beyond this task (stricter than the lexicon's GENERAL)."""
_DIRECTIVE = re.compile(
    r"(?:^|[.!;,:]\s*|\b(?:please|pls|just|and|but|so|then)\s+)(?:do ?n[o']?t|dont|never|stop|avoid|no more)\b"
    r"|\b(?:you|we|agents?) (?:should ?n[o']?t|must ?n[o']?t|must not|should not|can'?t|cannot|may not|"
    r"(?:do|are) not allowed to|mustn'?t|shouldn'?t|always|never|must|should|need to)\b"
    r"|\b(?:always|must|make sure|be sure|remember to|never)\b"
    r"|\b(?:better|best) (?:not )?to\b",
    re.I,
)
"""Addressed to the agent: a must or a must-not (not "I don't need the token")."""
STANDING_RULE = re.compile(r"\b(?:always|never|do ?n[o']?t|dont)\b(?!\s+(?:happens?|repeats?)\b)", re.I)
_PURPOSE = re.compile(r"\bso (?:that )?(?:we|it|this|you|u|i|they)\b[^.!?]*", re.I)
"""A purpose clause ("… so we don't hit this again"): why to record, not a rule of its own."""
_BEFORE_YOU = re.compile(r"^\W*(?:wait,?\s+)?before (?:you|u) (?:go |start |do |continue)", re.I)


@dataclass(frozen=True, slots=True)
class Turn:
    """A classified turn: its kind and why (shown by `reverie dream --explain`)."""

    kind: str
    reason: str

    @property
    def lesson(self) -> bool:
        return self.kind in LESSON_KINDS


def classify_turn(text: str, after: str = "") -> Turn:
    """The kind of a person's turn. `after` is what the agent had just done (see `model.Moment.after`)."""
    t = " ".join((text or "").split())
    if not t:
        return Turn("meta", "empty")
    if _META.match(t):
        return Turn("meta", "a slash command, shell escape or tool note")
    if _PLAN.match(t):
        return Turn("task_request", "a plan handed over to implement")
    if RULE_REQUEST.search(t):
        return Turn("convention", "asks for a standing instruction and says what it is")
    if RECORD_THIS.search(t) and not STANDING_RULE.search(_PURPOSE.sub("", t)):
        return Turn("record_request", "asks the agent to record a lesson; the lesson is in what the agent writes")
    acting = after in ("rejection", "interrupt", "error", "edit", "command")
    first = _first_sentences(t)
    if RHETORICAL.search(first) and (acting or after == "reply"):
        return Turn("correction", "a question that asks the agent to justify what it did")
    if PREF.search(t):
        return Turn("preference", "states a taste ('I prefer', 'keep it short')")
    if ENVIRONMENT_FACT.search(t) and not t.rstrip().endswith("?") and not _FLOW.match(t):
        return Turn("environment_fact", "says how this machine or project is set up")
    words = len(t.split())
    general = bool(STANDING.search(t))
    directive = bool(_DIRECTIVE.search(t) or USE.search(t))
    if words <= 12 and _FLOW.match(t) and not directive:
        return Turn("flow_control", "steers this task's flow (continue, commit, push, switch branch)")
    if after == "rejection" or (
        acting and (CORRECTION.search(t) or REDIRECT.search(t) or USE.search(t) or _BEFORE_YOU.search(t))
    ):
        return Turn("correction", f"right after the agent's {_after_name(after)}, it redirects it")
    if SYMPTOM.search(t) and not _DIRECTIVE.search(t):
        return Turn("bug_report", "reports what the person sees going wrong")
    if general and directive and not _INTERROGATIVE.match(t):
        return Turn("convention", "a standing rule (a generality marker with a must/never/use)")
    if t.rstrip().endswith("?") or (_INTERROGATIVE.match(t) and len(t) < 300):
        return Turn("question", "asks something")
    if _BUG.search(t) and not directive:
        return Turn("bug_report", "reports a symptom to fix")
    if _STATUS.match(t) and not directive and not _TASK_VERB.search(t):
        return Turn("status", "acknowledges or chats")
    if directive and acting and words <= 40:
        return Turn("correction", f"a must/never right after the agent's {_after_name(after)}")
    if _TASK_VERB.search(t) or words > 40:
        return Turn("task_request", "asks for work on the task at hand")
    if directive and not acting:
        return Turn("convention", "a must/never/use statement")
    if directive:
        return Turn("correction", f"a must/never right after the agent's {_after_name(after)}")
    return Turn("status", "no request, rule or fact")


def _first_sentences(text: str, limit: int = 400) -> str:
    return text[:limit]


def _after_name(after: str) -> str:
    return {
        "rejection": "rejected tool use",
        "interrupt": "interrupted action",
        "error": "failed command",
        "edit": "edit",
        "command": "command",
        "reply": "reply",
    }.get(after, "action")
