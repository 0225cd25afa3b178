"""`reader add` (with feed autodiscovery on a page served on 127.0.0.1) and `reader remove`."""

from __future__ import annotations

import tomllib

import pytest

from reader.config import load_config
from reader.discover import feed_links
from tests.clitools import Reader
from tests.conftest import CORPUS
from tests.feedserver import FeedServer, Route

XKCD = (CORPUS / "atoma__broken-xkcd.xml").read_bytes()  # Atom, 4 entries, title "xkcd.com"
FAZ = (CORPUS / "codehollow-feedreader__Rss20FazNet.xml").read_bytes()  # RSS, 13 entries

PAGE = b"""<!DOCTYPE html>
<html><head>
<meta charset="utf-8"><title>A blog</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/feed+json" href="/feed.json" title="JSON">
<link rel="alternate" type="application/rss+xml" href="../feeds/faz.xml" title="Main (RSS)">
<link rel="Alternate" type="application/atom+xml; charset=utf-8" href="/xkcd.atom" title="Comics">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
<link rel="alternate" type="application/rss+xml" href="../feeds/faz.xml">
<link rel="alternate" hreflang="de" href="/de/">
</head><body><p>Hello</p></body></html>
"""

COMMENTED = """\
# my feeds

[fetch]
timeout = 5   # seconds on loopback

# --- the one I had
[[feed]]
url = "https://old.example/feed.xml"
name = "Old"
"""


@pytest.fixture
def server():
    with FeedServer() as srv:
        srv.route("/feeds/faz.xml", Route(body=FAZ))
        srv.route("/xkcd.atom", Route(body=XKCD, content_type="application/atom+xml"))
        srv.route("/blog/", Route(body=PAGE, content_type="text/html; charset=utf-8"))
        srv.route(
            "/one/",
            Route(
                body=b'<html><head><base href="/feeds/"><link rel="alternate" '
                b'type="application/rss+xml" href="faz.xml"></head></html>',
                content_type="text/html",
            ),
        )
        srv.route(
            "/plain/", Route(body=b"<html><body>no feeds</body></html>", content_type="text/html")
        )
        srv.route("/data.json", Route(body=b'{"a": 1}', content_type="application/json"))
        srv.route("/gone.xml", Route(status=404))
        srv.route("/moved.xml", Route(status=301, location="/feeds/faz.xml"))
        yield srv


def test_feed_links_of_a_page():
    links = feed_links(PAGE, "http://site.example/blog/")
    assert [(link.url, link.kind) for link in links] == [
        ("http://site.example/feeds/faz.xml", "RSS"),
        ("http://site.example/xkcd.atom", "Atom"),
        ("http://site.example/feed.json", "JSON Feed"),  # listed last: halflife cannot read it
    ]
    assert links[0].title == "Main (RSS)"


def test_add_a_feed_url(server, tmp_path):
    reader = Reader(tmp_path, COMMENTED)
    url = server.url("/xkcd.atom")
    run = reader("add", url, "--topic", "Comics", "--tier", "2", "--type", "blog", "--tag", "Fun")
    assert run.code == 0, run.err
    assert "reader refresh --feed xkcd.com" in run.out
    after = reader.config.read_text()
    assert after.startswith(COMMENTED)
    feed = load_config(reader.config).feeds[-1]
    assert (feed.url, feed.name, feed.topic, feed.tier, feed.type, feed.tags) == (
        url,
        "xkcd.com",
        "Comics",
        2,
        "blog",
        ("fun",),
    )
    again = reader("add", url)
    assert again.code == 0 and "already in" in again.out and reader.config.read_text() == after
    # then the feed refreshes under its name, and its articles get its tag
    refresh = reader("refresh", "--feed", "xkcd.com")
    assert refresh.code == 0, refresh.out + refresh.err
    cards = reader("list", "--json").json()
    assert len(cards) == 4 and all(c["tags"] == ["fun"] and c["topic"] == "Comics" for c in cards)


def test_add_a_page_finds_its_feeds(server, tmp_path):
    reader = Reader(tmp_path, COMMENTED)
    run = reader("add", server.url("/blog/"))
    assert run.code == 0, run.err
    assert "links 3 feeds" in run.err and "--pick" in run.err and "JSON Feed" in run.err
    assert load_config(reader.config).feeds[-1].url == server.url("/feeds/faz.xml")
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    picked = Reader(tmp_path / "b", COMMENTED)
    run = picked("add", server.url("/blog/"), "--pick", "2", "--name", "Comics")
    assert run.code == 0, run.err
    feed = load_config(picked.config).feeds[-1]
    assert (feed.url, feed.name) == (server.url("/xkcd.atom"), "Comics")
    json_feed = picked("add", server.url("/blog/"), "--pick", "3")
    assert json_feed.code == 1 and "feed.json" in json_feed.err
    assert picked("add", server.url("/blog/"), "--pick", "9").code == 2
    one = Reader(tmp_path / "c", COMMENTED)
    run = one("add", server.url("/one/"))  # <base href> counts
    assert run.code == 0 and load_config(one.config).feeds[-1].url == server.url("/feeds/faz.xml")


