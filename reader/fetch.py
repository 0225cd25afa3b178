"""HTTP(S) and file: fetching of feeds: bytes + headers, politely, never more than asked.

- async and bounded: a global limit and a per-host limit on requests in flight;
- one deadline per request covering connect, headers and the whole body (a server that
  trickles a byte a second is cut off at the deadline, not at a per-read timeout); it
  starts when the request gets its place under the limits, so feeds queued behind a
  hanging server are still asked, each with its own full deadline;
- a cap on the body *after* decompression: gzip/deflate are decoded here, chunk by chunk,
  with ``max_length``, so a gzip bomb never inflates past the cap;
- redirects followed by hand: at most 10, only to http(s), a run of permanent ones
  (301/308) reported so the store can update the feed's URL;
- conditional GET (ETag / Last-Modified) and the server's hints (Retry-After,
  Cache-Control max-age) returned to the caller, who decides when to come back;
  a Retry-After beyond a week is read as a week;
- every error is one line of clean text, whatever the server put in its headers.

No parsing, no store: ``FetchRequest`` in, ``FetchResult`` out.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import hashlib
import re
import time
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from reader import __version__
from reader.errors import ConfigError
from reader.text import clean_inline

USER_AGENT = f"halflife/{__version__} (terminal news reader; polite: ETag, Retry-After, ttl)"
MAX_REDIRECTS = 10
MAX_RETRY_AFTER = 7 * 86400.0  # seconds; "Retry-After: 99999999999" is not a plan
MAX_ERROR = 300  # characters of an error line
_PERMANENT = (301, 308)
_REDIRECT = (301, 302, 303, 307, 308)
_LOCATION = "x-halflife-location"  # where the Location header is kept away from httpx


async def _hide_location(response) -> None:
    """httpx prepares the next request of a redirect even when told not to follow it,
    and raises on a Location it cannot parse (``javascript:alert(1)``): redirects are
    followed here, by hand, so httpx never sees the header."""
    location = response.headers.get("location")
    if location is not None:
        del response.headers["location"]
        response.headers[_LOCATION] = location


@dataclass(frozen=True, slots=True)
class FetchRequest:
    key: str  # the feed's identity (its configured URL)
    url: str  # where to fetch it now
    etag: str | None = None
    last_modified: str | None = None
    file_path: Path | None = None  # for file: URLs, the resolved path


@dataclass(frozen=True, slots=True)
class FetchResult:
    key: str
    url: str  # the final URL after redirects
    status: int = 0  # HTTP status (200 for a file read), 0 when no response
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    not_modified: bool = False
    permanent_url: str | None = None  # set when only permanent redirects led to `url`
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None  # one readable line
    retry_after: float | None = None  # seconds, from Retry-After on 429/503
    max_age: float | None = None  # seconds, from Cache-Control
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def body_hash(self) -> str | None:
        if self.body is None:
            return None
        return hashlib.blake2b(self.body, digest_size=16).hexdigest()


class _TooLarge(Exception):
    pass


class _Refused(Exception):
    pass


def _parse_retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    try:
        seconds = when.timestamp() - now
    except (OverflowError, ValueError):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def _parse_max_age(value: str | None) -> float | None:
    if not value:
        return None
    if "no-store" in value.lower() or "no-cache" in value.lower():
        return None
    match = _MAX_AGE.search(value)
    return float(match.group(1)) if match else None


class _Decoder:
    """Content-Encoding decoding with a hard cap on the decoded size."""

    def __init__(self, encoding: str, limit: int) -> None:
        encoding = encoding.strip().lower()
        self.limit = limit
        self.size = 0
        self.parts: list[bytes] = []
        if encoding in ("gzip", "x-gzip"):
            self.zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self.zlib = zlib.decompressobj()  # zlib-wrapped; raw deflate is detected below
        elif encoding in ("", "identity"):
            self.zlib = None
        else:
            raise _Refused(f"server used unsupported Content-Encoding {encoding!r}")
        self._deflate_pending = encoding == "deflate"

    def _keep(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise _TooLarge()
        self.parts.append(data)

    def feed(self, chunk: bytes) -> None:
        if self.zlib is None:
            self._keep(chunk)
            return
        if self._deflate_pending:
            self._deflate_pending = False
            if chunk and (chunk[0] & 0x0F) != 8:  # not a zlib header: raw deflate
                self.zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        data = chunk
        while data:
            out = self.zlib.decompress(data, self.limit - self.size + 1)
            self._keep(out)
            data = self.zlib.unconsumed_tail

    def finish(self) -> bytes:
        if self.zlib is not None:
            with contextlib.suppress(zlib.error):
                self._keep(self.zlib.flush())
        return b"".join(self.parts)


def _import_httpx():
    """httpx, without its command-line client.

    ``import httpx`` also imports ``httpx._main`` (its CLI: rich, pygments), ~60 ms of
    an all-304 refresh's ~0.75 s. A None entry in sys.modules makes that optional
    import fail, and httpx then does what it does when installed without ``[cli]``.
    """
    import sys

    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)
    import httpx

    return httpx


def _describe(exc: BaseException, timeout: float) -> str:
    """One readable line for a transport failure."""
    import ssl

    import httpx

    text = str(exc).strip()
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return f"timed out after {timeout:g} s"
    chain = [exc]
    cause = exc.__cause__ or exc.__context__
    while cause is not None and len(chain) < 6:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    for item in chain:
        if isinstance(item, ssl.SSLCertVerificationError):
            return f"TLS error: {item.verify_message or 'certificate verify failed'}"
        if isinstance(item, ssl.SSLError):
            return f"TLS error: {item.reason or item}"
    lowered = " ".join(str(c) for c in chain).lower()
    if "certificate" in lowered or "ssl" in lowered or "tls" in lowered:
        return f"TLS error: {text or type(exc).__name__}"
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return "cannot resolve host name (DNS)"
    if "temporary failure in name resolution" in lowered or "no address associated" in lowered:
        return "cannot resolve host name (DNS)"
    if "connection refused" in lowered or "errno 111" in lowered:
        return "connection refused"
    if "reset by peer" in lowered:
        return "connection reset by the server"
    if isinstance(exc, httpx.InvalidURL):  # a redirect to a URL httpx cannot request
        return f"invalid URL: {text or 'unparsable'}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"server broke the HTTP protocol: {text or 'disconnected'}"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {text or 'failed'}"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


_Origin = tuple[str, str, int | None]


def _origin(url: str) -> _Origin:
    """(scheme, host, port): what a connection can be reused for."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # a port httpx will refuse: the request fails there
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


