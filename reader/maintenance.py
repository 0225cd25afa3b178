"""Looking after the store: retention (prune), recomputing cards (reindex), repairs (doctor).

No printing here: each function returns a report the CLI prints. Files are only ever
touched through :mod:`reader.store`.

Retention never removes what the reader keeps. An article that is tagged or starred is
kept, whatever its age; the check happens under the marks lock, in the same transaction
as the removal (:meth:`reader.store.Store.remove_articles`), so a tag typed while a prune
runs is honoured. A read mark alone keeps nothing, but it is not deleted either: marks
live apart from the articles, and if the article comes back, it is still read.

An old article that its feed still lists is kept too: it is among the newest
``entries`` articles the feed had at its last fetch. Removing it would only make the
next refresh store it again, as new and unread.
"""

from __future__ import annotations

import bisect
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reader.config import Config, FeedConfig
from reader.errors import UsageError
from reader.models import Article, FeedRecord, UserState
from reader.store import FEED, WHEN, Catalog, Removal, Store
from reader.text import counted

DAY = 86400.0
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mo|m|h|d|w|y)\s*$")
_UNITS = {"m": 60, "h": 3600, "d": DAY, "w": 7 * DAY, "mo": 30 * DAY, "y": 365 * DAY}


def parse_duration(text: str, option: str = "duration") -> float:
    """Seconds in ``90d``, ``12h``, ``2w``, ``3mo``, ``1y``, ``30m`` (as filter ages)."""
    match = _DURATION.match(text or "")
    if not match:
        raise UsageError(f"{option}: {text!r} is not a duration like 30m, 12h, 90d, 2w, 3mo, 1y")
    return float(match.group(1)) * _UNITS[match.group(2)]


# --- prune -----------------------------------------------------------------------------------


#: How far a catalog time may be from the article's (the catalog rounds to 0.1 s).
WHEN_PRECISION = 0.05


@dataclass
class PrunePlan:
    """Chooses articles older than ``cutoff``; call it with the store's catalog, marks and
    feed records (:meth:`Store.remove_articles` does, under its locks)."""

    cutoff: float
    still_listed: int = 0  # old, but their feed still lists them: kept

    def __call__(
        self, catalog: Catalog, states: dict[str, UserState], records: dict[str, FeedRecord]
    ) -> list[str]:
        by_feed: dict[int, list[tuple[float, str]]] = {}
        for article_id, row in catalog.articles.items():
            by_feed.setdefault(row[FEED], []).append((row[WHEN], article_id))
        chosen: list[str] = []
        self.still_listed = 0
        for number, items in by_feed.items():
            record = records.get(catalog.feeds[number]) if number < len(catalog.feeds) else None
            listed = record.article_count if record is not None else 0
            items.sort(reverse=True)
            for position, (when, article_id) in enumerate(items):
                # the catalog keeps times to 0.1 s: one that may be younger is kept
                if when >= self.cutoff - WHEN_PRECISION:
                    continue
                if position < listed:
                    self.still_listed += 1
                    continue
                chosen.append(article_id)
        return chosen


def prune(store: Store, older_than: float, *, now: float | None = None, dry_run: bool = False):
    """Remove unmarked articles older than ``older_than`` seconds; (removal, plan)."""
    now = time.time() if now is None else now
    plan = PrunePlan(cutoff=now - older_than)
    removal = store.remove_articles(plan, dry_run=dry_run)
    return removal, plan


def remove_feed_articles(store: Store, feed_key: str, *, dry_run: bool = False) -> Removal:
    """Remove a feed's record and its unmarked articles (its tagged/starred ones stay)."""

    def choose(catalog: Catalog, _states, _records) -> list[str]:
        if feed_key not in catalog.feeds:
            return []
        number = catalog.feeds.index(feed_key)
        return [i for i, row in catalog.articles.items() if row[FEED] == number]

    return store.remove_articles(choose, drop_feeds=[feed_key], dry_run=dry_run)


# --- reindex ---------------------------------------------------------------------------------


