"""Critics: attach the failure labels of DESIGN §2 to proposals, from any engine.

Why deterministic critics: they are the safety net under every engine — the
heuristic one and the LLM one alike — so they must not depend on a model. Each
critic looks at one proposal (plus the active store, the workspace and the other
proposals) and returns labels whose reason names the evidence (session id and
event uuid). A `block` label keeps the proposal from being applied until a
person clears it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reverie.dreamer.artifact_text import artifact_lines, conflict_word, negated_words
from reverie.dreamer.critic_index import DUPLICATE_SIMILARITY, ConflictIndex, DuplicateIndex
from reverie.dreamer.danger import dangers
from reverie.dreamer.hook_script import is_hook_script
from reverie.dreamer.lexicon import HIDDEN, INJECTION, TEMPORAL, TOOL_WORDS
from reverie.dreamer.pathlike import RepoPaths
from reverie.dreamer.redact import Span, apply_spans, find_secrets, scan_many
from reverie.dreamer.redact import redact as _redact
from reverie.dreamer.redact import redact_obj as _redact_obj
from reverie.dreamer.statements import classify
from reverie.dreamer.wording import approx_tokens, quote, similarity, tokens
from reverie.store.materialize import MARKER_LIKE
from reverie.store.models import SCOPES, Artifact, Label, Proposal, kind_rank, scope_rank

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
    """What the critics judge a proposal against; the indexes are built once, on first use."""

    workspace: Path
    artifacts: list[Artifact]
    proposals: list[Proposal]
    context_budget: int = DEFAULT_CONTEXT_BUDGET
    always_loaded_tokens: int = 0
    notes: dict[str, int] = field(default_factory=dict)
    secrets: dict[str, list[Span]] = field(default_factory=dict)
    """Credential spans of the texts being judged, found in one batch (`redact.scan_many`)."""
    _index: _Indexes | None = None

    def secret_rule(self, text: str) -> str | None:
        """The rule of the first credential in `text` (from the batch when it was scanned there)."""
        spans = self.secrets[text] if text in self.secrets else find_secrets(text)
        return spans[0][2] if spans else None

    def index(self) -> _Indexes:
        if self._index is None:
            self._index = _Indexes.build(self)
        return self._index


@dataclass
class _Indexes:
    """Positions, effective artifact lines and the candidate indexes of one critics run."""

    position: dict[int, int]
    """id(proposal) → its place in `env.proposals`."""
    art_lines: list[tuple[Artifact, list[str]]]
    """Each artifact as judged for contradictions (what a proposal in this candidate makes of it), with its lines."""
    art_conflicts: ConflictIndex
    """Items: artifact positions."""
    conflicts: ConflictIndex
    """Items: proposal positions."""
    duplicates: dict[str, DuplicateIndex]
    """Proposal bodies by kind (items: positions)."""
    art_duplicates: DuplicateIndex
    """Artifact lines (items: positions in `line_of`)."""
    line_of: list[tuple[int, int]]
    """Artifact line item → (artifact position, line number)."""
    loaded_before: list[int]
    """Always-loaded tokens the proposals before each position add."""

    @classmethod
    def build(cls, env: CriticEnv) -> _Indexes:
        props = env.proposals
        future = {r: o for o in props for r in o.replaces}
        art_lines: list[tuple[Artifact, list[str]]] = []
        for art in env.artifacts:
            successor = future.get(art.id)
            judged = art
            if successor is not None:  # judge against what the artifact becomes in this candidate
                judged = Artifact(
                    id=art.id,
                    kind=art.kind,
                    scope=art.scope,
                    name=art.name,
                    body="" if successor.action == "retire" else successor.body,
                )
            art_lines.append((judged, artifact_lines(judged)))
        prop_lines = [[b for b in o.body.splitlines() if b.strip()] for o in props]
        negatable = {w for lines in prop_lines for line in lines for w in negated_words(line)}
        negatable |= {w for _, lines in art_lines for line in lines for w in negated_words(line)}
        art_conflicts = ConflictIndex(negatable)
        for i, (_, lines) in enumerate(art_lines):
            art_conflicts.add(i, lines)
        conflicts = ConflictIndex(negatable)
        for i, o in enumerate(props):
            if o.kind != "hook" and o.action != "retire":
                conflicts.add(i, prop_lines[i])
        freq = DuplicateIndex.over([o.body for o in props] + [line for _, lines in art_lines for line in lines]).freq
        duplicates: dict[str, DuplicateIndex] = {}
        for i, o in enumerate(props):
            if o.kind not in duplicates:
                duplicates[o.kind] = DuplicateIndex(freq)
            duplicates[o.kind].add(i, o.body)
        art_duplicates = DuplicateIndex(freq)
        line_of: list[tuple[int, int]] = []
        for i, (_, lines) in enumerate(art_lines):
            for j, line in enumerate(lines):
                art_duplicates.add(len(line_of), line)
                line_of.append((i, j))
        loaded, total = [], 0
        for o in props:
            loaded.append(total)
            total += _loads(o)
        return cls(
            {id(o): i for i, o in enumerate(props)},
            art_lines,
            art_conflicts,
            conflicts,
            duplicates,
            art_duplicates,
            line_of,
            loaded,
        )

    def before(self, p: Proposal) -> int:
        """`p`'s place in the candidate (past the end for a proposal not in it)."""
        return self.position.get(id(p), len(self.position))


