"""Importance: a score from the signals a careful editor uses, stars, and the percentile.

The score is a weighted mean of signals, each in [0, 1]; the weights live in
:class:`ImportanceWeights` and can be tuned in feeds.toml (``[importance.weights]``).

=============  =======  ==================================================================
signal         weight   value
=============  =======  ==================================================================
coverage       0.40     how many distinct sources carry the story (the article and its
                        related articles): 1 -> 0, 2 -> 0.33, 4 -> 0.67, 8+ -> 1
                        (log2 n / 3), +0.1 per extra language, capped at 1. The strongest
                        signal of Techmeme and Google News.
tier           0.25     the source: 1 official -> 1.0, 2 press -> 0.6, 3 other -> 0.3
keywords       0.15     your ``[importance] keywords`` in the title or lead: 1 -> 0.6, 2+ -> 1
reader         0.10     your past behaviour with this source: how many of its articles you
                        starred or tagged ``important`` (``boost_tags``), smoothed over its
                        article count: min(1, 4 * marked / (articles + 10))
type           0.05     paper 0.6, release 0.6, news 0.5, blog 0.4, video/podcast 0.3,
                        other 0.2
substance      0.05     the article has text to read: 0 for title-only, 1 from ~600 chars
=============  =======  ==================================================================

Stars from the score: >= 0.75 five (must-read), >= 0.6 four (major), >= 0.45 three
(important), >= 0.3 two (notable), else one (normal).

The percentile is "top P%" of the article's score among its topic's articles over a
window (30 days by default): ``P = ceil(100 * (articles scoring at least as high) / n)``,
so 1 is the best; tied articles share the lower rank (a thousand articles with the same
score are not "top 1%"), and the only article of a topic is "top 100%".
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

STAR_THRESHOLDS = (0.30, 0.45, 0.60, 0.75)  # score needed for 2, 3, 4, 5 stars
STAR_LABELS = {1: "normal", 2: "notable", 3: "important", 4: "major", 5: "must-read"}
TIER_VALUES = {1: 1.0, 2: 0.6, 3: 0.3}
TYPE_VALUES = {
    "paper": 0.6,
    "release": 0.6,
    "news": 0.5,
    "blog": 0.4,
    "video": 0.3,
    "podcast": 0.3,
    "other": 0.2,
}
SUBSTANCE_CHARS = 600


@dataclass(frozen=True)
class ImportanceWeights:
    coverage: float = 0.40
    tier: float = 0.25
    keywords: float = 0.15
    reader: float = 0.10
    type: float = 0.05
    substance: float = 0.05


@dataclass(frozen=True)
class ImportanceSettings:
    window_days: float = 30.0
    """Percentiles compare an article with its topic's articles of this many days."""
    keywords: tuple[str, ...] = ()
    """Words that make an article matter to you (any language)."""
    boost_tags: tuple[str, ...] = ("important",)
    """Tags that, like a star, tell halflife a source matters to you."""
    weights: ImportanceWeights = field(default_factory=ImportanceWeights)


@dataclass(frozen=True, slots=True)
class Signals:
    tier: int
    type: str
    sources: int = 1  # distinct sources carrying the story, this one included
    languages: int = 1  # distinct languages among them
    keyword_hits: int = 0
    marked: int = 0  # this source's articles the reader starred or tagged important
    source_articles: int = 0  # this source's articles in the store
    text_length: int = 0


def coverage_value(sources: int, languages: int) -> float:
    if sources <= 1:
        return 0.0
    value = math.log2(sources) / 3.0 + 0.1 * max(languages - 1, 0)
    return min(value, 1.0)


def signal_values(signals: Signals) -> dict[str, float]:
    return {
        "coverage": coverage_value(signals.sources, signals.languages),
        "tier": TIER_VALUES.get(signals.tier, 0.3),
        "keywords": 0.0
        if not signals.keyword_hits
        else (0.6 if signals.keyword_hits == 1 else 1.0),
        "reader": min(1.0, 4 * signals.marked / (signals.source_articles + 10)),
        "type": TYPE_VALUES.get(signals.type, 0.2),
        "substance": min(signals.text_length / SUBSTANCE_CHARS, 1.0),
    }


def stars_for(score: float) -> int:
    return 1 + bisect_right(STAR_THRESHOLDS, score)


def importance_score(signals: Signals, weights: ImportanceWeights | None = None) -> float:
    weights = weights or ImportanceWeights()
    values = signal_values(signals)
    total = sum(getattr(weights, name) for name in values)
    if total <= 0:
        return 0.0
    return sum(getattr(weights, name) * value for name, value in values.items()) / total


def percentile(score: float, topic_scores_sorted: list[float]) -> int:
    """ "Top P%" of ``score`` among the topic's scores (ascending; ``score`` among them)."""
    n = len(topic_scores_sorted)
    if n == 0:
        return 100
    at_least = n - bisect_left(topic_scores_sorted, score)
    return max(1, min(100, math.ceil(100 * max(at_least, 1) / n)))
