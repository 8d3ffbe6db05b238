"""A lesson is a short statement the engine writes; the person's words stay in the evidence.

Each case is a structural class (a symptom, a rule request, a rhetorical correction, a
reason clause, a way of working asked for in several sessions), written in this file's own
wording — none of it is a real session's phrasing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reverie.dreamer.consolidate import consolidate
from reverie.dreamer.invariants import enforce
from reverie.dreamer.ledger import Ledger
from reverie.dreamer.methods import method_of
from reverie.dreamer.signals import extract
from reverie.dreamer.statements import lesson_problem
from reverie.dreamer.turns import classify_turn
from reverie.dreamer.wording import base_verb
from reverie.store.models import Evidence, Proposal
from tests.dream.helpers import Session


@pytest.mark.parametrize(
    "text,after,kind",
    [
        ("Looks like the sidebar is now broken. I can't see any icons anymore.", "edit", "bug_report"),
        ("the dropdown still seems to be off by a few pixels", "edit", "bug_report"),
        ("I have the impression the import got slower since yesterday", "start", "bug_report"),
        ("<deploy-watch-event>Build 42 failed. Run `make logs` to see why.</deploy-watch-event>", "error", "meta"),
        ('{"task_id": "b12", "description": "Build the docs"}', "command", "meta"),
        ("why aren't we using snapshot tests for these renderers?", "edit", "correction"),
        ("why do you keep running black on the vendored code?", "command", "correction"),
        ("Please write a guideline saying that it is forbidden to log request bodies.", "start", "convention"),
    ],
)
def test_turn_kinds_by_structure(text: str, after: str, kind: str) -> None:
    assert classify_turn(text, after).kind == kind, classify_turn(text, after)


def _lines(*turns: tuple[str, str]) -> list[str]:
    """Lines read from a session where each person's turn follows an agent action ('bash', 'edit', 'say')."""
    s = Session()
    s.user("tidy the billing module")
    for action, text in turns:
        if action == "bash":
            s.bash("black src/billing", "reformatted 3 files")
        elif action == "edit":
            s.edit("src/billing/invoice.py")
        elif action == "say":
            s.say("Done.")
        s.user(text)
    return [st.line for st in extract(s.events).statements if st.trust == "user"]


@pytest.mark.parametrize(
    "action,text,line",
    [
        ("bash", "why are you still formatting with black?", "Do not format with black."),
        ("bash", "why do you keep running black on the vendored code?", "Do not run black on the vendored code."),
        ("edit", "why aren't we using snapshot tests for these renderers?", "Use snapshot tests for renderers."),
        (
            "bash",
            "ok and never squash the migration files since the deploy tool replays them by name",
            "Never squash the migration files: the deploy tool replays them by name.",
        ),
        (
            "edit",
            "sure, and always pin the base image tag as the nightly one moves under us",
            "Always pin the base image tag: the nightly one moves under us.",
        ),
    ],
)
def test_corrections_are_rewritten_as_rules(action: str, text: str, line: str) -> None:
    assert line in _lines((action, text))


@pytest.mark.parametrize(
    "action,text",
    [
        ("edit", "why don't we have a cache layer in front of it instead?"),  # a design idea for this change
        ("edit", "Seems like the totals are broken now. I don't get a grand total anymore."),
        ("say", "I want to keep the old importer documented, but I want people to use the CLI and not the flags."),
        ("edit", "They don't look that bad, leave them."),
    ],
)
def test_symptoms_accounts_and_design_ideas_give_no_lesson(action: str, text: str) -> None:
    assert _lines((action, text)) == []


def test_a_requested_rule_is_the_rule_not_the_request(tmp_path: Path) -> None:
    s = Session()
    s.user(
        "Our handlers leak data into the logs. I'd like to add rules that say it is not allowed to log full "
        "request bodies, only the route and the status code."
    )
    sig = extract(s.events)
    [st] = sig.statements
    assert st.line == "Do not log full request bodies, only the route and the status code."
    assert st.basis == "rule_request" and st.general
    [p] = consolidate([sig], [], tmp_path)
    assert p.kind == "rule" and p.body == st.line
    assert "I'd like" not in p.body and "I'd like" in p.evidence[0].quote


