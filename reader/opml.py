"""OPML subscription lists in and out (pure: bytes in, data out; data in, text out).

Reading (``reader import``) is lenient about what exporters do differently and strict
about what could hurt:

- a feed is an ``<outline>`` with an ``xmlUrl`` (any case: ``xmlurl``, ``XMLURL``);
  ``htmlUrl`` is the site, never taken for the feed; ``type`` is not required (many
  exporters omit it or write ``atom``);
- an outline without ``xmlUrl`` that holds others is a folder: its ``text`` (else
  ``title``) becomes the topic of the feeds inside. Nested folders: the innermost wins
  (halflife's topics are flat; ``Tech/AI/feed`` goes to topic ``AI``). Without a folder,
  the OPML 2.0 ``category`` attribute's last path part is used (``/Tech/AI`` -> ``AI``);
- the feed's name is its ``title``, else its ``text``; none: the feed's own title will
  be used at refresh;
- ``language`` (OPML 2.0) is kept as the feed's ``lang`` hint, and the attributes that
  :func:`write_opml` adds in the ``urn:x-halflife:opml`` namespace (tier, type, tags)
  are read back, so an export imports into the same feeds.toml;
- the XML parser never expands entities nor fetches anything: a document that declares
  entities (a "billion laughs") is refused, as are non-XML, non-OPML and bodyless files,
  each with one line that says what is wrong and where.

Writing (``reader export --format opml``): OPML 2.0, one folder outline per topic, every
text XML-escaped and stripped of the characters XML 1.0 cannot carry.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit, urlunsplit

from reader.text import clean_inline

#: Namespace of the attributes halflife adds to outlines (ignored by other readers).
NAMESPACE = "urn:x-halflife:opml:1"
MAX_DEPTH = 64
MAX_OUTLINES = 100_000


class OPMLError(ValueError):
    """The file is not a readable OPML subscription list; the message says why, one line."""


@dataclass(frozen=True, slots=True)
class OutlineFeed:
    """One feed of an OPML file."""

    url: str
    name: str | None = None
    topic: str | None = None
    html_url: str | None = None
    lang: str | None = None
    tier: int | None = None
    type: str | None = None
    tags: tuple[str, ...] = ()
    line: int = 0  # where it is in the file, for messages


@dataclass
class Subscriptions:
    title: str = ""
    feeds: list[OutlineFeed] = field(default_factory=list)
    folders: int = 0  # outlines that were folders


# --- reading -------------------------------------------------------------------------------


def _attr(attributes: dict[str, str], name: str) -> str | None:
    """An attribute by name, any case (exporters disagree: xmlUrl, xmlurl, XMLURL)."""
    wanted = name.lower()
    for key, value in attributes.items():
        if key.lower() == wanted:
            value = clean_inline(value)
            return value or None
    return None


def _ns(attributes: dict[str, str], name: str) -> str | None:
    value = attributes.get(f"{NAMESPACE} {name}")
    return (clean_inline(value) or None) if value is not None else None


def _topic_of_category(category: str | None) -> str | None:
    """OPML 2.0 ``category``: comma-separated slash paths; the first path's last part."""
    if not category:
        return None
    first = category.split(",")[0]
    parts = [p.strip() for p in first.split("/") if p.strip()]
    return parts[-1] if parts else None


def parse_opml(data: bytes) -> Subscriptions:
    """The feeds of an OPML document. Raises :class:`OPMLError` with a one-line reason."""
    if not data or not data.strip():
        raise OPMLError("empty file")
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    result = Subscriptions()
    # each open element: (name, folder topic or None, is an outline)
    stack: list[tuple[str, str | None]] = []
    seen_root = False
    in_title = False
    title_parts: list[str] = []
    count = 0

    def refuse_entities(*_args) -> None:
        raise OPMLError("the file declares XML entities; refused (not an OPML export)")

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal seen_root, in_title, count
        local = name.rsplit(" ", 1)[-1]
        if not seen_root:
            seen_root = True
            if local.lower() != "opml":
                raise OPMLError(f"not an OPML file: the root element is <{local}>, not <opml>")
        if len(stack) >= MAX_DEPTH:
            raise OPMLError(f"outlines nested deeper than {MAX_DEPTH} levels")
        topic = stack[-1][1] if stack else None
        if local.lower() == "title" and [n for n, _t in stack] == ["opml", "head"]:
            in_title = True
        if local.lower() == "outline":
            count += 1
            if count > MAX_OUTLINES:
                raise OPMLError(f"more than {MAX_OUTLINES:,} outlines")
            url = _attr(attributes, "xmlUrl")
            label = _attr(attributes, "text") or _attr(attributes, "title")
            if url:
                tier = _ns(attributes, "tier")
                tags = _ns(attributes, "tags")
                result.feeds.append(
                    OutlineFeed(
                        url=url,
                        name=_attr(attributes, "title") or _attr(attributes, "text"),
                        topic=topic or _topic_of_category(_attr(attributes, "category")),
                        html_url=_attr(attributes, "htmlUrl"),
                        lang=_attr(attributes, "language"),
                        tier=int(tier) if tier and tier.isdigit() else None,
                        type=_ns(attributes, "type"),
                        tags=tuple(t.strip() for t in (tags or "").split(",") if t.strip()),
                        line=parser.CurrentLineNumber,
                    )
                )
            elif label:
                topic = label
                result.folders += 1
        stack.append((local.lower(), topic))

    def end(_name: str) -> None:
        nonlocal in_title
        stack.pop()
        in_title = False

    def text(data: str) -> None:
        if in_title:
            title_parts.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.EntityDeclHandler = refuse_entities
    parser.UnparsedEntityDeclHandler = refuse_entities
    parser.ExternalEntityRefHandler = lambda *_a: refuse_entities()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        reason = xml.parsers.expat.ErrorString(exc.code)
        raise OPMLError(
            f"not valid XML: {reason} (line {exc.lineno}, column {exc.offset + 1})"
        ) from None
    if not seen_root:
        raise OPMLError("no XML element in the file")
    result.title = clean_inline("".join(title_parts))
    return result


