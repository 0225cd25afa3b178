"""An option list that moves with the app's keys, not only the arrows."""

from __future__ import annotations

from textual.widgets import OptionList

from reader.app.keys import binding


class KeyedOptionList(OptionList):
    """OptionList with the list keys of the article list (``j``/``k``, ``g``/``G``...,
    rebound by ``[keys]`` like them): Textual's own binds only arrows and Home/End."""

    BINDINGS = [
        binding("cursor_down", "Down", show=False),
        binding("cursor_up", "Up", show=False),
        binding("first", "First", show=False),
        binding("last", "Last", show=False),
        binding("page_down", "Page down", show=False),
        binding("page_up", "Page up", show=False),
    ]
