"""Three lines that say what an article says, taken from its own text (pure, no I/O).

Extractive on purpose: every line is a sentence of the article (or one cut short
with "…"), in the article's language, so a summary can be wrong only by choosing
badly, never by saying something the article does not.

How a sentence is chosen. News puts what matters first, and on news the first
sentences ("lead-3") beat the usual graph-centrality summarisers in published ROUGE
results; but feed text often opens with a dateline, a byline, a kicker in capitals,
a teaser question or a link, and podcasts open with housekeeping. So each candidate
sentence gets

* a position prior (decaying with its rank in the text),
* its centrality: tf-idf cosine similarity to the rest of the article, with word
  tokens, or character bigrams for scripts written without spaces (Chinese,
  Japanese, Thai), and idf computed over the article's own sentences, so function
  words of any language weigh little without a stop-word list,
* its similarity to the title (what the article is about, as its author put it),

minus penalties for teasers (questions, "Here's what you need to know:", cut-off
text), and the best are picked with a redundancy filter (MMR): a sentence too close
to one already chosen, or to the title, is not taken. Lines come out in text order.

What is never a line: boilerplate (:func:`reader.boilerplate.is_boilerplate`),
bylines, datelines, dates, headings and list fragments, code and URLs, and the
title again (also "the title plus a few words", compared without case and
punctuation). A title-only item has an empty summary; a one-sentence item one line.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterator
from itertools import chain, repeat
from operator import add, mul, ne

from sentencex import segment

from reader.boilerplate import is_boilerplate
from reader.text import repair_mojibake

MAX_LINES = 3
MAX_CHARS = 200
#: Sentences considered per article: leads matter most, and this bounds the work.
MAX_CANDIDATES = 40
#: Sentences looked at per article before giving up on finding more candidates (a long
#: code listing has thousands of "sentences" and no candidate).
MAX_EXAMINED = 200
#: A sentence this similar (cosine) to a chosen one says the same thing.
MAX_REDUNDANCY = 0.7
ELLIPSIS = "…"

# --- sentence splitting --------------------------------------------------------------

# Scripts written without spaces between words: sentences and similarity by characters.
_NO_SPACE_SCRIPT = (
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f\u0e80-\u0eff"
    "\u1000-\u109f\u1780-\u17ff\U00020000-\U0003134f"
)
_NO_SPACE_RUN = re.compile(f"[{_NO_SPACE_SCRIPT}]+")
_HAS_NO_SPACE = re.compile(f"[{_NO_SPACE_SCRIPT}]")
_LIST_MARKER = re.compile(r"^(?:•|◦|▪|\*|-|\d{1,3}[.)])\s+")
# A "sentence" that is only abbreviations ("M. ", "Т. е. ", "z. B.") was cut too early.
_ONLY_ABBREVIATIONS = re.compile(r"^(?:[^\W\d_]{1,4}\.\s*){1,3}$")
# Japanese quoted speech: 「…。」と言った — the quote does not end the sentence.
_QUOTE_CONTINUATION = re.compile(r"^[とっ]")
_CLOSING_QUOTE_END = re.compile(r"[」』]\s*$")
_STARTS_CLOSING = re.compile(r"^[」』）)\]”’»›]")
_STARTS_LOWER = re.compile(r"^[a-zà-ÿа-яё](?![A-Z])")  # not "iPhone", "eBay"
# German "Anfang des 20. Jahrhunderts", Danish "den 3. maj": ordinal dots, not sentence ends.
_ORDINAL_END = re.compile(r"(?:^|\s)\d{1,2}\.$")
_ORDINAL_DOT_LANGS = frozenset(
    {"de", "da", "no", "nb", "nn", "fi", "cs", "sk", "sl", "hr", "sr", "bs", "hu", "tr"}
    | {"et", "lv", "lt", "is", "fo", "pl"}
)
# A source line that ends mid-sentence, in text wrapped at ~72 columns (mailing lists).
_SENTENCE_END = re.compile(r"[.!?。！？…:;\"”»)」』]\s*$")


def _segmenter_lang(lang: str | None) -> str:
    """The code sentencex gets: the two-letter language, or English rules as a default
    (they split 。！？ as well, and sentencex falls back to them for unknown codes)."""
    code = (lang or "").strip().lower()[:2]
    return code if code.isalpha() and len(code) == 2 else "en"


def _segment(line: str, lang: str) -> list[str]:
    """sentencex's sentences of one line, mended; each is an exact piece of the line."""
    pieces = segment(lang, line)
    if len(pieces) == 1:  # three lines in four: nothing to mend
        piece = pieces[0].strip()
        return [piece] if piece else []
    merged: list[str] = []  # raw pieces, with the spaces between them as in the line
    carry = ""
    for raw in pieces:
        piece = raw.strip()
        if not piece:
            if merged:
                merged[-1] += raw
            continue
        if carry:
            raw, carry = carry + raw, ""
            piece = raw.strip()
        if "." in piece[:5] and _ONLY_ABBREVIATIONS.match(piece):
            carry = raw
            continue
        if merged and (
            _STARTS_LOWER.match(piece)
            or _STARTS_CLOSING.match(piece)
            or (_CLOSING_QUOTE_END.search(merged[-1]) and _QUOTE_CONTINUATION.match(piece))
            or (lang in _ORDINAL_DOT_LANGS and _ORDINAL_END.search(merged[-1].rstrip()))
        ):
            merged[-1] += raw
            continue
        merged.append(raw)
    if carry:
        if merged:
            merged[-1] += carry
        else:
            merged.append(carry)
    return [piece.strip() for piece in merged if piece.strip()]


