"""parse.py: the real-world corpus, and the publisher mistakes we forgive."""

from __future__ import annotations

import functools
import gzip
import re
import subprocess
import sys
import unicodedata

import pytest

from reader.errors import ParseError
from reader.parse import parse_feed
from tests.conftest import CORPUS, corpus_manifest

MANIFEST = corpus_manifest()
FEED_FILES = sorted(name for name, row in MANIFEST.items() if row["format"] != "other")
NOT_FEEDS = sorted(name for name, row in MANIFEST.items() if "NOT A FEED" in row["notes"])


@functools.cache
def parsed(name: str):
    """Each corpus file is parsed once per test session (the corpus takes ~10 s)."""
    return parse_feed((CORPUS / name).read_bytes(), f"https://example.com/{name}")


MOJIBAKE = re.compile("Ã[\u0080-\u00bf©¨§ ]|â€|Ã¤|Ã¶|Ã¼")


def test_every_feed_file_yields_its_items_with_readable_titles(corpus_dir):
    """All well-formed feeds (and the broken ones feedparser can read) give their items."""
    short = []
    for name in FEED_FILES:
        row = MANIFEST[name]
        feed = parsed(name)
        expected = int(row["items"])
        # a regex count of <item>/<entry>, including empty items from broken nesting
        if len(feed.entries) < expected * 0.5 or (expected and not feed.entries):
            short.append((name, len(feed.entries), expected))
        for entry in feed.entries:
            assert entry.title, name
            assert entry.title == entry.title.strip()
            assert "\n" not in entry.title
            assert not any(unicodedata.category(c) == "Cc" for c in entry.title), name
            assert not any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in entry.text)
            assert len(entry.title) <= 400
            if entry.link:
                assert "://" in entry.link or entry.link.startswith(("mailto:", "urn:")), entry.link
    assert not short, short


def test_ids_are_unique_within_each_feed(corpus_dir):
    for name in FEED_FILES:
        feed = parsed(name)
        keys = [e.key for e in feed.entries]
        assert len(keys) == len(set(keys)), name


@pytest.mark.parametrize("name", NOT_FEEDS)
def test_html_pages_are_a_clear_parse_error(corpus_dir, name):
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed((corpus_dir / name).read_bytes(), "https://example.com/x")


def test_no_mojibake_in_titles(corpus_dir):
    """Legacy encodings decode right, and double-encoded UTF-8 from publishers is repaired."""
    checked = 0
    for name in FEED_FILES:
        feed = parsed(name)
        for entry in feed.entries:
            assert not MOJIBAKE.search(entry.title), (name, entry.title)
            assert "\ufffd" not in entry.title, (name, entry.title)
        checked += 1
    assert checked > 170


def test_double_encoded_publishers_are_repaired(corpus_dir):
    feed = parse_feed(
        (corpus_dir / "codehollow-feedreader__Rss10Minutos20Catalans.xml").read_bytes(),
        "https://x/",
    )
    assert any("Cataluña" in e.title + e.text for e in feed.entries)
    assert not any("Ã±" in e.title + e.text for e in feed.entries)


def test_legacy_encodings_decode(corpus_dir):
    latin1 = [n for n in FEED_FILES if "ISO-8859-1" in MANIFEST[n]["notes"]]
    assert latin1
    for name in latin1:
        feed = parsed(name)
        text = " ".join(e.title + e.text for e in feed.entries)
        if MANIFEST[name]["language"] in ("de", "fr"):
            assert re.search("[äöüßéèàç]", text), name


# Feeds in a legacy encoding that declare none (old blog engines): the corpus has three.
UNDECLARED = [
    ("feedparser__euckr.xml", "EUC-KR 에서 TypeKey 한글닉네임 표시하기"),
    ("feedparser__tis620.xml", "สำนักงานส่งเสริมอุตสาหกรรมซอฟต์แวร์แห่งชาติ"),
    ("feedparser__windows1255.xml", "האם תדפיס נייר של אתר אינטרנט"),
]


