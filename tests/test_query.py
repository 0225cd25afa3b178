"""Filter expressions and sort orders."""

from __future__ import annotations

import pytest

from reader.models import Article, HalfLife, Importance, UserState
from reader.query import FilterError, Item, parse_filter, search_text, sort_key

NOW = 1_800_000_000.0
HOUR = 3600.0


def art(i: int, **kw) -> Article:
    fields = dict(
        id=f"{i:012x}",
        feed="Feed",
        feed_url="u",
        source="Example Lab",
        tier=2,
        title=f"Title {i}",
        link="",
        collected=NOW - i * HOUR,
        lang="en",
        type="news",
        topic="Industry",
        topics=("Industry",),
        halflife=HalfLife("short", 24, "news"),
        importance=Importance(0.3, 2, "notable"),
        summary=("A summary line.",),
    )
    fields.update(kw)
    return Article(**fields)


NO_MARKS = UserState()


def match(expression: str, article: Article, state: UserState = NO_MARKS) -> bool:
    return parse_filter(expression)(Item(article, state, search_text(article)), NOW)


def test_tags_and_state_tags():
    a = art(1)
    tagged = UserState(tags=("korea",))
    assert match("+korea", a, tagged) and not match("+korea", a)
    assert match("-sports", a, tagged) and not match("-korea", a, tagged)
    assert match("+unread", a) and not match("+unread", a, UserState(read=True))
    assert match("-unread", a, UserState(read=True))
    assert match("+starred", a, UserState(starred=True)) and not match("+starred", a)


def test_fields():
    a = art(
        1,
        lang="ja",
        topics=("Open models", "Industry"),
        topic="Open models",
        tier=1,
        type="paper",
        source="arXiv cs.CL",
        feed="arXiv cs.CL",
    )
    assert match("lang:ja", a) and match("lang:en,ja", a) and not match("lang:fr", a)
    assert match("lang:ja-JP", a) and match("lang:JA", a)
    assert match('topic:"Open models"', a) and match("topic:industry", a)
    assert not match("topic:Papers", a)
    assert match("source:arxiv", a) and not match("source:nature", a)
    assert match('feed:"arXiv cs.CL"', a) and not match("feed:arXiv", a)
    assert match("type:paper", a) and match("type:news,paper", a) and not match("type:news", a)
    assert match("tier:1", a) and not match("tier:2,3", a)


def test_stars_freshness_and_age():
    a = art(30, importance=Importance(0.5, 3, "important"))  # 30 hours old, half-life 24 h
    assert match("stars>=3", a) and match("stars=3", a) and not match("stars>3", a)
    assert match("stars<4", a) and match("stars<=3", a)
    assert match("fading", a) and match("fresh|fading", a) and not match("fresh|ok", a)
    assert match("@2d", a) and not match("@1d", a) and match("@31h", a)
    assert match("@1w", a) and match("@1mo", a)


def test_text_phrases_and_negation():
    a = art(1, title="Aster Lab releases an open-weight model", summary=("Trained on EU text.",))
    assert match("aster", a) and match("ASTER model", a) and match('"open-weight model"', a)
    assert not match('"model open"', a)
    assert match("eu", a)  # summaries are searched too
    assert match("!sports", a) and not match("!aster", a) and not match('!"aster lab"', a)


def test_the_issue_example_parses_and_combines():
    expression = '+unread +korea -sports lang:ja topic:"Open models" stars>=3 fresh|ok @7d source:arxiv "exact phrase"'
    f = parse_filter(expression)
    assert len(f.predicates) == 10
    a = art(
        1,
        lang="ja",
        topic="Open models",
        topics=("Open models",),
        source="arXiv",
        importance=Importance(0.6, 4, "major"),
        title="An exact phrase here",
    )
    assert f(Item(a, UserState(tags=("korea",)), search_text(a)), NOW)
    assert not f(Item(a, UserState(tags=("korea", "sports")), search_text(a)), NOW)


@pytest.mark.parametrize(
    ("expression", "column", "reason"),
    [
        ('lang:ja "open', 9, "unclosed quote"),
        ("+unread lnag:ja", 9, "unknown field 'lnag'"),
        ("stars>=9", 1, "stars go from 1 to 5"),
        ("+unread stars=0", 9, "stars go from 1 to 5"),
        ("stars>>3", 1, "stars>=3"),
        ("@7days", 1, "@7d"),
        ("type:tweet", 1, "is not one of"),
        ("tier:4", 1, "tier: must be 1, 2 or 3"),
        ("lang:", 1, "needs a value"),
        ("lang:ja,german", 1, "'german' is not a two-letter language code"),
        ("+ x", 1, "needs a tag name"),
    ],
)
def test_mistakes_point_where_they_are(expression, column, reason):
    with pytest.raises(FilterError) as info:
        parse_filter(expression)
    assert info.value.column + 1 == column
    assert reason in info.value.reason
    assert "\n" not in str(info.value) and info.value.exit_code == 2


def test_empty_filter_matches_everything():
    assert parse_filter("").empty and match("", art(1)) and match("   ", art(2))


def test_sorts():
    old_major = art(48, importance=Importance(0.7, 4, "major"))
    new_minor = art(2, importance=Importance(0.2, 1, "normal"))
    paper = art(
        72,
        type="paper",
        halflife=HalfLife("long", 1440, "paper"),
        importance=Importance(0.5, 3, "important"),
        source="Aardvark",
    )
    items = [old_major, new_minor, paper]
    order = lambda s: [a.id for a in sorted(items, key=sort_key(s, NOW))]  # noqa: E731
    assert order("newest") == [new_minor.id, old_major.id, paper.id]
    assert order("importance") == [old_major.id, paper.id, new_minor.id]
    assert order("freshness")[0] == paper.id  # 3 days of 60 is fresher than 2 h of 24
    # a major story two half-lives old is worth less now than a fresh important paper
    assert order("worth")[0] == paper.id
    assert order("source")[0] == paper.id