@pytest.mark.parametrize(
    "line,problem",
    [
        ("I want to keep that page, but people should move to the new flags.", "account"),
        ("I don't see the banner anymore.", "account"),
        ("The banner seems to be gone after the last change.", "symptom"),
        ("Can you check why the banner is gone?", "question"),
        ("Fix the flaky export test from https://git.example.com/acme/app/issues/418.", "one issue"),
        ("They don't look that bad.", "remark"),
        ("Never squash the migration files: the deploy tool replays them by name.", ""),
        ("Internal refactors are never release-note items, only user-visible changes are.", ""),
        ("Hands off the generated client, regenerate it instead.", ""),
    ],
)
def test_what_a_lesson_line_is_not(line: str, problem: str) -> None:
    assert (problem in lesson_problem(line)) if problem else lesson_problem(line) == ""


@pytest.mark.parametrize(
    "word,base",
    [("using", "use"), ("running", "run"), ("executing", "execute"), ("editing", "edit"), ("storing", "store")],
)
def test_base_verb(word: str, base: str) -> None:
    assert base_verb(word) == base


@pytest.mark.parametrize(
    "sentence,means",
    [
        ("now run the plain language skill over it", "skill:plain language"),
        ("ask Orion to do this investigation instead", "orion"),
        ("audit the auth flow with Orion.", "orion"),
        ("research it using atlas as a subagent", "atlas"),
        ("review it on GitHub", None),  # a platform, not a helper
        ("investigate with Docker running", None),
        ("Orion should review it", None),  # the first word of a sentence is not read as a name
        ("can you ask Orion to review it?", None),  # a question
    ],
)
def test_the_means_a_sentence_names(sentence: str, means: str | None) -> None:
    got = method_of(sentence)
    assert (got.means if got else None) == means


def _method_sessions(second_after_work: bool) -> list:
    a = Session("m1", day=1)
    a.user("audit the auth flow with Orion.")
    b = Session("m2", day=4)
    b.user("look into why the cache misses")
    if second_after_work:
        b.bash("grep -rn cache src/", "src/cache.py: ...")
    b.user("ask Orion to do this investigation instead")
    return [extract(a.events), extract(b.events)]


def test_a_way_of_working_asked_for_in_two_sessions_is_an_instinct(tmp_path: Path) -> None:
    [p] = consolidate(_method_sessions(second_after_work=True), [], tmp_path)
    assert p.kind == "instinct" and p.body == "Hand audits and investigations to Orion."
    assert {e.session_id for e in p.evidence} == {"m1", "m2"}


def test_a_way_of_working_only_ever_asked_up_front_is_a_task_step(tmp_path: Path) -> None:
    ledger = Ledger()
    assert consolidate(_method_sessions(second_after_work=False), [], tmp_path, ledger=ledger) == []
    reasons = {e.reason for e in ledger.entries.values()}
    assert any("never right after the agent worked without it" in r for r in reasons), reasons


def test_a_way_of_working_from_one_session_is_not_a_lesson(tmp_path: Path) -> None:
    s = Session()
    s.user("draft the release notes")
    s.edit("NOTES.md")
    s.user("now run the plain language skill over it")
    s.say("Done.")
    s.user("and use the plain-language skill on the summary too")
    assert consolidate([extract(s.events)], [], tmp_path) == []


def test_every_engine_gets_the_same_gate_on_lesson_bodies(tmp_path: Path) -> None:
    """An LLM memory that is a symptom, the speaker's account or a person's whole turn is dropped."""
    turn = "The export is slow. Make it stream the rows."
    ev = Evidence(session_id="s1", event_uuid="u1", timestamp="2026-02-03T10:00:00Z", trust="user", quote=turn)

    def memory(body: str) -> Proposal:
        return Proposal(id="", action="add", kind="memory", scope="project", title=body[:20], body=body, evidence=[ev])

    good = memory("Stream large exports row by row.")
    bad = [memory("I don't see the export button anymore."), memory("I want the export to be faster."), memory(turn)]
    ledger = Ledger()
    kept = enforce([good, *bad], [], tmp_path, lambda s, u: (s, u) == ("s1", "u1"), ledger)
    assert kept == [good]
    assert len([e for e in ledger.entries.values() if "broke an invariant" in e.reason]) == 3


def test_a_conditional_rule_is_not_a_question() -> None:
    assert lesson_problem("When `make deploy` fails (no credentials), run `make login` first.", strict=False) == ""
    assert lesson_problem("When the build fails, rerun it with `--verbose`.") == ""
