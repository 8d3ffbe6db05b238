"""The words people use to steer an agent: one lexicon for the whole dream pass.

Why one module: the turn classifier, the statement reader, the critics and the
artifact checks must agree on what "never", "instead of", "for now" or a lead-in
like "nope," mean. Everything here is a pattern or a word list — no logic — so a
new phrasing class is added in one place and every reader sees it.
"""

from __future__ import annotations

import re

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
    r"\b(?:not|no|never|instead of|rather than|stop)\s+(?:(?:use|using|run|running|call|calling|install|"
    r"installing)\s+)?[`'\"]?([a-z][\w.+-]*)",
    re.I,
)
"""The word a negation rejects, past a verb of use ("do not use yarn" rejects yarn, not "use")."""
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
PACKAGE_MANAGERS = frozenset(
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
    ]
)
"""Programs that install packages: `<manager> install` changes the dependencies, `<manager> build` builds."""
TOOL_WORDS = PACKAGE_MANAGERS | frozenset(
    [
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
TICKED_COMMAND = re.compile(r"`([^`\n]{2,120})`")
"""A backticked span short enough to be one command an instruction line names (`make serve`)."""

ACCUSATION = re.compile(
    r"^\W*(?:again,?\s+)?(?:you|u)\s+(pushed|push|edited|edit|touched|touch|changed|change|committed|commit|deleted|"
    r"delete|removed|remove|used|use|ran|run|added|add|installed|install|modified|modify)\s+(.{3,120}?)"
    r"(?:\s+again)?\s*[!.?]*$",
    re.I,
)
BASE_VERB = {
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
NEG_WINDOW = re.compile(
    r"\b(?:not|no|never|don'?t|do not|stop|avoid|hands off)\s+((?:[\w.`'/-]+\s+){0,3}[\w.`'/-]+)", re.I
)


PROGRAMS = TOOL_WORDS | {"tabs", "spaces"}
"""Words that name a tool (or a style tool): a conflict over one is a conflict of practice."""


RATIONALE = re.compile(
    r"\b(?:given (?:the|our|that (?:the|this|we))|since (?:we|the|our|this)|because (?:we|the|our|this)|"
    r"(?:the|this|our) (?:app|application|project|repo|codebase|team|company|product|service)'?s? "
    r"(?:is|are|uses?|runs?|has|needs?|focus|policy|rules?|convention))\b",
    re.I,
)
"""A reason about the project itself ("given the privacy focus of the app"): what follows outlasts the task."""


SYMPTOM = re.compile(
    r"\bi (?:do ?n[o']?t|don'?t|dont|can'?t|cannot|still|no longer|now) (?:see|get|find|have)\b"
    r"|\bi (?:can )?(?:still )?see (?:an?|the|that|some)\b|\bi have the impression\b|\bi (?:still )?feel (?:like|that)\b"
    r"|\b(?:it |this |that )?seems? (?:like|to be|to have|to no longer)\b|\blooks like (?:it|the|this|that)\b"
    r"|\bstill (?:seems|an? (?:issue|problem|bug)|not (?:working|right|fixed)|broken|failing|happening|there)\b"
    r"|\b(?:is|are) (?:now |still )?broken\b|\bisn'?t really\b|\b(?:does ?n[o']?t|doesnt) (?:really )?work\b"
    r"|\bno longer works?\b|\b(?:stopped|stops) working\b|\b(?:is|are) (?:a bit |way |much )?too "
    r"(?:strong|weak|large|small|big|slow|fast|dark|light|long|short)\b|\bnot (?:absolutely |quite )?perfect\b",
    re.I,
)
"""What a person sees going wrong ("I don't see a prompt anymore", "seems broken"): a bug report, never a rule."""
FIRST_PERSON = re.compile(
    r"^\W*(?:i|i'm|im|i've|i'd|i'll|my|me|we've|we'd|we just|we did|we had|we lost|we changed|we investigated|"
    r"we also need|we need|we still)\b",
    re.I,
)
"""A sentence about the speaker ("I want to keep that documentation …"): an account, not a rule for the agent."""
ISSUE_LINK = re.compile(r"https?://\S+/(?:issues|pull|pulls|actions/runs|merge_requests)/\d+", re.I)
"""A link to one issue, pull request or CI run: the words around it are about that one task."""
RULE_REQUEST = re.compile(
    r"\b(?:create|write|add|make|put|update|change|set up|draft)\s+(?:an?\s+|the\s+|some\s+|new\s+)*"
    r"(?:instructions?|rules?|guidelines?|conventions?|(?:a\s+)?(?:note|entry|section|line)s?)"
    r"(?:\s+(?:to|in|into)\s+(?:the\s+)?[\w.@/-]+)?\s+(?:that|which|saying|stating|to say)\s+"
    r"(?:(?:state|states|say|says|explain|explains)(?:\s+that)?\s+)?(?P<rule>.{8,})"
    r"|\b(?:add|put|write|note)\s+(?:it\s+)?(?:to|in|into)\s+(?:the\s+)?(?:agents\.md|claude\.md|gemini\.md|"
    r"instructions|guidelines|rules)\s*(?:that|:)\s*(?P<rule2>.{8,})"
    r"|\bmake it a rule(?:\s+that|:)\s*(?P<rule3>.{8,})",
    re.I | re.S,
)
"""Asks for a standing instruction and says what it is ("write instructions that state that X"): X is the rule."""
NOT_ALLOWED = re.compile(
    r"^\W*(?:(?:it(?:'s| is)|is|are) (?:not allowed|forbidden|not ok(?:ay)?|prohibited) to|(?:you|we|agents?|the agent|"
    r"claude|llms?) (?:are|is) not allowed to|(?:you|we|agents?|the agent) (?:may|must|should|can) ?not|"
    r"(?:you|we|agents?|the agent) (?:mustn'?t|shouldn'?t|can'?t))\s+",
    re.I,
)
"""The rule said as a prohibition in the third person ("it is not allowed to X"): the lesson is "Do not X"."""
REASON_CLAUSE = re.compile(
    r"\s*,?\s+(?:as|because|since|cause|cuz|otherwise)\s+(?=(?:that|this|it|these|those|they|there|the|otherwise|"
    r"github|we|our|your|you|he|she|people|users?|everything|nothing|[a-z]+ (?:is|are|will|would|breaks?|"
    r"ruins?|renders?|fails?))\b)",
    re.I,
)
"""Where a rule gives its reason ("… as that ruins the rendering on GitHub"): a reason makes it outlast the task."""
JOINED_LEAD = re.compile(
    r"^\W*(?:(?:yes|yeah|yep|ok(?:ay)?|sure|right|great|good|perfect|thanks)\W*\s+)?(?:and|also|but|plus|oh and)\s+"
    r"(?=(?:please\s+)?(?:do ?n[o']?t|dont|never|always|use|keep|make|avoid|stop|only|prefer)\b)",
    re.I,
)
"""A rule joined to an answer ("yes and do not wrap long lines …"): the answer is not part of the rule."""
PRACTICE_VERB = re.compile(r"^(?:use|using|follow|following|run|running|write|writing|apply|applying)\b", re.I)
"""Verbs of how work is done: "why aren't we using X" asks for X as a practice (not "why don't we have X")."""
CHECK_BYPASS = re.compile(
    r"--no-verify\b|\b(?:skip|skipping|bypass|bypassing|disable|disabling|ignore|ignoring|silence|suppress|mute)\b"
    r"[^.;,]{0,30}?\b(?:hooks?|checks?|tests?|lint(?:er|ing)?|ci|validation|verification|pre-commit|"
    r"type[ -]?check(?:s|ing|er)?|findings|warnings)\b"
    r"|\b(?:noqa|type: ?ignore|eslint-disable|@ts-ignore|@ts-nocheck|xfail)\b",
    re.I,
)
"""A way around a check ("Skip hook (--no-verify)", "disable the failing test"): what a refused shortcut refuses."""
WORKAROUND_REFUSED = re.compile(
    r"\b(?:do ?n[o']?t|dont|never)\s+just\s+(?P<act>[^.;!?]{5,160}?)\s*[.;,!]?\s+"
    r"(?:(?:but|and|instead|rather)[\s,]+)?(?:please\s+)?"
    r"(?P<fix>(?:fix|solve|address|resolve|find)\s+(?:the\s+)?(?:actual|real|root|underlying)\b[^.;!?]{0,160})",
    re.I,
)
"""A workaround refused for the cause ("don't just rerun it by hand, fix the actual problem"): the way it is done."""
ENVIRONMENT_FACT = re.compile(
    r"\b(?:(?:is|are|was|were|got|has been|have been) (?:gone|removed|deleted|renamed|replaced|deprecated)|"
    r"no longer (?:exists?|works?|available|there|used)|(?:renamed|moved) to|"
    r"you (?:do ?n[o']?t|dont|don't|can'?t|cannot) (?:have )?(?:access|permission)|(?:is|are) not (?:available|"
    r"installed|accessible|reachable)|isn'?t (?:available|installed|accessible)|aren'?t (?:available|installed)|"
    r"(?:runs?|running|lives?|hosted|is|are) (?:on|at) (?:the )?(?:host|server|port|machine|box|vm|container|"
    r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})|(?:on|at) \d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|only (?:works|runs) "
    r"(?:on|in|from)|(?:is|are) (?:installed|configured|set up) (?:in|on|at|under)|(?:the )?\.env(?:\.\w+)? "
    r"(?:points|has|holds|sets))",
    re.I,
)
"""How this machine or project is set up ("you don't have access to docker here", "postgres runs on 10.0.0.7")."""
