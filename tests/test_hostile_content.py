"""Hostile content, served on 127.0.0.1: escapes, markup, XML bombs, huge and broken bodies.

One `reader refresh` over every case at once (the module fixture), then each test checks
one promise: every bad feed costs one readable line, every other feed is stored, the
store loads, the reader's marks survive, and whatever is shown is literal text (no
escape sequence, no control character, markup shown as typed). Parser-level tests pin
the details and the time and memory each attack may cost.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import time
import tracemalloc
from email.utils import formatdate
from io import StringIO
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from rich.console import Console

from reader import parse as parse_module
from reader.errors import ParseError
from reader.parse import MAX_ENTRIES, parse_feed
from reader.text import clean_inline, html_to_text
from tests.clitools import Reader, Run, feed_toml
from tests.feedserver import FeedServer, Route
from tests.hostile import (
    HOSTILE,
    HOSTILE_TEXT,
    MARKUP,
    assert_inert,
    assert_only_sgr,
    atom,
    atom_entry,
    raw_item,
    repeat_stream,
    rss,
    rss_item,
)

SECRET = "SECRET-MARKER-4f1c9e"
GOOD = rss(
    [
        rss_item(
            title=f"Good article {i}",
            guid=f"good-{i}",
            link=f"http://good.example/{i}",
            description=f"A perfectly ordinary article number {i} about open models.",
        )
        for i in range(5)
    ],
    title="Good feed",
)
GOOD_LATER = GOOD.replace(
    b"</channel>",
    rss_item(title="Good news later", guid="good-later", link="http://good.example/later").encode()
    + b"</channel>",
)
DANGEROUS_LINKS = {
    "esc-refs": "javascript:alert(document.cookie)",
    "esc-cdata": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "esc-html": "file:///etc/passwd",
}


def _hostile_feed(mode: str, link: str, channel: str = "Feed") -> bytes:
    items = [
        rss_item(
            title=f"{mode} title {HOSTILE_TEXT}",
            guid=f"{mode}-1",
            link=link,
            description=f"{mode} summary {HOSTILE_TEXT}",
            content=f"{mode} body {HOSTILE_TEXT}",
            author=f"{mode} author {HOSTILE_TEXT}",
            category=f"{mode} tag {HOSTILE['textual_action']}",
            mode=mode,
        ),
        rss_item(
            title=f"{mode} markup only {' '.join(MARKUP)}",
            guid=f"{mode}-2",
            link=f"http://ok.example/{mode}",
            description=" ".join(MARKUP),
            mode=mode,
        ),
    ]
    return rss(items, title=channel)


def _bombs(remote_base: str, secret_file: Path) -> dict[str, bytes]:
    lol = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10)
    )
    big_value = "A" * 1_000_000
    return {
        "billion-laughs": rss(
            raw_item(title="laughs &lol9;", guid="l1", description="&lol9;&lol9;"),
            title="Laughs &lol9;",
            prolog=f"<!DOCTYPE rss [{lol}]>",
        ),
        "quadratic": rss(
            raw_item(title="quad", guid="q1", description="&big;" * 200),
            title="Quadratic",
            prolog=f'<!DOCTYPE rss [<!ENTITY big "{big_value}">]>',
        ),
        "xxe": rss(
            raw_item(title="xxe &xxe;", guid="x1", description="&xxe;"),
            title="XXE",
            prolog=f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret_file}">]>',
        ),
        "remote-dtd": rss(
            raw_item(title="dtd &remote;", guid="d1", description="&remote; &param;"),
            title="Remote DTD",
            prolog=(
                f'<!DOCTYPE rss SYSTEM "{remote_base}/evil.dtd" ['
                f'<!ENTITY % param SYSTEM "{remote_base}/param.dtd"> %param;'
                f'<!ENTITY remote SYSTEM "{remote_base}/entity.txt">]>'
            ),
        ),
    }


def _size_and_shape() -> dict[str, Route]:
    huge_title = "word " * 200_000  # 1 MB
    deep = "<div>" * 100_000 + "deep text survives" + "</div>" * 100_000
    item_open = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>'
    return {
        "big-chunked": Route(
            stream=repeat_stream(b"<item><title>x</title></item>" * 2000, 50_000_000, item_open)
        ),
        "big-declared": Route(
            stream=repeat_stream(b"x" * 65536, 50_000_000),
            headers={"Content-Length": "50000000"},
        ),
        "gzip-bomb": Route(raw_gzip=gzip.compress(b"\0" * 50_000_000, 9)),
        "gzip-no-header": Route(body=gzip.compress(b" " * 60_000_000, 9)),
        "title-1mb": Route(body=rss(rss_item(title=huge_title, guid="t1", description="body"))),
        "nested-divs": Route(
            body=rss(raw_item(title="Deep", guid="n1", description=f"<![CDATA[{deep}]]>"))
        ),
        "invalid-utf8": Route(
            body=rss(raw_item(title="Bad INVALID bytes", guid="u1")).replace(
                b"INVALID", b"\xff\xfe\xed\xa0\x80 caf\xe9 \xc3"
            )
        ),
        "wrong-charset": Route(
            body=rss(rss_item(title="Café naïve", guid="w1")).decode().encode("latin-1"),
            content_type="application/rss+xml; charset=utf-8",
        ),
        "empty-body": Route(body=b""),
        "html-page": Route(
            body=b"<!DOCTYPE html><html><head><title>Home</title></head><body>Hi</body></html>",
            content_type="text/html; charset=utf-8",
        ),
        "binary-garbage": Route(
            body=bytes(range(256)) * 64, content_type="application/octet-stream"
        ),
    }


EXPECTED_ERRORS = {
    "big-chunked": "larger than the 20,000,000 byte limit",
    "big-declared": "larger than the 20,000,000 byte limit",
    "gzip-bomb": "larger than the 20,000,000 byte limit",
    "gzip-no-header": "gzip body inflates past",
    "empty-body": "empty response",
    "html-page": "HTML page",
    "binary-garbage": "not a feed",
}


# Runs a command in a fresh Python process that reports the peak RSS of its children
# (the command and the parse workers it waited for) on its last stderr line: the test
# process's own RUSAGE_CHILDREN would count every subprocess of the whole session.
_PEAK_RSS = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _run_measured(reader: Reader, *args: str) -> tuple[Run, float]:
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS, *reader.argv(*args)],
        capture_output=True, text=True, timeout=300, env=reader.env(),
    )  # fmt: skip
    err, _, peak_kb = done.stderr.rstrip("\n").rpartition("\n")
    if not peak_kb.strip().isdigit():  # the command printed nothing on stderr
        err, peak_kb = "", done.stderr.strip()
    return Run(done.returncode, done.stdout, err + "\n" if err else ""), int(peak_kb) / 1024


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Serve every case, refresh once, and collect what each command printed."""
    tmp = tmp_path_factory.mktemp("hostile")
    secret_file = tmp / "secret.txt"
    secret_file.write_text(SECRET)
    with (
        pytest.MonkeyPatch.context() as env,
        FeedServer() as server,
        FeedServer() as remote,
    ):
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
            env.setenv(name, str(tmp / name.lower()))
        remote.route("/evil.dtd", Route(body=b'<!ENTITY remote "REMOTE-FETCHED">'))
        remote.route("/param.dtd", Route(body=b'<!ENTITY remote "REMOTE-FETCHED">'))
        remote.route("/entity.txt", Route(body=b"REMOTE-FETCHED"))
        feeds = [{"url": server.route("/good.xml", Route(body=GOOD)), "name": "good"}]
        # the first hostile feed has no name in feeds.toml: its own (hostile) title is used
        channel = f"HostileChannel {HOSTILE_TEXT}"
        url = server.route(
            "/esc-refs.xml", Route(body=_hostile_feed("refs", DANGEROUS_LINKS["esc-refs"], channel))
        )
        feeds.append({"url": url})
        for name, mode in (("esc-cdata", "cdata"), ("esc-html", "html"), ("esc-raw", "raw")):
            link = DANGEROUS_LINKS.get(name, "http://ok.example/raw")
            url = server.route(f"/{name}.xml", Route(body=_hostile_feed(mode, link)))
            feeds.append({"url": url, "name": name})
        entry = atom_entry(
            title=f"atom title {HOSTILE_TEXT}",
            entry_id="urn:a1",
            link="javascript:void(0)",
            author=f"atom author {HOSTILE_TEXT}",
            category=HOSTILE["rich_markup"],
            summary=f"atom summary {HOSTILE_TEXT}",
            content=f"atom content {HOSTILE_TEXT}",
        )
        url = server.route(
            "/atom.xml", Route(body=atom([entry]), content_type="application/atom+xml")
        )
        feeds.append({"url": url, "name": "atom-hostile"})
        for name, body in _bombs(remote.base, secret_file).items():
            feeds.append({"url": server.route(f"/{name}.xml", Route(body=body)), "name": name})
        for name, route in _size_and_shape().items():
            feeds.append({"url": server.route(f"/{name}.xml", route), "name": name})

        reader = Reader(tmp, feed_toml(feeds, fetch={"timeout": 20}))
        first = reader("refresh", "--feed", "good")
        assert first.code == 0, first.out + first.err
        good_ids = [c["id"] for c in reader("list", "--json").json()]
        marks = [
            reader("tag", good_ids[0], "+keep", "+later"),
            reader("read", good_ids[1]),
            reader("star", good_ids[2]),
        ]
        assert all(m.code == 0 for m in marks), [m.err for m in marks]

        started = time.monotonic()
        # the good feed has news: the forced refresh of everything stores it beside the rest
        server.route("/good.xml", Route(body=GOOD_LATER))
        run, peak_rss_mb = _run_measured(reader, "refresh", "--force")
        elapsed = time.monotonic() - started
        cards = reader("list", "--json")
        result = SimpleNamespace(
            reader=reader,
            server=server,
            remote_requests=list(remote.requests),
            refresh=run,
            elapsed=elapsed,
            peak_rss_mb=peak_rss_mb,
            good_ids=good_ids,
            cards=cards.json(),
            list_plain=reader("list"),
            list_jsonl=reader("list", "--jsonl"),
            feeds_plain=reader("feeds"),
            feeds_json=reader("feeds", "--json"),
            tmp=tmp,
        )
        result.shows = {}
        for card in result.cards:
            feed = card["feed"]
            # one article of each feed with hostile text: subprocesses cost
            if feed.startswith(("esc-", "atom-", "HostileChannel")) and feed not in result.shows:
                result.shows[feed] = (card, reader("show", card["id"]))
        result.hostile_feed = next(
            c["feed"] for c in result.cards if c["feed"].startswith("HostileChannel")
        )
        dangerous = [
            c for c in result.cards if urlsplit(c["link"]).scheme in ("javascript", "data", "file")
        ]
        result.show_json = {c["link"]: reader("show", c["id"], "--json") for c in dangerous}
        yield result


