"""The tinydb store on disk: layout, marks, atomicity, corruption, schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from reader import store as store_module
from reader.errors import StoreCorrupt, StoreError, StoreVersionError, UsageError
from reader.models import Article, FeedRecord, HalfLife, Importance, StateChange, UserState
from reader.store import Store, backup_path


def make_article(i: int, **changes) -> Article:
    fields = {
        "id": f"{i:012x}",
        "feed": "Feed",
        "feed_url": "https://feed.example/rss",
        "source": "Feed",
        "tier": 2,
        "title": f"Article {i}",
        "link": f"https://feed.example/{i}",
        "collected": 1_700_000_000.0 + i,
        "published": 1_700_000_000.0 + i - 60,
        "lang": "en",
        "summary": ("One.", "Two."),
        "halflife": HalfLife("short", 24.0, "news"),
        "importance": Importance(0.5, 2, "notable"),
        "content_hash": f"h{i}",
    }
    fields.update(changes)
    return Article(**fields)


@pytest.fixture
def store(tmp_path):
    return Store.open(tmp_path / "store", wait=2)


def test_articles_round_trip_through_segments(store):
    with store.writing() as writer:
        for i in range(5):
            writer.add(make_article(i), body=f"Body {i}")
        writer.put_feed(FeedRecord(key="https://feed.example/rss", name="Feed", etag='"x"'))
    loaded = sorted(store.articles(), key=lambda a: a.id)
    assert [a.title for a in loaded] == [f"Article {i}" for i in range(5)]
    first = loaded[0]
    assert first == make_article(0, segment=1)
    assert store.body(first) == "Body 0"
    assert store.feed_records()["https://feed.example/rss"].etag == '"x"'
    # the files are tinydb documents: {table: {doc_id: doc}}
    data = json.loads(store.segment_path(1).read_text())
    assert set(data) == {"articles"} and first.id in data["articles"]


def test_segments_roll_over_and_a_refresh_rewrites_only_the_open_one(store, monkeypatch):
    monkeypatch.setattr(store_module, "SEGMENT_CAPACITY", 3)
    with store.writing() as writer:
        for i in range(7):
            writer.add(make_article(i), body="")
    assert store.segment_numbers() == [1, 2, 3]
    before = {n: store.segment_token(n) for n in (1, 2)}
    with store.writing() as writer:
        writer.add(make_article(100), body="")
    assert {n: store.segment_token(n) for n in (1, 2)} == before
    assert store.catalog().segment_of(f"{100:012x}") == 3
    assert len(store.articles()) == 8


def test_replacing_an_article_keeps_its_segment_and_adds_no_duplicate(store, monkeypatch):
    monkeypatch.setattr(store_module, "SEGMENT_CAPACITY", 2)
    with store.writing() as writer:
        for i in range(3):
            writer.add(make_article(i), body="")
    with store.writing() as writer:
        writer.add(make_article(0, title="Changed", content_hash="h0b"), body="new body")
    articles = {a.id: a for a in store.articles()}
    assert len(articles) == 3
    changed = articles[f"{0:012x}"]
    assert changed.title == "Changed" and changed.segment == 1
    assert store.body(changed) == "new body"


def test_marks_are_applied_read_modify_write(store):
    with store.writing() as writer:
        writer.add(make_article(1), body="")
    article_id = f"{1:012x}"
    store.change_state([StateChange(article_id, add_tags=("ai", "korea"))])
    store.change_state([StateChange(article_id, remove_tags=("korea",), read=True)])
    store.change_state([StateChange(article_id, starred=True)])
    assert store.state(article_id) == UserState(tags=("ai",), read=True, starred=True)
    store.change_state([StateChange(article_id, remove_tags=("ai",), read=False, starred=False)])
    assert store.state(article_id) == UserState()
    # an article back to default marks leaves no document behind
    assert article_id not in store.states()


def test_marks_live_apart_from_articles(store):
    with store.writing() as writer:
        writer.add(make_article(1), body="")
    token = store.segment_token(1)
    catalog_stat = store.catalog_path.stat().st_mtime_ns
    store.change_state([StateChange(f"{1:012x}", add_tags=("x",))])
    assert store.segment_token(1) == token
    assert store.catalog_path.stat().st_mtime_ns == catalog_stat


def test_resolve_accepts_unique_prefixes(store):
    with store.writing() as writer:
        writer.add(make_article(0x1234, id="abcdef000001"), body="")
        writer.add(make_article(0x1235, id="abcdef000002"), body="")
        writer.add(make_article(0x1236, id="123456789abc"), body="")
    assert store.resolve("1234") == "123456789abc"
    assert store.resolve("ABCDEF000001") == "abcdef000001"
    with pytest.raises(UsageError, match="ambiguous"):
        store.resolve("abcdef")
    with pytest.raises(UsageError, match="no article"):
        store.resolve("ffffff")
    with pytest.raises(UsageError, match="too short"):
        store.resolve("ab")


def test_every_write_keeps_a_backup_of_the_previous_version(store):
    with store.writing() as writer:
        writer.add(make_article(1), body="")
    with store.writing() as writer:
        writer.add(make_article(2), body="")
    previous = json.loads(backup_path(store.catalog_path).read_text())
    assert list(previous["articles"]) == [f"{1:012x}"]


def test_corrupt_file_is_reported_with_its_backup_and_never_overwritten(store):
    with store.writing() as writer:
        writer.add(make_article(1), body="")
    with store.writing() as writer:
        writer.add(make_article(2), body="")
    store.catalog_path.write_bytes(b'{"articles": {"trunc')
    with pytest.raises(StoreCorrupt) as info:
        store.catalog()
    message = str(info.value)
    assert str(store.catalog_path) in message
    assert str(backup_path(store.catalog_path)) in message
    assert "reader doctor" in message and "\n" not in message
    with pytest.raises(StoreCorrupt), store.writing() as writer:
        writer.add(make_article(3), body="")
    assert store.catalog_path.read_bytes() == b'{"articles": {"trunc'


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "store"
    path.mkdir()
    (path / "catalog.json").write_text(json.dumps({"meta": {"store": {"schema": 99}}}))
    with pytest.raises(StoreVersionError, match="newer halflife"):
        Store.open(path)


def test_store_path_that_is_a_file(tmp_path):
    path = tmp_path / "store"
    path.write_text("x")
    with pytest.raises(StoreError, match="is a file"):
        Store.open(path)


def test_a_full_disk_leaves_the_previous_store_intact(tmp_path):
    """RLIMIT_FSIZE makes writes past 64 kB fail with EFBIG, like a full disk."""
    path = tmp_path / "store"
    script = textwrap.dedent(
        f"""
        import resource, sys
        from reader.store import Store
        from tests.test_store import make_article
        store = Store.open({str(path)!r})
        if sys.argv[1] == "small":
            with store.writing() as w:
                w.add(make_article(1), body="small")
            sys.exit(0)
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))
        from reader.errors import StoreError
        try:
            with store.writing() as w:
                w.add(make_article(2), body="x" * 200_000)
        except StoreError as exc:
            print(exc)
            sys.exit(5)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(store_module.Path(__file__).parents[1])}
    run = [sys.executable, "-c", script]
    assert subprocess.run([*run, "small"], env=env).returncode == 0
    before = {p.name: p.read_bytes() for p in (path / "segments").iterdir()}
    catalog_before = (path / "catalog.json").read_bytes()
    done = subprocess.run([*run, "big"], env=env, capture_output=True, text=True)
    assert done.returncode == 5, done.stderr
    assert "file size limit reached" in done.stdout and "previous version is intact" in done.stdout
    after = {
        p.name: p.read_bytes() for p in (path / "segments").iterdir() if not p.name.startswith(".")
    }
    assert after == {k: v for k, v in before.items()}
    assert (path / "catalog.json").read_bytes() == catalog_before
    store = Store.open(path)
    assert [a.id for a in store.articles()] == [f"{1:012x}"]


def test_vectors_since_gives_the_vectors_of_recent_segments_only(tmp_path, monkeypatch):
    """What place() relates new articles to: the vectors of the segments written since
    a time, but the caller's own."""
    monkeypatch.setattr(store_module, "SEGMENT_CAPACITY", 10)
    store = Store.open(tmp_path / "store")
    vector = bytes(range(16))
    recent = 1_700_000_000.0 + 10 * 86400
    with store.writing() as writer:
        for i in range(25):  # segments 1 and 2 old, 3 holding the recent five
            collected = recent + i if i >= 20 else 1_700_000_000.0 + i
            writer.add(
                make_article(i, collected=collected),
                body="x",
                vector=vector if i % 2 == 0 else None,
            )
    with store.writing() as writer:
        found = writer.vectors_since(recent, besides={make_article(24).id})
    assert found == {make_article(20).id: vector, make_article(22).id: vector}
