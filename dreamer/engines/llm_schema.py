"""Pydantic models for the JSON the LLM returns in the map and reduce steps.

Why: a model's output is untrusted input. Validating it strictly (known actions,
kinds, scopes; bounded lengths; confidence in 0–1) turns a malformed answer into
one clear error message we can send back once for a retry, instead of a crash
or a half-built proposal.
"""

from __future__ import annotations

import json
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Action = Literal["add", "update", "merge", "retire", "promote", "demote", "evolve"]
Kind = Literal["memory", "instinct", "rule", "hook", "command", "skill", "subagent"]
Scope = Literal["path", "project", "team", "global"]


class _Base(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class Citation(_Base):
    """A digest reference the model cites, e.g. ``{"event": "e12", "quote": "use pnpm"}``."""

    event: str = Field(min_length=1, max_length=80)
    quote: str = Field(default="", max_length=500)


class SessionCitation(Citation):
    session_id: str = Field(min_length=1, max_length=200)


def _cap(value: object, limit: int) -> object:
    """Keep the first `limit` items of a list: a long answer is trimmed, not rejected."""
    return value[:limit] if isinstance(value, list) else value


def _clamp01(value: object) -> float:
    """Models say 0.9, "0.9" or 90 for confidence; normalise into 0–1."""
    if not isinstance(value, (int, float, str)):  # JSON gives numbers, strings, or worse
        raise ValueError("confidence must be a number between 0 and 1")
    try:
        number = float(value)
    except ValueError:
        raise ValueError("confidence must be a number between 0 and 1") from None
    if number > 1.0 and number <= 100.0:
        number /= 100.0
    return min(max(number, 0.0), 1.0)


class Lesson(_Base):
    """One candidate lesson from one session (map output)."""

    kind: Kind = "memory"
    title: str = Field(min_length=3, max_length=120)
    statement: str = Field(min_length=3, max_length=2000)
    paths: list[str] = Field(default_factory=list)
    temporary: bool = False
    """The user framed it as a one-off ("for now", "today")."""
    confidence: float = 0.5
    citations: list[Citation] = Field(min_length=1)

    _cap_citations = field_validator("citations", "paths", mode="before")(classmethod(lambda cls, v: _cap(v, 20)))

    @field_validator("confidence", mode="before")
    @classmethod
    def _confidence(cls, value: object) -> float:
        return _clamp01(value)


class MapResult(_Base):
    lessons: list[Lesson] = Field(default_factory=list)

    _cap_lessons = field_validator("lessons", mode="before")(classmethod(lambda cls, v: _cap(v, 30)))


class ProposalOut(_Base):
    """One proposal (reduce output), the DESIGN §4 fields the model decides."""

    action: Action
    kind: Kind
    scope: Scope = "project"
    paths: list[str] = Field(default_factory=list)
    name: str = Field(default="", max_length=80)
    title: str = Field(min_length=3, max_length=120)
    body: str = Field(min_length=1, max_length=6000)
    replaces: list[str] = Field(default_factory=list)
    confidence: float = 0.5
    rationale: str = Field(default="", max_length=2000)
    hook_event: str = Field(default="", max_length=40)
    matcher: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=400)
    evidence: list[SessionCitation] = Field(min_length=1)

    _cap_lists = field_validator("evidence", "paths", "replaces", mode="before")(
        classmethod(lambda cls, v: _cap(v, 50))
    )

    @field_validator("confidence", mode="before")
    @classmethod
    def _confidence(cls, value: object) -> float:
        return _clamp01(value)


class ReduceResult(_Base):
    proposals: list[ProposalOut] = Field(default_factory=list)

    _cap_proposals = field_validator("proposals", mode="before")(classmethod(lambda cls, v: _cap(v, 100)))


_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*\n?(.*?)\n?\s*```\s*$", re.S)


def extract_json(content: str) -> str:
    """The JSON part of a reply: strips a ```json fence or text around one object."""
    text = (content or "").strip()
    fenced = _FENCE.match(text)
    if fenced:
        return fenced.group(1).strip()
    if not text.startswith(("{", "[")):
        start, end = text.find("{"), text.rfind("}")
        if start != -1 and end > start:
            return text[start : end + 1]
    return text


def parse(model: type[BaseModel], content: str) -> BaseModel:
    """Validate a reply; raises `ValueError` with a short, model-readable message."""
    raw = extract_json(content)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as err:
        raise ValueError(f"the reply is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    if isinstance(data, list):  # a bare list of items: be lenient about the wrapper
        key = "lessons" if model is MapResult else "proposals"
        data = {key: data}
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in err.errors()[:8])
        raise ValueError(f"the JSON does not match the schema: {problems}") from None
