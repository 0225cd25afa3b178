"""fetch -> parse -> enrich -> store, one outcome per feed, errors included.

Shared by ``reader refresh`` and the app's refresh worker. Fetching is async; parsing
runs in worker processes (feedparser is pure Python and CPU-bound); the store is
written in batches while fetching goes on, so an open app sees feeds land, and the
store lock is held only for the short write at the end of each batch.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import BrokenExecutor, Executor, ThreadPoolExecutor
from dataclasses import dataclass, field

from reader.config import Config, FeedConfig, feed_display_name
from reader.fetch import FetchRequest, FetchResult
from reader.models import Article, FeedRecord, StateChange
from reader.parsejob import FeedMeta, ParseResult, parse_job
from reader.pool import CONTEXT, make_pool, needs_pool_now, parse_workers, start_processes
from reader.schedule import is_due, next_due_after_failure, next_due_after_success
from reader.store import Store
from reader.text import clean_inline, counted

COMMIT_EVERY = 2.0  # seconds between store writes while a refresh is running
#: Feeds seen before are parsed in this process while the bodies waiting for it add up
#: to at most this: a cron refresh that finds a few changed feeds does not start worker
#: processes (a forkserver that imports the parser and loads the language model, then
#: the workers: ~0.45 s of CPU with the model cache, ~0.9 s without; see reader.preload).
INLINE_MAX_BYTES = 256 * 1024
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    """What happened to one feed in one refresh."""

    key: str
    name: str
    status: str  # "ok", "not-modified", "unchanged", "error"
    new: int = 0
    updated: int = 0
    entries: int = 0
    error: str | None = None
    warning: str | None = None
    elapsed: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status == "error"


@dataclass
class RefreshReport:
    outcomes: list[FeedOutcome] = field(default_factory=list)
    not_due: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def failed(self) -> list[FeedOutcome]:
        return [o for o in self.outcomes if o.failed]

    @property
    def new_articles(self) -> int:
        return sum(o.new for o in self.outcomes)

    @property
    def updated_articles(self) -> int:
        return sum(o.updated for o in self.outcomes)

    def summary_line(self) -> str:
        ok = len(self.outcomes) - len(self.failed)
        parts = [
            f"{counted(ok, 'feed')} ok",
            f"{len(self.failed)} failed",
            f"{counted(self.new_articles, 'new article')}",
        ]
        if self.updated_articles:
            parts.append(f"{self.updated_articles} updated")
        if self.not_due:
            parts.append(f"{len(self.not_due)} not due (use --force)")
        return ", ".join(parts) + f" in {self.elapsed:.1f} s"


# --- the pieces of a refresh ----------------------------------------------------------


@dataclass(slots=True)
class _Landed:
    """A feed whose fetch (and parse) finished, waiting for the next store write."""

    feed: FeedConfig
    fetched: FetchResult
    meta: FeedMeta | None = None
    articles: tuple[tuple[Article, str], ...] = ()
    error: str | None = None


MAX_ERROR = 300  # characters of an error or warning line


def _error_line(message: str | None) -> str | None:
    """One line of clean text: errors quote servers and parsers, both untrusted."""
    if message is None:
        return None
    return clean_inline(message, max_length=MAX_ERROR) or "unknown error"


def plan(
    config: Config,
    records: dict[str, FeedRecord],
    now: float,
    *,
    force: bool = False,
    only: list[str] | None = None,
) -> tuple[list[FeedConfig], list[FeedConfig]]:
    """(feeds to fetch now, feeds skipped because they are not due)."""
    feeds = list(config.feeds)
    if only:
        wanted = {name.casefold() for name in only}
        feeds = [
            f
            for f in feeds
            if (f.name or "").casefold() in wanted
            or f.url.casefold() in wanted
            or feed_display_name(f, records.get(f.key)).casefold() in wanted
        ]
    due, later = [], []
    for feed in feeds:
        record = records.get(feed.key)
        if force or record is None or is_due(record.next_due, now):
            due.append(feed)
        else:
            later.append(feed)
    return due, later


def _request(config: Config, feed: FeedConfig, record: FeedRecord | None) -> FetchRequest:
    """A conditional GET where we can: even a forced refresh accepts "not modified"."""
    url = record.url if record is not None and record.url else feed.url
    if feed.url.lower().startswith("file:"):
        return FetchRequest(key=feed.key, url=feed.url, file_path=config.resolve_file_url(feed.url))
    return FetchRequest(
        key=feed.key,
        url=url,
        etag=record.etag if record is not None else None,
        last_modified=record.last_modified if record is not None else None,
    )


def _record_after(
    config: Config,
    feed: FeedConfig,
    record: FeedRecord | None,
    landed: _Landed,
    now: float,
    *,
    new: int,
    total: int,
) -> FeedRecord:
    """The feed's record after this fetch: status, validators, next due time."""
    fetched = landed.fetched
    record = record or FeedRecord(key=feed.key, url=feed.url)
    settings = config.fetch
    error = _error_line(landed.error or fetched.error)
    common = {"name": feed_display_name(feed, record), "last_fetch": now}
    if error is not None:
        failures = record.failures + 1
        retry_after = fetched.retry_after
        if retry_after is not None:  # honoured, up to the longest a feed is left alone
            retry_after = min(retry_after, settings.max_backoff * 60)
        return record.with_(
            **common,
            last_error=error,
            failures=failures,
            next_due=next_due_after_failure(
                now,
                failures=failures,
                interval_minutes=settings.interval,
                retry_after_seconds=retry_after,
                max_backoff_minutes=settings.max_backoff,
            ),
        )
    meta = landed.meta
    changes = dict(common)
    if meta is not None:
        changes.update(
            title=meta.title or record.title,
            link=meta.link or record.link,
            lang=meta.lang or record.lang,
            ttl_minutes=meta.ttl_minutes,
            body_hash=fetched.body_hash,
            article_count=total,
        )
        changes["name"] = feed.name or meta.title or common["name"]
    url = fetched.permanent_url or record.url or feed.url
    if not fetched.not_modified and fetched.body is not None:
        changes.update(etag=fetched.etag, last_modified=fetched.last_modified)
    elif fetched.not_modified:
        changes.update(etag=fetched.etag or record.etag, last_modified=fetched.last_modified)
    return record.with_(
        **changes,
        url=url,
        last_success=now,
        last_error=None,
        failures=0,
        last_new=new,
        next_due=next_due_after_success(
            now,
            interval_minutes=settings.interval,
            ttl_minutes=changes.get("ttl_minutes", record.ttl_minutes),
            max_age_seconds=fetched.max_age,
            max_backoff_minutes=settings.max_backoff,
        ),
    )


