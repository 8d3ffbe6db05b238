"""Frontmatter is read leniently: invalid YAML never crashes."""

from __future__ import annotations

import pytest

from reverie.store import frontmatter
from tests.conftest import realdata_or_skip


@pytest.mark.parametrize(
    "text, key, expected",
    [
        ("---\nglobs: **/*.py\n---\nbody", "globs", "**/*.py"),
        ("---\ndescription: use: this\nname: x\n---\n", "description", "use: this"),
        ('---\npaths:\n  - src/**\n  - "lib/*.ts"\n---\n', "paths", ["src/**", "lib/*.ts"]),
        ("---\ntools: [Read, Grep]\n---\n", "tools", ["Read", "Grep"]),
        ("---\nname: ok\n---\n", "name", "ok"),
    ],
)
def test_lenient_values(text: str, key: str, expected: object) -> None:
    meta, _, had = frontmatter.split(text)
    assert had and meta[key] == expected


def test_no_frontmatter_and_unterminated() -> None:
    assert frontmatter.split("# Title\n") == ({}, "# Title\n", False)
    assert frontmatter.split("---\nname: x\nno end") == ({}, "---\nname: x\nno end", False)


def test_dump_roundtrips_through_yaml() -> None:
    meta = {"name": "x", "description": "a: b # c", "paths": ["**/*.py", "yes"]}
    parsed, body, _ = frontmatter.split(frontmatter.dump(meta) + "body\n")
    assert parsed == meta and body == "body\n"


@pytest.mark.realdata
def test_every_realdata_markdown_parses() -> None:
    root = realdata_or_skip()
    files = sorted(root.rglob("*.md"))
    assert files
    for f in files:
        meta, _body, had = frontmatter.split(f.read_text(encoding="utf-8", errors="replace"))
        assert isinstance(meta, dict)
        if had:
            assert meta, f"{f}: frontmatter present but nothing parsed"
