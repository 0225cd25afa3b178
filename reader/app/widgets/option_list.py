"""An option list that moves with the app's keys, not only the arrows."""

from __future__ import annotations

from textual.widgets import OptionList

from reader.app.keys import LIST_BINDINGS


class KeyedOptionList(OptionList):
    """OptionList with the article list's list keys (``j``/``k``, ``g``/``G``...,
    rebound by ``[keys]`` like them): Textual's own binds only arrows and Home/End."""

    BINDINGS = LIST_BINDINGS
