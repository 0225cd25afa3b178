"""The app driven with Textual's Pilot against a real store on disk."""

from __future__ import annotations

import asyncio
import io
import json
import time

import pytest

from reader.app import make_app
from reader.app.screens.article import ArticleScreen
from reader.app.screens.main import MainScreen
from reader.app.widgets import ArticleList, SidePanel
from reader.models import StateChange
from reader.store import Store
from tests.appfixtures import NOW, build_sample_store, copy_sample


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sample")
    build_sample_store(directory)
    return directory


@pytest.fixture
def sample(sample_template, tmp_path):
    return copy_sample(sample_template, tmp_path / "copy")


def app_for(sample, **kwargs):
    store, config = sample
    return make_app(store, config, clock=lambda: NOW, **kwargs)


def main_screen(app) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen), screen
    return screen


def current(app):
    screen = main_screen(app)
    row = screen.query_one(ArticleList).current
    return screen.library.articles[row.article_id]


def plain(widget, width: int = 120) -> str:
    """What a Static shows, as plain text."""
    from rich.console import Console

    content = widget.content
    if isinstance(content, str):
        return content
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(content)
    return console.export_text()


def disk_state(store: Store, article_id: str):
    return Store(store.path).state(article_id)


async def test_opens_on_the_store_with_rows_and_a_card(sample):
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = main_screen(app)
        article_list = screen.query_one(ArticleList)
        # 12 articles; the five reports of one story are one row by default
        assert sum(len(r.ids) for r in article_list.rows) == 12
        assert len(article_list.rows) == 8
        card = plain(screen.query_one("#card-text"))
        assert "3-line summary" in card and "Importance" in card and "Half-life" in card


async def test_moving_around(sample):
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        article_list = main_screen(app).query_one(ArticleList)
        await pilot.press("j", "j")
        assert article_list.cursor == 2
        await pilot.press("k")
        assert article_list.cursor == 1
        await pilot.press("G")
        assert article_list.cursor == len(article_list.rows) - 1
        await pilot.press("g")
        assert article_list.cursor == 0
        await pilot.press("down", "pagedown")
        assert article_list.cursor == len(article_list.rows) - 1
        await pilot.press("pageup", "up")
        assert article_list.cursor == 0


async def test_enter_opens_the_article_and_escape_comes_back(sample):
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        article = current(app)
        await pilot.press("enter")
        assert isinstance(app.screen, ArticleScreen)
        body = plain(app.screen.query_one("#article-body"))
        assert body.strip()
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        main_screen(app).wait_for_writes()
        assert disk_state(sample[0], article.id).read  # opening marks it read


async def test_related_articles_open_from_the_article_view(sample):
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        rows = screen.query_one(ArticleList).rows
        story = next(i for i, r in enumerate(rows) if r.members)
        screen.query_one(ArticleList).cursor = story
        await pilot.press("enter")
        first = app.screen
        assert isinstance(first, ArticleScreen)
        related = first.query_one("#article-related")
        assert related.option_count == 4
        await pilot.press("R", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ArticleScreen) and app.screen is not first
        assert app.screen.article_id in screen.library.articles[first.article_id].related


async def test_tag_prompt_adds_and_removes_several_tags_and_saves_at_once(sample):
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        article = current(app)
        await pilot.press("t")
        await pilot.press(*"ai korea", "enter")
        screen.wait_for_writes()
        ids = screen.query_one(ArticleList).current.ids  # a story row tags all its articles
        for article_id in ids:
            assert set(disk_state(sample[0], article_id).tags) >= {"ai", "korea"}
        await pilot.press("t")
        await pilot.press("backspace", *"-korea +eu", "enter")
        screen.wait_for_writes()
        assert {"ai", "eu"} <= set(disk_state(sample[0], article.id).tags)
        assert "korea" not in disk_state(sample[0], article.id).tags


async def test_a_removal_typed_after_the_prompts_plus_removes(sample):
    """The prompt opens with "+": typing "-ai" there gives "+-ai", which removes "ai"
    (it made a tag named "-ai")."""
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        article = current(app)
        await pilot.press("t", *"ai", "enter")
        screen.wait_for_writes()
        assert "ai" in disk_state(sample[0], article.id).tags
        await pilot.press("t", *"-ai", "enter")
        screen.wait_for_writes()
        assert not disk_state(sample[0], article.id).tags