@dataclass
class ReindexReport:
    articles: int = 0
    fields_changed: int = 0  # articles whose own derived fields changed
    embedded: int = 0  # story vectors computed again (their title or summary changed)
    related_changed: int = 0
    importance_changed: int = 0
    written: int = 0
    skipped: int = 0  # changed or removed by another process meanwhile: left as it is
    elapsed: float = 0.0

    def summary_line(self) -> str:
        parts = [
            counted(self.articles, "article"),
            f"{self.fields_changed} with new card fields",
            f"{self.related_changed} with new related articles",
            f"{self.importance_changed} with new importance",
        ]
        if self.embedded:
            parts.append(f"{self.embedded} story vectors recomputed")
        if self.skipped:
            parts.append(f"{self.skipped} left alone (changed meanwhile)")
        return "reindexed " + ", ".join(parts) + f" in {self.elapsed:.1f} s"


Progress = Callable[[str, int, int], None]  # (phase, done, total)


def _feed_for(article: Article, feeds: dict[str, FeedConfig]) -> FeedConfig:
    """The article's feed as configured, or (removed from feeds.toml) as the article says."""
    feed = feeds.get(article.feed_url)
    if feed is not None:
        return feed
    return FeedConfig(
        url=article.feed_url, topic=article.topic or "General", tier=article.tier, type=article.type
    )


def _priors(
    articles: list[Article], feeds: dict[str, FeedConfig], records: dict[str, FeedRecord]
) -> dict[str, str | None]:
    """feed key -> language prior: feeds.toml ``lang``, else the feed's declared language,
    else the language most of its stored articles are in."""
    usual: dict[str, Counter] = {}
    for article in articles:
        if article.lang:
            usual.setdefault(article.feed_url, Counter())[article.lang] += 1
    priors: dict[str, str | None] = {}
    for key in {a.feed_url for a in articles}:
        feed = feeds.get(key)
        record = records.get(key)
        common = usual.get(key)
        priors[key] = (
            (feed.lang if feed else None)
            or (record.lang[:2].lower() if record and record.lang else None)
            or (common.most_common(1)[0][0] if common else None)
        )
    return priors


@dataclass(frozen=True)
class _SegmentJob:
    store_path: str
    segment: int
    ids: frozenset[str]
    config: Config
    priors: dict[str, str | None]


@dataclass(frozen=True)
class _SegmentResult:
    segment: int
    articles: list[Article]  # every article of the job, re-derived
    story_changed: dict[str, str] = field(default_factory=dict)  # id -> new story text


def _reindex_segment(job: _SegmentJob) -> _SegmentResult:
    """Worker: re-derive one segment's articles from their stored bodies."""
    from reader.cluster import story_text
    from reader.enrich import reenrich
    from reader.rank import story_lead

    store = Store(Path(job.store_path))
    feeds = {f.key: f for f in job.config.feeds}
    bodies = store.segment_bodies(job.segment)
    result = _SegmentResult(segment=job.segment, articles=[])
    for article in store.load_segment(job.segment):
        if article.id not in job.ids:
            continue
        body = bodies.get(article.id, "")
        feed = _feed_for(article, feeds)
        new = reenrich(article, body, feed, job.config, job.priors.get(article.feed_url))
        result.articles.append(new)
        lead, old_lead = story_lead(new, body), story_lead(article, body)
        if (new.title, lead) != (article.title, old_lead):
            after = story_text(new.title, lead)
            if after != story_text(article.title, old_lead):
                result.story_changed[article.id] = after
    return result


def _run_jobs(jobs: list[_SegmentJob], workers: int, on_done: Callable[[_SegmentResult], None]):
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            on_done(_reindex_segment(job))
        return
    from concurrent.futures import as_completed

    from reader.pool import make_pool

    # the refresh's pool: the workers fork with the language model loaded, and one
    # forkserver serves both if a process runs the two
    with make_pool(min(workers, len(jobs))) as pool:
        futures = [pool.submit(_reindex_segment, job) for job in jobs]
        for future in as_completed(futures):
            on_done(future.result())


