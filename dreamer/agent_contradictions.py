"""Contradictions between the agents' instruction files (CLAUDE.md vs AGENTS.md vs GEMINI.md …).

Why: a workspace used with several agents steers each through its own file;
when CLAUDE.md says "use pnpm" and AGENTS.md says "never use pnpm", the agents
drift apart silently. `reverie status` lists such pairs, and
`label_cross_agent` adds a ``contradiction_drift`` label to an observed write
or proposal whose new lines contradict another agent's file. Same word-level
test as the dream's contradiction critic (dreamer.artifact_text.conflict_word).
"""

from __future__ import annotations

from dataclasses import dataclass

from reverie.dreamer.artifact_text import artifact_lines, conflict_word
from reverie.dreamer.wording import quote
from reverie.store.models import Artifact, Label, Proposal

INSTRUCTION_FILES = {
    "CLAUDE.md": "claude",
    ".claude/CLAUDE.md": "claude",
    "CLAUDE.local.md": "claude",
    "AGENTS.md": "codex",
    "AGENTS.override.md": "codex",
    "GEMINI.md": "gemini",
}


@dataclass
class Contradiction:
    file_a: str
    line_a: str
    file_b: str
    line_b: str
    word: str

    def to_dict(self) -> dict[str, str]:
        return {
            "file": self.file_a,
            "line": self.line_a,
            "other_file": self.file_b,
            "other_line": self.line_b,
            "word": self.word,
        }

    def text(self) -> str:
        a, b = quote(self.line_a, 60), quote(self.line_b, 60)
        return f"{self.file_a} and {self.file_b} disagree over '{self.word}': '{a}' vs '{b}'"


def _documents(artifacts: list[Artifact]) -> dict[str, list[str]]:
    """Instruction file → its stated lines (hand-written text and Reverie's entries alike)."""
    out: dict[str, list[str]] = {}
    for a in artifacts:
        source = str(a.meta.get("source") or "")
        if source in INSTRUCTION_FILES:
            out.setdefault(source, []).extend(artifact_lines(a))
    return out


def contradictions(artifacts: list[Artifact], limit: int = 20) -> list[Contradiction]:
    """Pairs of lines in different agents' files where one rejects what the other recommends."""
    docs = _documents(artifacts)
    found: list[Contradiction] = []
    names = sorted(docs)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if INSTRUCTION_FILES[a] == INSTRUCTION_FILES[b]:
                continue
            for la in docs[a]:
                for lb in docs[b]:
                    w = conflict_word(la, lb) or conflict_word(lb, la)
                    if w:
                        found.append(Contradiction(a, la.strip(), b, lb.strip(), w))
                        if len(found) >= limit:
                            return found
                        break
    return found


def label_cross_agent(p: Proposal, artifacts: list[Artifact], key: str) -> list[Label]:
    """A label when the lines `p` adds to one agent's file contradict another agent's file."""
    agent = INSTRUCTION_FILES.get(key)
    if agent is None:
        return []
    docs = _documents(artifacts)
    for other, lines in sorted(docs.items()):
        if INSTRUCTION_FILES[other] == agent:
            continue
        for new in (line for line in p.body.splitlines() if line.strip()):
            for old in lines:
                w = conflict_word(new, old) or conflict_word(old, new)
                if w:
                    return [
                        Label(
                            "contradiction_drift",
                            "warn",
                            f"{key} would now disagree with {other} over '{w}': '{quote(old.strip(), 70)}'",
                        )
                    ]
    return []
