"""Property: whatever a feed's entries hold, parse -> enrich -> store -> render shows text.

Hypothesis writes feed entries from random Unicode, markup-like strings (Rich, Textual
actions, HTML), terminal escapes and controls, spelled into the XML every way a
publisher might (escaped, CDATA, HTML-in-XML, raw). Each feed goes through the real
pipeline (``parse_job``: feedparser + enrichment, as a refresh worker runs it), into a
real store on disk, back out, and through every renderer: the app's list row, card and
article body, `reader list`'s plain line, the `--format` template and the Markdown
export. Nothing may raise; no ESC, C0/C1 control, bidi override or zero-width character
may come out (a styled render may hold SGR colours, which we add ourselves); and no
text from the feed may turn into a link or an action.
"""

from __future__ import annotations

import time
from io import StringIO

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from reader.config import FeedConfig, parse_config
from reader.models import UserState
from reader.parsejob import parse_job
from reader.store import Store
from tests.hostile import HOSTILE, MODES, assert_inert, assert_only_sgr, rss, rss_item, xml_text

NOW = time.time()
PIECES = [
    *HOSTILE.values(),
    "[",
    "]",
    "[/]",
    "[b]x[/b]",
    "[link=file:///etc/passwd]",
    "[@click=app.quit]",
    "[on red]",
    "\x1b",
    "\x9b",
    "\x1b]8;;http://e.example/\x07",
    "&amp;",
    "&#27;",
    "&#x9b;",
    "<b>",
    "</p><p>",
    "<script>alert(1)</script>",
    "\\",
    "\\[bold]",
    ":smile:",
    "日本語。",
    "Ω≈ç√",
]
FRAGMENT = st.one_of(st.text(max_size=12), st.sampled_from(PIECES))
TEXT = st.lists(FRAGMENT, max_size=6).map("".join)
ENTRY = st.fixed_dictionaries(
    {
        "title": TEXT,
        "description": TEXT,
        "author": TEXT,
        "category": TEXT,
        "mode": st.sampled_from(MODES),
    }
)


def _console_text(renderable, *, styled: bool) -> str:
    out = StringIO()
    console = (
        Console(file=out, width=120, force_terminal=True, color_system="truecolor")
        if styled
        else Console(file=out, width=120, color_system=None, force_terminal=False)
    )
    console.print(renderable)
    return out.getvalue()


def _no_links_or_actions(renderable, where: str) -> None:
    """No span of a Rich Text carries a link or a Textual action (``meta``)."""
    texts = [renderable] if isinstance(renderable, Text) else []
    texts += [r for r in getattr(renderable, "renderables", ()) if isinstance(r, Text)]
    for text in texts:
        for span in text.spans:
            style = span.style
            if isinstance(style, str):
                assert "link" not in style and "@" not in style, (where, style)
            else:
                assert not style.link and not style.meta, (where, style)


def _check_rendered(renderable, where: str) -> None:
    _no_links_or_actions(renderable, where)
    assert_inert(_console_text(renderable, styled=False), where)
    assert_only_sgr(_console_text(renderable, styled=True), where + " (styled)")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(entries=st.lists(ENTRY, min_size=1, max_size=3), feed_title=TEXT, tag=TEXT)
def test_random_entries_come_out_as_inert_text(tmp_path_factory, entries, feed_title, tag):
    from reader.app import render
    from reader.app.i18n import Labels
    from reader.card import card
    from reader.cli import _list_line
    from reader.export import Template, card_markdown

    items = [
        rss_item(
            title=e["title"],
            guid=f"g{i}",
            link=f"http://feed.example/{i}",
            description=e["description"],
            author=e["author"],
            category=e["category"],
            mode=e["mode"],
        )
        for i, e in enumerate(entries)
    ]
    body = rss(items, title=xml_text(feed_title, "refs"))
    config = parse_config("")
    feed = FeedConfig(url="http://feed.example/rss", topic="T " + tag)
    job = parse_job(body, feed.url, {}, feed, None, {}, config, NOW)
    if job.error is not None:  # a feed rejected whole: its error line is text too
        assert_inert(job.error, "error line", allow_newlines=False)
        return

    store = Store.open(tmp_path_factory.mktemp("store") / "store")
    with store.writing() as writer:
        for article, text in job.articles:
            writer.add(article, text)
    stored = store.articles()
    assert len(stored) == len(job.articles)
    labels = Labels("en")
    state = UserState(tags=(tag or "t",), read=False, starred=True)
    for article in stored:
        text_body = store.body(article)
        data = card(article, state, now=NOW)
        assert orjson.loads(orjson.dumps(data)) == data  # valid JSON, whatever it holds
        line = render.row(
            article,
            state,
            now=NOW,
            width=120,
            freshness_label="fresh",
            labels=labels,
            story=(2, ["en", "ja"]),
        )
        _check_rendered(line, "list row")
        assert len(_console_text(line, styled=False).rstrip("\n").split("\n")) == 1
        _check_rendered(
            render.card(data, labels=labels, width=100, related_titles=[("en", article.title)]),
            "card",
        )
        _check_rendered(Text(render.safe_block(text_body)), "article body")
        assert_inert(_list_line(data, NOW, 120), "reader list line", allow_newlines=False)
        assert_inert(_list_line(data, NOW, None), "reader list | pipe", allow_newlines=False)
        formatted = Template("{title}\t{source}\t{tags}\t{summary}\t{author}").render(data, NOW)
        assert_inert(formatted.replace("\t", " "), "--format", allow_newlines=False)
        assert_inert(card_markdown(data, NOW), "markdown export")
