"""The in-memory library the app reads: a partial first load, then the rest."""

from __future__ import annotations

import gc
import threading

import pytest

import reader.store as store_module
from reader.config import parse_config
from reader.library import Library
from reader.models import StateChange
from reader.store import Store
from tests.storefaults import old_article


@pytest.fixture
def small_segments(monkeypatch, tmp_path):
    """35 articles in segments of 10: 1-3 full, 4 holding the newest five."""
    monkeypatch.setattr(store_module, "SEGMENT_CAPACITY", 10)
    store = Store.open(tmp_path / "store")
    with store.writing() as writer:
        for i in range(35):
            writer.add(old_article(i), body=f"text {i}")
    store.change_state([StateChange(old_article(0).id, read=True)])
    return store


def test_a_limited_load_reads_the_newest_segments_then_reload_reads_the_rest(small_segments):
    library = Library(small_segments, parse_config(""))
    library.load(limit=12)
    assert library.partial
    # segments 4 (5 articles) and 3 (10): the newest first, at least the limit
    assert set(library.articles) == {old_article(i).id for i in range(20, 35)}
    assert library.state(old_article(0).id).read  # marks are all there from the start
    result = library.reload()
    assert not library.partial
    assert len(library.articles) == 35 and len(result.new_ids) == 20
    assert library.reload().changed is False  # and then it is cheap again


def test_the_rest_of_a_partial_load_reuses_its_catalog_while_unchanged(small_segments, monkeypatch):
    reads = []
    read_catalog = Store.catalog
    monkeypatch.setattr(Store, "catalog", lambda self: reads.append(1) or read_catalog(self))
    library = Library(small_segments, parse_config(""))
    library.load(limit=12)
    library.reload()
    assert not library.partial and len(library.articles) == 35
    assert len(reads) == 1  # the catalog (6 MB at 100k articles) is read once


def test_the_rest_of_a_partial_load_sees_a_refresh_that_landed_meanwhile(small_segments):
    library = Library(small_segments, parse_config(""))
    library.load(limit=12)
    with small_segments.writing() as writer:  # a `reader refresh` from cron, say
        writer.add(old_article(50), body="new")
        writer.remove([old_article(1).id])
    result = library.reload()
    assert not library.partial
    assert old_article(50).id in library.articles and old_article(50).id in result.new_ids
    assert old_article(1).id not in library.articles and len(library.articles) == 35


def test_what_a_load_reads_is_out_of_the_collectors_sight(small_segments):
    """The collector's full passes walk every object it tracks: at 100k articles one
    took 0.24 s in the app (the UI frozen meanwhile); the library's data is frozen."""

    def tracked() -> set[int]:
        return {id(thing) for thing in gc.get_objects()}

    library = Library(small_segments, parse_config(""))
    library.load(limit=12)
    seen = tracked()
    assert id(library.articles) not in seen and id(library.states) not in seen
    assert not {id(article) for article in library.articles.values()} & seen
    with small_segments.writing() as writer:
        writer.add(old_article(50), body="new")
    library.reload()  # the rest, and what a refresh added meanwhile
    seen = tracked()
    assert not {id(article) for article in library.articles.values()} & seen
    assert id(library.articles[old_article(50).id]) not in seen


def test_later_reloads_freeze_nothing(small_segments):
    """A freeze keeps whatever cyclic garbage exists at that moment, anyone's: the app
    polls the store every few seconds, so only the first read and the read of the rest
    freeze, not the reloads after them."""
    library = Library(small_segments, parse_config(""))
    library.load()
    frozen = gc.get_freeze_count()
    library.reload()  # nothing changed
    with small_segments.writing() as writer:
        writer.add(old_article(50), body="new")
    small_segments.change_state([StateChange(old_article(3).id, starred=True)])
    result = library.reload()  # a refresh and a mark from elsewhere
    assert result.new_ids == [old_article(50).id] and library.state(old_article(3).id).starred
    assert gc.get_freeze_count() <= frozen  # what was frozen may have been freed since


def test_a_full_load_is_not_partial(small_segments):
    library = Library(small_segments, parse_config(""))
    library.load(limit=1000)
    assert not library.partial and len(library.articles) == 35


def test_a_reload_never_changes_the_dicts_a_reader_is_iterating(small_segments):
    library = Library(small_segments, parse_config(""))
    library.load(limit=5)
    articles, states = library.articles, library.states
    before, marks = dict(articles), dict(states)
    thread = threading.Thread(target=library.reload)
    thread.start()
    thread.join()
    library.change([StateChange(old_article(30).id, starred=True)])
    assert articles == before and states == marks  # the old dicts, untouched
    assert len(library.articles) == 35  # the new ones, swapped in


