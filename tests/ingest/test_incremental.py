"""Incremental ingest: append, truncate, replace, partial lines, discovery by cwd, unreadable dirs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reverie.dreamer.ingest import ingest
from reverie.store import paths
from reverie.store.sessions import SessionIndex
from tests.ingest.fixtures import Claude, append_jsonl, codex_envelope, codex_user_turn, write_jsonl


def _session(db, sid):
    return SessionIndex(db).session(sid)


def test_append_reads_from_offset_and_unchanged_reads_nothing(db, tmp_path: Path) -> None:
    c = Claude()
    path = write_jsonl(tmp_path / "t" / f"{c.session_id}.jsonl", [c.user("one"), c.text("ok")])
    r1 = ingest(db, tmp_path, [tmp_path / "t"], home=False)
    h1 = _session(db, c.session_id)["content_hash"]
    assert r1.new_events == 2 and r1.bytes_read == path.stat().st_size
    r2 = ingest(db, tmp_path, [tmp_path / "t"], home=False)
    assert (r2.files_read, r2.bytes_read, r2.new_events, r2.events) == (0, 0, 0, 2)
    size_before = path.stat().st_size
    append_jsonl(path, [c.user("two")])
    r3 = ingest(db, tmp_path, [tmp_path / "t"], home=False)
    assert r3.bytes_read == path.stat().st_size - size_before
    assert r3.new_events == 1 and r3.events == 3
    row = _session(db, c.session_id)
    assert row["user_prompts"] == 2 and row["content_hash"] != h1
    assert [e.seq for e in SessionIndex(db).iter_events(c.session_id)] == [0, 1, 2]


def test_partial_last_line_waits_for_the_writer(db, tmp_path: Path) -> None:
    c = Claude()
    path = write_jsonl(tmp_path / "t" / f"{c.session_id}.jsonl", [c.user("one")])
    rec = json.dumps(c.user("two"))
    with open(path, "a") as fh:
        fh.write(rec[:25])
    r1 = ingest(db, tmp_path, [tmp_path / "t"], home=False)
    assert r1.events == 1 and r1.malformed_lines == 0
    with open(path, "a") as fh:
        fh.write(rec[25:] + "\n")
    r2 = ingest(db, tmp_path, [tmp_path / "t"], home=False)
    assert r2.events == 2 and r2.malformed_lines == 0


def test_truncated_file_is_read_again(db, tmp_path: Path) -> None:
    c = Claude()
    path = write_jsonl(tmp_path / "t" / f"{c.session_id}.jsonl", [c.user("one"), c.user("two"), c.user("three")])
    ingest(db, tmp_path, [tmp_path / "t"], home=False)
    c2 = Claude(c.session_id)
    with open(path, "r+") as fh:  # same inode, shorter content
        fh.truncate(0)
        fh.write(json.dumps(c2.user("only")) + "\n")
    r = ingest(db, tmp_path, [tmp_path / "t"], home=False)
    assert r.events == 1 and r.reset_sessions == [c.session_id]
    assert [e.text for e in SessionIndex(db).iter_events(c.session_id)] == ["only"]


def test_replaced_file_is_read_again(db, tmp_path: Path) -> None:
    c = Claude()
    path = write_jsonl(tmp_path / "t" / f"{c.session_id}.jsonl", [c.user("alpha"), c.user("beta")])
    sub = Claude(c.session_id, sidechain=True)
    write_jsonl(tmp_path / "t" / c.session_id / "subagents" / "agent-a1.jsonl", [sub.user("sub")])
    ingest(db, tmp_path, [tmp_path / "t"], home=False)
    c2 = Claude(c.session_id)
    tmp = path.with_suffix(".tmp")
    write_jsonl(tmp, [c2.user("gamma"), c2.user("delta"), c2.user("epsilon")])
    os.replace(tmp, path)  # new inode
    r = ingest(db, tmp_path, [tmp_path / "t"], home=False)
    ev = list(SessionIndex(db).iter_events(c.session_id))
    assert [e.text for e in ev] == ["gamma", "delta", "epsilon", "sub"]  # main file first again
    assert [e.seq for e in ev] == [0, 1, 2, 3] and r.events == 4


def test_same_size_rewrite_detected_by_head_hash(db, tmp_path: Path) -> None:
    c = Claude()
    path = write_jsonl(tmp_path / "t" / f"{c.session_id}.jsonl", [c.user("aaaa")])
    ingest(db, tmp_path, [tmp_path / "t"], home=False)
    data = path.read_bytes().replace(b"aaaa", b"bbbb")
    with open(path, "r+b") as fh:
        fh.write(data)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10_000_000))
    ingest(db, tmp_path, [tmp_path / "t"], home=False)
    assert [e.text for e in SessionIndex(db).iter_events(c.session_id)] == ["bbbb"]


def test_home_discovery_matches_by_recorded_cwd(db, tmp_path: Path, workspace: Path) -> None:
    ours, inside, other = Claude(cwd=str(workspace)), Claude(cwd=str(workspace / "src")), Claude(cwd="/elsewhere")
    proj = paths.claude_projects_dir() / "some-unrelated-slug"  # not the workspace's slug on purpose
    for c in (ours, inside, other):
        write_jsonl(proj / f"{c.session_id}.jsonl", [c.user(f"hello from {c.cwd}")])
    sid = "019c8a70-0000-7f33-98ea-f30553347322"
    codex = paths.codex_sessions_dir() / "2026" / "02" / "23" / f"rollout-2026-02-23T12-19-38-{sid}.jsonl"
    write_jsonl(codex, codex_envelope(sid, str(workspace), codex_user_turn("codex prompt")))
    write_jsonl(
        paths.codex_sessions_dir() / "2026" / "02" / "23" / "rollout-x-other.jsonl",
        codex_envelope("other-codex", "/elsewhere", codex_user_turn("nope")),
    )
    r = ingest(db, workspace, [], home=True)
    assert sorted(r.session_ids) == sorted([ours.session_id, inside.session_id, sid])
    assert r.skipped_files == 2
    r2 = ingest(db, workspace, [], home=True)
    assert r2.files_read == 0 and r2.sessions == 3


def test_other_projects_are_passed_over_without_parsing_them(
    db, tmp_path: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A heavy history: another project's files cost one small read (no JSON parse), then one stat."""
    from reverie.dreamer import discovery

    ours, other = Claude(cwd=str(workspace)), Claude(cwd="/elsewhere")
    proj = paths.claude_projects_dir() / "mixed"
    write_jsonl(proj / f"{ours.session_id}.jsonl", [ours.user("mine")])
    # the other project's first record quotes our path in its text: only its own cwd field counts
    decoy = other.user(f'look: "cwd":"{workspace}" and \\"cwd\\": "{workspace}"')
    write_jsonl(proj / f"{other.session_id}.jsonl", [decoy, other.user("x" * 3_000_000)])
    sniffed: list[str] = []
    real_sniff = discovery.sniff
    monkeypatch.setattr(discovery, "sniff", lambda path: sniffed.append(path) or real_sniff(path))
    r = ingest(db, workspace, [], home=True)
    assert r.session_ids == [ours.session_id]
    assert r.skipped_files == 1
    assert all(other.session_id not in p for p in sniffed)  # decided by the cwd field alone
    r2 = ingest(db, workspace, [], home=True)
    assert r2.files_read == 0 and r2.skipped_files == 1