@pytest.mark.parametrize(("name", "expected"), UNDECLARED)
@pytest.mark.parametrize("content_type", [None, "text/xml", "application/rss+xml"])
@pytest.mark.parametrize("fast", [True, False])
def test_undeclared_legacy_encodings_are_detected(corpus_dir, name, expected, content_type, fast):
    headers = {"content-type": content_type} if content_type else {}
    feed = parse_feed((corpus_dir / name).read_bytes(), "https://x/", headers, fast=fast)
    (entry,) = feed.entries
    assert expected in entry.title + " " + entry.text


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Čeština: příliš žluťoučký kůň úpěl ďábelské ódy", "cp1250"),
        ("Zażółć gęślą jaźń: wiadomości z Łodzi", "cp1250"),
        ("Русские новости: в Москве представили модель", "cp1251"),
        ("Ελληνικά νέα από την Αθήνα για το μοντέλο", "iso8859-7"),
        ("العربية: أخبار من القاهرة عن النموذج", "cp1256"),
    ],
)
def test_a_short_undeclared_item_in_a_legacy_code_page(text, encoding):
    """A news item gives chardet little text: its confidence is low (0.02-0.25 on these),
    its answer right."""
    body = f"<rss><channel><item><title>{text}</title><description>{text}. Brief.</description></item></channel></rss>"
    feed = parse_feed(body.encode(encoding), "https://x/", {"content-type": "text/xml"})
    assert feed.entries[0].title == text


def test_undeclared_latin_text_reads_as_windows_1252():
    """A Latin text with a few accented letters gives a detector little to go on: it is
    read as the web reads undeclared bytes, curly quotes included."""
    body = (
        RSS.replace('<?xml version="1.0" encoding="utf-8"?>\n', "")
        .replace("Second", "\u201cSecond\u201d \u2013 d\u00e9j\u00e0")
        .encode("windows-1252")
    )
    for content_type in ("text/xml", "application/xml"):
        feed = parse_feed(body, "https://x/", {"content-type": content_type})
        assert feed.entries[1].title == "\u201cSecond\u201d \u2013 d\u00e9j\u00e0"
        assert feed.entries[2].title == "Troisième"


@pytest.mark.parametrize("content_type", [None, "application/rss+xml"])
def test_an_html_page_in_a_legacy_encoding_is_still_an_html_page(content_type):
    page = "<!DOCTYPE html><html><body><p>Désolé, page introuvable</p></body></html>"
    headers = {"content-type": content_type} if content_type else {}
    with pytest.raises(ParseError, match="HTML page"):
        parse_feed(page.encode("windows-1252"), "https://x/", headers)


def test_utf8_with_a_few_stray_bytes_stays_utf8():
    """A UTF-8 document with one Windows-1252 byte in it (a template around the content)
    keeps its UTF-8 text; the stray byte is read as Windows-1252, not the whole file."""
    body = RSS.replace("Troisième", "Troisième \u2014 l\u2019été, 東京").encode()
    body = body.replace(b"Second", b"Second\x92s")
    feed = parse_feed(body, "https://x/")
    assert feed.entries[1].title == "Second\u2019s"
    assert feed.entries[2].title == "Troisième \u2014 l\u2019été, 東京"


