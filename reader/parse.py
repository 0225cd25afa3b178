"""Fetched bytes -> :class:`ParsedFeed`. The only module that imports feedparser.

Lenient where publishers are sloppy (whitespace or a BOM before ``<?xml``, a gzip body
sent without its header, a wrong declared charset: feedparser falls back), strict where
it matters (an HTML page or garbage is a :class:`ParseError`, never an empty success).

feedparser's own HTML pass (sanitising, resolving links inside content) is switched
off: it is half of its run time, and halflife never renders feed HTML; it turns it into
plain text (``text.html_to_text``), which is safe by construction.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
import zlib
from urllib.parse import urljoin, urlsplit

from reader.errors import ParseError
from reader.models import Enclosure, ParsedEntry, ParsedFeed
from reader.text import clean_block, clean_inline, html_to_inline, html_to_text

MAX_TITLE = 400
MAX_GUNZIP = 50_000_000
_LEADING_JUNK = re.compile(rb"^(?:\xef\xbb\xbf)?[\s\x00]+(?=<)")
_HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)
_FEED_MARKER = re.compile(rb"<(?:rss|feed|rdf:RDF|channel)\b", re.I)
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _gunzip(data: bytes) -> bytes:
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = decoder.decompress(data, MAX_GUNZIP + 1)
    if len(out) > MAX_GUNZIP:
        raise ParseError(f"gzip body inflates past {MAX_GUNZIP:,} bytes")
    return out


def prepare(body: bytes) -> bytes:
    """Undo common publisher mistakes before the XML parser sees the bytes."""
    if body[:2] == b"\x1f\x8b":  # gzip sent without Content-Encoding
        try:
            body = _gunzip(body)
        except zlib.error as exc:
            raise ParseError(f"corrupt gzip body: {exc}") from None
    # Whitespace (or a BOM then whitespace) before <?xml makes strict parsers give up.
    match = _LEADING_JUNK.match(body)
    if match:
        bom = body.startswith(b"\xef\xbb\xbf")
        body = (b"\xef\xbb\xbf" if bom else b"") + body[match.end() :]
    return body


# UTF-8 lead byte then continuation byte, as they look when decoded as Latin-1/cp1252:
# the mark of double-encoded text ("CinÃ©ma", "â€“"). Cheap to search for; ftfy only
# runs where it matches.
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
)


def fix_mojibake(text: str) -> str:
    """Undo double-encoded UTF-8 that publishers send (Le Figaro's "CinÃ©ma")."""
    if not text or not _MOJIBAKE_HINT.search(text):
        return text
    import ftfy

    return ftfy.fix_encoding(text)


def _timestamp(struct) -> float | None:
    if not struct:
        return None
    try:
        return float(calendar.timegm(struct))
    except (TypeError, ValueError, OverflowError):
        return None


def _text_of(detail_value: str, detail_type: str | None) -> str:
    detail_value = fix_mojibake(detail_value)
    if detail_type in _HTML_TYPES or detail_type is None:
        return html_to_text(detail_value)
    return clean_block(detail_value)


def _title(entry) -> str:
    detail = entry.get("title_detail") or {}
    value = fix_mojibake(entry.get("title") or "")
    if detail.get("type") in _HTML_TYPES:
        return html_to_inline(value, max_length=MAX_TITLE)
    return clean_inline(value, max_length=MAX_TITLE)


def _content(entry) -> str:
    """The longest of the entry's content blocks, else its summary, as plain text."""
    best = ""
    for block in entry.get("content") or ():
        value = block.get("value") or ""
        if len(value) > len(best):
            best, best_type = value, block.get("type")
    if best:
        text = _text_of(best, best_type)
        if text:
            return text
    detail = entry.get("summary_detail") or {}
    return _text_of(entry.get("summary") or "", detail.get("type"))


def _safe_link(link: str, base: str) -> str:
    link = clean_inline(link)
    if not link:
        return ""
    if not urlsplit(link).scheme and base:
        link = urljoin(base, link)
    return link


_IDENTIFIER_SCHEMES = ("tag", "urn")


def _entry_link(entry, base: str) -> str:
    """The entry's web page: its link, else an alternate http(s) link.

    feedparser falls back to the entry's id for ``link``; ``tag:``/``urn:`` ids name
    the entry, they do not locate it. Other schemes (``javascript:``...) are kept as
    the publisher wrote them: shown as text, never opened.
    """
    candidates = [entry.get("link") or ""]
    candidates += [
        item.get("href") or ""
        for item in entry.get("links") or ()
        if item.get("rel", "alternate") == "alternate"
    ]
    fallback = ""
    for candidate in candidates:
        link = _safe_link(candidate, base)
        scheme = urlsplit(link).scheme.lower()
        if scheme in ("http", "https"):
            return link
        if link and scheme not in _IDENTIFIER_SCHEMES and not fallback:
            fallback = link
    return fallback


def _entry_key(entry, link: str, title: str, text: str) -> str:
    guid = clean_inline(entry.get("id") or "")
    if guid:
        return guid
    if link:
        return link
    digest = hashlib.blake2b(f"{title}\x00{text[:2000]}".encode(), digest_size=12)
    return "hash:" + digest.hexdigest()


def _enclosures(entry, base: str) -> tuple[Enclosure, ...]:
    found = []
    for item in entry.get("enclosures") or ():
        href = _safe_link(item.get("href") or "", base)
        if not href:
            continue
        length = item.get("length")
        try:
            size = int(length) if length not in (None, "") else None
        except (TypeError, ValueError):
            size = None
        found.append(Enclosure(url=href, type=clean_inline(item.get("type") or ""), length=size))
    return tuple(found)


def _raw(entry, key: str):
    """A field without feedparser's deprecated key fallbacks (and their warnings)."""
    return dict.get(entry, key)


def _lang(value: str | None) -> str | None:
    if not value:
        return None
    code = value.strip().lower()[:2]
    return code if code.isalpha() and len(code) == 2 else None


def parse_feed(body: bytes, url: str, headers: dict[str, str] | None = None) -> ParsedFeed:
    """Parse a fetched feed. Raises :class:`ParseError` when the bytes are not a feed."""
    import feedparser

    if not body or not body.strip():
        raise ParseError("empty response: no feed in it")
    body = prepare(body)
    head = body[:4096]
    headers = dict(headers or {})
    content_type = headers.get("content-type", "").lower()
    if _HTML_START.match(head) or (
        any(t in content_type for t in _HTML_TYPES) and not _FEED_MARKER.search(body[:65536])
    ):
        raise ParseError("not a feed: the server sent an HTML page")
    headers.setdefault("content-location", url)
    headers.pop("content-encoding", None)  # already decoded by fetch
    try:
        result = feedparser.parse(
            io.BytesIO(body),
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser is not supposed to raise; be sure
        raise ParseError(f"feed parser failed: {type(exc).__name__}: {exc}") from None

    feed = result.get("feed") or {}
    entries = result.get("entries") or []
    problem = None
    if result.get("bozo"):
        exc = result.get("bozo_exception")
        problem = clean_inline(str(exc) if exc else "malformed feed", max_length=200)
        kind = type(exc).__name__ if exc else ""
        # these are about encodings feedparser recovered from, not about the content
        if kind in ("CharacterEncodingOverride", "NonXMLContentType"):
            problem = None
    if not result.get("version") and not entries:
        detail = f": {problem}" if problem else ""
        raise ParseError(f"not a feed (no RSS, Atom or RDF found){detail}")

    base = clean_inline(feed.get("link") or "") or url
    parsed_entries: list[ParsedEntry] = []
    seen: set[str] = set()
    feed_lang = _lang(feed.get("language")) or _lang(headers.get("content-language"))
    for entry in entries:
        title = _title(entry)
        text = _content(entry)
        link = _entry_link(entry, url)
        if not title and not text and not link:
            continue  # an empty item (broken nesting): nothing to show
        if not title:
            first_line = text.split("\n", 1)[0] if text else ""
            title = clean_inline(first_line, max_length=120) or "(untitled)"
        key = _entry_key(entry, link, title, text)
        if key in seen:
            # a publisher reusing one guid, or one link for every item: the title and
            # date tell the entries apart, and stay the same on the next fetch
            when = entry.get("published") or entry.get("updated") or ""
            key = f"{key}\x00{title}\x00{when}"
            if key in seen:
                continue  # the same item twice in one document
        seen.add(key)
        detail = entry.get("title_detail") or {}
        categories = tuple(
            t for t in (clean_inline(tag.get("term") or "") for tag in entry.get("tags") or ()) if t
        )
        parsed_entries.append(
            ParsedEntry(
                key=key,
                title=title,
                link=link,
                text=text,
                author=clean_inline(entry.get("author") or "", max_length=200),
                published=_timestamp(
                    _raw(entry, "published_parsed") or _raw(entry, "updated_parsed")
                ),
                updated=_timestamp(_raw(entry, "updated_parsed")),
                lang=_lang(detail.get("language")) or feed_lang,
                enclosures=_enclosures(entry, base),
                categories=categories[:20],
            )
        )
    ttl = feed.get("ttl")
    try:
        ttl_minutes = int(str(ttl).strip()) if ttl not in (None, "") else None
    except ValueError:
        ttl_minutes = None
    return ParsedFeed(
        title=html_to_inline(fix_mojibake(feed.get("title") or ""), max_length=200),
        link=_safe_link(feed.get("link") or "", url),
        lang=feed_lang,
        ttl_minutes=ttl_minutes if ttl_minutes and ttl_minutes > 0 else None,
        entries=tuple(parsed_entries),
        warning=problem,
    )