async def test_tag_prompt_completes_existing_tags(sample):
    store, _config = sample
    some = next(iter(store.catalog().articles))
    store.change_state([StateChange(some, add_tags=("reinforcement-learning",))])
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t", *"rein")
        await pilot.pause()
        await pilot.press("right")  # accept the suggestion
        prompt = main_screen(app).query_one("#prompt")
        assert prompt.value == "+reinforcement-learning"


async def test_quick_tags_toggle(sample):
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("j")  # a single article row
        article = current(app)
        await pilot.press("2")
        screen.wait_for_writes()
        assert "read-later" in disk_state(sample[0], article.id).tags
        await pilot.press("2")
        screen.wait_for_writes()
        assert "read-later" not in disk_state(sample[0], article.id).tags
        await pilot.press("9")  # no ninth quick tag: nothing happens
        screen.wait_for_writes()
        assert disk_state(sample[0], article.id).tags == ()


async def test_marked_rows_take_a_bulk_tag_and_undo_reverts_it(sample):
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        rows = screen.query_one(ArticleList).rows
        await pilot.press("space", "space")  # marks two rows, moving down
        marked = set(rows[0].ids) | set(rows[1].ids)
        assert screen.marked == marked
        await pilot.press("t", *"bulk", "enter")
        screen.wait_for_writes()
        for article_id in marked:
            assert "bulk" in disk_state(sample[0], article_id).tags
        assert not screen.marked  # a tag action clears the marks
        await pilot.press("ctrl+z")
        screen.wait_for_writes()
        for article_id in marked:
            assert "bulk" not in disk_state(sample[0], article_id).tags


async def test_read_and_star_toggle_and_undo(sample):
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("j")
        article = current(app)
        await pilot.press("u", "s")
        screen.wait_for_writes()
        state = disk_state(sample[0], article.id)
        assert state.read and state.starred
        await pilot.press("ctrl+z")
        screen.wait_for_writes()
        assert not disk_state(sample[0], article.id).starred
        assert disk_state(sample[0], article.id).read
        await pilot.press("u")
        screen.wait_for_writes()
        assert not disk_state(sample[0], article.id).read


async def test_marks_are_visible_to_reader_list_immediately(sample, tmp_path):
    from tests.clitools import Reader

    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("j")
        article = current(app)
        await pilot.press("s")
        screen.wait_for_writes()
        reader = Reader(tmp_path)
        reader.db = sample[0].path
        reader.config = sample[1].path
        cards = {c["id"]: c for c in reader("list", "--json").json()}
        assert cards[article.id]["starred"]


async def test_filter_applies_and_a_bad_expression_points_at_the_mistake(sample):
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("f", *"lang:ja", "enter")
        await pilot.pause()
        ids = [i for r in screen.query_one(ArticleList).rows for i in r.ids]
        assert ids and all(screen.library.articles[i].lang == "ja" for i in ids)
        before = list(screen.query_one(ArticleList).rows)
        await pilot.press("f", *" stars>>2", "enter")
        await pilot.pause()
        error = screen.query_one("#prompt-error")
        assert error.display
        assert "stars>=3" in plain(error)
        assert plain(error).startswith(" " * len("lang:ja ") + "^")  # the caret is under it
        assert screen.query_one(ArticleList).rows == before
        await pilot.press("escape")
        assert not screen.query_one("#prompt").display
        assert screen.query_one(ArticleList).rows == before  # the first esc closed the prompt
        await pilot.press("escape")  # the second clears the filter
        await pilot.pause()
        assert screen.view_filter.expression == ""
        assert len(screen.query_one(ArticleList).rows) > len(before)


async def test_search_finds_words_in_titles_and_summaries(sample):
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("slash", *"hydroelectric", "enter")
        await pilot.pause()
        rows = screen.query_one(ArticleList).rows
        assert len(rows) == 1
        assert "Nordwind" in screen.library.articles[rows[0].article_id].title
        await pilot.press("escape")  # clears the search
        assert len(screen.query_one(ArticleList).rows) == 8


async def test_sort_cycles_and_is_remembered(sample):
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        assert screen.sort == "worth"
        await pilot.press("S")
        assert screen.sort == "importance"
        articles = screen.library.articles
        scores = [
            articles[r.article_id].importance.score for r in screen.query_one(ArticleList).rows
        ]
        assert scores == sorted(scores, reverse=True)
        await pilot.press("S", "S")
        assert screen.sort == "newest"
        whens = [articles[r.article_id].when for r in screen.query_one(ArticleList).rows]
        assert whens == sorted(whens, reverse=True)
    assert Store(sample[0].path).prefs()["sort"] == "newest"


