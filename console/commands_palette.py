"""ctrl+p: every console action in the command palette, with its key."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from reverie.console import keys as keymod

# id -> longer text for the palette (the help screen shows the short one)
PALETTE_TEXT: dict[str, str] = {
    "open": "Open the transcript at the cited event",
    "mark": "Mark / unmark the proposal (act on several)",
    "approve": "Approve the selected proposal(s)",
    "reject": "Reject the selected proposal(s), with an optional reason",
    "edit": "Edit the proposal's body inline",
    "edit_external": "Edit the proposal's body in $EDITOR",
    "scope": "Change the proposal's scope",
    "kind": "Change the proposal's kind",
    "apply": "Apply the approved proposals to the workspace",
    "dream": "Dream now: read new sessions and open a candidate store",
    "discard": "Discard the open candidate store",
    "history": "History: the operation log, diff and restore",
    "undo": "Undo the last operation",
    "redo": "Redo the last undone operation",
    "filter": "Filter the queue",
    "side_by_side": "Toggle side-by-side / unified diff",
    "next_evidence": "Select the next evidence quote",
    "help": "Help: keys of this screen",
    "quit": "Quit",
}


def palette_entries(keymap: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(action, text, key) for every main-screen action that is not plain movement."""
    out = []
    for spec in keymod.MAIN:
        if spec.id not in PALETTE_TEXT:
            continue
        out.append((spec.action, PALETTE_TEXT[spec.id], keymod.display_key(spec.id, keymap)))
    return out


class ReverieCommands(Provider):
    """Runs the action on the main screen (where the review state lives)."""

    def _keymap(self) -> dict[str, str]:
        from reverie.console.app import reverie_app  # not at import time: the app module imports this one

        return reverie_app(self.app).key_overrides

    def _run(self, action: str) -> None:
        """Run `action_<action>` on the main screen (or the current one if no main screen is up).

        The action names come from `keys.MAIN`; tests/console check each has a method,
        so the name lookup here cannot silently miss.
        """
        from reverie.console.app import reverie_app

        target = reverie_app(self.app).main_screen or self.screen
        getattr(target, f"action_{action}")()

    async def discover(self) -> Hits:
        for action, text, key in palette_entries(self._keymap()):
            yield DiscoveryHit(Text(f"{text}  · key {key}"), partial(self._run, action), help=f"action: {action}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action, text, key in palette_entries(self._keymap()):
            label = f"{text}  · key {key}"
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), partial(self._run, action), help=f"action: {action}")
