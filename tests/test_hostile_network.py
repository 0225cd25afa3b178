"""Network faults through `reader refresh`, all in one run: each costs its feed one line.

Refused, DNS failure (``.invalid``: answered locally), a port that accepts and never
answers, a server that reads the request and never answers, a byte a second, redirect
loops and chains, redirects to file:/javascript:, 429/503 with Retry-After (absurd ones
too), 5xx with a hostile reason phrase, a self-signed certificate, a TLS port that never
shakes hands. Every other feed is stored, within about one timeout, and the next
refresh honours Retry-After.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime
from email.utils import formatdate

import pytest

from reader.fetch import MAX_RETRY_AFTER, Fetcher, FetchRequest
from tests.clitools import Reader, feed_toml
from tests.feedserver import FeedServer, Route
from tests.hostile import assert_inert, closed_port, rss, rss_item, silent_port, tls_server

TIMEOUT = 2.0
GOOD = [
    rss(
        [
            rss_item(title=f"Story {n}.{i}", guid=f"{n}-{i}", link=f"http://good.example/{n}/{i}")
            for i in range(4)
        ],
        title=f"Good {n}",
    )
    for n in range(3)
]
HOSTILE_REASON = "Bad [link=file:///etc/passwd]x[/link] [@click=app.quit]q[/] \x9b31m"

# feed name -> what its error line must say
EXPECTED = {
    "refused": "connection refused",
    "dns": "DNS",
    "silent": f"timed out after {TIMEOUT:g} s",
    "hang": f"timed out after {TIMEOUT:g} s",
    "trickle": f"timed out after {TIMEOUT:g} s",
    "loop": "redirect loop",
    "chain": "more than 10 redirects",
    "to-file": "refused redirect to a file: URL",
    "to-js": "refused redirect to a javascript: URL",
    "busy": "HTTP 429",
    "unavailable": "HTTP 503",
    "absurd": "HTTP 429",
    "e500": "HTTP 500",
    "e502": "HTTP 502",
    "tls": "TLS error",
    "tls-silent": f"timed out after {TIMEOUT:g} s",
}


def _iso(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


@pytest.fixture
def faulty(tmp_path):
    with (
        FeedServer() as server,
        silent_port() as silent,
        tls_server(tmp_path) as (tls, tls_base),
    ):
        feeds = []
        for n, body in enumerate(GOOD):
            feeds.append(
                {"url": server.route(f"/good{n}.xml", Route(body=body)), "name": f"good{n}"}
            )
        tls.route("/feed.xml", Route(body=GOOD[0]))
        urls = {
            "refused": f"http://127.0.0.1:{closed_port()}/feed.xml",
            "dns": "http://no-such-host.invalid/feed.xml",
            "silent": f"http://127.0.0.1:{silent}/feed.xml",
            "hang": server.route("/hang.xml", Route(hang=True)),
            "trickle": server.route("/trickle.xml", Route(body=GOOD[0], trickle=1.0)),
            "loop": server.route("/loop-a", Route(status=302, location="/loop-b")),
            "chain": server.route("/hop0", Route(status=301, location="/hop1")),
            "to-file": server.route("/to-file", Route(status=302, location="file:///etc/passwd")),
            "to-js": server.route("/to-js", Route(status=301, location="javascript:alert(1)")),
            "busy": server.route("/busy", Route(status=429, headers={"Retry-After": "7200"})),
            "unavailable": server.route(
                "/unavailable",
                Route(
                    status=503, headers={"Retry-After": formatdate(time.time() + 5400, usegmt=True)}
                ),
            ),
            "absurd": server.route(
                "/absurd", Route(status=429, headers={"Retry-After": "9" * 400})
            ),
            "e500": server.route("/e500", Route(status=500, body=b"oops", reason=HOSTILE_REASON)),
            "e502": server.route("/e502", Route(status=502, body=b"<html>bad gateway</html>")),
            "tls": f"{tls_base}/feed.xml",
            "tls-silent": f"https://127.0.0.1:{silent}/feed.xml",
        }
        server.route("/loop-b", Route(status=302, location="/loop-a"))
        for hop in range(1, 12):
            server.route(f"/hop{hop}", Route(status=301, location=f"/hop{hop + 1}"))
        server.route("/hop12", Route(body=GOOD[0]))
        feeds += [{"url": url, "name": name} for name, url in urls.items()]
        config = feed_toml(
            feeds,
            fetch={"timeout": TIMEOUT, "concurrency": 32, "per_host": 32, "interval": 30},
        )
        yield Reader(tmp_path, config), server, tls


def test_network_faults_cost_one_line_each_and_retry_after_is_honoured(faulty):
    reader, server, tls = faulty
    started = time.time()
    run = reader("refresh")
    elapsed = time.time() - started
    assert run.code == 1, run.out + run.err
    assert "Traceback" not in run.out + run.err and run.err == ""
    assert_inert(run.out, "refresh output")
    lines = run.out.strip().splitlines()
    for name, expected in EXPECTED.items():
        mine = [line for line in lines if re.match(rf"error +{re.escape(name)}: ", line)]
        assert len(mine) == 1, (name, run.out)
        assert expected in mine[0], (name, mine[0])
    for n in range(3):
        assert any(re.fullmatch(rf"ok +good{n}: 4 new", line) for line in lines), run.out
    assert lines[-1].startswith(f"3 feeds ok, {len(EXPECTED)} failed, 12 new articles")
    # a hostile reason phrase is shown as text: no C1 control, markup as typed
    e500 = next(line for line in lines if re.match(r"error +e500: ", line))
    assert "[link=file:///etc/passwd]x[/link] [@click=app.quit]q[/]" in e500
    # every slow feed costs its own timeout, in parallel: not the sum of them
    assert elapsed < TIMEOUT + 12, elapsed
    assert server.count("/trickle.xml") == 1 and server.count("/hop10") == 1
    assert server.count("/hop11") == 0  # the 11th redirect is not followed

    cards = reader("list", "--json").json()
    assert sorted(c["feed"] for c in cards) == sorted(
        f"good{n}" for n in range(3) for _ in range(4)
    )

    listing = reader("feeds")
    assert listing.code == 0 and "Traceback" not in listing.err
    assert_inert(listing.out, "reader feeds")
    for name, expected in EXPECTED.items():
        rows = [line for line in listing.out.splitlines() if line.startswith(f"{name} ")]
        assert len(rows) == 1 and "ERROR (1x)" in rows[0] and expected in rows[0], (name, rows)
    records = {row["name"]: row for row in reader("feeds", "--json").json()}
    assert "retry after 7200 s" in records["busy"]["last_error"]
    assert _iso(records["busy"]["next_due"]) >= started + 7200 - 2
    assert _iso(records["unavailable"]["next_due"]) >= started + 5400 - 5
    # "Retry-After: 999...9" is read as at most a week, and at most max_backoff (a day)
    assert f"retry after {MAX_RETRY_AFTER:.0f} s" in records["absurd"]["last_error"]
    assert _iso(records["absurd"]["next_due"]) <= time.time() + 1440 * 60 * 1.2 + 60
    for name in EXPECTED:
        assert "\n" not in records[name]["last_error"]

    # the next refresh leaves them alone until Retry-After has passed (and the others
    # until their interval or backoff has)
    before = {path: server.count(path) for path in ("/busy", "/unavailable", "/absurd")}
    again = reader("refresh")
    assert again.code == 0, again.out + again.err
    assert "0 feeds ok, 0 failed" in again.out and f"{len(EXPECTED) + 3} not due" in again.out
    assert {path: server.count(path) for path in before} == before
    # nothing followed the file: redirect; the TLS server never completed a request
    assert tls.requests == []


def test_feeds_queued_behind_a_hanging_host_still_get_their_own_deadline():
    """per_host=1: the good feeds wait for the hanging one's slot, then are asked.

    Before, the deadline started before the slot was free: they failed with
    "timed out" without ever being requested.
    """
    with FeedServer() as server:
        hang = server.route("/hang", Route(hang=True))
        good = [server.route(f"/g{i}", Route(body=GOOD[0])) for i in range(2)]

        async def run():
            async with Fetcher(timeout=1.0, concurrency=4, per_host=1) as fetcher:
                requests = [FetchRequest(key=u, url=u) for u in [hang, *good]]
                return {r.key: r async for r in fetcher.fetch_all(requests)}

        results = asyncio.run(run())
    assert "timed out" in results[hang].error
    for url in good:
        assert results[url].ok, results[url].error
    assert server.count("/g0") == 1 and server.count("/g1") == 1


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        (
            "javascript:\x9b2J" + "x" * 5000 + "[@click=app.quit]",
            "refused redirect to a javascript: URL",
        ),
        ("data:text/html,<script>alert(1)</script>", "refused redirect to a data: URL"),
        ("http://[::1", "Invalid IPv6 URL"),
        ("http://exa mple.invalid/\x85feed", ""),
    ],
)
def test_a_hostile_location_header_is_one_clean_line(location, expected):
    with FeedServer() as server:
        url = server.route("/r", Route(status=302, location=location))

        async def run():
            async with Fetcher(timeout=2.0) as fetcher:
                return await fetcher.fetch(FetchRequest(key=url, url=url))

        result = asyncio.run(run())
    assert not result.ok and expected in result.error, result.error
    assert_inert(result.error, "error", allow_newlines=False)
    assert len(result.error) <= 300
