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
from dataclasses import replace
from typing import Any

from reverie.dreamer.wording import imperative, quote, sentences, tokens
from reverie.store.models import Event

SIGNALS_NAMESPACE = "signals:v1"
SIGNALS_VERSION = 8
"""Bumped whenever extraction changes, so cached signals are recomputed."""

NEG = re.compile(
    r"\b(never|don'?t|do not|stop|no more|avoid|must not|mustn'?t|shouldn'?t|should not|not allowed|"
    r"leave [\w/.`-]+ alone|hands off)\b",
    re.I,
)
POS_STRONG = re.compile(
    r"\b(always|must|make sure|be sure|remember|from now on|going forward|every time|each time|"
    r"in (?:the )?future)\b",
    re.I,
)
PREF = re.compile(
    r"\b(i prefer|i'd prefer|i'd rather|i like|how i like|my preference|keep (?:\w+ ){0,3}"
    r"(?:short|small|simple|concise|brief|to (?:a|one)))",
    re.I,
)
USE = re.compile(
    r"\b(?:we use|we're using|use|it'?s|it is|we do)\s+[`'\"]?([\w.@+/-]+)[`'\"]?[^.;!?]*?"
    r"\b(?:not|instead of|rather than)\s+[`'\"]?([\w.@+-]+)",
    re.I,
)
NOT_WORD = re.compile(
    r"\b(?:not|no|never|instead of|rather than|never use|don'?t use|stop using)\s+[`'\"]?([a-z][\w.+-]*)", re.I
)
VERBS = frozenset(
    [
        "edit",
        "touch",
        "change",
        "modify",
        "run",
        "use",
        "push",
        "commit",
        "delete",
        "remove",
        "add",
        "create",
        "write",
        "make",
        "do",
        "call",
        "put",
        "skip",
        "ask",
        "be",
        "have",
        "go",
        "let",
        "try",
        "mix",
        "break",
        "rename",
        "move",
        "format",
        "install",
    ]
)
GENERAL = re.compile(
    r"\b(always|never|from now on|going forward|every time|each time|this (?:repo|project|codebase)|"
    r"in (?:the )?future|we use|we're using|i prefer|how i like|by default|remember|"
    r"any ?more|again|not allowed|before (?:every|each|any)|like pep|like the rest)\b|\b(?:in )?here(?:[,.!]|$)",
    re.I,
)
TEMPORAL = re.compile(
    r"\b(for now|today|tonight|temporar(?:y|ily)|this time|just this once|for the moment|right now|"
    r"quick hack|as a workaround|(?:until|till) (?:\w+ ){0,3}(?:fixed|back|up|resolved|merged|tomorrow|monday|"
    r"next week)|yet|this once|for this (?:pr|branch|release|one)|rn)\b",
    re.I,
)
CORRECTION = re.compile(
    r"^\W*(no\b|nope|wrong|stop|don'?t|do not|never|again|actually|not that|instead|undo|revert|"
    r"why did you|that'?s (?:wrong|not)|thats (?:wrong|not)|please don'?t|pls don'?t|hands off|leave [\w/.`-]+ alone)|"
    r"\b(?:you|u) (?:forgot|skipped|missed|changed|edited|deleted|removed|broke|touched|used|ran|did|pushed|"
    r"committed|installed)\b|\bagain\b|\bwe don'?t do that\b",
    re.I,
)
REDIRECT = re.compile(r"\b(instead|not like that|rather than)\b|,\s*not\s+\w+", re.I)
IMPERATIVE_START = re.compile(
    r"^\W*(?:(?:please|pls|plz)\s+(?:to\s+)?)?(use|run|keep|put|indent|write|prefer|add|call|name|place|commit|"
    r"format|test|check|ask|avoid|skip|make|create|open|wait|branch|rebase|pull|push|import|export|install|"
    r"update|bump|stick|go|wrap|move|rename|return|log|pin|lint|type|sort|split|document)\b",
    re.I,
)
LEAD_IN = re.compile(
    r"^\W*(?:(?:no+|nope|nah|wrong|ugh+|argh|hmm+|wait|again|seriously|come on|sorry|ok(?:ay)?|"
    r"actually|that'?s (?:wrong|not (?:it|right|what i (?:asked|wanted)))|"
    r"not like that|i (?:told|said)(?: you)?|as i said|like i said)\s*[,.!?:;\u2014\u2013-]+\s*)+",
    re.I,
)
"""Interjections a correction opens with ("nope.", "ugh, again?", "that's wrong,"): not part of the lesson."""
TEXT_SPEAK = [
    (re.compile(r"\bu\b"), "you"),
    (re.compile(r"\bur\b"), "your"),
    (re.compile(r"\b(?:pls|plz)\b"), "please"),
    (re.compile(r"\bdont\b"), "don't"),
    (re.compile(r"\bcant\b"), "can't"),
    (re.compile(r"\bits\b"), "it's"),
    (re.compile(r"\bthats\b"), "that's"),
    (re.compile(r"\bim\b"), "I'm"),
    (re.compile(r"\brn\b"), "right now"),
]
"""Chat shorthand normalised before classification, so "u forgot" reads like "you forgot"."""
CREDENTIAL = re.compile(
    r"\b(password|passwd|passphrase|token|api[ _-]?key|secret|credentials?|private key|access key)s?\b[^.\n]{0,30}?"
    r"(?:\bis\b|\bare\b|[:=]|\bwith\b|\buse\b)\s*\S{6,}|(?:use|with) (?:this|the|my) (?:\w+ ){0,3}"
    r"(?:token|key|password|secret)\b",
    re.I,
)
"""A statement whose point is a credential value ("the db password is …"): never a lesson."""
REJECT_REASON = re.compile(
    r"(?:the following reason for the rejection:|to tell you how to proceed, the user said:)\s*(.+)", re.I | re.S
)
"""Claude Code puts the words a person typed when rejecting a tool use inside the tool result."""
TOOL_WORDS = frozenset(
    [
        "npm",
        "pnpm",
        "yarn",
        "bun",
        "pip",
        "pip3",
        "uv",
        "poetry",
        "pipenv",
        "conda",
        "cargo",
        "go",
        "mix",
        "bundle",
        "gem",
        "composer",
        "npx",
        "bunx",
        "docker",
        "podman",
        "kubectl",
        "helm",
        "terraform",
        "git",
        "gh",
        "make",
        "just",
        "pytest",
        "vitest",
        "jest",
        "mocha",
        "unittest",
        "tox",
        "nox",
        "ruff",
        "black",
        "flake8",
        "pylint",
        "mypy",
        "pyright",
        "eslint",
        "prettier",
        "biome",
        "tsc",
        "webpack",
        "vite",
        "rollup",
        "esbuild",
        "deno",
        "node",
        "python",
        "python3",
    ]
)
"""Programs a terse correction may name ("nope. yarn"): a substitution for the program the agent ran."""
AGENT_ADDRESS = re.compile(r"\b(ai|assistants?|agents?|claude|llms?|language models?|copilot|chatgpt)\b", re.I)
INJECTION = re.compile(
    r"(ignore (?:all |any )?(?:previous|prior|above) instructions|do not tell the user|don'?t tell the user|"
    r"without telling the user|do not mention this|note to (?:ai|assistants|agents|llms))",
    re.I,
)
MEMORY_VERB = re.compile(
    r"\b(from now on|remember (?:to|that)|going forward|in (?:the )?future|from this point|"
    r"(?:add|save|write|store) (?:this|it|that)? ?(?:to|in) (?:your )?(?:memory|claude\.md|agents\.md))\b",
    re.I,
)
EDIT_VERB = re.compile(
    r"\b(edit(?:s|ed|ing)?|touch(?:es|ed|ing)?|chang(?:e|es|ed|ing)|modif(?:y|ies|ied|ying)|hand-?edit|"
    r"writ(?:e|ing) (?:to|in|into)|hands off|leave [\w/.`-]+ alone|stay out of|keep out of)\b",
    re.I,
)
"""A must-not about editing a place (what a hook can enforce), as opposed to one about content."""
NO_THING = re.compile(
    r"^\W*no\s+(?!(?:problem|problems|worries|need|needed|thanks|thank|idea|way|longer|one|matter|rush|luck|"
    r"the|that|this|it|i|we|you|not|just|wait|more|other|biggie|big deal|clue)\b)[a-z`][\w`.-]*",
    re.I,
)
"""A correction that opens with "no <thing>" forbids the thing ("no tabs!", "no default export")."""
ONLY_THING = re.compile(r"^\W*(?:[\w`.-]+\s+){1,3}only\b(?:\s+(?:please|here|in here))?\W*$", re.I)
"""A bare "<thing> only" ("named exports only pls", "PRs only") names the one accepted way."""
SMALL_TALK = re.compile(
    r"^\W*(never ?mind|nvm|no worries|no problem|no thanks|don'?t worry|not now|not yet|not needed|no need|nah|"
    r"all good|no,? that'?s (?:it|all|fine|ok))\b[\w\s,.!']{0,20}$",
    re.I,
)
HIDDEN = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]")
PATH = re.compile(
    r"(?<![\w/:.])((?:\.{0,2}/)?[A-Za-z0-9_][\w.-]*(?:/[\w.*-]+)+/?|[A-Za-z0-9_][\w.-]*/(?=[\s,.;:!?)]|$)|[\w-]+\.(?:py|ts|tsx|js|jsx|sql|md|json|"
    r"ya?ml|toml|rs|go|ex|exs|rb|sh|css|html|lock|cfg|ini|txt))(?![\w/])"
)
BACKTICK = re.compile(r"`([^`\n]{2,160})`")

