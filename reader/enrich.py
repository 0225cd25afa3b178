"""Parsed entry -> stored :class:`Article`: the card fields that describe the article itself.

Pure and picklable, so it can run in the parse worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass

from reader.config import FeedConfig
from reader.ids import article_id, content_hash
from reader.models import Article, ParsedEntry

#: Bumped whenever a change here changes stored fields; `reader reindex` recomputes.
ENRICH_VERSION = 1


@dataclass(frozen=True, slots=True)
class FeedContext:
    """What enrichment needs to know about the feed an entry came from."""

    feed: FeedConfig
    name: str
    source: str
    lang_hint: str | None


def build_article(entry: ParsedEntry, context: FeedContext, collected: float) -> Article:
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
        type=feed.type,
        topic=feed.topic,
        topics=(feed.topic,),
        enclosures=entry.enclosures,
        content_hash=content_hash(entry),
        enriched=ENRICH_VERSION,
    )
