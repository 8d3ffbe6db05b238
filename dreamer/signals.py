"""Per-session signals: what one session says about how the agent should behave.

Why: signal extraction is the expensive part of a dream and depends only on
one session's events, so it is computed once per session content hash and
cached (namespace ``signals:v1``); an unchanged session costs one cache read.
The result is a plain JSON-able dict so it can live in the store's cache.

Signals: user statements (corrections after an agent action, explicit
remember/always/never/prefer requests), instruction-like text arriving through
tool or external content (kept so critics can block it), error → fix command
pairs, the session's tasks as ordered command lists (procedures), environment
facts confirmed by successful runs, and a compact list of tool calls (for hook
violations and replay).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from typing import Any

from dreamer.wording import imperative, quote, sentences
from store.models import Event

SIGNALS_NAMESPACE = "signals:v1"
SIGNALS_VERSION = 6
"""Bumped whenever extraction changes, so cached signals are recomputed."""

NEG = re.compile(
    r"\b(never|don'?t|do not|stop|no more|avoid|must not|mustn'?t|shouldn'?t|should not|not allowed|"
    r"leave [\w/.`-]+ alone|hands off)\b", re.I)
POS_STRONG = re.compile(
    r"\b(always|must|make sure|be sure|remember|from now on|going forward|every time|each time|"
    r"in (?:the )?future)\b", re.I)
PREF = re.compile(
    r"\b(i prefer|i'd prefer|i'd rather|i like|how i like|my preference|keep (?:\w+ ){0,3}"
    r"(?:short|small|simple|concise|brief|to (?:a|one)))", re.I)
USE = re.compile(
    r"\b(?:we use|we're using|use|it'?s|it is|we do)\s+[`'\"]?([\w.@+/-]+)[`'\"]?[^.;!?]*?"
    r"\b(?:not|instead of|rather than)\s+[`'\"]?([\w.@+-]+)", re.I)
NOT_WORD = re.compile(r"\b(?:not|no|never|instead of|rather than|never use|don'?t use|stop using)\s+[`'\"]?([a-z][\w.+-]*)", re.I)
VERBS = frozenset("""edit touch change modify run use push commit delete remove add create write make do call put
    skip ask be have go let try mix break rename move format install""".split())
GENERAL = re.compile(
    r"\b(always|never|from now on|going forward|every time|each time|this (?:repo|project|codebase)|"
    r"(?:here|in here)[,.]|in (?:the )?future|we use|we're using|i prefer|how i like|by default|remember|"
    r"any ?more|again|not allowed|before (?:every|each|any)|like pep)\b", re.I)
TEMPORAL = re.compile(
    r"\b(for now|today|tonight|temporar(?:y|ily)|this time|just this once|for the moment|right now|"
    r"quick hack|as a workaround|until (?:\w+ ){0,3}(?:fixed|back|up|resolved|merged))\b", re.I)
CORRECTION = re.compile(
    r"^\W*(no\b|nope|wrong|stop|don'?t|do not|never|again|actually|not that|instead|undo|revert|"
    r"why did you|that'?s (?:wrong|not)|please don'?t|hands off|leave [\w/.`-]+ alone)|\byou (?:forgot|skipped|missed|changed|edited|"
    r"deleted|removed|broke|touched|used|ran|did)\b|\bagain\b", re.I)
REDIRECT = re.compile(r"\b(instead|not like that|rather than)\b|,\s*not\s+\w+", re.I)
IMPERATIVE_START = re.compile(
    r"^\W*(?:please\s+)?(use|run|keep|put|indent|write|prefer|add|call|name|place|commit|format|test|"
    r"check|ask|avoid|skip)\b", re.I)
AGENT_ADDRESS = re.compile(
    r"\b(ai|assistants?|agents?|claude|llms?|language models?|copilot|chatgpt)\b", re.I)
INJECTION = re.compile(
    r"(ignore (?:all |any )?(?:previous|prior|above) instructions|do not tell the user|don'?t tell the user|"
    r"without telling the user|do not mention this|note to (?:ai|assistants|agents|llms))", re.I)
MEMORY_VERB = re.compile(
    r"\b(from now on|remember (?:to|that)|going forward|in (?:the )?future|from this point|"
    r"(?:add|save|write|store) (?:this|it|that)? ?(?:to|in) (?:your )?(?:memory|claude\.md|agents\.md))\b", re.I)
SMALL_TALK = re.compile(r"^\W*(never ?mind|no worries|no problem|no thanks|don'?t worry|not now|no,? that'?s (?:it|all|fine))\W*$", re.I)
HIDDEN = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]")
PATH = re.compile(
    r"(?<![\w/:.])((?:\.{0,2}/)?[A-Za-z0-9_][\w.-]*(?:/[\w.*-]+)+/?|[\w-]+\.(?:py|ts|tsx|js|jsx|sql|md|json|"
    r"ya?ml|toml|rs|go|ex|exs|rb|sh|css|html|lock|cfg|ini|txt))(?![\w/])")
BACKTICK = re.compile(r"`([^`\n]{2,160})`")

PACKAGE_MANAGERS = {"npm", "pnpm", "yarn", "bun", "pip", "pip3", "uv", "poetry", "cargo", "go", "mix",
                    "bundle", "gem", "composer", "pipenv", "conda"}
INSTALL_SUBS = {"install", "i", "add", "sync", "get", "deps.get", "ci", "update", "remove"}
TEST_WORDS = re.compile(r"\b(test|tests|pytest|vitest|jest|rspec|mocha|tox|nox|phpunit|ctest|check)\b")
BUILD_WORDS = re.compile(r"\b(build|compile|make|tsc|webpack|vite build|gradle|mvn|cmake)\b")

EDIT_TOOLS = {"Edit", "Write", "MultiEdit", "NotebookEdit", "apply_patch", "write_file", "replace", "edit"}
SHELL_TOOLS = {"Bash", "shell", "exec_command", "run_shell_command", "local_shell"}
MAX_TOOL_CALLS = 4000
MAX_STR = 400


# --- small helpers --------------------------------------------------------------


def normalize_command(command: str) -> str:
    """`program sub` of a shell command: env assignments, `cd x &&` and flags dropped."""
    cmd = command.strip()
    for sep in ("&&", ";", "|"):
        parts = [p.strip() for p in cmd.split(sep) if p.strip()]
        parts = [p for p in parts if not p.startswith(("cd ", "export ", "source ", "set -"))] or parts
        cmd = parts[0] if parts else cmd
    try:
        words = shlex.split(cmd, posix=True)
    except ValueError:
        words = cmd.split()
    words = [w for w in words if not re.match(r"^[A-Z_][A-Z0-9_]*=", w)]
    if not words:
        return ""
    prog = words[0].rsplit("/", 1)[-1]
    out = [prog]
    rest = words[1:]
    if prog in ("python", "python3") and len(rest) >= 2 and rest[0] == "-m":
        return f"{prog} -m {rest[1]}"
    for w in rest:
        if w.startswith(("-", "'", '"', "$", "`")) or "/" in w or "=" in w or len(out) >= 2:
            break
        if prog in ("npx", "pnpm", "yarn", "bunx", "uv") and w in ("run", "exec", "dlx", "x") and len(rest) > 1:
            out.append(w)
            continue
        out.append(w)
    # "pnpm run build" -> keep three words, they are the recognisable unit
    if len(out) == 2 and out[1] in ("run", "exec", "dlx") and len(rest) > 1 and not rest[1].startswith("-"):
        out.append(rest[1])
    return " ".join(out)[:80]


def command_of(tool_input: dict[str, Any] | None) -> str:
    if not tool_input:
        return ""
    for key in ("command", "cmd"):
        val = tool_input.get(key)
        if isinstance(val, list):
            val = " ".join(str(v) for v in val)
            if val.startswith(("bash -lc ", "bash -c ", "sh -c ")):
                val = val.split(" ", 2)[-1]
        if isinstance(val, str) and val:
            return val
    return ""


def file_of(tool_input: dict[str, Any] | None) -> str:
    if not tool_input:
        return ""
    for key in ("file_path", "path", "notebook_path", "filePath", "absolute_path"):
        val = tool_input.get(key)
        if isinstance(val, str) and val:
            return val
    return ""


def rel_path(path: str, cwd: str) -> str:
    if cwd and path.startswith(cwd.rstrip("/") + "/"):
        return path[len(cwd.rstrip("/")) + 1:]
    return path


def _trim(obj: Any) -> Any:
    """Tool input kept for replay: long strings cut (keys a hook reads are short)."""
    if isinstance(obj, str):
        return obj if len(obj) <= MAX_STR else obj[:MAX_STR]
    if isinstance(obj, dict):
        return {str(k): _trim(v) for k, v in list(obj.items())[:30]}
    if isinstance(obj, list):
        return [_trim(v) for v in obj[:30]]
    return obj


def mentioned_paths(text: str) -> list[str]:
    out = []
    for m in PATH.finditer(text):
        p = m.group(1)
        if "://" in text[max(0, m.start() - 12): m.start() + 3] or p.startswith(("http", "www.")):
            continue
        if p.count("/") == 1 and p.endswith("/") is False and "." not in p.rsplit("/", 1)[-1] and len(p) < 6:
            continue  # "and/or", "i/o"
        out.append(p.lstrip("./") if p.startswith("./") else p)
    return out[:6]


def classify(sentence: str) -> tuple[str, bool] | None:
    """(polarity, strong) of a directive sentence, or None when it is not one."""
    if sentence.rstrip().endswith("?") and not re.search(r"\b(never|always|don'?t|do not)\b", sentence, re.I):
        return None
    if PREF.search(sentence):
        return "prefer", False
    if USE.search(sentence):
        return "use", bool(POS_STRONG.search(sentence))
    if NEG.search(sentence):
        return "must_not", True
    if POS_STRONG.search(sentence):
        return "must", True
    if IMPERATIVE_START.search(sentence):
        return "must", False
    if re.search(r"[\w`'\"][,—–:-]?\s+(?:please\s+)?[—–,-]\s*not\s+[`'\"]?\w|^\W*[\w.+-]+\s*,\s*not\s+\w", sentence):
        return "use", False
    if re.search(r"\b(we use|we're using|it'?s \w+ in this (?:project|repo)|here, not)\b", sentence, re.I):
        return "use", False
    return None


def _word(w: str) -> str:
    return w.lower().strip("`'\".,;:!?")


def statement_keys(sentence: str, polarity: str) -> list[str]:
    keys = []
    for m in USE.finditer(sentence):
        a, b = _word(m.group(1)), _word(m.group(2))
        keys.append(f"use:{a}>{b}")
        keys.append(f"not:{b}")
    for m in NOT_WORD.finditer(sentence):
        word = _word(m.group(1))
        if word and word not in VERBS and word not in ("the", "a", "an", "to", "just", "that", "this", "it", "so",
                                                        "only", "more", "one", "need", "longer", "way", "worries"):
            keys.append(f"not:{word}")
    return sorted(set(keys))


# --- extraction --------------------------------------------------------------------


def extract(events: Iterable[Event]) -> dict[str, Any]:
    """Signals of one session (see module doc). Pure function of the events."""
    statements: list[dict[str, Any]] = []
    error_fixes: list[dict[str, Any]] = []
    tool_calls: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    facts: dict[str, dict[str, Any]] = {}
    calls_by_id: dict[str, dict[str, Any]] = {}
    shell_calls: list[dict[str, Any]] = []
    pending_subs: list[dict[str, Any]] = []
    session_id = agent = cwd = started = ""
    last_agent_call: dict[str, Any] | None = None
    agent_acted = False
    after_rejection = False
    task: dict[str, Any] | None = None
    n_events = 0

    for ev in events:
        n_events += 1
        session_id = session_id or ev.session_id
        agent = agent or ev.agent
        cwd = cwd or ev.cwd
        started = started or ev.timestamp
        if ev.kind == "tool_call":
            if ev.is_sidechain:
                continue
            cmd = command_of(ev.tool_input)
            is_shell = ev.tool_name in SHELL_TOOLS or bool(cmd and not file_of(ev.tool_input))
            target = cmd if is_shell else rel_path(file_of(ev.tool_input), ev.cwd or cwd)
            rec = {"tool": ev.tool_name, "input": _trim(ev.tool_input or {}), "uuid": ev.uuid,
                   "ts": ev.timestamp, "status": "", "target": target[:MAX_STR],
                   "shell": is_shell, "norm": normalize_command(cmd) if is_shell else ""}
            if len(tool_calls) < MAX_TOOL_CALLS:
                tool_calls.append(rec)
            if ev.tool_use_id:
                calls_by_id[ev.tool_use_id] = rec
            last_agent_call = rec
            agent_acted = True
            if is_shell and rec["norm"]:
                for st in pending_subs:
                    old = st.pop("_sub_from", "")
                    old_status = st.pop("_sub_status", "")
                    old_prog, new_prog = old.split(" ")[0], rec["norm"].split(" ")[0]
                    said = st.get("_message", "").lower()
                    named = re.search(rf"(?<![\w-]){re.escape(old_prog)}(?![\w-])", said) and \
                        re.search(rf"(?<![\w-]){re.escape(new_prog)}(?![\w-])", said)
                    same_args = old_status in ("rejected", "error") and old.split(" ")[1:] == rec["norm"].split(" ")[1:]
                    if old and old_prog != new_prog and (named or same_args):
                        st["keys"] = sorted(set(st["keys"]) | {f"sub:{old_prog}>{new_prog}", f"not:{old_prog}"})
                pending_subs.clear()
                shell_calls.append(rec)
                if task is not None:
                    task["steps"].append(rec)
        elif ev.kind == "tool_result":
            rec = calls_by_id.get(ev.tool_use_id)
            if rec is not None:
                rec["status"] = ev.status or "ok"
                if rec["shell"] and rec["status"] == "error":
                    rec["error"] = quote(ev.text, 160)
            if ev.status == "rejected":
                after_rejection = True
            if ev.trust in ("external", "tool") and ev.text and not ev.is_sidechain:
                st = _external_statement(ev)
                if st is not None and len([s for s in statements if s["kind"] == "external"]) < 5:
                    statements.append(st)
        elif ev.kind == "interruption":
            after_rejection = True
        elif ev.kind == "assistant_text":
            if not ev.is_sidechain and ev.text.strip():
                agent_acted = True
        elif ev.kind == "user_prompt" and ev.trust == "user" and not ev.is_sidechain:
            text = ev.text or ""
            is_correction = agent_acted and (after_rejection or bool(CORRECTION.search(text))
                                             or bool(USE.search(text)) or bool(REDIRECT.search(text)))
            found = _user_statements(ev, is_correction, last_agent_call if agent_acted else None)
            for st in found:
                if is_correction and last_agent_call and last_agent_call.get("shell"):
                    st["_sub_from"] = last_agent_call["norm"]
                    st["_sub_status"] = last_agent_call.get("status", "")
                    st["_message"] = text[:2000]
                    pending_subs.append(st)
            statements.extend(found)
            if not is_correction:
                task = {"prompt": quote(text, 160), "uuid": ev.uuid, "ts": ev.timestamp, "steps": [],
                        "corrected": False}
                tasks.append(task)
            elif task is not None:
                task["corrected"] = True
                task.setdefault("corrections", []).append(ev.uuid)
            agent_acted = False
            after_rejection = False
            last_agent_call = None

    for st in statements:
        for k in ("_sub_from", "_sub_status", "_message"):
            st.pop(k, None)
    # error -> fix pairs among shell calls
    for i, rec in enumerate(shell_calls):
        if rec.get("status") != "error" or not rec["norm"]:
            continue
        for nxt in shell_calls[i + 1: i + 5]:
            if nxt.get("status") == "ok" and nxt["norm"] and nxt["norm"] != rec["norm"] and _same_purpose(rec, nxt):
                error_fixes.append({"failed": rec["target"][:200], "failed_norm": rec["norm"],
                                    "fixed": nxt["target"][:200], "fixed_norm": nxt["norm"],
                                    "error": rec.get("error", ""), "uuid": rec["uuid"], "fix_uuid": nxt["uuid"],
                                    "ts": nxt["ts"]})
                break
    # environment facts confirmed by successful runs
    for rec in shell_calls:
        if rec.get("status") != "ok" or not rec["norm"]:
            continue
        for cat, value in _facts_of(rec["norm"]):
            facts.setdefault(f"{cat}:{value}", {"category": cat, "value": value, "uuid": rec["uuid"],
                                                "ts": rec["ts"]})
    # tasks as ordered procedures (shell steps, consecutive repeats collapsed)
    procs = []
    for t in tasks:
        steps: list[dict[str, Any]] = []
        for rec in t["steps"]:
            if not rec["norm"]:
                continue
            if steps and steps[-1]["norm"] == rec["norm"]:
                steps[-1] = {"norm": rec["norm"], "cmd": rec["target"][:160], "status": rec["status"], "uuid": rec["uuid"]}
                continue
            steps.append({"norm": rec["norm"], "cmd": rec["target"][:160], "status": rec["status"], "uuid": rec["uuid"]})
        if 4 <= len({s["norm"] for s in steps}) and len(steps) <= 25:
            procs.append({"prompt": t["prompt"], "uuid": t["uuid"], "ts": t["ts"], "steps": steps,
                          "corrected": t["corrected"]})

    return {
        "session_id": session_id, "agent": agent, "cwd": cwd, "started_at": started, "events": n_events,
        "statements": statements, "error_fixes": error_fixes, "procedures": procs,
        "facts": sorted(facts.values(), key=lambda f: (f["category"], f["value"])),
        "tool_calls": [{k: v for k, v in c.items() if k != "shell"} | {"shell": c["shell"]} for c in tool_calls],
    }


def _user_statements(ev: Event, is_correction: bool, prior: dict[str, Any] | None) -> list[dict[str, Any]]:
    text = ev.text or ""
    if len(text) > 4000 or text.lstrip().startswith(("<command-", "<local-command", "Caveat:", "[Request")):
        return []
    found = []
    for sentence in sentences(text)[:20]:
        if len(sentence) < 8 or len(sentence) > 400 or SMALL_TALK.match(sentence):
            continue
        cls = classify(sentence)
        if cls is None:
            continue
        polarity, strong = cls
        general = bool(GENERAL.search(sentence))
        temporal = bool(TEMPORAL.search(text))
        if not (is_correction or general or (temporal and strong) or polarity == "prefer"):
            continue
        line = imperative(sentence)
        if len(line) < 8:
            continue
        found.append({
            "kind": "correction" if is_correction else "request",
            "text": quote(sentence, 300), "line": line, "polarity": polarity, "strong": strong,
            "general": general, "temporal": temporal, "uuid": ev.uuid, "ts": ev.timestamp,
            "trust": ev.trust, "keys": _keys(sentence, text, polarity, is_correction, prior),
            "paths": mentioned_paths(sentence), "commands": BACKTICK.findall(sentence)[:4],
            "prior": ({"tool": prior["tool"], "target": prior["target"][:200], "status": prior["status"],
                       "uuid": prior["uuid"], "shell": prior["shell"]} if prior else None),
        })
    if not found and is_correction and 8 <= len(text) <= 200 and len(sentences(text)) > 1:
        whole = " ".join(text.split())  # "yarn please — not npm": the split hid the point
        cls = classify(whole)
        if cls is not None:
            found.append({
                "kind": "correction", "text": quote(whole, 300), "line": imperative(whole), "polarity": cls[0],
                "strong": cls[1], "general": bool(GENERAL.search(whole)), "temporal": bool(TEMPORAL.search(whole)),
                "uuid": ev.uuid, "ts": ev.timestamp, "trust": ev.trust,
                "keys": _keys(whole, text, cls[0], True, prior), "paths": mentioned_paths(whole),
                "commands": BACKTICK.findall(whole)[:4],
                "prior": ({"tool": prior["tool"], "target": prior["target"][:200], "status": prior["status"],
                           "uuid": prior["uuid"], "shell": prior["shell"]} if prior else None)})
    found.sort(key=lambda s: (not s["strong"], not s["general"]))
    return found[:2]


def _keys(sentence: str, message: str, polarity: str, is_correction: bool,
          prior: dict[str, Any] | None) -> list[str]:
    """Cluster keys: "use:X>Y"/"not:Y" pairs (from the whole message for corrections)
    and "forbid:<dir>" when a must-not follows an edit (the dir the edit touched)."""
    keys = set(statement_keys(message if is_correction else sentence, polarity))
    if polarity == "must_not" and prior and prior.get("tool") in EDIT_TOOLS and prior.get("target"):
        target = prior["target"].lstrip("./")
        named = [p.rstrip("/") for p in mentioned_paths(sentence) if target.startswith(p.rstrip("/") + "/")]
        folder = max(named, key=len) if named else target.rsplit("/", 1)[0] if "/" in target else target
        keys.add(f"forbid:{folder}")
    return sorted(keys)


def _external_statement(ev: Event) -> dict[str, Any] | None:
    """Instruction-like text inside tool/external content (prompt-injection candidates)."""
    text = ev.text[:20000]
    injection = bool(INJECTION.search(text))
    hidden = bool(HIDDEN.search(text))
    addressed = bool(AGENT_ADDRESS.search(text))
    if not injection and not hidden and not (ev.trust == "external" and addressed):
        return None
    picked = []
    for sentence in sentences(text):
        if len(sentence) > 600:
            continue
        directive = POS_STRONG.search(sentence) or NEG.search(sentence) or INJECTION.search(sentence)
        if directive and (injection or (hidden and (HIDDEN.search(sentence) or AGENT_ADDRESS.search(sentence)))):
            picked.append(sentence.strip("<!-> "))
        elif addressed and MEMORY_VERB.search(sentence) and not sentence.lstrip().startswith(("REMINDER", "IMPORTANT")):
            picked.append(sentence.strip("<!-> "))
        if len(picked) >= 4:
            break
    if not picked:
        return None
    body = " ".join(picked)
    body = re.sub(r"^(?:note to [\w\s]+?:|[\w\s]+ reading this:)\s*", "", body, flags=re.I)
    return {"kind": "external", "text": quote(" ".join(picked), 300), "line": imperative(body)[:600],
            "polarity": "must", "strong": True, "general": True, "temporal": False, "uuid": ev.uuid,
            "ts": ev.timestamp, "trust": ev.trust, "keys": [], "paths": [], "commands": BACKTICK.findall(body)[:4],
            "prior": None, "tool": ev.tool_name}


def _same_purpose(failed: dict[str, Any], fixed: dict[str, Any]) -> bool:
    a, b = failed["norm"].split(), fixed["norm"].split()
    if a[0] == b[0] and a[1:2] != b[1:2]:
        return bool(set(a[1:]) & set(b[1:])) or TEST_WORDS.search(failed["norm"]) is not None and \
            TEST_WORDS.search(fixed["norm"]) is not None
    if a[1:] and a[1:] == b[1:]:
        return True
    ta, tb = TEST_WORDS.search(failed["target"]), TEST_WORDS.search(fixed["target"])
    if ta and tb:
        return True
    return bool(BUILD_WORDS.search(failed["target"]) and BUILD_WORDS.search(fixed["target"]))


def _facts_of(norm: str) -> list[tuple[str, str]]:
    words = norm.split()
    out = []
    if words[0] in PACKAGE_MANAGERS and len(words) > 1 and words[1] in INSTALL_SUBS:
        out.append(("package_manager", words[0]))
    if TEST_WORDS.search(norm) and words[0] not in ("git", "cat", "ls", "grep", "rg", "find", "echo"):
        out.append(("test_command", norm))
    elif words[0] in PACKAGE_MANAGERS | {"make", "npx"} and BUILD_WORDS.search(norm):
        out.append(("build_command", norm))
    return out


def session_signals(session_id: str, content_hash: str, load_events, cache_get, cache_put) -> tuple[dict[str, Any], bool]:
    """Signals of one session from the cache, or extracted and cached. Returns (signals, cache_hit)."""
    key = f"{session_id}:{content_hash}:{SIGNALS_VERSION}"
    if content_hash:
        hit = cache_get(SIGNALS_NAMESPACE, key)
        if hit:
            return hit, True
    sig = extract(load_events(session_id))
    sig["session_id"] = sig["session_id"] or session_id
    if content_hash:
        cache_put(SIGNALS_NAMESPACE, key, sig)
    return sig, False
