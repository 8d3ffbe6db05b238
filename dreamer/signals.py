"""Per-session signals: what one session says about how the agent should behave.

Why: signal extraction is the expensive part of a dream and depends only on
one session's events, so it is computed once per session content hash and
cached (namespace ``signals:v1``, keyed with `SIGNALS_VERSION`); an unchanged
session costs one cache read. The result is a typed `model.SessionSignals`.

The walk keeps track of what the agent just did (a rejected or interrupted
call, a failed command, an edit, a command, a reply) so each person's turn
becomes a `Moment` with its place; `turns.classify_turn` says what the turn is,
`statements.read_turn` reads the durable statements out of lesson turns (and
out of standing rules said in passing). Besides statements: instruction-like
text arriving through tool or external content (kept so critics can block it),
failed commands and what fixed them, the session's tasks as ordered command
lists (procedures), environment facts confirmed by successful runs, and a
compact list of tool calls (for hook violations and replay).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any

from reverie.dreamer.commands import (
    GONE_ERROR,
    SHELL_TOOLS,
    chain,
    command_of,
    display_command,
    error_line,
    facts_of,
    failing_part,
    file_of,
    is_test_run,
    looks_around,
    normalize_command,
    program,
    rel_path,
    same_family,
    same_purpose,
    tool_of,
)
from reverie.dreamer.learned import learned_line
from reverie.dreamer.lexicon import CORRECTION, CREDENTIAL, REDIRECT, TEMPORAL, USE
from reverie.dreamer.model import Call, Fact, Failure, Key, Moment, Procedure, SessionSignals, Statement, Step, trust_of
from reverie.dreamer.recorded import note_place, noted_lesson, written_notes
from reverie.dreamer.shortcuts import QUESTION_TOOLS, answer_lesson, answers
from reverie.dreamer.statements import (
    addressed,
    classify,
    core,
    external_statement,
    lesson_problem,
    read_turn,
    rejection_reason,
)
from reverie.dreamer.turns import LESSON_KINDS, STANDING, TASK_KINDS, classify_turn
from reverie.dreamer.wording import has_word, quote
from reverie.store.models import Event

SIGNALS_NAMESPACE = "signals:v1"
SIGNALS_VERSION = 20
"""Bumped whenever extraction changes, so cached signals are recomputed."""

MAX_TOOL_CALLS = 4000
MAX_STR = 400
MAX_MOMENTS = 400
_RANK = {"start": 0, "reply": 1, "command": 2, "edit": 3, "error": 4, "interrupt": 5, "rejection": 6}
"""What the agent did since the person last spoke, most telling wins (a rejection says more than a reply)."""
_EDITING = frozenset({"Edit", "Write", "MultiEdit", "NotebookEdit", "apply_patch", "write_file", "replace", "edit"})


def _trim(obj: Any) -> Any:
    """Tool input kept for replay: long strings cut (keys a hook reads are short)."""
    if isinstance(obj, str):
        return obj if len(obj) <= MAX_STR else obj[:MAX_STR]
    if isinstance(obj, dict):
        return {str(k): _trim(v) for k, v in list(obj.items())[:30]}
    if isinstance(obj, list):
        return [_trim(v) for v in obj[:30]]
    return obj


class _Walk:
    """State of one pass over a session's events."""

    def __init__(self) -> None:
        self.sig = SessionSignals(session_id="")
        self.calls_by_id: dict[str, Call] = {}
        self.shell_calls: list[Call] = []
        self.tasks: list[dict[str, Any]] = []
        self.task: dict[str, Any] | None = None
        self.pending_subs: list[tuple[Statement, Call, str]] = []
        self.recording: tuple[Event, Moment] | None = None
        """A person's request to record a lesson, waiting for the note the agent writes (`recorded`)."""
        self.read_outside: str = ""
        """The web/MCP content the agent read since that request (its tool), if any: a note written after it
        may carry that page's instructions, so it is not taken as the person's lesson."""
        self.replacing: tuple[Event, Call, Moment] | None = None
        """A person's turn right after a rejected command, waiting for the command that replaced it."""
        self.last_call: Call | None = None
        self.last_failed: Call | None = None
        """The last shell command that failed since the person last spoke (what a fact was learned from)."""
        self.after = "start"
        self.externals = 0

    def acted(self, what: str) -> None:
        if _RANK[what] > _RANK[self.after]:
            self.after = what

    # --- events -----------------------------------------------------------------------

    def call(self, ev: Event, cwd: str) -> None:
        cmd = command_of(ev.tool_input)
        is_shell = ev.tool_name in SHELL_TOOLS or bool(cmd and not file_of(ev.tool_input))
        target = cmd if is_shell else rel_path(file_of(ev.tool_input), ev.cwd or cwd)
        rec = Call(
            tool=ev.tool_name,
            target=target[:MAX_STR],
            uuid=ev.uuid,
            ts=ev.timestamp,
            shell=is_shell,
            norm=normalize_command(cmd) if is_shell else "",
            input=_trim(ev.tool_input or {}),
        )
        if len(self.sig.tool_calls) < MAX_TOOL_CALLS:
            self.sig.tool_calls.append(rec)
        if ev.tool_use_id:
            self.calls_by_id[ev.tool_use_id] = rec
        self.last_call = rec
        if self.recording is not None and ev.tool_name in _EDITING:
            self._noted(ev, rec, cwd)
        self.acted("edit" if ev.tool_name in _EDITING else "command" if is_shell else "reply")
        if is_shell and rec.norm:
            self._resolve_swaps(rec)
            self.shell_calls.append(rec)
            if self.task is not None:
                self.task["steps"].append(rec)

    def _resolve_swaps(self, rec: Call) -> None:
        """A correction after a shell call, then another program run: the person swapped the tool."""
        for st, old_call, said in self.pending_subs:
            old_prog, new_prog = tool_of(old_call.norm), tool_of(rec.norm)
            named = has_word(said, new_prog) and (has_word(said, old_prog) or same_family(old_prog, new_prog))
            same_args = old_call.status in ("rejected", "error") and old_call.norm.split()[1:] == rec.norm.split()[1:]
            if old_call.norm and old_prog != new_prog and (named or same_args):
                st.keys = st.keys | {Key.swap(old_prog, new_prog), Key.reject(old_prog)}
                st.then = display_command(rec.target)[:200]
        self.pending_subs.clear()

    def result(self, ev: Event) -> None:
        called = self.calls_by_id.get(ev.tool_use_id)
        if called is not None:
            called.status = ev.status or "ok"
            if called.tool in QUESTION_TOOLS and ev.trust == "tool" and not ev.is_sidechain and called.status == "ok":
                self.answered(ev, called)
            if called.shell and called.status == "error":
                called.error = quote(error_line(ev.text or ""), 200)
            if self.replacing is not None and called.shell and called.status == "ok":
                self._replaced(called)
        if ev.status == "error" and called is not None and called.shell:
            self.acted("error")
            self.last_failed = called
        if ev.status == "rejected":
            self.acted("rejection")
            reason = rejection_reason(ev)
            if reason:
                said = replace(ev, kind="user_prompt", trust="user", text=reason, tool_name="", tool_input=None)
                self.person(said, rejected=called)
                self.after = "rejection"  # what follows may correct it too
        if self.recording is not None and ev.trust == "external" and not self.read_outside:
            self.read_outside = (called.tool if called is not None else "") or "a web page"
        if ev.trust in ("external", "tool") and ev.text and not ev.is_sidechain and self.externals < 5:
            external = external_statement(ev)
            if external is not None:
                self.sig.statements.append(external)
                self.externals += 1

    def answered(self, ev: Event, asked: Call) -> None:
        """The person's answers to the agent's own question: a moment each result; a lesson only when an answer
        refuses an offered way around a check (`shortcuts`), else a choice for this task."""
        got = answers(asked.input, ev.text or "")
        if not got:
            return
        found = []
        for a in got:
            line = answer_lesson(a)
            if line is None or lesson_problem(line) or CREDENTIAL.search(a.answer):
                continue
            found.append(
                Statement(
                    kind="correction",
                    text=quote(a.answer, 300),
                    line=line,
                    polarity="must_not",
                    strong=True,
                    general=True,
                    temporal=bool(TEMPORAL.search(a.answer)),
                    uuid=ev.uuid,
                    ts=ev.timestamp,
                    trust="user",  # the person's own answer, returned by our own tool (never a sidechain's)
                    turn="answer",
                    session_id=self.sig.session_id,
                    basis="refused_shortcut",
                    after="question",
                )
            )
        self.sig.statements.extend(found[:2])
        if found:
            decision, why = "candidate", "an answer that refuses the offered way around a check"
        else:
            decision, why = "dropped", "answer: a choice the person made for this task (no shortcut refused)"
        if len(self.sig.moments) < MAX_MOMENTS:
            text = quote(" / ".join(a.answer for a in got), 240)
            self.sig.moments.append(Moment(ev.uuid, ev.timestamp, text, "question", "answer", None, decision, why))

    def person(self, ev: Event, rejected: Call | None = None) -> None:
        """A person's words: a moment, maybe statements, maybe the start of a new task."""
        text = ev.text or ""
        after = "rejection" if rejected is not None else self.after
        prior = rejected or (self.last_call if after != "start" else None)
        turn = classify_turn(text, after)
        agent_acted = after != "start"
        is_correction = (
            rejected is not None
            or turn.kind == "correction"
            or (agent_acted and turn.kind in LESSON_KINDS)
            or (
                agent_acted
                and (
                    after in ("rejection", "interrupt")
                    or bool(CORRECTION.search(text))
                    or bool(CORRECTION.search(core(text)))
                    or bool(USE.search(text))
                    or bool(REDIRECT.search(text))
                )
            )
        )
        found: list[Statement] = []
        if turn.kind not in ("meta", "record_request"):
            found = read_turn(ev, is_correction, prior, turn.kind)
            if turn.kind in TASK_KINDS and (not is_correction or turn.kind != "task_request"):
                # a task, a question, chatter or flow control: only a standing rule said in passing to the agent
                # is kept (never from a symptom report), and how the work is to be done (a skill, a helper)
                found = [
                    s
                    for s in found
                    if s.basis in ("method", "refused_shortcut")
                    or (
                        turn.kind != "bug_report"
                        and (STANDING.search(s.text) or s.polarity == "prefer")
                        and addressed(core(s.text))
                    )
                ]
        if not found and self.last_failed is not None and turn.kind != "meta":
            learned = self._learned(ev, text, self.last_failed)
            found = [learned] if learned is not None else []
        for st in found:
            st.after = after
        for st in found:
            if is_correction and prior is not None and prior.shell:
                self.pending_subs.append((st, prior, text[:2000]))
        self.sig.statements.extend(found)
        moment = _moment(ev, text, after, turn.kind, turn.reason, prior, found, is_correction)
        if len(self.sig.moments) < MAX_MOMENTS:
            self.sig.moments.append(moment)
        self.recording = (ev, moment) if turn.kind == "record_request" else None
        self.read_outside = ""
        self.replacing = None
        # the words already name the swap, or state a lasting rule: they are the lesson, not the next command
        said_enough = any(s.general or any(k.kind in ("sub", "use") for k in s.keys) for s in found)
        if (
            after == "rejection"
            and prior is not None
            and prior.shell
            and prior.status == "rejected"
            and not said_enough
        ):
            self.replacing = (ev, prior, moment)
        if not is_correction:
            self.task = {
                "prompt": quote(text, 160),
                "uuid": ev.uuid,
                "ts": ev.timestamp,
                "steps": [],
                "corrected": False,
            }
            self.tasks.append(self.task)
        elif self.task is not None:
            self.task["corrected"] = True

    def _learned(self, ev: Event, text: str, failed: Call) -> Statement | None:
        """How the environment is set up, said right after the agent's command failed (`learned`)."""
        line = learned_line(text, failed)
        if line is None or lesson_problem(line):
            return None
        return Statement(
            kind="correction",
            text=quote(text, 300),
            line=line,
            polarity="must",
            strong=False,
            general=True,
            temporal=False,
            uuid=ev.uuid,
            ts=ev.timestamp,
            trust=trust_of(ev.trust),
            commands=[failed.target[:200]],
            prior=replace(failed, input={}, target=failed.target[:200]),
            turn="environment_fact",
            session_id=self.sig.session_id,
            basis="learned_by_failing",
        )

    def _noted(self, ev: Event, write: Call, cwd: str) -> None:
        """The note the agent wrote after the person asked to record a lesson: its first point is the lesson."""
        assert self.recording is not None
        asked, moment = self.recording
        line, where = "", ""
        for path, text in written_notes(ev.tool_input or {}, file_of(ev.tool_input) or write.target):
            if note_place(path):
                line, where = noted_lesson(text), rel_path(path, ev.cwd or cwd)
            if line:
                break
        if not line or lesson_problem(line, strict=False) or CREDENTIAL.search(line) or "[REDACTED:" in line:
            return
        write = replace(write, target=where or write.target)
        self.recording = None
        if self.read_outside:
            moment.decision = "dropped"
            moment.reason = (
                f"dropped: the note the agent wrote next ({write.target[:80]}) came after it read outside content "
                f"({self.read_outside}); its point may be that content's instruction, not the person's lesson"
            )
            return
        said_as = classify(line) or ("must", False)
        self.sig.statements.append(
            Statement(
                kind="request",
                text=quote(asked.text or "", 300),
                line=line,
                polarity=said_as[0],
                strong=said_as[1],
                general=True,
                temporal=False,
                uuid=asked.uuid,
                ts=asked.timestamp,
                trust=trust_of(asked.trust),
                prior=replace(write, input={}, target=write.target[:200]),
                turn="record_request",
                session_id=self.sig.session_id,
                basis="recorded",
                after=moment.after,
            )
        )
        moment.decision = "candidate"
        moment.reason = f"the lesson is the first point of the note the agent wrote next ({write.target[:80]})"

    def _replaced(self, call: Call) -> None:
        """The first working command after a rejected one and the person's words: what they wanted instead.

        It counts when it shares a program with the rejected chain but does something else
        (`uv tool upgrade --reinstall x` after a rejected `find … -delete; uv tool uninstall x`).
        """
        assert self.replacing is not None
        ev, rejected, moment = self.replacing
        old_parts = chain(rejected.target)
        programs = {program(normalize_command(p)) for p in old_parts}
        hit = next((p for p in chain(call.target) if program(normalize_command(p)) in programs), None)
        if hit is None or looks_around(normalize_command(hit)) or re.search(r"\s(?:--help|-h|--version)\b", hit):
            return
        words = set(hit.split())
        same = [p for p in old_parts if program(normalize_command(p)) == program(normalize_command(hit))]
        old = display_command(max(same, key=lambda p: len(words & set(p.split()))))
        new = display_command(hit)
        if normalize_command(new) == normalize_command(old) and set(new.split()) <= set(old.split()):
            return  # the same command again (or less of it): not a different way
        self.replacing = None
        st = Statement(
            kind="correction",
            text=quote(ev.text or "", 300),
            line=f"Use `{quote(new, 100)}` instead of `{quote(old, 100)}`.",
            polarity="use",
            strong=False,
            general=False,
            temporal=False,
            uuid=ev.uuid,
            ts=ev.timestamp,
            trust=trust_of(ev.trust),
            keys=frozenset({Key.swap(normalize_command(old), normalize_command(new))}),
            commands=[new],
            prior=replace(rejected, input={}, target=rejected.target[:200]),
            turn="correction",
            session_id=self.sig.session_id,
        )
        self.sig.statements.append(st)
        moment.decision, moment.reason = "candidate", "the command the agent ran instead of the rejected one"

    # --- after the walk ---------------------------------------------------------------

    def failures(self) -> list[Failure]:
        """Each failed shell call, and the first working one after it that did the job."""
        out: list[Failure] = []
        calls = self.shell_calls
        for i, rec in enumerate(calls):
            if rec.status != "error" or not rec.norm:
                continue
            part = failing_part(rec.target, rec.error)
            fail = Failure(
                command=display_command(part)[:200],
                norm=normalize_command(part) or rec.norm,
                error=rec.error,
                uuid=rec.uuid,
                ts=rec.ts,
                gone=bool(GONE_ERROR.search(rec.error)),
            )
            for k, nxt in enumerate(calls[i + 1 : i + 4]):
                if nxt.status != "ok" or not nxt.norm or looks_around(nxt.norm):
                    continue
                fix = display_command(failing_part(nxt.target, fail.norm))
                relation = _relation(fail, fix, nxt.norm, calls[i + 1 + k + 1 : i + 1 + k + 3], k)
                if relation == "none":
                    continue
                fail.fix, fail.fix_norm, fail.fix_uuid, fail.fix_ts = (
                    fix[:200],
                    normalize_command(fix),
                    nxt.uuid,
                    nxt.ts,
                )
                fail.relation = relation
                break
            out.append(fail)
        return out[:200]

    def procedures(self) -> list[Procedure]:
        """Tasks as ordered procedures (shell steps, consecutive repeats collapsed)."""
        out = []
        for t in self.tasks:
            steps: list[Step] = []
            for rec in t["steps"]:
                step = Step(rec.norm, rec.target[:160], rec.status, rec.uuid)
                if steps and steps[-1].norm == rec.norm:
                    steps[-1] = step
                    continue
                steps.append(step)
            if len({s.norm for s in steps}) >= 4 and len(steps) <= 25:
                out.append(Procedure(t["prompt"], t["uuid"], t["ts"], steps, t["corrected"]))
        return out

    def facts(self) -> list[Fact]:
        seen: dict[tuple[str, str], Fact] = {}
        for rec in self.shell_calls:
            if rec.status != "ok" or not rec.norm:
                continue
            for cat, value in facts_of(rec.norm):
                seen.setdefault((cat, value), Fact(cat, value, rec.uuid, rec.ts))
        return [seen[k] for k in sorted(seen)]


