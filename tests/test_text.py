"""HTML -> readable text: layout, scripts, hostile input, and the real corpus."""

from __future__ import annotations

import re
import time
from functools import lru_cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

import reader.text
from reader.errors import ParseError
from reader.parse import parse_feed
from reader.text import (
    MAX_HTML_DEPTH,
    clean_block,
    clean_inline,
    counted,
    html_to_text,
    repair_mojibake,
    strip_controls,
)
from tests.conftest import CORPUS, corpus_manifest

# What must never reach the store: escape sequences, C0/C1 controls (newline and tab
# aside), bidi overrides and isolates, zero-width space, BOM; nor the layout sentinels.
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


# --- layout ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("foo<span>bar</span>", "foobar"),  # inline elements do not separate words
        ("<b>bold</b> <i>italic</i>", "bold italic"),
        ("<p>a</p><p>b</p>", "a\n\nb"),
        ("<div>a<div>b</div>c</div>", "a\n\nb\n\nc"),
        ("<h2>Head</h2>text<blockquote>quote</blockquote>tail", "Head\n\ntext\n\nquote\n\ntail"),
        ("line1<br>line2<br/><br />para2", "line1\nline2\n\npara2"),
        ("<p>Suppose we\nwant\n   to</p>", "Suppose we want to"),  # source wrapping
        ("<p>a&nbsp;&amp;&nbsp;b &#8217;&lt;tag&gt;</p>", "a & b ’<tag>"),
        ("<p>x<script>alert(1)</script><style>p{}</style>y</p>", "xy"),
        ("<nav>Home | About</nav><p>Body</p>", "Body"),
        ("<figure><img src=x><figcaption>Photo: AP</figcaption></figure><p>Body</p>", "Body"),
        ("<audio src=a.mp3>Your browser does not support audio.</audio><p>Body</p>", "Body"),
        ("<p>the end.<sup><a href='#fn1'>1</a></sup> Next</p>", "the end. Next"),
        ("<p>10<sup>3</sup> items</p>", "103 items"),  # a real superscript stays
    ],
)
def test_layout(markup: str, expected: str) -> None:
    assert html_to_text(markup) == expected


def test_lists_are_lines_with_bullets_or_numbers() -> None:
    markup = (
        "<p>Intro:</p><ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul>"
        "<ol start='3'><li><p>third</p></li><li>fourth</li></ol><p>After.</p>"
    )
    assert html_to_text(markup) == (
        "Intro:\n\n• one\n• two\n• nested\n\n3. third\n4. fourth\n\nAfter."
    )


def test_tables_are_rows_of_cells() -> None:
    markup = (
        "<table><tr><th>Item</th><th>Price</th></tr>"
        "<tr><td>Pedals</td><td></td><td>$399</td></tr></table><p>Next</p>"
    )
    assert html_to_text(markup) == "Item | Price\nPedals | $399\n\nNext"


def test_preformatted_text_keeps_its_lines() -> None:
    markup = "<p>Code:</p><pre>a = 1\n\nb = &lt;2&gt;\n  c<br>d</pre>"
    assert html_to_text(markup) == "Code:\n\na = 1\n\nb = <2>\nc\nd"


def test_definition_lists() -> None:
    markup = "<dl><dt>Time</dt><dd>21:42 UTC</dd><dt>Depth</dt><dd>3 km</dd></dl>"
    assert html_to_text(markup) == "Time\n21:42 UTC\nDepth\n3 km"


def test_plain_text_with_a_link_keeps_its_line_breaks() -> None:
    # no block element at all: the newlines are the author's
    markup = 'First line\nsecond line\n\nPara two with <a href="/x">a link</a> &amp; more'
    assert html_to_text(markup) == "First line\nsecond line\n\nPara two with a link & more"


def test_loose_text_beside_blocks_keeps_paragraphs() -> None:
    # Slashdot: story text as bare paragraphs, then share links in elements
    markup = (
        '"Quote one," reports X.\n\n  "Quote two."\n\n  Third paragraph.\n'
        "  Fourth paragraph, wrapped\n  in the source.<div><a href=s>share</a></div>"
        "<p>Read more.</p>"
    )
    assert html_to_text(markup) == (
        '"Quote one," reports X.\n\n"Quote two."\n\nThird paragraph.\n'
        "Fourth paragraph, wrapped in the source.\n\nshare\n\nRead more."
    )


def test_text_without_markup_is_only_cleaned() -> None:
    assert html_to_text("  plain text\r\nnext line  ") == "plain text\nnext line"
    assert html_to_text("") == ""
    assert html_to_text(None) == ""


# --- scripts -------------------------------------------------------------------------


