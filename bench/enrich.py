"""Enrichment of the whole shared corpus, phase by phase, in articles/s.

    .venv/bin/python bench/enrich.py

Parses every feed of ../shared/feeds/real (not timed: that is bench/refresh.py's), then
times what a refresh does to new articles, in one process:

- card fields: clean text, boilerplate, language, three-line summary, type, half-life,
  topics (``reader.enrich.enrich_entries``, per feed, as a refresh's workers do);
- story vectors (the multilingual sentence encoder, batched);
- relate + score: every article stored into an empty store, related to the others
  and given its importance (``reader.rank.place``, as under the refresh's lock).

Every article is embedded here (a refresh skips a feed's archive older than the
clustering window), so the figures are a floor. Target (issue 9): >= 100 articles/s.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "feeds" / "real"


def main() -> None:
    from reader.config import FeedConfig, parse_config
    from reader.enrich import FeedContext, enrich_entries
    from reader.language import warm_up
    from reader.parse import parse_feed
    from reader.rank import embed, place
    from reader.store import Store

    config = parse_config("")
    now = time.time()
    feeds = []
    for path in sorted(CORPUS.iterdir()):
        if path.suffix in (".tsv", ".md"):
            continue
        feed = FeedConfig(url=f"https://corpus.example/{path.name}", topic="Corpus")
        try:
            parsed = parse_feed(path.read_bytes(), feed.url, {})
        except Exception:  # the broken files of the corpus: refresh reports them
            continue
        context = FeedContext(feed=feed, name=path.stem, source=path.stem, lang_hint=None)
        feeds.append((context, parsed.entries))
    total = sum(len(entries) for _c, entries in feeds)
    print(f"corpus: {len(feeds)} feeds, {total} entries", flush=True)

    warm_up()
    embed([])  # nothing: the model loads on the first real call, timed apart below
    started = time.perf_counter()
    articles = []
    for context, entries in feeds:
        for result in enrich_entries(entries, context, config, now):
            if isinstance(result, Exception):  # counted, as a refresh would report it
                print(f"  enrich failed: {type(result).__name__}: {result}")
            else:
                articles.append(result)
    card_time = time.perf_counter() - started

    started = time.perf_counter()
    embed(articles[:1])
    load_time = time.perf_counter() - started
    started = time.perf_counter()
    vectors = embed(articles)
    embed_time = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "store")
        started = time.perf_counter()
        with store.writing() as writer:
            added = [
                (writer.add(a, body, v), v) for (a, body), v in zip(articles, vectors, strict=True)
            ]
            place(writer, added, config=config, states={}, now=now)
            placed_time = time.perf_counter() - started
        write_time = time.perf_counter() - started - placed_time

    n = len(articles)
    whole = card_time + embed_time + placed_time
    print(f"card fields      {n / card_time:8.0f} articles/s  ({card_time:.1f} s)")
    print(
        f"story vectors    {n / embed_time:8.0f} articles/s  ({embed_time:.1f} s; "
        f"model load {load_time:.1f} s once)"
    )
    print(f"relate + score   {n / placed_time:8.0f} articles/s  ({placed_time:.1f} s)")
    print(f"enrichment       {n / whole:8.0f} articles/s  (target >= 100)")
    print(f"store write      {write_time:8.2f} s for {n} articles")


if __name__ == "__main__":
    main()