PACKAGE_MANAGERS = {
    "npm",
    "pnpm",
    "yarn",
    "bun",
    "pip",
    "pip3",
    "uv",
    "poetry",
    "cargo",
    "go",
    "mix",
    "bundle",
    "gem",
    "composer",
    "pipenv",
    "conda",
}
INSTALL_SUBS = {"install", "i", "add", "sync", "get", "deps.get", "ci", "update", "remove"}
TEST_WORDS = re.compile(r"\b(test|tests|pytest|vitest|jest|rspec|mocha|tox|nox|phpunit|ctest|check)\b")
FACT_TEST_WORDS = re.compile(r"\b(test|tests|pytest|vitest|jest|rspec|mocha|tox|nox|phpunit|ctest)\b")
GONE_ERROR = re.compile(
    r"(no rule to make target|command not found|missing script|unknown command|not a (?:git )?command|"
    r"no such file or directory|is not recognized as|unknown (?:sub)?command|could not find (?:command|task)|"
    r"no such command|task .{0,40} not found|script .{0,40} not found)",
    re.I,
)
"""Errors saying a command or script no longer exists: whatever the agent ran next instead replaced it."""
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
        return path[len(cwd.rstrip("/")) + 1 :]
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
        if "://" in text[max(0, m.start() - 12) : m.start() + 3] or p.startswith(("http", "www.")):
            continue
        if p.count("/") == 1 and p.endswith("/") is False and "." not in p.rsplit("/", 1)[-1] and len(p) < 6:
            continue  # "and/or", "i/o"
        out.append(p.lstrip("./") if p.startswith("./") else p)
    return out[:6]


