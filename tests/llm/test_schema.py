"""Validation of the model's JSON: fences, wrappers, enums, confidence."""

from __future__ import annotations

import pytest

from reverie.dreamer.engines.llm_schema import MapResult, ReduceResult, extract_json, parse


def test_extract_json_from_fence_and_prose() -> None:
    assert extract_json('```json\n{"a": 1}\n```') == '{"a": 1}'
    assert extract_json('Here you go:\n{"a": 1}\nThanks') == '{"a": 1}'
    assert extract_json('{"a": 1}') == '{"a": 1}'


def test_parse_map_result_normalises_confidence_and_bare_list() -> None:
    result = parse(
        MapResult, '[{"title": "Use pnpm", "statement": "use pnpm", "confidence": 85, "citations": [{"event": "e4"}]}]'
    )
    assert isinstance(result, MapResult)
    assert result.lessons[0].confidence == pytest.approx(0.85)
    assert result.lessons[0].kind == "memory"


def test_parse_errors_are_short_and_name_the_field() -> None:
    with pytest.raises(ValueError, match="not valid JSON"):
        parse(MapResult, "I think you should use pnpm")
    with pytest.raises(ValueError, match=r"proposals\.0\.action"):
        parse(
            ReduceResult,
            '{"proposals": [{"action": "explode", "kind": "rule", "title": "x y z", "body": "b", '
            '"evidence": [{"session_id": "s", "event": "e1"}]}]}',
        )
    with pytest.raises(ValueError, match=r"citations"):
        parse(MapResult, '{"lessons": [{"title": "Use pnpm", "statement": "use pnpm", "citations": []}]}')
    with pytest.raises(ValueError, match="confidence"):
        parse(
            MapResult,
            '{"lessons": [{"title": "Use pnpm", "statement": "s s", "confidence": "high", '
            '"citations": [{"event": "e1"}]}]}',
        )


def test_long_lists_are_trimmed_not_rejected() -> None:
    evidence = [{"session_id": f"s{i}", "event": "e1"} for i in range(200)]
    result = parse(
        ReduceResult,
        '{"proposals": [{"action": "add", "kind": "rule", "title": "abc", "body": "b", '
        f'"evidence": {__import__("json").dumps(evidence)}}}]}}',
    )
    assert isinstance(result, ReduceResult)
    assert len(result.proposals[0].evidence) == 50
