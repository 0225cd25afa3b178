"""Retention (prune, keep_days), reindex and doctor, on real stores, mostly as subprocesses."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.maintenance import prune
from reader.models import FeedRecord, StateChange, UserState
from reader.store import Store, backup_path
from tests.clitools import Reader, feed_toml
from tests.test_cli_fixtures import (
    SAMPLE_ARTICLES,
    SAMPLE_CONFIG,
    make_article,
    sample_reader,
    write_store,
)

DAY = 86400.0
FEEDS = ["https://a.example/feed", "https://b.example/feed", "https://c.example/feed"]


# --- prune never removes what the reader keeps -------------------------------------------


@st.composite
def stores(draw):
    n = draw(st.integers(min_value=1, max_value=40))
    ages = draw(st.lists(st.floats(0, 400), min_size=n, max_size=n))
    feeds = draw(st.lists(st.sampled_from(FEEDS), min_size=n, max_size=n))
    marks = draw(
        st.lists(
            st.tuples(
                st.lists(st.sampled_from(["keep", "later", "x"]), max_size=2),
                st.booleans(),
                st.booleans(),
            ),
            min_size=n,
            max_size=n,
        )
    )
    listed = draw(st.lists(st.integers(0, 5), min_size=len(FEEDS), max_size=len(FEEDS)))
    related = draw(st.lists(st.lists(st.integers(0, n - 1), max_size=3), min_size=n, max_size=n))
    older_than = draw(st.floats(1, 300))
    return ages, feeds, marks, listed, related, older_than


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=stores())
def test_prune_never_removes_a_tagged_or_starred_article(tmp_path_factory, case):
    ages, feeds, marks, listed, related, older_than = case
    now = time.time()
    path = tmp_path_factory.mktemp("prune") / "store"
    links: dict[int, set[int]] = {i: set() for i in range(len(ages))}
    for i, others in enumerate(related):  # stored links are two-way
        for j in others:
            if j != i:
                links[i].add(j)
                links[j].add(i)
    articles = [
        make_article(i, feed=feeds[i], age_days=ages[i], now=now).with_(
            related=tuple(f"{r:012x}" for r in sorted(links[i]))
        )
        for i in range(len(ages))
    ]
    changes = [
        StateChange(a.id, add_tags=tuple(tags), starred=starred or None, read=read or None)
        for a, (tags, starred, read) in zip(articles, marks, strict=True)
        if tags or starred or read
    ]
    store = write_store(path, articles, changes)
    with store.writing() as writer:
        for key, count in zip(FEEDS, listed, strict=True):
            writer.put_feed(FeedRecord(key=key, article_count=count))
    states_before = store.states()

    removal, _plan = prune(store, older_than * DAY, now=now)

    catalog = store.catalog()
    left = {a.id: a for a in store.articles()}
    assert set(left) == set(catalog.articles)  # segments and catalog agree
    assert store.states() == states_before  # marks are never touched
    by_feed = {}
    for a in articles:
        by_feed.setdefault(a.feed_url, []).append(a)
    # a feed lists its newest articles; among equal times (the catalog keeps 0.1 s) the
    # higher id counts as newer, as prune orders them
    newest = {
        key: {
            a.id
            for a in sorted(group, key=lambda a: (round(a.when, 1), a.id), reverse=True)[
                : listed[FEEDS.index(key)]
            ]
        }
        for key, group in by_feed.items()
    }
    cutoff = now - older_than * DAY
    for article in articles:
        state = states_before.get(article.id, UserState())
        kept = bool(state.tags) or state.starred
        if kept:
            assert article.id in left
        if abs(article.when - cutoff) <= 0.1:
            continue  # within the catalog's time precision of the cutoff: either is right
        old = article.when < cutoff
        still_listed = article.id in newest[article.feed_url]
        should_go = old and not kept and not still_listed
        assert (article.id not in left) == should_go, (article, state, still_listed)
    assert set(removal.removed) == {a.id for a in articles if a.id not in left}
    for article in left.values():  # no dangling related ids
        assert all(r in left for r in article.related if r in {a.id for a in articles})


# --- the commands --------------------------------------------------------------------------


@pytest.fixture
def aged(tmp_path) -> Reader:
    """Ten articles of one feed, 0..90 days old; #1 tagged, #2 starred, #3 read."""
    reader = Reader(tmp_path, feed_toml([{"url": FEEDS[0], "name": "A"}]))
    articles = [make_article(i, feed=FEEDS[0], age_days=i * 10) for i in range(10)]
    write_store(
        reader.db,
        articles,
        [
            StateChange(articles[7].id, add_tags=("keep",)),
            StateChange(articles[8].id, starred=True),
            StateChange(articles[9].id, read=True),
        ],
    )
    return reader


