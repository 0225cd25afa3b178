"""The article list: a Line API widget that renders only the rows on screen.

A DataTable or ListView builds a widget or a row object per article, which at 100k
articles costs seconds (measured: DataTable 11.6 s, ListView unusable). This list
keeps the rows as plain tuples and turns only the visible ones into strips, so its cost
does not grow with the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from reader.app.keys import LIST_BINDINGS, binding


@dataclass(frozen=True, slots=True)
class ListRow:
    """One row: an article, or a story (several articles shown as one)."""

    article_id: str  # the article shown (the story's lead)
    members: tuple[str, ...] = ()  # all articles of the story, lead first; () for single

    @property
    def ids(self) -> tuple[str, ...]:
        return self.members or (self.article_id,)


RowRenderer = Callable[[ListRow, int, bool], Text]


class ArticleList(ScrollView, can_focus=True):
    """Rows of articles; ``cursor`` is the highlighted row."""

    BINDINGS = [*LIST_BINDINGS, binding("open", "Open", show=True)]

    COMPONENT_CLASSES = {"article-list--cursor"}

    DEFAULT_CSS = """
    ArticleList {
        background: $surface;
    }
    ArticleList > .article-list--cursor {
        background: $accent 30%;
    }
    ArticleList:focus > .article-list--cursor {
        background: $accent 50%;
    }
    """

    cursor: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        """The cursor moved to another row."""

        def __init__(self, row: ListRow | None) -> None:
            super().__init__()
            self.row = row

    class Selected(Message):
        """Enter was pressed on a row."""

        def __init__(self, row: ListRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, render_row: RowRenderer, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list[ListRow] = []
        self._render_row = render_row
        self._cache: dict[tuple, Strip] = {}
        self._last_highlight: ListRow | None = None

    # -- content

    def set_rows(self, rows: list[ListRow], *, keep: str | None = None) -> None:
        """Replace the rows; the cursor stays on article ``keep`` if it is still listed."""
        self.rows = rows
        self._cache.clear()
        index = 0
        if keep is not None:
            for i, row in enumerate(rows):
                if keep in row.ids:
                    index = i
                    break
            else:
                index = min(self.cursor, max(len(rows) - 1, 0))
        self.virtual_size = Size(self.size.width, len(rows))
        self.cursor = index
        self.refresh()

    def invalidate(self) -> None:
        """Rows look different (marks changed): render them again."""
        self._cache.clear()
        self.refresh()

    @property
    def current(self) -> ListRow | None:
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor]
        return None

    # -- rendering

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_offset.y) + y
        width = self.scrollable_content_region.width
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        row = self.rows[index]
        selected = index == self.cursor
        key = (row, width, selected, self.has_focus)
        strip = self._cache.get(key)
        if strip is None:
            text = self._render_row(row, width, selected)
            segments = list(text.render(self.app.console, end=""))
            base = self.rich_style
            if selected:
                base = base + self.get_component_rich_style("article-list--cursor")
            strip = Strip(segments).adjust_cell_length(width).apply_style(base)
            if len(self._cache) > 4000:
                self._cache.clear()
            self._cache[key] = strip
        return strip

    def on_mount(self) -> None:
        # rendered rows carry the theme's colours: a new theme renders them again
        self.watch(self.app, "theme", lambda _theme: self.invalidate(), init=False)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows))
        self._cache.clear()

    def on_focus(self) -> None:
        self.invalidate()

    def on_blur(self) -> None:
        self.invalidate()

    # -- cursor

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1)) if self.rows else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self.refresh()
        row = self.current
        if row != self._last_highlight:
            self._last_highlight = row
            self.post_message(self.Highlighted(row))

    def _scroll_to_cursor(self) -> None:
        height = self.size.height or 1
        top = round(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self.rows) - 1

    def action_page_down(self) -> None:
        self.cursor += max(self.size.height - 1, 1)

    def action_page_up(self) -> None:
        self.cursor -= max(self.size.height - 1, 1)

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Selected(row))

    def on_click(self, event) -> None:
        index = round(self.scroll_offset.y) + event.y
        if 0 <= index < len(self.rows):
            self.cursor = index
