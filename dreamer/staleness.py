"""Stale and contradicted artifact lines: the updates a dream proposes to what the workspace says.

Why apart: this is the part of a dream that touches hand-written files, so it
has the strictest rules (line-precise edits, verified evidence); keeping it out
of `consolidate` lets it change without touching the rest of the pass.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reverie.dreamer.artifact_text import (
    PROGRAMS,
    artifact_lines,
    code_words,
    conflict_word,
    local_paths,
    mentions_positively,
)
from reverie.dreamer.clusters import MIN_SESSIONS_DURABLE, Cluster, evidence_of
from reverie.dreamer.signals import normalize_command
from reverie.dreamer.wording import quote, similarity, tokens
from reverie.store.models import Artifact, Evidence, Label, Proposal


def artifact_updates(
    signals: list[dict[str, Any]],
    clusters: list[Cluster],
    artifacts: list[Artifact],
    workspace: Path,
    absorbed: set[int] | None = None,
) -> tuple[list[Proposal], set[int]]:
    skip = set(absorbed or ())
    fixes: dict[str, dict[str, Any]] = {}
    recovered: dict[str, str] = {}
    for sig in signals:
        for fx in sig.get("error_fixes", []):
            if fx["ts"] >= fixes.get(fx["failed_norm"], {}).get("ts", ""):
                fixes[fx["failed_norm"]] = dict(fx, session_id=sig["session_id"])
        for c in sig.get("tool_calls", []):
            if c.get("norm") and c.get("status") == "ok":
                recovered[c["norm"]] = max(recovered.get(c["norm"], ""), c.get("ts", ""))
    out: list[Proposal] = []
    used: set[int] = set()
    for art in artifacts:
        if art.kind in ("hook",):
            continue
        new_lines: list[str] = []
        changed = False
        labels: list[Label] = []
        evidence: list[Evidence] = []
        reasons: list[str] = []
        in_lines = set(artifact_lines(art))
        for line in art.body.splitlines():
            if line not in in_lines:
                new_lines.append(line)
                continue
            replacement = line
            for cmd in re.findall(r"`([^`\n]{2,120})`", line):
                norm = normalize_command(cmd)
                fx = fixes.get(norm)
                if fx and recovered.get(norm, "") <= fx["ts"] and fx["fixed_norm"] != norm:
                    replacement = replacement.replace(f"`{cmd}`", f"`{fx['fixed']}`")
                    labels.append(
                        Label(
                            "stale_authority",
                            "warn",
                            f"`{cmd}` failed in session {fx['session_id'][:8]} (event {fx['uuid'][:8]}) "
                            f"and `{fx['fixed']}` worked instead",
                        )
                    )
                    evidence.append(
                        Evidence(
                            session_id=fx["session_id"],
                            event_uuid=fx["uuid"],
                            timestamp=fx["ts"],
                            trust="agent",
                            quote=quote(f"{cmd}: {fx['error']}", 160),
                        )
                    )
                    reasons.append(f"`{cmd}` now fails; `{fx['fixed']}` works")
            gone = [p for p in local_paths(line) if not (workspace / p).exists()]
            if gone and replacement == line:
                labels.append(
                    Label("stale_authority", "warn", f"names {', '.join(gone)}, which the workspace no longer has")
                )
                reasons.append(f"{', '.join(gone)} no longer exist")
                changed = True
                continue  # drop the line
            if replacement == line:
                for idx, cl in enumerate(clusters):
                    if idx in skip:
                        continue
                    rep = cl.representative()
                    rejected = sorted(k[4:] for k in cl.keys if k.startswith("not:") and len(k) > 5)
                    word = conflict_word(rep["line"], line) or next(
                        (
                            w
                            for w in rejected
                            if mentions_positively(line, w)
                            and (
                                w in PROGRAMS
                                or w in code_words(line)
                                or similarity(tokens(rep["line"]), tokens(line)) >= 0.2
                            )
                        ),
                        None,
                    )
                    if word and (len(cl.sessions) >= MIN_SESSIONS_DURABLE or any(s["strong"] for s in cl.statements)):
                        lead = re.match(r"^\s*(?:[-*] |\d+\. )?", line)  # all optional: always matches
                        indent = lead.group(0) if lead else ""
                        replacement = indent + rep["line"]
                        used.add(idx)
                        labels.append(
                            Label(
                                "contradiction_drift",
                                "warn",
                                f"{art.kind} '{art.name}' says '{quote(line.strip(), 80)}'; newer "
                                f"sessions ({', '.join(s[:8] for s in cl.sessions[:4])}) say "
                                f"'{quote(rep['line'], 80)}' — the newer evidence wins",
                            )
                        )
                        evidence += [evidence_of(s) for s in cl.statements[:4]]
                        reasons.append(f"contradicted by {len(cl.sessions)} newer session(s) ('{word}')")
                        break
            if replacement != line:
                changed = True
                # a statement saying the same thing as the fixed line is part of this update
                for idx, cl in enumerate(clusters):
                    if (
                        idx not in used
                        and similarity(tokens(cl.representative()["line"]), tokens(replacement)) >= 0.3
                        and set(k for k in cl.keys if k.startswith(("sub:", "not:"))) & _line_keys(line, replacement)
                    ):
                        used.add(idx)
                        evidence += [evidence_of(s) for s in cl.statements[:3]]
            new_lines.append(replacement)
        if not changed:
            continue
        body = "\n".join(new_lines) + ("\n" if art.body.endswith("\n") else "")
        retire = not artifact_lines(Artifact(id="", kind=art.kind, scope=art.scope, name=art.name, body=body))
        out.append(
            Proposal(
                id="",
                action="retire" if retire else "update",
                kind=art.kind,
                scope=art.scope,
                paths=list(art.paths),
                name=art.name,
                title=f"{'Retire' if retire else 'Update'} {art.title or art.name}",
                body="" if retire else body,
                replaces=[art.id],
                confidence=0.7 if not retire else 0.6,
                rationale="; ".join(reasons) + ".",
                labels=labels,
                evidence=evidence[:8],
                meta=dict(art.meta) | {"signal": "stale"},
            )
        )
    return out, used


def _line_keys(old: str, new: str) -> set[str]:
    olds = {normalize_command(c).split(" ")[0] for c in re.findall(r"`([^`\n]+)`", old)}
    news = {normalize_command(c).split(" ")[0] for c in re.findall(r"`([^`\n]+)`", new)}
    return {f"sub:{a}>{b}" for a in olds for b in news if a != b} | {f"not:{a}" for a in olds - news}
