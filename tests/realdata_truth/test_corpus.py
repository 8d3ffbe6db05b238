"""The benchmark's corpus run, on a generated corpus laid out like ../shared/realdata2.

It dreams for real (the CLI in a subprocess, its own HOME, --transcripts in
place) so the wiring bench_dream.py uses is exercised without the shared data.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from reverie.dreamer.scenarios import build_scenario
from tests.realdata_truth.corpus import measure, prepare_workspace
from tests.realdata_truth.truth import TruthFile

CLAUDE_MD = "# acme-shop\n\n- Keep components small and typed.\n"


def generated_corpus(root: Path) -> tuple[Path, TruthFile]:
    corpus = root / "realdata2" / "gen__acme"
    scenario = build_scenario("repeated_correction", corpus / "tree", transcripts=corpus / "transcripts")
    (corpus / "tree" / "CLAUDE.md").write_text(CLAUDE_MD, encoding="utf-8")
    session = scenario.sessions[1]
    truth = TruthFile.model_validate(
        {
            "corpus": "gen__acme",
            "split": "dev",
            "corpus_dir": "realdata2/gen__acme",
            "transcripts": ["transcripts"],
            "tree": "tree",
            "sessions_read": 3,
            "human_turns_read": 6,
            "protected": ["CLAUDE.md"],
            "lessons": [
                {
                    "id": "acme-pnpm",
                    "statement": "This repo uses pnpm, not npm.",
                    "kinds": ["instinct", "rule"],
                    "scopes": ["project"],
                    "strength": "core",
                    "durable": ["recurring", "correction"],
                    "sessions": 3,
                    "evidence": [
                        {
                            "session": session.session_id,
                            "file": f"{session.session_id}.jsonl",
                            "line": 4,
                            "trust": "user",
                            "quote": "use pnpm here, not npm",
                        }
                    ],
                    "match": {"all": [r"\bpnpm\b"]},
                }
            ],
        }
    )
    return root, truth


def tree_digest(tree: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(tree.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(tree).as_posix().encode() + p.read_bytes())
    return h.hexdigest()


def test_prepare_workspace_copies_tree_and_leaves_the_corpus_alone(tmp_path: Path) -> None:
    data_root, truth = generated_corpus(tmp_path / "data")
    corpus = data_root / truth.corpus_dir
    ws, home, transcripts = prepare_workspace(truth, corpus, tmp_path / "run")
    assert (ws / ".git").is_dir() and (ws / "CLAUDE.md").read_text(encoding="utf-8") == CLAUDE_MD
    assert home.is_dir() and not any(home.iterdir())
    assert transcripts == [corpus / "transcripts"]
    assert not (corpus / "tree" / ".git").exists()


def test_prepare_workspace_without_tree_copies_only_the_agent_files(tmp_path: Path) -> None:
    corpus = tmp_path / "realdata" / "x__y"
    (corpus / ".claude" / "skills" / "s").mkdir(parents=True)
    (corpus / ".claude" / "skills" / "s" / "SKILL.md").write_text("---\nname: s\n---\n", encoding="utf-8")
    (corpus / "CLAUDE.md").write_text("# x\n", encoding="utf-8")
    (corpus / "sessions").mkdir()
    truth = TruthFile.model_validate(
        {
            "corpus": "x__y",
            "split": "dev",
            "corpus_dir": "realdata/x__y",
            "transcripts": ["sessions"],
            "tree_files": ["CLAUDE.md", ".claude"],
            "sessions_read": 0,
            "human_turns_read": 0,
        }
    )
    ws, _home, _ = prepare_workspace(truth, corpus, tmp_path / "run")
    assert sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*") if p.is_file() and ".git" not in p.parts) == [
        ".claude/skills/s/SKILL.md",
        "CLAUDE.md",
    ]
    missing = truth.model_copy(update={"transcripts": ["nope"]})
    with pytest.raises(FileNotFoundError, match="transcripts not found"):
        prepare_workspace(missing, corpus, tmp_path / "run2")


@pytest.mark.slow
def test_measure_dreams_like_a_user_and_scores(tmp_path: Path) -> None:
    data_root, truth = generated_corpus(tmp_path / "data")
    before = tree_digest(data_root / truth.corpus_dir / "tree")
    report, run = measure(truth, data_root, tmp_path / "run")
    assert run.doc["sessions_read"] == 3
    assert report.proposals == len(run.doc["proposals"]) > 0
    assert report.core_total == 1 and report.core_found == 1, report.details()
    assert report.precision is not None
    assert run.workspace.is_relative_to(tmp_path / "run") and (run.workspace / ".reverie").is_dir()
    assert tree_digest(data_root / truth.corpus_dir / "tree") == before, "the corpus was modified"
    assert not (run.home / ".claude").exists() or not any((run.home / ".claude").rglob("*.jsonl"))


@pytest.mark.slow
def test_bench_prints_the_realdata_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    import yaml

    from tests.benchmarks.bench_dream import realdata

    data_root, truth = generated_corpus(tmp_path / "data")
    truth_file = tmp_path / "gen__acme.yaml"
    truth_file.write_text(yaml.safe_dump(truth.model_dump(mode="json")), encoding="utf-8")
    held = truth.model_copy(update={"split": "heldout", "corpus": "gen__held"})
    held_file = tmp_path / "gen__held.yaml"
    held_file.write_text(yaml.safe_dump(held.model_dump(mode="json")), encoding="utf-8")
    out_json = tmp_path / "report.json"
    realdata(tmp_path / "run", "all", [], False, out_json, data_root=data_root, paths=[truth_file, held_file])
    out = capsys.readouterr().out
    assert "real data gen__acme [dev]: precision" in out and "lesson acme-pnpm" in out
    held_lines = [line for line in out.splitlines() if "gen__held" in line]
    assert held_lines and "recall 1.00 (1/1 core" in held_lines[0]
    assert not any(line.lstrip().startswith("lesson") for line in held_lines), "held-out details must stay hidden"
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    assert [r["corpus"] for r in doc["dev"]] == ["gen__acme"] and doc["heldout"][0]["recall"] == 1.0