def test_cjk_paragraphs_and_source_line_breaks() -> None:
    markup = "<p>日本語の\n文章です。次の文。</p><p>第二段落，中文。</p><p>Hangul 한국어\n문장</p>"
    # no space between CJK characters across a source line break; Korean keeps it
    assert (
        html_to_text(markup)
        == "日本語の文章です。次の文。\n\n第二段落，中文。\n\nHangul 한국어 문장"
    )


def test_ruby_readings_are_dropped() -> None:
    assert (
        html_to_text("<p>漢<ruby>字<rp>(</rp><rt>じ</rt><rp>)</rp></ruby>を読む</p>")
        == "漢字を読む"
    )


def test_ideographic_space_and_fullwidth_text() -> None:
    assert html_to_text("<p>\u3000全角スペース\u3000で始まる。</p>") == "全角スペース で始まる。"


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("cafÃ© itâ€™s", "café it’s"),
        ("VIDÃ‰O - Le cÃ©lÃ¨bre chef", "VIDÉO - Le célèbre chef"),
        ("Brøndby forsøger. PÃ¥ grund af", "Brøndby forsøger. På grund af"),  # mixed
        ("Ð’ ÐœÐ¾Ñ\x81ÐºÐ²Ðµ", "В Москве"),
        ("Î•Î»Î»Î·Î½Î¹ÎºÎ¬", "Ελληνικά"),
        ("æ—¥æœ¬èªž", "日本語"),
        ("itâ\x80\x99s", "it’s"),  # read as Latin-1, not Windows-1252: C1 controls
        ("podcast.Â  Youâ€™re", "podcast.\u00a0 You’re"),  # a no-break space's lost A0
        # "é\xa0»" is also French ("arrivé »"): here the rest of the text is Chinese
        ("ä¸\xadæ–‡é\xa0»ç¹\x81", "中文頻繁"),
    ],
)
def test_mojibake_is_repaired(broken: str, fixed: str) -> None:
    assert repair_mojibake(broken) == fixed


@pytest.mark.parametrize(
    "text",
    [
        "café, naïve, Zürich, São Paulo – “quotes” €5, Ärger, ß",
        # EUC-KR read as Latin-1: garbage, but not UTF-8 mojibake; left as it is
        "TypeKey ½Ã½ºÅÛÀÌ UTF-8·Î µ¹¾Æ°¡´Âµ¥, °Å±â¼­ ÇÑ±Û·Î µÈ",
        # French typography: a no-break space inside guillemets, after any letter
        "« Il est arrivé\u00a0», dit-il. «\u00a0CAFÉ\u00a0» et «\u00a0voilà\u00a0»",
    ],
)
def test_mojibake_repair_leaves_other_text_alone(text: str) -> None:
    assert repair_mojibake(text) == text


def test_french_guillemets_survive_a_repaired_text() -> None:
    """Le Monde's feed is double-encoded: once repaired, its "nouveauté »" looks like
    the mojibake of "頻", and each of the text's repairs must leave it alone."""
    broken = "<p>Un simple « effet de nouveautÃ©Â\u00a0Â». L’Ã©tÃ©</p>"
    assert html_to_text(broken) == "Un simple « effet de nouveauté ». L’été"
    assert html_to_text("<p>« Il est arrivé&nbsp;», dit-il.</p>") == "« Il est arrivé », dit-il."


# --- hostile input ----------------------------------------------------------------------


def test_control_characters_and_escapes_stay_out() -> None:
    markup = (
        "<p>red\x1b[31mtext\x1b]8;;http://evil\x07link\x1b]8;;\x07</p>"
        "<p>c1\x9b2Jcsi &#27;[2J &#x9b;x bidi\u202eevil\u202c zw\u200bsp</p>"
        "<p>sentinels\x1c\x1d\x1e\x1f &#30;&#x1f;&#28 here</p>"
    )
    text = html_to_text(markup)
    assert not FORBIDDEN.search(text)
    assert "\x1b" not in text and "[2J" not in text
    # a sentinel character in the feed cannot create a paragraph break either
    assert "sentinels here" in text


def test_every_character_strip_controls_removes_is_one_isprintable_rejects() -> None:
    # strip_controls skips its regexes for text that str.isprintable() accepts (minus
    # newlines and tabs for bodies): sound only if each character they can remove, or
    # that starts an escape sequence, is one isprintable() rejects
    patterns = (
        reader.text._CONTROL_INLINE,
        reader.text._CONTROL_BLOCK,
        reader.text._ESCAPE_SEQUENCE,
    )
    removable = [ch for ch in map(chr, range(0x110000)) if any(p.match(ch) for p in patterns)]
    assert len(removable) > 2000  # the classes were read: C0, C1, bidi, surrogates, tags
    assert [ch for ch in removable if ch.isprintable()] == []