def _loads(p: Proposal) -> int:
    """Tokens `p` adds to the always-loaded context (CLAUDE.md & co.)."""
    if p.action == "retire":
        return 0
    if p.kind in ("instinct", "rule") and p.scope != "path":
        return approx_tokens(p.body.strip())
    if p.kind == "memory":
        return approx_tokens(p.title) + 8
    return 0


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


def _written_texts(p: Proposal) -> list[tuple[str, bool]]:
    """What applying `p` writes that something will execute or read as instructions: (text, is a script)."""
    out = [(p.title, False)]
    if p.kind == "hook":
        out.append((p.body, True))
        command = p.meta.get("command")
        if isinstance(command, str) and command:
            out.append((command, True))
    else:
        out.append((p.body, False))
    return out


def memory_poisoning(p: Proposal, env: CriticEnv) -> list[Label]:
    out = []
    for text, script in _written_texts(p):  # a dangerous command blocks wherever it came from, typed or not
        for d in dangers(text, script=script, hook=p.kind == "hook"):
            out.append(Label("memory_poisoning", "block", f"{d.reason}: '{quote(d.snippet, 70)}' ({_ev(p)})"))
    marker = MARKER_LIKE.search(p.title + "\n" + p.body)
    if marker:
        out.append(
            Label(
                "memory_poisoning",
                "block",
                f"contains Reverie's managed-block marker '{marker.group(0)}' (written escaped; {_ev(p)})",
            )
        )
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
    if len(out) > 1:  # one label per kind and severity: the first reason leads, the others are named
        rest = "; ".join(l.reason.split(":", 1)[0] for l in out[1:3])
        out = [Label("memory_poisoning", "block", f"{out[0].reason}; also: {rest}")]
    return out