def test_articles_of_an_interrupted_write_are_not_loaded(small_segments):
    # a segment document the catalog does not list: a refresh died before its commit
    path = small_segments.segment_path(4)
    data = store_module.read_json(path)
    orphan = store_module.article_to_doc(old_article(99).with_(segment=4))
    data["articles"][orphan["id"]] = orphan
    store_module.write_atomic(path, store_module.orjson.dumps(data))
    library = Library(small_segments, parse_config(""))
    library.load()
    assert old_article(99).id not in library.articles and len(library.articles) == 35
    assert old_article(99).id not in {a.id for a in small_segments.articles()}


def test_search_finds_words_in_any_script_and_only_whole_matches_of_the_filter(small_segments):
    from reader.query import parse_filter

    with small_segments.writing() as writer:
        writer.add(old_article(40).with_(title="Ein Modell für Übersetzung"), body="x")
        writer.add(old_article(41).with_(title="日本語のモデルを公開"), body="x")
        writer.add(old_article(42).with_(title="Model"), body="x")
    small_segments.change_state([StateChange(old_article(42).id, read=True)])
    library = Library(small_segments, parse_config(""))
    library.load()

    def found(expression: str) -> set[str]:
        return set(library.select(parse_filter(expression), "newest"))

    assert found("übersetzung") == {old_article(40).id}
    assert found("モデル") == {old_article(41).id}
    assert found("model") == {old_article(40).id, old_article(42).id}  # "Modell" too
    assert found("model +unread") == {old_article(40).id}
    assert found('"archived article 1"') == {old_article(i).id for i in (1, *range(10, 20))}
    assert found("nowhere-to-be-found") == set()
    library.prepare_search()
    with small_segments.writing() as writer:  # a new version of the articles: a new index
        writer.add(old_article(43).with_(title="Another Modell"), body="x")
    library.reload()
    assert old_article(43).id in found("modell")


@pytest.mark.parametrize("sort", ["worth", "importance", "freshness", "newest", "source"])
def test_large_lists_sort_with_numpy_exactly_as_in_python(monkeypatch, tmp_path, sort):
    import random

    import reader.library as library_module
    from reader.models import HalfLife, Importance
    from reader.query import parse_filter

    rng = random.Random(7)
    store = Store.open(tmp_path / "store")
    with store.writing() as writer:
        for i in range(300):
            score = rng.choice([0.1, 0.35, 0.35, 0.8, rng.random()])  # ties on purpose
            writer.add(
                old_article(i).with_(
                    collected=1_700_000_000.0 + rng.choice([0, 3600, 86400, rng.random() * 1e6]),
                    published=None,
                    importance=Importance(score, 2, "notable") if i % 7 else None,
                    halflife=HalfLife("short", rng.choice([3.0, 24.0, 2000.0]), "x")
                    if i % 5
                    else None,
                    source=rng.choice(["b", "A", "a"]),
                ),
                body="",
            )
    library = Library(store, parse_config(""))
    library.load()
    now = 1_700_500_000.0
    for expression in ("", "archived", "-x"):
        query = parse_filter(expression)
        monkeypatch.setattr(library_module, "_VECTOR_SORT_FROM", 10**9)
        in_python = library.select(query, sort, now=now)
        monkeypatch.setattr(library_module, "_VECTOR_SORT_FROM", 1)
        assert library.select(query, sort, now=now) == in_python, expression


# --- reading only what a query can match (reader list --limit, export, digest) ----------


@pytest.fixture
def shuffled_segments(monkeypatch, tmp_path):
    """120 articles in segments of 10, whose times and scores do not follow the segment
    order (a feed's archive lands after newer articles), with ties in both, some with
    no importance, a few read or tagged."""
    import random
    from dataclasses import replace

    from reader.models import Importance

    monkeypatch.setattr(store_module, "SEGMENT_CAPACITY", 10)
    rng = random.Random(5)
    now = 1_800_000_000.0
    store = Store.open(tmp_path / "store")
    with store.writing() as writer:
        for i in range(120):
            age = rng.choice([3600.0, 7200.0, rng.uniform(0, 40 * 86400)])  # ties at 1h, 2h
            score = rng.choice([0.5, 0.25, round(rng.uniform(0, 1), 3)])
            article = replace(
                old_article(i),
                collected=now - rng.uniform(0, 3600),
                published=now - age,
                lang=rng.choice(["en", "de"]),
                importance=None if i % 17 == 0 else Importance(score, 1 + int(score * 4), "x"),
            )
            writer.add(article, body=f"text {i}")
    store.change_state(
        [StateChange(old_article(i).id, read=True) for i in range(0, 120, 3)]
        + [StateChange(old_article(i).id, add_tags=("keep",)) for i in range(0, 120, 7)]
    )
    return store, now


