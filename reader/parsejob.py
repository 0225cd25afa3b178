"""What a parse worker runs: the bytes of one feed in, its new and changed articles out.

Imported by the refresh's forkserver before it forks the workers (see
:mod:`reader.preload`), so it imports only what parsing and enrichment need: none of
the refresh's own machinery (asyncio, the HTTP client, the store), which the
forkserver would otherwise load for nothing before the first worker could start.
"""

from __future__ import annotations

from dataclasses import dataclass

from reader.config import Config, FeedConfig, feed_display_name
from reader.enrich import FeedContext
from reader.errors import ParseError
from reader.ids import article_id, content_hash
from reader.models import Article, ParsedFeed


@dataclass(frozen=True, slots=True)
class FeedMeta:
    """What a parsed feed says about itself (its entries travel as articles)."""

    title: str
    link: str
    lang: str | None
    ttl_minutes: int | None
    entries: int
    warning: str | None


@dataclass(frozen=True, slots=True)
class ParseResult:
    meta: FeedMeta | None
    articles: tuple[tuple[Article, str], ...] = ()  # new or changed: (article, body)
    error: str | None = None


#: The config of this process's jobs, when a pool's initializer gave it (use_config).
_worker_config: Config | None = None


def use_config(config: Config | None) -> None:
    """The config for the jobs this process gets without one.

    A refresh's pool gives each worker its config once, when it starts: sent with every
    job, the config of 184 feeds was pickled, unpickled and hashed again (to find its
    compiled topic rules) 184 times, ~0.1 CPU-s of a cold refresh.
    """
    global _worker_config
    _worker_config = config


def parse_job(
    body: bytes,
    url: str,
    headers: dict[str, str],
    feed: FeedConfig,
    name: str | None,
    known: dict[str, str],
    config: Config | None,
    collected: float,
) -> ParseResult:
    """Worker entry point: parse, then enrich the entries that are new or changed.

    Plain data in and out (feedparser's objects don't pickle). ``known`` maps the
    feed's stored article ids to their content hashes: unchanged entries cost no
    enrichment. ``config`` None: the one :func:`use_config` set. Never raises: whatever
    goes wrong costs this feed, not the refresh.
    """
    from reader.parse import parse_feed

    if config is None:
        if _worker_config is None:
            return ParseResult(meta=None, error="parser failed: no config for the job")
        config = _worker_config

    try:
        parsed = parse_feed(body, url, headers)
    except ParseError as exc:
        return ParseResult(meta=None, error=str(exc))
    except Exception as exc:  # a parser bug must cost one feed, not the refresh
        return ParseResult(meta=None, error=f"parser crashed: {type(exc).__name__}: {exc}")
    try:
        return _enrich_feed(parsed, feed, name, known, config, collected)
    except Exception as exc:
        return ParseResult(meta=None, error=f"enrichment crashed: {type(exc).__name__}: {exc}")


def _storable(article: Article, body: str) -> None:
    """Raise if the store could not write this article (checked here, in the worker:
    in the store write it would fail every feed of the batch)."""
    import orjson

    from reader.store import article_to_doc

    orjson.dumps(article_to_doc(article))
    orjson.dumps(body)


def _enrich_feed(
    parsed: ParsedFeed,
    feed: FeedConfig,
    name: str | None,
    known: dict[str, str],
    config: Config,
    collected: float,
) -> ParseResult:
    from reader.enrich import enrich_entries

    display = feed.name or parsed.title or name or feed_display_name(feed, None)
    lang_hint = feed.lang or parsed.lang
    if lang_hint is None and parsed.entries:
        from reader.language import detect_feed_language

        # a feed that declares no language gets one detection over all its items, as
        # the prior for each item's own detection (short titles decide poorly alone)
        lang_hint = (
            detect_feed_language(
                [(e.title, e.text) for e in parsed.entries], languages=config.languages or None
            )
            or None
        )
    context = FeedContext(
        feed=feed,
        name=display,
        source=feed.name or parsed.title or display,
        lang_hint=lang_hint,
    )
    # a feed read for the first time has nothing stored: every entry is new, and its id
    # and content hash are computed once, for its article, not twice
    changed = [
        entry
        for entry in parsed.entries
        if not known or known.get(article_id(feed.key, entry.key)) != content_hash(entry)
    ]
    articles = []
    tried = len(changed)
    failures: list[str] = []
    for result in enrich_entries(changed, context, config, collected):
        try:
            if isinstance(result, Exception):
                raise result
            _storable(*result)
        except Exception as exc:  # one odd entry must not cost the feed
            failures.append(f"{type(exc).__name__}: {exc}")
            continue
        articles.append(result)
    warning = parsed.warning
    if failures:
        if len(failures) == tried:  # every entry: a bug, not an odd entry
            return ParseResult(meta=None, error=f"enrichment crashed: {failures[0]}")
        skipped = f"{len(failures)} of {tried} entries skipped ({failures[0]})"
        warning = f"{warning}; {skipped}" if warning else skipped
    meta = FeedMeta(
        title=parsed.title,
        link=parsed.link,
        lang=parsed.lang,
        ttl_minutes=parsed.ttl_minutes,
        entries=len(parsed.entries),
        warning=warning,
    )
    return ParseResult(meta=meta, articles=tuple(articles))
