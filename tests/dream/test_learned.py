"""Environment facts learned by failing (dreamer/learned.py): said right after a failed command, they are memories."""

from __future__ import annotations

import pytest

from reverie.dreamer.learned import fact_clause, fact_line, learned_line
from reverie.dreamer.model import Call
from reverie.dreamer.signals import extract
from tests.dream.helpers import Session

FAILED = Call(
    "Bash",
    "psql -h localhost -c 'select 1'",
    "u1",
    "t1",
    True,
    "psql",
    "error",
    "psql: error: connection to server at localhost port 5432 failed",
    {"description": "Check the local database"},
)


@pytest.mark.parametrize(
    "text,clause",
    [
        (
            "ugh, postgres is not installed on this laptop, it runs on 10.4.0.12",
            "postgres is not installed on this laptop",
        ),
        ("you cant have access to the prod db from here", "you cant have access to the prod db from here"),
        ("the db is not reachable right now, try again later", None),  # a temporary state
        ("is postgres not installed?", None),  # a question
        ("try again", None),
    ],
)
def test_fact_clause(text: str, clause: str | None) -> None:
    assert fact_clause(text) == clause


def test_fact_line_speaks_of_the_agent() -> None:
    assert fact_line("but you dont have access to the vpn here") == "The agent has no access to the vpn here"


def test_learned_line_names_the_failed_attempt() -> None:
    line = learned_line("nope, postgres is not installed on this laptop", FAILED)
    assert line is not None
    assert line.startswith("Postgres is not installed on this laptop: `psql -h localhost -c 'select 1'`")
    assert "(to check the local database)" in line and "port 5432 failed" in line


def test_a_fact_after_a_failed_command_is_a_memory_candidate() -> None:
    s = Session()
    s.user("check the orders table")
    s.bash("psql -h localhost -c 'select count(*) from orders'", "psql: error: connection refused", status="error")
    said = s.user("hmm did we not cover this, postgres is not installed on this laptop")
    sig = extract(s.events)
    [st] = sig.statements
    assert st.basis == "learned_by_failing" and st.general and st.uuid == said.uuid
    assert st.prior is not None and st.prior.status == "error"


def test_the_same_fact_when_nothing_failed_is_not_this_class() -> None:
    s = Session()
    s.user("check the orders table")
    s.bash("psql -h db.internal -c 'select 1'", "1")
    s.user("fyi postgres is not installed on this laptop")
    assert not [st for st in extract(s.events).statements if st.basis == "learned_by_failing"]


def test_a_failure_before_the_last_turn_does_not_count() -> None:
    s = Session()
    s.bash("psql -c 'select 1'", "psql: error: connection refused", status="error")
    s.user("ok leave it")
    s.say("Sure.")
    s.user("postgres is not installed on this laptop")
    assert not [st for st in extract(s.events).statements if st.basis == "learned_by_failing"]
