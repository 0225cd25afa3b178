"""fetch.py against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import os
import socket
import threading
import time
import zlib

import pytest

from reader.errors import ConfigError
from reader.fetch import USER_AGENT, Fetcher, FetchRequest, _parse_max_age, _parse_retry_after
from tests.feedserver import FeedServer, Route

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><link>http://x/</link>
<item><title>One</title><link>http://x/1</link><guid>1</guid></item>
</channel></rss>"""


def fetch_one(request: FetchRequest, **options):
    async def run():
        async with Fetcher(**options) as fetcher:
            return await fetcher.fetch(request)

    return asyncio.run(run())


@pytest.fixture
def server():
    with FeedServer() as srv:
        yield srv


def test_200_returns_body_validators_and_honest_user_agent(server):
    url = server.route(
        "/feed", Route(body=RSS, etag=True, last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    )
    result = fetch_one(FetchRequest(key=url, url=url))
    assert result.ok and result.status == 200
    assert result.body == RSS
    assert result.etag and result.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    seen = server.requests[-1]
    assert seen.headers["user-agent"] == USER_AGENT
    assert "halflife" in USER_AGENT
    assert "gzip" in seen.headers["accept-encoding"]


def test_conditional_get_gets_304_without_body(server):
    url = server.route("/feed", Route(body=RSS, etag=True))
    first = fetch_one(FetchRequest(key=url, url=url))
    second = fetch_one(FetchRequest(key=url, url=url, etag=first.etag))
    assert second.not_modified and second.status == 304 and second.body is None
    assert server.requests[-1].headers["if-none-match"] == first.etag
    assert second.etag == first.etag


def test_last_modified_conditional_get(server):
    stamp = "Tue, 02 Jan 2024 10:00:00 GMT"
    url = server.route("/feed", Route(body=RSS, last_modified=stamp))
    result = fetch_one(FetchRequest(key=url, url=url, last_modified=stamp))
    assert result.not_modified
    assert server.requests[-1].headers["if-modified-since"] == stamp


def test_gzip_is_decoded(server):
    url = server.route("/feed", Route(body=RSS * 3, gzip=True))
    result = fetch_one(FetchRequest(key=url, url=url))
    assert result.ok and result.body == RSS * 3


def test_gzip_bomb_is_cut_off_at_the_cap(server):
    bomb = gzip.compress(b"\0" * 50_000_000)  # ~50 kB on the wire
    url = server.route("/feed", Route(raw_gzip=bomb))
    result = fetch_one(FetchRequest(key=url, url=url), max_bytes=1_000_000)
    assert not result.ok
    assert "larger than" in result.error and "1,000,000" in result.error


def test_raw_deflate_and_zlib_deflate_are_both_read(server):
    for name, compressor in (
        ("zlib", zlib.compressobj()),
        ("raw", zlib.compressobj(wbits=-zlib.MAX_WBITS)),
    ):
        body = compressor.compress(RSS) + compressor.flush()
        url = server.route(f"/{name}", Route(body=body, headers={"Content-Encoding": "deflate"}))
        result = fetch_one(FetchRequest(key=url, url=url))
        assert result.ok and result.body == RSS, name


def test_oversized_plain_response_is_refused(server):
    url = server.route("/big", Route(body=b"x" * 3_000_000))
    result = fetch_one(FetchRequest(key=url, url=url), max_bytes=1_000_000)
    assert not result.ok and "limit" in result.error


def test_permanent_redirect_is_reported_temporary_is_not(server):
    target = server.route("/new", Route(body=RSS))
    moved = server.route("/moved", Route(status=301, location="/new"))
    temp = server.route("/temp", Route(status=302, location=target))
    chain = server.route("/chain", Route(status=308, location="/temp"))
    result = fetch_one(FetchRequest(key=moved, url=moved))
    assert result.ok and result.url == target and result.permanent_url == target
    result = fetch_one(FetchRequest(key=temp, url=temp))
    assert result.ok and result.url == target and result.permanent_url is None
    result = fetch_one(FetchRequest(key=chain, url=chain))  # permanent then temporary
    assert result.ok and result.permanent_url is None


def test_redirect_to_file_url_is_refused(server):
    url = server.route("/evil", Route(status=302, location="file:///etc/passwd"))
    result = fetch_one(FetchRequest(key=url, url=url))
    assert not result.ok and "refused redirect" in result.error and result.body is None


def test_redirect_loop_is_an_error(server):
    a = server.route("/a", Route(status=302, location="/b"))
    server.route("/b", Route(status=302, location="/a"))
    result = fetch_one(FetchRequest(key=a, url=a))
    assert not result.ok and "loop" in result.error


@pytest.mark.parametrize("status", [404, 500, 410])
def test_http_errors_are_one_readable_line(server, status):
    url = server.route("/x", Route(status=status, body=b"oops"))
    result = fetch_one(FetchRequest(key=url, url=url))
    assert not result.ok and result.error.startswith(f"HTTP {status}")
    assert "\n" not in result.error


def test_429_retry_after_is_returned(server):
    url = server.route("/busy", Route(status=429, headers={"Retry-After": "120"}))
    result = fetch_one(FetchRequest(key=url, url=url))
    assert not result.ok and result.retry_after == 120
    assert "retry after 120 s" in result.error


def test_cache_control_max_age_is_returned(server):
    url = server.route("/c", Route(body=RSS, headers={"Cache-Control": "public, max-age=3600"}))
    assert fetch_one(FetchRequest(key=url, url=url)).max_age == 3600


def test_slow_server_times_out_within_the_deadline(server):
    url = server.route("/slow", Route(body=RSS, delay=5))
    started = time.monotonic()
    result = fetch_one(FetchRequest(key=url, url=url), timeout=0.5)
    assert not result.ok and "timed out after 0.5 s" in result.error
    assert time.monotonic() - started < 2.5


def test_trickling_server_is_cut_at_the_deadline(server):
    url = server.route("/trickle", Route(body=RSS, trickle=0.2))
    started = time.monotonic()
    result = fetch_one(FetchRequest(key=url, url=url), timeout=1.0)
    assert not result.ok and "timed out" in result.error
    assert time.monotonic() - started < 3


def test_connection_refused_is_one_line():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed"
    result = fetch_one(FetchRequest(key=url, url=url), timeout=3)
    assert not result.ok and result.error == "connection refused"


def test_dns_failure_is_one_line():
    url = "http://no-such-host.invalid/feed"
    result = fetch_one(FetchRequest(key=url, url=url), timeout=5)
    assert not result.ok and "DNS" in result.error


def test_one_slow_feed_does_not_hold_up_the_others(server):
    slow = server.route("/slow", Route(body=RSS, hang=True))
    fast = [server.route(f"/f{i}", Route(body=RSS)) for i in range(10)]

    async def run():
        done = {}
        started = time.monotonic()
        async with Fetcher(timeout=1.5, concurrency=8, per_host=8) as fetcher:
            requests = [FetchRequest(key=u, url=u) for u in [slow, *fast]]
            async for result in fetcher.fetch_all(requests):
                done[result.key] = (result, time.monotonic() - started)
        return done

    done = asyncio.run(run())
    assert all(done[u][0].ok for u in fast)
    assert max(done[u][1] for u in fast) < 1.0
    assert not done[slow][0].ok


def test_per_host_limit_is_respected(server):
    urls = [server.route(f"/p{i}", Route(body=RSS, delay=0.2)) for i in range(8)]

    async def run():
        started = time.monotonic()
        async with Fetcher(concurrency=16, per_host=2) as fetcher:
            results = [r async for r in fetcher.fetch_all(FetchRequest(key=u, url=u) for u in urls)]
        return results, time.monotonic() - started

    results, elapsed = asyncio.run(run())
    assert all(r.ok for r in results)
    assert elapsed >= 0.75  # 8 requests, 2 at a time, 0.2 s each: at least 4 rounds


def test_connections_are_reused_per_host_and_closed_when_the_host_is_done(server):
    other = FeedServer(host="127.0.0.2").__enter__()  # a second host, a second pool
    try:
        urls = [server.route(f"/r{i}", Route(body=RSS)) for i in range(12)]
        urls += [other.route(f"/o{i}", Route(body=RSS)) for i in range(4)]

        def open_sockets() -> set[str]:
            found = set()
            for fd in os.listdir("/proc/self/fd"):
                with contextlib.suppress(OSError):  # the listing's own descriptor
                    target = os.readlink(f"/proc/self/fd/{fd}")
                    if target.startswith("socket:"):
                        found.add(target)
            return found

        async def run():
            async with Fetcher(concurrency=8, per_host=2) as fetcher:
                before = open_sockets()
                requests = [FetchRequest(key=u, url=u) for u in urls]
                results = [r async for r in fetcher.fetch_all(requests)]
                await asyncio.sleep(0.05)  # asyncio closes a socket on its next iteration
                # no idle connection is kept open once its host has nothing left to fetch:
                # a refresh of many feeds on many hosts must not hold a socket per host
                return results, open_sockets() - before

        results, left_open = asyncio.run(run())
    finally:
        other.__exit__(None, None, None)
    assert all(r.ok for r in results)
    assert not left_open  # sockets opened by the fetch and still open
    connections = {seen.client for seen in server.requests}
    assert 1 <= len(connections) <= 2  # 12 requests, at most per_host connections


def test_a_redirect_target_keeps_its_connections_for_the_next_feeds(server):
    # http -> https, or a feed host -> a CDN: the target is no origin fetch_all planned,
    # yet the feeds after the first one redirected there reuse its connections
    target = FeedServer(host="127.0.0.2").__enter__()
    try:
        urls = []
        for i in range(8):
            moved = target.route(f"/t{i}", Route(body=RSS))
            urls.append(server.route(f"/r{i}", Route(status=301, location=moved)))

        async def run():
            async with Fetcher(concurrency=2, per_host=2) as fetcher:
                requests = [FetchRequest(key=u, url=u) for u in urls]
                return [r async for r in fetcher.fetch_all(requests)]

        results = asyncio.run(run())
    finally:
        target.__exit__(None, None, None)
    assert all(r.ok for r in results)
    assert len({seen.client for seen in target.requests}) <= 2


def test_a_cookie_set_on_one_host_is_sent_after_a_redirect_to_another():
    # a consent or anti-bot check: the feed's host moved it to another host, which sets a
    # cookie and redirects to itself to see it (every origin's client shares one jar)
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            if self.server is first:
                self.reply(301, {"Location": f"http://127.0.0.2:{second.server_port}/feed"})
            elif "c=1" in (self.headers.get("Cookie") or ""):
                self.reply(200, {"Content-Type": "application/rss+xml"}, RSS)
            elif self.path == "/feed":
                self.reply(302, {"Location": "/feed?checked", "Set-Cookie": "c=1; Path=/"})
            else:
                self.reply(403, {})

        def reply(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    first = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    second = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
    for httpd in (first, second):
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{first.server_port}/feed"
        result = fetch_one(FetchRequest(key=url, url=url))
    finally:
        for httpd in (first, second):
            httpd.shutdown()
            httpd.server_close()
    assert result.ok and result.body == RSS


def test_a_proxy_setting_httpx_refuses_stops_before_any_fetch(server, monkeypatch):
    url = server.route("/f", Route(body=RSS))
    monkeypatch.setenv("ALL_PROXY", "foo://proxy.example")
    monkeypatch.setenv("NO_PROXY", "")
    with pytest.raises(ConfigError, match="proxy settings from the environment"):
        fetch_one(FetchRequest(key=url, url=url))
    assert server.count("/f") == 0  # not one feed marked as failed for a local setting


def test_file_url_reads_the_file(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_bytes(RSS)
    result = fetch_one(FetchRequest(key="file:feed.xml", url="file:feed.xml", file_path=path))
    assert result.ok and result.body == RSS
    missing = fetch_one(FetchRequest(key="x", url="x", file_path=tmp_path / "nope.xml"))
    assert not missing.ok and "no such file" in missing.error


def test_header_parsers():
    assert _parse_max_age("max-age=60") == 60
    assert _parse_max_age("no-cache, max-age=60") is None
    assert _parse_max_age(None) is None
    assert _parse_retry_after("30", 0) == 30
    now = time.time()
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now + 100))
    assert 90 <= _parse_retry_after(date, now) <= 101
    assert _parse_retry_after("soon", now) is None
