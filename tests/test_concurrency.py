"""Everything at once: the app open and marking, two `reader refresh` started together,
and another process making 200 tag/read/star changes. Nothing may be lost or doubled."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

from reader.app import make_app
from reader.app.screens.main import MainScreen
from reader.app.widgets import ArticleList
from reader.config import load_config
from reader.store import Store
from tests.clitools import Reader, feed_toml
from tests.conftest import CORPUS
from tests.feedserver import FeedServer, Route

FEEDS = [
    ("codehollow-feedreader__Rss20FazNet.xml", 13),
    ("codehollow-feedreader__Rss20LeParisien.xml", 30),
    ("codehollow-feedreader__Rss10OrfAt.xml", 50),
    ("codehollow-feedreader__Rss20ISO88591Intranet30.xml", 30),
]

# 200 changes, one transaction each, as 200 `reader tag/read/star` calls would make
MARKER = """
import json, sys
from pathlib import Path
from reader.models import StateChange
from reader.store import Store
store = Store.open(Path(sys.argv[1]), wait=60)
ids = json.loads(sys.argv[2])
for i in range(200):
    article_id = ids[i % len(ids)]
    if i % 3 == 0:
        change = StateChange(article_id, add_tags=(f"t{i}",))
    elif i % 3 == 1:
        change = StateChange(article_id, read=True, add_tags=(f"r{i}",))
    else:
        change = StateChange(article_id, starred=True, add_tags=(f"s{i}",))
    store.change_state([change])
"""


def _current_id(app) -> str:
    screen = app.screen
    assert isinstance(screen, MainScreen), screen
    return screen.query_one(ArticleList).current.article_id


async def test_app_two_refreshes_and_200_marks_at_once_lose_nothing(tmp_path):
    with FeedServer() as server:
        feeds = []
        for i, (name, _count) in enumerate(FEEDS):
            body = (CORPUS / name).read_bytes()
            url = server.route(f"/c{i}.xml", Route(body=body, delay=0.3))
            feeds.append({"url": url, "name": f"c{i}"})
        reader = Reader(tmp_path, feed_toml(feeds))
        assert reader("refresh", "--feed", "c0").code == 0
        first_ids = [c["id"] for c in reader("list", "--json").json()]
        total = sum(count for _name, count in FEEDS)

        app = make_app(Store.open(reader.db), load_config(reader.config))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            kept = _current_id(app)  # the app marks this one; the other process the rest
            others = [i for i in first_ids if i != kept]
            marker = subprocess.Popen(
                [sys.executable, "-c", MARKER, str(reader.db), json.dumps(others)],
                env=reader.env(),
            )
            refreshes = [reader.start("refresh", "--force"), reader.start("refresh", "--force")]
            # the reader at work meanwhile: star, tag, read, each saved at once
            await pilot.press("s")
            await pilot.press("t", *"+from-app +second", "enter")
            await pilot.press("u")
            processes = [marker, *refreshes]
            deadline = time.monotonic() + 120
            while any(p.poll() is None for p in processes) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)  # the app keeps polling the store meanwhile
            assert marker.wait(1) == 0
            assert all(p.wait(1) in (0, 1) for p in refreshes)
            library = app.screen.library
            for _ in range(100):  # picked up within a few seconds, without a key
                if len(library.articles) == total:
                    break
                await asyncio.sleep(0.1)
            assert len(library.articles) == total
            assert _current_id(app) == kept  # the cursor stayed where the reader left it
            shown = library.state(kept)
            assert shown.starred and shown.read and {"from-app", "second"} <= set(shown.tags)

    cards = reader("list", "--json").json()
    assert len(cards) == total and len({c["id"] for c in cards}) == total
    by_id = {c["id"]: c for c in cards}
    assert by_id[kept]["starred"] and by_id[kept]["read"]
    assert {"from-app", "second"} <= set(by_id[kept]["tags"])
    for i in range(200):
        card = by_id[others[i % len(others)]]
        assert {0: f"t{i}", 1: f"r{i}", 2: f"s{i}"}[i % 3] in card["tags"], (i, card["tags"])
        if i % 3 == 1:
            assert card["read"], i
        if i % 3 == 2:
            assert card["starred"], i
