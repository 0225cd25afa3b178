"""Importance: ordering on constructed cases, stars, percentile edges."""

from __future__ import annotations

from reader.score import (
    STAR_LABELS,
    ImportanceWeights,
    Signals,
    coverage_value,
    importance_score,
    percentile,
    stars_for,
)


def test_a_story_carried_by_four_sources_outranks_a_lone_t3_post():
    story = Signals(tier=2, type="news", sources=4, languages=3, text_length=800)
    lone = Signals(tier=3, type="blog", sources=1, text_length=3000)
    assert importance_score(story) > importance_score(lone)
    assert stars_for(importance_score(story)) >= 3
    assert stars_for(importance_score(lone)) == 1


def test_coverage_is_the_strongest_signal():
    official_alone = Signals(tier=1, type="blog", sources=1, text_length=1000)
    press_story = Signals(tier=2, type="news", sources=6, languages=2, text_length=1000)
    assert importance_score(press_story) > importance_score(official_alone)


def test_each_signal_moves_the_score_the_right_way():
    base = Signals(tier=2, type="news", sources=2, text_length=300)
    better = [
        Signals(tier=1, type="news", sources=2, text_length=300),
        Signals(tier=2, type="news", sources=3, text_length=300),
        Signals(tier=2, type="news", sources=2, languages=2, text_length=300),
        Signals(tier=2, type="news", sources=2, keyword_hits=1, text_length=300),
        Signals(tier=2, type="news", sources=2, marked=5, source_articles=20, text_length=300),
        Signals(tier=2, type="paper", sources=2, text_length=300),
        Signals(tier=2, type="news", sources=2, text_length=900),
    ]
    for signals in better:
        assert importance_score(signals) > importance_score(base), signals


def test_weights_are_tunable():
    signals = Signals(tier=1, type="blog", sources=1, text_length=1000)
    only_tier = ImportanceWeights(coverage=0, tier=1, keywords=0, reader=0, type=0, substance=0)
    assert importance_score(signals, only_tier) == 1.0
    nothing = ImportanceWeights(0, 0, 0, 0, 0, 0)
    assert importance_score(signals, nothing) == 0.0


def test_scores_are_within_bounds_and_stars_cover_all_labels():
    top = Signals(
        tier=1,
        type="paper",
        sources=12,
        languages=5,
        keyword_hits=3,
        marked=50,
        source_articles=50,
        text_length=5000,
    )
    assert 0.75 <= importance_score(top) <= 1.0 and stars_for(importance_score(top)) == 5
    assert stars_for(1.0) == 5
    assert stars_for(0.0) == 1
    assert [stars_for(s) for s in (0.29, 0.30, 0.45, 0.60, 0.75)] == [1, 2, 3, 4, 5]
    assert STAR_LABELS == {1: "normal", 2: "notable", 3: "important", 4: "major", 5: "must-read"}


def test_coverage_curve():
    assert coverage_value(1, 1) == 0
    assert round(coverage_value(2, 1), 2) == 0.33
    assert round(coverage_value(4, 1), 2) == 0.67
    assert coverage_value(8, 1) == 1.0
    assert coverage_value(2, 2) > coverage_value(2, 1)


def test_percentile_edges():
    assert percentile(0.5, [0.5]) == 100  # the only article of its topic
    assert percentile(0.9, [0.1, 0.2, 0.9]) == 34  # best of three
    assert percentile(0.1, [0.1, 0.2, 0.9]) == 100
    scores = sorted([i / 100 for i in range(100)])
    assert percentile(0.99, scores) == 1
    assert percentile(0.0, scores) == 100
    assert percentile(0.5, [0.5, 0.5, 0.5, 0.5]) == 100  # all tied: nobody is on top
    tied = sorted([0.2] * 10 + [0.7] * 2 + [0.9])
    assert percentile(0.7, tied) == 24  # 3 score at least 0.7: ceil(100 * 3 / 13)
    assert percentile(0.9, tied) == 8  # ceil(100 / 13)
    assert percentile(0.3, []) == 100