def test_unreadable_dir_is_skipped_with_a_warning(db, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    c = Claude()
    write_jsonl(tmp_path / "t" / "ok" / f"{c.session_id}.jsonl", [c.user("readable")])
    locked = tmp_path / "t" / "locked"
    c2 = Claude()
    write_jsonl(locked / f"{c2.session_id}.jsonl", [c2.user("hidden")])
    locked.chmod(0)
    try:
        r = ingest(db, tmp_path, [tmp_path / "t"], home=False)
    finally:
        locked.chmod(0o755)
    assert c.session_id in r.session_ids
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod 000 does not block reads, so the skip path cannot be observed")
    assert c2.session_id not in r.session_ids
    assert any("cannot read" in rec.message for rec in caplog.records)


def test_malformed_lines_are_named_and_not_fatal(db, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    c = Claude()
    path = write_jsonl(
        tmp_path / "t" / f"{c.session_id}.jsonl", [c.user("one")], ["{not json", "[1, 2", json.dumps(c.user("two"))]
    )
    r = ingest(db, tmp_path, [tmp_path / "t"], home=False)
    assert r.malformed_lines == 2 and r.events == 2
    assert f"{path}:2" in caplog.text and f"{path}:3" in caplog.text


def test_reingest_of_an_unchanged_corpus_redacts_no_path(db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Index keys are `redact_name(path)`; a path stored under its own name is its own key, so an unchanged
    re-ingest never calls the redactor (whose scanner takes most of a second to load)."""
    from reverie.dreamer import ingest as ingest_mod

    c = Claude()
    write_jsonl(tmp_path / "t" / "api-keys-project" / f"{c.session_id}.jsonl", [c.user("hello")])
    ingest(db, tmp_path, [tmp_path / "t"], home=False)
    calls: list[str] = []
    real = ingest_mod.redact_name
    monkeypatch.setattr(ingest_mod, "redact_name", lambda name: calls.append(name) or real(name))
    r = ingest(db, tmp_path, [tmp_path / "t"], home=False)
    assert r.files_read == 0 and r.sessions == 1
    assert calls == []
    c2 = Claude()
    write_jsonl(tmp_path / "t" / "api-keys-project" / f"{c2.session_id}.jsonl", [c2.user("new")])
    r2 = ingest(db, tmp_path, [tmp_path / "t"], home=False)
    assert r2.files_read == 1 and any(c2.session_id in n for n in calls)  # a new name is still redacted


def test_a_uuid_session_id_is_kept_without_loading_the_scanner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reverie.dreamer import discovery

    calls: list[str] = []
    real = discovery.redact_name
    monkeypatch.setattr(discovery, "redact_name", lambda name: calls.append(name) or real(name))
    c = Claude(session_id="bb95ac88-15ac-4d23-ab3f-ef2d2aba5438")  # passes the redactor's prefilter
    path = write_jsonl(tmp_path / f"{c.session_id}.jsonl", [c.user("hi")])
    info = discovery.sniff(str(path))
    assert info is not None and info.session_id == c.session_id and calls == []
    odd = Claude(session_id="session-with-ghp_" + "A" * 36)
    path2 = write_jsonl(tmp_path / "odd.jsonl", [odd.user("hi")])
    info2 = discovery.sniff(str(path2))
    assert info2 is not None and calls and "ghp_" + "A" * 36 not in info2.session_id  # other ids still redacted
