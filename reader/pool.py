"""The parse workers: how many, how their processes start, and starting them early.

A refresh parses in worker processes forked from a forkserver that has imported the
parser and loaded the language model once (:mod:`reader.preload`, ~0.45 s). A refresh
that will need them (a first refresh, a new OPML: feeds never read before) starts that
forkserver as soon as it knows, so that it loads while the command is still importing
what it needs and fetching; this module imports nothing heavy for that reason.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from concurrent.futures import Executor

from reader.config import Config, FeedConfig
from reader.models import FeedRecord

#: This many feeds never read before start the parse pool as the refresh starts.
PRESTART_NEW_FEEDS = 4
#: Added to each parse worker's niceness. The workers are batch work; the refresh's own
#: process (or the app running it) hands them their jobs, embeds and stores what they
#: return. Given the same priority, on a 2-core machine the workers and that process
#: shared the cores, its work fell behind theirs and was left to do alone after the last
#: job. Lower-priority workers leave it the core it needs when it needs one: a cold
#: refresh of the corpus took 0.1-0.16 s less in alternating runs (medians 5.21 -> 5.05,
#: 5.37 -> 5.23 s), and the app stays responsive while its refresh parses.
WORKER_NICENESS = 10
#: How the workers are started: forked from a server that preloaded the parser.
CONTEXT = "forkserver"
_PRELOAD = ["reader.preload"]


def parse_workers(config: Config) -> int:
    """Worker processes for parsing: ``[fetch] parse_workers``, else one per core."""
    if config.fetch.parse_workers > 0:
        return config.fetch.parse_workers
    return max(os.cpu_count() or 1, 1)


def needs_pool_now(
    config: Config, due: Iterable[FeedConfig], records: dict[str, FeedRecord]
) -> bool:
    """Whether these due feeds will surely need the pool: enough of them were never read
    (their bodies all go to the workers), and there is more than one worker."""
    unseen = sum(records.get(feed.key) is None for feed in due)
    return parse_workers(config) > 1 and unseen >= PRESTART_NEW_FEEDS


def start_forkserver() -> None:
    """Start the forkserver now; the pool made later with :func:`make_pool` uses it.

    Returns at once: the server imports :mod:`reader.preload` in its own process.
    """
    import multiprocessing
    from multiprocessing import forkserver

    multiprocessing.get_context(CONTEXT).set_forkserver_preload(_PRELOAD)
    forkserver.ensure_running()


def make_pool(workers: int, context: str = CONTEXT, config: Config | None = None) -> Executor:
    """A pool of parse workers; with ``config``, its jobs may be sent without one (see
    :func:`reader.parsejob.parse_job`): each worker gets it once, when it starts."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor  # ~25 ms: only when there is a pool

    ctx = multiprocessing.get_context(context)
    if context == "forkserver":
        ctx.set_forkserver_preload(_PRELOAD)
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_warm, initargs=(config,)
    )


def start_processes(pool: Executor, workers: int) -> None:
    """Start the pool's processes (a job each makes it start one)."""
    for _ in range(workers):
        pool.submit(_ready)


def _ready() -> None:
    """A job that does nothing: submitting it starts a worker process."""


def _warm(config: Config | None = None) -> None:
    """Each worker's initializer: what the forkserver preloads (a no-op there, already
    imported), so that pools of other start methods are prepared the same way; a lower
    priority (:data:`WORKER_NICENESS`); and the config its jobs use."""
    import reader.preload  # noqa: F401
    from reader import parsejob

    with contextlib.suppress(AttributeError, OSError):  # no os.nice on Windows
        os.nice(WORKER_NICENESS)
    parsejob.use_config(config)
