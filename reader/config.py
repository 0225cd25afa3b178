"""feeds.toml -> a frozen :class:`Config`. Every mistake is one line: file, line, key, what.

Unknown keys are errors (a typo must not be silently ignored). Sections are dataclasses
whose fields are the allowed keys; their defaults are the documented defaults.
"""

from __future__ import annotations

import functools
import re
import tomllib
import types
import typing
from dataclasses import MISSING, Field, dataclass, field, fields, is_dataclass
from pathlib import Path
from urllib.parse import urlsplit

from reader.errors import ConfigError
from reader.halflife import HalfLifeHours
from reader.models import ARTICLE_TYPES, FeedRecord
from reader.score import ImportanceSettings
from reader.topics import TopicRule

# --- sections ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreSettings:
    path: str | None = None
    """Directory of the store; default: the XDG data dir (~/.local/share/halflife/store)."""
    keep_days: int = 0
    """If > 0, `reader refresh` prunes untagged, unstarred articles older than this."""
    wait: float = 30.0
    """Seconds to wait for another process's store lock before giving up (exit 3)."""


@dataclass(frozen=True)
class FetchSettings:
    concurrency: int = 16
    """Requests in flight at once, all hosts together."""
    per_host: int = 4
    """Requests in flight at once to one host."""
    timeout: float = 20.0
    """Seconds for a whole request (connect, headers and body), per feed."""
    max_bytes: int = 20_000_000
    """A response larger than this (after decompression) is cut off with an error."""
    interval: int = 30
    """Minutes between two fetches of a feed that did not say otherwise (ttl, max-age)."""
    max_backoff: int = 24 * 60
    """Minutes: the longest a failing feed is left alone."""
    parse_workers: int = 0
    """Processes for parsing; 0 = one per CPU core."""


@dataclass(frozen=True)
class LanguageSettings:
    expected: tuple[str, ...] = ()
    """Languages you read (ISO 639-1); detection chooses among them. Empty: ~50 common ones."""


@dataclass(frozen=True)
class ClusterSettings:
    window_days: float = 4.0
    """Only articles this close in time can report the same story."""
    threshold: float = 0.54
    """Similarity (adjusted cosine) from which two articles are related."""


@dataclass(frozen=True)
class UISettings:
    language: str = "en"
    """Labels of the app: "en" or "ja"."""
    theme: str = ""
    """A Textual theme name; empty: the last one chosen in the app (default textual-dark)."""
    quick_tags: tuple[str, ...] = ("important", "read-later")
    """Tags toggled by the number keys 1-9, in order."""
    stories: bool = True
    """Show the articles of one story as one row (toggle with `c`)."""
    poll: float = 3.0
    """Seconds between checks for store changes made by other processes."""


@dataclass(frozen=True)
class ViewConfig:
    name: str
    filter: str = ""
    sort: str = "worth"


@dataclass(frozen=True)
class FeedConfig:
    url: str
    name: str | None = None
    topic: str = "General"
    tier: int = 3
    type: str = "news"
    lang: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The feed's identity in the store: its URL as written in feeds.toml."""
        return self.url


def feed_display_name(feed: FeedConfig, record: FeedRecord | None) -> str:
    """How a feed is named to the reader: its name in feeds.toml, else the title it gave
    itself when last read, else its host and path (a file's name)."""
    if feed.name:
        return feed.name
    if record is not None and record.title:
        return record.title
    parts = urlsplit(feed.url)
    if parts.scheme == "file":
        return parts.path.rsplit("/", 1)[-1] or feed.url
    return f"{parts.hostname or ''}{parts.path}".rstrip("/") or feed.url