def relate_all(
    articles: list[Article],
    vectors: dict[str, bytes],
    *,
    window_days: float,
    threshold: float,
    chunk: int = 4000,
) -> dict[str, tuple[str, ...]]:
    """``related`` of every article with a story vector, computed from scratch.

    Articles are taken in time order, ``chunk`` at a time, each chunk against the later
    articles within the clustering window: every pair is compared once, and memory stays
    at one chunk plus a window of vectors, however large the store.
    """
    from reader.cluster import find_links, merge_related
    from reader.rank import story_item

    items = sorted(
        (story_item(a, vectors[a.id]) for a in articles if a.id in vectors),
        key=lambda item: (item.when, item.id),
    )
    times = [item.when for item in items]
    window = window_days * DAY
    links = []
    for start in range(0, len(items), chunk):
        new = items[start : start + chunk]
        stop = bisect.bisect_right(times, new[-1].when + window)
        candidates = items[start + chunk : stop]
        links += find_links(new, candidates, window_days=window_days, threshold=threshold)
    related = merge_related({}, links)
    return {item.id: related.get(item.id, ()) for item in items}


def reindex(
    store: Store,
    config: Config,
    *,
    workers: int = 1,
    on_progress: Progress | None = None,
    now: float | None = None,
) -> ReindexReport:
    """Recompute every stored article's derived fields from its stored text, then its
    related articles and importance. The reader's marks are read (importance counts the
    sources they starred), never written.

    The work is done on a snapshot, without the store lock; the result is written in
    one short transaction, and an article that a refresh changed meanwhile keeps what
    the refresh stored (it was enriched just now anyway).
    """
    from reader.cluster import RELATED_LIMIT
    from reader.rank import embed_texts, importance_of, reader_affinity

    started = time.monotonic()
    progress = on_progress or (lambda _phase, _done, _total: None)
    report = ReindexReport()
    catalog = store.catalog()
    records = store.feed_records()
    states = store.states()
    feeds = {f.key: f for f in config.feeds}
    original = {a.id: a for a in store.articles() if a.id in catalog.articles}
    report.articles = len(original)
    priors = _priors(list(original.values()), feeds, records)

    # 1. the article's own fields, segment by segment (in worker processes)
    by_segment: dict[int, set[str]] = {}
    for article in original.values():
        by_segment.setdefault(article.segment, set()).add(article.id)
    jobs = [
        _SegmentJob(str(store.path), number, frozenset(ids), config, priors)
        for number, ids in sorted(by_segment.items())
    ]
    current: dict[str, Article] = dict(original)
    story_changed: dict[str, str] = {}
    done = 0
    progress("cards", 0, report.articles)

    def collect(result: _SegmentResult) -> None:
        nonlocal done
        for article in result.articles:
            current[article.id] = article
        story_changed.update(result.story_changed)
        done += len(result.articles)
        progress("cards", done, report.articles)

    _run_jobs(jobs, workers, collect)
    report.fields_changed = sum(1 for i, a in current.items() if a != original[i])

    # 2. story vectors whose text changed
    vectors = store.vectors(by_segment)
    redo = [i for i in story_changed if i in vectors]
    new_vectors: dict[str, bytes] = {}
    progress("vectors", 0, len(redo))
    for start in range(0, len(redo), 256):
        batch = redo[start : start + 256]
        new_vectors.update(zip(batch, embed_texts([story_changed[i] for i in batch]), strict=True))
        progress("vectors", len(new_vectors), len(redo))
    vectors.update(new_vectors)
    report.embedded = len(new_vectors)

    # 3. related, from scratch, and importance
    progress("stories", 0, 1)
    related = relate_all(
        list(current.values()),
        vectors,
        window_days=config.cluster.window_days,
        threshold=config.cluster.threshold,
    )
    for article_id, article in current.items():
        links = related.get(article_id)
        if links is None:  # no vector: it keeps its list, without ids that are gone
            links = tuple(r for r in article.related if r in current)[:RELATED_LIMIT]
        if links != article.related:
            current[article_id] = article.with_(related=links)
    progress("stories", 1, 1)
    marked = reader_affinity(catalog, states, config.importance.boost_tags)
    feed_articles = {key: n for key, (n, _avg) in catalog.feed_stats().items()}
    for article_id, article in list(current.items()):
        others = [current[r] for r in article.related if r in current]
        importance = importance_of(
            article, others, config=config, marked=marked, feed_articles=feed_articles
        )
        if importance != article.importance:
            current[article_id] = article.with_(importance=importance)
    report.related_changed = sum(1 for i, a in current.items() if a.related != original[i].related)
    report.importance_changed = sum(
        1 for i, a in current.items() if a.importance != original[i].importance
    )

    # 4. one short write; what another process changed meanwhile is left alone
    changed = [a for i, a in current.items() if a != original[i] or i in new_vectors]
    progress("writing", 0, len(changed))
    if changed:
        with store.writing() as writer:
            for article in changed:
                known = writer.known(article.id)
                if known is None or known[1] != original[article.id].content_hash:
                    report.skipped += 1
                    continue
                stored = writer.article(article.id)
                if stored is not None and stored != original[article.id]:
                    report.skipped += 1
                    continue
                writer.update(article)
                if article.id in new_vectors:
                    writer.set_vector(article.with_(segment=known[0]), new_vectors[article.id])
                report.written += 1
    progress("writing", len(changed), len(changed))
    report.elapsed = time.monotonic() - started
    return report