def test_prune_asks_counts_and_deletes(aged):
    refused = aged("prune", "--older-than", "45d")
    assert refused.code == 2 and "--yes" in refused.err
    assert len(aged("list", "--json").json()) == 10
    dry = aged("prune", "--older-than", "45d", "--dry-run")
    assert dry.code == 0 and dry.out.strip() == (
        "would delete 3 articles older than 45d (kept: 2 tagged or starred)"
    )
    run = aged("prune", "--older-than", "45d", "--yes")
    assert run.code == 0 and run.out.startswith("deleted 3 articles older than 45d")
    left = {c["id"]: c for c in aged("list", "--json").json()}
    assert sorted(left) == [f"{i:012x}" for i in (0, 1, 2, 3, 4, 7, 8)]
    assert left[f"{7:012x}"]["tags"] == ["keep"] and left[f"{8:012x}"]["starred"]
    nothing = aged("prune", "--older-than", "45d")
    assert nothing.code == 0 and "nothing older than 45d" in nothing.out
    for bad in ("45", "soon", "-3d"):
        assert aged("prune", "--older-than", bad, "--yes").code == 2
    assert aged("prune").code == 2  # no age and no keep_days


def test_prune_without_a_store_is_a_usage_error(tmp_path):
    run = Reader(tmp_path, feed_toml([{"url": FEEDS[0]}]))("prune", "--older-than", "1d", "--yes")
    assert run.code == 2 and "no store" in run.err


def test_keep_days_prunes_at_the_end_of_refresh(tmp_path):
    from tests.clitools import ROOT

    url = (ROOT / "examples" / "sample-releases.xml").as_uri()
    reader = Reader(tmp_path, feed_toml([{"url": url, "name": "R"}], store={"keep_days": 30}))
    old = [make_article(i, feed=url, age_days=40 + i) for i in range(5)]
    write_store(reader.db, old, [StateChange(old[0].id, starred=True)])
    run = reader("refresh")
    assert run.code == 0, run.out + run.err
    assert "pruned 4 articles older than 30 days" in run.out
    cards = reader("list", "--json").json()
    assert sorted(c["id"] for c in cards if c["id"] in {a.id for a in old}) == [old[0].id]
    assert len(cards) == 2  # the starred old one and the feed's own entry
    assert reader("prune", "--dry-run").out.startswith("would delete 0 articles older than 30d")


def test_reindex_applies_new_topic_rules_and_names_and_keeps_marks(tmp_path, tmp_path_factory):
    reader = sample_reader(tmp_path, tmp_path_factory)
    first = reader("reindex")
    assert first.code == 0 and "0 with new card fields" in first.out, first.out + first.err
    before = {c["id"]: c for c in reader("list", "--json").json()}
    some = sorted(before)[:3]
    reader("tag", some[0], "+keep")
    reader("star", some[1])
    reader("read", some[2])
    config = SAMPLE_CONFIG.replace('name = "Papers (sample)"', 'name = "Preprints"')
    config += '\n[[topic]]\nname = "Aster"\nkeywords = ["Aster-7B"]\nmove = true\n'
    reader.config.write_text(config)
    run = reader("reindex")
    assert run.code == 0, run.err
    assert run.out.startswith(f"reindexed {SAMPLE_ARTICLES} articles")
    after = {c["id"]: c for c in reader("list", "--json").json()}
    aster = [c for c in after.values() if "Aster-7B" in c["title"]]
    assert len(aster) >= 4 and all(c["topic"] == "Aster" for c in aster)
    assert {c["feed"] for c in after.values() if c["type"] == "paper"} == {"Preprints"}
    assert (
        after[some[0]]["tags"] == ["keep"] and after[some[1]]["starred"] and after[some[2]]["read"]
    )
    for article_id, card in after.items():  # what reindex must not touch
        for key in ("id", "title", "link", "published", "collected", "related", "lang", "summary"):
            assert card[key] == before[article_id][key], (key, card[key])


