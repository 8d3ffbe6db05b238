"""Undo, redo and restore are byte-exact and never write a file whose bytes need not change.

The issue-10 scenario as a test, then a property test over random operation
sequences in workspaces whose files come in many styles (compact and indented
JSON, CRLF, no final newline, a BOM, tabs).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reverie.store.core import Store
from reverie.store.errors import NothingToDoError, UsageError
from reverie.store.models import Proposal
from tests.store.conftest import P
from tests.store.conftest import sandbox as store_sandbox

ISSUE_SETTINGS = b'{\n  "permissions": {"allow": ["Bash(pnpm test:*)"]}\n}\n'


def files(*roots: Path) -> dict[str, bytes]:
    """Every file under the roots (minus Reverie's state dir) → its bytes."""
    out = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d != ".reverie"]
            for name in filenames:
                p = Path(dirpath) / name
                out[str(p)] = p.read_bytes()
    return out


def stats(*roots: Path) -> dict[str, tuple[int, int]]:
    """Every file → (inode, mtime_ns): a rewrite with the same bytes still changes them."""
    out = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d != ".reverie"]
            for name in filenames:
                st_ = (Path(dirpath) / name).stat()
                out[str(Path(dirpath) / name)] = (st_.st_ino, st_.st_mtime_ns)
    return out


def test_issue_scenario_restore_to_init_gives_back_identical_bytes(workspace: Path, temp_home: Path) -> None:
    settings_json = workspace / ".claude" / "settings.json"
    settings_json.parent.mkdir()
    settings_json.write_bytes(ISSUE_SETTINGS)
    before = files(workspace, temp_home)
    settings_stat = settings_json.stat()
    s = Store.open(workspace, create=True)
    s.init()
    first = s.log()[-1]
    assert (first.kind, first.description) == ("init", "create store")
    s.open_candidate(
        [P("No prints", "Never leave print() in code.", kind="rule"), P("db", kind="memory", scope="project")]
    )
    s.approve([p.id for p in s.proposals()])
    s.apply()
    s.undo()
    s.redo()
    s.restore(first.id)
    assert files(workspace, temp_home) == before
    assert settings_json.read_bytes() == ISSUE_SETTINGS
    after = settings_json.stat()
    assert (after.st_ino, after.st_mtime_ns) == (settings_stat.st_ino, settings_stat.st_mtime_ns)  # never written
    s.close()


# --- the property test --------------------------------------------------------------------

CLAUDE_STYLES = [
    None,
    b"# Project\n\nHand text.\n",
    b"# Project\r\n\r\nHand text with CRLF.\r\n",
    b"# Project\n\nno final newline",
    b"\xef\xbb\xbf# With a BOM\n",
    b"\tTabbed\n\t\tdeeper\n",
    b"",
]
SETTINGS_STYLES = [
    None,
    ISSUE_SETTINGS,
    b'{"permissions":{"allow":["Bash(ls)"]}}',
    b'{\n    "model": "opus",\n    "env": {\n        "A": "1"\n    }\n}',
    b'{\n\t"model": "opus"\n}\n',
    b'{\r\n  "model": "opus"\r\n}\r\n',
    b'\xef\xbb\xbf{\n  "model": "opus"\n}\n',
    b"{}",
    b'{"hooks": {"PreToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "fmt.sh"}]}]}}\n',
]
TEMPLATES = [
    dict(kind="instinct", scope="team"),
    dict(kind="instinct", scope="project"),
    dict(kind="instinct", scope="global"),
    dict(kind="rule", scope="path", paths=["src/**"]),
    dict(kind="rule", scope="team"),
    dict(kind="hook", scope="team", meta={"matcher": "Bash"}),
    dict(kind="hook", scope="project", meta={"event": "Stop"}),
    dict(kind="memory", scope="project"),
    dict(kind="command", scope="team"),
]
TITLES = ["Run tests", "Use ruff", "Small commits"]

proposed = st.lists(st.tuples(st.integers(0, len(TEMPLATES) - 1), st.integers(0, 2)), min_size=1, max_size=3)
step = st.one_of(
    st.tuples(st.just("propose"), proposed),
    st.tuples(st.just("propose, approve all, apply"), proposed),
    st.tuples(st.just("update, approve all, apply"), st.integers(0, 30)),
    st.tuples(st.just("update"), st.integers(0, 30)),
    st.tuples(st.just("approve"), st.integers(0, 20)),
    st.tuples(st.just("approve all"), st.just(0)),
    st.tuples(st.just("reject"), st.integers(0, 20)),
    st.tuples(st.just("apply"), st.just(0)),
    st.tuples(st.just("apply"), st.just(0)),
    st.tuples(st.just("undo"), st.just(0)),
    st.tuples(st.just("redo"), st.just(0)),
    st.tuples(st.just("restore"), st.integers(0, 40)),
    st.tuples(st.just("discard"), st.just(0)),
)


