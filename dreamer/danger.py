"""Dangerous commands, found by reading their structure (`dreamer.shell_parse`, Python's `ast`).

What is dangerous wherever it comes from — a rule a person typed, an instinct
the dream drew from a transcript, a hook script in a proposals file:

- ``download-exec``: a download run as code — piped or process-substituted into
  a shell or interpreter (`wget -qO- … | sudo -E bash`, `source <(curl …)`,
  `bash -c "$(curl …)"`), a downloaded file executed, Python `exec(urlopen(…))`;
- ``reverse-shell``: a shell wired to the network (`bash -i >& /dev/tcp/…`,
  `nc -e`, `socat exec:… tcp:…`, a Python socket + dup2/pty);
- ``exfiltration``: a credential store (`~/.ssh`, `~/.aws`, keychains, `.env`,
  `.netrc`, …) read where something is sent over the network;
- ``tls-off``: certificate verification disabled (`curl -k`, `verify=False`, …);
- ``world-writable``: `chmod 777` and other world-writable modes;
- ``sudo``: privilege elevation — reported for hooks only (a hook runs unattended).

`dangers(text, script=False)` reads prose (backtick spans, fenced blocks and
command-looking lines, skipping a command a sentence forbids: "never run `curl
… | sh`") or, with `script=True`, the whole text as a shell or Python script.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass

from reverie.dreamer.shell_parse import Command, Invocation, Script, Word, invocation, long_flags, parse, short_flags

DOWNLOADERS = frozenset(
    {"curl", "wget", "fetch", "aria2c", "http", "https", "xh", "iwr", "invoke-webrequest", "invoke-restmethod", "irm"}
)
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "mksh", "fish", "ash", "busybox", "csh", "tcsh"})
INTERPRETERS = frozenset(
    {
        "python",
        "python2",
        "python3",
        "pypy",
        "pypy3",
        "perl",
        "ruby",
        "node",
        "nodejs",
        "deno",
        "bun",
        "php",
        "lua",
        "pwsh",
        "powershell",
        "osascript",
    }
)
NETCATS = frozenset({"nc", "ncat", "netcat", "socat", "telnet", "cryptcat"})
SENDERS = DOWNLOADERS | NETCATS | frozenset({"scp", "sftp", "ftp", "rsync", "mail", "sendmail", "mutt", "rclone"})
_CODE_FLAGS = {"python": "-c", "perl": "-e", "ruby": "-e", "node": "-e", "php": "-r", "deno": "eval"}

CREDENTIAL_PATH = re.compile(
    r"(?:^|[\s\"'=:(/])(?:~|\$\{?HOME\}?|/root|/home/[^/\s\"']+|/Users/[^/\s\"']+)?/?\.(?:ssh|aws|gnupg|kube|docker|"
    r"netrc|git-credentials|npmrc|pypirc|password-store|config/gcloud|azure|vault-token)\b|"
    r"\bid_(?:rsa|dsa|ecdsa|ed25519)\b|\.aws/credentials|(?:^|[\s\"'/=])\.env(?:\.[\w-]+)?(?=$|[\s\"'])|"
    r"/etc/shadow|\bkeychain\b|Login Data|\bwallet\.dat\b",
    re.I,
)
"""A path or name of a place credentials live."""
_KEYCHAIN_TOOLS = {"security": ("find-generic-password", "find-internet-password", "dump-keychain", "export")}


@dataclass(frozen=True)
class Danger:
    kind: str
    reason: str
    snippet: str


# --- shell -----------------------------------------------------------------------------


def _code_of(inv: Invocation) -> str | None:
    """The program text an interpreter gets with -c/-e, if any."""
    flag = next((v for k, v in _CODE_FLAGS.items() if inv.name.startswith(k)), "-c")
    for k, a in enumerate(inv.args):
        if a.text == flag or (flag == "-c" and a.text in ("-c", "-command")):
            return inv.args[k + 1].text if k + 1 < len(inv.args) else ""
    return None


def _runs_stdin(inv: Invocation) -> bool:
    """Whether the program executes what arrives on its standard input."""
    name = inv.name
    if name in ("source", ".", "eval", "iex", "invoke-expression"):
        return True
    args = [a.text for a in inv.args]
    if name in SHELLS:
        if "-c" in args or "-command" in args:
            return False
        operands = [a for a in args if not a.startswith("-") and not a.startswith("+")]
        return not operands or not _script_file(operands[0]) or "-s" in args
    if name in INTERPRETERS or any(name.startswith(p) for p in ("python", "pypy")):
        code = _code_of(inv)
        if code is not None:
            return bool(re.search(r"(exec|eval|compile)\s*\(.*stdin", code, re.S)) or (
                "sys.stdin" in code and "exec" in code
            )
        if any(a in ("-m",) for a in args):
            return False
        operands = [a for a in args if not a.startswith("-")]
        return not operands or not _script_file(operands[0])
    return False


def _script_file(operand: str) -> bool:
    """An operand naming a script file (`deploy.sh`, `./x`, `tools/run.py`) rather than prose or `-`."""
    if operand in ("-", "/dev/stdin"):
        return False
    return "/" in operand or re.search(r"\.(sh|bash|zsh|py|js|mjs|rb|pl|php|lua|ps1)$", operand) is not None


def _has_download(script: Script) -> bool:
    return any((inv := invocation(c)) is not None and inv.name in DOWNLOADERS for c in script.walk_commands())


def _text(cmd: Command) -> str:
    return " ".join(w.raw for w in cmd.words)[:160]


def _word_downloads(word: Word) -> bool:
    return any(_has_download(s) for s in word.subs) or (word.procsub is not None and _has_download(word.procsub))


_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def _download_exec(script: Script, out: list[Danger]) -> None:
    for sub in script.walk_scripts():
        for pipe in sub.pipelines:
            invs = [invocation(c) for c in pipe.commands]
            for i, inv in enumerate(invs):
                if inv is None or inv.name not in DOWNLOADERS:
                    continue
                for later in invs[i + 1 :]:
                    if later is not None and _runs_stdin(later):
                        out.append(
                            Danger(
                                "download-exec",
                                f"pipes a download into {'sudo ' if later.elevated else ''}{later.name}",
                                " | ".join(_text(c) for c in pipe.commands),
                            )
                        )
                        break
        for cmd in [c for p in sub.pipelines for c in p.commands]:
            inv = invocation(cmd)
            head = next((w for w in cmd.words if not _ASSIGNMENT.match(w.text)), None)
            if inv is None:
                continue
            runner = inv.name in SHELLS or inv.name in INTERPRETERS or inv.name in ("source", ".", "eval")
            if runner and any(w.procsub is not None and _has_download(w.procsub) for w in inv.args):
                out.append(
                    Danger("download-exec", f"{inv.name} runs a process substitution that downloads", _text(cmd))
                )
            elif runner and any(r.op in ("<", "<<<") and _word_downloads(r.target) for r in cmd.redirects):
                out.append(Danger("download-exec", f"{inv.name} reads a download as its program", _text(cmd)))
            elif inv.name == "eval" and any(_word_downloads(w) for w in inv.args):
                out.append(Danger("download-exec", "evals the output of a download", _text(cmd)))
            elif runner and (code := _code_word(inv)) is not None and _word_downloads(code):
                out.append(Danger("download-exec", f"{inv.name} -c runs the output of a download", _text(cmd)))
            elif inv.name in ("iex", "invoke-expression") and re.search(
                r"downloadstring|iwr|invoke-webrequest|invoke-restmethod|irm\b|net\.webclient", _text(cmd), re.I
            ):
                out.append(Danger("download-exec", "Invoke-Expression of a download", _text(cmd)))
            if head is not None and _word_downloads(head) and inv.name not in DOWNLOADERS:
                out.append(Danger("download-exec", "runs the output of a download as a command", _text(cmd)))
        _downloaded_then_run(sub, out)


def _code_word(inv: Invocation) -> Word | None:
    for k, a in enumerate(inv.args):
        if a.text in ("-c", "-e", "-r", "-command") and k + 1 < len(inv.args):
            return inv.args[k + 1]
    return None


def _download_targets(inv: Invocation) -> set[str]:
    """File names a curl/wget invocation writes."""
    args = [a.text for a in inv.args]
    out: set[str] = set()
    urls = [a for a in args if "://" in a]
    for k, a in enumerate(args):
        if a in ("-o", "--output", "-O", "--output-document") and k + 1 < len(args) and not args[k + 1].startswith("-"):
            if not (inv.name == "curl" and a == "-O"):
                out.add(os.path.basename(args[k + 1]))
        elif a.startswith("--output=") or a.startswith("--output-document="):
            out.add(os.path.basename(a.split("=", 1)[1]))
    if (inv.name == "curl" and ("O" in short_flags(inv.args) or "--remote-name" in long_flags(inv.args))) or (
        inv.name == "wget" and not out
    ):
        out.update(os.path.basename(u.split("?", 1)[0].rstrip("/")) for u in urls)
    return {o for o in out if o and o != "-"}


def _downloaded_then_run(script: Script, out: list[Danger]) -> None:
    """`curl -o i.sh URL && bash i.sh`, `wget URL; chmod +x x; ./x`."""
    fetched: set[str] = set()
    for pipe in script.pipelines:
        for cmd in pipe.commands:
            inv = invocation(cmd)
            if inv is None:
                continue
            if inv.name in DOWNLOADERS:
                fetched |= _download_targets(inv)
                continue
            if not fetched:
                continue
            operands = [os.path.basename(a.text) for a in inv.args if not a.text.startswith("-")]
            runs = (inv.name in SHELLS or inv.name in INTERPRETERS or inv.name in ("source", ".")) and (
                operands[:1] and operands[0] in fetched
            )
            if runs or (cmd.words and os.path.basename(cmd.words[0].text) in fetched):
                out.append(Danger("download-exec", "runs a file it just downloaded", _text(cmd)))


def _reverse_shell(script: Script, out: list[Danger]) -> None:
    for sub in script.walk_scripts():
        for pipe in sub.pipelines:
            invs = [invocation(c) for c in pipe.commands]
            names = {i.name for i in invs if i is not None}
            for cmd, inv in zip(pipe.commands, invs, strict=True):
                targets = [r.target.text for r in cmd.redirects] + [w.text for w in cmd.words]
                if any(re.match(r"/dev/(tcp|udp)/", t) for t in targets):
                    out.append(Danger("reverse-shell", "connects a shell to /dev/tcp", _text(cmd)))
                if inv is None:
                    continue
                args = [a.text for a in inv.args]
                if inv.name in NETCATS and any(a in ("-e", "-c", "--exec", "--sh-exec", "--lua-exec") for a in args):
                    out.append(Danger("reverse-shell", f"{inv.name} runs a program for the other end", _text(cmd)))
                if inv.name == "socat" and any(re.match(r"(exec|system):", a, re.I) for a in args):
                    out.append(Danger("reverse-shell", "socat joins a program to a connection", _text(cmd)))
            if names & NETCATS and names & SHELLS and len(pipe.commands) > 1:
                out.append(
                    Danger(
                        "reverse-shell",
                        "pipes a shell through a network connection",
                        " | ".join(map(_text, pipe.commands)),
                    )
                )


def _reads_credentials(script: Script) -> str | None:
    for cmd in script.walk_commands():
        texts = [w.text for w in cmd.words] + [r.target.text for r in cmd.redirects]
        for t in texts:
            m = CREDENTIAL_PATH.search(t)
            if m:
                return m.group(0).strip(" \"'=:(")
        inv = invocation(cmd)
        if (
            inv is not None
            and inv.name in _KEYCHAIN_TOOLS
            and any(a.text in _KEYCHAIN_TOOLS[inv.name] for a in inv.args)
        ):
            return f"{inv.name} {inv.args[0].text}"
        if inv is not None and inv.name in ("printenv", "env") and not inv.args:
            return "the environment"
    return None


def _sends(script: Script) -> str | None:
    for cmd in script.walk_commands():
        inv = invocation(cmd)
        if inv is not None and inv.name in SENDERS:
            if inv.name in ("scp", "rsync", "rclone") and not any(":" in a.text for a in inv.args):
                continue
            return inv.name
        if any(r.target.text.startswith(("/dev/tcp/", "/dev/udp/")) for r in cmd.redirects):
            return "/dev/tcp"
    return None


def _exfiltration(script: Script, out: list[Danger], whole: bool) -> None:
    scopes: list[Script] = [script] if whole else []
    for sub in script.walk_scripts():
        scopes.extend(Script([p]) for p in sub.pipelines)
    for scope in scopes:
        secret, sender = _reads_credentials(scope), _sends(scope)
        if secret and sender:
            out.append(Danger("exfiltration", f"reads {secret} and sends data with {sender}", _snippet(scope)))
            return


def _snippet(script: Script) -> str:
    return " ; ".join(" | ".join(_text(c) for c in p.commands) for p in script.pipelines)[:200]


_TLS_FLAGS = frozenset({"--tls-verify=false", "--tlsverify=false", "--no-verify-ssl", "--disable-ssl-verification"})
_TLS_ENV = {
    "git_ssl_no_verify": ("1", "true", "yes"),
    "node_tls_reject_unauthorized": ("0",),
    "pythonhttpsverify": ("0",),
    "curl_insecure": ("1", "true"),
}


def _tls_off(script: Script, out: list[Danger]) -> None:
    for cmd in script.walk_commands():
        inv = invocation(cmd)
        words = [w.text for w in cmd.words]
        env = {k.lower(): v for k, v in (inv.env if inv else {}).items()}
        if inv is not None and inv.name == "export":
            env |= {a.text.split("=", 1)[0].lower(): a.text.split("=", 1)[1] for a in inv.args if "=" in a.text}
        if any(env.get(k, "").strip("'\"").lower() in bad for k, bad in _TLS_ENV.items()):
            out.append(Danger("tls-off", "turns TLS certificate checks off", _text(cmd)))
            continue
        if inv is None:
            continue
        args = [a.text for a in inv.args]
        lower = [a.lower() for a in args]
        hit = (
            (inv.name == "curl" and ("k" in short_flags(inv.args) or "--insecure" in lower))
            or (inv.name == "wget" and "--no-check-certificate" in lower)
            or (
                inv.name == "git"
                and any(re.search(r"sslverify[= ]*(false|0|no)", " ".join(lower[k : k + 2])) for k in range(len(lower)))
            )
            or (inv.name in ("npm", "yarn", "pnpm") and "strict-ssl" in lower and "false" in lower)
            or (inv.name.startswith("pip") and "--trusted-host" in lower)
            or any(a.startswith("--insecure-skip-tls-verify") and not a.endswith("=false") for a in lower)
            or any(
                a in ("--tls-verify=false", "--tlsverify=false", "--no-verify-ssl", "--disable-ssl-verification")
                for a in lower
            )
        )
        if hit:
            out.append(Danger("tls-off", f"{inv.name} with TLS certificate checks off", " ".join(words)[:160]))


_WORLD_WRITABLE = re.compile(r"^0*[0-7]?[0-7][0-7][2367]$")
_SYMBOLIC_WW = re.compile(r"(^|,)[ugo]*[ao][ugo]*[+=][rwxXst]*w|(^|,)[+=][rwxXst]*w[rwxXst]*$")


def _world_writable(script: Script, out: list[Danger]) -> None:
    for cmd in script.walk_commands():
        inv = invocation(cmd)
        if inv is None or inv.name != "chmod":
            continue
        modes = [a.text for a in inv.args if not a.text.startswith("-") or re.match(r"^-[rwxXst]+$", a.text)]
        if any(_WORLD_WRITABLE.match(m) or (_SYMBOLIC_WW.search(m) and not m.startswith("u")) for m in modes[:1]):
            out.append(Danger("world-writable", f"chmod {modes[0]} makes files writable by everyone", _text(cmd)))


def _sudo(script: Script, out: list[Danger]) -> None:
    for cmd in script.walk_commands():
        inv = invocation(cmd)
        if inv is not None and inv.elevated:
            out.append(Danger("sudo", "runs a command as root", _text(cmd)))
            return


def _interpreter_code(script: Script, out: list[Danger]) -> None:
    """Python/Perl/Ruby/PHP/Node code given on a command line (`python3 -c "…"`)."""
    for cmd in script.walk_commands():
        inv = invocation(cmd)
        if inv is None:
            continue
        if inv.name.startswith(("python", "pypy")):
            code = _code_of(inv)
            if code:
                out.extend(python_dangers(code))
        elif inv.name in ("perl", "ruby", "php", "node", "nodejs", "deno", "bun"):
            code = _code_of(inv) or ""
            if re.search(r"(socket|fsockopen|TCPSocket|net\.connect)", code, re.I) and re.search(
                r"(exec|system|spawn|/bin/(ba)?sh|popen)", code, re.I
            ):
                out.append(Danger("reverse-shell", f"{inv.name} code joins a shell to a socket", code[:160]))
            elif re.search(r"\b(eval|exec|system|Function)\b", code) and re.search(
                r"(https?://|LWP|open-uri|Net::HTTP|fetch\(|http\.get|urlopen)", code
            ):
                out.append(Danger("download-exec", f"{inv.name} code runs something it downloads", code[:160]))


def shell_dangers(text: str, hook: bool = False, whole: bool = False) -> list[Danger]:
    """Dangers in a shell text (one command line or a script)."""
    script = parse(text)
    out: list[Danger] = []
    _download_exec(script, out)
    _reverse_shell(script, out)
    _exfiltration(script, out, whole)
    _tls_off(script, out)
    _world_writable(script, out)
    _interpreter_code(script, out)
    if hook:
        _sudo(script, out)
    return out


# --- python -----------------------------------------------------------------------------

_FETCH = re.compile(
    r"(urlopen|urlretrieve|requests\.(get|post|put|request|Session)|httpx\.|http\.client|urllib3|"
    r"aiohttp|socket\.create_connection|\.recv\(|urllib\.request)"
)
_SEND = re.compile(
    r"(requests\.(post|put|patch|request)|urlopen|httpx\.|http\.client|\.sendall?\(|smtplib|ftplib|urllib3)"
)


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    return ""


def python_dangers(code: str, hook: bool = False) -> list[Danger]:
    """Dangers in Python source: exec of a download, a socket shell, credential files sent out, TLS off."""
    out: list[Danger] = []
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    calls: list[str] = []
    strings: list[str] = []
    if tree is not None:
        try:
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    calls.append(_dotted(node.func))
                    for kw in node.keywords:
                        if kw.arg == "verify" and isinstance(kw.value, ast.Constant) and kw.value.value is False:
                            out.append(Danger("tls-off", "requests with verify=False", code[:160]))
                elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                    strings.append(node.value)
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    mod = getattr(node, "module", None) or ""
                    calls.extend(f"{mod}.{a.name}".strip(".") for a in node.names)
        except RecursionError:
            tree = None
    if tree is None:  # not Python we can parse: read the text itself
        calls = re.findall(r"[\w.]+(?=\s*\()", code) + re.findall(r"import\s+([\w.]+)", code)
        strings = re.findall(r"(['\"])(.*?)\1", code)
        strings = [s[1] if isinstance(s, tuple) else s for s in strings]
    joined = " ".join(calls)
    fetches = bool(_FETCH.search(joined) or _FETCH.search(code))
    if re.search(r"(^|[\s.])(exec|eval|compile)\b", joined) and fetches:
        out.append(Danger("download-exec", "Python code execs what it downloads", code[:160]))
    if "socket" in joined and re.search(r"(dup2|pty\.spawn|subprocess|os\.system|popen)", joined):
        out.append(Danger("reverse-shell", "Python code joins a shell to a socket", code[:160]))
    secret = next((m.group(0).strip(" \"'=:(") for s in strings if (m := CREDENTIAL_PATH.search(s))), None)
    if secret is None:
        m = CREDENTIAL_PATH.search(code)
        secret = m.group(0).strip(" \"'=:(") if m else None
    if secret and (_SEND.search(joined) or _SEND.search(code)):
        out.append(Danger("exfiltration", f"Python code reads {secret} and sends data out", code[:160]))
    if "_create_unverified_context" in code or "CERT_NONE" in code:
        out.append(Danger("tls-off", "Python code turns TLS certificate checks off", code[:160]))
    for s in strings:  # shell commands the code runs (os.system, subprocess)
        if any(tok in s for tok in ("|", "<(", "$(", "/dev/tcp", "curl", "wget", "chmod", "sudo")):
            out.extend(shell_dangers(s, hook=hook))
    if re.search(r"chmod\s*\([^)]*0o?7[0-7][2367]", code):
        out.append(Danger("world-writable", "os.chmod to a world-writable mode", code[:160]))
    return out


# --- text -----------------------------------------------------------------------------

_FENCE = re.compile(r"```[^\n]*\n(.*?)(?:```|\Z)", re.S)
_TICKS = re.compile(r"`([^`\n]+)`")
_FORBIDS = re.compile(
    r"\b(?:never|do not|don'?t|must not|mustn'?t|should not|shouldn'?t|avoid|stop|no)\s+(?:ever\s+)?"
    r"(?:(?:run|use|pipe|execute|call|type|copy|paste)(?:ning|ing)?\s+)?[`$]?\s*$",
    re.I,
)
_PYTHON_SCRIPT = re.compile(r"^(#!.*python|\s*(import|from)\s+\w+|\s*def \w+\()", re.M)


def is_python(text: str) -> bool:
    first = text.lstrip().split("\n", 1)[0]
    if first.startswith("#!"):
        return "python" in first
    return bool(_PYTHON_SCRIPT.search(text)) and not re.search(r"^\s*(curl|wget|echo|cd|export)\b", text, re.M)


def _forbidden(text: str, start: int) -> bool:
    """Whether the sentence before `start` forbids what follows ("Never run `…`")."""
    before = text[max(0, start - 80) : start]
    before = re.split(r"[.!?\n]\s", before)[-1]
    return _FORBIDS.search(before) is not None


_MAYBE = re.compile(
    r"curl|wget|fetch|aria2c|https?\b|\bxh\b|\biwr\b|\birm\b|invoke-|webclient|downloadstring|"
    r"\bexec|\beval|compile|system|spawn|popen|"
    r"/dev/(?:tcp|udp)|\bnc\b|ncat|netcat|socat|telnet|cryptcat|socket|fsockopen|net\.connect|"
    r"\bscp\b|sftp|\bftp\b|rsync|\bmail\b|sendmail|mutt|rclone|requests|urlopen|httpx|smtplib|"
    r"-[a-z]*k\b|insecure|no-check-certificate|sslverify|strict-ssl|trusted-host|tls|verify|cert_none|unverified|"
    r"chmod|sudo|doas|pkexec|run0|\bsu\b",
    re.I,
)
"""A necessary condition of every finding above (a program, a word or a flag each rule needs): most text has none."""


def dangers(text: str, script: bool = False, hook: bool = False) -> list[Danger]:
    """Every dangerous command in `text` (see module doc), most specific first, one per kind."""
    if not text or not _MAYBE.search(text):
        return []
    found: list[Danger] = []
    if script:
        found = python_dangers(text, hook=hook) if is_python(text) else shell_dangers(text, hook=hook, whole=True)
    else:
        snippets: list[str] = []
        for m in _FENCE.finditer(text):
            if not _forbidden(text, m.start()):
                snippets.append(m.group(1))
        for m in _TICKS.finditer(text):
            if not _forbidden(text, m.start()):
                snippets.append(m.group(1))
        prose = _TICKS.sub(" ", _FENCE.sub(" ", text))
        for line in prose.splitlines():
            line = line.strip().lstrip("-*>$ ").strip()
            start = _first_command(line)
            if start is not None and not _forbidden(line, start):
                snippets.append(line[start:])
                if start:
                    snippets.append(line)
        for snippet in snippets:
            found.extend(python_dangers(snippet) if is_python(snippet) else shell_dangers(snippet, hook=hook))
    out: list[Danger] = []
    seen: set[str] = set()
    for d in found:
        if d.kind not in seen:
            seen.add(d.kind)
            out.append(d)
    return out


_COMMAND_WORDS = (
    DOWNLOADERS
    | SHELLS
    | INTERPRETERS
    | NETCATS
    | frozenset(
        {
            "sudo",
            "doas",
            "chmod",
            "source",
            "eval",
            "tar",
            "cat",
            "git",
            "npm",
            "pip",
            "pip3",
            "export",
            "env",
            "iex",
            "socat",
        }
    )
)


def _first_command(line: str) -> int | None:
    """Where a prose line's first command word starts ("Run wget -qO- … | bash" → at `wget`), if any."""
    for m in re.finditer(r"[\w./-]+", line):
        word = os.path.basename(m.group(0)).lower()
        if word in _COMMAND_WORDS or re.match(r"[A-Z_]+=", line[m.start() :]):
            return m.start()
    return None
