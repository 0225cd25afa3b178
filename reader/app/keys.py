"""Default keys of the app. Every binding has an id (its action), so feeds.toml's
``[keys]`` table rebinds it through Textual's keymap: ``[keys] refresh = "ctrl+r"``.
"""

from __future__ import annotations

from textual.binding import Binding

#: action -> default keys (comma-separated Textual key names)
DEFAULT_KEYS: dict[str, str] = {
    "cursor_down": "j,down",
    "cursor_up": "k,up",
    "first": "g,home",
    "last": "G,end",
    "page_down": "pagedown,ctrl+f",
    "page_up": "pageup,ctrl+b",
    "open": "enter",
    "back": "escape",
    "quit": "q",
    "next_panel": "tab",
    "tag": "t",
    "mark": "space",
    "undo": "ctrl+z",
    "toggle_read": "u",
    "toggle_star": "s",
    "open_link": "o",
    "copy_link": "y",
    "refresh": "r",
    "search": "slash",
    "filter": "f",
    "cycle_sort": "S",
    "views": "v",
    "save_view": "V",
    "toggle_stories": "c",
    "expand_story": "x",
    "toggle_panel": "b",
    "next_unread": "n",
    "help": "question_mark",
}

#: shown in the footer
FOOTER_ACTIONS = ("tag", "toggle_read", "toggle_star", "filter", "search", "refresh", "help")

_DISPLAY = {
    "question_mark": "?",
    "slash": "/",
    "space": "space",
    "escape": "esc",
    "pagedown": "PgDn",
    "pageup": "PgUp",
}


def binding(action: str, description: str, *, show: bool | None = None) -> Binding:
    keys = DEFAULT_KEYS[action]
    return Binding(
        keys,
        action,
        description,
        show=(action in FOOTER_ACTIONS) if show is None else show,
        id=action,
        key_display=_DISPLAY.get(keys.split(",")[0]),
    )


#: Moving in a list: the article list, the side panel and the related articles share them.
LIST_BINDINGS = [
    binding("cursor_down", "Down"),
    binding("cursor_up", "Up"),
    binding("first", "First"),
    binding("last", "Last"),
    binding("page_down", "Page down"),
    binding("page_up", "Page up"),
]


def keys_for(action: str, keymap: dict[str, str]) -> str:
    """The keys an action has now, for the help screen ("j, down")."""
    keys = keymap.get(action, DEFAULT_KEYS.get(action, ""))
    return ", ".join(_DISPLAY.get(k, k) for k in keys.split(",") if k)


def localized(screen_class: type, labels) -> type:
    """A subclass of ``screen_class`` whose key descriptions are in the UI language.

    Textual reads ``BINDINGS`` from the class, so the translation is a subclass; ids,
    keys and actions stay the same (``[keys]`` rebinding still applies).
    """
    from dataclasses import replace

    translated = []
    for item in screen_class.BINDINGS:
        if isinstance(item, Binding) and item.id:
            description = labels.footer(item.id.split(".")[-1])
            translated.append(replace(item, description=description))
        else:
            translated.append(item)
    return type(screen_class.__name__, (screen_class,), {"BINDINGS": translated})
