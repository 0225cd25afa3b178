"""The halflife app: picks the first screen, holds the labels, theme and keymap."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from textual.app import App, SystemCommand
from textual.screen import Screen

from reader.app.i18n import Labels
from reader.app.keys import DEFAULT_KEYS
from reader.config import Config
from reader.library import Library
from reader.store import Store

DEFAULT_THEME = "textual-dark"


#: Articles read before the first paint (about two segments); the rest follow.
FIRST_SCREEN_ARTICLES = 4000


class HalflifeApp(App):
    CSS_PATH = "reader.tcss"
    TITLE = "halflife"

    def __init__(
        self,
        store: Store,
        config: Config,
        *,
        library: Library | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.clock = clock
        self.store = store
        self.config = config
        self.labels = Labels(config.ui.language)
        self.library = library or Library(store, config)
        self.keymap_overrides = dict(config.keys)
        self._prefs = store.prefs()

    def on_mount(self) -> None:
        from reader.app.keys import localized
        from reader.app.screens.main import MainScreen

        theme = self.config.ui.theme or self._prefs.get("theme") or DEFAULT_THEME
        if theme in self.available_themes:
            self.theme = theme
        if self.keymap_overrides:
            self.set_keymap(self.keymap_overrides)
        if not self.library.articles:
            # the newest segments first: the list paints at once, whatever the store's
            # size; the main screen reads the rest in a worker
            self.library.load(limit=FIRST_SCREEN_ARTICLES)
        main = localized(MainScreen, self.labels)(self.library, self.config, self.labels)
        if self._prefs.get("sort"):
            main.sort = self._prefs["sort"]
        self.push_screen(main)

    def watch_theme(self, theme: str) -> None:
        if self.is_mounted and theme != self._prefs.get("theme"):
            self.remember(theme=theme)

    def remembered(self, key: str, default: str) -> str:
        """A UI choice kept for the next start (``remember``), or ``default``."""
        return self._prefs.get(key) or default

    def remember(self, **values) -> None:
        """Keep UI choices (theme, sort) for the next start."""
        self._prefs.update(values)
        try:
            self.store.set_prefs(**values)
        except Exception as exc:  # a preference is not worth an error dialog
            self.log.warning(f"cannot save preferences: {exc}")

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """In a terminal, the system's browser; when there is none (a server over ssh),
        say so instead of doing nothing."""
        if self.is_web:
            super().open_url(url, new_tab=new_tab)
            return
        import webbrowser

        if not webbrowser.open(url, new=2 if new_tab else 0):
            self.notify(self.labels["no_browser"], severity="warning", markup=False)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p) lists every action of the current screen."""
        yield from super().get_system_commands(screen)
        seen = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if binding.action in seen or binding.system:
                continue
            seen.add(binding.action)
            action = binding.action
            name = binding.id if binding.id in DEFAULT_KEYS else action
            title = self.labels.action(name) if name in DEFAULT_KEYS else binding.description
            if (binding.id or "").startswith("quick_tag_"):
                number = int(binding.id.rsplit("_", 1)[1])
                tags = self.config.ui.quick_tags
                if number > len(tags):
                    continue  # no tag on that key
                title = f"{self.labels.action('quick_tag')} {number}: {tags[number - 1]}"
            if not title or title == action or action == "command_palette":
                continue  # no name to show (an id), or the palette itself
            yield SystemCommand(
                title,
                binding.key_display or key,  # the title is the command; the help its key
                lambda action=action, node=active.node: self.run_action(action, node),
            )

    async def action_quit(self) -> None:
        screen = self.screen
        flush = getattr(screen, "flush_writes", None)
        for candidate in self.screen_stack:
            flush = getattr(candidate, "flush_writes", flush)
        if flush is not None:
            flush()
        self.exit()


def make_app(
    store: Store, config: Config, *, clock: Callable[[], float] = time.time
) -> HalflifeApp:
    """One factory for the CLI and the tests (which pin the clock for snapshots)."""
    return HalflifeApp(store, config, clock=clock)
