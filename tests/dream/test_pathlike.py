"""What counts as a gone path: the only evidence for removing a hand-written line that names a file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from reverie.dreamer.pathlike import RepoPaths, path_tokens


@pytest.fixture
def repo(tmp_path: Path) -> RepoPaths:
    for rel in ("src/app.ts", "docs/guide.md", "README.md", "pkg/cli/root.go", ".gitignore"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    (tmp_path / ".gitignore").write_text("secrets.env\n")
    return RepoPaths(tmp_path)


@pytest.mark.parametrize(
    "line",
    [
        "Prefer `null/undefined` checks over truthiness.",
        "The default branch is main/master depending on age.",
        "Follow the Open/closed principle.",
        "Fix lint/CI before asking for review.",
        "Tasks move todo/in-progress/done.",
        "Commands use github.com/spf13/cobra.",
        "Import from @acme/ui/button.",
        "Pages 1/2 and 3/4 are drafts.",
        "See https://example.com/docs/setup.md for more.",
        "Branch off feat/phase-12-multi-factor.",
        "Write the plan to `.planning/phases/{phase}/PLAN.md`.",
        "Your config lives in ~/.claude/settings.json.",
        "Build output goes to dist/app.js.",
        "Create a CHANGELOG-next.md when you cut a release.",
        "Put secrets in secrets.env (never commit it).",
        "Read README.md first.",
        "Everything under src/app.ts is typed.",
        "The guide is docs/guide.md.",
        "Python 3.11 and node 20.1 are required.",
        "Deployment settings live in deploy/heroku.yml.",  # no history says it ever was here
        "See OLDNOTES.md for history.",  # a bare name could be anywhere, or generic
        "If CONTEXT.md exists, read src/context.ts first.",
        "Read each PLAN.md in the phase folder.",
        "Use `./scripts/put-translation.js` to update one entry.",  # no scripts/ here: the tree may be elsewhere
        "Good: `src/app/api/auth/login/route.ts`, bad: 'the login route'.",
    ],
)
def test_not_evidence_of_a_gone_file(repo: RepoPaths, line: str) -> None:
    assert repo.gone_in(line) == []


@pytest.mark.parametrize(
    "line, gone",
    [
        ("Edit `src/legacy.ts` for the old API.", ["src/legacy.ts"]),
        ("The schema is in ./src/schema.sql", ["./src/schema.sql"]),
    ],
)
def test_gone_files_are_found(repo: RepoPaths, line: str, gone: list[str]) -> None:
    assert repo.gone_in(line) == gone


def test_paths_relative_to_the_artifact_folder(repo: RepoPaths, tmp_path: Path) -> None:
    skill = tmp_path / ".claude/skills/x"
    (skill / "references").mkdir(parents=True)
    (skill / "references/api.md").write_text("x")
    assert repo.gone_in("Details in references/api.md.", base=skill) == []


def test_a_name_from_git_history_is_a_path(tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "release").write_text("x")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "heroku.yml").write_text("x")
    (tmp_path / "OLDNOTES.md").write_text("x")
    git = ["git", "-C", str(tmp_path), "-c", "user.email=a@b", "-c", "user.name=a"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    for rel in ("tools/release", "deploy/heroku.yml", "OLDNOTES.md"):
        (tmp_path / rel).unlink()
    repo = RepoPaths(tmp_path)
    assert repo.gone_in("Run tools/release to ship.") == ["tools/release"], "no extension, but git knew it"
    assert repo.gone_in("Deployment settings live in deploy/heroku.yml.") == ["deploy/heroku.yml"]
    assert repo.gone_in("See OLDNOTES.md for history.") == ["OLDNOTES.md"]
    assert repo.gone_in("Use lint/CI first.") == []


def test_tokens_keep_backticked_spans_whole() -> None:
    assert path_tokens("Run `make test` then edit `src/a.ts`, see docs/b.md.") == ["src/a.ts", "docs/b.md"]


@pytest.mark.parametrize(
    "line, keep",
    [
        # a gone path next to one that exists: the line still says something true
        ("3. Regenerate `docs/guide.md` and `docs/api-reference.md` after a change", "which exists"),
        # the gone file's name lives elsewhere in the tree: it may have moved, a person decides
        ("- The CLI entry point is `docs/app.ts`", "may have moved"),
        # a command on the line is live content
        ("- Run `make docs` to refresh `src/legacy.ts`", "also names `make docs`"),
        # a rule that only mentions where: more than the path
        (
            "- Handlers in src/legacy.ts validate their input, log the caller and return typed errors to clients",
            "other words",
        ),
    ],
)
def test_a_line_with_live_content_is_never_removed(repo: RepoPaths, line: str, keep: str) -> None:
    """A gone path is evidence for removing a line only when the line is about that path and nothing else."""
    removal = repo.removal(line)
    assert removal.gone and not removal.removable
    assert keep in removal.keep


def test_a_line_about_a_gone_file_may_go(repo: RepoPaths) -> None:
    removal = repo.removal("- See `src/legacy.ts` for the old API.")
    assert removal.gone == ["src/legacy.ts"] and removal.removable
    assert not repo.removal("- See the guide first.").gone
