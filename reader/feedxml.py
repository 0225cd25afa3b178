"""Well-formed feeds read with lxml, the way feedparser reads them, ~25x faster.

feedparser's SAX handlers cost ~5 of the ~20 CPU-seconds of a cold refresh of the
184-feed corpus (`bench/refresh.py`); lxml builds the same documents' trees in 0.14 s.
This module walks that tree in document order and replays feedparser's own rules for
the fields :mod:`reader.parse` reads: which elements alias which (``dc:creator`` is an
author, ``dc:date`` an update, ``itunes:summary`` a summary), which title, summary or
author wins when there are several, content types and the "looks like HTML" guess,
markup inside content, ``xml:base``/``xml:lang``, guid-as-link, feedparser's link and
text fix-ups, its date parser. The result is a ``(feed, entries)`` pair of plain dicts
shaped like feedparser's, so both paths share everything downstream.

It reads only what it models. Anything else returns None and feedparser reads the
document as before: XML that is not well-formed (libxml2 is strict: an undefined
entity, a stray ``&``, a wrong byte), a charset other than UTF-8, elements that
feedparser handles in ways not replayed here (images inside items, GeoRSS, SVG...),
an entry count that differs from the document's closing tags. ``tests/test_feedxml.py``
holds the two paths to the same :class:`~reader.models.ParsedFeed` on every well-formed
feed of the real-world corpus.

feedparser's quirks are replayed, not fixed: the aim is that an article's id, text and
content hash do not depend on which path read it (a feed that turns malformed one day
must not duplicate its articles).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
    collect_ids=False,
)

_HTML_TYPES = {"application/xhtml+xml", "text/html"}
_COPY_TO_SUMMARY = _HTML_TYPES | {"text/plain"}
_ATOM = "http://www.w3.org/2005/atom"
_USERLAND = "backend.userland.com/rss"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_C1 = re.compile("[\x80-\x9f]")
#: feedparser's fix-up of links: ``?a=1&b=2`` read as if ``&b;`` were an entity
_ENTITY_LIKE = re.compile("&([A-Za-z0-9_]+);")
_RSS090 = "http://my.netscape.com/rdf/simple/0.9/"
#: Keys reader.parse reads from an entry: an unmodelled element of one of these names
#: would be stored over them by feedparser.
_READ_KEYS = frozenset(
    [
        "title",
        "title_detail",
        "content",
        "summary",
        "summary_detail",
        "link",
        "links",
        "id",
        "published",
        "updated",
        "published_parsed",
        "updated_parsed",
        "tags",
        "author",
        "enclosures",
    ]
)


class _Unsupported(Exception):
    """The document uses something this module does not replay: feedparser reads it."""


def _feedparser_parts():
    """feedparser's own tables and helpers, so both paths agree by construction."""
    from reader.charset import import_feedparser

    import_feedparser()
    from feedparser.api import StrictFeedParser
    from feedparser.datetimes import _parse_date
    from feedparser.html import _cp1252
    from feedparser.mixin import _FeedParserMixin
    from feedparser.urls import _urljoin, make_safe_absolute_uri

    namespaces = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
    handled = frozenset(
        name[len(kind) :]
        for name in dir(StrictFeedParser)
        for kind in ("_start_", "_end_")
        if name.startswith(kind)
    )
    return (
        namespaces,
        handled,
        _FeedParserMixin.looks_like_html,
        _FeedParserMixin.map_content_type,
        _FeedParserMixin.can_be_relative_uri,
        _parse_date,
        _cp1252,
        _urljoin,
        make_safe_absolute_uri,
    )


(
    _NAMESPACES,
    _FP_HANDLED,
    _looks_like_html,
    _map_content_type,
    _RELATIVE_URI,
    _parse_date,
    _CP1252,
    _urljoin,
    _safe_absolute,
) = _feedparser_parts()


#: An absolute http(s) URL that feedparser's _urljoin gives back unchanged, whatever the
#: base: a lower-case scheme, an ASCII host (urlsplit checks others, and brackets),
#: no ";" params in the path (urlunparse drops an empty one), no empty query or
#: fragment, no whitespace (urlsplit removes tabs and line breaks). Most links are
#: such URLs; joining each cost ~10 us (0.08 s over the corpus).
_PLAIN_URL = re.compile(
    r"https?://[A-Za-z0-9.\-_~%!$&'()*+,=:]+(?:/[^\s?#;\\]*)?(?:\?[^\s#\\]+)?(?:#[^\s\\]+)?"
)


