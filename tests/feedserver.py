"""A real HTTP server on 127.0.0.1 for tests and benchmarks (stdlib, threaded).

Each path is a :class:`Route`: a body with status and headers, optional ETag/304 support,
gzip, a delay before answering, a trickle (one byte every ``trickle`` seconds), a body
generated on the fly (``stream``: 50 MB without holding it), or a redirect. Requests are recorded, so tests can assert what was sent (conditional GET,
User-Agent) and how many requests a feed cost.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the default (5) drops SYNs under load: 1 s client stalls

    def handle_error(self, request, client_address) -> None:
        """A client that closes its connection (as one does after an error response it
        does not read) is no server error: only other exceptions are printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: bool = False  # send an ETag and answer If-None-Match with 304
    last_modified: str | None = None  # send it and answer If-Modified-Since with 304
    gzip: bool = False
    raw_gzip: bytes | None = None  # a pre-compressed body sent with Content-Encoding: gzip
    delay: float = 0.0
    trickle: float = 0.0  # seconds between bytes of the body
    location: str | None = None  # redirect target (with a 3xx status)
    hang: bool = False  # accept and never answer
    # chunks generated while sending: chunked transfer encoding (no Content-Length),
    # unless ``headers`` name a Content-Length, which is then sent as given
    stream: Callable[[], Iterable[bytes]] | None = None
    reason: str | None = None  # the status line's reason phrase (latin-1), default the usual


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float
    client: tuple = ()  # the client's (address, port): one per connection


class FeedServer:
    """``with FeedServer() as server: server.route('/feed', Route(body=...))``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, delay: float = 0.0) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self.default_delay = delay
        self._lock = threading.Lock()
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                server._handle(self)

        self.httpd = _Server((host, port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, route: Route) -> str:
        self.routes[path] = route
        return self.url(path)

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.path == path)

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        with self._lock:
            self.requests.append(
                Seen(
                    path,
                    {k.lower(): v for k, v in handler.headers.items()},
                    time.time(),
                    tuple(handler.client_address),
                )
            )
        route = self.routes.get(path)
        if route is None:
            self._send(handler, 404, b"not found", {"Content-Type": "text/plain"})
            return
        delay = route.delay or self.default_delay
        if route.hang:
            self._stop.wait(3600)
            return
        if delay:
            time.sleep(delay)
        headers = {"Content-Type": route.content_type, **route.headers}
        if route.location is not None:
            headers["Location"] = route.location
            self._send(handler, route.status, b"", headers)
            return
        tag = None
        if route.etag:
            tag = '"' + hashlib.md5(route.body).hexdigest() + '"'
            headers["ETag"] = tag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        if route.status == 200:
            if tag and handler.headers.get("If-None-Match") == tag:
                self._send(handler, 304, b"", {"ETag": tag})
                return
            if (
                route.last_modified
                and handler.headers.get("If-Modified-Since") == route.last_modified
            ):
                self._send(handler, 304, b"", {"Last-Modified": route.last_modified})
                return
        if route.stream is not None:
            self._send_stream(handler, route, headers)
            return
        body = route.body
        if route.raw_gzip is not None:
            body = route.raw_gzip
            headers["Content-Encoding"] = "gzip"
        elif route.gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        self._send(handler, route.status, body, headers, trickle=route.trickle, reason=route.reason)

    def _send_stream(self, handler, route: Route, headers: dict[str, str]) -> None:
        assert route.stream is not None
        chunked = not any(key.lower() == "content-length" for key in headers)
        try:
            handler.send_response(route.status)
            for key, value in headers.items():
                handler.send_header(key, value)
            if chunked:
                handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            for chunk in route.stream():
                if self._stop.is_set():
                    return
                if not chunk:
                    continue
                if chunked:
                    handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                else:
                    handler.wfile.write(chunk)
            if chunked:
                handler.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True

    def _send(
        self,
        handler,
        status: int,
        body: bytes,
        headers: dict[str, str],
        trickle: float = 0.0,
        reason: str | None = None,
    ):
        try:
            handler.send_response(status, reason)
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if trickle:
                for i in range(len(body)):
                    if self._stop.is_set():
                        return
                    handler.wfile.write(body[i : i + 1])
                    handler.wfile.flush()
                    time.sleep(trickle)
            elif body:
                handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