@pytest.mark.parametrize("sort", ["newest", "importance", "worth", "freshness", "source"])
@pytest.mark.parametrize("expression", ["", "+unread", "lang:de @3d", "@90m", "+keep told"])
@pytest.mark.parametrize("limit", [None, 0, 1, 5, 30])
def test_reading_what_can_match_selects_what_a_full_load_selects(
    shuffled_segments, sort, expression, limit
):
    from reader.query import parse_filter

    store, now = shuffled_segments
    query = parse_filter(expression)
    full = Library(store, parse_config(""))
    full.load()
    wanted = full.select(query, sort, now=now)[:limit]
    library = Library(store, parse_config(""))
    library.load_matching(query, sort, limit, now=now)
    assert library.select(query, sort, now=now)[:limit] == wanted
    for article_id in wanted:  # the cards are the same too (marks, ranking)
        assert library.card(article_id, now) == full.card(article_id, now)


def test_a_limit_under_a_catalog_sort_reads_only_the_segments_it_needs(
    shuffled_segments, monkeypatch
):
    from reader.query import parse_filter

    store, now = shuffled_segments
    reads: list[int] = []
    load_segment = Store.load_segment
    monkeypatch.setattr(Store, "load_segment", lambda s, n: reads.append(n) or load_segment(s, n))
    library = Library(store, parse_config(""))
    library.load_matching(parse_filter(""), "newest", 3, now=now)
    assert library.partial and 1 <= len(reads) < 12
    reads.clear()
    library.load_matching(parse_filter("@90m"), "worth", None, now=now)  # no catalog key
    assert library.partial and len(reads) < 12  # the age term alone skips segments
    first = set(reads)
    reads.clear()
    library.reload()  # and a reload reads the rest, only the rest
    assert not library.partial and len(library.articles) == 120
    assert sorted(reads) == sorted(set(range(1, 13)) - first)


def test_the_reload_after_reading_what_can_match_restores_a_full_loads_order(monkeypatch, tmp_path):
    """An older segment read before a newer one (its article ranked first) would leave
    ties in another order than a fresh load gives them; the reload that completes the
    library puts the newest segment first again."""
    from dataclasses import replace

    from reader.query import parse_filter

    monkeypatch.setattr(store_module, "SEGMENT_CAPACITY", 2)
    t = 1_800_000_000.0
    store = Store.open(tmp_path / "store")
    with store.writing() as writer:  # segment 1: the newest and one at t; segment 2: one at t
        for i, when in ((0, t + 200), (1, t), (2, t)):
            writer.add(replace(old_article(i), published=when, collected=when), body="b")
    query = parse_filter("")
    full = Library(store, parse_config(""))
    full.load()
    library = Library(store, parse_config(""))
    library.load_matching(query, "newest", 1, now=t)
    assert library.partial
    library.reload()
    assert not library.partial
    assert library.select(query, "newest", now=t) == full.select(query, "newest", now=t)


def test_a_segment_rewritten_while_it_is_read_is_read_again_by_the_next_reload(
    monkeypatch, tmp_path
):
    from dataclasses import replace

    from reader.query import parse_filter

    monkeypatch.setattr(store_module, "SEGMENT_CAPACITY", 10)
    store = Store.open(tmp_path / "store")
    with store.writing() as writer:  # one segment, still open: a refresh adds to it
        for i in range(5):
            writer.add(old_article(i), body="b")
    read = Store.load_segment
    landed = []

    def read_then_a_refresh_lands(self, number):
        articles = read(self, number)
        if not landed:  # `reader refresh` writes right after the read
            landed.append(replace(old_article(99), collected=old_article(4).collected + 1))
            with self.writing() as writer:
                writer.add(landed[0], body="new")
        return articles

    monkeypatch.setattr(Store, "load_segment", read_then_a_refresh_lands)
    library = Library(store, parse_config(""))
    library.load_matching(parse_filter(""), "newest", None)
    monkeypatch.setattr(Store, "load_segment", read)
    library.reload()
    assert landed[0].id in library.articles
    assert set(library.articles) == set(store.catalog().articles)