def _moment(
    ev: Event,
    text: str,
    after: str,
    kind: str,
    reason: str,
    prior: Call | None,
    found: list[Statement],
    is_correction: bool,
) -> Moment:
    if found:
        decision, why = "candidate", f"{len(found)} statement(s) read"
    elif kind in LESSON_KINDS or is_correction:
        decision, why = "dropped", "a correction with nothing concrete to keep (no what-to-do, or only a task step)"
    else:
        decision, why = "dropped", f"{kind.replace('_', ' ')}: {reason}"
    view = replace(prior, input={}, target=prior.target[:160]) if prior is not None else None
    return Moment(ev.uuid, ev.timestamp, quote(text, 240), after, kind, view, decision, why)


def _relation(failed: Failure, fix: str, fix_norm: str, later: list[Call], distance: int) -> str:
    """How a working command relates to a failed one (see `model.Failure`)."""
    if normalize_command(fix) == failed.norm or fix_norm == failed.norm:
        old, new = failed.command.split(), fix.split()
        if old == new or is_test_run(failed.norm):
            return "none"  # the same run again: the code changed, not the way to run it
        removed, added = set(old) - set(new), set(new) - set(old)
        error = failed.error.lower()
        if removed and any(w.lower().rstrip("/") in error or _dir_in(w, error) for w in removed):
            return "without"  # the words the error complained about were left out
        if added and not removed:
            return "instead"
        return "instead" if added and all(w.startswith("-") for w in added) else "none"
    if any(c.status == "ok" and failed.norm in {normalize_command(x) for x in chain(c.target)} for c in later):
        return "first"
    if same_purpose(failed.norm, failed.command, fix_norm, fix) or (failed.gone and distance == 0):
        return "instead"
    return "none"


