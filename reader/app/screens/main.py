"""The main screen: side panel | article list | card, a status line, a prompt line.

It owns the view state (scope, filter, search, sort, marks, undo) and reads articles
only through the :class:`~reader.library.Library`; marks are written through it too.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, VerticalScroll
from textual.screen import Screen
from textual.suggester import Suggester
from textual.widgets import Input, Static

from reader.app import render
from reader.app.keys import binding, localized
from reader.app.widgets import ArticleList, ListRow, SidePanel
from reader.app.widgets.footer import AppFooter
from reader.halflife import freshness
from reader.library import Scope
from reader.models import StateChange, UserState
from reader.query import SORTS, Filter, FilterError, parse_filter

WIDE, MEDIUM = 160, 100  # 3 columns from 160 cells; card below the list under it


@dataclass
class Undo:
    description: str
    inverse: list[StateChange]


class TagSuggester(Suggester):
    """Completes the last +tag/-tag word from the tags in use."""

    def __init__(self, tags) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self._tags = tags

    async def get_suggestion(self, value: str) -> str | None:
        head, _, last = value.rpartition(" ")
        sign = last[:1] if last[:1] in "+-" else ""
        word = last[len(sign) :].lower()
        if not word:
            return None
        for tag in self._tags():
            if tag.startswith(word) and tag != word:
                return f"{head} {sign}{tag}".lstrip() if head else f"{sign}{tag}"
        return None


def inverse_of(before: dict[str, UserState], after: dict[str, UserState]) -> list[StateChange]:
    """Changes that take marks from ``after`` back to ``before``."""
    changes = []
    for article_id, old in before.items():
        new = after.get(article_id, UserState())
        changes.append(
            StateChange(
                article_id,
                add_tags=tuple(sorted(set(old.tags) - set(new.tags))),
                remove_tags=tuple(sorted(set(new.tags) - set(old.tags))),
                read=old.read,
                starred=old.starred,
            )
        )
    return changes


class MainScreen(Screen):
    BINDINGS = [
        binding("back", "Back"),
        binding("quit", "Quit", show=False),
        binding("next_panel", "Next panel", show=False),
        binding("tag", "Tag"),
        binding("mark", "Mark", show=False),
        binding("undo", "Undo", show=False),
        binding("toggle_read", "Read"),
        binding("toggle_star", "Star"),
        binding("open_link", "Open link", show=False),
        binding("copy_link", "Copy URL", show=False),
        binding("refresh", "Refresh"),
        binding("search", "Search"),
        binding("filter", "Filter"),
        binding("cycle_sort", "Sort", show=False),
        binding("views", "Views", show=False),
        binding("save_view", "Save view", show=False),
        binding("toggle_stories", "Stories", show=False),
        binding("expand_story", "Expand", show=False),
        binding("toggle_panel", "Panel", show=False),
        binding("next_unread", "Next unread", show=False),
        binding("help", "Keys"),
        *[
            Binding(str(n), f"quick_tag({n})", f"Quick tag {n}", show=False, id=f"quick_tag_{n}")
            for n in range(1, 10)
        ],
    ]

    def __init__(self, library, config, labels) -> None:
        super().__init__()
        self.library = library
        self.config = config
        self.labels = labels
        self.scope = Scope()
        self.scope_id = "all:"
        self.view_filter: Filter = parse_filter("")
        self.search = ""
        self.sort = "worth"
        self.view_name = ""
        self.stories = config.ui.stories
        self.expanded: set[str] = set()
        self.marked: set[str] = set()
        self.undo_stack: list[Undo] = []
        self.prompt_mode = ""
        self.refreshing: tuple[int, int] | None = None
        self.last_refresh: float | None = None
        self.refresh_summary = ""
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="marks")
        self._now = 0.0
        self._freshness_cache: dict[str, str] = {}

    # -- layout

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with Container(id="body"):
            yield SidePanel(id="side")
            yield localized(ArticleList, self.labels)(self.render_row, id="list")
            with VerticalScroll(id="card"):
                yield Static(id="card-text")
        yield Static(id="prompt-label")
        yield Input(id="prompt", select_on_focus=False)
        yield Static(id="prompt-error")
        yield AppFooter()

    def on_mount(self) -> None:
        self._now = self.app.clock()
        self.query_one("#prompt", Input).display = False
        self.query_one("#prompt-label").display = False
        self.query_one("#prompt-error").display = False
        self._apply_layout(self.size.width)
        self.rebuild()
        self.query_one(ArticleList).focus()
        if self.library.partial:  # painted from the newest articles: the rest once painted
            self.call_after_refresh(self._reload_in_thread)
        self.set_interval(self.config.ui.poll, self.poll_store)
        self.set_interval(60, self._tick)

    def on_resize(self, event) -> None:
        self._apply_layout(event.size.width)

    def _apply_layout(self, width: int) -> None:
        self.set_class(width >= WIDE, "-wide")
        self.set_class(MEDIUM <= width < WIDE, "-medium")
        self.set_class(width < MEDIUM, "-narrow")

    def _tick(self) -> None:
        self._now = self.app.clock()
        self._freshness_cache.clear()
        self.query_one(ArticleList).invalidate()
        self.update_status()

    # -- rows and card

    def render_row(self, row: ListRow, width: int, selected: bool) -> Text:
        article = self.library.articles.get(row.article_id)
        if article is None:
            return Text("")
        story = None
        state = self.library.state(article.id)
        if row.members:
            langs = sorted(
                {
                    self.library.articles[i].lang
                    for i in row.members
                    if i in self.library.articles and self.library.articles[i].lang
                }
            )
            story = (len(row.members), langs)
            # a story is unread while any of its reports is
            if state.read and not all(self.library.state(i).read for i in row.members):
                state = replace(state, read=False)
        return render.row(
            article,
            state,
            now=self._now,
            width=width,
            freshness_label=self._freshness(article),
            marked=article.id in self.marked,
            story=story,
            labels=self.labels,
        )

    def _freshness(self, article) -> str | None:
        label = self._freshness_cache.get(article.id)
        if label is None and article.halflife is not None:
            label = freshness(self._now - article.when, article.halflife.hours)[0]
            self._freshness_cache[article.id] = label
        return label

    def show_card(self) -> None:
        row = self.query_one(ArticleList).current
        target = self.query_one("#card-text", Static)
        if row is None:
            message = "empty_store" if not self.library.articles else "no_articles"
            target.update(Text(self.labels[message], style="dim"))
            return
        target.update(self.card_text(row.article_id, self.query_one("#card").size.width or 60))

    def card_text(self, article_id: str, width: int):
        data = self.library.card(article_id, self._now)
        related = [
            (self.library.articles[i].lang, self.library.articles[i].title)
            for i in data["related"]
            if i in self.library.articles
        ]
        scores = self.library.ranking.topic_scores.get(data["topic"]) or []
        return render.card(
            data,
            labels=self.labels,
            width=width,
            related_titles=related,
            topic_size=len(scores),
        )

    @on(ArticleList.Highlighted)
    def _highlighted(self, _event) -> None:
        self.show_card()

    @on(ArticleList.Selected)
    def _selected(self, event: ArticleList.Selected) -> None:
        self.open_article(event.row.article_id)

    def open_article(self, article_id: str) -> None:
        from reader.app.screens.article import ArticleScreen

        state = self.library.state(article_id)
        if not state.read:
            self.change([StateChange(article_id, read=True)], "read", record=False)
        self.app.push_screen(localized(ArticleScreen, self.labels)(self, article_id))

    # -- the list

    def selected_ids(self) -> list[str]:
        query = self.view_filter
        if self.search:
            try:
                query = parse_filter(f"{self.view_filter.expression} {self.search}")
            except FilterError:
                query = self.view_filter
        return self.library.select(query, self.sort, self.scope, now=self._now)

    def rebuild(self, keep: str | None = None) -> None:
        """Recompute the rows (filter, sort, stories); the cursor stays on ``keep``."""
        article_list = self.query_one(ArticleList)
        if keep is None and article_list.current is not None:
            keep = article_list.current.article_id
        self._freshness_cache.clear()
        ids = self.selected_ids()
        article_list.set_rows(self._rows(ids), keep=keep)
        self.update_side_panel()
        self.update_status()
        self.show_card()

    def _rows(self, ids: list[str]) -> list[ListRow]:
        if not self.stories:
            return [ListRow(i) for i in ids]
        present = set(ids)
        placed: set[str] = set()
        rows: list[ListRow] = []
        articles = self.library.articles
        for article_id in ids:
            if article_id in placed:
                continue
            members = [article_id] + [
                r for r in articles[article_id].related if r in present and r not in placed
            ]
            placed.update(members)
            if len(members) == 1:
                rows.append(ListRow(article_id))
            elif article_id in self.expanded:
                rows.append(ListRow(article_id, tuple(members)))
                rows.extend(ListRow(m) for m in members[1:])
            else:
                rows.append(ListRow(article_id, tuple(members)))
        return rows

    def update_side_panel(self) -> None:
        counts = self.library.counts()
        labels = self.labels
        sections = [("", [("all", "", counts.unread, counts.total)])]
        if self.config.views:
            sections.append((labels["views"], [("view", v.name, 0, 0) for v in self.config.views]))
        sections.append(
            (
                labels["topics"],
                [
                    ("topic", t, counts.topics_unread[t], n)
                    for t, n in sorted(counts.topics.items())
                ],
            )
        )
        sections.append(
            (
                labels["feeds"],
                [("feed", f, counts.feeds_unread[f], n) for f, n in sorted(counts.feeds.items())],
            )
        )
        if counts.tags:
            sections.append(
                (
                    labels["tags_heading"],
                    [("tag", t, counts.tags_unread[t], n) for t, n in sorted(counts.tags.items())],
                )
            )
        self.query_one(SidePanel).show(sections, labels, self.scope_id)

    def update_status(self) -> None:
        labels = self.labels
        article_list = self.query_one(ArticleList)
        # an expanded story shows its row and its articles' rows: count articles once
        shown = len({i for r in article_list.rows for i in r.ids})
        read = sum(
            1 for i, s in self.library.states.items() if s.read and i in self.library.articles
        )
        unread = len(self.library.articles) - read
        status = Text()
        if self.size.width >= MEDIUM:  # below, the counts need the room more
            status.append(" halflife ", style="bold reverse")
        status.append(f" {labels['view']}: ", style="dim")
        status.append(
            self.view_name
            or (labels["all"] if self.scope.kind == "all" else render.safe(self.scope.value))
        )
        if self.view_filter.expression:
            status.append(f"  {labels['filter']}: ", style="dim")
            status.append(render.safe(self.view_filter.expression))
        if self.search:
            status.append(f"  {labels['search']}: ", style="dim")
            status.append(render.safe(self.search))
        status.append(f"  {labels['sort']}: ", style="dim")
        status.append(labels.sort(self.sort))
        status.append(f"  {shown}/{len(self.library.articles)} ", style="dim")
        if self.library.partial:
            status.append(f"{labels['loading']} ", style="bold yellow")
        status.append(f"{labels['articles']} · {unread} {labels['unread']}", style="dim")
        if self.marked:
            status.append("  " + labels.f("marked", n=len(self.marked)), style="bold magenta")
        if self.stories:
            status.append(f"  {labels['stories']}", style="dim")
        status.append("  ")
        if self.refreshing is not None:
            done, total = self.refreshing
            status.append(labels.f("refreshing", done=done, total=total), style="bold yellow")
        elif self.refresh_summary:
            status.append(self.refresh_summary, style="dim")
        self.query_one("#status", Static).update(status)

    # -- store changes made elsewhere

    def poll_store(self) -> None:
        self._reload_in_thread()

    @work(thread=True, exclusive=True, group="reload")
    def _reload_in_thread(self) -> None:
        result = self.library.reload()
        if result.changed:
            try:
                self.app.call_from_thread(self._after_reload, result)
            except RuntimeError:  # the app stopped meanwhile
                return
            self.library.prepare_search()  # here, not on the first keystroke of a search

    def _after_reload(self, result) -> None:
        if not self.is_attached or not self.query(ArticleList):
            return  # the screen is closing: a reload that lands now has nothing to show
        self._now = self.app.clock()
        self.marked &= set(self.library.articles)
        if result.new_ids or result.removed_ids:
            self.rebuild()
        else:
            self.query_one(ArticleList).invalidate()
            self.update_side_panel()
            self.update_status()
            self.show_card()

    # -- marks

    def target_ids(self) -> list[str]:
        """Marked articles, else every article of the row under the cursor."""
        if self.marked:
            return sorted(self.marked)
        row = self.query_one(ArticleList).current
        return list(row.ids) if row else []

    def change(self, changes: list[StateChange], description: str, *, record: bool = True) -> None:
        """Apply mark changes now in memory and write them at once, in order, off the UI thread."""
        if not changes:
            return
        before = {c.article_id: self.library.state(c.article_id) for c in changes}
        self.library.apply_locally(changes)
        after = {c.article_id: self.library.state(c.article_id) for c in changes}
        if record:
            self.undo_stack.append(Undo(description, inverse_of(before, after)))
            del self.undo_stack[:-100]
        future = self._writer.submit(self.library.change, changes)
        future.add_done_callback(self._written)
        self.query_one(ArticleList).invalidate()
        self.show_card()
        self.update_status()

    def _written(self, future) -> None:
        error = future.exception()
        if error is not None:
            self.app.call_from_thread(
                self.notify, render.safe(str(error)), severity="error", timeout=10, markup=False
            )

    def flush_writes(self) -> None:
        """Wait for queued mark writes (on quit)."""
        self._writer.shutdown(wait=True)

    def wait_for_writes(self, timeout: float = 10.0) -> None:
        """Block until every mark change queued so far is on disk."""
        self._writer.submit(lambda: None).result(timeout)

    def action_toggle_read(self) -> None:
        ids = self.target_ids()
        read = not all(self.library.state(i).read for i in ids)
        self.change([StateChange(i, read=read) for i in ids], "read" if read else "unread")

    def action_toggle_star(self) -> None:
        ids = self.target_ids()
        starred = not all(self.library.state(i).starred for i in ids)
        self.change([StateChange(i, starred=starred) for i in ids], "star" if starred else "unstar")

    def action_quick_tag(self, number: int) -> None:
        tags = self.config.ui.quick_tags
        if number > len(tags):
            return
        tag = tags[number - 1]
        ids = self.target_ids()
        has = all(tag in self.library.state(i).tags for i in ids)
        change = {"remove_tags": (tag,)} if has else {"add_tags": (tag,)}
        self.change([StateChange(i, **change) for i in ids], ("-" if has else "+") + tag)

    def action_mark(self) -> None:
        article_list = self.query_one(ArticleList)
        row = article_list.current
        if row is None:
            return
        ids = set(row.ids)
        if ids <= self.marked:
            self.marked -= ids
        else:
            self.marked |= ids
        article_list.invalidate()
        article_list.action_cursor_down()
        self.update_status()

    def action_undo(self) -> None:
        if not self.undo_stack:
            self.notify(self.labels["undo_nothing"], timeout=2, markup=False)
            return
        undo = self.undo_stack.pop()
        self.change(undo.inverse, "undo", record=False)
        self.notify(self.labels.f("undone", what=undo.description), timeout=2, markup=False)

    # -- links

    def current_article(self):
        row = self.query_one(ArticleList).current
        return self.library.articles.get(row.article_id) if row else None

    def action_open_link(self) -> None:
        article = self.current_article()
        if article is not None:
            open_link(self, article)

    def action_copy_link(self) -> None:
        article = self.current_article()
        if article is not None:
            copy_link(self, article)

    # -- prompt: tag, filter, search, view name

    def _prompt(self, mode: str, label: str, value: str = "", suggester=None) -> None:
        self.prompt_mode = mode
        prompt = self.query_one("#prompt", Input)
        prompt.suggester = suggester
        prompt.value = value
        prompt.cursor_position = len(value)
        self.query_one("#prompt-label", Static).update(Text(label, style="bold"))
        self.query_one("#prompt-label").display = True
        prompt.display = True
        self.query_one("#prompt-error").display = False
        prompt.focus()

    def _close_prompt(self) -> None:
        self.prompt_mode = ""
        self.query_one("#prompt", Input).display = False
        self.query_one("#prompt-label").display = False
        self.query_one("#prompt-error").display = False
        self.query_one(ArticleList).focus()

    def action_tag(self) -> None:
        if self.target_ids():
            self._prompt("tag", self.labels["tag_prompt"], "+", TagSuggester(self.library.all_tags))

    def action_filter(self) -> None:
        self._prompt("filter", self.labels["filter_prompt"], self.view_filter.expression)

    def action_search(self) -> None:
        self._prompt("search", self.labels["search_prompt"], self.search)

    def action_save_view(self) -> None:
        self._prompt("view", self.labels["view_name_prompt"])

    @on(Input.Submitted, "#prompt")
    def _prompt_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        mode = self.prompt_mode
        if mode == "tag":
            self._submit_tags(value)
        elif mode == "filter":
            try:
                self.view_filter = parse_filter(value)
            except FilterError as exc:
                self._show_prompt_error(exc)
                return
            self.view_name = ""
            self._close_prompt()
            self.rebuild()
            return
        elif mode == "search":
            try:
                parse_filter(value)
            except FilterError as exc:
                self._show_prompt_error(exc)
                return
            self.search = value
            self._close_prompt()
            self.rebuild()
            return
        elif mode == "view":
            self._save_view(value)
        self._close_prompt()

    def _show_prompt_error(self, error: FilterError) -> None:
        prompt = self.query_one("#prompt", Input)
        text = Text(" " * error.column + "^ ", style="bold red")
        text.append(error.reason, style="red")
        self.query_one("#prompt-error", Static).update(text)
        self.query_one("#prompt-error").display = True
        prompt.cursor_position = error.column
        prompt.focus()

    def _submit_tags(self, value: str) -> None:
        self.tag_ids(self.target_ids(), value)
        if self.marked:
            self.marked.clear()
            self.query_one(ArticleList).invalidate()
            self.update_status()

    def tag_ids(self, ids: list[str], value: str) -> None:
        """Apply a tag prompt's words ("+a -b c") to articles; one undo step."""
        from reader.config import normalise_tag

        add, remove = [], []
        for word in value.split():
            word = word.lstrip("+")  # the prompt opens with "+": "+-old" removes "old"
            if word.startswith("-") and len(word) > 1:
                remove.append(normalise_tag(word[1:]))
            elif word:
                add.append(normalise_tag(word))
        if not add and not remove:
            return
        description = " ".join([*(f"+{t}" for t in add), *(f"-{t}" for t in remove)])
        self.change(
            [StateChange(i, add_tags=tuple(add), remove_tags=tuple(remove)) for i in ids],
            description,
        )

    def _save_view(self, name: str) -> None:
        from reader.config import ViewConfig
        from reader.configedit import add_view

        if not name:
            return
        path = self.config.path
        try:
            if path is None:
                raise ValueError("there is no feeds.toml")
            add_view(path, name, self.view_filter.expression, self.sort)
        except Exception as exc:  # a config we cannot edit costs the view, not the app
            self.notify(
                self.labels.f("cannot_save_view", reason=render.safe(str(exc))),
                severity="error",
                markup=False,
            )
            return
        views = [v for v in self.config.views if v.name != name]
        views.append(ViewConfig(name=name, filter=self.view_filter.expression, sort=self.sort))
        self.config = replace(self.config, views=tuple(views))
        self.app.config = self.config
        self.view_name = name
        self.update_side_panel()
        self.update_status()
        self.notify(self.labels.f("saved_view", name=name, path=str(path)), timeout=4, markup=False)

    # -- scope, sort, views

    @on(SidePanel.Chosen)
    def _scope_chosen(self, event: SidePanel.Chosen) -> None:
        self.scope_id = f"{event.kind}:{event.value}"
        if event.kind == "view":
            view = next((v for v in self.config.views if v.name == event.value), None)
            if view is not None:
                self.apply_view(view)
            return
        self.scope = Scope(event.kind, event.value)
        self._leave_view()
        self.rebuild()
        self.query_one(ArticleList).focus()

    def _leave_view(self) -> None:
        """A saved view brings its own sort; leaving it brings back the reader's."""
        if self.view_name:
            self.sort = self.app.remembered("sort", "worth")
        self.view_name = ""

    def apply_view(self, view) -> None:
        self.scope = Scope()
        self.view_filter = parse_filter(view.filter)
        self.sort = view.sort
        self.view_name = view.name
        self.search = ""
        self.rebuild()
        self.query_one(ArticleList).focus()

    def action_cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.app.remember(sort=self.sort)
        self.rebuild()

    def action_views(self) -> None:
        from reader.app.screens.views import ViewPicker

        def chosen(name: str | None) -> None:
            if name is None:
                return
            if name == "":
                self.scope, self.scope_id = Scope(), "all:"
                self.view_filter, self.search = parse_filter(""), ""
                self._leave_view()
                self.rebuild()
                return
            view = next((v for v in self.config.views if v.name == name), None)
            if view is not None:
                self.apply_view(view)

        self.app.push_screen(ViewPicker(self.config.views, self.labels), chosen)

    def action_toggle_stories(self) -> None:
        self.stories = not self.stories
        self.rebuild()

    def action_expand_story(self) -> None:
        row = self.query_one(ArticleList).current
        if row is None:
            return
        lead = row.article_id
        if lead in self.expanded:
            self.expanded.discard(lead)
        elif row.members:
            self.expanded.add(lead)
        self.rebuild(keep=lead)

    def action_toggle_panel(self) -> None:
        """Hide the side panel on wide terminals, show it on narrow ones."""
        self.toggle_class("-panel" if self.has_class("-narrow") else "-panel-hidden")

    def action_next_panel(self) -> None:
        order = ["#list", "#side", "#card"]
        focused = self.focused
        current = next(
            (i for i, sel in enumerate(order) if focused is not None and focused.id == sel[1:]), 0
        )
        for step in range(1, len(order) + 1):
            widget = self.query_one(order[(current + step) % len(order)])
            if widget.display and widget.styles.display != "none" and widget.region.width:
                widget.focus()
                return

    def action_next_unread(self) -> None:
        article_list = self.query_one(ArticleList)
        rows = article_list.rows
        for offset in range(1, len(rows) + 1):
            index = (article_list.cursor + offset) % len(rows)
            if any(not self.library.state(i).read for i in rows[index].ids):
                article_list.cursor = index
                return

    def action_back(self) -> None:
        if self.prompt_mode:
            self._close_prompt()
        elif self.marked:
            self.marked.clear()
            self.query_one(ArticleList).invalidate()
            self.update_status()
        elif self.search:
            self.search = ""
            self.rebuild()
        elif self.view_filter.expression and not self.view_name:
            self.view_filter = parse_filter("")  # a typed filter; a chosen view stays
            self.rebuild()
        elif self.focused is not None and self.focused.id != "list":
            self.query_one(ArticleList).focus()

    async def action_quit(self) -> None:
        await self.app.action_quit()  # waits for queued mark writes, then exits

    def action_help(self) -> None:
        from reader.app.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self.labels, self.app.keymap_overrides))

    # -- refresh

    def action_refresh(self) -> None:
        if self.refreshing is not None:
            return
        if not self.config.feeds:
            self.notify(
                "No [[feed]] in feeds.toml: nothing to refresh", severity="warning", markup=False
            )
            return
        self.refreshing = (0, 0)
        self.update_status()
        self._refresh_worker()

    @work(thread=True, exclusive=True, group="refresh")
    def _refresh_worker(self) -> None:
        from reader.refresh import refresh

        def started(total: int) -> None:
            self.app.call_from_thread(self._refresh_progress, 0, total)

        done = 0

        def outcome(result) -> None:
            nonlocal done
            done += 1
            self.app.call_from_thread(self._refresh_landed, done)

        try:
            report = refresh(
                self.library.store,
                self.config,
                force=True,
                on_outcome=outcome,
                on_start=started,
                pool_context="forkserver",
            )
        except Exception as exc:  # a refresh failure must not take the app down
            self.app.call_from_thread(self._refresh_failed, render.safe(str(exc)))
            return
        self.app.call_from_thread(self._refresh_finished, report)

    def _refresh_progress(self, done: int, total: int) -> None:
        self.refreshing = (done, total)
        self.update_status()

    def _refresh_landed(self, done: int) -> None:
        total = self.refreshing[1] if self.refreshing else 0
        self.refreshing = (done, total)
        self.update_status()
        self._reload_in_thread()

    def _refresh_finished(self, report) -> None:
        self.refreshing = None
        self.last_refresh = self.app.clock()
        self.refresh_summary = self.labels.f(
            "refresh_done",
            ok=len(report.outcomes) - len(report.failed),
            failed=len(report.failed),
            new=report.new_articles,
        )
        if report.failed:  # one notice, not one a feed: offline, they would cover the card
            shown = report.failed[:3]
            lines = [render.safe(f"{failed.name}: {failed.error}", 160) for failed in shown]
            if len(report.failed) > len(shown):
                lines.append(self.labels.f("failed_more", n=len(report.failed) - len(shown)))
            self.notify("\n".join(lines), severity="warning", timeout=8, markup=False)
        self.update_status()
        self._reload_in_thread()

    def _refresh_failed(self, message: str) -> None:
        self.refreshing = None
        self.notify(message, severity="error", timeout=10, markup=False)
        self.update_status()


def open_link(screen: Screen, article) -> None:
    """Open an article's link in the browser: http(s) only, never javascript:/data:/file:."""
    labels = screen.app.labels
    link = article.link
    if not link:
        screen.notify(labels["no_link"], severity="warning", markup=False)
        return
    scheme = urlsplit(link).scheme.lower()
    if scheme not in ("http", "https"):
        screen.notify(
            labels.f("refused_link", scheme=render.safe(scheme, 20)),
            severity="warning",
            markup=False,
        )
        return
    screen.app.open_url(link)


def copy_link(screen: Screen, article) -> None:
    if not article.link:
        screen.notify(screen.app.labels["no_link"], severity="warning", markup=False)
        return
    screen.app.copy_to_clipboard(render.safe(article.link))
    screen.notify(screen.app.labels["copied"], timeout=2, markup=False)
