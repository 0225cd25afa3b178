"""What ``reader add URL`` finds at a URL: the feed itself, or the feeds a web page links.

Feed autodiscovery reads the page's ``<link rel="alternate" type="...">`` elements (the
convention every blog engine and news site follows): RSS, Atom, RDF and JSON Feed types,
``href`` resolved against the page (and its ``<base href>``). Only http(s) links count;
each URL once, in page order, the XML formats before JSON Feed (which halflife cannot
read).

The pure part is :func:`feed_links`; :func:`probe` fetches with :class:`reader.fetch.Fetcher`
and says what the URL is.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from reader.errors import ParseError
from reader.fetch import FetchRequest, FetchResult
from reader.models import ParsedFeed
from reader.text import clean_inline

FEED_TYPES = {
    "application/rss+xml": "RSS",
    "application/atom+xml": "Atom",
    "application/rdf+xml": "RDF",
    "application/feed+json": "JSON Feed",
    "application/x.atom+xml": "Atom",
    "application/x-atom+xml": "Atom",
    "application/x-rss+xml": "RSS",
}
READABLE = {"RSS", "Atom", "RDF"}
_HTML_HEAD = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)
_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True, slots=True)
class FeedLink:
    url: str
    kind: str  # RSS, Atom, RDF, JSON Feed
    title: str = ""

    @property
    def readable(self) -> bool:
        return self.kind in READABLE


def looks_like_html(body: bytes, headers: dict[str, str]) -> bool:
    content_type = headers.get("content-type", "").lower()
    return any(t in content_type for t in _HTML_TYPES) or bool(_HTML_HEAD.match(body[:4096]))


def feed_links(body: bytes, page_url: str) -> list[FeedLink]:
    """The feeds an HTML page announces, readable kinds first, each URL once."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(body)
    base = page_url
    base_node = tree.css_first("base[href]")
    if base_node is not None:
        href = (base_node.attributes.get("href") or "").strip()
        if href:
            base = urljoin(page_url, href)
    found: list[FeedLink] = []
    seen: set[str] = set()
    for node in tree.css("link[rel][href]"):
        attributes = node.attributes
        rel = (attributes.get("rel") or "").lower().split()
        if "alternate" not in rel and "feed" not in rel:
            continue
        kind = FEED_TYPES.get((attributes.get("type") or "").split(";")[0].strip().lower())
        if kind is None:
            continue
        href = "".join((attributes.get("href") or "").split())
        if not href:
            continue
        url = urljoin(base, href)
        if urlsplit(url).scheme.lower() not in ("http", "https") or url in seen:
            continue
        seen.add(url)
        found.append(FeedLink(url, kind, clean_inline(attributes.get("title"), max_length=120)))
    return sorted(found, key=lambda link: not link.readable)


@dataclass(frozen=True)
class Probe:
    """What a URL turned out to be."""

    url: str  # the URL to store for it (a permanent redirect's target)
    fetched: FetchResult
    feed: ParsedFeed | None = None  # it is a feed
    links: tuple[FeedLink, ...] = ()  # it is a web page with these feed links
    html: bool = False
    problem: str | None = None  # neither, or the fetch failed: one line


async def _fetch(url: str, *, file_path: Path | None, timeout: float, max_bytes: int):
    from reader.fetch import Fetcher

    async with Fetcher(concurrency=2, per_host=2, timeout=timeout, max_bytes=max_bytes) as fetcher:
        return await fetcher.fetch(FetchRequest(key=url, url=url, file_path=file_path))


def probe(url: str, *, file_path: Path | None = None, timeout: float, max_bytes: int) -> Probe:
    """Fetch ``url`` once and tell a feed from a web page from anything else."""
    from reader.parse import parse_feed

    fetched = asyncio.run(_fetch(url, file_path=file_path, timeout=timeout, max_bytes=max_bytes))
    stored_url = fetched.permanent_url or url
    if fetched.error is not None or fetched.body is None:
        return Probe(stored_url, fetched, problem=fetched.error or "no response body")
    try:
        feed = parse_feed(fetched.body, fetched.url, fetched.headers)
    except ParseError as exc:
        if looks_like_html(fetched.body, fetched.headers):
            links = tuple(feed_links(fetched.body, fetched.url))
            return Probe(stored_url, fetched, links=links, html=True)
        content_type = fetched.headers.get("content-type", "").split(";")[0].strip()
        what = f" ({content_type})" if content_type else ""
        return Probe(stored_url, fetched, problem=f"neither a feed nor a web page{what}: {exc}")
    return Probe(stored_url, fetched, feed=feed)
