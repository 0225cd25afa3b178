"""The side panel: all articles, saved views, topics, feeds and tags, with unread counts."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from reader.app.i18n import Labels
from reader.app.render import fit, safe
from reader.app.widgets.option_list import KeyedOptionList


class SidePanel(KeyedOptionList):
    """Options have ids ``all:``, ``view:NAME``, ``topic:NAME``, ``feed:NAME``, ``tag:NAME``."""

    DEFAULT_CSS = """
    SidePanel {
        border: none;
        padding: 0;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    SidePanel:focus {
        border: none;  /* a focus border would take the columns the counts were fitted to */
        background-tint: $foreground 5%;
    }
    """

    #: what :meth:`show` was last given, and the width it fitted the rows to
    _shown: tuple | None = None
    _shown_width = 0

    class Chosen(Message):
        def __init__(self, kind: str, value: str) -> None:
            super().__init__()
            self.kind = kind
            self.value = value

    def show(
        self,
        sections: list[tuple[str, list[tuple[str, str, int, int]]]],
        labels: Labels,
        current: str,
    ) -> None:
        """``sections``: (heading, [(kind, value, unread, total)]); keeps the highlight."""
        self._shown = (sections, labels, current)
        self._shown_width = self.scrollable_content_region.width
        options: list[Option | None] = []
        highlight = None
        for heading, entries in sections:
            if heading:
                options.append(Option(Text(heading, style="bold dim", no_wrap=True), disabled=True))
            width = max((self.scrollable_content_region.width or 28) - 1, 12)
            for kind, value, unread, total in entries:
                option_id = f"{kind}:{value}"
                count = f"{unread}" if unread else (f"({total})" if total else "")
                indent = "  " if heading else ""
                name = labels["all"] if kind == "all" else safe(value, 80)
                room = width - len(indent) - len(count) - 1
                label = Text(indent, no_wrap=True)
                label.append_text(fit(Text(name, style="bold" if unread else ""), room))
                label.append(" " + count, style="cyan" if unread else "dim")
                options.append(Option(label, id=option_id))
                if option_id == current:
                    highlight = len(options) - 1
        self.clear_options()
        self.add_options([o for o in options if o is not None])
        if highlight is not None:
            self.highlighted = highlight

    def on_resize(self) -> None:
        # names and counts are fitted to the width: a new width fits them again
        if self._shown is None or self.scrollable_content_region.width == self._shown_width:
            return
        sections, labels, current = self._shown
        if self.highlighted is not None:  # where the reader has moved to meanwhile
            current = self.get_option_at_index(self.highlighted).id or current
        self.show(sections, labels, current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        kind, _, value = (event.option.id or "all:").partition(":")
        self.post_message(self.Chosen(kind, value))
