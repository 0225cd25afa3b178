"""The article view: the card on top, the full clean text below, related articles to open."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from reader.app import render
from reader.app.keys import binding
from reader.app.widgets.footer import AppFooter
from reader.app.widgets.option_list import KeyedOptionList
from reader.models import StateChange


class ArticleScreen(Screen):
    BINDINGS = [
        Binding("escape,q", "back", "Back", id="back"),
        binding("toggle_read", "Read"),
        binding("toggle_star", "Star"),
        binding("open_link", "Open link", show=True),
        binding("copy_link", "Copy URL", show=True),
        binding("tag", "Tag"),
        Binding("j,down", "scroll_down", "Down", show=False, id="cursor_down"),
        Binding("k,up", "scroll_up", "Up", show=False, id="cursor_up"),
        Binding("space,pagedown", "page_down", "Page down", show=False, id="page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="page_up"),
        Binding("g,home", "top", "Top", show=False, id="first"),
        Binding("G,end", "bottom", "Bottom", show=False, id="last"),
        Binding("R", "focus_related", "Related", id="open_related"),
    ]

    def __init__(self, main, article_id: str) -> None:
        super().__init__()
        self.main = main
        self.article_id = article_id

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="article-scroll"):
            yield Static(id="article-card")
            yield Static(id="article-body")
            yield KeyedOptionList(id="article-related")
        yield AppFooter()

    def on_mount(self) -> None:
        self.show()
        self.query_one("#article-scroll").focus()

    def show(self) -> None:
        library = self.main.library
        article = library.articles.get(self.article_id)
        if article is None:
            self.app.pop_screen()
            return
        width = max(self.size.width - 4, 40)
        self.query_one("#article-card", Static).update(self.main.card_text(self.article_id, width))
        body = library.store.body(article)
        text = Text()
        for paragraph in body.split("\n\n") if body else []:
            text.append(render.safe_block(paragraph))
            text.append("\n\n")
        if not body:
            text.append(self.app.labels["body_empty"], style="dim")
        self.query_one("#article-body", Static).update(text)
        related = self.query_one("#article-related", OptionList)
        related.clear_options()
        options = []
        for other_id in article.related:
            other = library.articles.get(other_id)
            if other is None:
                continue
            label = Text(f"{(other.lang or '??'):<3}", style="dim")
            label.append(render.safe(other.source, 24), style="blue")
            label.append("  ")
            label.append(render.safe(other.title))
            options.append(Option(label, id=other_id))
        related.add_options(options)
        related.display = bool(options)
        self.title = render.safe(article.title)

    @on(OptionList.OptionSelected, "#article-related")
    def _open_related(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.main.open_article(event.option.id)

    def _change(self, change: StateChange, description: str) -> None:
        self.main.change([change], description)
        self.show()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_toggle_read(self) -> None:
        state = self.main.library.state(self.article_id)
        self._change(StateChange(self.article_id, read=not state.read), "read")

    def action_toggle_star(self) -> None:
        state = self.main.library.state(self.article_id)
        self._change(StateChange(self.article_id, starred=not state.starred), "star")

    def action_open_link(self) -> None:
        from reader.app.screens.main import open_link

        open_link(self, self.main.library.articles[self.article_id])

    def action_copy_link(self) -> None:
        from reader.app.screens.main import copy_link

        copy_link(self, self.main.library.articles[self.article_id])

    def action_tag(self) -> None:
        from reader.app.screens.tag import TagPrompt

        def done(value: str | None) -> None:
            if value:
                self.main.tag_ids([self.article_id], value)
                self.show()

        self.app.push_screen(TagPrompt(self.app.labels, self.main.library.all_tags), done)

    def action_scroll_down(self) -> None:
        self.query_one("#article-scroll").scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one("#article-scroll").scroll_up()

    def action_page_down(self) -> None:
        self.query_one("#article-scroll").scroll_page_down()

    def action_page_up(self) -> None:
        self.query_one("#article-scroll").scroll_page_up()

    def action_top(self) -> None:
        self.query_one("#article-scroll").scroll_home()

    def action_bottom(self) -> None:
        self.query_one("#article-scroll").scroll_end()

    def action_focus_related(self) -> None:
        related = self.query_one("#article-related", OptionList)
        if related.display:
            related.focus()
            if related.highlighted is None:
                related.highlighted = 0
            related.scroll_visible()