@dataclass(frozen=True)
class Config:
    path: Path | None
    feeds: tuple[FeedConfig, ...] = ()
    topics: tuple[TopicRule, ...] = ()
    store: StoreSettings = field(default_factory=StoreSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    halflife: HalfLifeHours = field(default_factory=HalfLifeHours)
    importance: ImportanceSettings = field(default_factory=ImportanceSettings)
    ui: UISettings = field(default_factory=UISettings)
    language: LanguageSettings = field(default_factory=LanguageSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    views: tuple[ViewConfig, ...] = ()
    keys: tuple[tuple[str, str], ...] = ()  # (action, keys) from [keys]

    @property
    def languages(self) -> frozenset[str]:
        """The expected languages, plus every feed's `lang` hint (empty: no restriction)."""
        if not self.language.expected:
            return frozenset()
        return frozenset(self.language.expected) | {f.lang for f in self.feeds if f.lang}

    def feed_by_name(self, name: str) -> FeedConfig | None:
        for feed in self.feeds:
            if feed.name == name or feed.url == name:
                return feed
        return None

    def resolve_file_url(self, url: str) -> Path:
        """The path a file: URL points to; relative paths are relative to feeds.toml."""
        return resolve_file_url(url, self.path.parent if self.path else Path.cwd())


SECTIONS: dict[str, type] = {
    "store": StoreSettings,
    "fetch": FetchSettings,
    "halflife": HalfLifeHours,
    "importance": ImportanceSettings,
    "ui": UISettings,
    "language": LanguageSettings,
    "cluster": ClusterSettings,
}

#: Actions that [keys] can rebind (the app's key help lists them with their defaults).
KEY_ACTIONS = (
    "cursor_down",
    "cursor_up",
    "first",
    "last",
    "page_down",
    "page_up",
    "open",
    "back",
    "quit",
    "next_panel",
    "tag",
    "mark",
    "undo",
    "toggle_read",
    "toggle_star",
    "open_link",
    "copy_link",
    "refresh",
    "search",
    "filter",
    "cycle_sort",
    "views",
    "save_view",
    "toggle_stories",
    "expand_story",
    "toggle_panel",
    "next_unread",
    "help",
)
TIERS = (1, 2, 3)

# --- locating lines --------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=")


class _LineIndex:
    """Maps (table, array index, key) to a line of the file, for error messages."""

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[str, int, str], int] = {}
        self.headers: dict[tuple[str, int], int] = {}
        counts: dict[str, int] = {}
        table, index = "", 0
        for lineno, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                table = header.group(2).strip().strip('"')
                if header.group(1) == "[[":
                    index = counts.get(table, 0)
                    counts[table] = index + 1
                else:
                    index = 0
                self.headers.setdefault((table, index), lineno)
                continue
            key = _KEY.match(line)
            if key:
                self.lines.setdefault((table, index, key.group(1).strip('"')), lineno)

    def find(self, table: str, index: int = 0, key: str | None = None) -> int | None:
        if key is not None and (table, index, key) in self.lines:
            return self.lines[(table, index, key)]
        return self.headers.get((table, index))


class _Errors:
    def __init__(self, path: Path | None, text: str) -> None:
        self.path = path
        self.index = _LineIndex(text)

    def fail(self, message: str, table: str = "", index: int = 0, key: str | None = None):
        where = str(self.path) if self.path else "<config>"
        line = self.index.find(table, index, key)
        if line is not None:
            where = f"{where}:{line}"
        raise ConfigError(f"{where}: {message}")


# --- values ----------------------------------------------------------------------------


def _type_name(tp: object) -> str:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in typing.get_args(tp) if a is not type(None)]
        return " or ".join(names)
    if origin is tuple:
        return f"a list of {_type_name(typing.get_args(tp)[0])}s"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def _coerce(value: object, tp: object) -> tuple[bool, object]:
    """(ok, value) for a TOML value against a simple annotation."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            if arg is type(None):
                continue
            ok, converted = _coerce(value, arg)
            if ok:
                return True, converted
        return False, value
    if origin is tuple:
        (item_type, *_rest) = typing.get_args(tp)
        if not isinstance(value, list):
            return False, value
        items = []
        for item in value:
            ok, converted = _coerce(item, item_type)
            if not ok:
                return False, value
            items.append(converted)
        return True, tuple(items)
    if tp is bool:
        return isinstance(value, bool), value
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if tp is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return ok, float(value) if ok else value
    if tp is str:
        return isinstance(value, str), value
    return True, value


@functools.cache
def _schema(cls: type) -> tuple[dict[str, object], dict[str, Field]]:
    """(type hints, fields) of a section class: resolving the hints took ~0.25 ms, paid
    by every [[feed]] of a 500-feed config at each start."""
    return typing.get_type_hints(cls), {f.name: f for f in fields(cls)}


def _build(cls: type, table: object, errors: _Errors, name: str, index: int = 0):
    """Instantiate a section dataclass from a TOML table, rejecting unknown keys."""
    label = (
        f"[[{name}]] #{index + 1}" if cls in (FeedConfig, TopicRule, ViewConfig) else f"[{name}]"
    )
    if not isinstance(table, dict):
        errors.fail(f"{label} must be a table", name, index)
    hints, allowed = _schema(cls)
    values = {}
    for key, value in table.items():
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            errors.fail(f"unknown key {key!r} in {label} (known: {known})", name, index, key)
        if is_dataclass(hints[key]):
            values[key] = _build(hints[key], value, errors, f"{name}.{key}")
            continue
        ok, converted = _coerce(value, hints[key])
        if not ok:
            errors.fail(
                f"{key} in {label} must be {_type_name(hints[key])}, not {value!r}",
                name,
                index,
                key,
            )
        values[key] = converted
    for f in fields(cls):
        if f.default is MISSING and f.default_factory is MISSING and f.name not in values:
            errors.fail(f"{label} needs a {f.name!r} key", name, index)
    return cls(**values)


def _positive(errors: _Errors, section: str, settings: object, *names: str) -> None:
    for key in names:
        if getattr(settings, key) <= 0:
            errors.fail(f"{key} in [{section}] must be greater than 0", section, 0, key)


# --- feeds ---------------------------------------------------------------------------


def resolve_file_url(url: str, base_dir: Path) -> Path:
    """``file:///abs``, ``file://localhost/abs``, ``file://./rel`` or ``file:rel``."""
    from urllib.parse import unquote

    rest = url[len("file:") :]
    if rest.startswith("//"):
        rest = rest[2:]
        if rest.startswith("localhost/"):
            rest = rest[len("localhost") :]
        elif rest.startswith("~/"):
            return Path(unquote(rest)).expanduser()
        elif not rest.startswith("/"):
            # file://./x or file://x: a relative path, read relative to feeds.toml
            pass
    path = Path(unquote(rest)).expanduser()
    return path if path.is_absolute() else (base_dir / path)


