"""The records that cross module boundaries. Frozen, plain, no behaviour beyond conversion.

Times are UTC epoch seconds (floats) inside halflife: cheap to sort and to load 100k of;
they become ISO 8601 only at the edges (JSON output, the card).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime

ARTICLE_TYPES = ("news", "blog", "paper", "release", "video", "podcast", "other")
TIER_LABELS = {1: "official", 2: "press", 3: "other"}


def iso(ts: float | None) -> str | None:
    """ISO 8601 UTC with a Z, or None."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Enclosure:
    url: str
    type: str = ""
    length: int | None = None


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One feed entry as the parser read it: safe plain text, absolute links, UTC times."""

    key: str  # guid, else link, else a content hash: what makes the entry itself
    title: str
    link: str
    text: str  # the article's clean text (paragraphs separated by blank lines)
    author: str = ""
    published: float | None = None
    updated: float | None = None
    lang: str | None = None  # xml:lang / dc:language of the entry, a hint only
    enclosures: tuple[Enclosure, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    link: str
    lang: str | None
    ttl_minutes: int | None
    entries: tuple[ParsedEntry, ...]
    warning: str | None = None  # the feed was read despite a problem (bozo), one line


@dataclass(frozen=True, slots=True)
class HalfLife:
    cls: str  # flash, short, medium, long, evergreen
    hours: float
    reason: str

    def to_json(self) -> dict:
        return {"class": self.cls, "hours": self.hours, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Importance:
    score: float
    stars: int
    label: str

    def to_json(self) -> dict:
        return {"score": round(self.score, 3), "stars": self.stars, "label": self.label}


@dataclass(frozen=True, slots=True)
class Article:
    """An article as stored: the parsed entry plus everything computed when it was stored.

    The reader's own marks (tags, read, starred) are not here: see :class:`UserState`.
    The full text lives apart from this index record (``Store.body``).
    """

    id: str
    feed: str  # feed name: feeds.toml `name`, else the feed's own title
    feed_url: str  # the feed's URL as configured: the feed's identity
    source: str
    tier: int
    title: str
    link: str
    author: str = ""
    published: float | None = None
    updated: float | None = None
    collected: float = 0.0
    lang: str = ""
    type: str = "news"
    halflife: HalfLife | None = None
    summary: tuple[str, ...] = ()
    topic: str = ""
    topics: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    importance: Importance | None = None
    enclosures: tuple[Enclosure, ...] = ()
    keyword_hits: int = 0  # the reader's importance keywords found in title and lead
    text_length: int = 0  # characters of clean text
    content_hash: str = ""
    enriched: int = 0  # version of the enrichment code that computed the derived fields
    segment: int = 0  # where the store keeps it

    @property
    def when(self) -> float:
        """The article's time for sorting and age: published, else collected."""
        if self.published is not None and self.published <= self.collected + 86400:
            return self.published
        return self.collected

    def with_(self, **changes) -> Article:
        """A copy with ``changes``, as ``dataclasses.replace`` makes it, without its
        per-call walk of the dataclass fields (a refresh copies each new article twice)."""
        new = _new_article()
        for name in _ARTICLE_FIELDS:
            _set_field(new, name, changes.pop(name) if name in changes else getattr(self, name))
        if changes:
            raise TypeError(f"Article has no field {next(iter(changes))!r}")
        return new


_ARTICLE_FIELDS = tuple(f.name for f in fields(Article))
_set_field = object.__setattr__  # how a frozen dataclass's own __init__ sets its fields


def _new_article() -> Article:
    return object.__new__(Article)


@dataclass(frozen=True, slots=True)
class UserState:
    """The reader's marks on one article. Sacred: nothing but the reader changes them."""

    tags: tuple[str, ...] = ()
    read: bool = False
    starred: bool = False

    @property
    def is_default(self) -> bool:
        return not self.tags and not self.read and not self.starred


@dataclass(frozen=True, slots=True)
class StateChange:
    """One edit of the reader's marks, applied read-modify-write under the state lock."""

    article_id: str
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    read: bool | None = None
    starred: bool | None = None

    def apply(self, state: UserState) -> UserState:
        tags = set(state.tags)
        tags.difference_update(self.remove_tags)
        tags.update(self.add_tags)
        return UserState(
            tags=tuple(sorted(tags)),
            read=state.read if self.read is None else self.read,
            starred=state.starred if self.starred is None else self.starred,
        )


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """What the store remembers about a feed between refreshes."""

    key: str  # the configured URL
    name: str = ""
    url: str = ""  # where it is fetched from now (a permanent redirect changes it)
    title: str = ""
    link: str = ""
    lang: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    last_fetch: float | None = None
    last_success: float | None = None
    last_error: str | None = None
    failures: int = 0
    next_due: float | None = None
    ttl_minutes: int | None = None
    article_count: int = 0
    last_new: int = 0
    avg_stars: float | None = None
    extra: dict = field(default_factory=dict)

    def with_(self, **changes) -> FeedRecord:
        return replace(self, **changes)