def _lines_by_feed(out: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in out.splitlines():
        match = re.match(r"(error|ok) +(.+?): ", line)
        if match:
            found.setdefault(match.group(2), []).append(line)
    return found


def test_every_bad_feed_costs_one_line_and_the_others_are_stored(hostile):
    run = hostile.refresh
    assert run.code == 1, run.out + run.err
    assert "Traceback" not in run.out + run.err
    lines = _lines_by_feed(run.out)
    for name, expected in EXPECTED_ERRORS.items():
        assert len(lines.get(name, [])) == 1, (name, run.out)
        (line,) = lines[name]
        assert line.startswith("error") and expected in line, line
    for name in ("good", "atom-hostile", "esc-cdata", "esc-html", "title-1mb", "nested-divs",
                 "invalid-utf8", "wrong-charset", "billion-laughs", "quadratic", "xxe",
                 "remote-dtd"):  # fmt: skip
        assert len(lines.get(name, [])) == 1 and lines[name][0].startswith("ok"), (name, run.out)
    # the feed named by its own hostile title got one line too, cleaned
    hostile_lines = [line for line in run.out.splitlines() if "HostileChannel" in line]
    assert len(hostile_lines) == 1 and hostile_lines[0].startswith("ok"), run.out
    by_feed = {}
    for card in hostile.cards:
        by_feed.setdefault(card["feed"], []).append(card)
    assert len(by_feed["good"]) == 6
    assert len(by_feed["title-1mb"]) == 1 and len(by_feed["nested-divs"]) == 1
    assert not any(name in by_feed for name in EXPECTED_ERRORS)
    # one bad feed never slows the refresh down to its own size or its timeout
    assert hostile.elapsed < 60, hostile.elapsed


def test_feeds_command_shows_each_error_on_one_line(hostile):
    run = hostile.feeds_plain
    assert run.code == 0, run.err
    assert_inert(run.out, "reader feeds")
    for name, expected in EXPECTED_ERRORS.items():
        lines = [line for line in run.out.splitlines() if line.startswith(name)]
        assert len(lines) == 1 and "ERROR (1x)" in lines[0] and expected in lines[0], lines
    records = {row["name"]: row for row in hostile.feeds_json.json()}
    for name, expected in EXPECTED_ERRORS.items():
        assert expected in records[name]["last_error"] and "\n" not in records[name]["last_error"]
    assert records["good"]["last_error"] is None and records["good"]["articles"] == 6


def test_the_store_loads_and_the_marks_survive(hostile):
    cards = {c["id"]: c for c in hostile.cards}
    assert len(cards) == len(hostile.cards), "an article is listed twice"
    first, second, third = hostile.good_ids[:3]
    assert cards[first]["tags"] == ["keep", "later"]
    assert cards[second]["read"] and cards[third]["starred"]


def test_list_show_and_feeds_print_only_literal_text(hostile):
    assert_inert(hostile.refresh.out, "refresh")
    assert_inert(hostile.refresh.err, "refresh stderr")
    listing = hostile.list_plain
    assert listing.code == 0, listing.err
    assert_inert(listing.out, "reader list")
    # one line per article: no newline, U+2028 or other separator got into a row
    assert len(listing.out.splitlines()) == len(hostile.cards)
    for feed, (_card, run) in hostile.shows.items():
        assert run.code == 0, (feed, run.err)
        assert_inert(run.out, f"reader show ({feed})")
    # markup is shown as typed, in titles, bodies and author names
    for marker in MARKUP:
        assert marker in listing.out, marker
    shown = "".join(run.out for _card, run in hostile.shows.values())
    for marker in MARKUP:
        assert marker in shown, marker
    # the escape sequences are gone, the words around them are still there
    assert "w-osc52" in listing.out and "pwned-title" not in listing.out
    assert "cm0gLXJmIH4=" not in listing.out + shown  # the OSC 52 payload itself


def test_json_outputs_are_valid_json_without_controls(hostile):
    for card in hostile.cards:
        for key in ("title", "feed", "source", "author", "link"):
            if card.get(key):
                assert_inert(card[key], f"{key} of {card['id']}", allow_newlines=False)
        for line in card["summary"]:
            assert_inert(line, "summary")
    jsonl = hostile.list_jsonl.out.splitlines()
    assert [json.loads(line)["id"] for line in jsonl] == [c["id"] for c in hostile.cards]
    assert_inert(hostile.list_jsonl.out)
    for link, run in hostile.show_json.items():
        data = run.json()
        assert data["link"] == link  # kept as text: the app's `o` refuses to open it
        assert_inert(data["text"], "show --json text")
        assert "w-textual_action [@click=app.quit]Q[/]" in data["text"]


def test_dangerous_links_are_kept_as_inert_text(hostile):
    links = {
        c["feed"]: c["link"]
        for c in hostile.cards
        if c["title"].startswith(("refs title", "cdata title", "html title"))
    }
    assert links[hostile.hostile_feed] == DANGEROUS_LINKS["esc-refs"]
    assert links["esc-cdata"] == DANGEROUS_LINKS["esc-cdata"]
    # feedparser tidies "file:///etc/passwd" into "file://etc/passwd": a file: link still,
    # shown as text and never opened
    assert urlsplit(links["esc-html"]).scheme == "file" and links["esc-html"].endswith("/passwd")
    atom_links = {c["link"] for c in hostile.cards if c["feed"] == "atom-hostile"}
    assert atom_links == {"javascript:void(0)"}


def test_xml_bombs_expand_nothing_read_no_file_and_fetch_nothing(hostile):
    assert hostile.remote_requests == [], "a DTD or external entity was fetched"
    everything = hostile.list_plain.out + json.dumps(hostile.cards)
    assert SECRET not in everything and "REMOTE-FETCHED" not in everything
    store_text = b"".join(p.read_bytes() for p in hostile.reader.db.rglob("*.json"))
    assert SECRET.encode() not in store_text and b"lollollol" not in store_text
    assert b"AAAAAAAAAAAAAAAAAAAA" not in store_text  # the 1 MB entity, never expanded
    titles = {c["feed"]: c["title"] for c in hostile.cards}
    assert titles["billion-laughs"] == "laughs &lol9;"  # shown as the literal reference


def test_size_and_shape_cases(hostile):
    by_feed = {c["feed"]: c for c in hostile.cards}
    assert len(by_feed["title-1mb"]["title"]) <= parse_module.MAX_TITLE
    assert by_feed["wrong-charset"]["title"] == "Café naïve"
    assert by_feed["invalid-utf8"]["title"].startswith("Bad ")
    nested = next(c for c in hostile.cards if c["feed"] == "nested-divs")
    text = hostile.reader("show", nested["id"], "--json").json()["text"]
    assert "deep text survives" in text


def test_refresh_memory_stays_bounded(hostile):
    # 50 MB bodies, a gzip bomb, 1 MB entities: the largest process of the refresh
    # (children and their parse workers included) stays far below what they would cost
    assert hostile.peak_rss_mb < 700, hostile.peak_rss_mb


# --- parser-level details ----------------------------------------------------------------


def _parse_measured(body: bytes):
    tracemalloc.start()
    started = time.monotonic()
    try:
        try:
            result = parse_feed(body, "http://feed.example/")
        except ParseError as exc:
            result = exc
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, time.monotonic() - started, peak / 1e6


def test_billion_laughs_costs_nothing(tmp_path):
    lol = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    body = rss(
        raw_item(title="x &j;", guid="1", description="&j;"), prolog=f"<!DOCTYPE rss [{lol}]>"
    )
    parsed, elapsed, peak_mb = _parse_measured(body)
    assert not isinstance(parsed, Exception), parsed
    assert parsed.entries[0].title == "x &j;"
    assert elapsed < 2 and peak_mb < 20, (elapsed, peak_mb)


def test_billion_laughs_in_utf16_costs_nothing():
    lol = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    text = rss(raw_item(title="x &j;", guid="1"), prolog=f"<!DOCTYPE rss [{lol}]>").decode()
    body = text.replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")
    parsed, elapsed, peak_mb = _parse_measured(body)
    assert not isinstance(parsed, Exception), parsed
    assert parsed.entries[0].title == "x &j;"
    assert elapsed < 2 and peak_mb < 20, (elapsed, peak_mb)


def test_quadratic_blowup_is_not_expanded():
    big = "B" * 2_000_000
    body = rss(
        raw_item(title="q &big;", guid="1", description="&big;" * 500),
        prolog=f'<!DOCTYPE rss [<!ENTITY big "{big}">]>',
    )
    parsed, _elapsed, peak_mb = _parse_measured(body)
    assert not isinstance(parsed, Exception), parsed
    assert "BBBB" not in parsed.entries[0].text
    assert peak_mb < 80, peak_mb  # 1 GB if expanded


def test_external_entities_read_no_file_and_fetch_nothing(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    with FeedServer() as remote:
        body = rss(
            raw_item(title="a &xxe; &web;", guid="1", description="&xxe; &web;"),
            prolog=(
                f'<!DOCTYPE rss SYSTEM "{remote.base}/x.dtd" [<!ENTITY xxe SYSTEM "file://{secret}">'
                f'<!ENTITY web SYSTEM "{remote.base}/e"><!ENTITY % p SYSTEM "{remote.base}/p"> %p;]>'
            ),
        )
        parsed = parse_feed(body, "http://feed.example/")
        time.sleep(0.2)
        assert remote.requests == []
    entry = parsed.entries[0]
    assert SECRET not in entry.title + entry.text
    assert "&xxe;" in entry.title


def test_a_doctype_that_never_ends_is_not_a_hang():
    body = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + b"x" * 5_000_000
    parsed, elapsed, _peak = _parse_measured(body)
    assert isinstance(parsed, ParseError) and elapsed < 5


def test_leading_comments_are_linear_not_exponential():
    # _HTML_START backtracked through every way to group the comments: 2^n
    body = b"<!---->" * 60 + GOOD
    started = time.monotonic()
    parsed = parse_feed(body, "http://feed.example/")
    assert len(parsed.entries) == 5 and time.monotonic() - started < 2


def test_unclosed_tags_are_linear_not_quadratic():
    # text._TAG scanned to the end of the text from every unclosed tag: 10,000 took 50 s
    started = time.monotonic()
    assert html_to_text("<p>start</p>" + "<div " * 200_000) is not None
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "reference",
    ["&#xD800;", "&#55296;", "&#xDFFF;", "&#x110000;", "&#99999999999999999999;", "&#xD800"],
)
def test_a_character_reference_to_no_character_costs_nothing(reference):
    body = rss(
        raw_item(title=f"A {reference} B", guid="1", description=f"x {reference} y"),
        title=f"T {reference}",
    )
    parsed = parse_feed(body, "http://feed.example/")
    (entry,) = parsed.entries
    assert entry.title.startswith("A ") and entry.title.endswith("B")
    assert_inert(entry.title + entry.text + parsed.title)
    entry.title.encode("utf-8")  # no lone surrogate left: the store could not write it


def test_numbers_the_store_cannot_write_are_dropped():
    body = rss(
        '<item><title>E</title><guid>1</guid><enclosure url="http://x/a.mp3" type="audio/mpeg" '
        'length="999999999999999999999999999999"/></item>',
        extra="<ttl>" + "9" * 400 + "</ttl>",
    )
    parsed = parse_feed(body, "http://feed.example/")
    assert parsed.entries[0].enclosures[0].length is None
    assert parsed.ttl_minutes is None or parsed.ttl_minutes <= parse_module.MAX_TTL_MINUTES
    body = rss("<item><title>E</title><guid>1</guid></item>", extra="<ttl>99999999999</ttl>")
    assert parse_feed(body, "http://feed.example/").ttl_minutes == parse_module.MAX_TTL_MINUTES


def test_a_huge_title_is_cut_before_it_costs():
    body = rss(raw_item(title="&lt;b&gt;w&lt;/b&gt; " * 200_000, guid="1"))  # 4 MB of HTML
    started = time.monotonic()
    parsed = parse_feed(body, "http://feed.example/")
    assert len(parsed.entries[0].title) <= parse_module.MAX_TITLE
    assert time.monotonic() - started < 5


def _many_items(count: int, *, oldest_first: bool) -> bytes:
    base = time.time() - 400 * 86400  # old: nothing to cluster, the cap is what is tested
    order = range(count) if oldest_first else range(count - 1, -1, -1)
    items = "".join(
        f"<item><title>n{i}</title><guid>g{i}</guid>"
        f"<pubDate>{formatdate(base + i * 60, usegmt=True)}</pubDate></item>"
        for i in order
    )
    return rss(items)


def test_entries_past_the_cap_keep_the_newest_in_either_order():
    for oldest_first in (True, False):
        parsed = parse_feed(_many_items(5000, oldest_first=oldest_first), "http://f.example/")
        titles = {e.title for e in parsed.entries}
        assert titles == {f"n{i}" for i in range(5000 - MAX_ENTRIES, 5000)}
        assert "5,000 entries" in parsed.warning and f"newest {MAX_ENTRIES:,}" in parsed.warning


@pytest.mark.slow
def test_100k_items_finish_in_bounded_time_and_keep_the_newest(tmp_path):
    body = _many_items(100_000, oldest_first=True)
    with FeedServer() as server:
        url = server.route("/many.xml", Route(body=body, gzip=True))
        reader = Reader(tmp_path, feed_toml([{"url": url, "name": "many"}]))
        started = time.monotonic()
        run = reader("refresh")
        elapsed = time.monotonic() - started
    assert run.code == 0, run.out + run.err
    assert f"{MAX_ENTRIES} new" in run.out and "100,000 entries" in run.out
    assert elapsed < 60, elapsed
    cards = reader("list", "--json").json()
    assert len(cards) == MAX_ENTRIES
    assert {c["title"] for c in cards} == {f"n{i}" for i in range(99_000, 100_000)}


# --- the app's render functions ---------------------------------------------------------


def _hostile_article(**changes):
    from reader.models import Article, HalfLife, Importance

    fields = {
        "id": "abcdef012345",
        "feed": "feed " + HOSTILE_TEXT,
        "feed_url": "http://feed.example/",
        "source": "source " + HOSTILE_TEXT,
        "tier": 2,
        "title": "title " + HOSTILE_TEXT,
        "link": "javascript:alert(1)",
        "author": "author " + HOSTILE_TEXT,
        "collected": time.time() - 3600,
        "lang": "en",
        "halflife": HalfLife("short", 24.0, "news"),
        "importance": Importance(0.5, 3, "notable"),
        "summary": ("first " + HOSTILE_TEXT, "second [bold]B[/bold]"),
        "topic": "topic " + HOSTILE["textual_action"],
    }
    fields.update(changes)
    return Article(**fields)


def _render(renderable, *, styled: bool, width: int = 600) -> str:
    out = StringIO()
    if styled:
        console = Console(file=out, width=width, force_terminal=True, color_system="truecolor")
    else:
        console = Console(file=out, width=width, color_system=None, force_terminal=False)
    console.print(renderable)
    return out.getvalue()


@pytest.mark.parametrize("styled", [False, True], ids=["plain", "truecolor"])
def test_render_row_and_card_show_hostile_text_literally(styled):
    """Articles stored before the sanitiser existed (or edited by hand): the views clean
    them again, and never hand them to a markup parser."""
    from reader.app import render
    from reader.app.i18n import Labels
    from reader.card import card
    from reader.models import UserState

    article = _hostile_article()
    state = UserState(tags=("tag" + HOSTILE["osc8"], "[bold]t[/bold]"), read=False, starred=True)
    labels = Labels("en")
    now = time.time()
    line = render.row(
        article, state, now=now, width=600, freshness_label="fresh", labels=labels,
        story=(3, ["en", "ja"]),
    )  # fmt: skip
    data = card(article, state, now=now)
    shown = render.card(
        data, labels=labels, width=600, related_titles=[("ja", "rel " + HOSTILE_TEXT)]
    )
    for name, renderable in (("row", line), ("card", shown)):
        text = _render(renderable, styled=styled)
        if styled:
            assert_only_sgr(text, name)
        else:
            assert "\x1b" not in text
            assert_inert(text, name)
        assert "pwned-title" not in text and "cm0gLXJmIH4=" not in text
        for marker in ("[bold]B[/bold]", "[@click=app.quit]Q[/]"):
            assert marker in text, (name, marker)
    assert len(_render(line, styled=False).rstrip("\n").split("\n")) == 1


def test_render_row_keeps_one_line_whatever_the_width():
    from reader.app import render
    from reader.app.i18n import Labels
    from reader.models import UserState

    article = _hostile_article(title="x\u2028y\ny\r\nz\u0085w " + "界" * 300)
    for width in (20, 60, 100, 200):
        line = render.row(
            article,
            UserState(),
            now=time.time(),
            width=width,
            freshness_label=None,
            labels=Labels("en"),
        )
        assert_inert(line.plain, f"row at width {width}", allow_newlines=False)
        text = _render(line, styled=False, width=1000)
        assert len(text.rstrip("\n").split("\n")) == 1, (width, text)


def test_open_link_refuses_everything_but_http():
    from reader.app.i18n import Labels
    from reader.app.screens.main import open_link

    opened, notes = [], []
    app = SimpleNamespace(labels=Labels("en"), open_url=opened.append)
    screen = SimpleNamespace(app=app, notify=lambda message, **kw: notes.append((message, kw)))
    for link in [
        *DANGEROUS_LINKS.values(),
        "JavaScript:alert(1)",
        " javascript:x",
        "vbscript:x",
        "",
    ]:
        open_link(screen, SimpleNamespace(link=link))
    assert opened == []
    assert len(notes) == 7 and all(kw.get("severity") == "warning" for _m, kw in notes)
    for link in ("https://example.org/a", "http://example.org/b"):
        open_link(screen, SimpleNamespace(link=link))
    assert opened == ["https://example.org/a", "http://example.org/b"]


def test_refresh_failure_toasts_show_feed_names_literally():
    from textual.content import Content

    from reader.app.i18n import Labels
    from reader.app.screens.main import MainScreen
    from reader.refresh import FeedOutcome, RefreshReport

    name = "Evil [@click=app.quit]feed[/] [bold]B[/bold]"
    error = "HTTP 500 [link=file:///etc/passwd]x[/link]"
    report = RefreshReport(outcomes=[FeedOutcome(key="k", name=name, status="error", error=error)])
    notes = []
    screen = SimpleNamespace(
        labels=Labels("en"),
        app=SimpleNamespace(clock=time.time),
        notify=lambda message, **kw: notes.append((message, kw)),
        update_status=lambda: None,
        _reload_in_thread=lambda: None,
    )
    MainScreen._refresh_finished(screen, report)
    assert notes
    for message, kw in notes:
        shown = Content.from_markup(message) if kw.get("markup", True) else Content(message)
        assert shown.plain == clean_inline(f"{name}: {error}")
        assert not any(
            getattr(span.style, "meta", None) or "@click" in str(span.style) for span in shown.spans
        )
