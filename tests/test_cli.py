"""The `reader` command as a subprocess: outputs, exit codes, failures that cost one feed."""

from __future__ import annotations

import json
import time

import pytest
from filelock import FileLock

from reader.config import load_config
from tests.clitools import ROOT, Reader, feed_toml
from tests.conftest import CORPUS
from tests.feedserver import FeedServer, Route

GOOD_FILES = [
    "codehollow-feedreader__Rss20FazNet.xml",  # de, 13 items
    "codehollow-feedreader__Rss20LeParisien.xml",  # fr, 30
    "codehollow-feedreader__Rss10OrfAt.xml",  # RDF, de, 50
    "codehollow-feedreader__Rss20ISO88591Intranet30.xml",  # ISO-8859-1, 30
    "atoma__broken-xkcd.xml",  # Atom, 4
]


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


@pytest.fixture
def server():
    with FeedServer() as srv:
        yield srv


@pytest.fixture
def mixed(server, tmp_path):
    """Five good feeds (ETag), a gzip one, a moved one, and five that fail."""
    feeds = []
    for i, name in enumerate(GOOD_FILES):
        url = server.route(f"/good{i}.xml", Route(body=corpus(name), etag=True))
        feeds.append({"url": url, "name": f"good{i}", "topic": "Corpus", "tier": 2})
    url = server.route(
        "/gz.xml", Route(body=corpus("codehollow-feedreader__Rss20RomaNews.xml"), gzip=True)
    )
    feeds.append({"url": url, "name": "gzipped"})
    server.route("/new-home.xml", Route(body=corpus("codehollow-feedreader__Rss20RomaToday.xml")))
    feeds.append(
        {
            "url": server.route("/old.xml", Route(status=301, location="/new-home.xml")),
            "name": "moved",
        }
    )
    feeds.append({"url": server.route("/404.xml", Route(status=404)), "name": "missing"})
    feeds.append({"url": server.route("/500.xml", Route(status=500)), "name": "broken"})
    feeds.append({"url": server.route("/slow.xml", Route(body=b"", delay=10)), "name": "slow"})
    feeds.append(
        {
            "url": server.route(
                "/page.html",
                Route(
                    body=b"<!DOCTYPE html><html><body>hi</body></html>", content_type="text/html"
                ),
            ),
            "name": "webpage",
        }
    )
    feeds.append({"url": "http://127.0.0.1:9/refused.xml", "name": "refused"})
    text = feed_toml(feeds, fetch={"timeout": 1.5, "concurrency": 8, "per_host": 8})
    return Reader(tmp_path, text)


def test_refresh_stores_good_feeds_and_reports_each_failure(mixed, server):
    started = time.monotonic()
    run = mixed("refresh")
    elapsed = time.monotonic() - started
    assert run.code == 1, run.err
    assert "Traceback" not in run.err + run.out
    lines = run.out.strip().splitlines()
    errors = {line.split(":")[0].split()[-1]: line for line in lines if line.startswith("error")}
    assert set(errors) == {"missing", "broken", "slow", "webpage", "refused"}
    assert "HTTP 404" in errors["missing"] and "HTTP 500" in errors["broken"]
    assert "timed out after 1.5 s" in errors["slow"]
    assert "HTML page" in errors["webpage"] and "connection refused" in errors["refused"]
    assert lines[-1].startswith("7 feeds ok, 5 failed, ")
    assert elapsed < 15  # one slow feed costs its own timeout, not more

    cards = mixed("list", "--json").json()
    expected = 13 + 30 + 50 + 30 + 4 + 10 + 25
    assert len(cards) == expected
    assert len({c["id"] for c in cards}) == expected
    by_feed = {}
    for c in cards:
        by_feed[c["feed"]] = by_feed.get(c["feed"], 0) + 1
    assert by_feed["good2"] == 50 and by_feed["gzipped"] == 10 and by_feed["moved"] == 25

    feeds = {f["name"]: f for f in mixed("feeds", "--json").json()}
    assert feeds["moved"]["fetched_from"] == server.url("/new-home.xml")
    assert feeds["missing"]["last_error"].startswith("HTTP 404")
    assert feeds["missing"]["failures"] == 1
    assert feeds["good0"]["last_error"] is None and feeds["good0"]["articles"] == 13