# --- doctor ----------------------------------------------------------------------------------

OK, REPAIRED, LOST = 0, 1, 2


@dataclass
class Finding:
    """One store file that needs a repair, and what happened to it."""

    kind: str  # catalog, feeds, prefs, segment, body, vectors, state, catalog-stale, tmp
    path: Path
    problem: str
    outcome: str = ""
    severity: int = OK  # after repair: REPAIRED, or LOST when something could not be saved

    def line(self) -> str:
        what = self.outcome or f"needs repair: {self.problem}"
        return f"{self.path}: {what}"


@dataclass
class Checkup:
    files: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.findings

    @property
    def lost(self) -> bool:
        return any(f.severity == LOST for f in self.findings)


def check(store: Store) -> Checkup:
    """Read every store file; list the ones that do not parse, and a stale catalog."""
    from reader.errors import StoreCorrupt
    from reader.store import read_json

    checkup = Checkup()
    files = store.files()
    checkup.files = len(files)
    broken: set[Path] = set()
    for kind, path in files:
        try:
            read_json(path, kind)
        except StoreCorrupt as exc:
            detail = str(exc).split(" is corrupt: ", 1)[-1].split(";", 1)[0]
            checkup.findings.append(Finding(kind, path, detail))
            broken.add(path)
    for path in store.stale_temporary_files():
        checkup.findings.append(Finding("tmp", path, "left by an interrupted write"))
    segment_files = {p for kind, p in files if kind == "segment"}
    if store.catalog_path not in broken and not broken & segment_files:
        catalog = store.catalog()
        present: set[str] = set()
        for number in store.segment_numbers():
            present.update(a.id for a in store.load_segment(number))
        missing = [i for i in catalog.articles if i not in present]
        if missing:
            checkup.findings.append(
                Finding(
                    "catalog-stale",
                    store.catalog_path,
                    f"lists {len(missing)} articles that no segment holds",
                )
            )
    return checkup


def _newest(a: dict | None, b: dict | None) -> dict | None:
    if a is None or b is None:
        return a or b
    return a if (a.get("changed") or 0) >= (b.get("changed") or 0) else b


