"""A small, forgiving shell parser: enough structure to judge what a command line would do.

Why our own: a regex cannot tell `curl … | sudo -E bash` from `curl … | jq`, or
see the download inside `source <(curl …)`; the one maintained Python parser of
bash is GPL. This one reads POSIX/bash syntax into lists, pipelines, simple
commands, words and redirections, with command and process substitutions
parsed recursively. It never raises: unbalanced quotes or parentheses end at
the end of the text, so hostile input still yields a tree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

_OPERATOR_CHARS = "|&;<>()"
_MAX_DEPTH = 16
"""Substitutions nested deeper than this are kept as plain text (hostile input cannot recurse us away)."""


@dataclass
class Word:
    """One shell word: `text` with quotes removed; the substitutions found inside it."""

    text: str
    raw: str
    subs: list[Script] = field(default_factory=list)
    """Command substitutions `$(…)` and backticks inside the word."""
    procsub: Script | None = None
    """The list inside `<(…)` / `>(…)` when the whole word is a process substitution."""


@dataclass
class Redirect:
    op: str
    target: Word


@dataclass
class Command:
    """A simple command (words and redirections), or a subshell `( … )` when `body` is set."""

    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    body: Script | None = None


@dataclass
class Pipeline:
    commands: list[Command] = field(default_factory=list)


@dataclass
class Script:
    """Pipelines in order (`;`, `&&`, `||`, `&` and newlines all just separate them here)."""

    pipelines: list[Pipeline] = field(default_factory=list)

    def walk_commands(self) -> list[Command]:
        """Every command, substitutions and subshells included, outermost first (script by script,
        in `walk_scripts` order)."""
        return [cmd for script in self.walk_scripts() for pipe in script.pipelines for cmd in pipe.commands]

    def walk_scripts(self) -> list[Script]:
        """This script and every nested one (substitutions, subshells)."""
        out: list[Script] = []
        stack: list[Script] = [self]
        while stack:
            script = stack.pop()
            out.append(script)
            for pipe in script.pipelines:
                for cmd in pipe.commands:
                    if cmd.body is not None:
                        stack.append(cmd.body)
                    for w in [*cmd.words, *(r.target for r in cmd.redirects)]:
                        stack.extend(w.subs)
                        if w.procsub is not None:
                            stack.append(w.procsub)
        return out


class _Parser:
    def __init__(self, text: str, depth: int = 0) -> None:
        self.s = text
        self.i = 0
        self.depth = depth

    # --- lists, pipelines, commands -----------------------------------------------

    def script(self, closer: str = "") -> Script:
        out = Script()
        while self.i < len(self.s):
            self._blank(newlines=True)
            if self.i >= len(self.s):
                break
            c = self.s[self.i]
            if closer and c == closer:
                self.i += 1
                return out
            if c in ";&|":
                self.i += 1
                continue
            before = self.i
            pipe = self.pipeline(closer)
            if pipe.commands:
                out.pipelines.append(pipe)
            if self.i == before:  # a stray character we cannot use: skip it
                self.i += 1
        return out

    def pipeline(self, closer: str) -> Pipeline:
        pipe = Pipeline()
        while True:
            cmd = self.command(closer)
            if cmd.words or cmd.redirects or cmd.body is not None:
                pipe.commands.append(cmd)
            self._blank(newlines=False)
            if self.s.startswith("||", self.i) or not self.s.startswith("|", self.i):
                return pipe
            self.i += 2 if self.s.startswith("|&", self.i) else 1
            self._blank(newlines=True)

    def command(self, closer: str) -> Command:
        cmd = Command()
        while True:
            self._blank(newlines=False)
            if self.i >= len(self.s):
                return cmd
            c = self.s[self.i]
            if c == "\n" or (closer and c == closer):
                return cmd
            if c == "#" and (self.i == 0 or self.s[self.i - 1] in " \t\n;|&("):
                while self.i < len(self.s) and self.s[self.i] != "\n":
                    self.i += 1
                return cmd
            if c == "(" and not cmd.words:
                self.i += 1
                cmd.body = self._sub_script(")")
                continue
            redirect = self._redirect()
            if redirect is not None:
                cmd.redirects.append(redirect)
                continue
            if c in ";&|)" or (c == "(" and cmd.words):
                if c == "(" and cmd.words:  # `name() { … }` or junk: skip the parenthesis
                    self.i += 1
                    continue
                return cmd
            cmd.words.append(self.word())

    def _sub_script(self, closer: str) -> Script:
        if self.depth >= _MAX_DEPTH:
            start = self.i
            self._skip_balanced(closer)
            return Script([Pipeline([Command([Word(self.s[start : self.i], self.s[start : self.i])])])])
        inner = _Parser(self.s, self.depth + 1)
        inner.i = self.i
        script = inner.script(closer)
        self.i = inner.i
        return script

    def _skip_balanced(self, closer: str) -> None:
        opener = {")": "(", "`": "`", "}": "{"}.get(closer, "")
        level = 1
        while self.i < len(self.s) and level:
            c = self.s[self.i]
            if c == closer:
                level -= 1
            elif c == opener and opener != closer:
                level += 1
            self.i += 1

    def _redirect(self) -> Redirect | None:
        j = self.i
        while j < len(self.s) and self.s[j].isdigit():
            j += 1
        for op in ("&>>", "&>", "<<<", "<<-", "<<", ">>", ">&", "<&", "<>", ">|", ">", "<"):
            if self.s.startswith(op, j):
                if op in ("<", ">") and self.s.startswith("(", j + 1):  # a process substitution word
                    return None
                self.i = j + len(op)
                self._blank(newlines=False)
                target = self.word() if self.i < len(self.s) else Word("", "")
                if op in ("<<", "<<-"):
                    body = self._heredoc(target.text)
                    if body:  # what a here-document feeds a shell is a script too
                        target.subs.append(parse(body, self.depth + 1))
                return Redirect(op, target)
        return None

    def _heredoc(self, marker: str) -> str:
        """Cut a here-document's body (the lines after this one, up to `marker`) out of the text; return it."""
        marker = marker.strip()
        nl = self.s.find("\n", self.i)
        if not marker or nl == -1:
            return ""
        pos = nl + 1
        while pos <= len(self.s):
            end = self.s.find("\n", pos)
            stop = end if end != -1 else len(self.s)
            if self.s[pos:stop].strip() == marker:
                body = self.s[nl + 1 : pos]
                self.s = self.s[: nl + 1] + self.s[min(stop + 1, len(self.s)) :]
                return body
            if end == -1:
                break
            pos = end + 1
        body = self.s[nl + 1 :]
        self.s = self.s[: nl + 1]
        return body

    # --- words ---------------------------------------------------------------------

    def word(self) -> Word:
        start = self.i
        text: list[str] = []
        subs: list[Script] = []
        s = self.s
        if s.startswith(("<(", ">("), self.i):
            self.i += 2
            body = self._sub_script(")")
            raw = s[start : self.i]
            return Word(raw, raw, [], body)
        while self.i < len(s):
            c = s[self.i]
            if c in " \t\n" or c in _OPERATOR_CHARS:
                break
            if c == "\\":
                if self.i + 1 < len(s) and s[self.i + 1] == "\n":
                    self.i += 2
                    continue
                text.append(s[self.i + 1 : self.i + 2])
                self.i += 2
            elif c == "'":
                end = s.find("'", self.i + 1)
                end = len(s) if end == -1 else end
                text.append(s[self.i + 1 : end])
                self.i = end + 1
            elif c == '"':
                self.i += 1
                self._double_quoted(text, subs)
            elif c == "$" and s.startswith("$'", self.i):
                end = s.find("'", self.i + 2)
                end = len(s) if end == -1 else end
                text.append(s[self.i + 2 : end])
                self.i = end + 1
            elif c == "$" and s.startswith("${", self.i):
                end = s.find("}", self.i)
                end = len(s) if end == -1 else end
                text.append(s[self.i : end + 1])
                self.i = end + 1
            elif not self._substitution(text, subs):
                text.append(c)
                self.i += 1
        return Word("".join(text), s[start : self.i], subs)

    def _double_quoted(self, text: list[str], subs: list[Script]) -> None:
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c == '"':
                self.i += 1
                return
            if c == "\\" and self.i + 1 < len(s):
                nxt = s[self.i + 1]
                text.append(nxt if nxt in '$`"\\\n' else c + nxt)
                self.i += 2
            elif not self._substitution(text, subs):
                text.append(c)
                self.i += 1

    def _substitution(self, text: list[str], subs: list[Script]) -> bool:
        """Take `$((…))`, `$(…)` or a backquoted command at the cursor whole (kept verbatim in `text`,
        its script in `subs`): they read the same in a bare word and inside double quotes.
        False, and nothing taken, when the cursor is on none of them."""
        s = self.s
        if s.startswith("$((", self.i):
            self._dollar_arith(text)
        elif s.startswith("$(", self.i):
            self.i += 2
            sub_start = self.i
            subs.append(self._sub_script(")"))
            text.append("$(" + s[sub_start : self.i])
        elif s.startswith("`", self.i):
            self.i += 1
            sub_start = self.i
            end = s.find("`", self.i)
            end = len(s) if end == -1 else end
            subs.append(parse(s[sub_start:end], self.depth + 1))
            text.append(s[sub_start - 1 : end + 1])
            self.i = end + 1
        else:
            return False
        return True

    def _dollar_arith(self, text: list[str]) -> None:
        start = self.i
        self.i += 3
        self._skip_balanced(")")
        if self.s.startswith(")", self.i):
            self.i += 1
        text.append(self.s[start : self.i])

    def _blank(self, newlines: bool) -> None:
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c in " \t\r" or (newlines and c == "\n"):
                self.i += 1
            elif c == "\\" and s.startswith("\\\n", self.i):
                self.i += 2
            else:
                return


