"""Sentence splitting and three-line summaries, by hand and on the real corpus."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.boilerplate import is_boilerplate, strip_boilerplate
from reader.errors import ParseError
from reader.parse import parse_feed
from reader.summarise import ELLIPSIS, MAX_CHARS, repeats_title, split_sentences, summarise
from tests.conftest import CORPUS, corpus_manifest

# --- sentences -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "en",
            'Dr. Smith paid $3.5 million. "Why?" he asked. The U.S. team won, etc. and left.',
            [
                "Dr. Smith paid $3.5 million.",
                '"Why?" he asked.',
                "The U.S. team won, etc. and left.",
            ],
        ),
        (
            "de",
            "Das ist z. B. ein Test. Anfang des 20. Jahrhunderts war es so. Am 3. Oktober feiern wir.",
            [
                "Das ist z. B. ein Test.",
                "Anfang des 20. Jahrhunderts war es so.",
                "Am 3. Oktober feiern wir.",
            ],
        ),
        (
            "fr",
            "M. Dupont est arrivé. Il a dit « Bonjour ! » puis il est parti.",
            ["M. Dupont est arrivé.", "Il a dit « Bonjour ! » puis il est parti."],
        ),
        ("ru", "Т. е. это тест. Он ушёл домой.", ["Т. е. это тест.", "Он ушёл домой."]),
        (
            "ja",
            "『ブログで小説！』というブログです。「こんにちは。」と彼は言った。次の文！本当に？",
            [
                "『ブログで小説！』というブログです。",
                "「こんにちは。」と彼は言った。",
                "次の文！",
                "本当に？",
            ],
        ),
        (
            "zh",
            "今天天气很好。明天会下雨吗？我不知道！",
            ["今天天气很好。", "明天会下雨吗？", "我不知道！"],
        ),
        (
            "ko",
            "오늘은 날씨가 좋습니다. 내일은 비가 올까요? 모르겠어요!",
            ["오늘은 날씨가 좋습니다.", "내일은 비가 올까요?", "모르겠어요!"],
        ),
        (
            "it",
            "Il sig. Rossi è arrivato alle 10.30. Poi è partito.",
            ["Il sig. Rossi è arrivato alle 10.30.", "Poi è partito."],
        ),
        # hard-wrapped plain text is joined; a line break otherwise ends a sentence
        (
            "en",
            "The assembler assumes that Thumb always uses the ia\naddressing mode. Other modes\n"
            "are there.\n\nHeading\n• item one\n• item two.",
            [
                "The assembler assumes that Thumb always uses the ia addressing mode.",
                "Other modes are there.",
                "Heading",
                "item one",
                "item two.",
            ],
        ),
        (None, "Unknown language. Still split。", ["Unknown language.", "Still split。"]),
    ],
)
def test_split_sentences(lang: str | None, text: str, expected: list[str]) -> None:
    assert split_sentences(text, lang) == expected


def test_split_sentences_empty() -> None:
    assert split_sentences("", "en") == []
    assert split_sentences("\n\n  \n", "de") == []


# --- titles ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "title", "repeats"),
    [
        ("Apple unveils the new iPad.", "Apple unveils the new iPad", True),
        ("APPLE UNVEILS THE NEW IPAD!", "Apple unveils the new iPad", True),
        ("Apple unveils the new iPad on Monday in Cupertino.", "Apple unveils the new iPad", True),
        ("The new iPad, Apple unveils.", "Apple unveils the new iPad", True),
        ("the new iPad", "Apple unveils the new iPad", True),  # a piece of it
        (
            "Apple unveiled a new iPad on Monday, its first redesign in four years, with a "
            "larger screen and a faster chip.",
            "Apple unveils the new iPad",
            False,
        ),
        ("Prices start at $799 in the US.", "Apple unveils the new iPad", False),
        ("東京で大雪、交通に乱れ。", "東京で大雪、交通に乱れ", True),
        ("東京で大雪が降り、電車が止まった。", "東京で大雪、交通に乱れ", False),
        ("PÃ¥ grund af uroligheder.", "På grund af uroligheder", True),  # mojibake aside
    ],
)
def test_repeats_title(sentence: str, title: str, repeats: bool) -> None:
    assert repeats_title(sentence, title) is repeats


# --- summaries ----------------------------------------------------------------------------


def test_dateline_is_not_a_line_but_its_sentence_is() -> None:
    text = (
        "BERLIN (dpa) - Die Regierung hat am Montag ein neues Klimagesetz beschlossen. "
        "Es sieht vor, dass der Ausstoß bis 2030 um die Hälfte sinkt. "
        "Die Opposition kritisierte den Entwurf als zu zaghaft."
    )
    assert summarise("Neues Klimagesetz", text, "de") == (
        "Die Regierung hat am Montag ein neues Klimagesetz beschlossen.",
        "Es sieht vor, dass der Ausstoß bis 2030 um die Hälfte sinkt.",
        "Die Opposition kritisierte den Entwurf als zu zaghaft.",
    )


def test_a_dateline_or_a_byline_line_is_skipped() -> None:
    text = (
        "By Jane Doe and John Roe\n\n"
        "March 21, 2016\n\n"
        "Posted on 21 March 2016 by admin\n\n"
        "The city council voted to close the old bridge to cars from next month.\n\n"
        "Engineers found cracks in two of its supports during an inspection in February.\n\n"
        "Cyclists and pedestrians can still use it while repairs are planned."
    )
    lines = summarise("Old bridge closes to cars", text, "en")
    assert lines == (
        "The city council voted to close the old bridge to cars from next month.",
        "Engineers found cracks in two of its supports during an inspection in February.",
        "Cyclists and pedestrians can still use it while repairs are planned.",
    )


def test_teaser_and_kicker_lose_to_what_the_article_says() -> None:
    text = (
        "WATCH LIVE: Here's what you need to know:\n\n"
        "Is your city next?\n\n"
        "The national weather service issued a storm warning for the whole coast on Friday.\n\n"
        "Winds of up to 120 km/h are expected overnight, and schools will stay closed.\n\n"
        "Officials urged residents to stay indoors and to charge their phones.\n\n"
        "The storm is expected to weaken over land by Sunday morning."
    )
    lines = summarise("Storm warning for the coast", text, "en")
    assert len(lines) == 3
    assert not any("need to know" in line or line.endswith("?") for line in lines)
    assert lines[0].startswith("The national weather service issued")


def test_wordpress_footer_is_never_a_line() -> None:
    text = (
        "We shipped version 2.0 of the app today.\n\n"
        "The post Version 2.0 is here appeared first on Example Blog."
    )
    assert summarise("Version 2.0 is here", text, "en") == (
        "We shipped version 2.0 of the app today.",
    )


def test_one_sentence_item_gets_one_line() -> None:
    text = "A young man was left for dead on a Manhattan sidewalk late Friday, police said."
    assert summarise("NYC cops search for stabbing suspect", text, "en") == (text,)


def test_title_only_item_gets_nothing() -> None:
    title = "Apple Product Event: Monday March 21"
    assert summarise(title, title, "en") == ()
    assert summarise(title, "Apple product event: Monday, March 21!", "en") == ()
    assert summarise(title, "", "en") == ()


def test_lead_that_is_the_title_plus_a_few_words_is_skipped() -> None:
    title = "Japan plans 10 billion new phone numbers"
    text = (
        "Japan plans 10 billion new phone numbers, reports say.\n\n"
        "The numbers will have 14 digits and start with 020.\n\n"
        "Mobile operators agreed to update their systems by 2021."
    )
    assert summarise(title, text, "en") == (
        "The numbers will have 14 digits and start with 020.",
        "Mobile operators agreed to update their systems by 2021.",
    )


def test_long_sentence_is_cut_cleanly() -> None:
    sentence = (
        "The committee, which met for the first time since the spring and heard from more "
        "than forty witnesses over three days of testimony, concluded that the programme had "
        "been badly managed from the start and recommended that it be closed by the end of "
        "the year."
    )
    (line,) = summarise("Programme to close", sentence, "en")
    assert len(line) <= MAX_CHARS
    assert line.endswith(ELLIPSIS)
    assert sentence.startswith(line[:-1])
    assert line[-2] not in " ,;:"


def test_lines_come_in_text_order_without_repeats() -> None:
    text = (
        "The central bank raised interest rates by half a point on Thursday.\n\n"
        "The central bank raised its interest rates by half a point on Thursday, it said.\n\n"
        "Inflation reached 8% in the year to May, the highest in three decades.\n\n"
        "Economists expect another rise before the end of the summer."
    )
    lines = summarise("Central bank raises rates", text, "en")
    assert len(lines) == 3
    assert lines[0].startswith("The central bank raised interest rates")
    assert not any("it said" in line for line in lines)
    positions = [text.index(line) for line in lines]
    assert positions == sorted(positions)


def test_code_urls_and_lists_are_not_lines() -> None:
    text = (
        "The interface is a bit low level, but it is workable for a small script.\n\n"
        "require 'dbus' # gem install ruby-dbus\n"
        "cookie = sm.Inhibit($0, 0, 'inhibiting', 4).first\n\n"
        "Download here: https://example.com/download/latest\n\n"
        "• Follow-up\n• AltiVec\n\n"
        "Note that the call to Uninhibit is optional, it happens on exit anyway."
    )
    assert summarise("Inhibiting suspend", text, "en") == (
        "The interface is a bit low level, but it is workable for a small script.",
        "Note that the call to Uninhibit is optional, it happens on exit anyway.",
    )


def test_japanese_and_chinese_summaries() -> None:
    ja = "東京で大雪が降った。電車の多くが止まった。気象庁は明日も雪が続くと発表した。道路も混雑している。"
    assert summarise("交通まひ", ja, "ja") == (
        "東京で大雪が降った。",
        "電車の多くが止まった。",
        "気象庁は明日も雪が続くと発表した。",
    )
    zh = "欢迎添加小助手微信：dao160301，加入听友群。今天我们聊聊手机。新手机的电池更耐用了。"
    assert summarise("手机", zh, "zh") == ("今天我们聊聊手机。", "新手机的电池更耐用了。")


def test_max_lines() -> None:
    text = "One sentence that is long enough. Two sentences that are long enough. Three more."
    assert len(summarise("x", text, "en", max_lines=1)) == 1
    assert summarise("x", text, "en", max_lines=0) == ()


# --- the corpus ------------------------------------------------------------------------

LANGUAGES = ("en", "de", "fr", "it", "ja", "zh", "ru")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _corpus() -> tuple[tuple[str, str, str, str], ...]:
    """(file, language, title, cleaned text) for the corpus in the languages tested."""
    found = []
    for name, row in sorted(corpus_manifest().items()):
        lang = row["language"]
        path = CORPUS / name
        if lang not in LANGUAGES or path.stat().st_size > (60_000 if lang == "en" else 300_000):
            continue
        try:
            feed = parse_feed(path.read_bytes(), f"https://example.com/{name}")
        except ParseError:
            continue
        for entry in feed.entries:
            found.append((name, lang, entry.title, strip_boilerplate(entry.text)))
    return tuple(found)


def test_corpus_covers_the_languages(corpus_dir) -> None:
    langs = {lang for _, lang, _, _ in _corpus()}
    assert langs == set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_corpus_summaries(corpus_dir, language: str) -> None:
    entries = [e for e in _corpus() if e[1] == language]
    with_text = summarised = 0
    for name, lang, title, text in entries:
        lines = summarise(title, text, lang)
        flat = _SPACES.sub("", text)
        assert len(lines) <= 3, name
        assert len(set(lines)) == len(lines), name
        for line in lines:
            where = (name, title, line)
            body = line[: -len(ELLIPSIS)] if line.endswith(ELLIPSIS) else line
            # the article's own words (spacing aside: wrapped lines are joined)
            assert _SPACES.sub("", body) in flat, where
            assert "\n" not in line and line == line.strip(), where
            assert len(line) <= MAX_CHARS, where
            assert not is_boilerplate(line), where
            assert not repeats_title(line, title), where
        if len(split_sentences(text, lang)) >= 2:
            with_text += 1
            summarised += bool(lines)
    assert entries
    # an item with text gets a summary (the rest are link lists, show-note fragments)
    assert summarised >= 0.75 * with_text, (summarised, with_text)


# --- the cheaper forms of the same checks ---------------------------------------------

_TRICKY = st.text(
    alphabet=st.sampled_from(list(".!?。！？」』”\"»'’)(…[]* \t\n\u00a0\u2003ab1_²Ⅻé中ß-")),
    max_size=12,
)


#: The pattern _is_complete replaced: its definition of a sentence's end.
_COMPLETE = re.compile(r"[.!?。！？」』”\"»]\s*$|[.!?。！？][\"'”’»)」』]+\s*$")


@settings(max_examples=3000, deadline=None)
@given(_TRICKY)
def test_is_complete_is_the_complete_pattern(text: str) -> None:
    from reader.summarise import _is_complete

    assert _is_complete(text) == bool(_COMPLETE.search(text))


@settings(max_examples=3000, deadline=None)
@given(
    st.text(max_size=40)
    | _TRICKY
    | st.text(alphabet=st.characters(max_codepoint=127), max_size=80)
    | st.text(alphabet="aZ 09_.,-éßИ日\u0301", max_size=40)
)
def test_letters_and_long_words_counted_as_before(text: str) -> None:
    from reader.summarise import _LETTER, _LONG_WORD, _WORD, _letter_count

    assert _letter_count(text, text.count(" ")) == len(_LETTER.findall(text))
    assert _LONG_WORD.findall(text) == [w for w in _WORD.findall(text) if len(w) > 2]