def secret_exposure(p: Proposal, env: CriticEnv) -> list[Label]:
    """A last check on everything the proposal would store or write: anything credential-shaped blocks."""
    fields = [("title", p.title), ("body", p.body), ("rationale", p.rationale), ("name", p.name)]
    fields += [("paths", " ".join(p.paths))]
    if p.meta:
        fields.append(("meta", json.dumps(p.meta, default=str, ensure_ascii=False)))
    fields += [(f"evidence quote ({e.session_id[:8]}, {(e.event_uuid or '?')[:8]})", e.quote) for e in p.evidence]
    for name, text in fields:
        rule = env.secret_rule(text) if text else None
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
    if p.original_scope in SCOPES and p.scope in SCOPES and scope_rank(p.scope) > scope_rank(p.original_scope):
        return [
            Label(
                "preference_overreach",
                "warn",
                f"scope widened by hand from {p.original_scope} to {p.scope}; the evidence supports "
                f"{p.original_scope} ({_ev(p)})",
            )
        ]
    personal = re.search(
        r"\b(i prefer|i like|my (preference|taste)|how i like|i'd rather)\b",
        " ".join(e.quote for e in p.evidence) + " " + p.body,
        re.I,
    )
    workspaces = int(p.meta.get("workspaces", 1) or 1)
    replaced = [a for a in env.artifacts if a.id in p.replaces] if p.replaces else []
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
    index = env.index()
    for i in index.art_conflicts.candidates(new_lines):  # the first artifact (in order) with a conflicting line
        art, lines = index.art_lines[i]
        if art.id in p.replaces:
            continue
        for old in lines:
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
    for i in index.conflicts.candidates(new_lines):
        other = env.proposals[i]
        if other is p or set(other.replaces) & set(p.replaces):
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
    index = env.index()
    if p.kind not in ("hook", "skill", "command", "subagent"):
        if (len(tokens(body)) < 2 and len(body) < 30 and not tokens(body) & TOOL_WORDS) or VAGUE.match(body):
            return [Label("context_pollution", "warn", f"too vague to steer anything: '{quote(body, 60)}'")]
        if len(body) > 1500:
            return [Label("context_pollution", "warn", f"long ({approx_tokens(body)} tokens) for a {p.kind}")]
        for k in index.art_duplicates.candidates(body):
            i, j = index.line_of[k]
            art, lines = index.art_lines[i]
            if art.id in p.replaces:
                continue
            line = lines[j]
            if similarity(tokens(line), tokens(body)) >= DUPLICATE_SIMILARITY and not (
                conflict_word(body, line) or conflict_word(line, body)
            ):
                return [
                    Label(
                        "context_pollution",
                        "warn",
                        f"duplicates {art.kind} '{art.name}': '{quote(line.strip(), 70)}'",
                    )
                ]
    same_kind = index.duplicates.get(p.kind)
    here = index.before(p)
    if same_kind is not None:
        for i in same_kind.candidates(body):
            if i >= here:
                break
            other = env.proposals[i]
            if similarity(tokens(other.body), tokens(body)) >= DUPLICATE_SIMILARITY:
                return [Label("context_pollution", "warn", f"duplicates proposal '{quote(other.title, 60)}'")]
    added = _loads(p)
    if added:
        total = env.always_loaded_tokens + (index.loaded_before[here] if here < len(index.loaded_before) else 0)
        total += added
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
    if p.kind == "hook" and p.action != "retire" and not is_hook_script(p.body):
        return [
            Label(
                "unverified_procedure",
                "block",
                "a hook's body runs as a script on every matching tool call, and this one is prose, not a script",
            )
        ]
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
    proposals: list[Proposal],
    artifacts: list[Artifact],
    workspace: Path,
    context_budget: int = DEFAULT_CONTEXT_BUDGET,
    *,
    only: list[Proposal] | None = None,
) -> list[Proposal]:
    """Attach labels to every proposal (in place) and redact any surviving secret.

    With `only`, label just those (judged against all of `proposals`): one
    changed proposal is checked without relabelling the whole candidate.
    """
    _REPOS.clear()  # the workspace may have changed since the last dream of this process
    env = CriticEnv(
        workspace=workspace,
        artifacts=artifacts,
        proposals=proposals,
        context_budget=context_budget,
        always_loaded_tokens=always_loaded_tokens(workspace),
    )
    targets = proposals if only is None else only
    texts = [t for p in targets for t in _stored_texts(p)]
    env.secrets = dict(zip(texts, scan_many(texts), strict=True))
    for p in targets:
        have = {(l.label, l.severity) for l in p.labels}
        for critic in CRITICS:
            for label in critic(p, env):
                if (label.label, label.severity) not in have and not any(
                    l.label == label.label and l.reason == label.reason for l in p.labels
                ):
                    p.labels.append(label)
                    have.add((label.label, label.severity))
        redact_proposal(p, env.secrets)
    return proposals


def _stored_texts(p: Proposal) -> list[str]:
    """The texts of `p` the critics judge and the store keeps (meta as its JSON)."""
    out = [p.title, p.body, p.rationale, p.name, " ".join(p.paths), p.reject_reason, *p.paths]
    if p.meta:
        out.append(json.dumps(p.meta, default=str, ensure_ascii=False))
    out.extend(e.quote for e in p.evidence)
    return [t for t in out if t]


def redact_proposal(p: Proposal, found: dict[str, list[Span]] | None = None) -> None:
    """Defence in depth: no secret leaves the dream, whatever the engine wrote (`found`: spans already known)."""
    known = found or {}

    def clean(text: str) -> str:
        return apply_spans(text, known[text]) if text in known else _redact(text)

    p.title = clean(p.title)
    p.body = clean(p.body)
    p.rationale = clean(p.rationale)
    for e in p.evidence:
        e.quote = clean(e.quote)
    for l in p.labels:
        l.reason = _redact(l.reason)
    p.name = clean(p.name)
    p.paths = [clean(x) for x in p.paths]
    p.reject_reason = clean(p.reject_reason)
    if p.meta:
        p.meta = _redact_obj(p.meta)
