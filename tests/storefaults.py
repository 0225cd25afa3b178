"""Helpers for the store-fault tests: a big store built in-process, a refresh run under
fault injection (``tests/faultshim``), and the invariants every store must keep."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from reader.models import Article, HalfLife, Importance, StateChange, UserState
from reader.store import SEG, Store, read_json
from tests.clitools import Reader
from tests.hostile import rss, rss_item

SHIM = Path(__file__).resolve().parent / "faultshim"
OLD = 1_600_000_000.0  # 2020: outside every window, so old articles cost no clustering


def old_article(i: int) -> Article:
    return Article(
        id=f"0ld{i:09x}",
        feed="Archive",
        feed_url="http://archive.example/rss",
        source="Archive",
        tier=3,
        title=f"Archived article {i}",
        link=f"http://archive.example/{i}",
        collected=OLD + i,
        published=OLD + i - 60,
        lang="en",
        summary=("An old story.", "Told twice."),
        halflife=HalfLife("short", 24.0, "news"),
        importance=Importance(0.3, 1, "normal"),
        content_hash=f"h{i}",
    )


def build_store(path: Path, count: int, body_size: int = 1000) -> Store:
    """A store of ``count`` old articles (2,000 a segment): big enough that writes take
    a while (the open segment and its bodies are rewritten by every refresh)."""
    store = Store.open(path)
    body = ("Lorem ipsum dolor sit amet. " * (body_size // 28 + 1))[:body_size]
    with store.writing() as writer:
        for i in range(count):
            writer.add(old_article(i), body)
    return store


def feed_version(version: int, *, new: int = 30, fixed: int = 10, changing: int = 5) -> bytes:
    """The changing feed at one refresh: ``new`` entries seen for the first time, ``fixed``
    ones identical each time, ``changing`` ones whose text changes each time."""
    items = [
        rss_item(
            title=f"v{version} new {i}",
            guid=f"v{version}-{i}",
            link=f"http://news.example/v{version}/{i}",
            description=f"Fresh story {i} of version {version}. " * 20,
        )
        for i in range(new)
    ]
    items += [
        rss_item(title=f"Fixed {i}", guid=f"fixed-{i}", link=f"http://news.example/f{i}",
                 description=f"A story that never changes, number {i}. " * 20)
        for i in range(fixed)
    ]  # fmt: skip
    items += [
        rss_item(title=f"Changing {i}", guid=f"changing-{i}", link=f"http://news.example/c{i}",
                 description=f"Version {version} of a story that keeps changing, {i}. " * 20)
        for i in range(changing)
    ]  # fmt: skip
    return rss(items, title="News")


class FaultReader(Reader):
    """``reader`` with the fault shim first on PYTHONPATH (inactive without a fault)."""

    fault: str | None = None

    def env(self) -> dict[str, str]:
        env = super().env()
        env["PYTHONPATH"] = str(SHIM) + os.pathsep + env["PYTHONPATH"]
        env.pop("HALFLIFE_FAULT", None)
        if self.fault:
            env["HALFLIFE_FAULT"] = self.fault
        return env

    def spawn(self, *args: str, fault: str | None = None, **popen) -> subprocess.Popen:
        """Started in its own session, so its parse workers can be killed with it."""
        self.fault = fault
        try:
            return self.start(*args, start_new_session=True, **popen)
        finally:
            self.fault = None


def reap(process: subprocess.Popen, timeout: float = 60) -> tuple[int, str, str]:
    """Wait for a (perhaps killed) refresh, then kill whatever it left behind."""
    # not communicate() first: the orphaned forkserver and parse workers hold the pipes
    # open until they are killed (the output is small: the pipe buffers do not fill)
    try:
        process.wait(timeout=timeout)
    finally:
        kill_group(process)
    out, err = process.communicate(timeout=30)
    return process.returncode, out, err


def kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@dataclass
class Snapshot:
    catalog_ids: set[str]
    segment_ids: dict[str, int]
    states: dict[str, UserState]


def check_store(path: Path, marks: dict[str, UserState]) -> Snapshot:
    """What must hold after any crash: every file loads; no article is stored twice;
    every article of the catalog (the commit point) is in the segment it names; the
    reader's marks are all there."""
    store = Store.open(path, wait=5)
    catalog = store.catalog()
    seen: dict[str, int] = {}
    for number in store.segment_numbers():
        for article in store.load_segment(number):
            assert article.id not in seen, f"article {article.id} stored twice"
            seen[article.id] = number
        store.vectors([number])  # loads
        read_json(store.segment_path(number, "body"))  # loads
    for article_id, row in catalog.articles.items():
        assert seen.get(article_id) == row[SEG], f"catalog names a missing article {article_id}"
    store.feed_records()  # loads
    states = store.states()
    for article_id, state in marks.items():
        assert states.get(article_id, UserState()) == state, f"marks of {article_id} lost"
    return Snapshot(set(catalog.articles), seen, states)


def mark(store_path: Path, marks: dict[str, UserState], article_id: str, **change) -> None:
    """Apply one change in-process and remember the state it must keep."""
    store = Store.open(store_path, wait=10)
    after = store.change_state([StateChange(article_id, **change)])
    marks[article_id] = after[article_id]