def test_second_refresh_is_conditional_and_adds_nothing(mixed, server):
    mixed("refresh")
    before = {path: server.count(path) for path in ("/good0.xml", "/old.xml", "/new-home.xml")}
    not_due = mixed("refresh")
    assert "not due" in not_due.out and server.count("/good0.xml") == before["/good0.xml"]
    run = mixed("refresh", "--force")
    assert ", 0 new articles" in run.out
    assert server.requests[-1].headers  # the server saw requests
    good = [r for r in server.requests if r.path == "/good0.xml"]
    assert len(good) == 2 and good[-1].headers.get("if-none-match")
    # the permanent redirect is not followed again: the new URL is asked directly
    assert server.count("/old.xml") == before["/old.xml"]
    assert server.count("/new-home.xml") == before["/new-home.xml"] + 1
    assert len(mixed("list", "--json").json()) == 162


def test_refresh_of_one_feed(mixed, server):
    run = mixed("refresh", "--feed", "good1")
    assert run.code == 0, run.out + run.err
    assert server.count("/good0.xml") == 0 and server.count("/good1.xml") == 1
    assert len(mixed("list", "--json").json()) == 30
    bad = mixed("refresh", "--feed", "nope")
    assert bad.code == 2 and "no such feed" in bad.err


def test_quiet_prints_only_failures(mixed):
    run = mixed("refresh", "--quiet")
    assert run.code == 1
    assert all(line.startswith("error") or "failed" in line for line in run.out.splitlines())


def test_cards_show_tags_and_marks(server, tmp_path):
    url = server.route("/f.xml", Route(body=corpus(GOOD_FILES[0])))
    reader = Reader(tmp_path, feed_toml([{"url": url, "name": "FAZ", "topic": "Press", "tier": 2}]))
    assert reader("refresh").code == 0
    cards = reader("list", "--json").json()
    first = cards[0]
    for key in (
        "id",
        "title",
        "link",
        "feed",
        "source",
        "tier",
        "topic",
        "topics",
        "type",
        "published",
        "collected",
        "tags",
        "read",
        "starred",
    ):
        assert key in first, key
    assert first["feed"] == "FAZ" and first["tier"] == 2 and first["topic"] == "Press"
    assert first["collected"].endswith("Z")
    article_id = first["id"]
    run = reader("tag", article_id[:6], "+Economy", "+de")
    assert run.code == 0 and "de, economy" in run.out
    reader("tag", article_id, "-de")
    reader("read", article_id)
    reader("star", article_id)
    shown = reader("show", article_id, "--json").json()
    assert shown["tags"] == ["economy"] and shown["read"] and shown["starred"]
    assert shown["text"]
    assert "marks      starred, read" in reader("show", article_id).out
    unread = next(c["id"] for c in cards if c["id"] != article_id)
    assert "marks      unread" in reader("show", unread).out  # `list` says N
    # the marks survive a forced refresh that re-reads every entry
    reader("refresh", "--force")
    again = {c["id"]: c for c in reader("list", "--json").json()}[article_id]
    assert again["tags"] == ["economy"] and again["read"] and again["starred"]
    lines = reader("list", "--jsonl").out.splitlines()
    assert len(lines) == len(cards) and json.loads(lines[0])["id"]
    assert len(reader("list", "--json", "--limit", "3").json()) == 3


def test_user_errors_are_one_line_without_traceback(tmp_path):
    reader = Reader(tmp_path, '[[feed]]\nurl = "https://x.example/feed"\ntier = 9\n')
    run = reader("refresh")
    assert run.code == 2
    assert run.err.strip() == f"reader: {reader.config}:3: tier must be 1, 2 or 3, not 9"
    missing = Reader(tmp_path / "nowhere")
    run = missing("refresh")
    assert run.code == 2 and "no such file" in run.err and "Traceback" not in run.err
    good = Reader(tmp_path, '[[feed]]\nurl = "https://x.example/feed"\n')
    run = good("show", "abcdef")
    assert run.code == 2 and "Traceback" not in run.err
    run = good("frobnicate")
    assert run.code == 2 and "No such command" in run.err
    run = good("tag", "abcd")
    assert run.code == 2
    # click's usage errors too: one line, the command, what is wrong, where to read more
    for args, words in [
        (("frobnicate",), "No such command 'frobnicate'"),
        (("list", "--sort", "bogus"), "'bogus' is not one of"),
        (("tag", "abcd", "foo"), "write +foo to add it"),
        (("list", "--json", "--jsonl"), "cannot be used together"),
    ]:
        run = good(*args)
        assert run.code == 2, args
        assert len(run.err.strip().splitlines()) == 1 and words in run.err, (args, run.err)
        assert "--help" in run.err and "Traceback" not in run.err