def core(sentence: str) -> str:
    """The sentence without chat shorthand and correction lead-ins ("nope, use yarn" -> "use yarn")."""
    out = sentence
    for pattern, repl in TEXT_SPEAK:
        out = pattern.sub(repl, out)
    stripped = LEAD_IN.sub("", out).strip()
    return stripped if len(stripped) >= 3 else out.strip()


def classify(sentence: str) -> tuple[str, bool] | None:
    """(polarity, strong) of a directive sentence, or None when it is not one."""
    sentence = core(sentence)
    if sentence.rstrip().endswith("?") and not re.search(r"\b(never|always|don'?t|do not)\b", sentence, re.I):
        return None
    if PREF.search(sentence):
        return "prefer", False
    if USE.search(sentence):
        return "use", bool(POS_STRONG.search(sentence))
    if NEG.search(sentence) or NO_THING.search(sentence):
        return "must_not", True
    if POS_STRONG.search(sentence):
        return "must", True
    if IMPERATIVE_START.search(sentence):
        return "must", False
    if ONLY_THING.search(sentence):
        return "use", False
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
        if (
            word
            and word not in VERBS
            and word
            not in (
                "the",
                "a",
                "an",
                "to",
                "just",
                "that",
                "this",
                "it",
                "so",
                "only",
                "more",
                "one",
                "need",
                "longer",
                "way",
                "worries",
            )
        ):
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

    def handle_user(ev: Event, rejected: dict[str, Any] | None) -> None:
        """A person's words: a correction (after an agent action, or as the reason of a rejection) or a new task."""
        nonlocal task
        text = ev.text or ""
        norm_text = core(text)
        prior = rejected or (last_agent_call if agent_acted else None)
        is_correction = rejected is not None or (
            agent_acted
            and (
                after_rejection
                or bool(CORRECTION.search(text))
                or bool(CORRECTION.search(norm_text))
                or bool(USE.search(text))
                or bool(REDIRECT.search(text))
            )
        )
        found = _user_statements(ev, is_correction, prior)
        for st in found:
            if is_correction and prior and prior.get("shell"):
                st["_sub_from"] = prior["norm"]
                st["_sub_status"] = prior.get("status", "")
                st["_message"] = text[:2000]
                pending_subs.append(st)
        statements.extend(found)
        if not is_correction:
            task = {"prompt": quote(text, 160), "uuid": ev.uuid, "ts": ev.timestamp, "steps": [], "corrected": False}
            tasks.append(task)
        elif task is not None:
            task["corrected"] = True
            task.setdefault("corrections", []).append(ev.uuid)

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
            rec = {
                "tool": ev.tool_name,
                "input": _trim(ev.tool_input or {}),
                "uuid": ev.uuid,
                "ts": ev.timestamp,
                "status": "",
                "target": target[:MAX_STR],
                "shell": is_shell,
                "norm": normalize_command(cmd) if is_shell else "",
            }
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
                    new_named = re.search(rf"(?<![\w-]){re.escape(new_prog)}(?![\w-])", said)
                    named = new_named and (
                        re.search(rf"(?<![\w-]){re.escape(old_prog)}(?![\w-])", said)
                        or _same_family(old_prog, new_prog)
                    )
                    same_args = old_status in ("rejected", "error") and old.split(" ")[1:] == rec["norm"].split(" ")[1:]
                    if old and old_prog != new_prog and (named or same_args):
                        st["keys"] = sorted(set(st["keys"]) | {f"sub:{old_prog}>{new_prog}", f"not:{old_prog}"})
                pending_subs.clear()
                shell_calls.append(rec)
                if task is not None:
                    task["steps"].append(rec)
        elif ev.kind == "tool_result":
            called = calls_by_id.get(ev.tool_use_id)
            if called is not None:
                called["status"] = ev.status or "ok"
                if called["shell"] and called["status"] == "error":
                    called["error"] = quote(ev.text, 160)
            if ev.status == "rejected":
                after_rejection = True
                reason = _rejection_reason(ev)
                if reason:
                    said = replace(ev, kind="user_prompt", trust="user", text=reason, tool_name="", tool_input=None)
                    handle_user(said, called)
                    agent_acted = True  # the rejected call was the agent acting; what follows may correct it
            if ev.trust in ("external", "tool") and ev.text and not ev.is_sidechain:
                external = _external_statement(ev)
                if external is not None and len([s for s in statements if s["kind"] == "external"]) < 5:
                    statements.append(external)
        elif ev.kind == "interruption":
            after_rejection = True
        elif ev.kind == "assistant_text":
            if not ev.is_sidechain and ev.text.strip():
                agent_acted = True
        elif ev.kind == "user_prompt" and ev.trust == "user" and not ev.is_sidechain:
            handle_user(ev, None)
            agent_acted = False
            after_rejection = False
            last_agent_call = None

    for st in statements:
        for scratch in ("_sub_from", "_sub_status", "_message"):
            st.pop(scratch, None)
    # error -> fix pairs among shell calls
    for i, rec in enumerate(shell_calls):
        if rec.get("status") != "error" or not rec["norm"]:
            continue
        gone = bool(GONE_ERROR.search(rec.get("error", "")))
        for k, nxt in enumerate(shell_calls[i + 1 : i + 5]):
            if (
                nxt.get("status") == "ok"
                and nxt["norm"]
                and nxt["norm"] != rec["norm"]
                and (_same_purpose(rec, nxt) or (gone and k == 0))
            ):
                error_fixes.append(
                    {
                        "failed": rec["target"][:200],
                        "failed_norm": rec["norm"],
                        "fixed": nxt["target"][:200],
                        "fixed_norm": nxt["norm"],
                        "error": rec.get("error", ""),
                        "uuid": rec["uuid"],
                        "fix_uuid": nxt["uuid"],
                        "ts": nxt["ts"],
                    }
                )
                break
    # environment facts confirmed by successful runs
    for rec in shell_calls:
        if rec.get("status") != "ok" or not rec["norm"]:
            continue
        for cat, value in _facts_of(rec["norm"]):
            facts.setdefault(f"{cat}:{value}", {"category": cat, "value": value, "uuid": rec["uuid"], "ts": rec["ts"]})
    # tasks as ordered procedures (shell steps, consecutive repeats collapsed)
    procs = []
    for t in tasks:
        steps: list[dict[str, Any]] = []
        for rec in t["steps"]:
            if not rec["norm"]:
                continue
            if steps and steps[-1]["norm"] == rec["norm"]:
                steps[-1] = {
                    "norm": rec["norm"],
                    "cmd": rec["target"][:160],
                    "status": rec["status"],
                    "uuid": rec["uuid"],
                }
                continue
            steps.append(
                {"norm": rec["norm"], "cmd": rec["target"][:160], "status": rec["status"], "uuid": rec["uuid"]}
            )
        if len({s["norm"] for s in steps}) >= 4 and len(steps) <= 25:
            procs.append(
                {"prompt": t["prompt"], "uuid": t["uuid"], "ts": t["ts"], "steps": steps, "corrected": t["corrected"]}
            )

    return {
        "session_id": session_id,
        "agent": agent,
        "cwd": cwd,
        "started_at": started,
        "events": n_events,
        "statements": statements,
        "error_fixes": error_fixes,
        "procedures": procs,
        "facts": sorted(facts.values(), key=lambda f: (f["category"], f["value"])),
        "tool_calls": [{k: v for k, v in c.items() if k != "shell"} | {"shell": c["shell"]} for c in tool_calls],
    }


