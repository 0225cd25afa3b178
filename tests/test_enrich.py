"""Enrichment of a feed's entries, step by step over all of them (reader.enrich_entries).

The steps run over every entry before the next step starts (for the CPU caches); these
tests check that this changes nothing a reader sees: each entry's fields are those it
gets alone, and an entry that breaks one step costs that entry, not the feed.
"""

from __future__ import annotations

import time

import pytest

import reader.boilerplate
import reader.language
import reader.summarise
from reader.config import FeedConfig, parse_config
from reader.enrich import FeedContext, enrich_entries
from reader.parse import parse_feed
from reader.parsejob import parse_job
from tests.hostile import rss, rss_item

NOW = time.time()
CONFIG = parse_config("")
FEED = FeedConfig(url="http://feed.example/rss", topic="News")

# Corpus feeds in several languages and scripts, with and without a declared language.
MIXED = [
    "codehollow-feedreader__Rss20Spiegel.xml",
    "codehollow-feedreader__Rss20LeFigaro.xml",
    "codehollow-feedreader__Rss20YandexRussia.xml",
    "plagger__delicious.xml",
    "rodel-reader__v2ex.xml",
    "codehollow-feedreader__Rss20HubSpot.xml",
]


def _context(feed: FeedConfig, lang_hint: str | None) -> FeedContext:
    return FeedContext(feed=feed, name="Feed", source="Feed", lang_hint=lang_hint)


@pytest.mark.parametrize("name", MIXED)
def test_each_entry_gets_what_it_gets_alone(corpus_dir, name: str) -> None:
    parsed = parse_feed((corpus_dir / name).read_bytes(), f"http://c.example/{name}", {})
    assert len(parsed.entries) >= 2
    feed = FeedConfig(url=f"http://c.example/{name}", topic="Corpus")
    context = _context(feed, parsed.lang)
    together = enrich_entries(parsed.entries, context, CONFIG, NOW)
    alone = [enrich_entries([entry], context, CONFIG, NOW)[0] for entry in parsed.entries]
    assert together == alone
    assert all(not isinstance(result, Exception) for result in together)


def _three_entries() -> bytes:
    return rss(
        [
            rss_item(title="Rates held", guid="a", description="The bank kept rates."),
            rss_item(title="boom", guid="b", description="This entry breaks a step."),
            rss_item(title="Storm warning", guid="c", description="Wind is expected."),
        ]
    )


def _breaks_on_boom(original):
    def broken(*args, **kwargs):
        if "boom" in (kwargs.get("title") or "") or any("boom" in str(a) for a in args):
            raise RuntimeError("step failed")
        return original(*args, **kwargs)

    return broken


@pytest.mark.parametrize(
    ("module", "name"),
    [
        (reader.boilerplate, "strip_boilerplate"),
        (reader.language, "detect_language"),
        (reader.summarise, "summarise"),
    ],
)
def test_an_entry_that_breaks_a_step_costs_that_entry_only(monkeypatch, module, name) -> None:
    # a bug in one step (simulated: no real entry is known to break one) for one entry
    monkeypatch.setattr(module, name, _breaks_on_boom(getattr(module, name)))
    if name == "strip_boilerplate":  # it reads the entry's text, not its title
        body = _three_entries().replace(b"This entry breaks", b"boom breaks")
    else:
        body = _three_entries()
    job = parse_job(body, FEED.url, {}, FEED, None, {}, CONFIG, NOW)
    assert job.error is None
    assert [article.title for article, _body in job.articles] == ["Rates held", "Storm warning"]
    assert job.meta is not None
    assert job.meta.warning == "1 of 3 entries skipped (RuntimeError: step failed)"


def test_a_step_that_breaks_every_entry_fails_the_feed_in_one_line(monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("summariser bug")

    monkeypatch.setattr(reader.summarise, "summarise", broken)
    job = parse_job(_three_entries(), FEED.url, {}, FEED, None, {}, CONFIG, NOW)
    assert job.articles == ()
    assert job.error == "enrichment crashed: RuntimeError: summariser bug"


def test_a_job_sent_without_config_uses_the_one_its_worker_was_given(monkeypatch) -> None:
    # a refresh's pool gives each worker the config once (pool.make_pool's initializer)
    import reader.parsejob as parsejob

    monkeypatch.setattr(parsejob, "_worker_config", None)
    orphan = parse_job(_three_entries(), FEED.url, {}, FEED, None, {}, None, NOW)
    assert orphan.articles == () and orphan.error == "parser failed: no config for the job"
    parsejob.use_config(CONFIG)
    sent = parse_job(_three_entries(), FEED.url, {}, FEED, None, {}, None, NOW)
    given = parse_job(_three_entries(), FEED.url, {}, FEED, None, {}, CONFIG, NOW)
    assert sent == given and len(sent.articles) == 3