def _dir_in(word: str, error: str) -> bool:
    """`priv/static/assets/app.css` left out after an error naming `priv/static/assets`."""
    parts = word.lower().split("/")
    return len(parts) > 1 and any("/".join(parts[:i]) in error for i in range(2, len(parts)))


def extract(events: Iterable[Event]) -> SessionSignals:
    """Signals of one session (see module doc). Pure function of the events."""
    walk = _Walk()
    sig = walk.sig
    for ev in events:
        sig.events += 1
        sig.session_id = sig.session_id or ev.session_id
        sig.agent = sig.agent or ev.agent
        sig.cwd = sig.cwd or ev.cwd
        sig.started_at = sig.started_at or ev.timestamp
        if ev.kind == "tool_call":
            if not ev.is_sidechain:
                walk.call(ev, sig.cwd)
        elif ev.kind == "tool_result":
            walk.result(ev)
        elif ev.kind == "interruption":
            walk.acted("interrupt")
        elif ev.kind == "assistant_text":
            if not ev.is_sidechain and ev.text.strip():
                walk.acted("reply")
        elif ev.kind == "user_prompt" and ev.trust == "user" and not ev.is_sidechain:
            walk.person(ev)
            walk.after = "start"
            walk.last_call = walk.last_failed = None
    sig.failures = walk.failures()
    sig.facts = walk.facts()
    sig.procedures = walk.procedures()
    sig.stamp()
    return sig


def session_signals(
    session_id: str,
    content_hash: str,
    load_events: Callable[[str], Iterator[Event]],
    cache_get: Callable[[str, str], Any],
    cache_put: Callable[[str, str, Any], None],
) -> tuple[SessionSignals, bool]:
    """Signals of one session from the cache, or extracted and cached. Returns (signals, cache_hit)."""
    key = f"{session_id}:{content_hash}:{SIGNALS_VERSION}"
    if content_hash:
        hit = cache_get(SIGNALS_NAMESPACE, key)
        if hit:
            return SessionSignals.from_dict(hit), True
    sig = extract(load_events(session_id))
    sig.session_id = sig.session_id or session_id
    sig.stamp()
    if content_hash:
        cache_put(SIGNALS_NAMESPACE, key, sig.to_dict())
    return sig, False
