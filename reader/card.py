"""The article card (``../shared/CARD.md``) as plain data: what ``--json`` prints.

Pure: articles + marks + the time of display in, dicts out. Fields that depend on the
moment (freshness) or on the whole store (percentile, source average) are computed here,
when shown, from what the caller passes.
"""

from __future__ import annotations

from reader.models import Article, UserState, iso


def card(
    article: Article,
    state: UserState,
    *,
    now: float,
) -> dict:
    """The card of one article, with JSON names as in CARD.md."""
    data: dict = {
        "id": article.id,
        "title": article.title,
        "link": article.link,
        "feed": article.feed,
        "source": article.source,
        "tier": article.tier,
        "topic": article.topic,
        "topics": list(article.topics),
        "type": article.type,
        "published": iso(article.published),
        "collected": iso(article.collected),
        "author": article.author or None,
        "tags": sorted(state.tags),
        "read": state.read,
        "starred": state.starred,
    }
    if article.enclosures:
        data["enclosures"] = [
            {"url": e.url, "type": e.type or None, "length": e.length} for e in article.enclosures
        ]
    return data
