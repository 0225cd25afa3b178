"""Fetched bytes -> :class:`ParsedFeed`. With :mod:`reader.feedxml` (its fast path for
well-formed documents), the only module that uses feedparser (imported through
:func:`reader.charset.import_feedparser`).

Lenient where publishers are sloppy (whitespace or a BOM before ``<?xml``, a gzip body
sent without its header, a wrong declared charset, no declared charset at all:
:mod:`reader.charset`), strict where it matters (an HTML page or garbage is a
:class:`ParseError`, never an empty success).

feedparser's own HTML pass (sanitising, resolving links inside content) is switched
off: it is half of its run time, and halflife never renders feed HTML; it turns it into
plain text (``text.html_to_text``), which is safe by construction.

Hostile documents cost bounded time and memory, and never more than their own feed:

- the DOCTYPE is removed before any XML parser sees the document: no entity is ever
  expanded (billion laughs, quadratic blowup), no external entity or DTD is read (XXE),
  nothing is fetched; UTF-16/32 documents are made UTF-8 first, so this holds for them;
- character references no Python string can carry (``&#xD800;``, ``&#x110000;``)
  become U+FFFD: feedparser would crash on them and lose the whole feed;
- at most :data:`MAX_ENTRIES` entries are read, the newest: a document with more is cut
  to its first and last ``MAX_ENTRIES`` before parsing (feeds list entries newest first,
  a few oldest first), then the newest are kept by date, with a warning;
- titles, names and numbers are bounded before they are processed or stored.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
import zlib
from collections import deque
from urllib.parse import urljoin, urlsplit

from reader import charset
from reader.errors import ParseError
from reader.models import Enclosure, ParsedEntry, ParsedFeed
from reader.text import clean_block, clean_inline, html_to_inline, html_to_text, repair_mojibake

MAX_TITLE = 400
MAX_GUNZIP = 50_000_000
#: Entries read from one document, the newest; the rest are dropped with a warning.
#: The largest feed of the real-world corpus has 730 (a podcast's whole archive).
MAX_ENTRIES = 1000
#: Raw characters of a title or name looked at: a 1 MB title costs no more than this.
MAX_RAW_TITLE = 20_000
MAX_CATEGORIES = 20
#: ``<ttl>`` beyond a year is a typo or an attack (the scheduler caps it anyway).
MAX_TTL_MINUTES = 366 * 24 * 60
_LEADING_JUNK = re.compile(rb"^(?:\xef\xbb\xbf)?[\s\x00]+(?=<)")
# The comment body cannot contain "-->" and the repetition is possessive: a lazy ".*?"
# here let n comments be split 2^n ways (40 empty comments before <rss> took forever).
_HTML_START = re.compile(
    rb"^\s*+(?:<!--(?:[^-]|-(?!->))*+-->\s*+)*+<(?:!doctype\s+html|html|head|body)\b", re.I
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


# Everything before the root element that may precede a DOCTYPE.
_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.S)
_DOCTYPE_TOKEN = re.compile(rb"\"[^\"]*\"|'[^']*'|<!--.*?-->|[\[\]>]", re.S)


def strip_doctype(body: bytes) -> bytes:
    """The document without its DOCTYPE declaration, internal subset included.

    Feeds have no use for one, and it is where every XML bomb lives: entity
    definitions (billion laughs, quadratic blowup), external entities (a local file, a
    URL), a remote DTD. Without it, an entity reference is an unknown one: feedparser
    reads the document leniently and shows it as the literal ``&name;``.
    """
    pos = 3 if body.startswith(b"\xef\xbb\xbf") else 0
    while (item := _PROLOG_ITEM.match(body, pos)) is not None and item.end() > pos:
        pos = item.end()
    if body[pos : pos + 9].upper() != b"<!DOCTYPE":
        return body
    depth = 0
    for token in _DOCTYPE_TOKEN.finditer(body, pos + 9):
        value = token.group()
        if value == b"[":
            depth += 1
        elif value == b"]":
            depth = max(depth - 1, 0)
        elif value == b">" and depth == 0:
            return body[:pos] + body[token.end() :]
    return body[:pos]  # a DOCTYPE that never ends: no document after it


# Character references to what is not a character: surrogates (D800-DFFF) and beyond
# U+10FFFF. Only suspicious-looking ones are matched; the callback decides.
_BAD_REFERENCE = re.compile(
    rb"&#(?:[xX]0*(?:[dD][89a-fA-F][0-9a-fA-F]{2}(?![0-9a-fA-F])|[1-9a-fA-F][0-9a-fA-F]{5,})"
    rb"|0*(?:5[5-7][0-9]{3}(?![0-9])|[1-9][0-9]{6,}));?"
)


def _replace_bad_reference(match: re.Match[bytes]) -> bytes:
    digits = match.group()[2:].rstrip(b";")
    try:
        value = int(digits[1:], 16) if digits[:1] in (b"x", b"X") else int(digits)
    except ValueError:  # more digits than int() accepts
        return b"&#xFFFD;"
    if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
        return b"&#xFFFD;"
    return match.group()


def fix_references(body: bytes) -> bytes:
    """``&#xD800;`` and ``&#x110000;`` become ``&#xFFFD;`` (feedparser crashes on them)."""
    if b"&#" not in body:
        return body
    return _BAD_REFERENCE.sub(_replace_bad_reference, body)