def _join(base: str, uri: str) -> str:
    """feedparser's ``_urljoin(base, uri)``, without its work for a plain absolute URL."""
    if _PLAIN_URL.fullmatch(uri):
        return uri
    return _urljoin(base, uri)


def to_utf8(body: bytes, headers: dict[str, str]) -> bytes | None:
    """The document as feedparser decodes it (its own function: HTTP charset, XML
    declaration, BOM, its defaults and fallbacks), re-declared as UTF-8; None when
    feedparser could not tell the encoding."""
    from feedparser.encodings import convert_to_utf8

    result: dict[str, Any] = {}
    data = convert_to_utf8(dict(headers), body, result)
    return data if result.get("encoding") else None


def read(body: bytes, url: str, headers: dict[str, str]) -> tuple[dict, list[dict]] | None:
    """(feed, entries) as feedparser would give them, or None: let feedparser read it.

    ``body`` is prepared by :mod:`reader.parse` (no DOCTYPE, no bad references, at most
    its entry limit); ``url`` is the base for relative links.
    """
    data = to_utf8(body, headers)
    if data is None:
        return None
    try:
        root = etree.fromstring(data, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    walker = _Walker(url, headers.get("content-language"))
    try:
        walker.document(root)
    except Exception:  # _Unsupported; and a bug here must cost speed, never a feed
        return None
    for entry in walker.entries:  # feedparser derives them from the links on access
        if "links" in entry:
            entry["enclosures"] = [
                {k: v for k, v in link.items() if k != "rel"}
                for link in entry["links"]
                if link["rel"] == "enclosure"
            ]
    return walker.feed, walker.entries


_Frame = list  # [element name, expecting text, pieces]
#: Frames whose text reader.parse reads, or whose end handler uses it; the text of any
#: other element (``slash:comments``, ``itunes:duration``...) is stored by feedparser
#: under a key nothing reads, so it is not processed at all.
_KEPT_FRAMES = frozenset(
    [
        "title",
        "link",
        "id",
        "description",
        "summary",
        "content",
        "published",
        "updated",
        "author",
        "category",
        "itunes_keywords",
        "media_keywords",
        "language",
        "ttl",
        "date",
        "name",
        "email",
        "href",
        "source",
        "subtitle",
        "rights",
        "info",
    ]
)
#: feedparser's FeedParserDict stores these keys under other names.
_KEYMAP = {"description": "summary", "date": "updated"}
_UNDECLARED = ":"  # not a name: marks a tag whose prefix no namespace was declared for
_NAMES: dict[tuple[str, str | None], str] = {}  # (lxml tag, prefix) -> feedparser's name


def _name_of(tag: str, given_prefix: str | None) -> str:
    """The name feedparser gives an element: its namespace's usual prefix and the local
    name, lower-cased (``content:encoded``, ``pubdate``); an unknown namespace keeps
    the document's own prefix."""
    if tag[0] == "{":
        namespace, _, local = tag[1:].partition("}")
        namespace = namespace.lower()
    else:
        namespace, local = "", tag
    local = local.lower()
    if ":" in local:  # a prefix no namespace was declared for: feedparser gives up
        return _UNDECLARED
    if _USERLAND in namespace:
        namespace = "http://backend.userland.com/rss"
    prefix = _NAMESPACES.get(namespace)
    if prefix is None:
        prefix = given_prefix
    return f"{prefix.lower()}:{local}" if prefix else local


class _Walker:
    """feedparser's mixin state machine, driven by an lxml tree instead of SAX events."""

    def __init__(self, base: str, lang: str | None) -> None:
        self.feed: dict[str, Any] = {}
        self.entries: list[dict[str, Any]] = []
        self.version = ""
        self.base = base
        self.lang = lang
        if lang:
            self.feed["language"] = lang.replace("_", "-")
        self.basestack: list[str] = []
        self.langstack: list[str | None] = []
        self.stack: list[_Frame] = []
        self.depth = 0
        self.title_depth = -1
        self.infeed = self.inentry = self.insource = self.inimage = self.intextinput = 0
        self.inauthor = self.incontributor = self.inpublisher = 0
        self.incontent = 0
        self.has_content = 0
        self.guidislink = False
        self.summary_key: str | None = None
        self.contentparams: dict[str, Any] = {}
        self.sourcedata: dict[str, Any] = {}
        self.depths: dict[int, dict[str, int]] = {}  # id(entry) -> key -> depth stored at

    # --- the document ---------------------------------------------------------------

    def document(self, root) -> None:
        local = etree.QName(root).localname.lower()
        namespace = (etree.QName(root).namespace or "").lower()
        declared = {uri.lower() for uri in root.nsmap.values()}
        if local == "rss":
            self.version = "rss"
        elif local == "feed" and namespace == _ATOM:
            self.version = "atom10"
        elif local == "feed" and namespace in ("", "http://purl.org/atom/ns#"):
            if _ATOM in declared:
                raise _Unsupported("an old Atom root declaring Atom 1.0")
            self.version = "atom03" if root.get("version") == "0.3" else "atom"
        elif local == "rdf" and namespace == "http://www.w3.org/1999/02/22-rdf-syntax-ns#":
            # feedparser takes the version from the first known namespace declared, in
            # document order, which lxml does not keep: only the common case is read
            if _ATOM in declared or _RSS090 in declared:
                raise _Unsupported("an RDF root declaring several feed namespaces")
            self.version = "rss10"
        else:
            raise _Unsupported("not a feed root")
        self.element(root)

    def name_of(self, element) -> str:
        key = (element.tag, element.prefix)
        name = _NAMES.get(key)
        if name is None:
            name = _NAMES[key] = _name_of(*key)
            if len(_NAMES) > 4096:  # a document inventing names: forget, don't grow
                _NAMES.clear()
        if name == _UNDECLARED:
            raise _Unsupported("an undeclared namespace prefix")
        return name

    def attributes(self, element) -> dict[str, str]:
        if not len(element.attrib):
            return {}
        found: dict[str, str] = {}
        for key, value in element.attrib.items():
            if key[0] == "{":
                namespace, _, local = key[1:].partition("}")
                prefix = _NAMESPACES.get(namespace.lower(), "")
                if namespace == _XML_NS:
                    given = "xml"
                else:
                    given = next(
                        (p for p, uri in element.nsmap.items() if uri == namespace and p), None
                    )
                names = [f"{prefix}:{local}" if prefix else local]
                if given:
                    names.append(f"{given}:{local}")
            else:
                names = [key]
            for name in names:
                name = name.lower()
                found[name] = value.lower() if name in ("rel", "type") else value
        return found

    def element(self, element) -> None:
        name = self.name_of(element)
        attrs = self.attributes(element)
        self.start(name, attrs)
        text = element.text
        if text:
            self.data(text)
        for child in element:
            self.element(child)
            if child.tail:
                self.data(child.tail)
        self.end(name)

    def data(self, text: str) -> None:
        """Text of the document: escaped inside XHTML content, where it sits in markup."""
        if self.contentparams.get("type") == "application/xhtml+xml":
            text = escape(text)
        self.data_raw(text)

    # --- unknown_starttag / unknown_endtag ----------------------------------------------

    def start(self, name: str, attrs: dict[str, str]) -> None:
        """feedparser's unknown_starttag (its quirk included: a ``<div>`` inside escaped
        content adds no markup, and when it ends before other markup turns the content
        into XHTML, its end is skipped, depth and stacks included)."""
        self.depth += 1
        given_base = attrs.get("xml:base", attrs.get("base"))
        if given_base:
            if self.base:
                self.base = _safe_absolute(self.base, given_base) or self.base
            else:
                self.base = _urljoin(self.base, given_base)
        lang = attrs.get("xml:lang", attrs.get("lang"))
        if lang == "":
            lang = None
        elif lang is None:
            lang = self.lang
        if lang and name in ("feed", "rss"):  # feedparser also names "rdf:RDF", never matched
            self.feed["language"] = lang.replace("_", "-")
        self.lang = lang
        self.basestack.append(self.base)
        self.langstack.append(lang)

        if self.incontent and not self.contentparams.get("type", "xml").endswith("xml"):
            if name in ("xhtml:div", "div"):
                return
            self.contentparams["type"] = "application/xhtml+xml"
        if self.incontent and self.contentparams.get("type") == "application/xhtml+xml":
            tag = name.split(":", 1)[1] if ":" in name else name
            if tag in ("svg", "math"):
                raise _Unsupported("svg or math inside content")
            markup = "".join(
                ' {}="{}"'.format(k, escape(v, {'"': "&quot;"})) for k, v in attrs.items()
            )
            self.data_raw(f"<{tag}{markup}>")
            return

        # feedparser's "special hack" for empty image and textinput elements
        if ":" not in name:
            if name not in ("title", "link", "description", "name"):
                self.intextinput = 0
            if name not in ("title", "link", "description", "url", "href", "width", "height"):
                self.inimage = 0

        handler = _STARTS.get(name)
        if handler is not None:
            handler(self, attrs)
            return
        method = name.replace(":", "_")
        if method in _FP_HANDLED:
            raise _Unsupported(f"feedparser handles <{name}>")
        if method in _READ_KEYS:
            raise _Unsupported(f"<{name}> would overwrite a field")
        self.unhandled(method, attrs)

    def unhandled(self, frame: str, attrs: dict[str, str]) -> None:
        """What feedparser does with an element it has no start handler for: its
        attributes are kept aside, else its text gets a frame of its own."""
        if attrs:
            self.context()[frame] = attrs
        else:
            self.push(frame, True)

    def end(self, name: str) -> None:
        method = name.replace(":", "_")
        handler = _ENDS.get(name)
        if handler is not None:
            handler(self)
        else:
            self.pop(method)
        if self.incontent and not self.contentparams.get("type", "xml").endswith("xml"):
            if name in ("xhtml:div", "div"):
                return
            self.contentparams["type"] = "application/xhtml+xml"
        if self.incontent and self.contentparams.get("type") == "application/xhtml+xml":
            tag = name.split(":")[-1]
            self.data_raw(f"</{tag}>")
        if self.basestack:
            self.basestack.pop()
            if self.basestack and self.basestack[-1]:
                self.base = self.basestack[-1]
        if self.langstack:
            self.langstack.pop()
            if self.langstack:
                self.lang = self.langstack[-1]
        self.depth -= 1

    def data_raw(self, text: str) -> None:
        if self.stack:
            self.stack[-1][2].append(text)

    # --- the element stack ----------------------------------------------------------

    def context(self) -> dict[str, Any]:
        if self.insource:
            return self.sourcedata
        if self.inimage and "image" in self.feed:
            return self.feed["image"]
        if self.intextinput:
            return self.feed["textinput"]
        if self.inentry:
            return self.entries[-1]
        return self.feed

    def push(self, name: str, expecting_text: bool | int) -> None:
        self.stack.append([name, expecting_text, []])

    def push_content(self, name: str, attrs: dict[str, str], default_type: str, expecting) -> None:
        self.incontent += 1
        if self.lang:
            self.lang = self.lang.replace("_", "-")
        self.contentparams = {
            "type": _map_content_type(attrs.get("type", default_type)),
            "language": self.lang,
            "base": self.base,
        }
        self.contentparams["base64"] = self.is_base64(attrs)
        self.push(name, expecting)

    def is_base64(self, attrs: dict[str, str]) -> int:
        if attrs.get("mode", "") == "base64":
            return 1
        content_type = self.contentparams["type"]
        if content_type.startswith("text/") or content_type.endswith(("+xml", "/xml")):
            return 0
        return 1

    def pop_content(self, name: str) -> str | None:
        value = self.pop(name)
        self.incontent -= 1
        self.contentparams.clear()
        return value

    def pop(self, element: str, strip_whitespace: bool = True) -> str | None:
        if not self.stack or self.stack[-1][0] != element:
            return None
        element, expecting_text, pieces = self.stack.pop()
        if element not in _KEPT_FRAMES:  # feedparser stores it under a key no one reads
            return "".join(pieces)
        if self.version == "atom10" and self.contentparams.get("type", "text") == (
            "application/xhtml+xml"
        ):
            pieces = _strip_div(pieces)
        output = "".join(pieces)
        if strip_whitespace:
            output = output.strip()
        if not expecting_text:
            return output
        if self.contentparams.get("base64", 0):
            with contextlib.suppress(binascii.Error, binascii.Incomplete, UnicodeDecodeError):
                output = base64.decodebytes(output.encode("utf8")).decode("utf8")
        if element in _RELATIVE_URI and output and (element != "id" or self.guidislink):
            output = _join(self.base or "", output)
        if (
            not self.version.startswith("atom")
            and self.contentparams.get("type") == "text/plain"
            and _looks_like_html(output)
        ):
            self.contentparams["type"] = "text/html"
        self.contentparams.pop("mode", None)
        self.contentparams.pop("base64", None)
        if not output.isascii():  # both steps leave ASCII as it is
            # feedparser's fix for UTF-8 read as Latin-1 and written again
            with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
                output = output.encode("iso-8859-1").decode("utf-8")
            if _C1.search(output):  # translate() with a dict is slow: only when needed
                output = output.translate(_CP1252)
        if element in ("category", "tags", "itunes_keywords"):
            return output
        if element == "title" and -1 < self.title_depth <= self.depth:
            return output
        if self.inentry and not self.insource:
            entry = self.entries[-1]
            if element == "content":
                entry.setdefault(element, [])
                params = dict(self.contentparams)
                params["value"] = output
                entry[element].append(params)
            elif element == "link":
                if not self.inimage:
                    output = output.replace("&amp;", "&")
                    output = _ENTITY_LIKE.sub(r"&\g<1>", output)
                    entry[element] = output
                    if output:
                        entry["links"][-1]["href"] = output
            else:
                element = _KEYMAP.get(element, element)
                depths = self.depths.setdefault(id(entry), {})
                old = depths.get(element)
                if old is None or self.depth <= old:
                    depths[element] = self.depth
                    entry[element] = output
                if self.incontent:
                    params = dict(self.contentparams)
                    params["value"] = output
                    entry[element + "_detail"] = params
        elif self.infeed or self.insource:
            context = self.context()
            if element == "description":
                element = "subtitle"
            context[element] = output
            if element == "link":
                output = _ENTITY_LIKE.sub(r"&\g<1>", output)
                context[element] = output
                context["links"][-1]["href"] = output
            elif self.incontent:
                params = dict(self.contentparams)
                params["value"] = output
                context[element + "_detail"] = params
        return output

    def save(self, key: str, value: Any, overwrite: bool = False) -> None:
        context = self.context()
        if overwrite:
            context[key] = value
        else:
            context.setdefault(key, value)

    # --- authors and tags -----------------------------------------------------------

    def save_author(self, key: str, value: str | None) -> None:
        context = self.context()
        context.setdefault("author_detail", {})[key] = value
        self.sync_author()
        context.setdefault("authors", [{}])
        context["authors"][-1][key] = value

    def sync_author(self) -> None:
        context = self.context()
        detail = context.get("authors", [{}])[-1]
        if detail:
            name, email = detail.get("name"), detail.get("email")
            if name and email:
                context["author"] = f"{name} ({email})"
            elif name:
                context["author"] = name
            elif email:
                context["author"] = email
        # else feedparser splits the text into a name and an email in author_detail,
        # which reader.parse does not read; ``author`` itself stays as written

    def add_tag(self, term: str | None, scheme: str | None, label: str | None) -> None:
        tags = self.context().setdefault("tags", [])
        if not term and not scheme and not label:
            return
        value = {"term": term, "scheme": scheme, "label": label}
        if value not in tags:
            tags.append(value)


def _strip_div(pieces: list[str]) -> list[str]:
    """feedparser drops an Atom xhtml content's enclosing ``<div>``."""
    while pieces and len(pieces) > 1 and not pieces[-1].strip():
        del pieces[-1]
    while pieces and len(pieces) > 1 and not pieces[0].strip():
        del pieces[0]
    if (
        pieces
        and (pieces[0] == "<div>" or pieces[0].startswith("<div "))
        and pieces[-1] == "</div>"
    ):
        depth = 0
        for piece in pieces[:-1]:
            if piece.startswith("</"):
                depth -= 1
                if depth == 0:
                    break
            elif piece.startswith("<") and not piece.endswith("/>"):
                depth += 1
        else:
            pieces = pieces[1:-1]
    return pieces


# --- handlers: feedparser's _start_* / _end_* for what is replayed -------------------------


def _start_channel(w: _Walker, attrs: dict[str, str]) -> None:
    w.infeed = 1
    if "lastmod" in attrs or "href" in attrs:
        raise _Unsupported("CDF attributes")


def _end_channel(w: _Walker) -> None:
    w.infeed = 0


def _start_image(w: _Walker, attrs: dict[str, str]) -> None:
    if not w.inentry:
        w.context().setdefault("image", {})
    w.inimage = 1
    w.title_depth = -1
    w.push("image", 0)


def _end_image(w: _Walker) -> None:
    w.pop("image")
    w.inimage = 0


def _start_textinput(w: _Walker, attrs: dict[str, str]) -> None:
    if w.inentry:
        raise _Unsupported("a text input inside an entry")
    w.context().setdefault("textinput", {})
    w.intextinput = 1
    w.title_depth = -1
    w.push("textinput", 0)


def _end_textinput(w: _Walker) -> None:
    w.pop("textinput")
    w.intextinput = 0


def _start_item(w: _Walker, attrs: dict[str, str]) -> None:
    if w.inentry:
        raise _Unsupported("an entry inside an entry")
    w.entries.append({})
    w.push("item", 0)
    w.inentry = 1
    w.guidislink = False
    w.title_depth = -1
    about = attrs.get("rdf:about")
    if about:
        w.context()["id"] = about
    if "lastmod" in attrs or "href" in attrs:
        raise _Unsupported("CDF attributes")


def _end_item(w: _Walker) -> None:
    w.pop("item")
    w.inentry = 0
    w.has_content = 0


def _start_author(w: _Walker, attrs: dict[str, str]) -> None:
    w.inauthor = 1
    w.push("author", 1)
    w.context().setdefault("authors", []).append({})


def _end_author(w: _Walker) -> None:
    w.pop("author")
    w.inauthor = 0
    w.sync_author()


def _start_contributor(w: _Walker, attrs: dict[str, str]) -> None:
    w.incontributor = 1
    w.context().setdefault("contributors", []).append({})
    w.push("contributor", 0)


def _end_contributor(w: _Walker) -> None:
    w.pop("contributor")
    w.incontributor = 0


def _start_dc_contributor(w: _Walker, attrs: dict[str, str]) -> None:
    w.incontributor = 1
    w.context().setdefault("contributors", []).append({})
    w.push("name", 0)


def _end_dc_contributor(w: _Walker) -> None:
    _end_name(w)
    w.incontributor = 0


def _start_name(w: _Walker, attrs: dict[str, str]) -> None:
    w.push("name", 0)


def _end_name(w: _Walker) -> None:
    value = w.pop("name")
    if w.inpublisher:
        return
    if w.inauthor:
        w.save_author("name", value)
    elif w.intextinput:
        w.context()["name"] = value


def _start_email(w: _Walker, attrs: dict[str, str]) -> None:
    w.push("email", 0)


def _end_email(w: _Walker) -> None:
    value = w.pop("email")
    if not w.inpublisher and w.inauthor:
        w.save_author("email", value)


def _start_url(w: _Walker, attrs: dict[str, str]) -> None:
    w.push("href", 1)


def _end_url(w: _Walker) -> None:
    value = w.pop("href")
    if w.inauthor:
        w.save_author("href", value)


def _start_itunes_owner(w: _Walker, attrs: dict[str, str]) -> None:
    w.inpublisher = 1
    w.push("publisher", 0)


def _end_itunes_owner(w: _Walker) -> None:
    w.pop("publisher")
    w.inpublisher = 0


def _pusher(frame: str, expecting: int):
    def start(w: _Walker, attrs: dict[str, str]) -> None:
        w.push(frame, expecting)

    def end(w: _Walker) -> None:
        w.pop(frame)

    return start, end


def _start_published(w: _Walker, attrs: dict[str, str]) -> None:
    w.push("published", 1)


def _end_published(w: _Walker) -> None:
    w.save("published_parsed", _parse_date(w.pop("published")), overwrite=True)


def _start_updated(w: _Walker, attrs: dict[str, str]) -> None:
    w.push("updated", 1)


def _end_updated(w: _Walker) -> None:
    w.save("updated_parsed", _parse_date(w.pop("updated")), overwrite=True)


def _start_category(w: _Walker, attrs: dict[str, str]) -> None:
    w.add_tag(attrs.get("term"), attrs.get("scheme", attrs.get("domain")), attrs.get("label"))
    w.push("category", 1)


def _end_category(w: _Walker) -> None:
    value = w.pop("category")
    if not value:
        return
    tags = w.context()["tags"]
    if tags and not tags[-1]["term"]:
        tags[-1]["term"] = value
    else:
        w.add_tag(value, None, None)


def _start_media_category(w: _Walker, attrs: dict[str, str]) -> None:
    attrs.setdefault("scheme", "http://search.yahoo.com/mrss/category_schema")
    _start_category(w, attrs)


def _start_itunes_category(w: _Walker, attrs: dict[str, str]) -> None:
    w.add_tag(attrs.get("text"), "http://www.itunes.com/", None)
    w.push("category", 1)


def _keywords(frame: str, scheme: str | None):
    start = _generic_start(frame)  # feedparser has no start handler for these

    def end(w: _Walker) -> None:
        value = w.pop(frame)
        for term in (value or "").split(","):
            if term.strip():
                w.add_tag(term.strip(), scheme, None)

    return start, end


def _start_link(w: _Walker, attrs: dict[str, str]) -> None:
    attrs.setdefault("rel", "alternate")
    if attrs["rel"] == "self":
        attrs.setdefault("type", "application/atom+xml")
    else:
        attrs.setdefault("type", "text/html")
    context = w.context()
    attrs = _enforce_href(attrs)
    if "href" in attrs:
        attrs["href"] = _join(w.base or "", attrs["href"])
    expecting = w.infeed or w.inentry or w.insource
    context.setdefault("links", [])
    if not (w.inentry and w.inimage):
        context["links"].append(attrs)
    if "href" in attrs:
        if attrs.get("rel") == "alternate" and _map_content_type(attrs.get("type")) in _HTML_TYPES:
            context["link"] = attrs["href"]
    else:
        w.push("link", expecting)


def _end_link(w: _Walker) -> None:
    w.pop("link")


def _enforce_href(attrs: dict[str, str]) -> dict[str, str]:
    href = attrs.get("url", attrs.get("uri", attrs.get("href")))
    if href:
        attrs.pop("url", None)
        attrs.pop("uri", None)
        attrs["href"] = href
    return attrs


def _start_guid(w: _Walker, attrs: dict[str, str]) -> None:
    w.guidislink = attrs.get("ispermalink", "true") == "true"
    w.push("id", 1)


def _end_guid(w: _Walker) -> None:
    value = w.pop("id")
    w.save("guidislink", w.guidislink and "link" not in w.context())
    if w.guidislink:
        w.save("link", value)


def _expecting(w: _Walker) -> int:
    return w.infeed or w.inentry or w.insource


def _start_title(w: _Walker, attrs: dict[str, str]) -> None:
    w.push_content("title", attrs, "text/plain", _expecting(w))


def _end_title(w: _Walker) -> None:
    value = w.pop_content("title")
    if value:
        w.title_depth = w.depth


def _end_media_title(w: _Walker) -> None:
    title_depth = w.title_depth
    _end_title(w)
    w.title_depth = title_depth


def _start_description(w: _Walker, attrs: dict[str, str]) -> None:
    if "summary" in w.context() and not w.has_content:
        w.summary_key = "content"
        _start_content(w, attrs)
    else:
        w.push_content("description", attrs, "text/html", _expecting(w))


def _start_abstract(w: _Walker, attrs: dict[str, str]) -> None:
    w.push_content("description", attrs, "text/plain", _expecting(w))


def _end_description(w: _Walker) -> None:
    if w.summary_key == "content":
        _end_content(w)
    else:
        w.pop_content("description")
    w.summary_key = None


def _start_summary(w: _Walker, attrs: dict[str, str]) -> None:
    if "summary" in w.context() and not w.has_content:
        w.summary_key = "content"
        _start_content(w, attrs)
    else:
        w.summary_key = "summary"
        w.push_content("summary", attrs, "text/plain", 1)


def _end_summary(w: _Walker) -> None:
    if w.summary_key == "content":
        _end_content(w)
    else:
        w.pop_content(w.summary_key or "summary")
    w.summary_key = None


def _start_content(w: _Walker, attrs: dict[str, str]) -> None:
    w.has_content = 1
    w.push_content("content", attrs, "text/plain", 1)
    src = attrs.get("src")
    if src:
        w.contentparams["src"] = src
    w.push("content", 1)  # feedparser pushes twice; the first frame is never popped


def _start_body(w: _Walker, attrs: dict[str, str]) -> None:
    w.push_content("content", attrs, "application/xhtml+xml", 1)


def _start_content_encoded(w: _Walker, attrs: dict[str, str]) -> None:
    w.has_content = 1
    w.push_content("content", attrs, "text/html", 1)


def _end_content(w: _Walker) -> None:
    copy_to_summary = _map_content_type(w.contentparams.get("type", "")) in _COPY_TO_SUMMARY
    value = w.pop_content("content")
    if copy_to_summary:
        w.save("summary", value)


def _start_enclosure(w: _Walker, attrs: dict[str, str]) -> None:
    attrs = _enforce_href(attrs)
    attrs["rel"] = "enclosure"
    w.context().setdefault("links", []).append(attrs)


def _start_source(w: _Walker, attrs: dict[str, str]) -> None:
    if "url" in attrs:
        w.sourcedata["href"] = attrs["url"]
    w.push("source", 1)
    w.insource = 1
    w.title_depth = -1


def _end_source(w: _Walker) -> None:
    w.insource = 0
    value = w.pop("source")
    if value:
        w.sourcedata["title"] = value
    w.context()["source"] = dict(w.sourcedata)
    w.sourcedata.clear()


def _start_language(w: _Walker, attrs: dict[str, str]) -> None:
    w.push("language", 1)


def _end_language(w: _Walker) -> None:
    w.lang = w.pop("language")


def _content_like(frame: str):
    def start(w: _Walker, attrs: dict[str, str]) -> None:
        w.push_content(frame, attrs, "text/plain", 1)

    def end(w: _Walker) -> None:
        w.pop_content(frame)

    return start, end


def _no_frame(w: _Walker, attrs: dict[str, str]) -> None:
    pass  # feedparser keeps the attributes aside; text goes to the enclosing element


def _generic_start(frame: str):
    def start(w: _Walker, attrs: dict[str, str]) -> None:
        w.unhandled(frame, attrs)

    return start


def _popper(frame: str):
    def end(w: _Walker) -> None:
        w.pop(frame, strip_whitespace=False)

    return end


def _start_media_content(w: _Walker, attrs: dict[str, str]) -> None:
    w.context().setdefault("media_content", []).append(attrs)


_STARTS: dict[str, Any] = {}
_ENDS: dict[str, Any] = {}


def _register(names: str, start, end) -> None:
    for name in names.split():
        if start is not None:
            _STARTS[name] = start
        if end is not None:
            _ENDS[name] = end


_register("rss", _no_frame, None)  # the version was read from the root
_register("channel feed", _start_channel, _end_channel)
_register("image", _start_image, _end_image)
_register("textinput", _start_textinput, _end_textinput)
_register("item entry", _start_item, _end_item)
_register("author managingeditor dc:author dc:creator itunes:author", _start_author, _end_author)
_register("contributor", _start_contributor, _end_contributor)
_register("dc:contributor", _start_dc_contributor, _end_dc_contributor)
_register("name itunes:name", _start_name, _end_name)
_register("email itunes:email", _start_email, _end_email)
_register("url homepage uri", _start_url, _end_url)
_register("itunes:owner", _start_itunes_owner, _end_itunes_owner)
_register("published issued pubdate dcterms:issued", _start_published, _end_published)
_register("updated modified lastbuilddate dc:date dcterms:modified", _start_updated, _end_updated)
_register("category keywords dc:subject", _start_category, _end_category)
_register("media:category", _start_media_category, _end_category)
_register("itunes:category", _start_itunes_category, _end_category)
_register("itunes:keywords", *_keywords("itunes_keywords", "http://www.itunes.com/"))
_register("media:keywords", *_keywords("media_keywords", None))
_register("link", _start_link, _end_link)
_register("guid id", _start_guid, _end_guid)
_register("title dc:title", _start_title, _end_title)
_register("media:title", _start_title, _end_media_title)
_register("description dc:description media:description", _start_description, _end_description)
_register("abstract", _start_abstract, _end_description)
_register("summary itunes:summary", _start_summary, _end_summary)
_register("content", _start_content, _end_content)
_register("body xhtml:body", _start_body, _end_content)
_register("content:encoded fullitem", _start_content_encoded, _end_content)
_register("enclosure", _start_enclosure, None)
_register("source", _start_source, _end_source)
_register("language dc:language", _start_language, _end_language)
_register("subtitle tagline itunes:subtitle", *_content_like("subtitle"))
_register("rights copyright dc:rights", *_content_like("rights"))
_register("info feedburner:browserfriendly", *_content_like("info"))
_register("generator", *_pusher("generator", 1))
_register("created dcterms:created", *_pusher("created", 1))
_register("expirationdate", *_pusher("expired", 1))
_register("newlocation", *_pusher("newlocation", 1))
_register("width", *_pusher("width", 0))
_register("height", *_pusher("height", 0))
_register("webmaster dc:publisher", *_pusher("publisher", 1))
_register("itunes:image itunes:link", *_pusher("itunes_image", 0))
_register("media:rating", *_pusher("rating", 1))
_register("media:credit", *_pusher("credit", 1))
_register("media:restriction", *_pusher("restriction", 1))
_register("media:license", *_pusher("license", 1))
_register("media:thumbnail", *_pusher("url", 1))
_register("media:player", *_pusher("media_player", 0))
_register("media:content", _start_media_content, None)
_register("media:group cloud psc:chapters psc:chapter", _no_frame, None)
# no start handler in feedparser (a frame when there are no attributes), an end that pops
for _name in ("itunes:explicit", "itunes:block"):
    _frame = _name.replace(":", "_")
    _register(_name, _generic_start(_frame), _popper(_frame))
