"""A tag prompt as a modal (used from the article view): "+tag -tag", with completion."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class TagPrompt(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="tag.cancel")]

    def __init__(self, labels, tags) -> None:
        super().__init__()
        self.labels = labels
        self.tags = tags

    def compose(self) -> ComposeResult:
        from reader.app.screens.main import TagSuggester

        with Vertical(id="tag-box"):
            yield Static(Text(self.labels["tag_prompt"], style="bold"))
            yield Input(
                value="+", suggester=TagSuggester(self.tags), id="tag-input", select_on_focus=False
            )

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
