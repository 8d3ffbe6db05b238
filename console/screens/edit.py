"""Inline editing of a proposal's body (ctrl+s saves, escape cancels)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static, TextArea

from reverie.console import keys as keymod


class EditScreen(ModalScreen[str | None]):
    """Returns the new body, or None when cancelled or unchanged."""

    BINDINGS = keymod.bindings(keymod.EDIT)

    def __init__(self, title: str, body: str, language: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.body = body
        self.language = language

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog editor"):
            yield Label(f"edit: {self.title_text}", classes="dialog-title")
            area = TextArea(self.body, id="editor", soft_wrap=True, show_line_numbers=True)
            if self.language:
                try:
                    area.language = self.language
                except Exception:  # no tree-sitter grammar installed: plain text is fine
                    pass
            yield area
            yield Static("ctrl+s save · escape cancel · E (in the queue) opens $EDITOR", classes="dim")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_save(self) -> None:
        text = self.query_one(TextArea).text
        self.dismiss(text if text != self.body else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
