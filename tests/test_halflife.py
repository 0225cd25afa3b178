"""Type refinement, half-life classes and freshness thresholds."""

from __future__ import annotations

import pytest

from reader.halflife import HalfLifeHours, classify, freshness, refine_type, remaining_value
from reader.models import Enclosure


@pytest.mark.parametrize(
    ("feed_type", "title", "link", "text", "enclosures", "expected"),
    [
        ("blog", "Our new paper", "https://arxiv.org/abs/2401.01234", "", (), "paper"),
        ("news", "Study finds", "https://doi.org/10.1038/x", "", (), "paper"),
        (
            "blog",
            "We study attention",
            "https://lab/p",
            "See arXiv:2611.01234 for details",
            (),
            "paper",
        ),
        (
            "news",
            "Episode 12",
            "https://x/e12",
            "",
            (Enclosure("https://x/e.mp3", "audio/mpeg"),),
            "podcast",
        ),
        ("blog", "Demo", "https://x/d", "", (Enclosure("https://x/d.mp4", "video/mp4"),), "video"),
        ("news", "Watch", "https://www.youtube.com/watch?v=abc", "", (), "video"),
        ("news", "v2.4.0", "https://github.com/o/r/releases/tag/v2.4.0", "", (), "release"),
        ("release", "llama-tools 2.4.0 released", "https://x/r", "", (), "release"),
        ("release", "b4521", "https://x/r", "", (), "news"),
        ("release", "Release 1.2rc1", "https://x/r", "", (), "release"),
        ("blog", "Thoughts on agents", "https://x/b", "", (), "blog"),
    ],
)
def test_type_is_refined_by_the_entry(feed_type, title, link, text, enclosures, expected):
    assert (
        refine_type(feed_type, title=title, link=link, text=text, enclosures=enclosures) == expected
    )


@pytest.mark.parametrize(
    ("type_", "title", "cls", "reason"),
    [
        ("paper", "Sparse attention at long context", "long", "paper"),
        ("news", "Breaking: lab halts model rollout", "flash", "breaking"),
        ("news", "Live updates: the developer conference", "flash", "breaking"),
        ("news", "LIVE – the keynote as it happens", "flash", "breaking"),
        ("news", "【速報】新モデル発表", "flash", "breaking"),
        ("news", "Live Nation reports earnings", "short", "news"),
        ("blog", "A glossary of LLM terms", "evergreen", "reference"),
        ("blog", "How to fine-tune a 7B model on one GPU", "long", "guide"),
        ("blog", "大規模言語モデル入門", "long", "guide"),
        ("release", "llama-tools 2.4.0", "medium", "release"),
        ("podcast", "Episode 12", "medium", "podcast"),
        ("news", "Analysis: what the EU AI Act means for labs", "medium", "analysis"),
        ("news", "Lab raises $400 million", "short", "news"),
        ("blog", "Introducing our new open model", "short", "announcement"),
        ("blog", "Aster Lab、新モデルを公開", "short", "announcement"),
        ("blog", "Lessons from a year of evaluations", "medium", "blog"),
    ],
)
def test_halflife_comes_from_what_the_content_is(type_, title, cls, reason):
    result = classify(type_, title=title)
    assert (result.cls, result.reason) == (cls, reason)
    assert result.hours == HalfLifeHours().of(cls)


def test_hours_are_configurable():
    hours = HalfLifeHours(short=12)
    assert classify("news", title="x", hours=hours).hours == 12


@pytest.mark.parametrize(
    ("age_hours", "halflife", "label"),
    [
        (0, 24, "fresh"),
        (11.9, 24, "fresh"),
        (12, 24, "ok"),
        (23.9, 24, "ok"),
        (24, 24, "fading"),
        (47.9, 24, "fading"),
        (48, 24, "stale"),
        (-5, 24, "fresh"),  # a date in the future is not "older than fresh"
        (24 * 20, 1440, "fresh"),  # a paper three weeks old is still fresh
    ],
)
def test_freshness_thresholds(age_hours, halflife, label):
    got, ratio = freshness(age_hours * 3600, halflife)
    assert got == label
    assert ratio == pytest.approx(max(age_hours, 0) / halflife)


def test_remaining_value_halves_every_halflife():
    assert remaining_value(0) == 1
    assert remaining_value(1) == 0.5
    assert remaining_value(2) == 0.25
