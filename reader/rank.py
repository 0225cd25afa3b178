"""Relate new articles to the store and score their importance, inside a store write.

The part of enrichment that needs the other articles: related articles (story
clustering, ``cluster.py``) and importance (``score.py``), whose strongest signal,
coverage, comes from the related articles. Runs under the store lock, on what changed:
new articles, and the recent ones whose ``related`` lists they touch. Cost grows with
the articles in the clustering window, not with the store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from reader.config import Config
from reader.models import Article, Importance, UserState
from reader.score import STAR_LABELS, Signals, importance_score, stars_for

DAY = 86400.0


def story_lead(article: Article, body: str = "") -> str:
    """The lead clustering reads after the title: the summary, else the text's start."""
    return " ".join(article.summary) if article.summary else body[:400]


def embed(articles: list[tuple[Article, str]]) -> list[bytes]:
    """Story vectors for new articles (the embedding model loads once per process)."""
    if not articles:
        return []  # and numpy is not even imported: an all-304 refresh needs none of it
    from reader.cluster import get_embedder, story_text

    texts = [story_text(a.title, story_lead(a, body)) for a, body in articles]
    return get_embedder().embed(texts)


def story_item(article: Article, vector: bytes | None):
    """What clustering reads of a stored article (its lead: the summary)."""
    from reader.cluster import StoryItem

    return StoryItem(
        id=article.id,
        title=article.title,
        lead=story_lead(article),
        lang=article.lang,
        when=article.when,
        source=article.feed_url,
        vector=vector,
    )


def embed_texts(texts: list[str]) -> list[bytes]:
    """Story vectors of ready story texts (:func:`reader.cluster.story_text`)."""
    from reader.cluster import get_embedder

    return get_embedder().embed(texts) if texts else []


def reader_affinity(catalog, states: dict[str, UserState], boost_tags: Iterable[str]) -> Counter:
    """feed key -> how many of its articles the reader starred or tagged as important."""
    boost = set(boost_tags)
    marked: Counter = Counter()
    for article_id, state in states.items():
        if state.starred or boost.intersection(state.tags):
            feed = catalog.feed_of(article_id)
            if feed is not None:
                marked[feed] += 1
    return marked


def importance_of(
    article: Article,
    related: Iterable[Article],
    *,
    config: Config,
    marked: Counter,
    feed_articles: dict[str, int],
) -> Importance:
    story = [article, *related]
    signals = Signals(
        tier=article.tier,
        type=article.type,
        sources=len({a.feed_url for a in story}),
        languages=len({a.lang for a in story if a.lang}) or 1,
        keyword_hits=article.keyword_hits,
        marked=marked.get(article.feed_url, 0),
        source_articles=feed_articles.get(article.feed_url, 0),
        text_length=article.text_length,
    )
    score = round(importance_score(signals, config.importance.weights), 4)
    stars = stars_for(score)
    return Importance(score, stars, STAR_LABELS[stars])


def place(
    writer,
    added: list[tuple[Article, bytes | None]],
    *,
    config: Config,
    states: dict[str, UserState],
    now: float,
) -> set[str]:
    """Relate ``added`` (already in ``writer``) to recent articles and score everything
    whose story changed. Returns the ids whose records were rewritten."""
    if not added:
        return set()  # before the import: numpy is not even loaded for an all-304 pass
    from reader.cluster import relate

    window = config.cluster.window_days
    new_ids = {a.id for a, _v in added}
    since = now - (window + 2) * DAY
    vectors = writer.vectors_since(since, besides=new_ids)
    # an article without a vector is never related: only those with one are read
    recent = {a.id: a for a in map(writer.article, vectors) if a is not None}
    for article, _vector in added:
        recent[article.id] = article
    vectors.update({a.id: v for a, v in added if v is not None})

    def item(article: Article):
        return story_item(article, vectors.get(article.id))

    new_items = [item(a) for a, v in added if v is not None]
    candidates = [item(a) for a in recent.values() if a.id not in new_ids and a.id in vectors]
    current = {a.id: a.related for a in recent.values()}
    changed = relate(
        new_items,
        candidates,
        current,
        window_days=window,
        threshold=config.cluster.threshold,
    )
    for article_id, related in changed.items():
        if article_id in recent:
            recent[article_id] = recent[article_id].with_(related=related)

    # importance: new articles, and every article whose story grew
    catalog = writer.catalog
    marked = reader_affinity(catalog, states, config.importance.boost_tags)
    feed_articles = {key: n for key, (n, _avg) in catalog.feed_stats().items()}
    touched = new_ids | set(changed)
    rewritten = set()
    for article_id in touched:
        article = recent.get(article_id) or writer.article(article_id)
        if article is None:
            continue
        others = [recent.get(r) or writer.article(r) for r in article.related]
        importance = importance_of(
            article,
            [o for o in others if o is not None],
            config=config,
            marked=marked,
            feed_articles=feed_articles,
        )
        if importance != article.importance or article_id in changed or article_id in new_ids:
            writer.update(article.with_(importance=importance))
            rewritten.add(article_id)
    return rewritten
