"""Cards as text for the shell and for notes: ``--format`` templates and Markdown (pure).

Every string from a feed is hostile (see ``text.py``): in plain text it is passed
through :func:`~reader.text.clean_inline` (no escape sequences reach the terminal); in
Markdown every character that could start markup is backslash-escaped and links are
only ever ``http(s)`` (a ``javascript:`` link becomes plain text), so a title such as
``[x](javascript:alert(1))`` or ``<script>`` renders as those characters, never as a
link or HTML.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from reader.errors import UsageError
from reader.models import TIER_LABELS
from reader.text import clean_inline, counted

# --- ages and small labels ---------------------------------------------------------------


def age(seconds: float) -> str:
    """A short age, at most four characters: 5m, 3h, 12d, 4mo, 23mo, 3y."""
    seconds = max(seconds, 0)
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    if seconds < 86400 * 60:
        return f"{int(seconds // 86400)}d"
    if seconds < 86400 * 730:
        return f"{int(seconds // (86400 * 30))}mo"
    return f"{int(seconds // (86400 * 365))}y"


def stars_text(stars: int | None) -> str:
    """★★★☆☆ for 3 stars; "" when unknown."""
    if not stars:
        return ""
    return "★" * stars + "☆" * (5 - stars)


def card_time(card: dict) -> float | None:
    """The card's time (published, else collected) as epoch seconds."""
    for key in ("published", "collected"):
        value = card.get(key)
        if value:
            # the card's own format (models.iso): fromisoformat reads it ~20x faster than
            # strptime, which was a sixth of `reader list` over a whole store
            return datetime.fromisoformat(value).timestamp()
    return None


# --- --format templates ------------------------------------------------------------------

_ESCAPES = {"t": "\t", "n": "\n", "\\": "\\", "0": "\0"}


def decode_escapes(template: str) -> str:
    r"""``\t``, ``\n``, ``\0`` and ``\\`` as typed on a shell line; other backslashes stay."""
    out = []
    i = 0
    while i < len(template):
        ch = template[i]
        if ch == "\\" and i + 1 < len(template) and template[i + 1] in _ESCAPES:
            out.append(_ESCAPES[template[i + 1]])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


class _Joined(list):
    """A list that prints as its items joined (``{tags}`` -> ``a, b``); ``{tags[0]}`` works."""

    def __init__(self, items: Iterable, sep: str) -> None:
        super().__init__(items)
        self.sep = sep

    def __str__(self) -> str:
        return self.sep.join(str(x) for x in self)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


class _Labelled(str):
    """A label that prints as text (``{freshness}`` -> ``fresh``) and still indexes as the
    card's object (``{freshness[ratio]}``)."""

    parts: dict

    def __new__(cls, text: str, parts: dict | None) -> _Labelled:
        self = super().__new__(cls, text)
        self.parts = parts or {}
        return self

    def __getitem__(self, key):
        if isinstance(key, str):
            return _plain(self.parts.get(key))
        return super().__getitem__(key)


class _Blank(str):
    """A missing value: prints as nothing, and so does anything taken from it."""

    def __getitem__(self, key):
        return self


BLANK = _Blank("")

#: Names a --format template may use besides the card's own JSON names.
EXTRA_FIELDS = {
    "stars": "importance stars, 1-5",
    "label": "the stars' label (normal, notable, important, major, must-read)",
    "score": "importance score",
    "percentile": "top P% in its topic",
    "ratio": "freshness ratio: age / half-life",
    "hours": "half-life in hours",
    "age": "age, as 5m, 3h, 2d",
    "date": "published (else collected) date, YYYY-MM-DD",
    "tier_label": "official, press or other",
}
CARD_FIELDS = (
    "id",
    "title",
    "link",
    "feed",
    "source",
    "tier",
    "source_avg_stars",
    "topic",
    "topics",
    "type",
    "importance",
    "halflife",
    "freshness",
    "lang",
    "published",
    "collected",
    "summary",
    "related",
    "tags",
    "read",
    "starred",
    "author",
    "enclosures",
)
FIELDS = (*CARD_FIELDS, *EXTRA_FIELDS)


def _plain(value):
    if value is None:
        return BLANK
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return clean_inline(value)
    if isinstance(value, list):
        return _Joined((_plain(v) for v in value), ", ")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class _Fields(dict):
    """A card's template fields, each computed when the template first asks for it: a
    ``{id}\t{title}`` template over 100k articles need not clean every field of every
    card (most of the time of `reader list --format` was spent on unused fields)."""

    def __init__(self, card: dict, now: float) -> None:
        super().__init__()
        self.card = card
        self.now = now

    def __missing__(self, name: str):
        if name not in FIELDS:
            raise KeyError(name)
        value = self[name] = _field(self.card, name, self.now)
        return value


def _field(card: dict, name: str, now: float):
    if name == "summary":
        return _Joined((clean_inline(s) for s in card.get("summary") or ()), " ")
    if name == "related":
        return _Joined(card.get("related") or (), " ")
    importance = card.get("importance") or {}
    if name == "importance":
        text = f"{importance['stars']} {importance['label']}" if importance else ""
        return _Labelled(text, importance)
    freshness = card.get("freshness") or {}
    if name == "freshness":
        return _Labelled(freshness.get("label", ""), freshness)
    halflife = card.get("halflife") or {}
    if name == "halflife":
        return _Labelled(halflife.get("class", ""), halflife)
    if name in ("stars", "label", "score"):
        return importance.get(name, BLANK)
    if name == "percentile":
        return _plain(importance.get("percentile"))
    if name == "ratio":
        return freshness.get("ratio", BLANK)
    if name == "hours":
        return halflife.get("hours", BLANK)
    if name == "age":
        when = card_time(card)
        return age(now - when) if when is not None else BLANK
    if name == "date":
        return (card.get("published") or card.get("collected") or "")[:10] or BLANK
    if name == "tier_label":
        return TIER_LABELS.get(card.get("tier"), BLANK)
    return _plain(card.get(name))


