"""Is this a file path, and is that file really gone? The evidence for removing a hand-written line.

Why strict: a dream may propose deleting a person's line only when the file it
names is really gone. Real CLAUDE.md files, skills and subagents are full of
things that look like paths and are not: word pairs (`null/undefined`,
`main/master`, `Open/closed`, `lint/CI`, `todo/in-progress/done`), ranges
(`1/2`), URLs, import and module paths (`github.com/spf13/cobra`, `@scope/pkg`),
branch names (`feat/x`), templates (`.planning/{phase}/PLAN.md`), home paths
(`~/.claude/...`), build output (`dist/`), and files a line asks to *create*.

A token looks like a path when it has a known file extension, starts with `./`
or `../`, starts with a top-level entry of the workspace, or appears in
`git log --all --name-only`. Looking like one is not enough to call it gone:
docs name files generically ("read each PLAN.md", "e.g. `src/services/user.ts`"),
so a token is **really gone** only when it is absent everywhere it could mean
(the workspace root, the artifact's own folder; a bare name anywhere in the
tree), is not git-ignored, the line does not create it, give it as an example
or make it conditional ("if CONTEXT.md exists") — and we know it was real:
it is in git history, or it starts with a folder the workspace (or the
artifact's own folder) has and carries an extension (`src/legacy.ts` in a repo
with `src/`). A bare file name, or a `./` path into a folder that is not
there, with no history is never enough.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

EXTENSIONS = frozenset(
    [
        "md",
        "mdx",
        "markdown",
        "txt",
        "rst",
        "adoc",
        "py",
        "pyi",
        "ipynb",
        "ts",
        "tsx",
        "js",
        "jsx",
        "mjs",
        "cjs",
        "json",
        "jsonc",
        "json5",
        "yaml",
        "yml",
        "toml",
        "ini",
        "cfg",
        "conf",
        "env",
        "lock",
        "go",
        "mod",
        "sum",
        "rs",
        "rb",
        "erb",
        "sh",
        "bash",
        "zsh",
        "fish",
        "ps1",
        "bat",
        "cmd",
        "sql",
        "css",
        "scss",
        "sass",
        "less",
        "html",
        "htm",
        "vue",
        "svelte",
        "astro",
        "java",
        "kt",
        "kts",
        "scala",
        "swift",
        "m",
        "mm",
        "c",
        "h",
        "cc",
        "cpp",
        "cxx",
        "hpp",
        "hh",
        "cs",
        "fs",
        "ex",
        "exs",
        "erl",
        "hrl",
        "php",
        "pl",
        "lua",
        "r",
        "jl",
        "dart",
        "nim",
        "zig",
        "tf",
        "tfvars",
        "hcl",
        "nix",
        "gradle",
        "properties",
        "xml",
        "xsd",
        "plist",
        "proto",
        "graphql",
        "gql",
        "csv",
        "tsv",
        "svg",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "webp",
        "ico",
        "pdf",
        "wasm",
        "make",
        "mk",
        "cmake",
        "dockerfile",
        "containerfile",
        "service",
        "desktop",
        "patch",
        "diff",
        "log",
        "pem",
        "crt",
        "key",
        "pub",
        "tpl",
        "tmpl",
        "j2",
        "jinja",
        "liquid",
        "hbs",
        "mustache",
        "ejs",
        "pug",
        "twig",
        "rake",
        "gemspec",
        "podspec",
        "csproj",
        "sln",
        "vcxproj",
        "xcconfig",
        "entitlements",
        "storyboard",
        "xib",
    ]
)
"""File extensions (lower case) a path's last segment may carry."""

