"""Critics: attach the failure labels of DESIGN §2 to proposals, from any engine.

Why deterministic critics: they are the safety net under every engine — the
heuristic one and the LLM one alike — so they must not depend on a model. Each
critic looks at one proposal (plus the active store, the workspace and the other
proposals) and returns labels whose reason names the evidence (session id and
event uuid). A `block` label keeps the proposal from being applied until a
person clears it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reverie.dreamer.artifact_text import artifact_lines, conflict_word
from reverie.dreamer.pathlike import RepoPaths
from reverie.dreamer.redact import contains_secret as _contains_secret
from reverie.dreamer.redact import redact as _redact
from reverie.dreamer.redact import redact_obj as _redact_obj
from reverie.dreamer.signals import HIDDEN, INJECTION, TEMPORAL, TOOL_WORDS, classify
from reverie.dreamer.wording import approx_tokens, quote, similarity, tokens
from reverie.store.models import Artifact, Label, Proposal, kind_rank, scope_rank

PIPE_TO_SHELL = re.compile(
    r"\b(curl|wget|iwr|invoke-webrequest|fetch)\b[^|\n]{0,200}\|\s*(sudo\s+)?(ba|z|da|k)?sh\b|"
    r"\b(curl|wget)\b[^|\n]{0,200}\|\s*(sudo\s+)?python3?\b|bash\s+<\(\s*curl|sh\s+-c\s+\"\$\(curl",
    re.I,
)
EXFIL = re.compile(
    r"(webhook\.site|requestbin|pipedream\.net|ngrok\.io|ngrok-free\.app|pastebin\.com|transfer\.sh|"
    r"interact\.sh|burpcollaborator|https?://[^\s\"'`]*[?&][\w-]*=\$\{?[A-Z_]{3,}|"
    r"(post|upload|send|exfiltrate|curl\s+-[dF]|--data)[^\n]{0,80}(~/\.aws|~/\.ssh|id_rsa|\.env\b|credentials|"
    r"api[_ ]?keys?|tokens?))",
    re.I,
)
CONCEAL = re.compile(
    r"(do not|don'?t|never) (tell|inform|mention|show|notify)[^.\n]{0,20}\b(the )?(user|human|person)|"
    r"without (telling|informing) the (user|human)|keep (this|it) (secret|hidden) from",
    re.I,
)
VAGUE = re.compile(
    r"^\W*(be careful|do (it|this|things) (right|properly|better)|write good code|follow best practices|"
    r"as usual|remember this|keep that in mind|same as before|do the thing|fix it|that thing)\W*$",
    re.I,
)
ALWAYS_LOADED = ("CLAUDE.md", "CLAUDE.local.md", ".claude/CLAUDE.md", "AGENTS.md")
DEFAULT_CONTEXT_BUDGET = 5000
"""Tokens of always-loaded context (CLAUDE.md & co.) beyond which additions are flagged."""


@dataclass
class CriticEnv:
    workspace: Path
    artifacts: list[Artifact]
    proposals: list[Proposal]
    context_budget: int = DEFAULT_CONTEXT_BUDGET
    always_loaded_tokens: int = 0
    notes: dict[str, int] = field(default_factory=dict)


def _ev(p: Proposal, trusts: tuple[str, ...] | None = None) -> str:
    """ "session 1a2b3c4d, event 5e6f7a8b" for the first (matching) evidence."""
    for e in p.evidence:
        if trusts is None or e.trust in trusts:
            return f"session {e.session_id[:8]}, event {(e.event_uuid or '?')[:8]}"
    return "no evidence cited"


def _texts(p: Proposal) -> list[str]:
    return [p.title, p.body, p.rationale] + [e.quote for e in p.evidence]


def instruction_like(p: Proposal) -> bool:
    if kind_rank(p.kind) >= kind_rank("instinct"):
        return True
    return any(classify(s) is not None for s in re.split(r"(?<=[.!?])\s+|\n", p.body) if s.strip())


# --- the critics -------------------------------------------------------------------


def memory_poisoning(p: Proposal, env: CriticEnv) -> list[Label]:
    out = []
    untrusted = [e for e in p.evidence if e.trust in ("tool", "external")]
    if untrusted and instruction_like(p):
        e = untrusted[0]
        out.append(
            Label(
                "memory_poisoning",
                "block",
                f"instruction-like content whose evidence has {e.trust} trust "
                f"(session {e.session_id[:8]}, event {(e.event_uuid or '?')[:8]})",
            )
        )
    text = "\n".join(_texts(p))
    checks = [
        (PIPE_TO_SHELL, "pipes a download into a shell"),
        (EXFIL, "sends data or credentials to an outside URL"),
        (CONCEAL, "asks to hide something from the user"),
        (INJECTION, "contains prompt-injection wording"),
        (HIDDEN, "contains hidden/zero-width/bidi Unicode"),
    ]
    for pattern, what in checks:
        m = pattern.search(text) if pattern is not HIDDEN else pattern.search(text + p.name)
        if m:
            shown = repr(m.group(0)) if pattern is HIDDEN else f"'{quote(m.group(0), 60)}'"
            out.append(Label("memory_poisoning", "block", f"{what}: {shown} ({_ev(p)})"))
    return out[:2]


def secret_exposure(p: Proposal, env: CriticEnv) -> list[Label]:
    for name, text in [("title", p.title), ("body", p.body), ("rationale", p.rationale)] + [
        (f"evidence quote ({e.session_id[:8]}, {(e.event_uuid or '?')[:8]})", e.quote) for e in p.evidence
    ]:
        rule = _contains_secret(text) if text else None
        if rule:
            return [
                Label(
                    "secret_exposure",
                    "block",
                    f"a credential ({rule}) survived redaction in the {name}; it was redacted here",
                )
            ]
    if "[REDACTED:" in p.body:
        return [
            Label(
                "secret_exposure",
                "warn",
                f"refers to a credential that was redacted at ingest ({_ev(p)}); keep secrets in a secret "
                "store, not in agent instructions",
            )
        ]
    return []


def false_persistence(p: Proposal, env: CriticEnv) -> list[Label]:
    out = []
    m = TEMPORAL.search(p.body) or TEMPORAL.search(p.title)
    quotes = [e for e in p.evidence if e.trust == "user"]
    temporal_quotes = [e for e in quotes if TEMPORAL.search(e.quote)]
    if m:
        out.append(Label("false_persistence", "warn", f"temporary wording '{m.group(0)}' ({_ev(p)})"))
    elif quotes and temporal_quotes and len(temporal_quotes) == len(quotes):
        e = temporal_quotes[0]
        said = TEMPORAL.search(e.quote)  # matches: that is why `e` is in temporal_quotes
        out.append(
            Label(
                "false_persistence",
                "warn",
                f"the evidence says '{said.group(0) if said else ''}' "
                f"(session {e.session_id[:8]}, event {(e.event_uuid or '?')[:8]})",
            )
        )
    sessions = {e.session_id for e in p.evidence}
    if (
        p.action in ("add", "promote", "evolve")
        and len(sessions) <= 1
        and kind_rank(p.kind) > kind_rank("memory")
        and p.kind not in ("hook",)
    ):
        out.append(
            Label(
                "false_persistence",
                "warn",
                f"a {p.kind} from a single session ({_ev(p)}); one session supports at most a memory",
            )
        )
    return out[:1] if m else out


def preference_overreach(p: Proposal, env: CriticEnv) -> list[Label]:
    personal = re.search(
        r"\b(i prefer|i like|my (preference|taste)|how i like|i'd rather)\b",
        " ".join(e.quote for e in p.evidence) + " " + p.body,
        re.I,
    )
    workspaces = int(p.meta.get("workspaces", 1) or 1)
    replaced = [a for a in env.artifacts if a.id in p.replaces]
    if replaced and all(scope_rank(p.scope) <= scope_rank(a.scope) for a in replaced):
        return []  # keeps (or narrows) the scope of what it replaces
    if p.scope == "global" and workspaces < 2:
        return [
            Label(
                "preference_overreach",
                "warn",
                f"global scope from one project's evidence ({_ev(p)}); use project scope unless several "
                "workspaces show it",
            )
        ]
    if p.scope == "team" and (personal or len({e.session_id for e in p.evidence}) < 2):
        why = "one person's preference" if personal else "a single session"
        return [Label("preference_overreach", "warn", f"team scope from {why} ({_ev(p)})")]
    if p.scope == "path" and not p.paths:
        return [Label("preference_overreach", "info", "path scope without path globs")]
    return []


def contradiction_drift(p: Proposal, env: CriticEnv) -> list[Label]:
    if p.kind == "hook" or p.action == "retire":
        return []
    out = []
    new_lines = [l for l in p.body.splitlines() if l.strip()]
    future = {r: o for o in env.proposals if o is not p for r in o.replaces}
    for art in env.artifacts:
        if art.id in p.replaces:
            continue
        successor = future.get(art.id)
        if successor is not None:  # judge against what the artifact becomes in this candidate
            art = Artifact(
                id=art.id,
                kind=art.kind,
                scope=art.scope,
                name=art.name,
                body="" if successor.action == "retire" else successor.body,
            )
        for old in artifact_lines(art):
            for new in new_lines:
                w = conflict_word(new, old) or conflict_word(old, new)
                if w:
                    out.append(
                        Label(
                            "contradiction_drift",
                            "warn",
                            f"conflicts with {art.kind} '{art.name}' ('{quote(old.strip(), 70)}') over "
                            f"'{w}' ({_ev(p)})",
                        )
                    )
                    break
            if out:
                break
        if out:
            break
    for other in env.proposals:
        if other is p or other.kind == "hook" or other.action == "retire" or set(other.replaces) & set(p.replaces):
            continue
        for a in new_lines:
            hit = next(
                (
                    w
                    for b in other.body.splitlines()
                    if b.strip()
                    for w in [conflict_word(a, b) or conflict_word(b, a)]
                    if w
                ),
                None,
            )
            if hit:
                out.append(
                    Label(
                        "contradiction_drift",
                        "warn",
                        f"conflicts with proposal '{quote(other.title, 60)}' over '{hit}'",
                    )
                )
                return out
    return out


def stale_authority(p: Proposal, env: CriticEnv) -> list[Label]:
    if p.kind == "hook" or p.action == "retire":
        return []
    repo = _repo(env.workspace)
    gone = sorted(
        {
            x
            for line in p.body.splitlines()
            for x in repo.gone_in(line)
            if not any(x.startswith(g.rstrip("*/")) for g in p.paths)
        }
    )
    if gone:
        return [Label("stale_authority", "warn", f"names {', '.join(gone[:3])}, not in the workspace ({_ev(p)})")]
    return []


_REPOS: dict[Path, RepoPaths] = {}


def _repo(workspace: Path) -> RepoPaths:
    """One `RepoPaths` per workspace and process (its git history is read once)."""
    if workspace not in _REPOS:
        _REPOS.clear()
        _REPOS[workspace] = RepoPaths(workspace)
    return _REPOS[workspace]


def context_pollution(p: Proposal, env: CriticEnv) -> list[Label]:
    if p.action == "retire":
        return []
    body = p.body.strip()
    if p.kind not in ("hook", "skill", "command", "subagent"):
        if (len(tokens(body)) < 2 and len(body) < 30 and not tokens(body) & TOOL_WORDS) or VAGUE.match(body):
            return [Label("context_pollution", "warn", f"too vague to steer anything: '{quote(body, 60)}'")]
        if len(body) > 1500:
            return [Label("context_pollution", "warn", f"long ({approx_tokens(body)} tokens) for a {p.kind}")]
        for art in env.artifacts:
            if art.id in p.replaces:
                continue
            for line in artifact_lines(art):
                if similarity(tokens(line), tokens(body)) >= 0.8 and not (
                    conflict_word(body, line) or conflict_word(line, body)
                ):
                    return [
                        Label(
                            "context_pollution",
                            "warn",
                            f"duplicates {art.kind} '{art.name}': '{quote(line.strip(), 70)}'",
                        )
                    ]
    for other in env.proposals:
        if other is p:
            break
        if other.kind == p.kind and similarity(tokens(other.body), tokens(body)) >= 0.8:
            return [Label("context_pollution", "warn", f"duplicates proposal '{quote(other.title, 60)}'")]
    loads = (p.kind in ("instinct", "rule") and p.scope != "path") or p.kind == "memory"
    if loads:
        added = approx_tokens(body) if p.kind != "memory" else approx_tokens(p.title) + 8
        env.notes["added"] = env.notes.get("added", 0) + added
        total = env.always_loaded_tokens + env.notes["added"]
        if total > env.context_budget:
            return [
                Label(
                    "context_pollution",
                    "warn",
                    f"always-loaded context would reach ~{total} tokens (budget {env.context_budget})",
                )
            ]
    return []


def unverified_procedure(p: Proposal, env: CriticEnv) -> list[Label]:
    if p.kind == "hook":
        r = p.meta.get("replay")
        if not isinstance(r, dict) or "violations_blocked" not in r:
            return [Label("unverified_procedure", "warn", "hook not replayed against past tool calls")]
        if r.get("error"):
            return [Label("unverified_procedure", "warn", f"replay failed: {quote(str(r['error']), 100)}")]
        v, vb, lb = int(r.get("violations", 0)), int(r.get("violations_blocked", 0)), int(r.get("legit_blocked", 0))
        if v == 0 or vb < v or lb > 0:
            return [
                Label(
                    "unverified_procedure",
                    "warn",
                    f"replay over {r.get('calls', 0)} past calls: blocked {vb}/{v} violations and "
                    f"{lb} legitimate call(s)",
                )
            ]
        return []
    if p.kind in ("skill", "command", "subagent") and p.action != "retire":
        verified = int(p.meta.get("verified_sessions", 0) or 0)
        if verified < 2:
            return [
                Label(
                    "unverified_procedure", "warn", f"steps succeeded in {verified} past session(s); needs 2 ({_ev(p)})"
                )
            ]
    return []


CRITICS: list[Callable[[Proposal, CriticEnv], list[Label]]] = [
    memory_poisoning,
    secret_exposure,
    false_persistence,
    preference_overreach,
    contradiction_drift,
    stale_authority,
    context_pollution,
    unverified_procedure,
]


def always_loaded_tokens(workspace: Path) -> int:
    total = 0
    for rel in ALWAYS_LOADED:
        path = workspace / rel
        try:
            if path.is_file():
                total += approx_tokens(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return total


def run_critics(
    proposals: list[Proposal], artifacts: list[Artifact], workspace: Path, context_budget: int = DEFAULT_CONTEXT_BUDGET
) -> list[Proposal]:
    """Attach labels to every proposal (in place) and redact any surviving secret."""
    _REPOS.clear()  # the workspace may have changed since the last dream of this process
    env = CriticEnv(
        workspace=workspace,
        artifacts=artifacts,
        proposals=proposals,
        context_budget=context_budget,
        always_loaded_tokens=always_loaded_tokens(workspace),
    )
    for p in proposals:
        have = {(l.label, l.severity) for l in p.labels}
        for critic in CRITICS:
            for label in critic(p, env):
                if (label.label, label.severity) not in have and not any(
                    l.label == label.label and l.reason == label.reason for l in p.labels
                ):
                    p.labels.append(label)
                    have.add((label.label, label.severity))
        redact_proposal(p)
    return proposals


def redact_proposal(p: Proposal) -> None:
    """Defence in depth: no secret leaves the dream, whatever the engine wrote."""
    p.title = _redact(p.title)
    p.body = _redact(p.body)
    p.rationale = _redact(p.rationale)
    for e in p.evidence:
        e.quote = _redact(e.quote)
    for l in p.labels:
        l.reason = _redact(l.reason)
    p.name = _redact(p.name)
    p.paths = [_redact(x) for x in p.paths]
    p.reject_reason = _redact(p.reject_reason)
    if p.meta:
        p.meta = _redact_obj(p.meta)