_ENTRY_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>")


def limit_entries(body: bytes, limit: int = MAX_ENTRIES) -> tuple[bytes, int]:
    """(the document with at most its first and last ``limit`` entries, entries in it).

    Counting closing tags is cheap next to feedparser (~1 ms an entry): 100,000
    entries would take minutes to parse, 2,000 take a second or two. Entries are
    siblings in RSS, RDF and Atom, so what is cut out is whole entries.
    """
    count = 0
    first_cut = 0
    tail: deque[int] = deque(maxlen=limit + 1)
    for match in _ENTRY_END.finditer(body):
        count += 1
        if count == limit:
            first_cut = match.end()
        tail.append(match.end())
    if count <= 2 * limit:
        return body, count
    return body[:first_cut] + body[tail[0] :], count


def _newest(entries: list[ParsedEntry], limit: int) -> list[ParsedEntry]:
    """The newest ``limit`` entries in document order (undated ones count as newest)."""
    if len(entries) <= limit:
        return entries

    def age_rank(index: int) -> tuple[int, float]:
        published = entries[index].published
        return (0, 0.0) if published is None else (1, -published)

    keep = sorted(sorted(range(len(entries)), key=age_rank)[:limit])
    return [entries[i] for i in keep]


def _timestamp(struct) -> float | None:
    if not struct:
        return None
    try:
        return float(calendar.timegm(struct))
    except (TypeError, ValueError, OverflowError):
        return None


def _text_of(detail_value: str, detail_type: str | None) -> str:
    # double-encoded UTF-8 from publishers (Le Figaro's "CinÃ©ma") is undone before the
    # markup is read: a sequence may span what becomes two text nodes
    detail_value = repair_mojibake(detail_value)
    if detail_type in _HTML_TYPES or detail_type is None:
        return html_to_text(detail_value)
    return clean_block(detail_value)


def _title(entry) -> str:
    detail = entry.get("title_detail") or {}
    value = repair_mojibake((entry.get("title") or "")[:MAX_RAW_TITLE])
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


def _scheme(link: str) -> str:
    """``urlsplit(link).scheme`` (lower-case), at once for the usual http(s) links."""
    if link.startswith("https://"):
        return "https"
    if link.startswith("http://"):
        return "http"
    return urlsplit(link).scheme.lower()


def _safe_link(link: str, base: str) -> str:
    link = clean_inline(link)
    if not link:
        return ""
    if not _scheme(link) and base:
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
        scheme = _scheme(link)
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
    for item in (entry.get("enclosures") or ())[:MAX_CATEGORIES]:
        href = _safe_link(item.get("href") or "", base)
        if not href:
            continue
        length = item.get("length")
        try:
            size = int(str(length).strip()[:20]) if length not in (None, "") else None
        except (TypeError, ValueError):
            size = None
        if size is not None and not 0 <= size < 2**53:  # the store writes 64-bit integers
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