def parse(text: str, depth: int = 0) -> Script:
    """The shell syntax tree of `text` (never raises)."""
    return _Parser(text, depth).script()


# --- what a command is, once wrappers are peeled off ----------------------------------------

_WRAPPERS_WITH_ARG = {"timeout": 1, "nice": 0, "stdbuf": 0, "ionice": 0, "chrt": 1, "taskset": 1}
_PLAIN_WRAPPERS = frozenset({"nohup", "time", "exec", "command", "builtin", "then", "do", "else", "!", "{", "-"})
_KEYWORDS = frozenset({"if", "elif", "while", "until", "then", "do", "else", "!", "{", "}", "time"})
ELEVATORS = frozenset({"sudo", "doas", "pkexec", "run0"})


@dataclass
class Invocation:
    """A command with wrappers (`sudo -E`, `env X=1`, `nohup`, `xargs`, …) peeled off."""

    name: str
    """The program's base name, lower-case (`/usr/bin/Bash` → `bash`)."""
    args: list[Word]
    elevated: bool
    """Run through sudo, doas, pkexec or `su -c`."""
    env: dict[str, str]
    """`NAME=value` assignments before the program."""


def invocation(cmd: Command) -> Invocation | None:
    """What `cmd` runs, or None for an empty command (only assignments or redirections)."""
    words = list(cmd.words)
    env: dict[str, str] = {}
    elevated = False
    i = 0
    while i < len(words):
        w = words[i].text
        base = os.path.basename(w).lower()
        if "=" in w and not w.startswith("=") and w.split("=", 1)[0].replace("_", "").isalnum():
            key, value = w.split("=", 1)
            env[key] = value
            i += 1
        elif base in _KEYWORDS or base in _PLAIN_WRAPPERS:
            i += 1
        elif base in ELEVATORS:
            elevated = True
            i += 1
            while i < len(words) and words[i].text.startswith("-"):
                flag = words[i].text
                i += 2 if flag in ("-u", "-g", "-h", "-p", "-C", "-U", "-r", "-t") else 1
        elif base == "su" and any(x.text == "-c" for x in words[i + 1 :]):
            elevated = True
            j = next(k for k in range(i + 1, len(words)) if words[k].text == "-c")
            code = words[j + 1] if j + 1 < len(words) else Word("", "")
            return Invocation("sh", [Word("-c", "-c"), code], True, env)
        elif base == "env":
            i += 1
            while i < len(words) and (words[i].text.startswith("-") or "=" in words[i].text):
                if "=" in words[i].text and not words[i].text.startswith("-"):
                    key, value = words[i].text.split("=", 1)
                    env[key] = value
                i += 1
        elif base == "xargs":
            i += 1
            while i < len(words) and words[i].text.startswith("-"):
                i += 2 if words[i].text in ("-I", "-n", "-P", "-L", "-s", "-d", "-E") else 1
        elif base in _WRAPPERS_WITH_ARG:
            i += 1
            while i < len(words) and words[i].text.startswith("-"):
                i += 1
            i += _WRAPPERS_WITH_ARG[base]
        else:
            return Invocation(base, words[i + 1 :], elevated, env)
    return None


def short_flags(args: list[Word]) -> set[str]:
    """Every single-letter flag in `args` (`-fsSLk` → f, s, S, L, k)."""
    out: set[str] = set()
    for a in args:
        t = a.text
        if t.startswith("-") and not t.startswith("--") and len(t) > 1 and t[1:].isalpha():
            out.update(t[1:])
    return out


def long_flags(args: list[Word]) -> set[str]:
    return {a.text.split("=", 1)[0] for a in args if a.text.startswith("--")}
