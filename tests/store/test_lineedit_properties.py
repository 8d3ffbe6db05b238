"""Line edits on every real hand-written agent file we have, and on generated ones.

For every update proposal: each hunk of its diff touches only the lines it
cites; applying it changes exactly those lines (every other byte stays); undo
gives back the workspace byte for byte. Real files: CLAUDE.md, AGENTS.md and
`.claude/` rules, commands, agents and skills from ../shared/realdata and every
project tree of ../shared/realdata2 (a safety property: it tunes nothing).
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reverie.dreamer.artifact_text import statement_lines
from reverie.store import materialize as mat
from reverie.store.core import Store
from reverie.store.lineedits import apply_edits, split_lines
from reverie.store.models import Evidence, LineEdit
from tests.conftest import realdata_or_skip
from tests.store.conftest import update_of, world

AGENT_FILES = ("CLAUDE.md", "AGENTS.md", "CLAUDE.local.md", ".claude/CLAUDE.md")
AGENT_DIRS = (".claude/rules", ".claude/commands", ".claude/agents", ".claude/skills")
EV = [Evidence(session_id="s", event_uuid="u", trust="agent", quote="failed")]


def corpora() -> list[Path]:
    shared = realdata_or_skip().parent
    roots = [p for p in sorted((shared / "realdata").iterdir()) if p.is_dir()]
    trees = sorted(p / "tree" for p in (shared / "realdata2").glob("*") if (p / "tree").is_dir())
    return [*roots, *trees]


def agent_files(root: Path) -> list[str]:
    out = [f for f in AGENT_FILES if (root / f).is_file()]
    for d in AGENT_DIRS:
        if (root / d).is_dir():
            out += sorted(p.relative_to(root).as_posix() for p in (root / d).rglob("*.md") if p.is_file())
    return out


def planned_edits(key: str, data: bytes) -> list[LineEdit]:
    """A removal and a replacement on two stating lines far apart (or one, for a short file)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return []
    stating = [(n, line.rstrip("\r")) for n, line in statement_lines(text)]
    if not stating:
        return []
    n1, l1 = stating[len(stating) // 3]
    edits = [LineEdit(key, n1, [l1], [l1.rstrip() + " (updated)"], "test", list(EV))]
    n2, l2 = stating[-1]
    if n2 != n1:
        edits.append(LineEdit(key, n2, [l2], [], "test", list(EV)))
    return edits


def touched_lines(before: str, after: str) -> set[int]:
    """1-based line numbers of `before` that a unified diff changes (deleted or replaced)."""
    a, b = before.split("\n"), after.split("\n")
    out: set[int] = set()
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            out.update(range(i1 + 1, i2 + 1))
    return out


def check_workspace(ws: Path, home: Path) -> int:
    """Propose, apply and undo edits of every hand-written file in `ws`; returns how many files were edited."""
    store = Store.open(ws, create=True)
    try:
        store.init()
        arts = [
            a
            for a in store.active_artifacts()
            if a.origin == "import" and a.meta.get("layout") in (mat.DOCUMENT, "file") and a.meta.get("source")
        ]
        originals: dict[str, bytes] = {}
        proposals = []
        for a in arts:
            key = str(a.meta["source"])
            data = (ws / key).read_bytes()
            edits = planned_edits(key, data)
            if not edits:
                continue
            originals[key] = data
            proposals.append(update_of(a, edits))
        if not proposals:
            return 0
        before_world = world(ws, home)
        store.open_candidate(proposals)
        stored = store.proposals()
        for p in stored:
            cited = {e.line + i for e in p.edits for i in range(len(e.old))}
            assert touched_lines(p.before, p.after) <= cited, f"{p.title}: a hunk touches an uncited line"
            assert touched_lines(p.before, p.after), f"{p.title}: the diff shows the change"
        store.approve([p.id for p in stored])
        res = store.apply()
        assert sorted(res.applied) == sorted(p.id for p in stored), res.conflicts
        for p in stored:
            key = p.edits[0].path
            new = (ws / key).read_bytes()
            assert new == apply_edits(originals[key], p.edits), key
            old_lines = split_lines(originals[key].decode("utf-8"))
            cited = {e.line - 1 + i for e in p.edits for i in range(len(e.old))}
            rest = iter(split_lines(new.decode("utf-8")))
            assert all(any(x == y for y in rest) for i, x in enumerate(old_lines) if i not in cited), (
                f"{key}: an uncited line changed (bytes, ending included)"
            )
        store.undo()
        assert world(ws, home) == before_world, "undo gives back every byte"
        return len(stored)
    finally:
        store.close()


def test_every_real_agent_file(tmp_path: Path, temp_home: Path) -> None:
    edited: dict[str, int] = {}
    for root in corpora():
        files = agent_files(root)
        if not files:
            continue
        name = root.parent.name if root.name == "tree" else root.name
        ws = tmp_path / name
        for rel in files:
            (ws / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / rel, ws / rel)
        edited[name] = check_workspace(ws, temp_home)
    assert edited and all(edited.values()), f"a corpus with agent files got no edit: {edited}"


# --- generated files ----------------------------------------------------------------------------------

word = st.text(alphabet=st.sampled_from("abc xyz-`'\"é→\t"), min_size=1, max_size=12)
line = st.one_of(
    word.map(lambda w: f"- {w.strip() or 'x'}"),
    word.map(lambda w: w.strip() or "y"),
    st.just(""),
    st.just("# Heading"),
    st.just("```"),
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    lines = draw(st.lists(line, min_size=1, max_size=25))
    if draw(st.booleans()):
        lines = ["---", "name: x", 'description: "quoted: yes"', "---", *lines]
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    text = eol.join(lines) or "x"
    return text + (eol if draw(st.booleans()) else "")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=documents(), picks=st.lists(st.integers(0, 1000), min_size=1, max_size=4), remove=st.booleans())
def test_generated_edits_touch_only_cited_lines(text: str, picks: list[int], remove: bool) -> None:
    data = text.encode("utf-8")
    lines = split_lines(text)
    chosen = sorted({p % len(lines) for p in picks})
    edits = [
        LineEdit("f.md", i + 1, [lines[i].rstrip("\r\n")], [] if remove else [f"new {i}"], "t", list(EV))
        for i in chosen
    ]
    out = apply_edits(data, edits).decode("utf-8")
    new_lines = split_lines(out)
    kept = [x for i, x in enumerate(lines) if i not in chosen]
    if remove:
        assert new_lines == kept, "removing lines removes exactly their bytes"
    else:
        assert len(new_lines) == len(lines)
        for i, (a, b) in enumerate(zip(lines, new_lines, strict=True)):
            if i in chosen:
                assert b.rstrip("\r\n") == f"new {i}" and b[len(b.rstrip("\r\n")) :] == a[len(a.rstrip("\r\n")) :]
            else:
                assert a == b, "an uncited line changed"
    if not remove:
        assert out.endswith("\n") == text.endswith("\n"), "the final newline (or its absence) stays"


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_generated_workspace_apply_undo(tmp_path: Path, temp_home: Path, eol: str) -> None:
    ws = tmp_path / "ws"
    (ws / ".claude" / "skills" / "deploy").mkdir(parents=True)
    (ws / "CLAUDE.md").write_bytes(eol.join(["# P", "", "- one", "- two", "", "Para."]).encode())
    skill = ["---", "description: 'Deploy: the app'", "name: deploy", "---", "", "1. build", "2. ship", ""]
    (ws / ".claude/skills/deploy/SKILL.md").write_bytes(eol.join(skill).encode())
    assert check_workspace(ws, temp_home) == 2


def test_dreamed_updates_touch_only_cited_lines_and_undo(tmp_path: Path, temp_home: Path) -> None:
    """The updates a real dream proposes (the demo workspace: a stale command, a gone file, a contradicted rule)."""
    from reverie.dreamer.dream import run_dream
    from reverie.dreamer.scenarios import build_demo_workspace, demo_transcripts_dir

    ws = build_demo_workspace(tmp_path / "demo")
    store = Store.open(ws, create=True)
    try:
        store.init()
        run_dream(store, transcripts=[demo_transcripts_dir(ws)], options={"home": False})
        updates = [p for p in store.proposals() if p.action == "update"]
        assert len(updates) >= 2 and all(p.edits for p in updates), "hand-written files change only by line edits"
        for p in updates:
            cited = {e.line + i for e in p.edits for i in range(len(e.old))}
            assert touched_lines(p.before, p.after) <= cited, p.title
            assert all(e.evidence or "no longer has" in e.reason for e in p.edits), "every changed line has evidence"
        before = world(ws, temp_home)
        store.approve([p.id for p in updates])
        assert sorted(store.apply().applied) == sorted(p.id for p in updates)
        store.undo()
        assert world(ws, temp_home) == before
    finally:
        store.close()
