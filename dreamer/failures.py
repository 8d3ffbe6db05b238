"""Facts the agent learned by failing: the same command failing the same way in several sessions, and the fix.

Why: real sessions repeat environment lessons nobody says out loud — `git push`
on a fresh branch fails with "has no upstream branch" and `--set-upstream`
fixes it; a pre-commit hook rejects unformatted code until `mix format` runs;
`git add` refuses an ignored build folder. Each session pays for it again. A
failure counts when its error line (not the exit code or progress noise) recurs
in ≥ 2 sessions for the same command, and the agent's next working command did
the job (`model.Failure.relation`: instead / first / without). The lesson is an
instinct stated with the error and the fix; a test run failing is the code's
failure, not a lesson.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from reverie.dreamer.clusters import MIN_SESSIONS_DURABLE, Cluster
from reverie.dreamer.commands import generalize, program, same_error
from reverie.dreamer.ledger import Ledger
from reverie.dreamer.model import Failure, SessionSignals
from reverie.dreamer.wording import quote, title_of
from reverie.store.models import Evidence, Proposal

_EXPLORING = frozenset(
    [
        "cat",
        "ls",
        "grep",
        "rg",
        "find",
        "head",
        "tail",
        "sed",
        "awk",
        "echo",
        "test",
        "[",
        "which",
        "type",
        "file",
        "stat",
        "wc",
        "diff",
        "cmp",
        "sleep",
        "curl",
        "wget",
        "true",
        "false",
        "cd",
        "pwd",
        "env",
        "printenv",
        "ps",
        "lsof",
        "kill",
        "pkill",
        "jq",
        "python",
        "python3",
        "node",
        "bash",
        "sh",
        "zsh",
    ]
)
"""Programs an agent runs to look around: their failures are answers, not lessons."""


@dataclass
class _Group:
    norm: str
    error: str
    members: list[tuple[str, Failure]] = field(default_factory=list)

    @property
    def sessions(self) -> list[str]:
        return sorted({sid for sid, _ in self.members})

    def relation(self) -> str:
        counts: dict[str, int] = {}
        for _, f in self.members:
            counts[f.relation] = counts.get(f.relation, 0) + 1
        return max(sorted(counts), key=lambda r: counts[r])


def failure_lessons(
    signals: list[SessionSignals], clusters: list[Cluster], proposals: list[Proposal], ledger: Ledger | None = None
) -> list[Proposal]:
    """Instincts for failures that recur in ≥ 2 sessions with a fix (see module doc)."""
    groups: dict[str, list[_Group]] = {}
    for sig in signals:
        seen: set[tuple[str, str]] = set()
        for f in sig.failures:
            if f.relation == "none" or not f.fix or program(f.norm) in _EXPLORING:
                continue
            if (f.norm, f.error) in seen:
                continue
            seen.add((f.norm, f.error))
            bucket = groups.setdefault(program(f.norm), [])  # `git add` and `git commit` can fail the same way
            group = next((g for g in bucket if same_error(g.error, f.error) or (not g.error and not f.error)), None)
            if group is None:
                group = _Group(f.norm, f.error)
                bucket.append(group)
            group.members.append((sig.session_id, f))
    covered = " ".join(p.body for p in proposals).lower()
    swaps = {(k.a, k.b) for c in clusters for k in c.keys if k.kind == "sub"}
    out: list[Proposal] = []
    for prog in sorted(groups):
        for g in groups[prog]:
            members = sorted(g.members, key=lambda m: m[1].ts)
            latest = members[-1][1]
            norm = _named_norm([f for _, f in members])
            n = len(g.sessions)
            if n < MIN_SESSIONS_DURABLE:
                _note(
                    ledger,
                    members,
                    "dropped",
                    f"below threshold: failed this way in {n} of {MIN_SESSIONS_DURABLE} sessions needed",
                )
                continue
            if (program(norm), program(latest.fix_norm)) in swaps or latest.fix.lower() in covered:
                continue  # a correction or another proposal already says it
            title, line = _lesson(g.relation(), [f for _, f in members])
            p = Proposal(
                id="",
                action="add",
                kind="instinct",
                scope="project",
                title=title,
                body=line,
                confidence=min(0.85, 0.4 + 0.15 * n),
                rationale=(
                    f"`{norm}` failed the same way in {n} sessions ({', '.join(s[:8] for s in g.sessions[:4])})"
                    f" and the agent recovered each time; learned by failing, so an instinct."
                ),
                evidence=[
                    Evidence(
                        session_id=sid,
                        event_uuid=f.uuid,
                        timestamp=f.ts,
                        trust="agent",
                        quote=quote(f"`{f.command}` failed: {f.error}", 160),
                    )
                    for sid, f in members[:4]
                ]
                + [
                    Evidence(
                        session_id=sid,
                        event_uuid=f.fix_uuid,
                        timestamp=f.fix_ts,
                        trust="agent",
                        quote=quote(f.fix, 160),
                    )
                    for sid, f in members[-2:]
                ],
                meta={"signal": "error_fix", "sessions": n},
            )
            out.append(p)
            _note(ledger, members, "kept", f"the same failure and fix in {n} sessions", p)
    return out


def _note(
    ledger: Ledger | None,
    members: list[tuple[str, Failure]],
    decision: str,
    reason: str,
    proposal: Proposal | None = None,
) -> None:
    """Tell the --explain ledger what became of each failure of a group."""
    if ledger is None:
        return
    for sid, f in members:
        what = f"`{quote(f.command, 80)}` failed: {quote(f.error, 80)}"
        ledger.note(sid, f.uuid, f.ts, "failure", what, decision, reason, proposal)


def _named_norm(failures: list[Failure]) -> str:
    """The command a group of failures is about: the one the error names, else the most frequent."""
    counts: dict[str, int] = {}
    for f in failures:
        counts[f.norm] = counts.get(f.norm, 0) + 1 + 2 * any(w in f.error.lower() for w in f.norm.split()[1:2])
    return max(sorted(counts), key=lambda n: counts[n])


def _lesson(relation: str, failures: list[Failure]) -> tuple[str, str]:
    """(title, text) of the instinct: the failing command, its error line, and what to do (≤ 2 sentences)."""
    latest = replace(failures[-1], norm=_named_norm(failures))
    cmd = generalize([f.command for f in failures])
    fix = quote(generalize([f.fix for f in failures]), 100)
    said = f' ("{quote(latest.error, 120)}")' if latest.error else ""
    if relation == "first":
        return (
            f"Run `{fix}` before `{latest.norm}`",
            f"Run `{fix}` before `{latest.norm}`: without it `{latest.norm}` fails{said}.",
        )
    if relation == "without":
        named = [w for f in failures for w in f.command.split() if w not in f.fix.split()]
        common = _named_in_error(named, latest.error)
        what = f"`{common}`" if common else "what it refuses"
        return f"Leave {what} out of `{latest.norm}`", f"`{latest.norm}` fails here{said}: leave {what} out."
    shown = latest.norm if latest.norm == latest.fix_norm or len(cmd) > 80 else cmd
    return (
        f"When `{shown}` fails, run `{title_of(fix, 50)}`",
        f"When `{shown}` fails{said}, run `{fix}` instead.",
    )


def _named_in_error(words: list[str], error: str) -> str:
    """The part of the left-out words the error names (`priv/static/assets` for `priv/static/assets/app.css`)."""
    low = error.lower()
    for w in words:
        parts = w.rstrip("/").split("/")
        for i in range(len(parts), 0, -1):
            head = "/".join(parts[:i])
            if len(head) > 2 and head.lower() in low:
                return head
    return quote(" ".join(dict.fromkeys(words)), 60) if words else ""