ACCUSATION = re.compile(
    r"^\W*(?:again,?\s+)?(?:you|u)\s+(pushed|push|edited|edit|touched|touch|changed|change|committed|commit|deleted|"
    r"delete|removed|remove|used|use|ran|run|added|add|installed|install|modified|modify)\s+(.{3,120}?)"
    r"(?:\s+again)?\s*[!.?]*$",
    re.I,
)
_BASE_VERB = {
    "pushed": "push",
    "edited": "edit",
    "touched": "touch",
    "changed": "change",
    "committed": "commit",
    "deleted": "delete",
    "removed": "remove",
    "used": "use",
    "ran": "run",
    "added": "add",
    "installed": "install",
    "modified": "modify",
}
FAMILIES = [
    frozenset(f.split())
    for f in (
        "npm pnpm yarn bun npx bunx",
        "pip pip3 uv poetry pipenv conda python python3",
        "pytest unittest tox nox vitest jest mocha",
        "docker podman",
        "ruff black flake8 pylint eslint prettier biome",
        "mypy pyright tsc",
        "webpack vite rollup esbuild",
    )
]


def _same_family(a: str, b: str) -> bool:
    return a != b and any(a in f and b in f for f in FAMILIES)


def _rejection_reason(ev: Event) -> str:
    """The words a person typed when rejecting a tool use (Claude Code keeps them in the result)."""
    if ev.trust != "tool" or ev.is_sidechain:
        return ""  # web/MCP/subagent output could imitate the wording; only our own tools' results count
    head = (ev.text or "")[:3000]
    if not head.startswith(("The user doesn't want", "The user does not want")):
        return ""
    m = REJECT_REASON.search(head)
    return m.group(1).strip() if m else ""


