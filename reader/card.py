"""The article card (``../shared/CARD.md``) as plain data: what ``--json`` prints.

Pure: an article, its marks, the moment of display and two figures that depend on the
whole store (the topic percentile and the source's average stars) in; a dict out. The
freshness is computed here, from ``now``, never stored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from reader.halflife import freshness
from reader.models import Article, UserState, iso
from reader.score import percentile as percentile_of


@dataclass(frozen=True)
class Ranking:
    """What places articles among the others, from the store's catalog."""

    topic_scores: dict[str, list[float]]  # topic -> ascending scores within the window
    source_avg_stars: dict[str, float | None]  # feed key -> mean stars
    window_days: float = 30.0

    @classmethod
    def from_catalog(cls, catalog, *, window_days: float, now: float | None = None) -> Ranking:
        now = time.time() if now is None else now
        stats = catalog.feed_stats()
        return cls(
            topic_scores=catalog.topic_scores(now - window_days * 86400),
            source_avg_stars={key: avg for key, (_n, avg) in stats.items()},
            window_days=window_days,
        )

    def percentile(self, article: Article) -> int | None:
        if article.importance is None:
            return None
        scores = self.topic_scores.get(article.topic)
        if not scores:
            return 100
        return percentile_of(round(article.importance.score, 4), scores)


def freshness_of(article: Article, now: float) -> dict | None:
    if article.halflife is None:
        return None
    label, ratio = freshness(now - article.when, article.halflife.hours)
    return {"label": label, "ratio": round(ratio, 3)}


def card(
    article: Article,
    state: UserState,
    *,
    now: float,
    ranking: Ranking | None = None,
) -> dict:
    """The card of one article, with JSON names as in CARD.md."""
    importance = None
    if article.importance is not None:
        importance = article.importance.to_json()
        importance["percentile"] = ranking.percentile(article) if ranking else None
        importance["topic"] = article.topic
    data: dict = {
        "id": article.id,
        "title": article.title,
        "link": article.link,
        "feed": article.feed,
        "source": article.source,
        "tier": article.tier,
        "source_avg_stars": ranking.source_avg_stars.get(article.feed_url) if ranking else None,
        "topic": article.topic,
        "topics": list(article.topics),
        "type": article.type,
        "importance": importance,
        "halflife": article.halflife.to_json() if article.halflife else None,
        "freshness": freshness_of(article, now),
        "lang": article.lang or None,
        "published": iso(article.published),
        "collected": iso(article.collected),
        "summary": list(article.summary),
        "related": list(article.related),
        "tags": sorted(state.tags),
        "read": state.read,
        "starred": state.starred,
        "author": article.author or None,
    }
    if article.enclosures:
        data["enclosures"] = [
            {"url": e.url, "type": e.type or None, "length": e.length} for e in article.enclosures
        ]
    return data
