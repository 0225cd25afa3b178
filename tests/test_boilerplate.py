"""Boilerplate lines: what goes, in many languages, and what must stay."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader import boilerplate
from reader.boilerplate import is_boilerplate, strip_boilerplate, strip_tail
from reader.errors import ParseError
from reader.parse import parse_feed
from tests.conftest import CORPUS

BOILERPLATE = [
    # WordPress' footer, translated
    "The post Q4 2022 Product Updates appeared first on RSS.com.",
    "L'articolo Genoa. Juric: “Siamo in emergenza” sembra essere il primo su Romanews.",
    "Der Beitrag Neue Glasfaserförderung erschien zuerst auf netzpolitik.org.",
    "L’article Le budget 2024 est apparu en premier sur Le Blog.",
    "La entrada Cómo empezar apareció primero en El Blog.",
    "O post Como começar apareceu primeiro em Blog.",
    "Сообщение Новая версия появились сначала на Хабр.",
    "投稿 新しい機能 は ブログ に最初に表示されました。",
    # read more
    "Continue reading...",
    "Read more of this story at Slashdot.",
    "Read full article >>",
    "To read this article in full, please click here",
    "Lire la suite",
    "Weiterlesen »",
    "Leggi tutto",
    "CLICCA QUI PER CONTINUARE A LEGGERE",
    "Leer más",
    "Leia mais",
    "Lees verder",
    "Czytaj dalej",
    "Читать далее",
    "Подробнее",
    "続きを読む",
    "阅读全文",
    "閱讀全文",
    "더 보기",
    "(more…)",
    # share, follow, subscribe
    "Share this:",
    "Follow us on Twitter",
    "Subscribe to our newsletter for weekly updates",
    "#ABONNIERE UNS HIER:",
    "Folgen Sie uns auf Facebook",
    "Suivez-nous sur Instagram",
    "Abonnez-vous à notre newsletter",
    "Seguici su Facebook",
    "Síguenos en Twitter",
    "Подписывайтесь на наш канал",
    "チャンネル登録よろしくお願いします",
    "欢迎关注我们的公众号",
    "扫码加入听友群",
    "Facebook Fanpage: https://goo.gl/69kY3p",
    "• Twitter - @LaunchedFM",
    "• 微博：津津乐道播客",
    # photo credits
    "Photo: Reuters",
    "Foto: dpa",
    "(Photo by Jane Doe/Getty Images)",
    "Image credit: NASA",
    "Crédit photo : AFP",
    "Фото: ТАСС",
    "写真：共同通信",
    "图片来源：新华社",
    "© 2019 Russ Cox. All Rights Reserved.",
    "(C) 2005 Atlantic Records.",
    "360 x 640 (45,85 килобайт)",
    # legal and hosting notices
    "Hosted on Acast. See acast.com/privacy for more information.",
    "See omnystudio.com/listener for privacy information.",
    "Disclaimer: This article is not investment advice.",
    "Alle Rechte vorbehalten.",
    "Tous droits réservés",
    "版权所有，禁止转载",
    "無断転載を禁じます。",
    "Editor's Note: This post was originally published in 2015 and has been updated.",
    "This episode is sponsored by Example Corp.",
    "Werbung",
    "Anzeige",
    # chrome, counters, aggregators
    "[link] [181 comments]",
    "submitted by /u/someone to r/selfhosted",
    "∞ Permalink",
    "3 comments",
    "Kommentare (12)",
    "View on GitHub",
    "Click here to download the full report.",
    "Weitere Informationen und Details finden Sie auf unserer Website",
    "Last Modified 10/24/2021 15:00:38 by Freedom Controller",
    # production credits, related links
    "Music by Harry Harris, artwork by Gavin Day. Recorded at Acast.",
    "Written by Steven Walters and Erik Archilla",
    "Executive Producer: Lindsay Graham",
    "后期 / 朱峰",
    "Related: Fact check: the State of the Union address analyzed",
    "Source: Pew Research Center",
    "References",
    "Lire aussi",
    "Siehe auch:",
    "関連記事",
]

PROSE = [
    "Subscribers to the service rose 5% in the quarter.",
    "The privacy policy changes were criticised by regulators on Monday.",
    "Share prices fell 3% in early trading.",
    "Read more books, the minister urged parents.",
    "Produced by the BBC, the series follows a family in Leeds.",
    "Copyright law is changing across the European Union.",
    "Source code for the project is available to everyone.",
    "Follow the money, the investigators said.",
    "Join us in welcoming our new chief executive.",
    "Powered by a new chip, the phone is twice as fast.",
    "Originally published in 1957, the novel was banned for a decade.",
    "Foto di gruppo per i ministri al vertice.",
    "Teilen sich zwei Personen eine Wohnung, sinken die Kosten.",
    "Die Polizei teilte mit, dass der Verdächtige festgenommen wurde.",
    "Le rapport des agences de renseignement affirme que le président a menti.",
    "Disclaimer: While we use the admin account here, grant fewer permissions in production.",
    "For more details, see the official documentation.",
    "Twitter: the company said on Monday it would cut staff.",
    "2) Site:search",
    "11) Read more.",
    "end",
    "print('')",
    "['PLUS', '+'],",
    "Coda",
    "В Москве из-за сильных морозов объявлен оранжевый уровень опасности.",
    "今日は駅前でお買い物をしました。",
    "这里记录每周值得分享的科技内容，周五发布。",
    "",
]


@pytest.mark.parametrize("line", BOILERPLATE)
def test_boilerplate_lines(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize("line", PROSE)
def test_prose_is_not_boilerplate(line: str) -> None:
    assert not is_boilerplate(line)


def test_a_long_line_is_never_boilerplate() -> None:
    assert not is_boilerplate("Photo: " + "a long caption that goes on " * 20)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Um jovem foi detido no centro da cidad... Leia mais no Massa News!",
            "Um jovem foi detido no centro da cidad...",
        ),
        (
            "He left. The post How to Start appeared first on RSS.com.",
            "He left.",
        ),
        ("Ende der Meldung. Weiterlesen »", "Ende der Meldung."),
        ("Il a parlé. [Lire la suite]", "Il a parlé."),
        # no sentence before the phrase: not a tail
        ("It encourages children to read more.", "It encourages children to read more."),
        ("11) Read more.", "11) Read more."),
    ],
)
def test_strip_tail(line: str, expected: str) -> None:
    assert strip_tail(line) == expected


def test_strip_boilerplate_keeps_the_article() -> None:
    text = (
        "The council approved the budget on Monday.\n\n"
        "Photo: Jane Doe/Reuters\n\n"
        "Spending on schools rises by 4%. Read more »\n\n"
        "Share this:\n• Twitter\n• Facebook\n\n"
        "The post Budget approved appeared first on City News."
    )
    assert strip_boilerplate(text) == (
        "The council approved the budget on Monday.\n\nSpending on schools rises by 4%."
    )


def test_a_heading_takes_its_list_along() -> None:
    text = (
        "Body paragraph.\n\n"
        "Related posts:\n\n"
        "• First related story\n• Second related story\n\n"
        "• A list of the article's own\n\n"
        "References\n1. Doe, J. (2020). A paper.\n2. Roe, R. (2021). Another."
    )
    assert strip_boilerplate(text) == "Body paragraph.\n\n• A list of the article's own"


def test_a_heading_followed_by_prose_stays() -> None:
    text = "Body.\n\nFurther Reading?\n\nThis section is the author's own essay, in prose."
    assert strip_boilerplate(text) == text


def test_list_items_are_not_headings() -> None:
    # "More from MacRumors" is one link of the show notes, not a "More from" heading
    text = "• Intel CPUs\n• More from MacRumors\n• iFixit particle experiment\n• AltiVec"
    assert strip_boilerplate(text) == "• Intel CPUs\n• iFixit particle experiment\n• AltiVec"


def test_sponsor_block_goes() -> None:
    text = (
        "Episode notes.\n\nSponsored by:\n\n"
        "• Squarespace: Make your next move. Use code ATP for 10% off.\n"
        "• Casper: Get $50 off select mattresses."
    )
    assert strip_boilerplate(text) == "Episode notes."


def test_code_survives() -> None:
    text = "Example:\n\ndef f():\n    print('')\nend\n@end"
    assert strip_boilerplate(text) == "Example:\n\ndef f():\nprint('')\nend\n@end".replace(
        "\nprint", "\n    print"
    )


def test_empty_text() -> None:
    assert strip_boilerplate("") == ""
    assert strip_boilerplate("Continue reading...") == ""


# --- the corpus ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _entries() -> dict[str, list[str]]:
    """File name -> its entries' texts, for the files these tests look at."""
    names = [
        "simplepie__feed_rss-2.0_for_file_mock.xml",
        "rbren-rss-parser__guardian.rss",
        "partytime__sentimental-garbage.xml",
        "partytime__1865.xml",
        "codehollow-feedreader__Rss20RomaNews.xml",
        "codehollow-feedreader__Rss20MassaNews.xml",
        "codehollow-feedreader__AtomYoutubeInvestmentPunk.xml",
        "rodel-reader__ld.xml",
        "feed-rs__atom_mediarss_reddit_1.xml",
        "RSParser__atp.rss",
        "RSParser__russcox.atom",
        "kde-syndication__bug411626.xml",
        "plagger__tdiary.rdf",
    ]
    found: dict[str, list[str]] = {}
    for name in names:
        try:
            feed = parse_feed((CORPUS / name).read_bytes(), f"https://example.com/{name}")
        except ParseError:
            continue
        found[name] = [entry.text for entry in feed.entries]
    return found


