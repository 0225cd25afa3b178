"""Type, half-life class and freshness (pure).

**Type** comes from the feed (feeds.toml ``type``), refined by the entry's own signals:
an arXiv/DOI/OpenReview link is a paper, an audio enclosure a podcast, a video enclosure
or a YouTube link a video, a version number in a release feed (or a GitHub release link
anywhere) a release.

**Half-life class** says how long an item stays worth reading, from what the content is,
not only where it came from. First match wins:

=========  ===========  =====================================================================
class      default      when
=========  ===========  =====================================================================
flash      6 hours      breaking/live items, tickers (shared links lose half their clicks in
                        ~3 hours: bitly, 2011)
short      24 hours     news, and announcements even on a company blog (the median news
                        article gets 90% of its views in 2.6 days: Parse.ly, 2014)
medium     7 days       blog posts, analysis and opinion, releases, podcasts, videos
long       60 days      papers (most arXiv papers are still downloaded after 100 days),
                        tutorials and guides
evergreen  365 days     reference material: glossaries, FAQs, cheat sheets
=========  ===========  =====================================================================

Hours per class are configurable (``[halflife]`` in feeds.toml).

**Freshness** is computed when shown, from the article's age against its half-life:
``ratio = age_hours / halflife_hours``. Read as "value left = 0.5 ** ratio":

- ``fresh``  ratio < 0.5   (more than ~71% of its value left)
- ``ok``     ratio < 1     (more than half left)
- ``fading`` ratio < 2     (between a quarter and a half left)
- ``stale``  ratio >= 2    (less than a quarter left)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reader.models import Enclosure, HalfLife

HALFLIFE_CLASSES = ("flash", "short", "medium", "long", "evergreen")
FRESHNESS_LABELS = ("fresh", "ok", "fading", "stale")
FRESH_BELOW, OK_BELOW, FADING_BELOW = 0.5, 1.0, 2.0


@dataclass(frozen=True)
class HalfLifeHours:
    """Hours per half-life class; feeds.toml ``[halflife]`` overrides them."""

    flash: float = 6.0
    short: float = 24.0
    medium: float = 168.0
    long: float = 1440.0
    evergreen: float = 8760.0

    def of(self, cls: str) -> float:
        return getattr(self, cls)


# --- type ----------------------------------------------------------------------------

_PAPER_LINK = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf)/|doi\.org/10\.|/doi/10\.|openreview\.net/forum|"
    r"aclanthology\.org/|biorxiv\.org/content/|medrxiv\.org/content/|"
    r"proceedings\.(?:mlr\.press|neurips\.cc)|papers\.nips\.cc|ssrn\.com/abstract)",
    re.IGNORECASE,
)
_PAPER_TEXT = re.compile(r"\barXiv:\s?\d{4}\.\d{4,5}\b|\bdoi:\s?10\.\d{4,}/", re.IGNORECASE)
_VIDEO_LINK = re.compile(r"(?:youtube\.com/watch|youtu\.be/|vimeo\.com/\d)", re.IGNORECASE)
_RELEASE_LINK = re.compile(r"/releases/tag/|/-/releases/", re.IGNORECASE)
_VERSION = re.compile(r"(?<![\w.])v?\d+\.\d+(?:\.\d+)?(?:[-.]?(?:rc|beta|alpha|b|a)\d*)?(?![\w.])")


def refine_type(
    feed_type: str,
    *,
    title: str,
    link: str,
    text: str = "",
    enclosures: tuple[Enclosure, ...] = (),
) -> str:
    """The entry's type: the feed's type unless the entry itself says otherwise."""
    for enclosure in enclosures:
        kind = enclosure.type.lower()
        if kind.startswith("audio/"):
            return "podcast"
        if kind.startswith("video/"):
            return "video"
    if _PAPER_LINK.search(link) or (feed_type != "paper" and _PAPER_TEXT.search(text[:3000])):
        return "paper"
    if _VIDEO_LINK.search(link):
        return "video"
    if _RELEASE_LINK.search(link):
        return "release"
    if feed_type == "release" and not _VERSION.search(title):
        # a release feed's non-release post (an announcement, a blog entry)
        return "news"
    return feed_type


# --- half-life -------------------------------------------------------------------------

# Words in several languages; matched case-insensitively on the title (and the first
# characters of the text for datelines). CJK words have no word boundaries.
_FLASH = re.compile(
    r"^\W*(?:breaking|live|just in|eilmeldung|en direct|direct|in diretta|última hora|"
    r"en vivo|ao vivo|срочно)\s*[:|–—-]|\b(?:breaking news|live updates|live blog|liveblog|"
    r"liveticker|newsticker|dernière minute|ultim'ora|прямая трансляция)\b|速報|快讯|突发|속보",
    re.IGNORECASE,
)
_EVERGREEN = re.compile(
    r"\b(?:glossary|cheat ?sheet|faq|reference guide|primer|glossar|glossaire|glossario|"
    r"spickzettel|aide-mémoire)\b|用語集|早見表|术语表",
    re.IGNORECASE,
)
_GUIDE = re.compile(
    r"\b(?:how to|how-to|tutorial|guide|explained|explainer|walkthrough|deep dive|"
    r"introduction to|step by step|anleitung|leitfaden|erklärt|tutoriel|comment faire|"
    r"expliqué|guida|come fare|spiegato|guía|cómo|руководство|как )\b|入門|解説|チュートリアル|"
    r"使い方|教程|指南|如何",
    re.IGNORECASE,
)
_ANALYSIS = re.compile(
    r"\b(?:analysis|opinion|commentary|column|essay|review|interview|kommentar|analyse|"
    r"meinung|tribune|éditorial|chronique|editoriale|commento|opinión|análisis|мнение|"
    r"интервью)\b|コラム|論評|インタビュー|评论|专访",
    re.IGNORECASE,
)
_ANNOUNCEMENT = re.compile(
    r"\b(?:announc\w*|introducing|launch\w*|releas\w*|unveil\w*|now available|today|"
    r"available now|rolls? out|debuts?|kündigt|stellt \w+ vor|veröffentlicht|startet|"
    r"annonce|lance|dévoile|présente|disponible|annuncia|lancia|presenta|rilascia|"
    r"anuncia|lanza|объявил|представил|выпустил)\b|発表|公開|提供開始|リリース|発売|发布|推出|上线|"
    r"출시|공개|발표",
    re.IGNORECASE,
)


def classify(
    type_: str,
    *,
    title: str,
    text: str = "",
    hours: HalfLifeHours | None = None,
) -> HalfLife:
    """The article's half-life class, its hours and the reason shown on the card."""
    hours = hours or HalfLifeHours()
    head = f"{title}\n{text[:200]}"

    def make(cls: str, reason: str) -> HalfLife:
        return HalfLife(cls, hours.of(cls), reason)

    if type_ == "paper":
        return make("long", "paper")
    if _FLASH.search(title):
        return make("flash", "breaking")
    if _EVERGREEN.search(title):
        return make("evergreen", "reference")
    if _GUIDE.search(title):
        return make("long", "guide")
    if type_ == "release":
        return make("medium", "release")
    if type_ in ("podcast", "video"):
        return make("medium", type_)
    if _ANALYSIS.search(title):
        return make("medium", "analysis")
    if type_ == "news":
        return make("short", "news")
    if _ANNOUNCEMENT.search(head):
        return make("short", "announcement")
    if type_ == "blog":
        return make("medium", "blog")
    return make("medium", type_)


# --- freshness ------------------------------------------------------------------------


def freshness(age_seconds: float, halflife_hours: float) -> tuple[str, float]:
    """(label, ratio) for an article of this age. A future date counts as age 0."""
    ratio = max(age_seconds, 0.0) / 3600.0 / max(halflife_hours, 1e-9)
    if ratio < FRESH_BELOW:
        label = "fresh"
    elif ratio < OK_BELOW:
        label = "ok"
    elif ratio < FADING_BELOW:
        label = "fading"
    else:
        label = "stale"
    return label, ratio


def remaining_value(ratio: float) -> float:
    """Share of an item's value left at this age ratio (exponential decay)."""
    return 0.5 ** max(ratio, 0.0)
