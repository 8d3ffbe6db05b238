"""One observed write → one reviewable proposal (diff against the last reviewed bytes), labelled by the critics.

Why its own module: an observed write is reviewed with the same vocabulary as a
dream's proposal — action, kind, scope, evidence, labels — so the console, the
JSON and the critics need nothing new; only the text comes from the disk, not
from an engine. The critics run on the raw text first (a credential the agent
wrote into its memory must be *found* to be labelled ``block``), then
everything shown is redacted: before, after, body, quotes.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from reverie.dreamer.agent_contradictions import label_cross_agent
from reverie.dreamer.agent_files import AgentFile
from reverie.dreamer.attribution import Attribution
from reverie.dreamer.critics import DEFAULT_CONTEXT_BUDGET, run_critics
from reverie.dreamer.redact import contains_secret, redact
from reverie.dreamer.wording import quote
from reverie.store import frontmatter
from reverie.store.models import Action, Artifact, Evidence, Label, Proposal

ACTION: dict[str, Action] = {"add": "add", "update": "update", "delete": "retire"}
VERB = {"add": "added", "update": "changed", "delete": "deleted"}
MEMORY_INDEX_LINES = 200
"""Claude Code loads only the first 200 lines of MEMORY.md."""


def decode(data: bytes | None) -> str:
    return data.decode("utf-8", "replace") if data is not None else ""


def change_of(before: bytes | None, after: bytes | None) -> str:
    if before is None:
        return "add"
    if after is None:
        return "delete"
    return "update"


def added_text(before: str, after: str) -> str:
    """The lines the write added (what a critic must judge); the whole text for a new file."""
    if not before:
        return after
    added = [
        line[1:]
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line.startswith("+") and not line.startswith("+++")
    ]
    return "\n".join(added)


def removed_text(before: str, after: str) -> str:
    return added_text(after, before) if after else before


def build(
    f: AgentFile,
    before: bytes | None,
    after: bytes | None,
    who: Attribution,
    target: str,
    external: Evidence | None = None,
) -> Proposal:
    """The proposal for one file's change, not yet labelled or redacted (see `label`)."""
    change = change_of(before, after)
    before_text, after_text = decode(before), decode(after)
    body = removed_text(before_text, after_text) if change == "delete" else added_text(before_text, after_text)
    if change != "delete" and f.role in ("memory", "rule", "skill", "subagent", "command"):
        _meta, stripped, _ = frontmatter.split(body)
        body = stripped.strip("\n") or body
    first = next((line.strip(" #-*") for line in body.splitlines() if line.strip(" #-*")), "")
    actor = who.writer
    title = f"{actor} {VERB[change]} {f.label}" + (f": {quote(first, 60)}" if first and change != "delete" else "")
    evidence: list[Evidence] = []
    if who.writer == "agent" and (who.session_id or who.summary):  # Auto Dream: no session, its lock's time
        evidence.append(
            Evidence(
                session_id=who.session_id,
                event_uuid=who.event_uuid or who.tool_use_id,
                timestamp=who.timestamp,
                trust="agent",
                quote=who.summary or who.tool,
                agent=who.agent,
            )
        )
    if external is not None:
        evidence.append(external)
    if who.writer == "agent":
        tool = who.tool or "a tool call"
        where = f" in session {who.session_id[:8]}" if who.session_id else ""
        rationale = f"{who.agent or 'the agent'} wrote this with {tool}{where} ({who.how}); Reverie did not."
    else:
        rationale = "no transcript shows a tool call that wrote this file at that time: treated as a person's edit."
    return Proposal(
        id="",
        action=ACTION[change],
        kind=f.kind,
        scope=f.scope,
        title=title,
        body=body if body.strip() else (after_text or before_text),
        target=target,
        before=before_text,
        after=after_text,
        confidence=1.0 if who.how == "content" else 0.8 if who.writer == "agent" else 0.5,
        rationale=rationale,
        evidence=evidence,
        name=f.label,
        meta={"observed": {"key": f.key, "change": change, "agent": f.agent, "role": f.role} | who.to_meta()},
    )


def label(
    proposals: list[Proposal],
    artifacts: list[Artifact],
    workspace: Path,
    context_budget: int = DEFAULT_CONTEXT_BUDGET,
) -> list[Proposal]:
    """The dream's critics plus the observed-write checks; then redact what is shown.

    `artifacts` are the active store's; a proposal skips comparing a file with
    its own earlier version (the artifacts imported from that file).
    """
    for p in proposals:
        key = str(p.meta["observed"]["key"])
        p.replaces = [a.id for a in artifacts if a.meta.get("source") == key]
        p.labels.extend(_observed_labels(p))
        p.labels.extend(label_cross_agent(p, artifacts, key))
    run_critics(proposals, artifacts, workspace, context_budget)
    for p in proposals:
        p.labels = [lb for lb in p.labels if not _judges_the_dream(lb)]
        for label_ in p.labels:
            if label_.label == "secret_exposure" and label_.severity == "warn" and contains_secret(p.after):
                label_.severity = "block"
        p.before = redact(p.before)
        p.after = redact(p.after)
        p.replaces = []
    return proposals


def _judges_the_dream(lb: Label) -> bool:
    """Labels about a dream's choice of kind and scope from its evidence.

    An observed write's kind and scope are those of the file it wrote, and it
    cites the one call that wrote it, so "team scope from a single session" or
    "a rule from a single session" say nothing about it. Temporary wording
    ("for now") still earns false_persistence.
    """
    return lb.label == "preference_overreach" or (lb.label == "false_persistence" and "single session" in lb.reason)


def _observed_labels(p: Proposal) -> list[Label]:
    """Checks only an observed write needs: a secret anywhere in the new text, the MEMORY.md line cap."""
    out: list[Label] = []
    rule = contains_secret(p.after) if p.after else None
    if rule and not contains_secret(p.before or ""):
        out.append(
            Label(
                "secret_exposure",
                "block",
                f"the {p.meta['observed'].get('writer', 'agent')} wrote a credential ({rule}) into {p.name}; "
                "it is redacted here but is on disk until reverted",
            )
        )
    if p.name.endswith("MEMORY.md") and p.meta["observed"].get("agent") == "claude":
        lines = p.after.count("\n") + (0 if p.after.endswith("\n") else 1)
        if lines > MEMORY_INDEX_LINES:
            out.append(
                Label(
                    "context_pollution",
                    "warn",
                    f"MEMORY.md has {lines} lines; Claude Code loads only the first {MEMORY_INDEX_LINES}",
                )
            )
    return out
