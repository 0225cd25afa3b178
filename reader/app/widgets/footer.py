"""The screens' footer: on a narrow terminal its room goes to the actions."""

from __future__ import annotations

from textual.widgets import Footer

#: Below this width the footer leaves out its ctrl+p hint (ctrl+p is in the key help):
#: at 80 columns the actions need the room.
PALETTE_HINT_FROM = 100


class AppFooter(Footer):
    def on_resize(self, event) -> None:
        self.show_command_palette = event.size.width >= PALETTE_HINT_FROM