class Template:
    """A ``--format`` template: Python format fields named after the card's JSON names.

    Checked once, before any output: an unknown name or a malformed field is a
    :class:`UsageError` (one line, exit 2). Attribute access (``{title.upper}``) is not
    allowed: templates index (``{summary[0]}``, ``{importance[score]}``), nothing more.
    """

    def __init__(self, template: str) -> None:
        self.text = decode_escapes(template)
        formatter = string.Formatter()
        try:
            parsed = list(formatter.parse(self.text))
        except ValueError as exc:
            raise UsageError(f"--format: {exc} in {template!r}") from None
        for _literal, name, spec, _conversion in parsed:
            if name is None:
                continue
            if name == "" or name.isdigit():
                raise UsageError(
                    f"--format: write field names, like {{title}}, not {{{name}}} "
                    f"(names: {', '.join(FIELDS)})"
                )
            head = re.split(r"[.\[]", name, maxsplit=1)[0]
            if "." in name.split("[", 1)[0]:
                raise UsageError(f"--format: {{{name}}}: attribute access is not supported")
            if head not in FIELDS:
                raise UsageError(f"--format: unknown field {{{head}}} (names: {', '.join(FIELDS)})")
            if spec and "{" in spec:
                raise UsageError(f"--format: nested fields in {{{name}:{spec}}} are not supported")

    def render(self, card: dict, now: float) -> str:
        try:
            return self.text.format_map(_Fields(card, now))
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise UsageError(f"--format: {type(exc).__name__}: {exc}") from None


# --- Markdown -----------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#!|~&$^])")
_MD_LINE_START = re.compile(r"^([-+=>:])")
_MD_NUMBERED = re.compile(r"^(\d+)([.)])")


def md_escape(text: str | None) -> str:
    """Plain text that a Markdown renderer shows as exactly these characters.

    One line (controls and newlines go, as in every view); every ASCII punctuation
    mark that can open markup is backslash-escaped (CommonMark: any ASCII punctuation
    may be), and so is what would start a list, quote or heading at the start.
    """
    text = _MD_SPECIAL.sub(r"\\\1", clean_inline(text))
    text = _MD_LINE_START.sub(r"\\\1", text)
    return _MD_NUMBERED.sub(r"\1\\\2", text)


def safe_url(url: str | None) -> str | None:
    """The URL ready for a Markdown link target, or None if it is not http(s).

    Spaces, parentheses, angle brackets, quotes and backslashes are percent-encoded, so
    the URL cannot end the link early or open anything.
    """
    if not url:
        return None
    url = clean_inline(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe="/:?#[]@!$&*+,;=%-._~")


def md_link(text: str, url: str | None) -> str:
    """``[text](url)`` for an http(s) URL; the escaped text alone otherwise."""
    label = md_escape(text) or "(untitled)"
    target = safe_url(url)
    return f"[{label}]({target})" if target else label


def card_markdown(card: dict, now: float, *, heading: str = "##") -> str:
    """One card as a Markdown section: title as a link, then the card's facts."""
    lines = [f"{heading} {md_link(card.get('title') or '', card.get('link'))}", ""]
    lines.append(" · ".join(md_escape(part) for part in card_facts(card, now)))
    summary = [s for s in (card.get("summary") or ()) if clean_inline(s)]
    if summary:
        lines.append("")
        lines += [f"- {md_escape(s)}" for s in summary]
    tags = card.get("tags") or ()
    if tags:
        lines += ["", "Tags: " + ", ".join(md_escape(t) for t in tags)]
    return "\n".join(lines) + "\n"


def card_facts(card: dict, now: float) -> list[str]:
    """The card's one-line facts, plain (callers escape): source and tier, stars and
    label, freshness, type, language, age, topic."""
    facts = []
    tier = card.get("tier")
    source = clean_inline(card.get("source") or card.get("feed") or "")
    facts.append(f"{source} (T{tier} {TIER_LABELS.get(tier, '')})".strip())
    importance = card.get("importance")
    if importance:
        facts.append(f"{stars_text(importance['stars'])} {importance['label']}")
    freshness = card.get("freshness")
    if freshness:
        facts.append(freshness["label"])
    facts.append(card.get("type") or "news")
    if card.get("lang"):
        facts.append(card["lang"])
    when = card_time(card)
    if when is not None:
        facts.append(f"{age(now - when)} ago")
    if card.get("topic"):
        facts.append(clean_inline(card["topic"]))
    return facts


def markdown_document(
    cards: list[dict], now: float, *, title: str, details: Iterable[str] = ()
) -> str:
    """A digest of cards for mail or notes: a heading, a line of details, the cards."""
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M UTC")
    meta = " · ".join([stamp, counted(len(cards), "article"), *details])
    parts = [f"# {md_escape(title)}\n", f"_{md_escape(meta)}_\n"]
    parts += [card_markdown(card, now) for card in cards]
    return "\n".join(parts)
