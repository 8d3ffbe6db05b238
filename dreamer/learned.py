"""Environment facts learned by failing: the person says how this machine or project is set up, right after
the agent's command failed.

Why: the agent had to fail to learn it ("command not found: docker", then "you
dont have access to docker here"), so the next session will fail the same way
unless it is written down. The words alone are often an aside inside a
complaint or a question ("did we not go through this before, you dont have
access to docker here"), which the statement reader does not take for a rule;
the failure right before them is what makes them a lesson. The memory states
the fact in the engine's words and names the attempt that failed — its command,
what the agent meant it to do (the tool call's own description, when it gave
one) and the error line — so a reviewer can check it against the session.

Not a lesson: a question ("is docker not installed?"), a temporary state ("the
registry is not reachable right now"), or a fact said when nothing had failed.
"""

from __future__ import annotations

import re

from reverie.dreamer.lexicon import CREDENTIAL, ENVIRONMENT_FACT, TEMPORAL
from reverie.dreamer.model import Call
from reverie.dreamer.wording import quote

_CLAUSE = re.compile(
    r"(?<=[.!?;])\s+|,\s+(?=(?:but |and |so |since |because )?(?:you|u|we|it|the|this|that|[\w.-]+ (?:is|are|runs?|lives?))\b)",
    re.I,
)
_NO_ACCESS = re.compile(
    r"^\W*(?:but\s+|and\s+|so\s+)?(?:you|u)\s+(?:do ?n[o']?t|dont|don't|can'?t|cannot)\s+(?:have\s+)?"
    r"(?:access|permission)\s+(?:to\s+)?(?P<what>.+)$",
    re.I,
)
_LEAD = re.compile(r"^\W*(?:(?:but|and|so|well|also|btw|fyi|note|ok|okay|hmm+|remember)\b[\s,:]*)+", re.I)


def fact_clause(text: str) -> str | None:
    """The clause of a person's turn that states how the environment is set up, or None."""
    t = " ".join((text or "").split())
    if not t or CREDENTIAL.search(t) or TEMPORAL.search(t):
        return None
    for clause in _CLAUSE.split(t):
        c = clause.strip().rstrip(".!;, ")
        if ENVIRONMENT_FACT.search(c) and not c.endswith("?") and 3 <= len(c.split()) <= 30:
            return c
    return None


def fact_line(clause: str) -> str:
    """The fact in the engine's words: "you dont have access to docker here" → "The agent has no access to docker here"."""
    c = _LEAD.sub("", clause).strip()
    m = _NO_ACCESS.match(c)
    if m:
        c = f"The agent has no access to {m.group('what').strip()}"
    return c[0].upper() + c[1:] if c else ""


def learned_line(text: str, failed: Call) -> str | None:
    """The memory of a fact learned by failing: the fact, then the attempt that failed (command, aim, error)."""
    clause = fact_clause(text)
    if clause is None or not failed.shell or failed.status != "error":
        return None
    fact = fact_line(clause)
    if len(fact.split()) < 3:
        return None
    aim = str((failed.input or {}).get("description") or "").strip().rstrip(".")
    attempt = f"`{quote(failed.target, 80)}`" + (f" (to {aim[0].lower()}{aim[1:]})" if aim else "")
    error = quote(failed.error, 80)
    return f"{fact}: {attempt} failed" + (f" with '{error}'." if error else ".")