def sandbox(claude: bytes | None, team: bytes | None, local: bytes | None) -> contextlib.AbstractContextManager:
    """A workspace with CLAUDE.md and both settings files in the given styles, plus untouched bystanders."""
    return store_sandbox(
        {
            "~/.claude/CLAUDE.md": b"# Global notes\r\n",
            ".claude/rules/style.md": b"Be consistent.",
            "notes.txt": b"not an agent file\n",
            "CLAUDE.md": claude,
            ".claude/settings.json": team,
            ".claude/settings.local.json": local,
        }
    )


def _run(s: Store, name: str, arg: object) -> None:
    """One random operation (NothingToDo/Usage errors are fine: the step is skipped)."""
    if name == "propose":
        assert isinstance(arg, list)
        s.open_candidate(
            [Proposal(id="", action="add", title=TITLES[t], body=f"{TITLES[t]} ({i}).", **TEMPLATES[i]) for i, t in arg]
        )
    elif name == "update":
        arts = [a for a in s.active_artifacts() if a.meta.get("layout") != "document"]
        if not arts:
            raise NothingToDoError("no artifact")
        assert isinstance(arg, int)
        a = arts[arg % len(arts)]
        retire = bool(arg % 2)
        s.open_candidate(
            [
                Proposal(
                    id="",
                    action="retire" if retire else "update",
                    kind=a.kind,
                    scope=a.scope,
                    title=a.title,
                    body="" if retire else a.body + " (v2)",
                    paths=a.paths,
                    replaces=[a.id],
                    meta=dict(a.meta),
                )
            ]
        )
    elif name in ("approve", "reject"):
        props = [p for p in s.proposals() if p.status in ("pending", "approved", "rejected")]
        if not props or s.current_candidate() is None:
            raise NothingToDoError("no proposal")
        assert isinstance(arg, int)
        p = props[arg % len(props)]
        if name == "approve":
            s.approve([p.id], clear_blocks=True)
        else:
            s.reject([p.id])
    elif name == "approve all":
        pending = [p.id for p in s.proposals() if p.status == "pending"] if s.current_candidate() else []
        if not pending:
            raise NothingToDoError("nothing pending")
        s.approve(pending, clear_blocks=True)
    elif name == "apply":
        s.apply()
    elif name == "undo":
        s.undo()
    elif name == "redo":
        s.redo()
    elif name == "discard":
        s.discard()
    else:
        raise AssertionError(name)


EXAMPLES = int(os.environ.get("REVERIE_EXACT_EXAMPLES", "40"))
"""Random sequences per run; raise it for a longer soak (e.g. 1000)."""


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@example(  # found by hypothesis: a rule approved in a candidate left open, the same rule applied from a newer one
    None,
    None,
    None,
    [
        ("propose", [(0, 0), (3, 1)]),
        ("approve all", 0),
        ("propose", [(0, 0)]),
        ("discard", 0),
        ("propose, approve all, apply", [(3, 1)]),
        ("apply", 0),
    ],
)
@given(
    st.sampled_from(CLAUDE_STYLES),
    st.sampled_from(SETTINGS_STYLES),
    st.sampled_from(SETTINGS_STYLES),
    st.lists(step, min_size=1, max_size=16),
)
def test_restore_reproduces_every_file_and_writes_nothing_else(
    claude: bytes | None, team: bytes | None, local: bytes | None, steps: list[tuple[str, object]]
) -> None:
    with sandbox(claude, team, local) as (ws, home):
        s = Store.open(ws, create=True)
        s.init()
        snapshots = {op.id: files(ws, home) for op in s.log()}  # init and import write nothing
        cycles = [(part, arg) for name, arg in steps for part in name.split(", ")]  # a review cycle is three ops
        for name, arg in cycles:
            before_files, before_stats = files(ws, home), stats(ws, home)
            try:
                if name == "restore":
                    ops = s.log()
                    assert isinstance(arg, int)
                    target = ops[arg % len(ops)]
                    s.restore(target.id)
                    assert s.head().view_hash == target.view_hash, "restore must reproduce the view"
                    assert files(ws, home) == snapshots[target.id], "restore must reproduce every file's bytes"
                else:
                    _run(s, name, arg)
            except (NothingToDoError, UsageError):
                continue
            # nobody edits by hand here: the one conflict possible is two approved proposals from different
            # candidates that add the same file (the second is refused, never written over the first)
            conflicts = s.head().data.get("conflicts") or []
            assert all(c["reason"].startswith("same target already exists") for c in conflicts), s.head().data
            snapshots[s.head().id] = after_files = files(ws, home)
            after_stats = stats(ws, home)
            for path, data in before_files.items():
                if after_files.get(path) == data:
                    assert after_stats[path] == before_stats[path], f"{name} rewrote {path} with the same bytes"
        for op in [*s.log()[:2], s.log()[-1]]:  # back to the latest states and to the very first
            s.restore(op.id)
            assert files(ws, home) == snapshots[op.id]
        s.close()
