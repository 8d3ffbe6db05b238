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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reverie.dreamer import hooks
from reverie.dreamer.signals import EDIT_TOOLS, NOT_WORD, USE, _same_family, normalize_command
from reverie.dreamer.wording import quote, similarity, slug, title_of, tokens
from reverie.store.models import Artifact, Evidence, Label, Proposal

MIN_SESSIONS_DURABLE = 2
MIN_SESSIONS_PROCEDURE = 3
DUPLICATE_SIMILARITY = 0.6
CLUSTER_SIMILARITY = 0.5


@dataclass
class Cluster:
    statements: list[dict[str, Any]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    toks: frozenset[str] = frozenset()

    @property
    def sessions(self) -> list[str]:
        return sorted({s["session_id"] for s in self.statements})

    @property
    def latest(self) -> str:
        return max(s["ts"] for s in self.statements)

    @property
    def first(self) -> str:
        return min(s["ts"] for s in self.statements)

    _polarity: str = ""

    def add(self, st: dict[str, Any]) -> None:
        self.statements.append(st)
        self.keys |= set(st["keys"])
        self.toks = self.toks | tokens(st["line"])
        self._polarity = ""

    def best_similarity(self, toks: frozenset[str]) -> float:
        """Similarity to the cluster: its whole vocabulary, or its closest recent statement
        (a short restatement should not be drowned by a long first wording)."""
        best = similarity(toks, self.toks)
        for s in self.statements[-8:]:
            best = max(best, similarity(toks, tokens(s["line"])))
        return best

    def representative(self) -> dict[str, Any]:
        pairs = [k[4:].split(">") for k in self.keys if k.startswith("use:") and ">" in k]
        dirs = self.forbid_dirs()

        def score(s: dict[str, Any]) -> tuple:
            low = s["line"].lower()
            explicit = any(k.startswith("use:") for k in s["keys"])
            # the line that carries the whole lesson: both sides of "use X not Y", or the guarded path
            contrast = any(_has_word(low, a) and _has_word(low, b) for a, b in pairs)
            names_dir = any(d.lower() in low for d in dirs)
            return (
                3 * explicit + 2 * contrast + 2 * names_dir + 2 * s["general"] + s["strong"] - 3 * s["temporal"],
                -len(s["line"]) // 80,
                s["ts"],
            )

        return max(self.statements, key=score)

    def polarity(self) -> str:
        if self._polarity:
            return self._polarity
        self._polarity = self._count_polarity()
        return self._polarity

    def _count_polarity(self) -> str:
        counts: dict[str, int] = {}
        for s in self.statements:
            counts[s["polarity"]] = counts.get(s["polarity"], 0) + 1
        return max(sorted(counts), key=lambda k: counts[k])

    def forbid_dirs(self) -> list[str]:
        """Guarded paths; one inside another guarded folder adds nothing."""
        found = {k.split(":", 1)[1] for k in self.keys if k.startswith("forbid:")}
        return sorted(p for p in found if not any(p.startswith(q.rstrip("/") + "/") for q in found if q != p))


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def _forbid_overlap(a: set[str], b: set[str]) -> bool:
    """A guarded file inside a guarded folder is the same lesson."""
    fa = [k[7:] for k in a if k.startswith("forbid:")]
    fb = [k[7:] for k in b if k.startswith("forbid:")]
    return any(x.startswith(y + "/") or y.startswith(x + "/") for x in fa for y in fb)


def evidence_of(st: dict[str, Any]) -> Evidence:
    return Evidence(
        session_id=st["session_id"],
        event_uuid=st.get("uuid", ""),
        timestamp=st.get("ts", ""),
        trust=st.get("trust", "user"),
        quote=quote(st.get("text", ""), 200),
        agent=st.get("agent", ""),
    )


# --- artifact text helpers -------------------------------------------------------


def artifact_lines(art: Artifact) -> list[str]:
    """Lines of an artifact body that state something (no headings, fences, frontmatter)."""
    out, fence, front = [], False, False
    for i, line in enumerate(art.body.splitlines()):
        s = line.strip()
        if i == 0 and s == "---":
            front = True
            continue
        if front:
            front = s != "---"
            continue
        if s.startswith("```"):
            fence = not fence
            continue
        if fence or not s or s.startswith(("#", "<!--")):
            continue
        out.append(line)
    return out


def negated_words(line: str) -> set[str]:
    words = set()
    for m in USE.finditer(line):
        words.add(m.group(2).lower().strip("`'\".,;:!?"))
    for m in NOT_WORD.finditer(line):
        w = m.group(1).lower().strip("`'\".,;:!?")
        if w and w not in ("the", "a", "an", "to", "be", "just", "that", "this", "it", "so", "only", "more"):
            words.add(w)
    return words


NEG_WINDOW = re.compile(
    r"\b(?:not|no|never|don'?t|do not|stop|avoid|hands off)\s+((?:[\w.`'/-]+\s+){0,3}[\w.`'/-]+)", re.I
)


def mentions_positively(line: str, word: str) -> bool:
    """`word` appears in `line` and is not itself negated there (nor within a few words after a
    negation: "is not allowed to push to main" does not recommend pushing)."""
    low = line.lower()
    if not re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", low):
        return False
    if word in negated_words(line):
        return False
    window = {w.strip("`'\".,;:!?") for m in NEG_WINDOW.finditer(low) for w in m.group(1).split()}
    return word not in window


PROGRAMS = frozenset(
    [
        "npm",
        "pnpm",
        "yarn",
        "bun",
        "pip",
        "pip3",
        "uv",
        "poetry",
        "cargo",
        "go",
        "mix",
        "make",
        "npx",
        "docker",
        "podman",
        "git",
        "tabs",
        "spaces",
        "pytest",
        "vitest",
        "jest",
        "unittest",
        "black",
        "ruff",
        "flake8",
        "eslint",
        "prettier",
        "biome",
        "tsc",
        "webpack",
        "vite",
    ]
)


def code_words(line: str) -> list[str]:
    """Words of backticked commands and parts of code identifiers ("unittest.TestCase", "snake_case"):
    they name a tool as surely as a known program does."""
    out = " ".join(re.findall(r"`([^`]+)`", line)).lower().split()
    return out + [p for ident in re.findall(r"\b\w+(?:[._]\w+)+\b", line.lower()) for p in re.split(r"[._]", ident)]


def conflict_word(new_line: str, old_line: str) -> str | None:
    """A word the new line rejects that the old line recommends, if any.

    The word must name a tool (a known program or a backticked command in the old
    line), or the two lines must otherwise talk about the same thing."""
    related = similarity(tokens(new_line), tokens(old_line)) >= 0.2
    ticked = code_words(old_line)
    for w in sorted(negated_words(new_line)):
        if len(w) >= 2 and mentions_positively(old_line, w) and (related or w in PROGRAMS or w in ticked):
            return w
    return None


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
    clusters = _resolve_conflicting_clusters(clusters)
    proposals: list[Proposal] = []
    absorbed: set[int] = set()

    # 1. procedures → skills (statements about their steps are absorbed)
    proposals += _procedures(signals, clusters, absorbed)
    # 2. artifact updates: stale commands/paths and contradicted lines
    updates, used = _artifact_updates(signals, clusters, artifacts, workspace, absorbed)
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


def cluster_statements(statements: list[dict[str, Any]]) -> list[Cluster]:
    clusters: list[Cluster] = []
    for st in statements:
        keys = {k for k in st["keys"] if not k.startswith("sub:")} | {k for k in st["keys"] if k.startswith("sub:")}
        toks = tokens(st["line"])
        best, best_score = None, 0.0
        for cl in clusters:
            if cl.polarity() == "must_not" and st["polarity"] in ("use", "prefer") and not (keys & cl.keys):
                continue
            reversed_pairs = {
                f"use:{k[4:].split('>')[1]}>{k[4:].split('>')[0]}" for k in keys if k.startswith("use:") and ">" in k
            }
            if reversed_pairs & cl.keys:
                continue  # the opposite lesson: kept apart so the newer one can win
            shared = keys & cl.keys or _forbid_overlap(keys, cl.keys)
            score = 1.0 if shared else cl.best_similarity(toks)
            if score > best_score:
                best, best_score = cl, score
        if best is not None and best_score >= CLUSTER_SIMILARITY:
            best.add(st)
        else:
            cl = Cluster()
            cl.add(st)
            clusters.append(cl)
    return clusters


def _resolve_conflicting_clusters(clusters: list[Cluster]) -> list[Cluster]:
    """ "use X not Y" vs "use Y not X": the cluster with the newer evidence wins."""
    drop: set[int] = set()
    for i, a in enumerate(clusters):
        for j, b in enumerate(clusters):
            if i >= j or i in drop or j in drop:
                continue
            pa = {tuple(k[4:].split(">")) for k in a.keys if k.startswith("use:")}
            pb = {tuple(k[4:].split(">")) for k in b.keys if k.startswith("use:")}
            if any((y, x) in pb for x, y in pa):
                loser, winner = (i, b) if a.latest < b.latest else (j, a)
                drop.add(loser)
                winner.statements[-1].setdefault("superseded", []).append(clusters[loser].representative()["line"])
    return [c for k, c in enumerate(clusters) if k not in drop]


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
    if n >= MIN_SESSIONS_DURABLE and not temporal:
        kind = "rule" if strong and polarity in ("must", "must_not") else "instinct"
    else:
        kind = "memory"
    dirs = cl.forbid_dirs()
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


# --- stale and contradicted artifacts -------------------------------------------------------------


def _artifact_updates(
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
            gone = [p for p in _local_paths(line) if not (workspace / p).exists()]
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
                        indent = re.match(r"^\s*(?:[-*] |\d+\. )?", line).group(0)  # type: ignore[union-attr]
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


def _local_paths(line: str) -> list[str]:
    out = []
    for m in re.finditer(
        r"(?<![\w/:.~`$-])([A-Za-z0-9_][\w.-]*/[\w./-]*[\w-]|[\w-]+\.(?:ya?ml|json|toml|md|py|ts|js|sql|sh|cfg|ini|lock))(?![\w/])",
        line,
    ):
        p = m.group(1)
        ctx = line[max(0, m.start() - 10) : m.start()]
        if "://" in ctx or "*" in p or p.startswith(("http", "www")):
            continue
        if "/" not in p and not re.search(r"\.(ya?ml|json|toml|lock|cfg|ini|sh|sql)$", p):
            continue
        out.append(p.rstrip("."))
    return out


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


def proposal_key(p: Proposal) -> str:
    """Stable sort key: kind strength, then title."""
    return f"{p.kind}:{slug(p.title)}"
