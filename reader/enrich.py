"""Parsed entry -> stored :class:`Article`: the card fields that describe the article itself.

Pure and picklable, so it runs in the parse worker processes beside feedparser:
clean text (boilerplate out), language, three-line summary, type, half-life, topics,
the reader's keywords. Fields that place an article among the others (related,
importance) are computed when it is stored (``refresh.ingest``), where the store is.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reader.config import Config, FeedConfig
from reader.halflife import classify, refine_type
from reader.ids import article_id, content_hash
from reader.models import Article, ParsedEntry
from reader.topics import TopicMatcher, count_keywords, keyword_pattern

#: Bumped whenever a change here changes stored fields; `reader reindex` recomputes.
ENRICH_VERSION = 1


@dataclass(frozen=True, slots=True)
class FeedContext:
    """What enrichment needs to know about the feed an entry came from."""

    feed: FeedConfig
    name: str
    source: str
    lang_hint: str | None  # feeds.toml `lang`, else the feed's declared or detected language


@functools.lru_cache(maxsize=8)
def _matchers(config: Config):
    """Compiled topic rules and keyword pattern, once per process and config."""
    return TopicMatcher(config.topics), keyword_pattern(config.importance.keywords)


_last: tuple[Config, tuple, frozenset[str] | None] | None = None


def _per_config(config: Config) -> tuple[tuple, frozenset[str] | None]:
    """:func:`_matchers` and the language set of ``config``, for the config of the previous
    article without hashing it again: hashing a Config hashes every feed of feeds.toml
    (~30 us per article with 180 feeds), and ``config.languages`` walks them too."""
    global _last
    last = _last
    if last is not None and last[0] is config:
        return last[1], last[2]
    found = (config, _matchers(config), config.languages or None)
    _last = found
    return found[1], found[2]


def derive(
    feed: FeedConfig,
    *,
    title: str,
    link: str,
    text: str,
    enclosures: tuple = (),
    lang_prior: str | None,
    config: Config,
    lang: str | None = None,
) -> dict:
    """The derived card fields of one article from its title, link and clean text.

    The one implementation of enrichment: :func:`enrich_entries` (parsed entries, at
    refresh) and :func:`reenrich` (a stored article and its body, ``reader reindex``)
    both call it. ``lang``, when given, is :func:`detect_language`'s answer for this
    text, title, prior and config, computed beforehand (see :func:`enrich_entries`).
    """
    from reader.language import detect_language
    from reader.summarise import summarise

    (matcher, keywords), languages = _per_config(config)
    if lang is None:
        lang = detect_language(text, title=title, prior=lang_prior, languages=languages)
    type_ = refine_type(feed.type, title=title, link=link, text=text, enclosures=enclosures)
    topic, topics = matcher.assign(feed.topic, title, text)
    return {
        "lang": lang,
        "type": type_,
        "halflife": classify(type_, title=title, text=text, hours=config.halflife),
        "summary": summarise(title, text, lang),
        "topic": topic,
        "topics": topics,
        "keyword_hits": count_keywords(keywords, title, text),
        "text_length": len(text),
        "enriched": ENRICH_VERSION,
    }


def enrich_entries(
    entries: Sequence[ParsedEntry], context: FeedContext, config: Config, collected: float
) -> list[tuple[Article, str] | Exception]:
    """The stored article and its clean text (the body) for each parsed entry, in order;
    an entry that fails gives its exception instead (one odd entry must not cost the feed).

    Each step runs over all the entries before the next one starts: the language
    model's tables (tens of MB) stay in the CPU caches from one entry to the next
    instead of being evicted by the summariser in between (1.98 -> 1.39 s of language
    detection over the corpus). The results are those of one entry at a time.
    """
    from reader.boilerplate import strip_boilerplate
    from reader.language import detect_language

    _rules, languages = _per_config(config)
    results: list[tuple[Article, str] | Exception | None] = [None] * len(entries)
    texts = [""] * len(entries)
    langs = [""] * len(entries)

    def step(compute: Callable[[int, ParsedEntry], None]) -> None:
        for i, entry in enumerate(entries):
            if results[i] is None:
                try:
                    compute(i, entry)
                except Exception as exc:
                    results[i] = exc

    def clean(i: int, entry: ParsedEntry) -> None:
        texts[i] = strip_boilerplate(entry.text)

    def detect(i: int, entry: ParsedEntry) -> None:
        prior = context.lang_hint or entry.lang
        langs[i] = detect_language(texts[i], title=entry.title, prior=prior, languages=languages)

    def build(i: int, entry: ParsedEntry) -> None:
        results[i] = (_article(entry, texts[i], langs[i], context, config, collected), texts[i])

    step(clean)
    step(detect)
    step(build)
    return results  # type: ignore[return-value]  # every slot is filled by now


def _article(
    entry: ParsedEntry,
    text: str,
    lang: str,
    context: FeedContext,
    config: Config,
    collected: float,
) -> Article:
    feed = context.feed
    return Article(
        id=article_id(feed.key, entry.key),
        feed=context.name,
        feed_url=feed.key,
        source=context.source,
        tier=feed.tier,
        title=entry.title,
        link=entry.link,
        author=entry.author,
        published=entry.published,
        updated=entry.updated,
        collected=collected,
        enclosures=entry.enclosures,
        content_hash=content_hash(entry),
        **derive(
            feed,
            title=entry.title,
            link=entry.link,
            text=text,
            enclosures=entry.enclosures,
            lang_prior=context.lang_hint or entry.lang,
            config=config,
            lang=lang,
        ),
    )


def reenrich(
    article: Article, body: str, feed: FeedConfig, config: Config, lang_prior: str | None
) -> Article:
    """A stored article with its derived fields computed again from its stored body.

    ``body`` is the clean text :func:`enrich_entries` stored (boilerplate already out). The feed's
    current settings apply (name, tier, type, topic); ids, times, links, the content hash,
    ``related`` and ``importance`` are kept (``reader reindex`` places them afterwards).
    """
    return article.with_(
        feed=feed.name or article.feed,
        source=feed.name or article.source,
        tier=feed.tier,
        **derive(
            feed,
            title=article.title,
            link=article.link,
            text=body,
            enclosures=article.enclosures,
            lang_prior=lang_prior,
            config=config,
        ),
    )