async def test_saved_views_from_the_picker(sample):
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("v")
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # All, Must read, Japanese
        await pilot.pause()
        assert screen.view_name == "Japanese"
        ids = [i for r in screen.query_one(ArticleList).rows for i in r.ids]
        assert ids and all(screen.library.articles[i].lang == "ja" for i in ids)


async def test_leaving_a_view_brings_back_the_readers_sort(sample):
    """A view has its own sort; "All articles" from the picker (or a topic from the
    side panel) kept it instead of the reader's."""
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        own = screen.sort
        view = next(v for v in screen.config.views if v.sort != own)
        screen.apply_view(view)
        assert screen.sort == view.sort
        await pilot.press("v")
        await pilot.pause()
        await pilot.press("enter")  # the first entry: All articles
        await pilot.pause()
        assert screen.view_name == "" and screen.sort == own
        screen.apply_view(view)
        screen.post_message(SidePanel.Chosen("topic", "Papers"))
        await pilot.pause()
        assert screen.sort == own


async def test_saving_a_view_writes_feeds_toml(sample):
    from reader.config import load_config

    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f", *"type:paper", "enter")
        await pilot.press("V", *"Papers only", "enter")
        await pilot.pause()
    views = {v.name: v for v in load_config(sample[1].path).views}
    assert views["Papers only"].filter == "type:paper"


async def test_stories_collapse_and_expand(sample):
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        article_list = screen.query_one(ArticleList)
        story = next(i for i, r in enumerate(article_list.rows) if r.members)
        article_list.cursor = story
        await pilot.press("x")
        assert len(article_list.rows) == 12
        # the story's articles are counted once, expanded or not
        assert " 12/12 " in plain(screen.query_one("#status"))
        await pilot.press("x")
        assert len(article_list.rows) == 8
        await pilot.press("c")
        assert len(article_list.rows) == 12 and not any(r.members for r in article_list.rows)


async def test_q_quits_after_saving_the_marks(sample):
    store, _config = sample
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        starred = current(app).id
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0 and not app.is_running
    assert disk_state(store, starred).starred


async def test_copy_and_open_links(sample):
    app = app_for(sample)
    opened = []
    app.open_url = lambda url, **kw: opened.append(url)
    async with app.run_test(size=(120, 40)) as pilot:
        article = current(app)
        await pilot.press("y")
        assert app.clipboard == article.link
        await pilot.press("o")
        assert opened == [article.link]


async def test_opening_a_link_without_a_browser_says_so(sample, monkeypatch):
    """On a server over ssh there is no browser: `o` said nothing and did nothing."""
    import webbrowser

    asked = []
    monkeypatch.setattr(webbrowser, "open", lambda url, new=0: asked.append(url) or False)
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        article = current(app)
        await pilot.press("o")
        await pilot.pause()
        assert asked == [article.link]
        assert [n.message for n in app._notifications] == [app.labels["no_browser"]]