def _joiner(left: str, right: str) -> str:
    return "" if _HAS_NO_SPACE.search(left[-1:]) or _HAS_NO_SPACE.match(right) else " "


def _units(text: str) -> list[tuple[str, bool]]:
    """The text's lines as (line, is_list_item), list markers removed, and lines of text
    hard-wrapped mid-sentence joined again (the next one starts in lower case)."""
    units: list[tuple[str, bool]] = []
    previous_open = False
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            previous_open = False
            continue
        marker = _LIST_MARKER.match(line)
        if marker:
            line = line[marker.end() :]
        if (
            previous_open
            and not marker
            and _STARTS_LOWER.match(line)
            and not _HAS_NO_SPACE.search(units[-1][0][-1:])
        ):
            last, was_item = units[-1]
            units[-1] = (last + _joiner(last, line) + line, was_item)
        else:
            units.append((line, bool(marker)))
        previous_open = not _SENTENCE_END.search(line)
    return units


def _sentences(text: str, lang: str | None) -> Iterator[tuple[str, bool]]:
    code = _segmenter_lang(lang)
    for line, is_item in _units(text):
        for sentence in _segment(line, code):
            yield sentence, is_item


def split_sentences(text: str, lang: str | None) -> list[str]:
    """The sentences of ``text`` in order; a line break ends a sentence, except in text
    wrapped mid-sentence (a line that does not end a sentence, followed by one that
    starts in lower case: the two are joined with a space).

    Uses sentencex (abbreviations such as "Dr.", "z. B.", "etc.", decimals, quotes,
    。！？ and Korean), then mends what it gets wrong in feed text: a lone abbreviation
    ("M.", "Т. е.") joins the sentence after it; a piece starting in lower case or
    with a closing quote joins the one before; an ordinal ("des 20. Jahrhunderts")
    does not end a German, Nordic or Slavic sentence; Japanese quoted speech stays
    whole (「…。」と言った). List markers ("• ", "1. ") are not part of a sentence.
    """
    if not text:
        return []
    return [sentence for sentence, _ in _sentences(text, lang)]


# --- what a summary line may not be --------------------------------------------------

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
#: The words of 3+ characters: _WORD's matches that are that long, found in one pass.
_LONG_WORD = re.compile(r"[^\W_]{3,}")
_LETTER = re.compile(r"[^\W\d_]")
#: What _LETTER does not match, the plain space aside: there are few of these in a
#: sentence, so counting them is cheaper than collecting every letter.
_NOT_LETTER_NOR_SPACE = re.compile(r"[^\w ]|[\d_]")
_ASCII_LETTERS = string.ascii_letters.encode()


def _letter_count(text: str, spaces: int) -> int:
    """How many characters of ``text`` _LETTER matches (``spaces``: its plain spaces).

    ASCII text (most sentences) is counted in bytes, where deleting the letters is one C
    pass: 5x faster than finding every other character with a pattern."""
    if text.isascii():
        data = text.encode()
        return len(data) - len(data.translate(None, _ASCII_LETTERS))
    return len(text) - spaces - len(_NOT_LETTER_NOR_SPACE.findall(text))