_TOKEN = re.compile(r"(?<![\w@~$%{<\[/.:-])(\.{0,2}/?[\w.-]+(?:/[\w.-]+)*/?)(?![\w/])")
_BACKTICK = re.compile(r"`([^`\n]{1,200})`")
_DOMAIN = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|dev|in|co|me|app|sh|ai|gg|rs|xyz|info|edu|gov)$")
_VERSIONISH = re.compile(r"^v?\d+(?:[._-]\d+)*(?:[a-z]\d*)?$", re.I)
_BRANCH_PREFIXES = frozenset(
    [
        "feat",
        "feature",
        "features",
        "fix",
        "fixes",
        "bugfix",
        "hotfix",
        "release",
        "releases",
        "chore",
        "chores",
        "origin",
        "upstream",
        "refs",
        "heads",
        "remotes",
        "tags",
        "renovate",
        "dependabot",
        "wip",
        "topic",
    ]
)
_GENERATED = frozenset(
    [
        "dist",
        "build",
        "out",
        "target",
        "node_modules",
        ".next",
        ".nuxt",
        ".svelte-kit",
        "coverage",
        ".venv",
        "venv",
        "env",
        "__pycache__",
        "tmp",
        "temp",
        ".cache",
        ".turbo",
        ".parcel-cache",
        "vendor",
        "bin",
        "obj",
        ".gradle",
        ".idea",
        ".vscode",
        ".git",
        "logs",
    ]
)
_NOT_A_CLAIM = re.compile(
    r"\b(creat(?:e|es|ed|ing)|generat(?:e|es|ed|ing)|writ(?:e|es|ing)|output(?:s|ted)?|produc(?:e|es|ed)|"
    r"add(?:s|ed)? (?:a|an|new)|will (?:be|live)|if|unless|whether|exists?|missing|absent|when|optional|"
    r"e\.g|i\.e|for example|such as|example|template|placeholder|like|good|bad|instead of|check|each|every|any|"
    r"per|parse|read each|find)\b|[{}<>$*]|\bX{2,}\b|\bN{2,}\b",
    re.I,
)
"""Words that make a path mention generic, conditional or a thing to create, not a claim that it exists."""
_TEMPLATE = re.compile(r"[{}<>$*%\[\]|]|\bXX+\b|\bNN+\b|\.\.\.|…")


_MAX_OTHER_WORDS = 8
"""A line naming a gone path is removed only when it is about that path: besides it, at most this many words."""
_FILLER = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "see",
        "read",
        "check",
        "use",
        "is",
        "are",
        "be",
        "it",
        "its",
        "this",
        "that",
    ]
)


@dataclass(frozen=True, slots=True)
class Removal:
    """The gone paths a line names, and why the line must stay anyway ('' when it may go)."""

    gone: list[str]
    keep: str

    @property
    def removable(self) -> bool:
        return bool(self.gone) and not self.keep


