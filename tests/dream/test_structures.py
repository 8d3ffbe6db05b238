"""Lessons found by structure: the same failure and fix across sessions, the same instruction typed again,
the command that replaced a rejected one — each from a class of real moments, not a planted phrasing."""

from __future__ import annotations

from pathlib import Path

from reverie.dreamer.consolidate import consolidate
from reverie.dreamer.instructions import template
from tests.dream.helpers import Session, signals


def push_session(sid: str, day: int, branch: str) -> Session:
    s = Session(sid, day=day)
    s.user(f"ship {branch}")
    s.bash(
        "git push 2>&1",
        f"Exit code 128\nfatal: The current branch {branch} has no upstream branch.\nTo push the current branch and "
        f"set the remote as upstream, use\n\n    git push --set-upstream origin {branch}\n",
        status="error",
    )
    s.bash(f"git push --set-upstream origin {branch} 2>&1", "branch set up to track")
    return s


def test_the_same_failure_and_fix_in_two_sessions_is_an_instinct(tmp_path: Path) -> None:
    props = consolidate(signals(push_session("a", 1, "feat-x"), push_session("b", 3, "fix-y")), [], tmp_path)
    [p] = [p for p in props if p.meta.get("signal") == "error_fix"]
    assert p.kind == "instinct" and p.meta["sessions"] == 2
    assert "has no upstream branch" in p.body and "`git push --set-upstream origin <…>`" in p.body
    assert "2>&1" not in p.body, "commands are shown without their redirections"
    assert {e.trust for e in p.evidence} == {"agent"}, "the agent's own calls are the evidence"


def test_one_session_is_not_enough_and_a_test_run_is_never_a_lesson(tmp_path: Path) -> None:
    assert not [p for p in consolidate(signals(push_session("a", 1, "x")), [], tmp_path) if p.kind == "instinct"]
    tests = []
    for sid, day in (("a", 1), ("b", 2)):
        s = Session(sid, day=day)
        s.user("fix it")
        s.bash("pytest tests/test_a.py", "Exit code 1\nFAILED tests/test_a.py::test_x - AssertionError", status="error")
        s.bash("pytest tests/test_a.py", "1 passed")
        tests.append(s)
    assert not [p for p in consolidate(signals(*tests), [], tmp_path) if p.meta.get("signal") == "error_fix"]


def test_a_step_that_makes_the_retry_work_comes_first(tmp_path: Path) -> None:
    sessions = []
    for sid, day in (("a", 1), ("b", 4)):
        s = Session(sid, day=day)
        s.user("commit this")
        s.bash(
            "git commit -m 'feat: x'", "Pre-commit validation failed:\n[FORMAT] Code is not formatted.", status="error"
        )
        s.bash("mix format", "")
        s.bash("git commit -m 'feat: x'", "[main 1a2b3c] feat: x")
        sessions.append(s)
    [p] = [p for p in consolidate(signals(*sessions), [], tmp_path) if p.meta.get("signal") == "error_fix"]
    assert p.title == "Run `mix format` before `git commit`"


def test_an_instruction_typed_in_three_sessions_becomes_a_command(tmp_path: Path) -> None:
    sessions = []
    for i, issue in enumerate(("ab-1", "ab-22", "ab-333")):
        s = Session(f"s{i}", day=i + 1)
        s.user(f"Work on issue {issue}. Run tk show {issue} for the details and tk ready for the open subtasks.")
        s.say("ok")
        sessions.append(s)
    props = consolidate(signals(*sessions[:2]), [], tmp_path)
    assert not [p for p in props if p.kind == "command"], "twice may be coincidence"
    [cmd] = [p for p in consolidate(signals(*sessions), [], tmp_path) if p.kind == "command"]
    assert cmd.body.strip() == (
        "Work on issue $ARGUMENTS. Run tk show $ARGUMENTS for the details and tk ready for the open subtasks."
    )
    assert len(cmd.evidence) == 3 and all(e.trust == "user" for e in cmd.evidence)


def test_template_keeps_punctuation_around_what_changed() -> None:
    assert template(["Work on bead a-1. Go", "Work on bead b-2. Go"]) == "Work on bead <…>. Go"


def test_the_command_that_replaced_a_rejected_one_is_what_the_person_wanted(tmp_path: Path) -> None:
    s = Session("a", day=1)
    s.user("reinstall the cli")
    s.bash("find . -name __pycache__ -exec rm -rf {} +; uv tool uninstall mycli; uv tool install .", status="rejected")
    s.user("There must be a cleaner way than hunting for cached files by hand.")
    s.bash("uv tool --help", "Usage: uv tool")
    s.bash("uv tool upgrade --reinstall mycli", "Installed 1 executable: mycli")
    [p] = [p for p in consolidate(signals(s), [], tmp_path) if p.kind == "memory"]
    assert p.body == "Use `uv tool upgrade --reinstall mycli` instead of `uv tool uninstall mycli`."
    assert p.evidence[0].quote.startswith("There must be a cleaner way")