def check_url(url: str) -> str | None:
    """Why a feed URL is not acceptable, or None."""
    if not url or url != url.strip():
        return "url must not be empty or have spaces around it"
    if any(ch.isspace() for ch in url):
        return f"url {url!r} has a space in it"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if not parts.hostname:
            return f"url {url!r} has no host"
        try:
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            return f"url {url!r} has a bad port"
        return None
    if scheme == "file":
        if url in ("file:", "file://", "file:///"):
            return f"url {url!r} names no file"
        return None
    if not scheme:
        return f"url {url!r} has no scheme (use http://, https:// or file://)"
    return f"url {url!r}: scheme {scheme!r} is not supported (use http://, https:// or file://)"


_LANG = re.compile(r"^[a-zA-Z]{2}([-_][a-zA-Z0-9]{2,8})*$")


def _check_feed(feed: FeedConfig, errors: _Errors, index: int) -> FeedConfig:
    problem = check_url(feed.url)
    if problem:
        errors.fail(problem, "feed", index, "url")
    if feed.tier not in TIERS:
        errors.fail(f"tier must be 1, 2 or 3, not {feed.tier}", "feed", index, "tier")
    if feed.type not in ARTICLE_TYPES:
        errors.fail(
            f"type must be one of {', '.join(ARTICLE_TYPES)}, not {feed.type!r}",
            "feed",
            index,
            "type",
        )
    if feed.name is not None and not feed.name.strip():
        errors.fail("name must not be empty", "feed", index, "name")
    if not feed.topic.strip():
        errors.fail("topic must not be empty", "feed", index, "topic")
    lang = feed.lang
    if lang is not None:
        if not _LANG.match(lang):
            errors.fail(f"lang must be an ISO 639-1 code like 'en', not {lang!r}", "feed", index)
        lang = lang[:2].lower()
    tags = tuple(dict.fromkeys(normalise_tag(t) for t in feed.tags))
    if "" in tags:
        errors.fail("tags must not be empty strings", "feed", index, "tags")
    return FeedConfig(
        url=feed.url,
        name=feed.name.strip() if feed.name else None,
        topic=feed.topic.strip(),
        tier=feed.tier,
        type=feed.type,
        lang=lang,
        tags=tags,
    )


def _topics(raw: object, errors: _Errors) -> tuple[TopicRule, ...]:
    if not isinstance(raw, list):
        errors.fail("topic must be an array of tables: write [[topic]]", "topic")
    rules: list[TopicRule] = []
    seen: set[str] = set()
    for index, table in enumerate(raw):
        rule = _build(TopicRule, table, errors, "topic", index)
        if not rule.name.strip():
            errors.fail("name must not be empty", "topic", index, "name")
        if rule.name.casefold() in seen:
            errors.fail(f"duplicate topic name {rule.name!r}", "topic", index, "name")
        seen.add(rule.name.casefold())
        if not rule.keywords and not rule.patterns:
            errors.fail(f"topic {rule.name!r} needs keywords or patterns", "topic", index)
        for pattern in rule.patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                errors.fail(f"bad pattern {pattern!r}: {exc}", "topic", index, "patterns")
        rules.append(rule)
    return tuple(rules)


def _views(raw: object, errors: _Errors) -> tuple[ViewConfig, ...]:
    from reader.query import SORTS, FilterError, parse_filter

    if not isinstance(raw, list):
        errors.fail("view must be an array of tables: write [[view]]", "view")
    views: list[ViewConfig] = []
    seen: set[str] = set()
    for index, table in enumerate(raw):
        view = _build(ViewConfig, table, errors, "view", index)
        if not view.name.strip() or view.name.casefold() in seen:
            errors.fail(f"view name {view.name!r} is empty or used twice", "view", index, "name")
        seen.add(view.name.casefold())
        if view.sort not in SORTS:
            errors.fail(
                f"sort must be one of {', '.join(SORTS)}, not {view.sort!r}", "view", index, "sort"
            )
        try:
            parse_filter(view.filter)
        except FilterError as exc:
            errors.fail(f"filter: {exc.reason} (column {exc.column + 1})", "view", index, "filter")
        views.append(view)
    return tuple(views)


