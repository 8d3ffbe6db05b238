"""`?`: the keys of the screen it was opened from (after the person's remaps)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from reverie.console import keys as keymod


def help_table(specs: tuple[keymod.Key, ...], keymap: dict[str, str], title: str) -> Table:
    table = Table(title=title, show_header=True, header_style="bold", box=None, expand=True, padding=(0, 1))
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("does")
    table.add_column("id", style="dim", no_wrap=True)
    for spec in specs:
        raw = keymap.get(keymod.binding_id(spec.id)) or spec.key
        shown = ", ".join(
            {"slash": "/", "question_mark": "?", "space": "space"}.get(k.strip(), k.strip()) for k in raw.split(",")
        )
        table.add_row(shown, spec.description, spec.id)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "close", id="reverie.help_close")
    ]

    def __init__(self, specs: tuple[keymod.Key, ...], keymap: dict[str, str], title: str = "keys") -> None:
        super().__init__(classes="dialog-screen")
        self.specs = specs
        self.keymap = keymap
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Label(
                f"{self.title_text} — remap in ~/.config/reverie/keys.toml or .reverie/config.toml [keys]",
                classes="dialog-title",
            )
            with VerticalScroll(classes="dialog-body"):
                yield Static(help_table(self.specs, self.keymap, ""), id="help-table")
            yield Static(Text("ctrl+p: command palette · q/escape: close", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
