"""The in-memory library the app reads: a partial first load, then the rest."""

from __future__ import annotations

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


def test_a_full_load_is_not_partial(small_segments):
    library = Library(small_segments, parse_config(""))
    library.load(limit=1000)
    assert not library.partial and len(library.articles) == 35


def test_a_reload_never_changes_the_dicts_a_reader_is_iterating(small_segments):
    library = Library(small_segments, parse_config(""))
    library.load(limit=5)
    articles, texts = library.articles, library.texts
    before = dict(articles)
    thread = threading.Thread(target=library.reload)
    thread.start()
    thread.join()
    assert articles == before and len(texts) == len(before)  # the old dicts, untouched
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