def ingest(
    store: Store,
    config: Config,
    batch: list[_Landed],
    now: float,
    ready: Mapping[str, bytes] | None = None,
) -> list[FeedOutcome]:
    """Store one batch of landed feeds; one outcome per feed.

    Story vectors are computed first (those not ``ready``: see :class:`_StoryVectors`),
    without the lock; then, under it, articles are added (re-checked against the
    catalog: another refresh may have stored them meanwhile), related to recent ones
    and scored, and everything is written at once.
    """
    from reader.rank import embed, place

    # Only articles within the clustering window of the newest one landed (never later
    # than now) can join a story: older ones (a feed's archive on its first fetch) get no
    # vector. The newest, not now: feeds read after a pause (or the offline sample, whose
    # dates are fixed) still relate what they carry among themselves.
    landed_articles = [pair for landed in batch if landed.error is None for pair in landed.articles]
    newest = max((a.when for a, _b in landed_articles), default=now)
    horizon = min(now, newest) - config.cluster.window_days * DAY
    fresh = [pair for pair in landed_articles if pair[0].when >= horizon]
    ready = ready or {}
    vectors = {a.id: ready[a.id] for a, _b in fresh if a.id in ready}
    missing = [pair for pair in fresh if pair[0].id not in vectors]
    vectors.update(zip((a.id for a, _b in missing), embed(missing), strict=True))
    states = store.states()
    outcomes: list[FeedOutcome] = []
    with store.writing() as writer:
        added: list[tuple[Article, bytes | None]] = []
        created: set[str] = set()
        for landed in batch:
            feed = landed.feed
            record = writer.feeds.get(feed.key)
            fetched = landed.fetched
            error = _error_line(landed.error or fetched.error)
            new = updated = 0
            if error is None:
                for article, body in landed.articles:
                    known = writer.known(article.id)
                    if known is not None and known[1] == article.content_hash:
                        continue  # stored meanwhile by another process
                    if known is not None:
                        previous = writer.article(article.id)
                        if previous is not None:  # keep when it was first collected
                            article = article.with_(
                                collected=previous.collected, related=previous.related
                            )
                        updated += 1
                    else:
                        new += 1
                        created.add(article.id)
                    vector = vectors.get(article.id)
                    added.append((writer.add(article, body, vector), vector))
            meta = landed.meta
            total = meta.entries if meta is not None else (record.article_count if record else 0)
            writer.put_feed(_record_after(config, feed, record, landed, now, new=new, total=total))
            if error is not None:
                status = "error"
            elif fetched.not_modified:
                status = "not-modified"
            elif meta is None:
                status = "unchanged"
            else:
                status = "ok"
            outcomes.append(
                FeedOutcome(
                    key=feed.key,
                    name=feed_display_name(feed, writer.feeds.get(feed.key)),
                    status=status,
                    new=new,
                    updated=updated,
                    entries=meta.entries if meta is not None else 0,
                    error=error,
                    warning=_error_line(meta.warning) if meta is not None else None,
                    elapsed=fetched.elapsed,
                )
            )
        place(writer, added, config=config, states=states, now=now)
    _auto_tag(store, batch, created)
    return outcomes


