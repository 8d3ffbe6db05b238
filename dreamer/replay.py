"""Replay verification: run a proposed hook against every past tool call.

Why: a hook runs code on every future tool call, so before a person approves
one we show what it would have done to history — how many past violations it
would have blocked and how many legitimate calls it would have blocked wrongly.
`unverified_procedure` is cleared only when it blocks every violation and no
legitimate call.

Sandbox: each run happens in a fresh temp dir (cwd), with a scrubbed environment
(PATH, LANG and a temp HOME only: no proxies, no credentials), a timeout, and no
network namespace when `unshare -rn` works on this machine (Linux user
namespaces); otherwise only the scrubbed environment applies. `meta.replay.sandbox`
records which one was used.

Speed: a Python guard that defines `check(payload)` (what `dreamer.hooks`
writes) is evaluated in ONE subprocess over all inputs, after spot-checking a
few inputs through the real command path (stdin → exit code). Any other script
runs as a subprocess per distinct input, two at a time, capped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any, TypedDict

import orjson

from reverie.store.models import Proposal

MAX_SUBPROCESS_INPUTS = 400
BATCH_TIMEOUT = 60.0
CALL_TIMEOUT = 10.0

_RUNNER = r"""
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("reverie_hook", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
out = []
with open(sys.argv[2], encoding="utf-8") as fh:
    for line in fh:
        try:
            reason = mod.check(json.loads(line))
        except Exception as err:  # a crashing guard allows the call (Claude Code: non-2 exit)
            reason = None
        out.append(1 if reason else 0)
sys.stdout.write(json.dumps(out))
"""


@lru_cache(maxsize=1)
def sandbox_prefix() -> tuple[str, ...]:
    """`unshare -rn` (no network) when it works here, else nothing (scrubbed env only)."""
    exe = shutil.which("unshare")
    if not exe or not sys.platform.startswith("linux"):
        return ()
    for args in ((exe, "-rn"), (exe, "-n")):
        try:
            if subprocess.run([*args, "true"], capture_output=True, timeout=5).returncode == 0:
                return args
        except (OSError, subprocess.SubprocessError):
            continue
    return ()


def _env(tmp: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "LANG": "C.UTF-8", "CLAUDE_PROJECT_DIR": tmp}


def matcher_matches(matcher: str, tool_name: str) -> bool:
    """Claude Code's matcher: empty or * matches all; otherwise a regex on the tool name."""
    if not matcher or matcher == "*":
        return True
    try:
        return re.fullmatch(matcher, tool_name) is not None
    except re.error:
        return matcher == tool_name


class ReplayCall(TypedDict):
    """One past tool call a hook is replayed over (built by `dream.replay_calls` from the signals)."""

    session_id: str
    cwd: str
    tool: str
    input: dict[str, Any]
    uuid: str
    status: str
    """"ok", "error" or "rejected" (a call the user rejected counts as a violation)."""


def replay(proposal: Proposal, calls: Sequence[ReplayCall]) -> dict[str, Any]:
    """Replay `proposal` (a hook) over `calls` and return the figures stored in meta.replay.

    Violations are the uuids the engine listed in meta.replay.violations, else
    calls the user rejected.
    """
    meta = proposal.meta or {}
    matcher = str(meta.get("matcher", "") or "")
    listed = (meta.get("replay") or {}).get("violations") if isinstance(meta.get("replay"), dict) else None
    violation_ids = set(listed) if isinstance(listed, list) else None
    selected = [c for c in calls if matcher_matches(matcher, str(c.get("tool", "")))]
    result: dict[str, Any] = {
        "calls": len(calls),
        "matched": len(selected),
        "violations": 0,
        "violations_blocked": 0,
        "legit": 0,
        "legit_blocked": 0,
        "sandbox": " ".join(sandbox_prefix()) or "scrubbed env",
        "mode": "",
    }
    payloads = [
        json.dumps(
            {
                "session_id": c.get("session_id", ""),
                "transcript_path": "",
                "cwd": c.get("cwd", ""),
                "hook_event_name": "PreToolUse",
                "tool_name": c.get("tool", ""),
                "tool_input": c.get("input") or {},
            }
        )
        for c in selected
    ]
    try:
        blocked, mode = _evaluate(proposal.body, payloads)
    except (OSError, subprocess.SubprocessError, ValueError) as err:
        result["error"] = f"{type(err).__name__}: {err}"[:200]
        return result
    result["mode"] = mode
    for call, hit in zip(selected, blocked, strict=False):
        is_violation = (
            call.get("uuid") in violation_ids if violation_ids is not None else call.get("status") == "rejected"
        )
        if is_violation:
            result["violations"] += 1
            result["violations_blocked"] += int(bool(hit))
        else:
            result["legit"] += 1
            result["legit_blocked"] += int(bool(hit))
    if violation_ids is not None:
        # listed violations whose calls fell outside the matcher were not blocked
        missed = len(violation_ids - {c.get("uuid") for c in selected})
        result["violations"] += missed
    return result


def _evaluate(script: str, payloads: list[str]) -> tuple[list[int], str]:
    if not payloads:
        return [], "none"
    with tempfile.TemporaryDirectory(prefix="reverie-replay-") as tmp:
        hook = Path(tmp) / "hook.py"
        hook.write_text(script, encoding="utf-8")
        hook.chmod(0o700)
        python = script.startswith("#!") and "python" in script.splitlines()[0]
        if python and re.search(r"^def check\(", script, re.M):
            batch = _batch(hook, payloads, tmp)
            sample = sorted(
                set([i for i, b in enumerate(batch) if b][:1] + [i for i, b in enumerate(batch) if not b][:1])
            )
            if all(_run_one([sys.executable, str(hook)], payloads[i], tmp) == batch[i] for i in sample):
                return batch, "batch"
        return _per_call(hook, payloads, tmp, python), "subprocess"


def _batch(hook: Path, payloads: list[str], tmp: str) -> list[int]:
    inputs = Path(tmp) / "inputs.jsonl"
    inputs.write_text("\n".join(payloads) + "\n", encoding="utf-8")
    runner = Path(tmp) / "runner.py"
    runner.write_text(_RUNNER, encoding="utf-8")
    proc = subprocess.run(
        [*sandbox_prefix(), sys.executable, "-I", str(runner), str(hook), str(inputs)],
        cwd=tmp,
        env=_env(tmp),
        capture_output=True,
        timeout=BATCH_TIMEOUT,
        text=True,
    )
    if proc.returncode != 0:
        raise ValueError(f"hook failed to load: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}")
    out = json.loads(proc.stdout)
    if len(out) != len(payloads):
        raise ValueError("replay runner returned a wrong number of results")
    return [int(x) for x in out]


def _run_one(cmd: list[str], payload: str, tmp: str) -> int:
    try:
        proc = subprocess.run(
            [*sandbox_prefix(), *cmd],
            input=payload,
            cwd=tmp,
            env=_env(tmp),
            capture_output=True,
            timeout=CALL_TIMEOUT,
            text=True,
        )
    except subprocess.TimeoutExpired:
        return 0  # Claude Code lets the call through when a hook times out
    return 1 if proc.returncode == 2 else 0


def _per_call(hook: Path, payloads: list[str], tmp: str, python: bool) -> list[int]:
    cmd = (
        [sys.executable, str(hook)]
        if python
        else ["/bin/sh", str(hook)]
        if not os.access(hook, os.X_OK) or not hook.read_text().startswith("#!")
        else [str(hook)]
    )
    distinct = list(dict.fromkeys(payloads))[:MAX_SUBPROCESS_INPUTS]
    with ThreadPoolExecutor(max_workers=2) as pool:
        verdicts = dict(zip(distinct, pool.map(lambda p: _run_one(cmd, p, tmp), distinct), strict=False))
    return [verdicts.get(p, 0) for p in payloads]


REPLAY_NAMESPACE = "replay:v1"


def replay_key(p: Proposal, calls: Sequence[ReplayCall]) -> str:
    """Hash of the script, its matcher, the violations it is judged on and every replayed input."""
    h = hashlib.sha256()
    h.update(p.body.encode("utf-8", "surrogatepass"))
    h.update(
        json.dumps(
            [p.meta.get("matcher"), (p.meta.get("replay") or {}).get("violations")], sort_keys=True, default=str
        ).encode()
    )
    for c in calls:
        h.update(
            orjson.dumps(
                [c.get("uuid"), c.get("tool"), c.get("status"), c.get("cwd"), c.get("input")],
                option=orjson.OPT_SORT_KEYS,
                default=str,
            )
        )
    return h.hexdigest()


def replay_proposals(
    proposals: list[Proposal],
    calls: Sequence[ReplayCall],
    cache_get: Callable[[str, str], Any] | None = None,
    cache_put: Callable[[str, str, Any], None] | None = None,
) -> None:
    """Replay every hook proposal in place: meta.replay gets the figures, rationale a sentence.

    With a cache, an unchanged script over unchanged history is not run again."""
    for p in proposals:
        if p.kind != "hook":
            continue
        key = replay_key(p, calls) if cache_get is not None else ""
        figures = cache_get(REPLAY_NAMESPACE, key) if cache_get is not None else None
        if not figures:
            figures = replay(p, calls)
            if key and "error" not in figures and cache_put is not None:
                cache_put(REPLAY_NAMESPACE, key, figures)
        p.meta = dict(p.meta)
        p.meta["replay"] = figures
        if "error" in figures:
            p.rationale = (p.rationale + f" Replay failed: {figures['error']}.").strip()
        else:
            p.rationale = (
                p.rationale + f" Replay over {figures['calls']} past tool calls: blocked "
                f"{figures['violations_blocked']} of {figures['violations']} violations and "
                f"{figures['legit_blocked']} of {figures['legit']} legitimate calls."
            ).strip()