def test_reindex_in_worker_processes_gives_what_one_process_gives(tmp_path, monkeypatch):
    """Segments are reindexed by a pool of processes forked from the refresh's
    forkserver (the language model loaded once, there); the result is the same."""
    import shutil

    import reader.store as store_module
    from reader.config import parse_config
    from reader.maintenance import reindex

    monkeypatch.setattr(store_module, "SEGMENT_CAPACITY", 4)
    now = time.time()
    articles = [
        make_article(n, now=now, title=title, lang=None, summary=())
        for n, title in enumerate(
            [
                "Open model beats the benchmark",
                "Ein neues Modell übertrifft den Vergleich",
                "Un nouveau modèle dépasse la référence",
                "新しいモデルがベンチマークを上回る",
                "Nuovo modello supera il benchmark",
                "Un nuevo modelo supera la prueba",
                "Новая модель превзошла тест",
                "Lab releases weights for its model",
                "Paper: scaling laws revisited",
                "Das Labor veröffentlicht die Gewichte",
            ]
        )
    ]
    write_store(tmp_path / "one", articles)
    shutil.copytree(tmp_path / "one", tmp_path / "pool")
    config = parse_config("")
    for name, workers in (("one", 1), ("pool", 2)):
        store = Store.open(tmp_path / name)
        assert len(store.segment_numbers()) == 3
        report = reindex(store, config, workers=workers, now=now)
        assert report.articles == len(articles)
    one = {a.id: a for a in Store.open(tmp_path / "one").articles()}
    pool = {a.id: a for a in Store.open(tmp_path / "pool").articles()}
    assert one == pool
    assert {one[make_article(n).id].lang for n in (1, 2, 3, 6)} == {"de", "fr", "ja", "ru"}


# --- doctor and corrupt store files ------------------------------------------------------------


@pytest.fixture
def marked(tmp_path) -> tuple[Reader, Store, list[str]]:
    reader = Reader(tmp_path, feed_toml([{"url": FEEDS[0], "name": "A"}]))
    articles = [make_article(i, feed=FEEDS[0], age_days=i) for i in range(1, 40)]
    store = write_store(reader.db, articles)
    ids = [a.id for a in articles]
    with store.writing() as writer:  # a second write: catalog and segment get backups
        writer.update(writer.article(ids[0]))
    # marks in shard "0" (ids are 0000000000xx): two writes, so a backup exists
    store.change_state([StateChange(ids[0], add_tags=("keep",))])
    store.change_state([StateChange(ids[1], starred=True), StateChange(ids[2], read=True)])
    return reader, store, ids


def corrupt(path: Path, keep: int = 0) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:keep] + b"\x00garbage{" if keep else b"")


COMMANDS = [
    ("list",),
    ("list", "--json"),
    ("digest",),
    ("export", "--format", "json"),
    ("tag", "000000000001", "+x"),
    ("star", "000000000001"),
    ("show", "000000000001"),
    ("prune", "--older-than", "1d", "--yes"),
    ("reindex",),
]


@pytest.mark.parametrize("name", ["catalog.json", "state/0.json", "segments/000001.json"])
def test_every_command_names_a_corrupt_file_and_suggests_doctor(marked, name):
    reader, store, _ids = marked
    corrupt(store.path / name, keep=20)
    for argv in COMMANDS:
        run = reader(*argv)
        if run.code == 0:  # a command that did not need that file
            continue
        assert run.code == 1, (argv, run.err)
        assert run.err.count("\n") == 1 and "Traceback" not in run.err, (argv, run.err)
        assert f"{store.path / name} is corrupt" in run.err and "reader doctor" in run.err
        assert "a backup is at" in run.err and str(backup_path(store.path / name)) in run.err
    assert reader("list").code == 1


def test_doctor_on_a_healthy_store(marked):
    reader, _store, _ids = marked
    run = reader("doctor")
    assert run.code == 0 and run.out.strip().endswith("all fine")


def test_doctor_restores_marks_from_backup_and_rebuilds_the_catalog(marked):
    reader, store, ids = marked
    cards = {c["id"]: c for c in reader("list", "--json").json()}
    corrupt(store.path / "catalog.json")
    shard = store.state_dir / "0.json"
    corrupt(shard, keep=60)
    stale = store.path / ".catalog.json.12345.tmp"
    stale.write_bytes(b"half a write")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))

    refused = reader("doctor")
    assert refused.code == 2 and "--yes" in refused.err
    assert refused.out.count("needs repair") == 3

    run = reader("doctor", "--yes")
    assert run.code == 0, run.out + run.err
    lines = run.out.splitlines()
    assert any(
        "catalog.json: corrupt" in line and "rebuilt from the segments (39 articles)" in line
        for line in lines
    )
    assert any("0.json: corrupt" in line and "restored from its backup" in line for line in lines)
    assert any(".tmp: removed" in line for line in lines)
    assert not stale.exists()
    assert list(store.path.glob("catalog.json.corrupt-*")) and list(
        store.state_dir.glob("0.json.corrupt-*")
    )
    after = {c["id"]: c for c in reader("list", "--json").json()}
    assert set(after) == set(cards)
    for article_id, card in cards.items():
        for key in ("title", "importance", "feed", "published"):
            assert after[article_id][key] == card[key]
    # the backup holds the marks as they were before the last write, plus what the
    # damaged file still had
    assert after[ids[0]]["tags"] == ["keep"]
    assert reader("doctor").out.strip().endswith("all fine")


