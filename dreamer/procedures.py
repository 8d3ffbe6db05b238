"""Repeated multi-step procedures → skills.

Why apart: a skill comes from the shape of the work (the same ordered shell
steps in several sessions, aligned by longest common subsequence), not from
what anyone said; the statements that correct a step ("you forgot the
changeset") are folded into the skill as notes instead of becoming lessons of
their own. Tasks are bucketed by their first and last steps, so each task is
compared with the few that could match, not with every other task.
"""

from __future__ import annotations

from reverie.dreamer.clusters import MIN_SESSIONS_PROCEDURE, Cluster, evidence_of
from reverie.dreamer.commands import normalize_command, program
from reverie.dreamer.model import Procedure, SessionSignals, Step
from reverie.dreamer.wording import quote, tokens
from reverie.store.models import Evidence, Proposal

_EVERYDAY = frozenset({"git", "gh", "ls", "cat", "cd", "echo", "grep", "rg", "find", "head", "tail", "sleep"})
"""Programs of every workflow: a procedure needs at least two steps beyond them to be this project's."""


def lcs(a: list[str], b: list[str]) -> list[str]:
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


def procedure_skills(
    signals: list[SessionSignals], clusters: list[Cluster], absorbed: set[int]
) -> list[tuple[Proposal, list[Procedure]]]:
    """Skills for procedures repeated in ≥ 3 sessions (≥ 2 with a correction), with the tasks behind each."""
    tasks = [p for s in signals for p in s.procedures]
    tasks.sort(key=lambda t: t.ts, reverse=True)
    buckets: dict[str, list[Procedure]] = {}
    for t in tasks:
        # first, last and next-to-last step: a run that skipped or reordered one end still meets the others
        norms = [s.norm for s in t.steps]
        for key in dict.fromkeys([norms[0], norms[-1], norms[-2]]):
            buckets.setdefault(key, []).append(t)
    out: list[tuple[Proposal, list[Procedure]]] = []
    used: set[int] = set()
    for bucket in buckets.values():
        bucket = bucket[:200]
        for i, seed in enumerate(bucket):
            if id(seed) in used:
                continue
            common = [s.norm for s in seed.steps]
            members = [seed]
            for other in bucket[i + 1 :]:
                if id(other) in used or other.session_id in {m.session_id for m in members}:
                    continue
                shared = lcs(common, [s.norm for s in other.steps])
                if len(set(shared)) >= 4 and len(shared) >= 0.6 * min(len(common), len(other.steps)):
                    common = shared
                    members.append(other)
            corrected = any(m.corrected for m in members)
            if len(members) < MIN_SESSIONS_PROCEDURE and not (len(members) >= 2 and corrected):
                continue
            if len({n for n in common if program(n) not in _EVERYDAY}) < 2:
                continue  # add, commit, push, open a PR: what every agent does, not this project's procedure
            for m in members:
                used.add(id(m))
            out.append((_skill(common, members, clusters, absorbed), members))
    return out


def _skill(common: list[str], members: list[Procedure], clusters: list[Cluster], absorbed: set[int]) -> Proposal:
    member_sessions = {m.session_id for m in members}
    all_norms = {s.norm for m in members for s in m.steps}
    # a step a person said was skipped ("u skipped the changeset bump") belongs in the skill, where the
    # run that did it right had it
    corrected: set[str] = set()
    for cl in clusters:
        for st in cl.statements:
            if st.session_id in member_sessions:
                said = {normalize_command(c) for c in st.commands} | {
                    n for n in all_norms if " " in n and n in st.text.lower()
                }
                corrected |= said & all_norms
    wanted = set(common) | corrected
    template = next(
        (
            m
            for m in sorted(sorted(members, key=lambda m: m.ts, reverse=True), key=lambda m: m.corrected)
            if wanted <= {s.norm for s in m.steps}
        ),
        members[0],
    )
    steps: list[Step] = []
    for s in template.steps:
        if s.norm in wanted and all(x.norm != s.norm for x in steps):
            steps.append(s)
    norms = {s.norm for s in steps}
    notes: dict[str, str] = {}
    extra_ev: list[Evidence] = []
    for idx, cl in enumerate(clusters):
        cmds = [c for s in cl.statements for c in s.commands]
        if not cmds:  # "you forgot to wait for the rollout, check kubectl rollout status": a step named unquoted
            cmds = [n for n in norms if " " in n and all(n in s.text.lower() for s in cl.statements)]
        if cmds and all(normalize_command(c) in norms for c in cmds) and set(cl.sessions) <= member_sessions:
            absorbed.add(idx)
            for c in cmds:
                notes[normalize_command(c)] = "do not skip this step (a person corrected a missed step)"
            extra_ev += [evidence_of(s) for s in cl.statements]
    # the rest of a turn that named a step ("u skipped the changeset bump again." before the command)
    turns = {s.uuid for idx in absorbed for s in clusters[idx].statements}
    for idx, cl in enumerate(clusters):
        if idx not in absorbed and set(cl.sessions) <= member_sessions and any(s.uuid in turns for s in cl.statements):
            absorbed.add(idx)
    words: dict[str, int] = {}
    for m in members:
        for w in tokens(m.prompt):
            if w.isalpha() and len(w) > 3:
                words[w] = words.get(w, 0) + 1
    topic = max(sorted(words), key=lambda w: words[w]) if words and max(words.values()) >= 2 else ""
    name = f"{topic.capitalize()} procedure" if topic else f"{common[-1]} procedure"
    asks = "; ".join(f'"{quote(m.prompt, 60)}"' for m in members[:3])
    lines = [
        f"# {name}",
        "",
        f"Use when asked to {topic or 'run this workflow'} (seen as: {asks}).",
        "",
        "Steps, in order:",
    ]
    for i, s in enumerate(steps, 1):
        note = notes.get(s.norm)
        lines.append(f"{i}. `{s.cmd}`" + (f" — {note}" if note else ""))
    lines += [
        "",
        f"Performed in {len(members)} sessions; every step above succeeded in the run shown."
        if all(s.status == "ok" for s in steps)
        else f"Performed in {len(members)} sessions.",
    ]
    desc = f"{name}: " + " → ".join(common) + (f". Use when asked to {topic}." if topic else ".")
    evidence = [
        Evidence(session_id=m.session_id, event_uuid=m.uuid, timestamp=m.ts, trust="user", quote=m.prompt)
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
            + (" and a person corrected a missed step" if notes or any(m.corrected for m in members) else "")
            + "; packaged as a skill with the ordered steps."
        ),
        evidence=evidence,
        meta={
            "description": desc[:300],
            "signal": "procedure",
            "steps": [{"cmd": s.cmd, "norm": s.norm} for s in steps],
            "verified_sessions": sum(
                1 for m in members if all(any(st.norm == n and st.status == "ok" for st in m.steps) for n in common)
            ),
        },
    )