def test_a_lock_held_past_wait_exits_3(tmp_path):
    reader = Reader(tmp_path, feed_toml([{"url": "file://./x.xml"}]))
    (tmp_path / "x.xml").write_bytes(corpus(GOOD_FILES[4]))
    assert reader("refresh").code == 0
    with FileLock(str(reader.db / ".lock")):
        started = time.monotonic()
        run = reader("--wait", "0.5", "refresh", "--force")
        assert time.monotonic() - started < 10
    assert run.code == 3, run.out + run.err
    assert len(run.err.strip().splitlines()) == 1 and "busy" in run.err


def test_help_says_where_it_looked(tmp_path):
    run = Reader(tmp_path)("--help")
    assert run.code == 0
    assert "feeds.toml" in run.out and "not found" in run.out
    assert "Exit codes" in run.out and "locked" in run.out


def test_python_dash_m_and_the_example_offline_feed(tmp_path):
    reader = Reader(tmp_path)
    reader.config = ROOT / "feeds.toml"
    samples = [f.name for f in load_config(reader.config).feeds if f.url.startswith("file:")]
    run = reader("refresh", *(arg for name in samples for arg in ("--feed", name)))
    assert run.code == 0, run.err
    cards = reader("list", "--json").json()
    assert len(cards) == 12 and {c["feed"] for c in cards} == set(samples)
    # the sample's story: five languages, two sources, related to each other
    aster = [c for c in cards if "Aster-7B" in c["title"]]
    assert {c["lang"] for c in aster} == {"en", "ja", "fr", "it", "de"}
    for c in aster:
        assert set(c["related"]) == {a["id"] for a in aster} - {c["id"]}
        assert c["importance"]["stars"] >= 3
        assert c["topic"] == "Open models"


TAGGER = """
import sys, json
from pathlib import Path
from reader.store import Store
from reader.models import StateChange
store = Store.open(Path(sys.argv[1]))
ids = json.loads(sys.argv[2])
for i in range(200):
    article_id = ids[i % len(ids)]
    change = StateChange(article_id, add_tags=(f"t{i}",), read=(i % 2 == 0) or None)
    store.change_state([change])
"""


def test_two_refreshes_and_a_tagger_at_once_lose_nothing(server, tmp_path):
    """Two `reader refresh` started together while a third process makes 200 mark changes."""
    import subprocess
    import sys

    feeds = []
    for i, name in enumerate(GOOD_FILES[:4]):
        url = server.route(f"/c{i}.xml", Route(body=corpus(name), delay=0.3))
        feeds.append({"url": url, "name": f"c{i}"})
    reader = Reader(tmp_path, feed_toml(feeds))
    assert reader("refresh", "--feed", "c0").code == 0
    ids = [c["id"] for c in reader("list", "--json").json()]
    assert len(ids) == 13
    tagger = subprocess.Popen(
        [sys.executable, "-c", TAGGER, str(reader.db), json.dumps(ids)], env=reader.env()
    )
    first, second = reader.start("refresh", "--force"), reader.start("refresh", "--force")
    assert tagger.wait(120) == 0
    assert first.wait(120) in (0, 1) and second.wait(120) in (0, 1)
    cards = reader("list", "--json").json()
    assert len(cards) == 13 + 30 + 50 + 30
    assert len({c["id"] for c in cards}) == len(cards)
    by_id = {c["id"]: c for c in cards}
    for i in range(200):
        card = by_id[ids[i % len(ids)]]
        assert f"t{i}" in card["tags"]
        if i % 2 == 0:
            assert card["read"]
