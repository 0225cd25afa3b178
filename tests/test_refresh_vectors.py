"""Story vectors of fresh articles are computed while feeds land (reader.refresh._StoryVectors)
and the store write uses them: each article embedded once, stories related across feeds,
and a failure there only leaves the work to the store write."""

from __future__ import annotations

import re
import threading
import time
from email.utils import formatdate
from pathlib import Path

import pytest

import reader.rank
from reader.config import parse_config
from reader.refresh import refresh
from reader.store import Store
from tests.feedserver import FeedServer, Route

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PUB_DATE = re.compile(rb"<pubDate>[^<]*</pubDate>")


def _dated_now(name: str) -> bytes:
    """An example feed with every item dated an hour ago: all of it is fresh."""
    stamp = formatdate(time.time() - 3600, usegmt=True).encode()
    return PUB_DATE.sub(b"<pubDate>" + stamp + b"</pubDate>", (EXAMPLES / name).read_bytes())


@pytest.fixture
def spied_embed(monkeypatch):
    """Every text embedded, with the thread that asked (a spy: the model still runs)."""
    calls: list[tuple[str, list[str]]] = []
    real = reader.rank.embed

    def embed(articles):
        calls.append((threading.current_thread().name, [a.id for a, _body in articles]))
        return real(articles)

    monkeypatch.setattr(reader.rank, "embed", embed)
    return calls


def _refresh_samples(tmp_path: Path) -> Store:
    with FeedServer() as server:
        urls = [
            server.route(f"/{name}", Route(body=_dated_now(name)))
            for name in ("sample-world.xml", "sample-lab.xml")
        ]
        config = parse_config(
            "\n".join(f'[[feed]]\nurl = "{url}"\ntopic = "Open models"\n' for url in urls)
        )
        store = Store.open(tmp_path / "store")
        report = refresh(store, config)
    assert not report.failed, report.outcomes
    return store


def _aster_stories(store: Store) -> dict[str, set[str]]:
    aster = [a for a in store.articles() if "Aster-7B" in a.title]
    assert len(aster) == 5  # four press reports and the lab's own post
    return {a.id: set(a.related) for a in aster}


def test_fresh_articles_are_embedded_once_while_landing_and_related(tmp_path, spied_embed):
    store = _refresh_samples(tmp_path)
    embedded = [i for _thread, ids in spied_embed for i in ids]
    assert len(embedded) == len(set(embedded)) == len(store.articles())
    assert {thread for thread, ids in spied_embed if ids} == {"embed_0"}  # none left to the write
    for article_id, related in _aster_stories(store).items():
        assert related == set(_aster_stories(store)) - {article_id}


def test_a_failure_while_landing_leaves_the_vectors_to_the_store_write(
    tmp_path, monkeypatch, spied_embed
):
    spy = reader.rank.embed

    def failing_in_the_thread(articles):
        if threading.current_thread().name.startswith("embed"):
            spied_embed.append(("failed", []))
            raise RuntimeError("model failed")
        return spy(articles)

    monkeypatch.setattr(reader.rank, "embed", failing_in_the_thread)
    store = _refresh_samples(tmp_path)
    embedded = [i for thread, ids in spied_embed if thread != "failed" for i in ids]
    assert len(embedded) == len(set(embedded)) == len(store.articles())
    for article_id, related in _aster_stories(store).items():
        assert related == set(_aster_stories(store)) - {article_id}