@dataclass(slots=True)
class _OriginClient:
    client: Any  # httpx.AsyncClient, imported late
    users: int = 0  # hops in flight


class Fetcher:
    """Fetch many feeds at once within global and per-host limits.

    Use as ``async with Fetcher(...) as f: async for result in f.fetch_all(requests)``.
    """

    def __init__(
        self,
        *,
        concurrency: int = 16,
        per_host: int = 4,
        timeout: float = 20.0,
        max_bytes: int = 20_000_000,
        user_agent: str = USER_AGENT,
        verify: bool | str = True,
    ) -> None:
        self.concurrency = concurrency
        self.per_host = per_host
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.user_agent = user_agent
        self.verify = verify
        self._global = asyncio.Semaphore(concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._client_settings: dict | None = None  # while in the context
        self._clients: dict[_Origin, _OriginClient] = {}
        self._planned: Counter[_Origin] = Counter()  # fetch_all's requests left, by origin
        self._idle: dict[_Origin, None] = {}  # unplanned origins' idle clients, oldest first

    async def __aenter__(self) -> Fetcher:
        import ssl
        from http.cookiejar import CookieJar

        httpx = _import_httpx()

        verify = self.verify
        if verify is True:
            # the system CA store (honours SSL_CERT_FILE/SSL_CERT_DIR): half the start-up
            # cost of httpx's default context, which matters for a quick all-304 pass
            verify = ssl.create_default_context()
        settings = {
            "http2": False,
            "follow_redirects": False,
            "timeout": httpx.Timeout(self.timeout),
            "limits": httpx.Limits(
                max_connections=self.per_host, max_keepalive_connections=self.per_host
            ),
            "headers": {"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
            "event_hooks": {"response": [_hide_location]},
            "verify": verify,
            "trust_env": True,
            # one jar for every origin's client: a site that sets a cookie and redirects
            # to check it (a consent page, another host) finds it, as with one client
            "cookies": CookieJar(),
        }
        # a client is built here once, so that a setting it refuses (a proxy scheme from
        # the environment that httpx does not know) stops the refresh before any feed
        # is fetched, instead of failing every feed and delaying each one's next try
        try:
            await httpx.AsyncClient(**settings).aclose()
        except (ValueError, ImportError) as exc:  # ImportError: socks5:// without socksio
            raise ConfigError(f"proxy settings from the environment (*_PROXY): {exc}") from None
        self._client_settings = settings
        return self

    async def __aexit__(self, *exc_info) -> None:
        self._client_settings = None
        clients, self._clients = self._clients, {}
        self._idle.clear()
        for held in clients.values():
            await held.client.aclose()

    # One httpx client (one connection pool) per origin, not one for all: httpcore's pool
    # scans its connections, and for each idle one all of them again, whenever a request
    # starts or ends. With the 32 connections of a refresh that bookkeeping was a quarter
    # of the fetch's CPU (0.1 of 0.37 s for the 184 feeds of the corpus on 16 hosts).
    # A pool holds at most per_host connections. Idle pools are closed so that a refresh
    # of a thousand feeds on a thousand hosts does not keep a thousand sockets open: an
    # origin of fetch_all's requests once none of them is left; another one (reached by
    # redirects: http -> https, a CDN; or by fetch()) is kept idle for the next request
    # that gets there, up to `concurrency` of them, the least recently used closed first.

    def _client_for(self, origin: _Origin):
        settings = self._client_settings
        if settings is None:
            raise RuntimeError("use Fetcher as an async context manager")
        held = self._clients.get(origin)
        if held is None:
            held = self._clients[origin] = _OriginClient(_import_httpx().AsyncClient(**settings))
        held.users += 1
        self._idle.pop(origin, None)
        return held.client

    def _release(self, origin: _Origin, *, finished: bool = False) -> list:
        """A hop to ``origin`` is done (``finished``: a request fetch_all planned for it
        is over). Returns the clients to close (the caller awaits it, its limits freed)."""
        held = self._clients.get(origin)
        if finished:
            if self._planned[origin] > 0:
                self._planned[origin] -= 1
        elif held is not None:
            held.users -= 1
        if held is None or held.users > 0:
            return []
        closing: list = []
        if origin in self._planned:
            if self._planned[origin] <= 0:
                closing.append(self._clients.pop(origin).client)
        else:
            self._idle[origin] = None
            while len(self._idle) > self.concurrency:
                oldest = next(iter(self._idle))
                del self._idle[oldest]
                closing.append(self._clients.pop(oldest).client)
        return closing

    def _host_limit(self, host: str) -> asyncio.Semaphore:
        if host not in self._hosts:
            self._hosts[host] = asyncio.Semaphore(self.per_host)
        return self._hosts[host]

    async def fetch_all(
        self,
        requests: Iterable[FetchRequest],
        on_start: Callable[[FetchRequest], None] | None = None,
    ) -> AsyncIterator[FetchResult]:
        """Results in the order they finish; one per request, failures included."""
        requests = list(requests)
        self._planned.update(_origin(req.url) for req in requests if req.file_path is None)
        tasks = [asyncio.ensure_future(self.fetch(req)) for req in requests]
        try:
            for next_done in asyncio.as_completed(tasks):
                yield await next_done
        finally:
            for task in tasks:
                task.cancel()

    async def fetch(self, request: FetchRequest) -> FetchResult:
        started = time.monotonic()
        if request.file_path is not None:
            result = await asyncio.to_thread(self._read_file, request)
        else:
            try:
                result = await self._get(request)
            except TimeoutError:
                result = FetchResult(
                    key=request.key,
                    url=request.url,
                    error=f"timed out after {self.timeout:g} s",
                )
            except _TooLarge:
                result = FetchResult(
                    key=request.key,
                    url=request.url,
                    error=f"response larger than the {self.max_bytes:,} byte limit, cut off",
                )
            except _Refused as exc:
                result = FetchResult(key=request.key, url=request.url, error=str(exc))
            except Exception as exc:  # every transport failure becomes one line
                result = FetchResult(
                    key=request.key, url=request.url, error=_describe(exc, self.timeout)
                )
        if result.error is not None:
            result = replace(result, error=clean_inline(result.error, max_length=MAX_ERROR))
        return _with_elapsed(result, time.monotonic() - started)

    def _read_file(self, request: FetchRequest) -> FetchResult:
        path = request.file_path
        assert path is not None
        try:
            with path.open("rb") as handle:
                body = handle.read(self.max_bytes + 1)
        except FileNotFoundError:
            return FetchResult(key=request.key, url=request.url, error=f"no such file: {path}")
        except IsADirectoryError:
            return FetchResult(key=request.key, url=request.url, error=f"is a directory: {path}")
        except OSError as exc:
            return FetchResult(
                key=request.key, url=request.url, error=f"cannot read {path}: {exc.strerror}"
            )
        if len(body) > self.max_bytes:
            return FetchResult(
                key=request.key,
                url=request.url,
                error=f"file larger than the {self.max_bytes:,} byte limit: {path}",
            )
        return FetchResult(key=request.key, url=request.url, status=200, body=body)

    async def _get(self, request: FetchRequest) -> FetchResult:
        try:
            return await self._follow(request)
        finally:
            for client in self._release(_origin(request.url), finished=True):
                await client.aclose()

    async def _follow(self, request: FetchRequest) -> FetchResult:
        url = request.url
        permanent = True
        seen: set[str] = set()
        loop = asyncio.get_running_loop()
        deadline: float | None = None  # set when the first hop gets its place
        headers = {}
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        for _hop in range(MAX_REDIRECTS + 1):
            origin = scheme, host, _port = _origin(url)
            if scheme not in ("http", "https"):
                raise _Refused(f"refused redirect to a {scheme or 'relative'}: URL ({url})")
            if url in seen:
                raise _Refused(f"redirect loop at {url}")
            seen.add(url)
            closing = []  # clients this hop leaves with nothing to do, closed once it is over
            try:
                async with self._global, self._host_limit(host):
                    if deadline is None:
                        deadline = loop.time() + self.timeout
                    client = self._client_for(origin)
                    try:
                        async with asyncio.timeout_at(deadline):
                            req = client.build_request("GET", url, headers=headers)
                            response = await client.send(req, stream=True)
                            try:
                                if (
                                    response.status_code in _REDIRECT
                                    and _LOCATION in response.headers
                                ):
                                    permanent = permanent and response.status_code in _PERMANENT
                                    url = urljoin(url, response.headers[_LOCATION].strip())
                                    continue
                                return await self._finish(
                                    request, url, response, permanent and url != request.url
                                )
                            finally:
                                await response.aclose()
                    finally:
                        closing = self._release(origin)
            finally:
                for idle in closing:
                    await idle.aclose()
        raise _Refused(f"more than {MAX_REDIRECTS} redirects (last: {url})")

    async def _finish(self, request: FetchRequest, url: str, response, moved: bool) -> FetchResult:
        now = time.time()
        resp_headers = {k.lower(): v for k, v in response.headers.items()}
        status = response.status_code
        common = {
            "key": request.key,
            "url": url,
            "status": status,
            "headers": resp_headers,
            "permanent_url": url if moved else None,
            "max_age": _parse_max_age(resp_headers.get("cache-control")),
        }
        if status == 304:
            return FetchResult(
                **common,
                not_modified=True,
                etag=resp_headers.get("etag") or request.etag,
                last_modified=resp_headers.get("last-modified") or request.last_modified,
            )
        if status >= 400:
            retry_after = None
            if status in (429, 503):
                retry_after = _parse_retry_after(resp_headers.get("retry-after"), now)
            phrase = response.reason_phrase or ""
            message = f"HTTP {status} {phrase}".strip()
            if retry_after is not None:
                message += f" (retry after {retry_after:.0f} s)"
            return FetchResult(**common, error=message, retry_after=retry_after)
        if status != 200:
            return FetchResult(**common, error=f"unexpected HTTP status {status}")
        declared = resp_headers.get("content-length", "")
        if (
            declared.isdigit()
            and int(declared) > self.max_bytes
            and not resp_headers.get("content-encoding")
        ):
            raise _TooLarge()
        decoder = _Decoder(resp_headers.get("content-encoding", ""), self.max_bytes)
        try:
            async for chunk in response.aiter_raw():
                decoder.feed(chunk)
        except zlib.error as exc:
            return FetchResult(**common, error=f"corrupt compressed response: {exc}")
        body = decoder.finish()
        return FetchResult(
            **common,
            body=body,
            etag=resp_headers.get("etag"),
            last_modified=resp_headers.get("last-modified"),
        )


def _with_elapsed(result: FetchResult, elapsed: float) -> FetchResult:
    return replace(result, elapsed=elapsed)