def _prior_view(prior: dict[str, Any] | None) -> dict[str, Any] | None:
    if not prior:
        return None
    return {
        "tool": prior["tool"],
        "target": prior["target"][:200],
        "status": prior["status"],
        "uuid": prior["uuid"],
        "shell": prior["shell"],
    }


def _concrete(sentence: str) -> bool:
    """A lesson must name something: two content words, a program, a path or a command."""
    toks = tokens(sentence)
    return (
        len(toks) >= 2 or bool(toks & TOOL_WORDS) or bool(BACKTICK.search(sentence)) or bool(mentioned_paths(sentence))
    )


def _user_statements(ev: Event, is_correction: bool, prior: dict[str, Any] | None) -> list[dict[str, Any]]:
    text = ev.text or ""
    if len(text) > 4000 or text.lstrip().startswith(("<command-", "<local-command", "Caveat:", "[Request")):
        return []
    found = []

    def add(sentence: str, line: str, polarity: str, strong: bool, keys: list[str] | None = None) -> None:
        found.append(
            {
                "kind": "correction" if is_correction else "request",
                "text": quote(sentence, 300),
                "line": line,
                "polarity": polarity,
                "strong": strong,
                "general": bool(GENERAL.search(sentence)),
                "temporal": bool(TEMPORAL.search(text)),
                "uuid": ev.uuid,
                "ts": ev.timestamp,
                "trust": ev.trust,
                "keys": sorted(set(_keys(sentence, text, polarity, is_correction, prior)) | set(keys or ())),
                "paths": mentioned_paths(sentence),
                "commands": BACKTICK.findall(sentence)[:4],
                "prior": _prior_view(prior),
            }
        )

    for sentence in sentences(text)[:20]:
        if len(sentence) < 5 or len(sentence) > 400 or SMALL_TALK.match(sentence) or SMALL_TALK.match(core(sentence)):
            continue
        if CREDENTIAL.search(sentence) or "[REDACTED:" in sentence:
            continue  # its point is a credential: nothing durable to keep
        cls = classify(sentence)
        accused = ACCUSATION.match(core(sentence)) if is_correction and cls is None else None
        if accused is not None:
            verb = accused.group(1).lower()
            add(sentence, f"Do not {_BASE_VERB.get(verb, verb)} {accused.group(2).strip()}.", "must_not", True)
            continue
        if cls is None or not _concrete(core(sentence)):
            continue
        polarity, strong = cls
        general = bool(GENERAL.search(sentence))
        temporal = bool(TEMPORAL.search(text))
        if not (is_correction or general or (temporal and strong) or polarity == "prefer"):
            continue
        line = imperative(core(sentence))
        no_thing = NO_THING.match(core(sentence))
        if no_thing and not line.lower().startswith("no "):  # imperative() drops a leading "no"
            line = "No " + line[0].lower() + line[1:]
        if len(line) < 8:
            continue
        add(sentence, line, polarity, strong)
    if (
        not found
        and is_correction
        and 8 <= len(text) <= 200
        and len(sentences(text)) > 1
        and not CREDENTIAL.search(text)
    ):
        whole = " ".join(text.split())  # "yarn please — not npm": the split hid the point
        cls = classify(whole)
        if cls is not None:
            add(whole, imperative(core(whole)), cls[0], cls[1])
    if not found and is_correction and prior and prior.get("shell") and len(text) <= 200:
        # "nope. yarn": a terse correction naming the program to run instead of the one the agent ran
        old = (prior.get("norm") or normalize_command(prior.get("target", ""))).split(" ")[0]
        named = [w for w in dict.fromkeys(re.findall(r"[a-z][\w.+-]*", core(text).lower())) if _same_family(old, w)]
        if len(named) == 1:
            new = named[0]
            add(
                " ".join(text.split()),
                f"Use {new}, not {old}.",
                "use",
                False,
                [f"use:{new}>{old}", f"not:{old}", f"sub:{old}>{new}"],
            )
    found.sort(key=lambda s: (not s["strong"], not s["general"]))
    return found[:2]