_PUNCT_SPACE = re.compile(r"[\W_]+", re.UNICODE)
_URL = re.compile(
    r"https?://\S+|www\.\S+|(?<![\w.@-])(?:[a-z0-9-]{1,63}\.){1,4}(?:com|org|net|io|fm|tv)\b(?:/\S*)?",
    re.IGNORECASE,
)
_URL_END = re.compile(
    r"(?:https?://|www\.)\S+[\s.!?)]*$|\s\S+\.(?:com|org|net|io|fm|tv|co|de|fr|it|ru|jp|cn)/?$"
)
_URL_HINTS = ("http", "www.", ".com", ".org", ".net", ".io", ".fm", ".tv", ".de", ".fr", ".it")
_URL_HINTS += (".ru", ".jp", ".cn", ".co")
#: Any of the hints, in one pass over the (lower-cased) text.
_URL_HINT = re.compile("|".join(re.escape(hint) for hint in _URL_HINTS))
_CODE_HINT = re.compile(r"[{}<>=;$\\#(']")
# Footnote and emphasis marks before a sentence: "*We screwed up...", "[*] Если..."
_LEADING_MARKS = re.compile(r"^(?:\[\*\]|[*†‡]+)\s*")
_CODE = re.compile(r"[{}<>=;$\\#]|\(\)|::|->|=>|&&|\|\||\w\(|\)\.\w|'[\w./-]+'")
_PARENTHESISED = re.compile(r"^[(（\[【][^)）\]】]*[)）\]】][.。]?$")
#: "Einsatzort: Weiz", "Guest: Jane Doe", "Die Zeit: Der Titel": a label and a value.
_LABEL = re.compile(r"^[^:：.!?]{1,30}\s?[:：]\s?[^.!?:：]{1,80}[.。]?$")
_CAPS_KICKER = re.compile(
    r"^[^\W\da-zß-ÿа-яё]{2,}(?:[ .,'’&/+]+[^\W\da-zß-ÿа-яё]{2,}){0,5}[ .,]*"
    r"(?:\([^)]{1,40}\))?\s*[-–—:|]\s+(?=\S)"
)
_AGENCY_DATELINE = re.compile(r"^[^\W\d][^.!?]{1,40}\((?:[^()]{1,30})\)\s*[-–—:]\s+(?=\S)")
_NAME_WORD = r"[A-ZÀ-ÖØ-ÞĀ-ŽА-ЯЁ][\w.'’-]*"
_BYLINE = re.compile(
    r"^(?i:(?:written |posted |reported |text |story |words )?by|von|par|di|por|door|av|af|"
    r"от|автор|texto|testo|text|texte)\s*[:：]?\s*"
    + _NAME_WORD
    + r"(?:\s"
    + _NAME_WORD
    + r"){0,3}"
    + r"(?:,? (?:and|und|et|e|y|и|&) "
    + _NAME_WORD
    + r"(?:\s"
    + _NAME_WORD
    + r"){0,3})?"
    + r"(?:\s*[,|·–—-]\s*[\w.'’ ]{1,40})?\.?$"
    + r"|^(?:文|記者|记者|撰文|作者|编辑|編集|取材)\s*[:：/／]?\s*\S{1,20}$"
)
_POSTED = re.compile(
    r"^(?:posted|published|updated|last updated|veröffentlicht|aktualisiert|publié|mis à jour|"
    r"pubblicato|aggiornato|publicado|actualizado|опубликовано|обновлено|公開|更新|发布|發布)"
    r"(?:\s+(?:on|at|by|am|um|le|il|el|em|в)\b|\s*[:：]).{0,80}$",
    re.IGNORECASE,
)
_TEASER = re.compile(
    r"^(?:here(?:'s|’s| is| are)\b|this is what\b|what you need to know|find out\b|"
    r"watch\b|listen\b|click\b|tap\b|check out\b|don[’']t miss\b|see (?:how|why|what)\b|"
    r"(?:in )?(?:this|today[’']s) (?:episode|video|post|article|week)[’']?s?\b(?=.{0,30}:)|"
    r"lesen sie\b|erfahren sie\b|hier (?:lesen|erfahren)\b|découvrez\b|scoprite\b|scopri\b|"
    r"descubre\b|confira\b|смотрите\b|узнайте\b)",
    re.IGNORECASE,
)
_TRUNCATED = re.compile(r"(?:\.\.\.|…|\[\s?(?:\.\.\.|…)\s?\]|\(\s?(?:\.\.\.|…)\s?\))\s*$")
_ENDS_COMPLETE = frozenset('.!?。！？」』”"»')
_TERMINAL = frozenset(".!?。！？")
_CLOSERS = "\"'”’»)」』"
_CLAUSE_BREAK = re.compile(r"[,;:，、；：]\s|\s[–—-]\s")