def test_doctor_without_a_backup_says_so_and_exits_1(marked):
    reader, store, ids = marked
    shard = store.state_dir / "0.json"
    text = shard.read_bytes()
    # damage the end of the file: the first documents still read
    shard.write_bytes(text[: text.index(ids[2].encode()) - 2] + b',"0000000000')
    backup_path(shard).unlink()
    run = reader("doctor", "--yes")
    assert run.code == 1, run.out + run.err
    assert "LOST DATA" in run.out and "NO BACKUP" in run.out and "2 marks could be read" in run.out
    assert "SOME DATA COULD NOT BE SAVED" in run.err
    cards = {c["id"]: c for c in reader("list", "--json").json()}
    assert cards[ids[0]]["tags"] == ["keep"] and cards[ids[1]]["starred"]
    assert not cards[ids[2]]["read"]  # it was in the lost part


def test_doctor_restores_a_segment_and_resets_feed_status(marked):
    reader, store, ids = marked
    with store.writing() as writer:  # a second write of the segment: it gets a backup
        writer.update(writer.article(ids[5]).with_(title="Changed title"))
        writer.put_feed(FeedRecord(key=FEEDS[0], etag='"x"'))
    corrupt(store.segment_path(1), keep=100)
    corrupt(store.feeds_path)
    run = reader("doctor", "--yes")
    assert run.code == 0, run.out + run.err
    assert "000001.json: corrupt" in run.out and "feeds.json: corrupt" in run.out
    cards = {c["id"]: c for c in reader("list", "--json").json()}
    assert len(cards) == 39  # the backup is one write older: the title change is gone
    assert cards[ids[5]]["title"] == "Article number 6"


# --- hostile feed text stays text ------------------------------------------------------------

HOSTILE = [
    "[x](javascript:alert(1))",
    "<script>alert(1)</script>",
    "]]> <![CDATA[ x",
    "Bell\u0007 and \u001b[31mred\u001b[0m and \u009b2J",
    "# not a heading",
    "1. not a list",
    "![img](https://evil.example/x.png)",
    "<https://autolink.example>",
    "*bold* _it_ `code` | table | ~~strike~~ &amp; &#106;",
]


def test_hostile_titles_stay_inert_in_every_format(tmp_path):
    from markdown_it import MarkdownIt

    reader = Reader(tmp_path, feed_toml([{"url": FEEDS[0], "name": "A"}]))
    articles = [
        make_article(
            i + 1,
            feed=FEEDS[0],
            title=title,
            link="javascript:alert(1)" if i % 2 else "https://ok.example/a b(c)",
            summary=(title,),
            age_days=0.1,
        )
        for i, title in enumerate(HOSTILE)
    ]
    write_store(reader.db, articles, [StateChange(articles[0].id, add_tags=("<b>tag</b>",))])

    md = reader("export", "--format", "md")
    assert md.code == 0, md.err
    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md.out)
    assert "<script" not in html and "javascript:" not in html.replace("javascript:alert(1))", "")
    assert "<img" not in html and "<b>" not in html and "<code>" not in html
    assert html.count("<em>") == 1  # the export's own line of details, nothing from a feed
    assert "<h1>" in html and html.count("<h2>") == len(HOSTILE)
    hrefs = [part.split('"', 1)[0] for part in html.split('href="')[1:]]
    assert hrefs and all(h.startswith("https://ok.example/") for h in hrefs)
    assert "\x1b" not in md.out and "\x07" not in md.out and "\x9b" not in md.out
    digest = reader("digest", "--format", "md", "--limit", "20")
    html = MarkdownIt("commonmark").render(digest.out)
    assert "<script" not in html and "<img" not in html
    assert all(
        h.startswith("https://ok.example/")
        for h in [p.split('"', 1)[0] for p in html.split('href="')[1:]]
    )

    data = reader("export", "--format", "json").json()
    assert {c["title"] for c in data} == set(HOSTILE)  # JSON keeps the text as it is, valid
    for argv in (("list",), ("list", "--format", "{title} {summary} {tags}"), ("digest",)):
        out = reader(*argv).out
        assert not any(ch in out for ch in "\x1b\x07\x9b"), argv
        assert "alert(1)" in out
    random.seed(0)
