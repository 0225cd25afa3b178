"""The lxml fast path reads every feed the way feedparser does (reader/feedxml.py).

feedparser is the oracle: each test parses the same bytes with ``fast=False`` (always
feedparser) and with the fast path, and the two :class:`ParsedFeed` must be equal,
field for field. Tests also check that the fast path was really taken, or really
declined, so agreement cannot come from feedparser reading both.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader import feedxml
from reader.errors import ParseError
from reader.parse import parse_feed

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "feeds" / "real"
URL = "https://example.org/feeds/feed.xml"


@pytest.fixture
def fast_path(monkeypatch):
    """Records, per parse, whether the fast path read the document."""
    taken: list[bool] = []
    read = feedxml.read

    def spy(body, url, headers):
        found = read(body, url, headers)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(feedxml, "read", spy)
    return taken


def both(body: bytes, headers: dict[str, str] | None = None, url: str = URL):
    """(feedparser's result, the fast path's result); a ParseError is a result too."""
    results = []
    for fast in (False, True):
        try:
            results.append(parse_feed(body, url, dict(headers or {}), fast=fast))
        except ParseError as exc:
            results.append(("error", str(exc)))
    return results


def agree_on_the_fast_path(body: bytes) -> None:
    """Both paths give the same feed, and the fast path did read it (Hypothesis runs the
    test body many times per test: no function-scoped spy fixture there)."""
    slow, fast = both(body)
    assert fast == slow
    assert feedxml.read(body, URL, {}) is not None


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing: {CORPUS}")
    return sorted(p for p in CORPUS.iterdir() if p.suffix not in (".tsv", ".md"))


@pytest.mark.parametrize("content_type", [None, "application/rss+xml; charset=utf-8"])
def test_every_corpus_feed_reads_the_same_on_both_paths(fast_path, content_type):
    headers = {"content-type": content_type} if content_type else {}
    differ = []
    for path in corpus_files():
        url = f"https://corpus.example/{path.name}"
        slow, fast = both(path.read_bytes(), headers, url)
        if slow != fast:
            differ.append(path.name)
    assert differ == []
    # the fast path read most of them (the rest are malformed or use what it declines)
    assert sum(fast_path) >= 160, f"fast path taken for {sum(fast_path)} feeds only"


def rss(items: str, channel: str = "", root_attrs: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:media="http://search.yahoo.com/mrss/" '
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
        f'xmlns:atom="http://www.w3.org/2005/Atom"{root_attrs}>'
        f"<channel><title>Feed</title><link>https://example.org/</link>{channel}"
        f"{items}</channel></rss>"
    ).encode()


def atom(entries: str, feed_attrs: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom"{feed_attrs}><title>Feed</title>'
        f'<link href="https://example.org/"/><id>urn:feed</id>{entries}</feed>'
    ).encode()


QUIRKS = {
    # a guid that is a permalink is resolved against the base and becomes the link
    "relative permalink guid": rss("<item><title>A</title><guid>posts/1</guid></item>"),
    "guid not a permalink": rss(
        '<item><title>A</title><guid isPermaLink="false">posts/1</guid></item>'
    ),
    # description then content:encoded: the content wins, the summary stays
    "description and content": rss(
        "<item><title>A</title><description>short</description>"
        "<content:encoded><![CDATA[<p>long <b>text</b></p>]]></content:encoded></item>"
    ),
    # two summaries: feedparser turns the second into content
    "two summaries": rss(
        "<item><title>A</title><itunes:summary>first</itunes:summary>"
        "<description>second, longer</description></item>"
    ),
    # a title that looks like HTML is read as HTML in RSS (not in Atom)
    "html-looking title": rss("<item><title>a &lt;b&gt;bold&lt;/b&gt; move</title></item>"),
    "plain title with ampersand": rss("<item><title>AT&amp;T &amp; co</title></item>"),
    # the first title wins; media:title deeper down does not replace it
    "media title after title": rss(
        "<item><title>Real</title><media:group><media:title>Media</media:title>"
        "</media:group></item>"
    ),
    "media title before title": rss(
        "<item><media:title>Media</media:title><title>Real</title></item>"
    ),
    "dc creator and author": rss(
        "<item><title>A</title><author>x@example.org (Xavier)</author>"
        "<dc:creator>Dora</dc:creator></item>"
    ),
    "categories with domains": rss(
        '<item><title>A</title><category domain="d">One</category><category>Two</category>'
        "<category>Two</category><dc:subject>Three</dc:subject>"
        "<itunes:keywords>four, five</itunes:keywords></item>"
    ),
    "dates": rss(
        "<item><title>A</title><pubDate>Tue, 10 Jun 2003 04:00:00 GMT</pubDate>"
        "<dc:date>2003-06-11T04:00:00Z</dc:date></item>"
    ),
    "enclosure and atom link": rss(
        '<item><title>A</title><atom:link rel="alternate" href="/a"/>'
        '<enclosure url="/e.mp3" length="12" type="audio/mpeg"/></item>'
    ),
    # unescaped XHTML inside an RSS description: serialised back to markup
    "inline xhtml in description": rss(
        '<item><title>A</title><description>Hi &amp; <p class="x">para <a href="/l">'
        "link</a></p> tail</description></item>"
    ),
    # feedparser's <div> quirk inside escaped content
    "div inside description": rss(
        "<item><title>A</title><description>before <div>inside</div> after</description>"
        "<dc:creator>Later</dc:creator></item>"
    ),
    "source element": rss(
        '<item><title>A</title><source url="https://other.example/">Other</source>'
        "<link>https://example.org/a</link></item>"
    ),
    "image inside an item": rss(
        "<item><title>Item</title><image><title>Image title</title><url>/i.png</url>"
        "</image></item>",
        channel="<image><title>Logo</title><url>/logo.png</url></image>",
    ),
    "xml lang on the channel": rss(
        "<item><title>A</title></item>", channel="<language>fr</language>"
    ),
    "atom xhtml content": atom(
        '<entry><title type="html">&lt;i&gt;A&lt;/i&gt;</title><id>urn:1</id>'
        '<link href="/a"/><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
        "<p>Hello <b>world</b></p></div></content><author><name>N</name>"
        "<email>n@example.org</email></author><updated>2024-01-02T03:04:05Z</updated>"
        "</entry>"
    ),
    "atom xml base": atom(
        '<entry xml:base="https://other.example/dir/"><title>A</title><id>urn:2</id>'
        '<link rel="alternate" href="page.html"/><summary>s</summary></entry>',
        feed_attrs=' xml:lang="de"',
    ),
    "atom id as link": atom("<entry><title>A</title><id>https://example.org/x</id></entry>"),
    "rdf": (
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        b' xml:lang="ja"><channel rdf:about="https://example.org/"><title>R</title>'
        b"<link>https://example.org/</link></channel>"
        b'<item rdf:about="https://example.org/1"><title>One</title>'
        b"<dc:date>2004-08-20T10:00:00+09:00</dc:date></item></rdf:RDF>"
    ),
    "latin-1 document": (
        '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel>'
        "<title>Café</title><item><title>Crème brûlée</title></item></channel></rss>"
    ).encode("iso-8859-1"),
}


@pytest.mark.parametrize("name", sorted(QUIRKS))
def test_quirks_read_the_same_on_both_paths(fast_path, name):
    slow, fast = both(QUIRKS[name])
    assert fast == slow
    assert fast_path == [True], "the fast path declined a document it should read"


def test_a_few_quirks_give_what_feedparser_gives():
    """Spot checks that the quirks above are real, not two equal empty results."""
    entry = parse_feed(QUIRKS["relative permalink guid"], URL).entries[0]
    assert entry.key == "https://example.org/feeds/posts/1" == entry.link
    entry = parse_feed(QUIRKS["guid not a permalink"], URL).entries[0]
    assert entry.key == "posts/1"
    entry = parse_feed(QUIRKS["two summaries"], URL).entries[0]
    assert entry.text == "second, longer"
    assert parse_feed(QUIRKS["html-looking title"], URL).entries[0].title == "a bold move"
    assert parse_feed(QUIRKS["media title before title"], URL).entries[0].title == "Real"
    assert parse_feed(QUIRKS["media title after title"], URL).entries[0].title == "Real"
    assert parse_feed(QUIRKS["dc creator and author"], URL).entries[0].author == "Dora"
    entry = parse_feed(QUIRKS["atom xml base"], URL).entries[0]
    assert entry.link == "https://other.example/dir/page.html"
    assert entry.lang == "de"
    entry = parse_feed(QUIRKS["atom xhtml content"], URL).entries[0]
    assert entry.text == "Hello world"
    assert entry.author == "N (n@example.org)"
    assert parse_feed(QUIRKS["rdf"], URL).entries[0].key == "https://example.org/1"
    assert parse_feed(QUIRKS["latin-1 document"], URL).entries[0].title == "Crème brûlée"


DECLINED = {
    "undefined entity": rss("<item><title>a&nbsp;b</title></item>"),
    "not well-formed": rss("<item><title>a & b</title></item>"),
    "georss": rss(
        "<item><title>A</title><georss:point>45 -71</georss:point></item>",
        root_attrs=' xmlns:georss="http://www.georss.org/georss"',
    ),
    "entry inside an entry": rss("<item><title>A</title><item><title>B</title></item></item>"),
    "cdf attributes": rss('<item href="https://example.org/x"><title>A</title></item>'),
    "undeclared prefix": rss("<item><title>A</title><x:y>z</x:y></item>"),
}


@pytest.mark.parametrize("name", sorted(DECLINED))
def test_what_the_fast_path_declines_feedparser_reads(fast_path, name):
    slow, fast = both(DECLINED[name])
    assert fast == slow
    assert fast_path == [False]


# --- random documents: whatever the mix and order of elements, both paths agree -------

_TEXT = st.lists(
    st.sampled_from([*list("ab <>&\"'é€日/:.#?="), "&amp;", "&lt;b&gt;", "\x85", "\x93", "Ã©"]),
    max_size=12,
).map("".join)


def _escaped(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace('"', "&quot;")


_ELEMENTS = st.one_of(
    _TEXT.map(lambda t: f"<title>{_escaped(t)}</title>"),
    _TEXT.map(lambda t: f"<media:title>{_escaped(t)}</media:title>"),
    _TEXT.map(lambda t: f"<dc:title>{_escaped(t)}</dc:title>"),
    _TEXT.map(lambda t: f"<link>{_escaped(t)}</link>"),
    _TEXT.map(lambda t: f'<atom:link href="{_escaped(t)}"/>'),
    st.tuples(_TEXT, st.sampled_from(["", ' isPermaLink="false"', ' isPermaLink="true"'])).map(
        lambda p: f"<guid{p[1]}>{_escaped(p[0])}</guid>"
    ),
    _TEXT.map(lambda t: f"<description>{_escaped(t)}</description>"),
    _TEXT.map(lambda t: f"<description>x <b>{_escaped(t)}</b> <div>d</div></description>"),
    _TEXT.map(lambda t: f"<content:encoded><![CDATA[{t.replace(']', '')}]]></content:encoded>"),
    _TEXT.map(lambda t: f"<itunes:summary>{_escaped(t)}</itunes:summary>"),
    _TEXT.map(lambda t: f"<media:description>{_escaped(t)}</media:description>"),
    _TEXT.map(lambda t: f"<author>{_escaped(t)}</author>"),
    _TEXT.map(lambda t: f"<dc:creator>{_escaped(t)}</dc:creator>"),
    _TEXT.map(lambda t: f"<category>{_escaped(t)}</category>"),
    _TEXT.map(lambda t: f'<category domain="d">{_escaped(t)}</category>'),
    st.just("<pubDate>Tue, 10 Jun 2003 04:00:00 GMT</pubDate>"),
    st.just("<dc:date>2003-06-11T04:00:00Z</dc:date>"),
    _TEXT.map(lambda t: f'<enclosure url="{_escaped(t)}" length="3"/>'),
    _TEXT.map(lambda t: f"<source>{_escaped(t)}</source>"),
    _TEXT.map(lambda t: f"<media:group><media:title>{_escaped(t)}</media:title></media:group>"),
    _TEXT.map(lambda t: f"<unknown>{_escaped(t)}</unknown>"),
    _TEXT.map(lambda t: f'<unknown a="1">{_escaped(t)}</unknown>'),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_ELEMENTS, max_size=8), min_size=1, max_size=3))
def test_random_rss_reads_the_same_on_both_paths(items):
    body = rss("".join(f"<item>{''.join(parts)}</item>" for parts in items))
    agree_on_the_fast_path(body)


_ATOM_ELEMENTS = st.one_of(
    st.tuples(_TEXT, st.sampled_from(["", ' type="text"', ' type="html"', ' type="xhtml"'])).map(
        lambda p: (
            f"<title{p[1]}>{_escaped(p[0])}</title>"
            if "xhtml" not in p[1]
            else f'<title{p[1]}><div xmlns="http://www.w3.org/1999/xhtml">{_escaped(p[0])}</div></title>'
        )
    ),
    _TEXT.map(lambda t: f"<id>{_escaped(t)}</id>"),
    st.tuples(
        _TEXT, st.sampled_from(["", ' rel="alternate"', ' rel="self"', ' rel="enclosure"'])
    ).map(lambda p: f'<link{p[1]} href="{_escaped(p[0])}"/>'),
    _TEXT.map(lambda t: f"<summary>{_escaped(t)}</summary>"),
    st.tuples(_TEXT, st.sampled_from(["", ' type="html"', ' type="text"'])).map(
        lambda p: f"<content{p[1]}>{_escaped(p[0])}</content>"
    ),
    _TEXT.map(
        lambda t: (
            '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
            f"<p>{_escaped(t)}</p></div></content>"
        )
    ),
    _TEXT.map(lambda t: f"<author><name>{_escaped(t)}</name></author>"),
    _TEXT.map(lambda t: f"<author><name>n</name><email>{_escaped(t)}</email></author>"),
    _TEXT.map(lambda t: f'<category term="{_escaped(t)}"/>'),
    st.just("<published>2024-01-02T03:04:05Z</published>"),
    st.just("<updated>2024-01-03T03:04:05+02:00</updated>"),
    _TEXT.map(lambda t: f'<entry-extra xml:lang="fr">{_escaped(t)}</entry-extra>'),
    _TEXT.map(lambda t: f"<source><title>{_escaped(t)}</title><id>urn:s</id></source>"),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(_ATOM_ELEMENTS, max_size=8), min_size=1, max_size=3),
    st.sampled_from(["", ' xml:lang="de"', ' xml:base="https://base.example/d/"']),
)
def test_random_atom_reads_the_same_on_both_paths(entries, entry_attrs):
    body = atom("".join(f"<entry{entry_attrs}>{''.join(parts)}</entry>" for parts in entries))
    agree_on_the_fast_path(body)


_URL_PARTS = st.lists(
    st.sampled_from(
        [*"abXZ09./?#;:@[]%&=+-_~!$'()*,\\ \t\né日ｆ\x00", "//", "..", "?#", ";x", "%2F", "。"]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["http://", "https://", "HTTP://", "https:///", "http:", ""]),
    _URL_PARTS,
    st.sampled_from(["", "https://ex.org/a/b", "http://ex.org/", "ftp://x/", "mailto:x"]),
)
def test_a_plain_absolute_link_skips_the_join_and_gets_what_the_join_gives(scheme, rest, base):
    uri = scheme + rest
    assert feedxml._join(base, uri) == feedxml._urljoin(base, uri)