@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("simplepie__feed_rss-2.0_for_file_mock.xml", "appeared first on"),
        ("rbren-rss-parser__guardian.rss", "Continue reading"),
        ("partytime__sentimental-garbage.xml", "acast.com/privacy"),
        ("partytime__1865.xml", "art19.com/privacy"),
        ("codehollow-feedreader__Rss20RomaNews.xml", "sembra essere il primo su"),
        ("codehollow-feedreader__Rss20MassaNews.xml", "Leia mais no Massa News"),
        ("codehollow-feedreader__AtomYoutubeInvestmentPunk.xml", "Instagram: https://"),
        ("rodel-reader__ld.xml", "后期 / "),
        ("feed-rs__atom_mediarss_reddit_1.xml", "[link] [comments]"),
        ("plagger__tdiary.rdf", "ツッコミを入れる"),
    ],
)
def test_corpus_boilerplate_goes(corpus_dir, name: str, phrase: str) -> None:
    texts = _entries()[name]
    assert any(phrase in text for text in texts), "the corpus changed"
    for text in texts:
        assert phrase not in strip_boilerplate(text)


def test_corpus_article_text_stays(corpus_dir) -> None:
    """Whatever goes is a short line; articles keep nearly all of their prose."""
    for name, texts in _entries().items():
        for text in texts:
            stripped = strip_boilerplate(text)
            kept = set(stripped.split("\n"))
            for line in text.split("\n"):
                if line and line not in kept and len(line) > 300:
                    # only a tail can shorten a long line
                    assert any(k and line.startswith(k) for k in kept), (name, line)
            assert strip_boilerplate(stripped) == stripped  # idempotent