def _keys(sentence: str, message: str, polarity: str, is_correction: bool, prior: dict[str, Any] | None) -> list[str]:
    """Cluster keys: "use:X>Y"/"not:Y" pairs (from the whole message for corrections)
    and "forbid:<dir>" when a must-not follows an edit (the dir the edit touched)."""
    keys = set(statement_keys(message if is_correction else sentence, polarity))
    if is_correction and prior and prior.get("shell") and polarity in ("use", "must"):
        old = (prior.get("norm") or normalize_command(prior.get("target", ""))).split(" ")[0]
        low = core(message).lower()
        named = [w for w in dict.fromkeys(re.findall(r"[a-z][\w.+-]*", low)) if _same_family(old, w)]
        if len(named) == 1 and not re.search(rf"\b(?:use|run)\s+{re.escape(old)}\b", low):
            keys |= {f"use:{named[0]}>{old}", f"not:{old}"}
    if (
        polarity == "must_not"
        and prior
        and prior.get("tool") in EDIT_TOOLS
        and prior.get("target")
        and (
            EDIT_VERB.search(sentence)
            or any(prior["target"].lstrip("./").startswith(p.rstrip("/")) for p in mentioned_paths(sentence))
        )
    ):
        # about editing that place ("stop touching vendor/"), not about what was written ("no default export")
        target = prior["target"].lstrip("./")
        said = mentioned_paths(sentence) + [p for p in mentioned_paths(message) if p not in mentioned_paths(sentence)]
        exact = [p for p in said if p.rstrip("/") == target and not p.endswith("/")]
        named = [p.rstrip("/") for p in said if target.startswith(p.rstrip("/") + "/")]
        # the file itself when the person named it ("never edit web/yarn.lock"), else the folder they named,
        # else the folder of the file the agent edited
        folder = (
            exact[0]
            if exact
            else max(named, key=len)
            if named
            else target.rsplit("/", 1)[0]
            if "/" in target
            else target
        )
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
    if not injection and not hidden and (ev.tool_name in ("Task", "Agent") or ev.is_sidechain):
        return None  # our own subagent's report echoing its brief is not an outside instruction
    picked = []
    for sentence in sentences(text):
        if len(sentence) > 600:
            continue
        directive = POS_STRONG.search(sentence) or NEG.search(sentence) or INJECTION.search(sentence)
        if (directive and (injection or (hidden and (HIDDEN.search(sentence) or AGENT_ADDRESS.search(sentence))))) or (
            addressed and MEMORY_VERB.search(sentence) and not sentence.lstrip().startswith(("REMINDER", "IMPORTANT"))
        ):
            picked.append(sentence.strip("<!-> "))
        if len(picked) >= 4:
            break
    if not picked:
        return None
    body = " ".join(picked)
    body = re.sub(r"^(?:note to [\w\s]+?:|[\w\s]+ reading this:)\s*", "", body, flags=re.I)
    return {
        "kind": "external",
        "text": quote(" ".join(picked), 300),
        "line": imperative(body)[:600],
        "polarity": "must",
        "strong": True,
        "general": True,
        "temporal": False,
        "uuid": ev.uuid,
        "ts": ev.timestamp,
        "trust": ev.trust,
        "keys": [],
        "paths": [],
        "commands": BACKTICK.findall(body)[:4],
        "prior": None,
        "tool": ev.tool_name,
    }


def _same_purpose(failed: dict[str, Any], fixed: dict[str, Any]) -> bool:
    a, b = failed["norm"].split(), fixed["norm"].split()
    if a[0] == b[0] and a[1:2] != b[1:2]:
        return bool(set(a[1:]) & set(b[1:])) or (
            TEST_WORDS.search(failed["norm"]) is not None and TEST_WORDS.search(fixed["norm"]) is not None
        )
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
    if FACT_TEST_WORDS.search(norm) and words[0] not in ("git", "cat", "ls", "grep", "rg", "find", "echo"):
        out.append(("test_command", norm))
    elif words[0] in PACKAGE_MANAGERS | {"make", "npx"} and BUILD_WORDS.search(norm):
        out.append(("build_command", norm))
    return out


def session_signals(
    session_id: str, content_hash: str, load_events, cache_get, cache_put
) -> tuple[dict[str, Any], bool]:
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