def _strip_controls_by_regex(text: str, keep_newlines: bool) -> str:
    """strip_controls without its fast path: the reference it must agree with."""
    text = reader.text._ESCAPE_SEQUENCE.sub("", text)
    if keep_newlines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
        return reader.text._CONTROL_BLOCK.sub("", text)
    return reader.text._CONTROL_INLINE.sub(" ", text)


def _clean_block_by_lines(text: str) -> str:
    """clean_block as it was written line by line: the reference for its two passes."""
    import unicodedata

    text = unicodedata.normalize("NFC", _strip_controls_by_regex(text, keep_newlines=True))
    lines = [re.sub(r"[^\S\n]+", " ", line).strip() for line in text.split("\n")]
    return reader.text._MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


HOSTILE_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.sampled_from(" \t\n\r\x1b\x9b\x9d\x07[]0;m\u00a0\u2028\u2029\u200b\u202e\u3000"),
    ),
    max_size=40,
)


@given(HOSTILE_TEXT)
def test_strip_controls_agrees_with_its_regexes(text: str) -> None:
    assert strip_controls(text) == _strip_controls_by_regex(text, keep_newlines=False)
    assert strip_controls(text, keep_newlines=True) == _strip_controls_by_regex(
        text, keep_newlines=True
    )
    assert clean_block(text) == _clean_block_by_lines(text)
    assert "\x1b" not in clean_inline(text)
    # the space patterns skip lone spaces: the same as collapsing every run
    assert reader.text._HTML_SPACE.sub(" ", text) == re.sub(r"[ \t\n\r\f]+", " ", text)


def test_deep_nesting_is_flattened_quickly() -> None:
    depth = 50_000
    markup = "<div>" * depth + "deep text" + "</div>" * depth
    started = time.perf_counter()
    assert html_to_text(markup) == "deep text"
    assert time.perf_counter() - started < 2.0


def test_deep_inline_nesting_keeps_the_words() -> None:
    markup = "<p>" + "<span><b>" * (MAX_HTML_DEPTH * 2) + "word" + "</b></span>" * 600 + "</p>"
    assert html_to_text(markup) == "word"


def test_many_unclosed_paragraphs_are_not_flattened() -> None:
    # hand-written HTML with <p> never closed is not "deep": paragraphs survive
    markup = "".join(f"<p>\nParagraph {i}.\n" for i in range(MAX_HTML_DEPTH + 50))
    text = html_to_text(markup)
    assert text.count("\n\n") == MAX_HTML_DEPTH + 49


# --- the corpus -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _corpus_texts() -> tuple[tuple[str, str, str], ...]:
    """(file, language, text) of every entry in the corpus's smaller files."""
    found = []
    for name, row in sorted(corpus_manifest().items()):
        path = CORPUS / name
        if path.stat().st_size > 150_000:
            continue
        try:
            feed = parse_feed(path.read_bytes(), f"https://example.com/{name}")
        except ParseError:
            continue
        found.extend((name, row["language"], entry.text) for entry in feed.entries)
    return tuple(found)


def test_corpus_text_is_safe_and_tidy(corpus_dir) -> None:
    texts = _corpus_texts()
    assert len(texts) > 1500
    for name, _, text in texts:
        assert not FORBIDDEN.search(text), name
        assert "\n\n\n" not in text, name
        assert text == text.strip(), name
        for line in text.split("\n"):
            assert line == line.strip(), (name, line)
            assert "  " not in line, (name, line)


def test_corpus_keeps_paragraphs_and_cjk(corpus_dir) -> None:
    texts = _corpus_texts()
    multi_paragraph = sum("\n\n" in text for _, _, text in texts)
    assert multi_paragraph > 300
    for language, script in (("ja", "[\u3040-\u30ff]"), ("zh", "[\u4e00-\u9fff]")):
        bodies = [text for _, lang, text in texts if lang == language and text]
        assert bodies, language
        assert sum(bool(re.search(script, text)) for text in bodies) > 0.8 * len(bodies)


def test_corpus_mojibake_is_repaired(corpus_dir) -> None:
    # Le Figaro, Le Monde, Spiegel, FAZ... publish UTF-8 read as Windows-1252
    texts = [text for _, lang, text in _corpus_texts() if lang in ("fr", "de", "it", "pt")]
    assert texts
    assert not [text for text in texts if "Ã©" in text or "â€™" in text or "Ã¼" in text]


def test_counted_says_one_thing_and_several_things() -> None:
    assert counted(1, "article") == "1 article"
    assert counted(0, "article") == "0 articles"
    assert counted(2, "new article") == "2 new articles"
    assert (
        counted(1, "entry", "entries") == "1 entry"
        and counted(3, "entry", "entries") == "3 entries"
    )