def test_corpus_keeps_known_prose(corpus_dir) -> None:
    russcox = "\n\n".join(_entries()["RSParser__russcox.atom"])
    stripped = strip_boilerplate(russcox)
    assert "\nCoda\n" in stripped  # a heading of the essay, after a reference list
    assert "Further Reading" in stripped
    realpython = strip_boilerplate("\n\n".join(_entries()["kde-syndication__bug411626.xml"]))
    assert "For more details, see the official documentation." in realpython
    atp = [strip_boilerplate(text) for text in _entries()["RSParser__atp.rss"]]
    assert any("• iFixit particle experiment" in text for text in atp)
    assert not any("Squarespace: Make your next move" in text for text in atp)


# --- patterns matched in lower case (boilerplate.Caseless) ------------------------------

CASELESS = {
    "_LINE": boilerplate._LINE,
    "_SECTION_HEADING": boilerplate._SECTION_HEADING,
    "_PROMO_HEADING": boilerplate._PROMO_HEADING,
}


def _folded_variants() -> dict[str, str]:
    """The letters the regex engine folds together with a plain one under IGNORECASE, each
    with that plain letter (the lower case of the group's upper-case letter)."""
    import _sre
    from re import _casefix

    groups = {frozenset([key, *others]) for key, others in _casefix._EXTRA_CASES.items()}
    variants: dict[str, str] = {}
    for group in groups:
        plain = min(group)
        for code in group:
            upper = chr(code).upper()
            if len(upper) == 1 and _sre.unicode_tolower(ord(upper)) in group:
                plain = _sre.unicode_tolower(ord(upper))
                break
        variants.update({chr(code): chr(plain) for code in group - {plain}})
    return variants


