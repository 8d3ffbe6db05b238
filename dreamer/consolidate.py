"""Consolidation: per-session signals + the active store → a few proposals.

Why: one session's words are weak evidence and many sessions repeat the same
lesson in different words. Here statements are clustered (shared keys such as
"not:npm" or "forbid:db/migrations/generated", or token-set similarity), counted
by distinct sessions, weighed by recency, checked against the active artifacts
(duplicates dropped, contradicted or stale lines replaced by an update that
`replaces` the artifact) and turned into the smallest artifact the evidence
supports. Thresholds (docs/DREAMING.md):

- one session → at most a memory;
- a correction or request repeated in ≥ 2 sessions → instinct (soft) or rule (strong);
- a "never / do not" about a tool action violated after it was stated → rule + hook;
- a procedure in ≥ 3 sessions, or ≥ 2 with a correction → skill;
- an environment fact confirmed by successful runs in ≥ 2 sessions → one memory.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reverie.dreamer import hooks
from reverie.dreamer.artifact_text import artifact_lines, conflict_word
from reverie.dreamer.clusters import (
    DUPLICATE_SIMILARITY,
    MIN_SESSIONS_DURABLE,
    MIN_SESSIONS_PROCEDURE,
    Cluster,
    _has_word,
    cluster_statements,
    evidence_of,
    resolve_conflicting_clusters,
)
from reverie.dreamer.signals import EDIT_TOOLS, _same_family, normalize_command
from reverie.dreamer.staleness import artifact_updates
from reverie.dreamer.wording import quote, similarity, title_of, tokens
from reverie.store.models import Artifact, Evidence, Kind, Label, Proposal, Scope

# --- the consolidation ---------------------------------------------------------------


def consolidate(
    signals: list[dict[str, Any]], artifacts: list[Artifact], workspace: Path, options: dict[str, Any] | None = None
) -> list[Proposal]:
    opts = options or {}
    statements: list[dict[str, Any]] = []
    for sig in signals:
        for st in sig.get("statements", []):
            statements.append({**st, "session_id": sig["session_id"], "agent": sig.get("agent", "")})
    statements.sort(key=lambda s: s["ts"])
    # a statement whose point is a credential is junk once redacted: nothing durable to keep
    user_sts = [s for s in statements if s["kind"] != "external" and "[REDACTED:" not in s["line"]]
    external_sts = [s for s in statements if s["kind"] == "external"]
    clusters = cluster_statements(user_sts)
    clusters = resolve_conflicting_clusters(clusters)
    proposals: list[Proposal] = []
    absorbed: set[int] = set()

    # 1. procedures → skills (statements about their steps are absorbed)
    proposals += _procedures(signals, clusters, absorbed)
    # 2. artifact updates: stale commands/paths and contradicted lines
    updates, used = artifact_updates(signals, clusters, artifacts, workspace, absorbed)
    absorbed |= used
    proposals += updates
    # 3. statement clusters → memory / instinct / rule (+ hook)
    tool_calls = [(sig["session_id"], c) for sig in signals for c in sig.get("tool_calls", [])]
    for idx, cl in enumerate(clusters):
        if idx in absorbed:
            continue
        proposals += _cluster_proposals(cl, artifacts, tool_calls, opts)
    # 4. error → fix pairs repeated across sessions
    proposals += _error_fixes(signals, clusters, proposals)
    # 5. environment facts
    env = _environment(_home_sessions(signals, workspace), clusters, artifacts, proposals)
    if env:
        proposals.append(env)
    # 6. instruction-like text from tool / external content (critics will block it)
    proposals += _external(external_sts)
    return proposals


def _glob(path: str) -> str:
    """`dir/**` for a folder; a file the person named ("web/yarn.lock") is guarded as itself."""
    last = path.rsplit("/", 1)[-1]
    return path if ("." in last.strip(".") and not last.startswith(".")) or "*" in path else f"{path}/**"


def _confidence(n_sessions: int, strong: bool, latest: str, newest: str) -> float:
    recency = 0.1 if latest and newest and latest[:10] >= newest[:10] else 0.0
    return round(min(0.95, 0.3 + 0.15 * n_sessions + 0.1 * strong + recency), 2)


def _cluster_proposals(
    cl: Cluster, artifacts: list[Artifact], tool_calls: list[tuple[str, dict[str, Any]]], opts: dict[str, Any]
) -> list[Proposal]:
    rep = cl.representative()
    n = len(cl.sessions)
    polarity = cl.polarity()
    strong = any(s["strong"] for s in cl.statements)
    temporal = all(s["temporal"] for s in cl.statements)
    # a correction that swapped the tool the agent ran for another of its kind ("use pnpm" after `npm
    # install`) is project knowledge even from one session (as a memory)
    swapped = any(
        k.startswith("sub:") or (k.startswith("use:") and _same_family(*k[4:].split(">", 1)))
        for k in cl.keys
        if ">" in k
    )
    eligible = (
        n >= 2
        or swapped
        or any(
            s["general"] or s["temporal"] or s["kind"] == "request" or s["polarity"] == "prefer" for s in cl.statements
        )
    )
    if not eligible:
        return []
    lines = [rep["line"]]
    pair = next(
        (
            k[4:].split(">", 1)
            for k in sorted(cl.keys)
            if k.startswith("use:") and ">" in k and _same_family(*k[4:].split(">", 1))
        ),
        None,
    )
    if pair and len(tokens(rep["line"])) < 3 and not _has_word(rep["line"].lower(), pair[1]):
        lines = [f"Use {pair[0]}, not {pair[1]}."]  # "nope. yarn" says more with what it replaces
    for s in sorted(cl.statements, key=lambda s: s["ts"]):
        if all(similarity(tokens(s["line"]), tokens(l)) < 0.5 for l in lines) and len(lines) < 3 and not s["temporal"]:
            lines.append(s["line"])
    # duplicate of something the workspace already says → nothing to add
    for art in artifacts:
        for line in artifact_lines(art):
            if similarity(tokens(line), tokens(rep["line"])) >= DUPLICATE_SIMILARITY and not conflict_word(
                rep["line"], line
            ):
                return []
    kind: Kind
    if n >= MIN_SESSIONS_DURABLE and not temporal:
        kind = "rule" if strong and polarity in ("must", "must_not") else "instinct"
    else:
        kind = "memory"
    dirs = cl.forbid_dirs()
    scope: Scope
    paths: list[str]
    scope, paths = ("path", [_glob(d) for d in dirs]) if dirs and kind != "memory" else ("project", [])
    body = "\n".join(lines)
    newest = max((s["ts"] for s in cl.statements), default="")
    evidence = [evidence_of(s) for s in sorted(cl.statements, key=lambda s: s["ts"])][:8]
    why = (
        f"{'Correction' if rep['kind'] == 'correction' else 'Request'} stated in {n} session"
        f"{'s' if n != 1 else ''} ({', '.join(x[:8] for x in cl.sessions[:5])}); "
        + (
            "one session supports at most a memory."
            if kind == "memory"
            else f"repeated, so {'an' if kind[0] in 'aeiou' else 'a'} {kind}."
        )
    )
    labels: list[Label] = []
    for s in cl.statements:
        for old in s.get("superseded", []):
            labels.append(
                Label(
                    "contradiction_drift",
                    "info",
                    f"newer evidence (session {s['session_id'][:8]}, event {s['uuid'][:8]}) wins over "
                    f"the older statement '{quote(old, 80)}'",
                )
            )
    out = [
        Proposal(
            id="",
            action="add",
            kind=kind,
            scope=scope,
            paths=paths,
            title=title_of(lines[0]),
            body=body,
            confidence=_confidence(n, strong, newest, newest),
            rationale=why,
            evidence=evidence,
            labels=labels,
            meta={"signal": "statement", "sessions": n},
        )
    ]
    # a never / do-not about edits that the agent broke after it was said → hook
    if polarity == "must_not" and dirs:
        globs = [_glob(d) for d in dirs]
        first = cl.first
        violations = [
            (sid, c)
            for sid, c in tool_calls
            if c.get("tool") in EDIT_TOOLS and hooks.path_matches(c.get("target", ""), globs)
        ]
        after = [(sid, c) for sid, c in violations if c.get("ts", "") > first]
        if after:
            reason = f"{rep['line']} (Reverie hook from {n} session{'s' if n != 1 else ''})"
            script = hooks.path_guard_script(globs, reason)
            ev = evidence + [
                Evidence(
                    session_id=sid,
                    event_uuid=c["uuid"],
                    timestamp=c["ts"],
                    trust="agent",
                    quote=quote(f"{c['tool']} {c['target']}", 160),
                )
                for sid, c in after[:4]
            ]
            out.append(
                Proposal(
                    id="",
                    action="add",
                    kind="hook",
                    scope="project",
                    paths=[],
                    title=f"Block edits {'to' if globs == dirs else 'under'} {', '.join(dirs)}",
                    body=script,
                    confidence=min(0.9, 0.5 + 0.1 * len(after) + 0.1 * n),
                    rationale=(
                        f"'{quote(rep['line'], 100)}' was stated in session {cl.statements[0]['session_id'][:8]} "
                        f"and violated {len(after)} time(s) afterwards; a hook enforces it outside the model."
                    ),
                    evidence=ev,
                    meta={
                        "event": "PreToolUse",
                        "matcher": hooks.EDIT_MATCHER,
                        "timeout": 10,
                        "replay": {"violations": [c["uuid"] for _, c in violations]},
                        "signal": "violation",
                    },
                )
            )
    return out


# --- procedures -------------------------------------------------------------------------


def _lcs(a: list[str], b: list[str]) -> list[str]:
    m, n = len(a), len(b)
    dp = [[0] * (n + 1) for _ in range(m + 1)]
    for i in range(m - 1, -1, -1):
        for j in range(n - 1, -1, -1):
            dp[i][j] = dp[i + 1][j + 1] + 1 if a[i] == b[j] else max(dp[i + 1][j], dp[i][j + 1])
    out, i, j = [], 0, 0
    while i < m and j < n:
        if a[i] == b[j]:
            out.append(a[i])
            i, j = i + 1, j + 1
        elif dp[i + 1][j] >= dp[i][j + 1]:
            i += 1
        else:
            j += 1
    return out


def _procedures(signals: list[dict[str, Any]], clusters: list[Cluster], absorbed: set[int]) -> list[Proposal]:
    tasks = [dict(p, session_id=s["session_id"]) for s in signals for p in s.get("procedures", [])]
    tasks.sort(key=lambda t: t["ts"], reverse=True)
    buckets: dict[str, list[dict[str, Any]]] = {}
    for t in tasks:
        # first, last and next-to-last step: a run that skipped or reordered one end still meets the others
        norms = [s["norm"] for s in t["steps"]]
        for key in dict.fromkeys([norms[0], norms[-1], norms[-2]]):
            buckets.setdefault(key, []).append(t)
    out: list[Proposal] = []
    used: set[int] = set()
    for bucket in buckets.values():
        bucket = bucket[:200]
        for i, seed in enumerate(bucket):
            if id(seed) in used:
                continue
            common = [s["norm"] for s in seed["steps"]]
            members = [seed]
            for other in bucket[i + 1 :]:
                if id(other) in used or other["session_id"] in {m["session_id"] for m in members}:
                    continue
                lcs = _lcs(common, [s["norm"] for s in other["steps"]])
                if len(set(lcs)) >= 4 and len(lcs) >= 0.6 * min(len(common), len(other["steps"])):
                    common = lcs
                    members.append(other)
            corrected = any(m["corrected"] for m in members)
            if len(members) < MIN_SESSIONS_PROCEDURE and not (len(members) >= 2 and corrected):
                continue
            for m in members:
                used.add(id(m))
            out.append(_skill(common, members, clusters, absorbed))
    return out


def _skill(common: list[str], members: list[dict[str, Any]], clusters: list[Cluster], absorbed: set[int]) -> Proposal:
    latest = members[0]
    steps, k = [], 0
    for s in latest["steps"]:
        if k < len(common) and s["norm"] == common[k]:
            steps.append(s)
            k += 1
    norms = set(common)
    member_sessions = {m["session_id"] for m in members}
    notes: dict[str, str] = {}
    extra_ev: list[Evidence] = []
    for idx, cl in enumerate(clusters):
        cmds = [c for s in cl.statements for c in s["commands"]]
        if not cmds:  # "you forgot to wait for the rollout, check kubectl rollout status": a step named unquoted
            cmds = [n for n in norms if " " in n and all(n in s["text"].lower() for s in cl.statements)]
        if cmds and all(normalize_command(c) in norms for c in cmds) and set(cl.sessions) <= member_sessions:
            absorbed.add(idx)
            for c in cmds:
                notes[normalize_command(c)] = "do not skip this step (a person corrected a missed step)"
            extra_ev += [evidence_of(s) for s in cl.statements]
    words: dict[str, int] = {}
    for m in members:
        for w in tokens(m["prompt"]):
            if w.isalpha() and len(w) > 3:
                words[w] = words.get(w, 0) + 1
    topic = max(sorted(words), key=lambda w: words[w]) if words and max(words.values()) >= 2 else ""
    name = f"{topic.capitalize()} procedure" if topic else f"{common[-1]} procedure"
    asks = "; ".join(f'"{quote(m["prompt"], 60)}"' for m in members[:3])
    lines = [
        f"# {name}",
        "",
        f"Use when asked to {topic or 'run this workflow'} (seen as: {asks}).",
        "",
        "Steps, in order:",
    ]
    for i, s in enumerate(steps, 1):
        note = notes.get(s["norm"])
        lines.append(f"{i}. `{s['cmd']}`" + (f" — {note}" if note else ""))
    lines += [
        "",
        f"Performed in {len(members)} sessions; every step above succeeded in the latest one."
        if all(s["status"] == "ok" for s in steps)
        else f"Performed in {len(members)} sessions.",
    ]
    desc = f"{name}: " + " → ".join(common) + (f". Use when asked to {topic}." if topic else ".")
    evidence = [
        Evidence(session_id=m["session_id"], event_uuid=m["uuid"], timestamp=m["ts"], trust="user", quote=m["prompt"])
        for m in members[:6]
    ] + extra_ev[:3]
    return Proposal(
        id="",
        action="add",
        kind="skill",
        scope="project",
        title=name,
        body="\n".join(lines) + "\n",
        confidence=min(0.9, 0.4 + 0.1 * len(members) + 0.1 * bool(notes)),
        rationale=(
            f"The same {len(common)}-step procedure ran in {len(members)} sessions"
            + (" and a person corrected a missed step" if notes or any(m["corrected"] for m in members) else "")
            + "; packaged as a skill with the ordered steps."
        ),
        evidence=evidence,
        meta={
            "description": desc[:300],
            "signal": "procedure",
            "steps": [{"cmd": s["cmd"], "norm": s["norm"]} for s in steps],
            "verified_sessions": sum(
                1
                for m in members
                if all(any(st["norm"] == n and st["status"] == "ok" for st in m["steps"]) for n in common)
            ),
        },
    )


# --- error fixes, environment, external --------------------------------------------------------------


def _error_fixes(signals: list[dict[str, Any]], clusters: list[Cluster], proposals: list[Proposal]) -> list[Proposal]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for sig in signals:
        seen = set()
        for fx in sig.get("error_fixes", []):
            if fx["failed_norm"] in seen:
                continue
            seen.add(fx["failed_norm"])
            groups.setdefault(fx["failed_norm"], []).append(dict(fx, session_id=sig["session_id"]))
    covered = " ".join(p.body for p in proposals).lower()
    keys = set().union(*(c.keys for c in clusters)) if clusters else set()
    out = []
    for failed, fxs in sorted(groups.items()):
        if len({f["session_id"] for f in fxs}) < MIN_SESSIONS_DURABLE:
            continue
        latest = max(fxs, key=lambda f: f["ts"])
        prog_a, prog_b = failed.split(" ")[0], latest["fixed_norm"].split(" ")[0]
        if f"sub:{prog_a}>{prog_b}" in keys or latest["fixed"].lower() in covered:
            continue
        line = f"When `{failed}` fails, run `{latest['fixed']}` instead."
        out.append(
            Proposal(
                id="",
                action="add",
                kind="instinct",
                scope="project",
                title=title_of(line),
                body=line,
                confidence=min(0.85, 0.4 + 0.15 * len(fxs)),
                rationale=f"`{failed}` failed and `{latest['fixed']}` worked in {len(fxs)} sessions.",
                evidence=[
                    Evidence(
                        session_id=f["session_id"],
                        event_uuid=f["fix_uuid"],
                        timestamp=f["ts"],
                        trust="agent",
                        quote=quote(f"{f['failed']} → {f['fixed']}", 160),
                    )
                    for f in fxs[:6]
                ],
                meta={"signal": "error_fix"},
            )
        )
    return out


def _home_sessions(signals: list[dict[str, Any]], workspace: Path) -> list[dict[str, Any]]:
    """The sessions that ran in this workspace (or, when none did, in the most frequent cwd):
    environment facts from several projects must not be mixed into one memory."""
    root = str(workspace).rstrip("/")
    mine = [
        s for s in signals if (s.get("cwd") or "").rstrip("/") == root or (s.get("cwd") or "").startswith(root + "/")
    ]
    if mine:
        return mine
    counts: dict[str, int] = {}
    for s in signals:
        counts[s.get("cwd") or ""] = counts.get(s.get("cwd") or "", 0) + 1
    if len(counts) <= 1:
        return signals
    top = max(sorted(counts), key=lambda c: counts[c])
    return [s for s in signals if (s.get("cwd") or "") == top]


def _environment(
    signals: list[dict[str, Any]], clusters: list[Cluster], artifacts: list[Artifact], proposals: list[Proposal]
) -> Proposal | None:
    seen: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = {}
    for sig in signals:
        for f in sig.get("facts", []):
            seen.setdefault((f["category"], f["value"]), []).append((sig["session_id"], f))
    rejected = {k[4:] for c in clusters for k in c.keys if k.startswith("not:")}
    known = (" ".join(a.body for a in artifacts) + " " + " ".join(p.body for p in proposals)).lower()
    picked: dict[str, tuple[str, list[tuple[str, dict[str, Any]]]]] = {}
    for (cat, value), hits in seen.items():
        if len({sid for sid, _ in hits}) < MIN_SESSIONS_DURABLE or value.split(" ")[0] in rejected:
            continue
        if re.search(rf"(?<![\w-]){re.escape(value.lower())}(?![\w-])", known):
            continue
        if cat not in picked or len(hits) > len(picked[cat][1]):
            picked[cat] = (value, hits)
    if not picked:
        return None
    names = {"package_manager": "Package manager", "test_command": "Run the tests with", "build_command": "Build with"}
    lines, evidence = [], []
    for cat in ("package_manager", "test_command", "build_command"):
        if cat in picked:
            value, hits = picked[cat]
            shown = value if cat == "package_manager" else f"`{value}`"
            lines.append(f"- {names[cat]}: {shown} (worked in {len({s for s, _ in hits})} sessions)")
            evidence += [
                Evidence(session_id=sid, event_uuid=f["uuid"], timestamp=f["ts"], trust="agent", quote=value)
                for sid, f in hits[:3]
            ]
    return Proposal(
        id="",
        action="add",
        kind="memory",
        scope="project",
        title="Project environment",
        body="Environment facts confirmed by successful runs:\n" + "\n".join(lines) + "\n",
        confidence=0.6,
        rationale="Commands that succeeded in several sessions.",
        evidence=evidence,
        meta={"signal": "environment", "description": "Package manager, test and build commands"},
    )


def _external(statements: list[dict[str, Any]]) -> list[Proposal]:
    out: list[Proposal] = []
    for st in statements:
        if any(similarity(tokens(st["line"]), tokens(p.body)) >= 0.8 for p in out):
            continue
        out.append(
            Proposal(
                id="",
                action="add",
                kind="memory",
                scope="project",
                title=title_of(st["line"]),
                body=st["line"],
                confidence=0.2,
                rationale=(
                    f"Instruction-like text arrived through {st.get('tool') or 'a tool'} output "
                    f"({st['trust']} trust) in session {st['session_id'][:8]}; shown so a person can see it, "
                    "never to be applied as is."
                ),
                evidence=[evidence_of(st)],
                meta={"signal": "external_instruction"},
            )
        )
    return out