def test_chardet_is_imported_only_for_undeclared_legacy_bytes(corpus_dir):
    """feedparser would import chardet in every process that parses (~90 ms) and run it
    before UTF-8 on text/xml documents without a charset; it is only needed for bytes
    that neither a declared encoding nor UTF-8 reads."""
    script = f"""
import sys
from pathlib import Path
from reader.parse import parse_feed
undeclared_utf8 = {RSS.split("?>", 1)[1].encode()!r}
for name in ("codehollow-feedreader__Rss20LeParisien.xml",
             "codehollow-feedreader__Rss20ISO88591Intranet30.xml"):
    parse_feed(Path({str(corpus_dir)!r}, name).read_bytes(), "https://x/")
for fast in (True, False):
    parse_feed(undeclared_utf8, "https://x/", {{"content-type": "text/xml"}}, fast=fast)
assert "chardet" not in sys.modules, "imported for a document that did not need it"
parse_feed(Path({str(corpus_dir)!r}, "feedparser__euckr.xml").read_bytes(), "https://x/")
assert "chardet" in sys.modules
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Chan &amp; Co</title><link>https://site.example/blog/</link>
<ttl>90</ttl><language>fr-FR</language>
<item><title>Premier &lt;b&gt;titre&lt;/b&gt;</title><link>/posts/1</link><guid>g1</guid>
<description>&lt;p&gt;Bonjour &amp;amp; bienvenue.&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;</description>
<pubDate>Tue, 10 Jun 2025 12:00:00 +0200</pubDate></item>
<item><title>Second</title><link>https://site.example/2</link></item>
<item><title>Troisième</title><description>Sans lien ni guid</description></item>
</channel></rss>"""


def test_entry_fields_are_plain_text_absolute_and_utc():
    feed = parse_feed(RSS.encode(), "https://site.example/feed.xml")
    assert feed.title == "Chan & Co" and feed.ttl_minutes == 90 and feed.lang == "fr"
    first, second, third = feed.entries
    assert first.key == "https://site.example/g1"  # feedparser reads a guid as a permalink
    assert first.link == "https://site.example/posts/1"
    assert first.text == "Bonjour & bienvenue."
    assert first.published == 1749549600.0  # 10:00 UTC
    assert second.key == "https://site.example/2"
    assert third.key.startswith("hash:") and third.link == ""
    assert third.published is None


def test_xml_base_is_honoured():
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://base.example/news/">
<title>A</title><id>urn:a</id><updated>2025-01-01T00:00:00Z</updated>
<entry><title>E</title><id>urn:e</id><updated>2025-01-01T00:00:00Z</updated>
<link href="item/1"/></entry></feed>"""
    feed = parse_feed(atom, "https://elsewhere.example/feed")
    assert feed.entries[0].link == "https://base.example/news/item/1"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b"\n\n   " + b,  # whitespace before <?xml
        lambda b: b"\xef\xbb\xbf\n  " + b,  # BOM then whitespace
        lambda b: gzip.compress(b),  # gzip body without Content-Encoding
    ],
)
def test_common_publisher_mistakes_are_forgiven(mangle):
    feed = parse_feed(mangle(RSS.encode()), "https://site.example/feed.xml")
    assert len(feed.entries) == 3 and feed.title == "Chan & Co"


def test_wrong_declared_charset_still_reads():
    body = RSS.replace("Troisième", "Troisi\u00e8me").encode("latin-1")
    feed = parse_feed(body, "https://site.example/feed.xml")  # declared utf-8, really latin-1
    assert feed.entries[2].title == "Troisième"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty response"),
        (b"   \n", "empty response"),
        (b"<!DOCTYPE html><html><body>Hi</body></html>", "HTML page"),
        (b"\x00\x01garbage\xff", "not a feed"),
        (b'{"json": true}', "not a feed"),
        (b"# Notes\n\nEach is one item in a minimal `<rss>` wrapper.\n", "not a feed"),
    ],
)
def test_not_feeds_are_errors(body, message):
    with pytest.raises(ParseError, match=message):
        parse_feed(body, "https://x.example/feed")


def test_duplicate_guids_do_not_merge_distinct_items():
    items = "".join(
        f"<item><title>T{i}</title><link>https://x/same</link></item>" for i in range(4)
    )
    body = f'<rss version="2.0"><channel><title>x</title>{items}</channel></rss>'.encode()
    feed = parse_feed(body, "https://x/feed")
    assert [e.title for e in feed.entries] == ["T0", "T1", "T2", "T3"]
    assert len({e.key for e in feed.entries}) == 4