class RepoPaths:
    """What the workspace has and had, computed once per dream."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = Path(workspace)

    @cached_property
    def top_level(self) -> frozenset[str]:
        try:
            return frozenset(os.listdir(self.workspace))
        except OSError:
            return frozenset()

    @cached_property
    def history(self) -> frozenset[str]:
        """Every path in `git log --all --name-only`, and every folder above one (empty outside git)."""
        out = _git(self.workspace, "log", "--all", "--name-only", "--format=")
        names: set[str] = set()
        for name in out.splitlines():
            name = name.strip()
            if not name:
                continue
            names.add(name)
            parts = name.split("/")
            names.update("/".join(parts[:i]) for i in range(1, len(parts)))
        return frozenset(names)

    @cached_property
    def places(self) -> dict[str, list[str]]:
        """File and folder names anywhere in the tree → where they are (workspace-relative; bounded walk,
        generated folders skipped; at most a few places per name)."""
        where: dict[str, list[str]] = {}
        budget = 200_000
        for root, dirs, files in os.walk(self.workspace):
            dirs[:] = [d for d in dirs if d not in _GENERATED and d != ".reverie" and d != ".git"]
            rel_root = os.path.relpath(root, self.workspace)
            for name in (*dirs, *files):
                seen = where.setdefault(name, [])
                if len(seen) < 4:
                    seen.append(name if rel_root == "." else f"{rel_root}/{name}".replace(os.sep, "/"))
            budget -= len(files) + len(dirs)
            if budget <= 0:
                break
        return where

    @cached_property
    def basenames(self) -> frozenset[str]:
        """File and folder names anywhere in the tree (bounded walk; generated folders skipped)."""
        return frozenset(self.places)

    def ignored(self, rel: str) -> bool:
        """Git-ignored (build output, local env files): absent by design, not stale."""
        if rel.split("/", 1)[0] in _GENERATED:
            return True
        return _git_ignored(self.workspace, rel)

    def looks_like_path(self, token: str) -> bool:
        """A token that names a file or folder of this repo (see module doc), not a word pair or a URL."""
        t = token.strip()
        if not t or len(t) > 200 or "://" in t or t.startswith(("~", "/", "@", "www.", "-")) or _TEMPLATE.search(t):
            return False
        if t.startswith(("./", "../")):
            return len(t.strip("./")) > 0
        bare = t.rstrip("/")
        parts = bare.split("/")
        if any(not p for p in parts):
            return False
        first, last = parts[0], parts[-1]
        if _DOMAIN.match(first.lower()) or all(_VERSIONISH.match(p) for p in parts):
            return False
        if bare in self.history:
            return True
        if len(parts) > 1 and first in self.top_level:
            return True
        if len(parts) > 1 and first.lower() in _BRANCH_PREFIXES:
            return False
        stem, dot, ext = last.rpartition(".")
        if dot and stem.strip(".") and ext.lower() in EXTENSIONS and not _VERSIONISH.match(last):
            return not (len(parts) == 1 and _DOMAIN.match(last.lower()) and ext.lower() != "sh")
        return False

    def is_gone(self, token: str, base: Path | None = None) -> bool:
        """A path-like token we know was real, that exists nowhere it could mean, and is not ignored."""
        if not self.looks_like_path(token):
            return False
        rel = token.strip().rstrip("/")
        rel = rel[2:] if rel.startswith("./") else rel
        parts = rel.split("/")
        ext = parts[-1].rpartition(".")[2].lower() if "." in parts[-1].strip(".") else ""
        local = base is not None and len(parts) > 1 and (base / parts[0]).is_dir()
        known = rel in self.history or (len(parts) > 1 and (parts[0] in self.top_level or local) and ext in EXTENSIONS)
        if not known:
            return False
        roots = [self.workspace] + ([base] if base is not None and base != self.workspace else [])
        for root in roots:
            try:
                if (root / rel).exists():
                    return False
            except OSError:
                return False
        if rel.startswith("../"):
            return False  # outside the workspace: we cannot tell
        if "/" not in rel and rel in self.basenames:
            return False  # a bare file name that lives somewhere in the tree
        return not self.ignored(rel)

    def line_time(self, rel: str, lineno: int) -> str:
        """When line `lineno` of `rel` was last written (ISO, UTC), as far as we can tell.

        `git blame` for a committed line; otherwise the file's modification time,
        which is never older than the line (so "newer than the line" stays safe).
        """
        path = self.workspace / rel
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return ""
        out = _git(self.workspace, "blame", "--porcelain", "-L", f"{lineno},{lineno}", "--", rel)
        m = re.search(r"^committer-time (\d+)", out, re.M)
        if m and not out.startswith("0000000000000000000000000000000000000000"):
            return _iso(float(m.group(1)))
        return _iso(mtime)

    def gone_in(self, line: str, base: Path | None = None) -> list[str]:
        """The gone paths a line names (empty when the line asks to create them, or names a template)."""
        found: list[str] = []
        for token in path_tokens(line):
            if token not in found and self.is_gone(token, base):
                found.append(token)
        if found and _NOT_A_CLAIM.search(_BACKTICK.sub(" ", line)):
            return []
        return found

    def exists(self, token: str, base: Path | None = None) -> bool:
        rel = token.strip().rstrip("/")
        rel = rel[2:] if rel.startswith("./") else rel
        roots = [self.workspace] + ([base] if base is not None and base != self.workspace else [])
        for root in roots:
            try:
                if rel and (root / rel).exists():
                    return True
            except OSError:
                return True  # cannot tell: count it as there
        return "/" not in rel and rel in self.basenames

    def removal(self, line: str, base: Path | None = None) -> Removal:
        """Whether a hand-written line may be removed because the paths it names are gone.

        Only when the line is *about* gone paths and nothing else: it names no path that
        exists, no command or other code span, no more than a few other words, and no gone
        file whose name lives elsewhere in the tree (it may have moved: a person decides).
        """
        gone = self.gone_in(line, base)
        if not gone:
            return Removal([], "")
        live = [t for t in path_tokens(line) if t not in gone and self.looks_like_path(t) and self.exists(t, base)]
        if live:
            return Removal(gone, f"it also names {', '.join(live[:3])}, which exists")
        for token in gone:
            name = token.strip().rstrip("/").rsplit("/", 1)[-1]
            elsewhere = [p for p in self.places.get(name, []) if p != token.strip().rstrip("/")]
            if elsewhere:
                where = elsewhere[0] if len(elsewhere) == 1 else f"{len(elsewhere)} places, e.g. {elsewhere[0]}"
                return Removal(gone, f"{name} is still in the tree ({where}): the file may have moved")
        code = [s for s in _BACKTICK.findall(line) if s.strip().rstrip(".,;:") not in gone]
        if code:
            return Removal(gone, f"it also names `{code[0]}`")
        rest = _BACKTICK.sub(" ", line)
        for token in gone:
            rest = rest.replace(token, " ")
        words = [w for w in re.findall(r"[A-Za-z][\w'-]*", rest) if w.lower() not in _FILLER]
        if len(words) > _MAX_OTHER_WORDS:
            return Removal(gone, f"it says more than where {gone[0]} is ({len(words)} other words)")
        return Removal(gone, "")


def path_tokens(line: str) -> list[str]:
    """Path-shaped tokens of a line: backticked spans whole, and bare tokens with a '/' or a '.'."""
    out: list[str] = []
    spans = [m.group(1).strip() for m in _BACKTICK.finditer(line)]
    for span in spans:
        if " " not in span:
            out.append(span.rstrip(".,;:"))
    rest = _BACKTICK.sub(" ", line)
    for m in _TOKEN.finditer(rest):
        tok = m.group(1).rstrip(".,;:")
        if ("/" in tok or "." in tok.strip(".")) and tok not in out:
            out.append(tok)
    return out


def _iso(epoch: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _git(workspace: Path, *args: str) -> str:
    try:
        res = subprocess.run(
            ["git", "-C", str(workspace), *args],
            capture_output=True,
            text=True,
            timeout=20,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return res.stdout if res.returncode == 0 else ""


def _git_ignored(workspace: Path, rel: str) -> bool:
    """`git check-ignore`, or (outside a git repo) the root .gitignore's plain patterns."""
    try:
        res = subprocess.run(
            ["git", "-C", str(workspace), "check-ignore", "-q", "--no-index", rel],
            capture_output=True,
            timeout=10,
        )
        if res.returncode in (0, 1):
            return res.returncode == 0
    except (OSError, subprocess.SubprocessError):
        pass
    return _gitignore_matches(workspace, rel)


def _gitignore_matches(workspace: Path, rel: str) -> bool:
    import fnmatch

    try:
        patterns = (workspace / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return False
    parts = rel.split("/")
    for raw in patterns:
        pat = raw.strip()
        if not pat or pat.startswith(("#", "!")):
            continue
        folder = pat.endswith("/")
        pat = pat.strip("/")
        if "/" in pat:
            if fnmatch.fnmatch(rel, pat) or rel.startswith(pat + "/"):
                return True
        elif any(fnmatch.fnmatch(seg, pat) for seg in (parts[:-1] if folder else parts)):
            return True
    return False