def _keys(raw: object, errors: _Errors) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        errors.fail('[keys] must be a table of action = "key"', "keys")
    result = []
    for action, value in raw.items():
        if action not in KEY_ACTIONS:
            errors.fail(
                f"unknown action {action!r} in [keys] (known: {', '.join(KEY_ACTIONS)})",
                "keys",
                0,
                action,
            )
        if not isinstance(value, str) or not value.strip():
            errors.fail(f'{action} in [keys] must be a key name like "ctrl+r"', "keys", 0, action)
        result.append((action, value.replace(" ", "")))
    return tuple(result)


def normalise_tag(tag: str) -> str:
    """Tags are lower-case words; spaces become dashes."""
    return "-".join(tag.strip().lower().split())


# --- loading -------------------------------------------------------------------------


def parse_config(text: str, path: Path | None = None) -> Config:
    errors = _Errors(path, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        where = str(path) if path else "<config>"
        if match:
            where = f"{where}:{match.group(1)}"
            message = message[: match.start()].strip()
        raise ConfigError(f"{where}: TOML syntax error: {message}") from None

    known_top = {"feed", "topic", "view", "keys", *SECTIONS}
    for key in data:
        if key not in known_top:
            errors.fail(
                f"unknown section or key {key!r} (known: {', '.join(sorted(known_top))})", key
            )
    sections = {}
    for name, cls in SECTIONS.items():
        sections[name] = _build(cls, data.get(name, {}), errors, name)
    _positive(errors, "fetch", sections["fetch"], "concurrency", "per_host", "timeout")
    _positive(errors, "fetch", sections["fetch"], "max_bytes", "interval", "max_backoff")
    _positive(errors, "halflife", sections["halflife"], *(f.name for f in fields(HalfLifeHours)))
    _positive(errors, "importance", sections["importance"], "window_days")
    weights = sections["importance"].weights
    for f in fields(weights):
        if getattr(weights, f.name) < 0:
            errors.fail(
                f"{f.name} in [importance.weights] must not be negative",
                "importance.weights",
                0,
                f.name,
            )
    topics = _topics(data.get("topic", []), errors)
    if sections["ui"].language not in ("en", "ja"):
        errors.fail(
            f"language in [ui] must be 'en' or 'ja', not {sections['ui'].language!r}",
            "ui",
            0,
            "language",
        )
    if len(sections["ui"].quick_tags) > 9:
        errors.fail("quick_tags in [ui]: at most 9 (keys 1-9)", "ui", 0, "quick_tags")
    _positive(errors, "ui", sections["ui"], "poll")
    _positive(errors, "cluster", sections["cluster"], "window_days", "threshold")
    for code in sections["language"].expected:
        if not _LANG.match(code) or len(code) != 2:
            errors.fail(
                f"expected in [language]: {code!r} is not an ISO 639-1 code",
                "language",
                0,
                "expected",
            )
    views = _views(data.get("view", []), errors)
    keys = _keys(data.get("keys", {}), errors)

    raw_feeds = data.get("feed", [])
    if not isinstance(raw_feeds, list):
        errors.fail("feed must be an array of tables: write [[feed]]", "feed")
    feeds: list[FeedConfig] = []
    names: dict[str, int] = {}
    urls: dict[str, int] = {}
    for index, table in enumerate(raw_feeds):
        feed = _check_feed(_build(FeedConfig, table, errors, "feed", index), errors, index)
        if feed.name is not None:
            folded = feed.name.casefold()
            if folded in names:
                errors.fail(
                    f"duplicate feed name {feed.name!r} (also feed #{names[folded] + 1})",
                    "feed",
                    index,
                    "name",
                )
            names[folded] = index
        if feed.url in urls:
            errors.fail(
                f"duplicate feed url {feed.url!r} (also feed #{urls[feed.url] + 1})",
                "feed",
                index,
                "url",
            )
        urls[feed.url] = index
        feeds.append(feed)
    return Config(path=path, feeds=tuple(feeds), topics=topics, views=views, keys=keys, **sections)


def load_config(path: Path) -> Config:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return parse_config(text, path)


def find_config(explicit: str | Path | None = None) -> tuple[Path | None, list[Path]]:
    """The config file to use (or None) and every path tried, in order."""
    from reader.locations import config_candidates

    tried = config_candidates(explicit)
    for candidate in tried:
        if candidate.is_file():
            return candidate, tried
    return None, tried
