"""Parsed entry -> stored :class:`Article`: the card fields that describe the article itself.

Pure and picklable, so it runs in the parse worker processes beside feedparser:
clean text (boilerplate out), language, three-line summary, type, half-life, topics,
the reader's keywords. Fields that place an article among the others (related,
importance) are computed when it is stored (``refresh.ingest``), where the store is.
"""

from __future__ import annotations

import functools
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


def enrich(
    entry: ParsedEntry, context: FeedContext, config: Config, collected: float
) -> tuple[Article, str]:
    """The stored article and its clean text (the body) for one parsed entry."""
    from reader.boilerplate import strip_boilerplate
    from reader.language import detect_language
    from reader.summarise import summarise

    feed = context.feed
    text = strip_boilerplate(entry.text)
    lang = detect_language(
        text,
        title=entry.title,
        prior=context.lang_hint or entry.lang,
        languages=config.languages or None,
    )
    type_ = refine_type(
        feed.type, title=entry.title, link=entry.link, text=text, enclosures=entry.enclosures
    )
    matcher, keywords = _matchers(config)
    topic, topics = matcher.assign(feed.topic, entry.title, text)
    article = Article(
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
        lang=lang,
        type=type_,
        halflife=classify(type_, title=entry.title, text=text, hours=config.halflife),
        summary=summarise(entry.title, text, lang),
        topic=topic,
        topics=topics,
        enclosures=entry.enclosures,
        keyword_hits=count_keywords(keywords, entry.title, text),
        text_length=len(text),
        content_hash=content_hash(entry),
        enriched=ENRICH_VERSION,
    )
    return article, text
