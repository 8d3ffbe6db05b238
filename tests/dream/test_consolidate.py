"""Consolidation over hand-built sessions: thresholds, clustering of paraphrases, updates."""

from __future__ import annotations

from pathlib import Path

from reverie.dreamer.consolidate import consolidate
from reverie.store.models import Artifact
from tests.dream.helpers import OLD, Session, claude_md, signals


def paraphrased() -> list[Session]:
    a = Session("a", day=1)
    a.user("add left-pad")
    a.bash("npm install left-pad", "ok")
    a.user("stop using npm, this project is on yarn")
    a.bash("yarn add left-pad", "ok")
    b = Session("b", day=3)
    b.user("build it")
    b.bash("npm run build", status="rejected")
    b.user("yarn please — not npm")
    b.bash("yarn run build", "ok")
    c = Session("c", day=5)
    c.user("add zod")
    c.bash("npm i zod", "ok")
    c.user("I told you: yarn, never npm.")
    c.bash("yarn add zod", "ok")
    return [a, b, c]


def test_paraphrased_corrections_cluster_into_one_durable_lesson(tmp_path: Path) -> None:
    props = consolidate(signals(*paraphrased()), [], tmp_path)
    [p] = [p for p in props if "npm" in p.body.lower()]
    assert p.kind in ("rule", "instinct") and p.scope == "project"
    assert {e.session_id for e in p.evidence} == {"a", "b", "c"}
    assert p.meta["sessions"] == 3


def test_one_session_gives_at_most_a_memory(tmp_path: Path) -> None:
    [a, *_] = paraphrased()
    props = consolidate(signals(a), [], tmp_path)
    assert [p.kind for p in props] == ["memory"]


def test_hands_off_folder_violated_later_gives_path_rule_and_hook(tmp_path: Path) -> None:
    d = Session("d", day=6)
    d.user("Fix the header")
    d.edit("src/gen/api.ts")
    d.user("Hands off src/gen/, that folder is generated from the OpenAPI spec.")
    e = Session("e", day=8)
    e.user("Add a field to the API")
    e.edit("src/gen/api.ts")
    e.user("ugh, you changed src/gen/api.ts again. leave src/gen alone and run `yarn codegen`.")
    props = consolidate(signals(d, e), [], tmp_path)
    rule = next(p for p in props if p.kind == "rule")
    hook = next(p for p in props if p.kind == "hook")
    assert rule.scope == "path" and rule.paths == ["src/gen/**"]
    assert hook.meta["event"] == "PreToolUse" and len(hook.meta["replay"]["violations"]) == 2


def test_no_hook_without_a_violation_after_the_rule(tmp_path: Path) -> None:
    d = Session("d", day=6)
    d.user("Fix the header")
    d.edit("src/gen/api.ts")
    d.user("Never edit src/gen/ by hand, it is generated.")
    e = Session("e", day=8)
    e.user("Fix the footer")
    e.edit("src/gen/api.ts")
    e.user("Never edit src/gen/ by hand, it is generated.")
    e2 = Session("f", day=9)
    e2.user("tidy up")
    e2.edit("src/app.ts")
    props = consolidate(signals(d, e, e2), [], tmp_path)
    assert any(p.kind == "hook" for p in props), "session e edited src/gen after session d said never"
    only_d = consolidate(signals(d), [], tmp_path)
    assert not any(p.kind == "hook" for p in only_d)


def test_stale_command_and_missing_file_update_the_document(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "conf").mkdir()  # the folder is here, conf/app.yml is not
    text = "# Notes\n\n- Run `make test` before committing.\n- Config is in conf/app.yml.\n- Code in src/.\n"
    art = claude_md(tmp_path, text, mtime=OLD)  # older than the sessions
    s1, s2 = Session("s1", day=1), Session("s2", day=2)
    for s in (s1, s2):
        s.user("run the tests")
        s.bash("make test", "make: *** No rule to make target 'test'", status="error")
        s.bash("uv run pytest", "3 passed")
    [p] = consolidate(signals(s1, s2), [art], tmp_path)
    assert p.action == "update" and p.replaces == ["a-doc"] and p.meta["layout"] == "document"
    assert "`uv run pytest`" in p.body and "`make test`" not in p.body
    assert "conf/app.yml" not in p.body and "Code in src/." in p.body
    assert [(e.line, e.old, e.new) for e in p.edits] == [
        (3, ["- Run `make test` before committing."], ["- Run `uv run pytest` before committing."]),
        (4, ["- Config is in conf/app.yml."], []),
    ]
    assert p.edits[0].evidence[0].session_id == "s2", "the newest failure is the evidence"
    assert {l.label for l in p.labels} == {"stale_authority"}


def test_a_line_newer_than_the_failure_is_kept(tmp_path: Path) -> None:
    """The file was written after the command failed: the line may already be the fix."""
    text = "- Run `make test` before committing.\n"
    art = claude_md(tmp_path, text, name="c")  # mtime: now, newer than the sessions of March 2026
    s1, s2 = Session("s1", day=1), Session("s2", day=2)
    for s in (s1, s2):
        s.bash("make test", "make: *** No rule to make target 'test'", status="error")
        s.bash("uv run pytest", "3 passed")
    assert not [p for p in consolidate(signals(s1, s2), [art], tmp_path) if p.action == "update"]


def test_duplicate_of_existing_artifact_gives_nothing(tmp_path: Path) -> None:
    art = Artifact(
        id="a-1", kind="instinct", scope="project", name="pm", body="Stop using npm, this project is on yarn."
    )
    props = consolidate(signals(*paraphrased()), [art], tmp_path)
    assert not [p for p in props if p.action == "add" and "npm" in p.body.lower()]


def test_newer_contradicting_lesson_wins(tmp_path: Path) -> None:
    old1, old2 = Session("o1", day=1), Session("o2", day=2)
    for s in (old1, old2):
        s.user("install deps")
        s.bash("yarn install", "ok")
        s.user("We use npm in this repo, not yarn.")
    new1, new2 = Session("n1", day=10), Session("n2", day=11)
    for s in (new1, new2):
        s.user("install deps")
        s.bash("npm install", "ok")
        s.user("We use yarn in this repo now, not npm.")
    props = consolidate(signals(old1, old2, new1, new2), [], tmp_path)
    lessons = [p for p in props if p.meta.get("signal") == "statement"]
    assert len(lessons) == 1 and "not npm" in lessons[0].body
    assert any(l.label == "contradiction_drift" for l in lessons[0].labels)


def test_a_terse_tool_swap_edits_only_the_tool_in_the_line(tmp_path: Path) -> None:
    """ "biome" after `npx prettier …`, twice: the CLAUDE.md line keeps its words, the tool changes."""
    text = "# Notes\n\n- Format with prettier: `npx prettier --write web/src`.\n- Keep it small.\n"
    art = claude_md(tmp_path, text, name="c", mtime=OLD)
    sessions = []
    for sid, day in (("a", 2), ("b", 5)):
        s = Session(sid, day=day)
        s.user("format web/src")
        s.bash("npx prettier --write web/src", "done")
        s.user("nope, biome")
        s.bash("npx biome format --write web/src", "Formatted 3 files")
        sessions.append(s)
    [p] = [p for p in consolidate(signals(*sessions), [art], tmp_path) if p.action == "update"]
    assert [(e.line, e.new) for e in p.edits] == [(3, ["- Format with biome: `npx biome format --write web/src`."])]
    assert {l.label for l in p.labels} == {"contradiction_drift"}