# --- what an import adds ------------------------------------------------------------------


def url_identity(url: str) -> str:
    """What makes two feed URLs the same feed here: scheme and host in any case."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return url
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, parts.fragment)
    )


def unique_name(name: str, url: str, taken: set[str]) -> str:
    """``name``, or ``name (host)``, or ``name 2``...: feeds.toml names are unique."""
    candidates = [name]
    host = urlsplit(url).hostname
    if host:
        candidates.append(f"{name} ({host})")
    for candidate in candidates:
        if candidate.casefold() not in taken:
            return candidate
    n = 2
    while f"{name} {n}".casefold() in taken:
        n += 1
    return f"{name} {n}"


@dataclass
class ImportPlan:
    tables: list[dict] = field(default_factory=list)  # [[feed]] tables to add
    skipped: list[tuple[OutlineFeed, str]] = field(default_factory=list)  # feed, why


def plan_import(
    subscriptions: Subscriptions,
    existing: Iterable[tuple[str, str | None]],
    *,
    default_topic: str | None = None,
) -> ImportPlan:
    """The ``[[feed]]`` tables an import adds, and the feeds it skips (with the reason).

    ``existing`` are the (url, name) pairs already in feeds.toml. Duplicates (the same
    URL, in feeds.toml or earlier in the file) and unusable URLs are skipped; values
    feeds.toml would refuse (a tier of 7, an unknown type, a bad language code) are
    dropped, so one odd outline never stops the import.
    """
    from reader.config import _LANG, TIERS, check_url, normalise_tag
    from reader.models import ARTICLE_TYPES

    plan = ImportPlan()
    urls: dict[str, str] = {}
    names: set[str] = set()
    for url, name in existing:
        urls[url_identity(url)] = "already in feeds.toml"
        if name:
            names.add(name.casefold())
    for feed in subscriptions.feeds:
        problem = check_url(feed.url)
        if problem:
            plan.skipped.append((feed, problem))
            continue
        identity = url_identity(feed.url)
        if identity in urls:
            plan.skipped.append((feed, urls[identity]))
            continue
        urls[identity] = "twice in the file"
        table: dict = {"url": feed.url}
        if feed.name:
            name = unique_name(feed.name, feed.url, names)
            names.add(name.casefold())
            table["name"] = name
        topic = feed.topic or default_topic
        if topic:
            table["topic"] = topic
        if feed.tier in TIERS:
            table["tier"] = feed.tier
        if feed.type in ARTICLE_TYPES:
            table["type"] = feed.type
        if feed.lang and _LANG.match(feed.lang):
            table["lang"] = feed.lang[:2].lower()
        tags = tuple(dict.fromkeys(t for t in (normalise_tag(t) for t in feed.tags) if t))
        if tags:
            table["tags"] = tags
        plan.tables.append(table)
    return plan


# --- writing -------------------------------------------------------------------------------

# XML 1.0 allows tab, newline, carriage return and everything from U+0020 except the
# surrogates and U+FFFE/U+FFFF; C1 controls are legal but never wanted in a title.
_NOT_XML = re.compile("[^\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_attr(value: str) -> str:
    """A double-quoted XML attribute value: escaped, one line, only XML 1.0 characters."""
    value = _NOT_XML.sub("", clean_inline(value))
    value = (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
    return f'"{value}"'


@dataclass(frozen=True, slots=True)
class ExportFeed:
    """What an exported outline says about a configured feed."""

    url: str
    name: str
    topic: str
    tier: int
    type: str
    lang: str | None = None
    tags: tuple[str, ...] = ()
    html_url: str | None = None


def write_opml(feeds: list[ExportFeed], *, title: str = "halflife feeds", now=None) -> str:
    """OPML 2.0: one folder per topic (in the order topics first appear), feeds inside."""
    when = now or datetime.now(UTC)
    by_topic: dict[str, list[ExportFeed]] = {}
    for feed in feeds:
        by_topic.setdefault(feed.topic, []).append(feed)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<opml version="2.0" xmlns:halflife="{NAMESPACE}">',
        "  <head>",
        f"    <title>{xml_attr(title)[1:-1]}</title>",
        f"    <dateCreated>{format_datetime(when, usegmt=True)}</dateCreated>",
        "  </head>",
        "  <body>",
    ]
    for topic, members in by_topic.items():
        out.append(f"    <outline text={xml_attr(topic)} title={xml_attr(topic)}>")
        for feed in members:
            attributes = [
                f"type={xml_attr('rss')}",
                f"text={xml_attr(feed.name)}",
                f"title={xml_attr(feed.name)}",
                f"xmlUrl={xml_attr(feed.url)}",
            ]
            if feed.html_url:
                attributes.append(f"htmlUrl={xml_attr(feed.html_url)}")
            if feed.lang:
                attributes.append(f"language={xml_attr(feed.lang)}")
            attributes.append(f"halflife:tier={xml_attr(str(feed.tier))}")
            attributes.append(f"halflife:type={xml_attr(feed.type)}")
            if feed.tags:
                attributes.append(f"halflife:tags={xml_attr(','.join(feed.tags))}")
            out.append(f"      <outline {' '.join(attributes)}/>")
        out.append("    </outline>")
    out += ["  </body>", "</opml>", ""]
    return "\n".join(out)
