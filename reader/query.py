"""Filter expressions and sort orders (pure), shared by the app and ``reader list``.

A filter is one line of space-separated terms, all of which must hold (elfeed-style)::

    +unread +korea -sports lang:ja topic:"Open models" stars>=3 fresh|ok @7d
    source:arxiv "exact phrase"

=====================  ==========================================================
term                   matches articles that...
=====================  ==========================================================
``+tag`` / ``-tag``    have / lack the tag. ``unread``, ``read``, ``starred`` work
                       as tags too: ``+unread``, ``-starred``.
``word``               contain the word in title, summary or source (any case)
``"exact phrase"``     contain the phrase
``!word``              do not contain the word (``!"a phrase"`` too)
``lang:ja``            are in that language (``lang:ja,ko`` for either)
``topic:NAME``         have the topic (main or added); quote names with spaces
``source:TEXT``        come from a source whose name contains TEXT
``feed:NAME``          come from the feed with exactly that name
``type:paper``         are of that type (``type:paper,release``)
``tier:1``             come from a tier-1 source (``tier:1,2``)
``stars>=3``           have at least 3 stars; also ``>``, ``<``, ``<=``, ``=``
``fresh|ok``           are fresh or ok (any of fresh, ok, fading, stale)
``@7d``                are younger than 7 days (``m`` minutes, ``h``, ``d``, ``w``,
                       ``mo`` months of 30 days, ``y``)
=====================  ==========================================================

A mistake raises :class:`FilterError` with the column where it is, so the app can point
at it in the input line.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from reader.errors import UsageError
from reader.halflife import FRESHNESS_LABELS, freshness, remaining_value
from reader.models import ARTICLE_TYPES, Article, UserState

SORTS = ("worth", "importance", "freshness", "newest", "source")
SORT_LABELS = {
    "worth": "worth reading now",
    "importance": "importance",
    "freshness": "freshness",
    "newest": "newest",
    "source": "source",
}
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "mo": 30 * 86400, "y": 365 * 86400}
_AGE = re.compile(r"^@(\d+(?:\.\d+)?)(mo|m|h|d|w|y)$")
_STARS = re.compile(r"^stars(>=|<=|>|<|=)(\d)$")
_FIELDS = ("lang", "topic", "source", "feed", "type", "tier")


_LANG_CODE = re.compile(r"[A-Za-z]{2}(?:[-_][A-Za-z0-9]+)*")


class FilterError(UsageError):
    """A filter expression that does not parse; ``column`` is 0-based."""

    def __init__(self, message: str, column: int, expression: str) -> None:
        super().__init__(f"{message} (at column {column + 1} of {expression!r})")
        self.reason = message
        self.column = column


@dataclass(frozen=True, slots=True)
class Item:
    """What a filter looks at: an article, its marks, and its lower-cased search text."""

    article: Article
    state: UserState
    text: str  # lower-cased title, summary and source


def search_text(article: Article) -> str:
    return "\n".join((article.title, " ".join(article.summary), article.source)).lower()


Predicate = Callable[[Item, float], bool]


@dataclass
class Filter:
    expression: str = ""
    predicates: list[Predicate] = field(default_factory=list)
    #: the words and phrases an article's text must contain (lower-cased): a library
    #: can find the candidates with one scan of all texts before testing predicates
    needles: list[str] = field(default_factory=list)
    #: whether any predicate reads ``Item.text`` (else it need not be computed)
    reads_text: bool = False
    #: the smallest age term (``@7d``) in seconds: older articles never match, so a
    #: library can leave unread what the catalog shows to be older (None: no age term)
    max_age: float | None = None

    def __call__(self, item: Item, now: float) -> bool:
        return all(predicate(item, now) for predicate in self.predicates)

    @property
    def empty(self) -> bool:
        return not self.predicates


def _tokens(expression: str) -> list[tuple[str, int]]:
    """Split on spaces, keeping "quoted parts" together; (token, column)."""
    tokens: list[tuple[str, int]] = []
    i, n = 0, len(expression)
    while i < n:
        if expression[i].isspace():
            i += 1
            continue
        start = i
        while i < n and not expression[i].isspace():
            if expression[i] == '"':
                end = expression.find('"', i + 1)
                if end < 0:
                    raise FilterError("unclosed quote", i, expression)
                i = end + 1
            else:
                i += 1
        tokens.append((expression[start:i], start))
    return tokens


def _unquote(value: str) -> str:
    return value.replace('"', "")


def _state_tag(name: str) -> Predicate | None:
    if name == "unread":
        return lambda item, now: not item.state.read
    if name == "read":
        return lambda item, now: item.state.read
    if name in ("starred", "star"):
        return lambda item, now: item.state.starred
    return None


def _negate(predicate: Predicate) -> Predicate:
    return lambda item, now: not predicate(item, now)


def _values(raw: str, column: int, expression: str, name: str) -> list[str]:
    values = [v.strip() for v in _unquote(raw).split(",") if v.strip()]
    if not values:
        raise FilterError(f"{name}: needs a value", column, expression)
    return values


def _field(name: str, raw: str, column: int, expression: str) -> Predicate:
    values = _values(raw, column, expression, name)
    if name == "lang":
        bad = [v for v in values if not _LANG_CODE.fullmatch(v)]
        if bad:  # "lang:german" would silently match nothing
            raise FilterError(
                f"lang: {bad[0]!r} is not a two-letter language code (en, de, ja...)",
                column,
                expression,
            )
        langs = {v.lower()[:2] for v in values}
        return lambda item, now: item.article.lang in langs
    if name == "topic":
        topics = {v.casefold() for v in values}
        return lambda item, now: (
            any(t.casefold() in topics for t in item.article.topics)
            or (item.article.topic.casefold() in topics)
        )
    if name == "source":
        needles = [v.casefold() for v in values]
        return lambda item, now: any(
            n in item.article.source.casefold() or n in item.article.feed.casefold()
            for n in needles
        )
    if name == "feed":
        feeds = {v.casefold() for v in values}
        return lambda item, now: item.article.feed.casefold() in feeds
    if name == "type":
        bad = [v for v in values if v.lower() not in ARTICLE_TYPES]
        if bad:
            raise FilterError(
                f"type: {bad[0]!r} is not one of {', '.join(ARTICLE_TYPES)}", column, expression
            )
        types = {v.lower() for v in values}
        return lambda item, now: item.article.type in types
    if name == "tier":
        if any(v not in ("1", "2", "3") for v in values):
            raise FilterError("tier: must be 1, 2 or 3", column, expression)
        tiers = {int(v) for v in values}
        return lambda item, now: item.article.tier in tiers
    raise FilterError(f"unknown field {name!r}", column, expression)  # pragma: no cover


def _freshness_of(article: Article, now: float) -> tuple[str, float]:
    hours = article.halflife.hours if article.halflife else 24.0
    return freshness(now - article.when, hours)


def parse_filter(expression: str) -> Filter:
    """Compile a filter expression; raises :class:`FilterError` pointing at the mistake."""
    result = Filter(expression=expression.strip())
    for token, column in _tokens(expression):
        predicate = _term(token, column, expression)
        result.predicates.append(predicate)
        needle = getattr(predicate, "needle", None)
        if needle:
            result.needles.append(needle)
        result.reads_text = result.reads_text or getattr(predicate, "reads_text", False)
        max_age = getattr(predicate, "max_age", None)
        if max_age is not None and (result.max_age is None or max_age < result.max_age):
            result.max_age = max_age
    return result


def _term(token: str, column: int, expression: str) -> Predicate:
    if token[0] in "+-" and len(token) > 1:
        from reader.config import normalise_tag

        name = normalise_tag(_unquote(token[1:]))
        state = _state_tag(name)
        if state is None:
            state = _has_tag(name)
        return state if token[0] == "+" else _negate(state)
    if token in ("+", "-"):
        raise FilterError(f"{token} needs a tag name after it", column, expression)
    if token.startswith("@"):
        match = _AGE.match(token)
        if not match:
            raise FilterError(
                f"{token!r}: write an age like @30m, @6h, @7d, @2w, @3mo", column, expression
            )
        seconds = float(match.group(1)) * _UNITS[match.group(2)]

        def young(item: Item, now: float) -> bool:
            return now - item.article.when <= seconds

        young.max_age = seconds  # type: ignore[attr-defined]
        return young
    if token.lower().startswith("stars"):
        match = _STARS.match(token.lower())
        if match and not 1 <= int(match.group(2)) <= 5:
            raise FilterError(f"{token!r}: stars go from 1 to 5", column, expression)
        if not match:
            raise FilterError(
                f"{token!r}: write stars>=3 (operators > >= < <= =, stars 1-5)", column, expression
            )
        op, value = match.group(1), int(match.group(2))
        compare = {
            ">=": lambda s: s >= value,
            "<=": lambda s: s <= value,
            ">": lambda s: s > value,
            "<": lambda s: s < value,
            "=": lambda s: s == value,
        }[op]
        return lambda item, now: compare(
            item.article.importance.stars if item.article.importance else 1
        )
    labels = token.lower().split("|")
    if all(label in FRESHNESS_LABELS for label in labels):
        wanted = set(labels)
        return lambda item, now: _freshness_of(item.article, now)[0] in wanted
    if ":" in token and not token.startswith('"'):
        name, _, raw = token.partition(":")
        if name.lower() in _FIELDS:
            return _field(name.lower(), raw, column, expression)
        if name.isalpha():
            raise FilterError(
                f"unknown field {name!r} (known: {', '.join(_FIELDS)})", column, expression
            )
    if token.startswith("!") and len(token) > 1:
        absent = _unquote(token[1:]).lower()

        def lacks(item: Item, now: float) -> bool:
            return absent not in item.text

        lacks.reads_text = True  # type: ignore[attr-defined]
        return lacks
    needle = _unquote(token).lower()
    if not needle:
        raise FilterError("empty phrase", column, expression)

    def contains(item: Item, now: float) -> bool:
        return needle in item.text

    contains.needle = needle  # type: ignore[attr-defined]
    contains.reads_text = True  # type: ignore[attr-defined]
    return contains


def _has_tag(name: str) -> Predicate:
    return lambda item, now: name in item.state.tags


# --- sorting ---------------------------------------------------------------------------


def worth_reading_now(article: Article, now: float) -> float:
    """Importance weighted by the value the article has left at its age."""
    score = article.importance.score if article.importance else 0.0
    _label, ratio = _freshness_of(article, now)
    return score * remaining_value(ratio)


def sort_key(sort: str, now: float | None = None) -> Callable[[Article], object]:
    """A key for ``sorted`` that puts the best first under ``sort``."""
    now = time.time() if now is None else now
    if sort == "worth":
        return lambda a: (-worth_reading_now(a, now), -a.when)
    if sort == "importance":
        return lambda a: (-(a.importance.score if a.importance else 0.0), -a.when)
    if sort == "freshness":
        return lambda a: (_freshness_of(a, now)[1], -a.when)
    if sort == "newest":
        return lambda a: -a.when
    if sort == "source":
        return lambda a: (a.source.casefold(), -a.when)
    raise UsageError(f"unknown sort {sort!r} (one of {', '.join(SORTS)})")
