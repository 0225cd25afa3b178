"""The parse pool: a worker process that dies costs its feed(s), and the refresh goes on
with a new pool for the feeds after it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import reader.refresh
from reader.cluster import get_embedder
from reader.config import parse_config
from reader.refresh import refresh
from reader.store import Store
from tests.feedserver import FeedServer, Route
from tests.hostile import rss, rss_item

REAL_PARSE_JOB = reader.refresh.parse_job


def parse_job_dying_on_poison(body: bytes, url: str, *args):
    """parse_job, except that the worker process dies on the feed at /poison (as when the
    kernel's OOM killer takes it). Module level: the pool pickles it by name."""
    if url.endswith("/poison"):
        os._exit(9)
    return REAL_PARSE_JOB(body, url, *args)


def test_a_dead_worker_costs_its_feed_and_the_refresh_goes_on(tmp_path, monkeypatch):
    # "fork": the workers inherit this module's patch of reader.refresh.parse_job. A fork
    # copies the locks other threads hold: what the refresh's threads import lazily (the
    # store write, story vectors) is imported first, so that no import lock is held when
    # the new pool forks (a real refresh forks from a single-threaded forkserver).
    import reader.rank

    get_embedder().embed(["warm up"])
    monkeypatch.setattr(reader.refresh, "parse_job", parse_job_dying_on_poison)
    # the pool takes workers + 1 = 3 jobs at a time: the poison and at most two others
    # are lost with the dead worker's pool; the feeds after them get a new pool
    with FeedServer() as server:
        poison = server.route("/poison", Route(body=rss([rss_item(title="x" * 5000, guid="p")])))
        urls = [
            server.route(f"/ok{i}", Route(body=rss([rss_item(title=f"Story {i}", guid=f"{i}")])))
            for i in range(5)
        ]
        config = parse_config(
            "[fetch]\nparse_workers = 2\n"
            + "".join(f'[[feed]]\nurl = "{url}"\n' for url in [poison, *urls])
        )
        store = Store.open(tmp_path / "store")
        report = refresh(store, config, pool_context="fork")
    assert len(report.outcomes) == 1 + len(urls)  # every feed has its outcome
    by_url = {o.key: o for o in report.outcomes}
    assert by_url[poison].status == "error"
    failed = [o for o in report.outcomes if o.failed]
    assert all(o.error == "the parser process died (out of memory?)" for o in failed)
    stored = {a.feed_url for a in store.articles()}
    assert stored == {o.key for o in report.outcomes if not o.failed}
    assert len(stored) >= len(urls) - 2


def test_the_pool_is_started_early_only_for_feeds_never_read():
    from reader.models import FeedRecord
    from reader.pool import needs_pool_now

    config = parse_config(
        "[fetch]\nparse_workers = 2\n"
        + "".join(f'[[feed]]\nurl = "https://example.org/{i}.xml"\n' for i in range(5))
    )
    feeds = list(config.feeds)
    assert needs_pool_now(config, feeds, {})  # a first refresh: every body goes to workers
    # a cron refresh: feeds read before may change a little, parsed in this process
    seen = {feed.key: FeedRecord(key=feed.key, url=feed.url) for feed in feeds[:2]}
    assert not needs_pool_now(config, feeds, seen)
    single = parse_config(
        "[fetch]\nparse_workers = 1\n"
        + "".join(f'[[feed]]\nurl = "https://example.org/{i}.xml"\n' for i in range(5))
    )
    assert not needs_pool_now(single, list(single.feeds), {})


def test_parse_workers_run_below_the_refresh_s_priority():
    from reader.pool import WORKER_NICENESS, make_pool

    own = os.nice(0)
    pool = make_pool(1, "forkserver")
    try:
        worker = pool.submit(os.nice, 0).result(timeout=60)
    finally:
        pool.shutdown()
    assert worker == min(own + WORKER_NICENESS, 19)
    assert os.nice(0) == own  # this process keeps its own


def test_a_refresh_imports_the_process_pool_only_to_start_one():
    # ~25 ms of every all-304 pass (multiprocessing's connections, queues, pickling)
    code = (
        "import sys, reader.refresh, reader.pool; "
        "assert 'concurrent.futures.process' not in sys.modules; "
        "reader.pool.make_pool(1).shutdown(); "
        "assert 'concurrent.futures.process' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])