def _case_special() -> set[str]:
    """What boilerplate.CASE_SPECIAL must hold, derived from this Python: a character is
    special when str.lower() and the regex engine's own lower-casing differ on it, or when
    it is a folded variant (or lower-cases to one); and "Σ", which str.lower() writes "ς"
    at the end of a word."""
    import _sre

    variants = {ord(ch) for ch in _folded_variants()}
    special = {"\u03a3"}
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        lowered = chr(code).lower()
        engine = _sre.unicode_tolower(code)
        if len(lowered) != 1 or ord(lowered) != engine or engine in variants or code in variants:
            special.add(chr(code))
    return special


def test_case_special_is_what_this_python_folds_differently() -> None:
    assert _folded_variants() == boilerplate._VARIANTS
    assert set(boilerplate.CASE_SPECIAL) == _case_special()


def _caseless_problems(pattern: boilerplate.Caseless) -> list[str]:
    """What could make ``pattern`` match a text's lower case otherwise than IGNORECASE
    matches the text: a character of the compiled lower-case pattern (literal, set
    member, range end or inside, however written: "\\u017f" too) that lower-casing
    changes or that is CASE_SPECIAL; a folded variant inside a range of the original
    (rewriting a range's end changes the range); and any flag (inline "(?-i:", "(?a)"...).
    """
    import _sre
    from re import _constants as c
    from re import _parser

    found: list[str] = []

    def walk(items, check) -> None:
        for op, value in items:
            if op in (c.LITERAL, c.NOT_LITERAL):
                check(value, False)
            elif op is c.IN:
                for member_op, member in value:
                    if member_op is c.LITERAL:
                        check(member, False)
                    elif member_op is c.RANGE:
                        for code in range(member[0], member[1] + 1):
                            check(code, True)
            elif op is c.SUBPATTERN:
                if value[1] or value[2]:
                    found.append("flags")
                walk(value[-1], check)
            elif op is c.BRANCH:
                for branch in value[1]:
                    walk(branch, check)
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
                walk(value[2], check)
            elif op in (c.ASSERT, c.ASSERT_NOT):
                walk(value[1], check)
            elif op is c.ATOMIC_GROUP:
                walk(value, check)
            elif op is c.GROUPREF_EXISTS:
                walk(value[1], check)
                if value[2] is not None:
                    walk(value[2], check)

    def compiled(code: int, _in_range: bool) -> None:
        if _sre.unicode_tolower(code) != code or chr(code) in boilerplate.CASE_SPECIAL:
            found.append(chr(code))

    def original(code: int, in_range: bool) -> None:
        if in_range and chr(code) in boilerplate.CASE_SPECIAL:
            found.append(chr(code))

    for text, check in ((pattern.lower_case.pattern, compiled), (pattern.pattern, original)):
        parsed = _parser.parse(text)
        if parsed.state.flags & ~re.UNICODE:
            found.append("flags")
        walk(parsed, check)
    return sorted(set(found))


