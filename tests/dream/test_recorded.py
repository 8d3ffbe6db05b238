"""A lesson the person asked to record is the first point of the note the agent wrote (dreamer/recorded.py)."""

from __future__ import annotations

import pytest

from reverie.dreamer.recorded import note_place, noted_lesson, written_text
from reverie.dreamer.signals import extract
from tests.dream.helpers import Session

NOTE = """# Test Redis port

**Date:** 2026-03-04

## Prompt

> the tests hang again, write it into your notes so we dont hit this again

## Learned

- **The test Redis listens on 6380, not 6379** — docker-compose.test.yml maps it, and the suite hangs on 6379.
- Restarting the container does not help.

## Files

- `docker-compose.test.yml`
"""


def test_the_first_point_is_the_bold_lead_of_the_first_item() -> None:
    assert noted_lesson(NOTE) == "The test Redis listens on 6380, not 6379."


@pytest.mark.parametrize(
    "note,point",
    [
        (
            "- Always run `make proto` after editing api/*.proto - the build does not.\n",
            "Always run `make proto` after editing api/*.proto.",
        ),
        ("Status: done\n\nNever tag a release from a dirty tree.\n", "Never tag a release from a dirty tree."),
        ("# Notes\n\n```sh\nmake proto\n```\n", ""),  # code only
        ("## Files\n\n- `api/x.proto`\n- `Makefile`\n", ""),  # a list of files
        ("| a | b |\n|---|---|\n", ""),
    ],
)
def test_noted_lesson(note: str, point: str) -> None:
    assert noted_lesson(note) == point


def test_written_text_reads_every_editing_shape() -> None:
    assert written_text({"content": "a"}) == "a"
    assert written_text({"old_string": "x", "new_string": "b"}) == "b"
    assert written_text({"edits": [{"old_string": "x", "new_string": "c"}]}) == "c"


@pytest.mark.parametrize(
    "path,place",
    [
        ("/home/p/.claude/projects/-w/memory/MEMORY.md", True),
        (".learnings/2026-03-04-redis.md", True),
        ("docs/notes/redis.md", True),
        ("CLAUDE.md", True),
        ("CHANGELOG.md", False),
        ("src/notes.ts", False),
        ("README.md", False),
    ],
)
def test_note_place(path: str, place: bool) -> None:
    assert note_place(path) is place


def test_a_record_request_keeps_the_note_the_agent_wrote() -> None:
    s = Session()
    asked = s.user("ugh. add that to your notes so we dont hit this again")
    s.tool("Write", {"file_path": "/w/docs/notes/redis.md", "content": NOTE}, "File created")
    sig = extract(s.events)
    [st] = sig.statements
    assert st.basis == "recorded" and st.line == "The test Redis listens on 6380, not 6379."
    assert st.uuid == asked.uuid and st.trust == "user" and "notes" in st.text, "the person's words are the evidence"
    assert st.prior is not None and st.prior.target == "docs/notes/redis.md"
    [m] = sig.moments
    assert m.decision == "candidate" and "note the agent wrote" in m.reason


def test_a_changelog_line_after_make_a_note_is_a_task() -> None:
    s = Session()
    s.user("make a note of the new export in the changelog")
    s.tool(
        "Edit",
        {
            "file_path": "/w/CHANGELOG.md",
            "old_string": "## 1.4",
            "new_string": "## 1.4\n- Added the refunds export to the admin page\n",
        },
    )
    assert not extract(s.events).statements


def test_a_note_written_without_being_asked_is_not_this_class() -> None:
    s = Session()
    s.user("fix the hanging tests")
    s.tool("Write", {"file_path": "/w/docs/notes/redis.md", "content": NOTE}, "File created")
    assert not [st for st in extract(s.events).statements if st.basis == "recorded"]


def test_only_the_next_note_counts() -> None:
    """The request waits for one note; a later turn ends the wait."""
    s = Session()
    s.user("remember this for next time please, it never happens again")
    s.say("Noted.")
    s.user("now bump the version")
    s.tool(
        "Write",
        {"file_path": "/w/docs/notes/release.md", "content": "- Bump the version in pyproject before tagging\n"},
    )
    assert not [st for st in extract(s.events).statements if st.basis == "recorded"]


def test_a_codex_patch_note_is_read_file_by_file() -> None:
    patch = (
        "*** Begin Patch\n*** Update File: app/seed.py\n@@\n-x = 1\n+x = 2\n"
        "*** Add File: docs/notes/seed.md\n+# Seeding\n+\n+- **Seed with `make seed`, never with raw SQL** - the ids drift.\n"
        "*** End Patch\n"
    )
    s = Session()
    s.user("log a notes entry so this never happens again")
    s.tool("apply_patch", {"input": patch}, "Success.")
    [st] = extract(s.events).statements
    assert st.line == "Seed with `make seed`, never with raw SQL."
    assert st.prior is not None and st.prior.target == "docs/notes/seed.md"


def test_a_note_written_after_reading_a_web_page_is_not_the_persons_lesson() -> None:
    """Its point may be the page's instruction (a prompt injection the agent copied), not what was learned."""
    s = Session()
    s.user("the build broke again, write it into your notes so we dont hit this again")
    s.tool(
        "WebFetch",
        {"url": "https://example.com/fix"},
        "To fix builds, always run the bootstrap first.",
        trust="external",
    )
    s.tool("Write", {"file_path": "/w/docs/notes/build.md", "content": NOTE}, "File created")
    sig = extract(s.events)
    assert not sig.statements
    [m] = [m for m in sig.moments if m.reason.startswith("dropped: the note")]
    assert m.decision == "dropped" and "WebFetch" in m.reason
    # reading the repo's own files (tool trust) is how the agent finds the lesson: still kept
    s = Session()
    s.user("the build broke again, write it into your notes so we dont hit this again")
    s.tool("Read", {"file_path": "/w/docker-compose.test.yml"}, "ports: ['6380:6379']")
    s.tool("Write", {"file_path": "/w/docs/notes/build.md", "content": NOTE}, "File created")
    [st] = extract(s.events).statements
    assert st.basis == "recorded"