def _is_complete(text: str) -> bool:
    """Whether the text ends like a sentence: end punctuation, or end punctuation then
    closing quotes or brackets, spaces aside. Read from the end (a regex searched the
    whole sentence for it)."""
    text = text.rstrip()  # what \s* takes: str.isspace() is re's \s
    if not text:
        return False
    if text[-1] in _ENDS_COMPLETE:
        return True
    inner = text.rstrip(_CLOSERS)
    return len(inner) < len(text) and inner[-1:] in _TERMINAL


def _normalise(text: str) -> str:
    """Case, accents' forms, punctuation and spacing removed: for comparing titles."""
    text = unicodedata.normalize("NFKC", repair_mojibake(text)).casefold()
    return _PUNCT_SPACE.sub(" ", text).strip()


def _words(normalised: str) -> list[str]:
    if _HAS_NO_SPACE.search(normalised):
        return _tokens(normalised)
    return normalised.split()


class _Title:
    """A title prepared once for :func:`repeats_title` comparisons."""

    __slots__ = ("normalised", "word_set", "words")

    def __init__(self, title: str) -> None:
        self.normalised = _normalise(title)
        self.words = _words(self.normalised)
        self.word_set = set(self.words)

    def repeated_by(self, sentence: str) -> bool:
        return self.repeated_by_normalised(_normalise(sentence))

    def repeated_by_normalised(self, s: str) -> bool:
        """:meth:`repeated_by` for a sentence already through :func:`_normalise`."""
        t = self.normalised
        if not s or not t:
            return False
        if s == t or s in t:
            return True
        s_words = _words(s)
        if not s_words or not self.words:
            return False
        extra = len(s_words) - len(self.words)
        if s.startswith(t) and extra <= max(5, len(self.words) // 3):
            return True  # the title plus a few words
        sentence_set = set(s_words)
        covered = len(self.word_set & sentence_set)
        if covered >= 0.9 * len(self.word_set) and extra <= 5:
            return True  # the title's words, reordered, plus a few
        return covered >= 0.85 * len(sentence_set) and len(sentence_set) >= 3


def repeats_title(sentence: str, title: str) -> bool:
    """True when the sentence says no more than the title: the same words, the title
    plus a few words, or a piece of the title (case and punctuation ignored)."""
    return _Title(title).repeated_by(sentence)


def _strip_kicker(sentence: str) -> str:
    """Drop a leading dateline or kicker: "BERLIN (dpa) - ", "VIDÉO - ", "UPDATE: "."""
    patterns = []
    if sentence[:2].isupper():
        patterns.append(_CAPS_KICKER)
    if "(" in sentence[:45]:
        patterns.append(_AGENCY_DATELINE)
    for pattern in patterns:
        match = pattern.match(sentence)
        if match and len(sentence) - match.end() >= 20:
            return sentence[match.end() :]
    return sentence


def _is_content(sentence: str, *, list_item: bool = False) -> bool:
    """A sentence worth showing: prose, not a byline, date, link, code or boilerplate."""
    spaces = sentence.count(" ")
    letters = _letter_count(sentence, spaces)
    if letters < 0.55 * (len(sentence) - spaces):
        return False  # numbers, code, tables, URLs
    spaceless = _HAS_NO_SPACE.search(sentence) is not None
    if spaceless:
        if letters < 6:
            return False
    elif letters < 20 or len(sentence.split()) < 4:
        return False
    # a heading, a caption, a list fragment, a teaser cut off by the feed ("Radiant floor
    # heating throughou [...]"): only a long one reads as a sentence
    if not _is_complete(sentence) and (
        len(sentence) < (30 if spaceless else 80)
        or (list_item and not spaceless and not _TRUNCATED.search(sentence))
    ):
        return False
    if _might_have_url(sentence) and (
        _URL.match(sentence)  # "https://... - JETZT MITGLIED WERDEN!"
        or _URL_END.search(sentence)  # "explained here: https://..."
        or len(_URL.sub("", sentence)) < 0.6 * len(sentence)
    ):
        return False
    if _CODE_HINT.search(sentence) and _matches_twice(_CODE, sentence):
        return False
    if _PARENTHESISED.match(sentence):
        return False
    if _LABEL.match(sentence) and len(sentence.split()) <= 8:
        return False
    if sentence.upper() == sentence and _is_shouting(sentence):
        return False  # all capitals: a kicker or a heading
    if _BYLINE.match(sentence) or _POSTED.match(sentence):
        return False
    return not is_boilerplate(sentence)


def _might_have_url(sentence: str) -> bool:
    return _URL_HINT.search(sentence.lower()) is not None


def _matches_twice(pattern: re.Pattern[str], text: str) -> bool:
    """``len(pattern.findall(text)) >= 2``, without finding the matches after the second."""
    found = pattern.finditer(text)
    return next(found, None) is not None and next(found, None) is not None


def _is_shouting(sentence: str) -> bool:
    """Capitals only, and they are most of the letters (URLs aside): not "RSS" and
    "URL" among Japanese, which has no case."""
    text = _URL.sub("", sentence) if _might_have_url(sentence) else sentence
    capitals = sum(map(ne, text, text.lower()))  # map() stops at the shorter, as zip did
    return capitals > 12 and capitals > 0.5 * _letter_count(text, text.count(" "))


def _trim(sentence: str, max_chars: int) -> str:
    """At most ``max_chars``: cut at a clause break, else a word, and end with "…"."""
    if len(sentence) <= max_chars:
        return sentence
    budget = max_chars - 1
    head = sentence[:budget]
    breaks = [m.start() for m in _CLAUSE_BREAK.finditer(head) if m.start() >= 0.6 * budget]
    if breaks:
        cut = breaks[-1]
    elif _HAS_NO_SPACE.search(head[-20:]):
        cut = budget
    else:
        cut = head.rfind(" ")
        if cut < 0.5 * budget:
            cut = budget
    return head[:cut].rstrip(" ,;:，、；：-–—") + ELLIPSIS


# --- scoring ----------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    """Word tokens (of 3+ characters), and character bigrams in spaceless scripts."""
    tokens: list[str] = []
    for run in _NO_SPACE_RUN.findall(text):
        if len(run) == 1:
            tokens.append(run)
        else:
            tokens.extend(map(add, run, run[1:]))  # each character and the next
    if tokens:
        text = _NO_SPACE_RUN.sub(" ", text)
    tokens.extend(_LONG_WORD.findall(text))
    return tokens


def _vector(
    tokens: list[str], idf: dict[str, float], distinct: int | None = None
) -> dict[str, float]:
    """Token -> tf-idf weight, in order of first occurrence; ``distinct`` is
    ``len(set(tokens))`` when the caller has it."""
    if distinct is None:
        distinct = len(set(tokens))
    if distinct == len(tokens):  # each token once: its weight 1 + log(1) is 1.0
        return dict(zip(tokens, map(idf.get, tokens, repeat(1.0)), strict=True))
    counts = Counter(tokens)
    return {token: (1.0 + math.log(n)) * idf.get(token, 1.0) for token, n in counts.items()}


# The sums below are built from map(mul, ...) rather than generator expressions: the
# same products added in the same order (so the same floats), at half the cost.


def _norm(vector: dict[str, float]) -> float:
    values = vector.values()
    return math.sqrt(sum(map(mul, values, values)))


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    """The sum over ``a``'s tokens, in its order, of a's value times b's (or 0)."""
    return sum(map(mul, a.values(), map(b.get, a, repeat(0.0))))


def _cosine(a: dict[str, float], b: dict[str, float], norm_a: float, norm_b: float) -> float:
    if not norm_a or not norm_b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    return _dot(a, b) / (norm_a * norm_b)


class _Candidate:
    __slots__ = ("index", "norm", "score", "text", "vector")

    def __init__(self, index: int, text: str) -> None:
        self.index = index
        self.text = text
        self.vector: dict[str, float] = {}
        self.norm = 0.0
        self.score = 0.0


def _candidates(title: str, text: str, lang: str | None) -> list[_Candidate]:
    found: list[_Candidate] = []
    seen: set[str] = set()
    prepared = _Title(title)
    for examined, (sentence, list_item) in enumerate(_sentences(text, lang)):
        if examined >= MAX_EXAMINED or len(found) >= MAX_CANDIDATES:
            break
        if sentence.startswith(("[", "*", "†", "‡")):
            sentence = _LEADING_MARKS.sub("", sentence)
        sentence = _strip_kicker(sentence)
        if not _is_content(sentence, list_item=list_item):
            continue
        key = _normalise(sentence)
        if prepared.repeated_by_normalised(key) or key in seen:
            continue
        seen.add(key)
        found.append(_Candidate(len(found), sentence))
    return found


def _score(candidates: list[_Candidate], title: str) -> None:
    token_lists = [_tokens(c.text.casefold()) for c in candidates]
    token_sets = [set(tokens) for tokens in token_lists]
    document_frequency = Counter(chain.from_iterable(token_sets))
    total = len(candidates)
    logs = {n: math.log(1.0 + total / n) for n in set(document_frequency.values())}
    idf = {token: logs[n] for token, n in document_frequency.items()}
    centroid: dict[str, float] = {}
    centroid_get = centroid.get
    for candidate, tokens, token_set in zip(candidates, token_lists, token_sets, strict=True):
        candidate.vector = _vector(tokens, idf, len(token_set))
        candidate.norm = _norm(candidate.vector)
        for token, value in candidate.vector.items():
            centroid[token] = centroid_get(token, 0.0) + value
    squares = map(mul, centroid.values(), centroid.values())
    centroid_square = sum(squares)
    title_vector = _vector(_tokens(title.casefold()), idf) if title else {}
    title_norm = _norm(title_vector)
    for candidate in candidates:
        # similarity to the rest of the article: cos(v, C - v), from v·C, |v| and |C|
        square = candidate.norm * candidate.norm
        dot = _dot(candidate.vector, centroid)
        rest_square = centroid_square - 2.0 * dot + square
        centrality = 0.0
        if square > 0 and rest_square > 1e-9:
            centrality = (dot - square) / (candidate.norm * math.sqrt(rest_square))
        about_title = _cosine(candidate.vector, title_vector, candidate.norm, title_norm)
        position = 1.0 / (1.0 + 0.3 * candidate.index)
        score = 0.5 * position + 0.35 * centrality + 0.25 * about_title
        sentence = candidate.text
        if sentence.endswith(("?", "？")):
            score -= 0.15  # a teaser question
        if _TEASER.match(sentence):
            score -= 0.2
        if sentence.endswith((":", "：")):
            score -= 0.3  # introduces a list that is not in the line
        if _TRUNCATED.search(sentence) and not _is_complete(sentence[:-3]):
            score -= 0.25  # cut off by the feed ("...the city...")
        elif not _is_complete(sentence):
            score -= 0.1  # no end punctuation: a fragment or a caption
        if len(sentence) > 400:
            score -= 0.1  # will be cut
        candidate.score = score


def _choose(candidates: list[_Candidate], max_lines: int) -> list[_Candidate]:
    """Maximal marginal relevance: the best score, less what is already said."""
    redundancy = [0.0] * len(candidates)
    chosen: list[_Candidate] = []
    taken: set[int] = set()
    while len(chosen) < max_lines:
        best, best_value = -1, -math.inf
        for i, candidate in enumerate(candidates):
            if i in taken or redundancy[i] > MAX_REDUNDANCY:
                continue  # chosen, or says what a chosen line says
            value = candidate.score - 0.4 * redundancy[i]
            if value > best_value:
                best, best_value = i, value
        if best < 0:
            break
        taken.add(best)
        pick = candidates[best]
        chosen.append(pick)
        for i, candidate in enumerate(candidates):
            if i not in taken:
                similarity = _cosine(candidate.vector, pick.vector, candidate.norm, pick.norm)
                redundancy[i] = max(redundancy[i], similarity)
    chosen.sort(key=lambda c: c.index)
    return chosen


def summarise(
    title: str,
    text: str,
    lang: str | None,
    *,
    max_lines: int = MAX_LINES,
    max_chars: int = MAX_CHARS,
) -> tuple[str, ...]:
    """Up to ``max_lines`` lines from the article's own text, in text order.

    ``text`` is the article's clean text (paragraphs separated by blank lines, ideally
    after :func:`reader.boilerplate.strip_boilerplate`); ``lang`` its ISO 639-1 code
    (sentence rules; anything else falls back to generic rules). Each line is one
    sentence, or a sentence cut at ``max_chars`` ending with "…". An item whose
    text only repeats its title gets ``()``.
    """
    if not text or max_lines <= 0:
        return ()
    candidates = _candidates(title or "", text, lang)
    if not candidates:
        return ()
    if len(candidates) == 1:  # a third of the corpus's items: the line, nothing to weigh
        return (_trim(candidates[0].text, max_chars),)
    _score(candidates, title or "")
    chosen = _choose(candidates, max_lines)
    return tuple(_trim(c.text, max_chars) for c in chosen)