def _auto_tag(store: Store, batch: list[_Landed], new_ids: set[str]) -> None:
    """New articles get their feed's `tags` from feeds.toml, as tags the reader can remove.

    Only ever adds, read-modify-write under the marks lock: no mark is lost or reset.
    """
    changes = [
        StateChange(article.id, add_tags=landed.feed.tags)
        for landed in batch
        if landed.feed.tags
        for article, _body in landed.articles
        if article.id in new_ids
    ]
    if changes:
        store.change_state(changes)


# --- the whole refresh ------------------------------------------------------------------


def known_hashes(catalog, feed_keys) -> dict[str, dict[str, str]]:
    """feed key -> {article id: content hash} for the feeds about to be fetched."""
    from reader.store import FEED, HASH

    numbers = {i: key for i, key in enumerate(catalog.feeds) if key in feed_keys}
    found: dict[str, dict[str, str]] = {key: {} for key in numbers.values()}
    for stored_id, row in catalog.articles.items():
        key = numbers.get(row[FEED])
        if key is not None:
            found[key][stored_id] = row[HASH]
    return found


class _StoryVectors:
    """Story vectors of the recent articles of landed feeds, computed in a thread of their
    own while the other feeds are fetched and parsed.

    Each store write needs the vectors of its fresh articles (see :func:`ingest`), and the
    model costs ~3 ms an article: computed inside the write, they were most of the last
    write of a cold refresh, the part nothing else overlaps. Here they are ready by
    then. What is pending is embedded in one batch (the model is cheaper per article in
    batches); a failure only leaves the vectors for the store write to compute.
    """

    def __init__(self, horizon: float) -> None:
        self.horizon = horizon  # articles dated before it are not embedded here
        self.ready: dict[str, bytes] = {}
        self._pending: list[tuple[Article, str]] = []
        self._task: asyncio.Future | None = None
        self._thread: ThreadPoolExecutor | None = None

    def add(self, articles: Iterable[tuple[Article, str]]) -> None:
        self._pending.extend(pair for pair in articles if pair[0].when >= self.horizon)
        if self._pending and (self._task is None or self._task.done()):
            self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        from reader.rank import embed

        loop = asyncio.get_running_loop()
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed")
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                vectors = await loop.run_in_executor(self._thread, embed, batch)
            except Exception:
                continue  # the store write embeds what has no vector
            self.ready.update(zip((a.id for a, _b in batch), vectors, strict=True))

    async def settle(self) -> None:
        """Wait until nothing is pending: every article added has its vector (or failed)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    def used(self, batch: list[_Landed]) -> None:
        """Forget the vectors of a batch that has been stored."""
        for landed in batch:
            for article, _body in landed.articles:
                self.ready.pop(article.id, None)

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._thread is not None:
            self._thread.shutdown(wait=True, cancel_futures=True)


class _LargestFirst:
    """Hands the pool its jobs one slot at a time, the largest waiting body first.

    Bodies arrive in fetch order, but one big feed (a podcast's 730-entry archive) costs
    as much as dozens of small ones: queued behind them, it is the last job running
    while the other worker idles. Keeping only ``slots`` jobs in the pool and choosing
    the next by size lets the big ones start first.
    """

    def __init__(self, slots: int) -> None:
        self.free = slots
        self.waiting: list[tuple[int, int, asyncio.Future]] = []
        self.arrivals = 0

    async def acquire(self, size: int) -> None:
        if self.free > 0 and not self.waiting:
            self.free -= 1
            return
        turn = asyncio.get_running_loop().create_future()
        self.arrivals += 1
        heapq.heappush(self.waiting, (-size, self.arrivals, turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()  # the slot was handed over as we were cancelled
            raise

    def release(self) -> None:
        while self.waiting:
            _size, _arrival, turn = heapq.heappop(self.waiting)
            if not turn.done():
                turn.set_result(None)  # the slot passes to the largest waiting body
                return
        self.free += 1


def refresh(
    store: Store,
    config: Config,
    *,
    force: bool = False,
    only: list[str] | None = None,
    on_outcome: Callable[[FeedOutcome], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    pool_context: str = CONTEXT,
    now: Callable[[], float] = time.time,
) -> RefreshReport:
    """Refresh the due feeds (all with ``force``), store what is new, report per feed."""
    started = time.monotonic()
    records = store.feed_records()
    due, later = plan(config, records, now(), force=force, only=only)
    report = RefreshReport(not_due=[feed_display_name(f, records.get(f.key)) for f in later])
    if on_start is not None:
        on_start(len(due))
    if due:
        asyncio.run(
            _refresh_async(store, config, due, records, report, on_outcome, pool_context, now)
        )
    report.elapsed = time.monotonic() - started
    return report


async def _refresh_async(
    store: Store,
    config: Config,
    due: list[FeedConfig],
    records: dict[str, FeedRecord],
    report: RefreshReport,
    on_outcome: Callable[[FeedOutcome], None] | None,
    pool_context: str,
    now: Callable[[], float],
) -> None:
    from reader.fetch import Fetcher

    loop = asyncio.get_running_loop()
    settings = config.fetch
    workers = parse_workers(config)
    pool: Executor | None = None
    pool_started: asyncio.Future | None = None  # done when the pool's processes are up
    inline = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parse")
    landed: list[_Landed] = []
    parsing: set[asyncio.Future] = set()
    committing: asyncio.Future | None = None
    last_commit = time.monotonic()

    story_vectors = _StoryVectors(horizon=now() - config.cluster.window_days * DAY)
    inline_bytes = 0  # bodies waiting for or in the inline parser
    pool_slots = _LargestFirst(workers + 1)  # one queued job: no worker waits for the next

    def start_pool() -> None:
        """A new pool and its processes. With a forkserver they are started from a
        thread: starting one waits until the forkserver has imported the parser and
        loaded the language model (~0.35 s), and on the event loop's thread that wait
        held up every fetch. Not with "fork": forking from a thread while another holds
        a lock can leave the child waiting on that lock forever."""
        nonlocal pool, pool_started
        pool = make_pool(workers, pool_context, config)
        if pool_context == "forkserver":
            pool_started = loop.run_in_executor(None, start_processes, pool, workers)
        else:
            start_processes(pool, workers)
            pool_started = None

    def executor(feed: FeedConfig, body: bytes) -> tuple[Executor, asyncio.Future | None]:
        """Where to parse this body, and what to wait for before (the pool's start)."""
        if pool is None:
            if workers <= 1 or len(due) <= 1:
                return inline, None  # parse in one thread of this process, one at a time
            seen = records.get(feed.key) is not None
            if seen and inline_bytes + len(body) <= INLINE_MAX_BYTES:
                return inline, None  # a trickle of changes: no worker processes for it
            start_pool()
        assert pool is not None
        return pool, pool_started

    def deliver(outcomes: list[FeedOutcome]) -> None:
        report.outcomes.extend(outcomes)
        if on_outcome is not None:
            for outcome in outcomes:
                on_outcome(outcome)

    async def commit(batch: list[_Landed]) -> None:
        await story_vectors.settle()
        ready = story_vectors.ready
        outcomes = await asyncio.to_thread(ingest, store, config, batch, now(), ready)
        story_vectors.used(batch)
        deliver(outcomes)

    async def maybe_commit(final: bool = False) -> None:
        nonlocal committing, last_commit, landed
        if committing is not None and (final or committing.done()):
            await committing
            committing = None
        if not landed or committing is not None:
            return
        if final or time.monotonic() - last_commit >= COMMIT_EVERY:
            batch, landed = landed, []
            last_commit = time.monotonic()
            committing = asyncio.ensure_future(commit(batch))
            if final:
                await committing
                committing = None

    async def parse_and_land(feed: FeedConfig, result: FetchResult) -> None:
        nonlocal pool, inline_bytes
        assert result.body is not None
        record = records.get(feed.key)
        used, started = executor(feed, result.body)
        if used is inline:
            inline_bytes += len(result.body)
        else:
            await pool_slots.acquire(len(result.body))
            if used is not pool:  # it broke while this job waited: the job goes to a new one
                if pool is None:
                    start_pool()
                used, started = pool, pool_started
        try:
            if started is not None:
                await asyncio.shield(started)
            job = await loop.run_in_executor(
                used,
                parse_job,
                result.body,
                result.url,
                result.headers,
                feed,
                record.name if record else None,
                known.get(feed.key, {}),
                config if used is inline else None,  # the pool's workers have it
                now(),
            )
        except BrokenExecutor:
            # a parse process died (killed, out of memory): this feed and the others in
            # it fail; the next feeds get a new pool
            if pool is used:
                pool = None
                used.shutdown(wait=False, cancel_futures=True)
            job = ParseResult(meta=None, error="the parser process died (out of memory?)")
        except Exception as exc:  # never raised by parse_job itself: pickling, the pool...
            job = ParseResult(meta=None, error=f"parser failed: {type(exc).__name__}: {exc}")
        finally:
            if used is inline:
                inline_bytes -= len(result.body)
            else:
                pool_slots.release()
        if job.error is None:
            story_vectors.add(job.articles)
        landed.append(
            _Landed(
                feed=feed, fetched=result, meta=job.meta, articles=job.articles, error=job.error
            )
        )
        await maybe_commit()

    if needs_pool_now(config, due, records):
        # feeds never read before will need the pool (a first refresh, a new OPML):
        # start its processes now, so that they load their models while the first
        # bodies are being fetched
        start_pool()
    by_key = {feed.key: feed for feed in due}
    known = known_hashes(store.catalog(), by_key)
    requests = [_request(config, feed, records.get(feed.key)) for feed in due]
    try:
        async with Fetcher(
            concurrency=settings.concurrency,
            per_host=settings.per_host,
            timeout=settings.timeout,
            max_bytes=settings.max_bytes,
        ) as fetcher:
            async for result in fetcher.fetch_all(requests):
                feed = by_key[result.key]
                record = records.get(feed.key)
                unchanged = (
                    result.ok
                    and result.body is not None
                    and record is not None
                    and record.body_hash == result.body_hash
                    and record.last_error is None
                )
                if result.ok and result.body is not None and not unchanged:
                    task = asyncio.ensure_future(parse_and_land(feed, result))
                    parsing.add(task)
                    task.add_done_callback(parsing.discard)
                else:
                    landed.append(_Landed(feed=feed, fetched=result))
                    await maybe_commit()
        while parsing:
            await asyncio.gather(*list(parsing))
        await maybe_commit(final=True)
    finally:
        for task in parsing:
            task.cancel()
        inline.shutdown(wait=True, cancel_futures=True)
        story_vectors.close()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
