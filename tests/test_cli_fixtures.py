"""Shared set-up for the test_cli_* modules (no tests here).

One store of the repository's five sample feeds is refreshed once per test run (the
refresh loads the language and embedding models: seconds), then copied for each test
that needs articles. Stores with chosen ages and marks are written directly through
:class:`reader.store.Store`, which is what a refresh does too, without the models.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from reader.models import Article, HalfLife, Importance, StateChange
from reader.store import Store
from tests.clitools import ROOT, Reader, feed_toml

SAMPLES = [
    # name, file, topic, tier, type
    ("Aster Lab (sample)", "sample-lab.xml", "Labs", 1, "blog"),
    ("Tech Desk (sample)", "sample-press.xml", "Industry", 2, "news"),
    ("World Press (sample)", "sample-world.xml", "Industry", 2, "news"),
    ("llama-tools releases (sample)", "sample-releases.xml", "Tools", 1, "release"),
    ("Papers (sample)", "sample-papers.xml", "Papers", 3, "paper"),
]
SAMPLE_ARTICLES = 12


def sample_feeds() -> list[dict]:
    return [
        {
            "url": (ROOT / "examples" / file).as_uri(),
            "name": name,
            "topic": topic,
            "tier": tier,
            "type": kind,
        }
        for name, file, topic, tier, kind in SAMPLES
    ]


SAMPLE_CONFIG = feed_toml(sample_feeds())

_built: dict[str, Path] = {}


def sample_reader(tmp_path: Path, tmp_path_factory) -> Reader:
    """A Reader on a copy of the sample store (refreshed once per test run)."""
    if "store" not in _built:
        base = tmp_path_factory.mktemp("sample-store")
        reader = Reader(base, SAMPLE_CONFIG)
        run = reader("refresh")
        assert run.code == 0, run.out + run.err
        _built["store"] = reader.db
    reader = Reader(tmp_path, SAMPLE_CONFIG)
    shutil.copytree(_built["store"], reader.db)
    return reader


def make_article(
    n: int,
    *,
    feed: str = "https://feed.example/a.xml",
    age_days: float = 1.0,
    now: float | None = None,
    **changes,
) -> Article:
    """A stored-looking article, ``age_days`` old."""
    now = time.time() if now is None else now
    when = now - age_days * 86400
    article = Article(
        id=f"{n:012x}",
        feed=changes.pop("feed_name", "Feed A"),
        feed_url=feed,
        source=changes.pop("source", "Source A"),
        tier=2,
        title=changes.pop("title", f"Article number {n}"),
        link=changes.pop("link", f"https://feed.example/{n}"),
        published=when,
        collected=when,
        lang="en",
        type="news",
        halflife=HalfLife("short", 24.0, "news"),
        summary=("A line of summary.",),
        topic="General",
        topics=("General",),
        importance=Importance(0.3, 2, "notable"),
        content_hash=f"h{n}",
        enriched=1,
    )
    return article.with_(**changes) if changes else article


def write_store(path: Path, articles: list[Article], marks: list[StateChange] = ()) -> Store:
    """A store holding ``articles`` (bodies: their titles) and the given marks."""
    store = Store.open(path)
    with store.writing() as writer:
        for article in articles:
            writer.add(article, f"Body of {article.title}.")
    if marks:
        store.change_state(list(marks))
    return store