def _read_document(
    body: bytes, url: str, headers: dict[str, str], total_entries: int, *, fast: bool
) -> tuple[dict, list[dict], str | None]:
    """(feed, entries, problem) in feedparser's shapes: lxml's fast path when it can read
    the document (:mod:`reader.feedxml`), else feedparser itself."""
    if fast:
        from reader import feedxml

        found = feedxml.read(body, url, headers)
        # every entry the document holds, or it has something the fast path misread
        if found is not None and len(found[1]) == min(total_entries, 2 * MAX_ENTRIES):
            return found[0], found[1], None

    feedparser = charset.import_feedparser()
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
    # a text that mentions "<rss>" (a README, a Markdown page) is not a feed: a feed
    # with no entries must at least start as XML does
    starts_as_xml = body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
    if not entries and (not result.get("version") or not starts_as_xml):
        detail = f": {problem}" if problem else ""
        raise ParseError(f"not a feed (no RSS, Atom or RDF found){detail}")
    return feed, entries, problem


def parse_feed(
    body: bytes, url: str, headers: dict[str, str] | None = None, *, fast: bool = True
) -> ParsedFeed:
    """Parse a fetched feed. Raises :class:`ParseError` when the bytes are not a feed.

    ``fast=False`` always uses feedparser (tests compare the two paths).
    """
    if not body or not body.strip():
        raise ParseError("empty response: no feed in it")
    body = prepare(body)
    headers = dict(headers or {})
    utf8 = charset.wide_to_utf8(body)
    if utf8 is not None:
        body = utf8
    head = body[:4096]
    content_type = headers.get("content-type", "").lower()
    if _HTML_START.match(head) or (
        any(t in content_type for t in _HTML_TYPES) and not _FEED_MARKER.search(body[:65536])
    ):
        raise ParseError("not a feed: the server sent an HTML page")
    if utf8 is None and (utf8 := charset.undeclared_to_utf8(body, headers)) is not None:
        body = utf8
    if utf8 is not None and "content-type" in headers:
        # re-encoded: the charset the server named would contradict the new bytes
        headers["content-type"] = charset.CHARSET_PARAM.sub("", headers["content-type"])
    body = fix_references(strip_doctype(body))
    body, total_entries = limit_entries(body)
    headers.setdefault("content-location", url)
    headers.pop("content-encoding", None)  # already decoded by fetch
    feed, entries, problem = _read_document(body, url, headers, total_entries, fast=fast)

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
            t
            for t in (
                clean_inline((tag.get("term") or "")[:2000])
                for tag in (entry.get("tags") or ())[: MAX_CATEGORIES * 5]
            )
            if t
        )
        parsed_entries.append(
            ParsedEntry(
                key=key,
                title=title,
                link=link,
                text=text,
                author=clean_inline((entry.get("author") or "")[:MAX_RAW_TITLE], max_length=200),
                published=_timestamp(
                    _raw(entry, "published_parsed") or _raw(entry, "updated_parsed")
                ),
                updated=_timestamp(_raw(entry, "updated_parsed")),
                lang=_lang(detail.get("language")) or feed_lang,
                enclosures=_enclosures(entry, base),
                categories=categories[:MAX_CATEGORIES],
            )
        )
    if len(parsed_entries) > MAX_ENTRIES or total_entries > 2 * MAX_ENTRIES:
        parsed_entries = _newest(parsed_entries, MAX_ENTRIES)
        cut = (
            f"{max(total_entries, len(parsed_entries)):,} entries in the feed: "
            f"only the newest {len(parsed_entries):,} were read"
        )
        problem = f"{cut}; {problem}" if problem else cut
    ttl = feed.get("ttl")
    try:
        ttl_minutes = int(str(ttl).strip()[:12]) if ttl not in (None, "") else None
    except ValueError:
        ttl_minutes = None
    if ttl_minutes is not None:
        ttl_minutes = min(ttl_minutes, MAX_TTL_MINUTES)
    return ParsedFeed(
        title=html_to_inline(
            repair_mojibake((feed.get("title") or "")[:MAX_RAW_TITLE]), max_length=200
        ),
        link=_safe_link(feed.get("link") or "", url),
        lang=feed_lang,
        ttl_minutes=ttl_minutes if ttl_minutes and ttl_minutes > 0 else None,
        entries=tuple(parsed_entries),
        warning=problem,
    )