def test_a_permanent_redirect_stores_the_new_url(server, tmp_path):
    reader = Reader(tmp_path, COMMENTED)
    assert reader("add", server.url("/moved.xml")).code == 0
    assert load_config(reader.config).feeds[-1].url == server.url("/feeds/faz.xml")


@pytest.mark.parametrize(
    ("path", "code", "message"),
    [
        ("/plain/", 1, "without feed links"),
        ("/data.json", 1, "neither a feed nor a web page (application/json)"),
        ("/gone.xml", 1, "HTTP 404"),
    ],
)
def test_what_is_not_a_feed_is_one_line(server, tmp_path, path, code, message):
    reader = Reader(tmp_path, COMMENTED)
    run = reader("add", server.url(path))
    assert run.code == code and message in run.err
    assert run.err.count("\n") == 1 and "Traceback" not in run.err
    assert reader.config.read_text() == COMMENTED


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://127.0.0.1:9/feed.xml", 1),  # connection refused
        ("ftp://example.org/feed", 2),
        ("example.org/feed", 2),
        ("http://", 2),
    ],
)
def test_bad_urls_and_network_errors(tmp_path, url, code):
    reader = Reader(tmp_path, COMMENTED)
    run = reader("add", url)
    assert run.code == code, run.err
    assert run.err.count("\n") == 1 and reader.config.read_text() == COMMENTED


def test_bad_options_exit_2(tmp_path, server):
    reader = Reader(tmp_path, COMMENTED)
    assert reader("add", server.url("/xkcd.atom"), "--tier", "5").code == 2
    assert reader("add", server.url("/xkcd.atom"), "--type", "tweet").code == 2
    run = reader("add", server.url("/xkcd.atom"), "--name", "old")  # names are unique
    assert run.code == 2 and "duplicate feed name" in run.err
    assert reader.config.read_text() == COMMENTED


def test_remove_keeps_marked_articles_and_every_other_line(server, tmp_path):
    text = COMMENTED + f'\n# comics\n[[feed]]\nurl = "{server.url("/xkcd.atom")}"\nname = "xkcd"\n'
    text += f'\n[[feed]]\nurl = "{server.url("/feeds/faz.xml")}"\nname = "FAZ"\n'
    reader = Reader(tmp_path, text)
    assert reader("refresh").code == 1  # old.example does not resolve: one failure
    cards = [c for c in reader("list", "--json").json() if c["feed"] == "FAZ"]
    assert len(cards) == 13
    kept_tag, kept_star = cards[0]["id"], cards[1]["id"]
    reader("tag", kept_tag, "+keep")
    reader("star", kept_star)
    reader("read", cards[2]["id"])  # read, not kept

    refused = reader("remove", "FAZ")  # no terminal, no --yes
    assert refused.code == 2 and "--yes" in refused.err
    assert reader.config.read_text() == text

    run = reader("remove", "faz", "--yes")
    assert run.code == 0, run.err
    assert "deleted 11 articles, kept 2 tagged or starred" in run.out
    expected = text.replace(
        f'\n[[feed]]\nurl = "{server.url("/feeds/faz.xml")}"\nname = "FAZ"\n', ""
    )
    assert reader.config.read_text() == expected
    left = {c["id"]: c for c in reader("list", "--json").json()}
    assert {i for i, c in left.items() if c["feed"] == "FAZ"} == {kept_tag, kept_star}
    assert left[kept_tag]["tags"] == ["keep"] and left[kept_star]["starred"]
    assert sum(c["feed"] == "xkcd" for c in left.values()) == 4
    assert "FAZ" not in reader("feeds").out
    missing = reader("remove", "FAZ", "--yes")
    assert missing.code == 2 and "no feed" in missing.err
    # the comment glued to a feed goes with it; the others stay
    assert reader("remove", "xkcd", "--yes", "--keep-articles").code == 0
    assert reader.config.read_text() == COMMENTED
    assert tomllib.loads(reader.config.read_text())["feed"][0]["name"] == "Old"
    assert sum(c["feed"] == "xkcd" for c in reader("list", "--json").json()) == 4
