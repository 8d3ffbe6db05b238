"""The CLI on observed writes: ingest finds them, status counts them, watch prints them, reject reverts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reverie.console.cli import main
from tests.observed.helpers import MEMORY_INDEX, memory_dir, session


def run(capsys: pytest.CaptureFixture[str], ws: Path, *argv: str) -> tuple[int, object]:
    code = main(["--workspace", str(ws), *argv])
    out = capsys.readouterr().out
    return code, json.loads(out) if "--json" in argv and out.strip() else out


def test_ingest_status_proposals_watch_and_group_revert(capsys: pytest.CaptureFixture[str], workspace: Path) -> None:
    mem = memory_dir(workspace)
    mem.mkdir(parents=True)
    (mem / "MEMORY.md").write_text(MEMORY_INDEX)
    assert run(capsys, workspace, "init", "--json")[0] == 0
    s = session(workspace)
    s.edit(str(mem / "MEMORY.md"), "# Memory", "# Memory\n- [Deploy](deploy.md) — make release")
    s.write(str(mem / "deploy.md"), "Deploy with make release.\n")
    s.write_to()
    (mem / "MEMORY.md").write_text(MEMORY_INDEX.replace("# Memory", "# Memory\n- [Deploy](deploy.md) — make release"))
    (mem / "deploy.md").write_text("Deploy with make release.\n")

    code, doc = run(capsys, workspace, "ingest", "--json")
    assert code == 0 and doc["sessions"] >= 1
    writes = doc["observed"]["writes"]
    assert {(w["writer"], w["change"], w["tool"]) for w in writes} == {
        ("agent", "update", "Edit"),
        ("agent", "add", "Write"),
    }
    group = doc["observed"]["candidate_store"]

    code, doc = run(capsys, workspace, "status", "--json")
    assert doc["observed"] == {"unreviewed": 2, "agent": 2, "person": 0, "groups": 1}
    assert "2 unreviewed writes (2 by the agent) in 1 group" in run(capsys, workspace, "status")[1]

    code, doc = run(capsys, workspace, "proposals", "--observed", "--json")
    assert len(doc["observed"]) == 2 and all(
        p["meta"]["observed"]["session_id"] == s.session_id for p in doc["observed"]
    )
    # the dream's view is untouched: no dream candidate, no proposals there
    assert run(capsys, workspace, "proposals", "--json")[1]["proposals"] == []

    code, doc = run(capsys, workspace, "reject", group, "--json")
    assert code == 0
    assert sorted(doc["files"].values()) == ["delete", "write"]
    assert (mem / "MEMORY.md").read_text() == MEMORY_INDEX and not (mem / "deploy.md").exists()

    # watch --once: a write made while nothing watched comes out as an agent_write line
    (mem / "later.md").write_text("later\n")
    code, out = run(capsys, workspace, "watch", "--once")
    events = [json.loads(line) for line in str(out).splitlines() if line.strip()]
    (ev,) = [e for e in events if e["event"] == "agent_write"]
    assert ev["key"].endswith("/later.md") and ev["writer"] == "person" and ev["change"] == "add"
    assert ev["proposal"].startswith("p-")