async def test_unsafe_links_are_never_opened(sample):
    app = app_for(sample)
    opened = []
    app.open_url = lambda url, **kw: opened.append(url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        article = current(app)
        for link in ("javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd"):
            screen.library.articles[article.id] = article.with_(link=link)
            await pilot.press("o")
        await pilot.pause()
        assert opened == []


async def test_help_lists_the_keys(sample):
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        text = plain(app.screen.query_one("#help-box").query("Static").last())
        assert "Tag (+add -remove)" in text and "Cycle sort" in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_command_palette_names_each_action_once_with_its_key(sample):
    """Its help line repeated the title ("Copy URL" / "Copy URL (y)"), and quick tags
    showed as "quick_tag_1"."""
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert commands["Copy URL"] == "y" and commands["Search"] == "/"
        tag = app.config.ui.quick_tags[0]
        assert commands[f"{app.labels.action('quick_tag')} 1: {tag}"] == "1"
        assert not [title for title in commands if "_" in title or title == "palette"]


async def test_command_palette_lists_actions(sample):
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for title in (
            "Tag (+add -remove)",
            "Refresh feeds",
            "Filter",
            "Cycle sort",
            "Undo last change",
        ):
            assert title in titles


async def test_keys_are_rebindable_in_feeds_toml(sample_template, tmp_path):
    sample = copy_sample(
        sample_template, tmp_path / "keys", extra='[keys]\ntoggle_star = "ctrl+s"\n'
    )
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("j")
        article = current(app)
        await pilot.press("ctrl+s")
        screen.wait_for_writes()
        assert disk_state(sample[0], article.id).starred


async def test_an_external_refresh_shows_up_without_losing_the_cursor_or_the_filter(sample):
    store, _config = sample
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("f", *"-starred", "enter", "j")
        keep = current(app).id
        screen.marked.add(keep)
        # another process writes: a new article and a mark
        other = Store(store.path)
        new = next(iter(screen.library.articles.values())).with_(
            id="0123456789ab", title="Breaking: a new article from cron", related=()
        )
        with other.writing() as writer:
            writer.add(new, body="Text of the new article.")
        other.change_state([StateChange(keep, add_tags=("from-cron",))])
        for _ in range(50):
            await asyncio.sleep(0.1)
            if "0123456789ab" in screen.library.articles:
                break
        await pilot.pause()
        assert "0123456789ab" in screen.library.articles
        assert current(app).id == keep
        assert screen.view_filter.expression == "-starred"
        assert keep in screen.marked
        assert "from-cron" in screen.library.state(keep).tags


async def test_r_refreshes_in_a_worker_and_the_list_updates(sample):
    _store, config = sample
    feed_file = config.resolve_file_url(config.feeds[1].url)
    text = feed_file.read_text(encoding="utf-8")
    item = (
        "<item><title>Fresh from the desk: a new article</title>"
        "<link>https://tech-desk.invalid/new</link><guid>new-1</guid>"
        "<pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate>"
        "<description>A brand new article arrived.</description></item>"
    )
    feed_file.write_text(text.replace("</channel>", item + "</channel>"), encoding="utf-8")
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("r")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            if screen.refreshing is None and any(
                a.title.startswith("Fresh from the desk") for a in screen.library.articles.values()
            ):
                break
        await pilot.pause()
        titles = {a.title for a in screen.library.articles.values()}
        assert "Fresh from the desk: a new article" in titles
        assert "1 new" in screen.refresh_summary


async def test_failed_feeds_of_a_refresh_are_one_notice(sample):
    """Offline, every feed fails: one notice with the first three, not a stack of
    notices over the card."""
    from types import SimpleNamespace

    failed = [SimpleNamespace(name=f"Feed {n}", error="connection refused") for n in range(7)]
    report = SimpleNamespace(outcomes=failed, failed=failed, new_articles=0)
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        main_screen(app)._refresh_finished(report)
        await pilot.pause()
        (notice,) = app._notifications
        lines = notice.message.split("\n")
        assert lines[:3] == [f"Feed {n}: connection refused" for n in range(3)]
        assert lines[3] == app.labels.f("failed_more", n=4) and len(lines) == 4


async def test_hostile_titles_are_shown_literally(sample):
    store, _config = sample
    hostile = "[red]x[/red] \x1b]52;c;SGVsbG8=\x07 \x1b[2J [@click=app.quit]q[/] \x00end"
    some = next(a for a in store.articles() if not a.related)
    with store.writing() as writer:
        writer.update(some.with_(title=hostile, source="[bold]Evil[/bold]"))
    app = app_for(sample)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = main_screen(app)
        article_list = screen.query_one(ArticleList)
        index = next(i for i, r in enumerate(article_list.rows) if r.article_id == some.id)
        article_list.cursor = index
        await pilot.pause()
        line = article_list.render_line(index - round(article_list.scroll_offset.y)).text
        assert "[red]x[/red]" in line and "\x1b" not in line and "\x00" not in line
        card = screen.card_text(some.id, 100)
        from rich.console import Console

        console = Console(width=100, record=True, color_system=None)
        console.print(card)
        plain = console.export_text()
        assert "[red]x[/red]" in plain and "[@click=app.quit]q[/]" in plain
        assert "[bold]Evil[/bold]" in plain
        assert "\x1b" not in plain and "\x07" not in plain
        await pilot.click("#list")
        assert app.is_running  # no markup action ran


async def test_japanese_labels(sample_template, tmp_path):
    sample = copy_sample(sample_template, tmp_path / "ja", language="ja")
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = main_screen(app)
        card = plain(screen.query_one("#card-text"))
        status = plain(screen.query_one("#status"))
        assert "3 行サマリ" in card and "重要度" in card and "半減期" in card
        assert "並び順" in status and "今読む価値" in status


async def test_narrow_terminal_puts_the_card_below_and_hides_the_panel(sample):
    app = app_for(sample)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = main_screen(app)
        assert screen.has_class("-narrow")
        assert screen.query_one("#side").region.width == 0
        card, article_list = screen.query_one("#card"), screen.query_one("#list")
        assert card.region.y > article_list.region.y and card.region.width == 80
        await pilot.press("b")
        await pilot.pause()
        assert screen.query_one("#side").region.width > 0


async def test_tab_cycles_panels(sample):
    app = app_for(sample)
    async with app.run_test(size=(170, 40)) as pilot:
        screen = main_screen(app)
        assert screen.focused.id == "list"
        await pilot.press("tab")
        assert screen.focused.id == "side"
        await pilot.press("tab")
        assert screen.focused.id == "card"
        await pilot.press("tab")
        assert screen.focused.id == "list"


async def test_side_panel_chooses_a_topic(sample):
    app = app_for(sample)
    async with app.run_test(size=(170, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("tab")
        side = screen.query_one("#side")
        index = next(
            i for i in range(side.option_count) if side.get_option_at_index(i).id == "topic:Papers"
        )
        side.highlighted = index
        await pilot.press("enter")
        await pilot.pause()
        ids = [i for r in screen.query_one(ArticleList).rows for i in r.ids]
        assert ids and all("Papers" in screen.library.articles[i].topics for i in ids)
        assert screen.focused.id == "list"


async def test_j_and_k_move_in_the_side_panel_and_the_related_list(sample):
    app = app_for(sample)
    async with app.run_test(size=(170, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("tab")
        side = screen.query_one("#side")
        start = side.highlighted
        await pilot.press("j", "j")
        assert side.highlighted > start
        moved = side.highlighted
        await pilot.press("k")
        assert side.highlighted < moved
        await pilot.press("tab", "tab")  # the card, then the list
        rows = screen.query_one(ArticleList).rows
        screen.query_one(ArticleList).cursor = next(i for i, r in enumerate(rows) if r.members)
        await pilot.press("enter", "R")
        related = app.screen.query_one("#article-related")
        first = related.highlighted
        await pilot.press("j")
        assert related.highlighted == first + 1


async def test_rows_take_a_new_themes_colours(sample):
    """Rendered rows are cached; a row drawn before a theme change kept the old colours
    (light backgrounds under the dark theme's text) until the cursor passed over it."""
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        rows = main_screen(app).query_one(ArticleList)
        before = list(rows.render_line(1))
        app.theme = "textual-light"
        await pilot.pause()
        after = list(rows.render_line(1))
        rows.invalidate()
        assert after == list(rows.render_line(1)) and after != before


async def test_side_panel_counts_stay_visible_when_it_has_focus_or_a_new_width(sample):
    """Counts were fitted to the panel's width at first paint: the focus border took two
    columns, and the narrow layout's panel (b) was narrower: every count became "…"."""

    def lines(panel) -> list[str]:
        return ["".join(s.text for s in panel.render_line(y)) for y in range(4)]

    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        total = len(main_screen(app).library.articles)
        await pilot.press("tab")
        await pilot.pause()
        side = main_screen(app).query_one("#side")
        assert any(line.rstrip().endswith(str(total)) for line in lines(side)), lines(side)
    app = app_for(sample)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await pilot.pause()
        side = main_screen(app).query_one("#side")
        assert any(line.rstrip().endswith(str(total)) for line in lines(side)), lines(side)


async def test_theme_is_remembered(sample):
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        app.theme = "nord"
        await pilot.pause()
    assert Store(sample[0].path).prefs()["theme"] == "nord"
    again = app_for(sample)
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert again.theme == "nord"


def test_card_json_matches_what_the_app_shows(sample):
    """The app's card comes from the same card dict as `reader show --json`."""
    store, config = sample
    from reader.library import Library

    library = Library(store, config)
    library.load()
    article_id = next(iter(library.articles))
    data = library.card(article_id, NOW)
    json.dumps(data)
    for key in (
        "importance",
        "halflife",
        "freshness",
        "summary",
        "related",
        "lang",
        "source_avg_stars",
    ):
        assert key in data


async def test_a_story_row_is_unread_while_any_of_its_reports_is(sample):
    app = app_for(sample)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        article_list = screen.query_one(ArticleList)
        index = next(i for i, r in enumerate(article_list.rows) if r.members)
        story = article_list.rows[index]
        screen.change([StateChange(story.article_id, read=True)], "read")  # the lead only
        await pilot.pause()
        assert screen.render_row(story, 120, False).plain[1] == "●"
        screen.change([StateChange(i, read=True) for i in story.members], "read")
        await pilot.pause()
        assert screen.render_row(story, 120, False).plain[1] == " "
