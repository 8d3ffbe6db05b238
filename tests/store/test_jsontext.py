"""Settings files are edited as text: Reverie's hook entries go in and out, the user's bytes stay."""

from __future__ import annotations

import json

import pytest

from reverie.store import jsontext
from reverie.store import materialize as mat
from reverie.store.models import Artifact

HOOK = Artifact(
    id="a-1", kind="hook", scope="team", name="guard", body="exit 2", meta={"matcher": "Bash", "event": "PreToolUse"}
)
STOP = Artifact(id="a-2", kind="hook", scope="team", name="bell", body="echo", meta={"event": "Stop"})

STYLES = {
    "issue": b'{\n  "permissions": {"allow": ["Bash(pnpm test:*)"]}\n}\n',
    "compact": b'{"permissions":{"allow":["Bash(ls)"]}}',
    "spaced one line": b'{ "model": "opus", "env": {"A": "1"} }\n',
    "four spaces, no final newline": json.dumps({"model": "opus", "env": {"A": "1"}}, indent=4).encode(),
    "tabs": b'{\n\t"model": "opus",\n\t"env": {\n\t\t"A": "1"\n\t}\n}\n',
    "crlf": b'{\r\n  "model": "opus",\r\n  "env": {"A": "1"}\r\n}\r\n',
    "bom": b'\xef\xbb\xbf{\n  "model": "opus"\n}\n',
    "empty object": b"{}\n",
    "user hooks": (
        b'{\n  "hooks": {\n    "PreToolUse": [\n      {"matcher": "Edit", "hooks": [{"type": "command", "command": "fmt.sh"}]}'
        b"\n    ]\n  }\n}\n"
    ),
    "user hooks, other event": b'{"hooks": {"PostToolUse": [{"hooks": [{"type": "command", "command": "x"}]}]}}',
}


@pytest.mark.parametrize("style", STYLES)
def test_add_then_remove_gives_back_the_same_bytes(style: str) -> None:
    original = STYLES[style]
    added = mat.render_settings(original, [HOOK, STOP])
    doc = json.loads(added.decode("utf-8-sig"))
    assert {e for e, _, _ in mat.json_region(doc)} == {"PreToolUse", "Stop"}
    assert mat.strip_hooks(doc) == mat.strip_hooks(json.loads(original.decode("utf-8-sig")))
    assert mat.render_settings(added, []) == original
    # the user's text before the first change is untouched
    first_change = next(i for i, (a, b) in enumerate(zip(original, added, strict=False)) if a != b)
    assert added[:first_change] == original[:first_change]


@pytest.mark.parametrize("style", STYLES)
def test_new_entries_follow_the_file_style(style: str) -> None:
    original = STYLES[style]
    added = mat.render_settings(original, [HOOK]).decode("utf-8")
    if b"\r\n" in original:
        assert "\n" not in added.replace("\r\n", "")  # no bare LF in a CRLF file
    if b"\n\t" in original:
        assert "\n  " not in added  # tabs, not spaces
    if b"\n" not in original.strip() and b":" in original:
        assert "\n" not in added.strip()  # a one-line file stays on one line
    if b":" not in original:  # nothing to copy (`{}`): written like a new settings file
        assert '\n  "hooks": {\n    "PreToolUse": [\n' in added
    assert added.startswith("\ufeff") == original.startswith(b"\xef\xbb\xbf")


def test_a_new_settings_file_looks_like_json_dumps() -> None:
    new = mat.render_settings(None, [HOOK])
    assert new.decode() == json.dumps(json.loads(new), indent=2) + "\n"


def test_user_entries_in_a_mixed_group_survive_removal() -> None:
    text = json.dumps(
        {
            "hooks": {
                "PreToolUse": [
                    {
                        "matcher": "Bash",
                        "hooks": [
                            {"type": "command", "command": "mine.sh"},
                            {"type": "command", "command": '"$CLAUDE_PROJECT_DIR"/.claude/hooks/reverie/g.sh'},
                        ],
                    }
                ]
            }
        },
        indent=2,
    )
    out = mat.strip_settings_text(text)
    assert json.loads(out) == {
        "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "mine.sh"}]}]}
    }
    assert out.startswith('{\n  "hooks": {\n    "PreToolUse": [\n      {\n        "matcher": "Bash",')


def test_dropped_commands_go_and_empty_containers_with_them() -> None:
    text = '{"a": 1, "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "old.sh"}]}]}}'
    assert mat.strip_settings_text(text, {"old.sh"}) == '{"a": 1}'


@pytest.mark.parametrize(
    "bad", ['{"a": 1,}', '{"a" 1}', "[1, 2", '{"a": tru}', '{"a": 1} x', '{"a": "\\q"}', "{'a': 1}"]
)
def test_invalid_json_is_refused_with_a_position(bad: str) -> None:
    with pytest.raises(jsontext.JsonTextError):
        jsontext.parse(bad)


def test_parse_matches_json_on_nested_values() -> None:
    text = '{"a": [1, -2.5e3, "x\\"y", {"b": null}], "c": true, "d": {}}'
    root = jsontext.parse(text)
    assert root.keys == ["a", "c", "d"]
    a = root.get("a")
    assert a is not None and [text[i.start : i.end] for i in a.items] == ["1", "-2.5e3", '"x\\"y"', '{"b": null}']