@pytest.mark.parametrize("name", sorted(CASELESS))
def test_caseless_patterns_are_written_in_lower_case(name: str) -> None:
    assert _caseless_problems(CASELESS[name]) == []


@pytest.mark.parametrize(
    ("pattern", "problems"),
    [
        ("read more|[A-Z]x", list("ABCDEFGHIJKLMNOPQRSTUVWXYZ")),
        ("(?:photo|Foto)", ["F"]),
        ("\\x41", ["A"]),
        ("[^s]ſ|devamını", []),  # a variant letter is written plain for the lower case
        ("\\u017fee", ["ſ"]),  # but not when it is an escape
        ("[ſ-ſ]", ["ſ"]),  # nor inside a range
        ("İ", ["İ"]),
        ("(?-i:abc)", ["flags"]),
        ("(?a:é)", ["flags"]),
        ("(?a)é", ["flags"]),
    ],
)
def test_the_caseless_check_finds_what_breaks_the_claim(pattern: str, problems: list[str]):
    assert _caseless_problems(boilerplate.Caseless(pattern)) == problems


_PIECES = st.sampled_from(
    [line for line in BOILERPLATE + PROSE if len(line) <= 120]
    + ["Read more", "Photo: AFP", "Related: the vote", "Ǆ", "ǅ", "ẞ", "K", "Å", "Ω"]
    + ["ſ", "ı", "İ", "Σ", "ς", "ϐ", "ᲀ", "ΐ", "ﬅ", "ﬆ", "µ", "ͅ", " ", ":", "\n"]
    + ["devamını oku", "devamini oku", "διαβάστε περισσότερα", "читать далее"]
)


def _recased(text: str, how: int) -> str:
    return [text, text.upper(), text.lower(), text.title(), text.swapcase()][how]


def _assert_caseless_agrees(text: str) -> None:
    """Each caseless pattern matches ``text`` as its IGNORECASE twin does, at the same span."""
    lowered = boilerplate.lower_for_matching(text)
    if lowered is not None:
        assert len(lowered) == len(text)
    for pattern in CASELESS.values():
        reference = re.fullmatch(pattern.pattern, text, re.IGNORECASE)
        found = pattern.fullmatch(text, lowered)
        assert (found is None) == (reference is None), (text, pattern.pattern[:40])
        if found is not None and reference is not None:
            assert found.span() == reference.span()


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_PIECES, st.integers(0, 4)), min_size=1, max_size=4), st.text(max_size=3))
def test_caseless_matches_as_ignorecase_does(pieces, noise) -> None:
    _assert_caseless_agrees("".join(_recased(piece, how) for piece, how in pieces) + noise)


# IGNORECASE folds "ı" with "i": a pattern's Turkish "devamını oku" matches it written
# with a plain "i" too, and so must the lower-case pattern
FOLDED = ["devamını oku", "devamini oku", "Devamini Oku", "διαβάστε περισσότερα"]


def test_a_folded_variant_in_a_pattern_matches_its_plain_letter() -> None:
    assert "devamını oku" in boilerplate._LINE.pattern
    assert all(is_boilerplate(line) for line in FOLDED)


@pytest.mark.parametrize("line", BOILERPLATE + PROSE + FOLDED)
def test_caseless_matches_as_ignorecase_does_on_the_examples(line: str) -> None:
    for how in range(5):
        _assert_caseless_agrees(_recased(line, how))
