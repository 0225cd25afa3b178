"""The saved views picker (`v`)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from reader.app.render import safe


class ViewPicker(ModalScreen[str | None]):
    """Returns a view name, "" for all articles, or None when cancelled."""

    BINDINGS = [Binding("escape,q", "cancel", "Cancel", id="views.cancel")]

    def __init__(self, views, labels) -> None:
        super().__init__()
        self.views = views
        self.labels = labels

    def compose(self) -> ComposeResult:
        options = [Option(Text(self.labels["all"], style="bold"), id="")]
        for view in self.views:
            label = Text(safe(view.name), style="bold")
            if view.filter:
                label.append("  " + safe(view.filter), style="dim")
            options.append(Option(label, id=f"view:{view.name}"))
        yield OptionList(*options, id="views-list")

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id or ""
        self.dismiss(option_id.removeprefix("view:"))

    def action_cancel(self) -> None:
        self.dismiss(None)