def repair(store: Store, checkup: Checkup) -> Checkup:
    """Repair what :func:`check` found, under both store locks. Damaged files are moved
    aside (``<file>.corrupt-<time>``), never deleted; the reader's marks come from the
    backup plus whatever still parses in the damaged file."""
    from reader.errors import StoreCorrupt
    from reader.store import read_json

    order = ["tmp", "state", "prefs", "feeds", "segment", "body", "vectors", "catalog"]
    findings = sorted(
        checkup.findings,
        key=lambda f: order.index(f.kind) if f.kind in order else len(order),
    )
    rebuild = False
    with store.repairing():
        for finding in findings:
            path = finding.path
            if finding.kind == "tmp":
                path.unlink(missing_ok=True)
                finding.outcome = "removed (a temporary file left by an interrupted write)"
                finding.severity = REPAIRED
                continue
            if finding.kind == "catalog-stale":
                rebuild = True
                finding.outcome = f"{finding.problem}: rebuilt from the segments"
                finding.severity = REPAIRED
                continue
            try:
                read_json(path, finding.kind)
                finding.outcome = "fine now (repaired by another process?)"
                finding.severity = OK
                continue
            except StoreCorrupt:
                pass
            aside = Store.quarantine(path)
            backup = Store.backup_content(path, finding.kind)
            kept = f"damaged file kept as {aside.name}"
            if finding.kind == "catalog":
                rebuild = True
                finding.outcome = f"corrupt ({finding.problem}): rebuilt from the segments; {kept}"
                finding.severity = REPAIRED
            elif finding.kind in ("state", "prefs"):
                table = "state" if finding.kind == "state" else "prefs"
                docs = dict((backup or {}).get(table) or {})
                salvaged = Store.salvage(aside, table)
                for key, doc in salvaged.items():
                    docs[key] = _newest(doc, docs.get(key)) or doc
                Store.write_file(path, {table: docs})
                what = "marks" if finding.kind == "state" else "settings"
                what = what if len(docs) != 1 else what[:-1]
                if backup is not None:
                    finding.outcome = (
                        f"corrupt ({finding.problem}): restored from its backup, "
                        f"{len(docs)} {what} ({len(salvaged)} of them read from the damaged "
                        f"file); the backup is one write older: the last change made to "
                        f"this file may be missing; {kept}"
                    )
                    finding.severity = REPAIRED
                else:
                    finding.outcome = (
                        f"corrupt ({finding.problem}) and NO BACKUP: only {len(salvaged)} "
                        f"{what} could be read from the damaged file, others may be LOST; "
                        f"{kept} (inspect it before deleting it)"
                    )
                    finding.severity = LOST if finding.kind == "state" else REPAIRED
            elif finding.kind == "feeds":
                if backup is not None:
                    Store.write_file(path, backup)
                    finding.outcome = (
                        f"corrupt ({finding.problem}): restored from its backup; {kept}"
                    )
                else:
                    Store.write_file(path, {"feeds": {}})
                    finding.outcome = (
                        f"corrupt ({finding.problem}), no backup: feed status starts afresh "
                        f"(the next refresh fetches every feed; no article or mark lost); {kept}"
                    )
                finding.severity = REPAIRED
            else:  # segment, body, vectors
                table = {"segment": "articles", "body": "bodies", "vectors": "vectors"}[
                    finding.kind
                ]
                if backup is not None:
                    Store.write_file(path, backup)
                    finding.outcome = (
                        f"corrupt ({finding.problem}): restored from its backup; {kept}"
                    )
                    finding.severity = REPAIRED
                else:
                    salvaged = Store.salvage(aside, table) if finding.kind != "vectors" else {}
                    if finding.kind == "segment":
                        salvaged = {k: v for k, v in salvaged.items() if v.get("id") == k}
                    Store.write_file(path, {table: salvaged})
                    lost = {
                        "segment": "the articles that could not be read are gone from the "
                        "store (a refresh brings back those their feeds still list; "
                        "marks are kept)",
                        "body": "the other articles have lost their full text",
                        "vectors": "these articles join no new story",
                    }[finding.kind]
                    finding.outcome = (
                        f"corrupt ({finding.problem}) and no backup: {len(salvaged)} read "
                        f"from the damaged file; {lost}; {kept}"
                    )
                    finding.severity = REPAIRED if finding.kind == "vectors" else LOST
                rebuild = rebuild or finding.kind == "segment"
        if rebuild:
            catalog = store.rebuild_catalog()
            for finding in findings:
                if finding.kind in ("catalog", "catalog-stale"):
                    finding.outcome = finding.outcome.replace(
                        "rebuilt from the segments",
                        f"rebuilt from the segments ({len(catalog.articles)} articles)",
                    )
    return checkup
