"""The key help (`?`): every action with its current keys, in the UI language."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from reader.app.keys import DEFAULT_KEYS, keys_for


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    def __init__(self, labels, keymap: dict[str, str]) -> None:
        super().__init__()
        self.labels = labels
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for action in DEFAULT_KEYS:
            table.add_row(keys_for(action, self.keymap), self.labels.action(action))
        table.add_row("1-9", self.labels.action("quick_tag"))
        related = self.keymap.get("open_related", "R")
        table.add_row(
            related, f"{self.labels.action('open_related')} ({self.labels['article_view']})"
        )
        table.add_row("ctrl+p", "Command palette")
        with VerticalScroll(id="help-box"):
            yield Static(Text(self.labels["help_title"], style="bold"))
            yield Static(table)

    def action_dismiss(self) -> None:
        self.dismiss()
