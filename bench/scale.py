"""Speed at scale: a realistic 100k-article store from 500 feeds, and every figure of issue 9.

    .venv/bin/python bench/scale.py [--sizes 10000,100000] [--keep DIR]

Builds stores of the given sizes from the real corpus (../shared/feeds/real: parsed and
enriched once, then reused with new ids, 500 feeds, a year of collection times, real
story vectors, the reader's marks on a share of them), then measures:

- open: `reader` started in a pseudo-terminal (120x40) to the first output that shows
  a list row, interpreter start included; then, with the app run headless, the whole
  store read (in a worker) and the app's RSS;
- refresh write: storing 200 new articles (relate + score + write, under the lock);
- a tag keystroke: one mark change on disk;
- search: a full-text filter over titles and summaries;
- pipeline commands (`reader list --limit 20`, `reader list @1d`, `reader digest`,
  `reader list` of everything) as subprocesses, start-up included;
- enrichment: articles/s for the corpus (parse excluded), and relating 200 new
  articles to the store.

Figures are printed side by side for each size, to show that a refresh costs about
the same at 10k and 100k.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import pickle
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CORPUS = ROOT.parent / "shared" / "feeds" / "real"
CACHE = ROOT / "bench" / "out" / "corpus_articles.pickle"
DAY = 86400.0
NOW = time.time()


def corpus_articles() -> list[tuple]:
    """(Article, body, vector) for every corpus entry, enriched once and cached."""
    if CACHE.exists():
        return pickle.loads(CACHE.read_bytes())
    from reader.config import FeedConfig, parse_config
    from reader.rank import embed
    from reader.refresh import parse_job

    config = parse_config("")
    found = []
    started = time.perf_counter()
    for path in sorted(CORPUS.iterdir()):
        if path.suffix in (".tsv", ".md"):
            continue
        feed = FeedConfig(url=f"https://corpus.example/{path.name}", topic="Corpus")
        job = parse_job(path.read_bytes(), feed.url, {}, feed, None, {}, config, NOW)
        found.extend(job.articles)
    enriched = time.perf_counter() - started
    vectors = embed(found)
    print(f"corpus: {len(found)} articles parsed and enriched in {enriched:.1f} s", flush=True)
    result = [(a, b, v) for (a, b), v in zip(found, vectors, strict=True)]
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_bytes(pickle.dumps(result))
    return result


TOPICS = ["Labs", "Open models", "Industry", "Papers", "Policy", "Tools", "Research", "Chips"]


def generate(path: Path, size: int, base: list[tuple], *, feeds: int = 500, seed: int = 1) -> None:
    """A store of ``size`` articles spread over a year of collection, from ``feeds`` feeds."""
    from reader.models import Importance, StateChange
    from reader.score import STAR_LABELS, stars_for
    from reader.store import SEGMENT_CAPACITY, Store

    rng = random.Random(seed)
    store = Store.open(path)
    start = NOW - 365 * DAY
    step = 365 * DAY / size
    marks = []
    for chunk in range(0, size, SEGMENT_CAPACITY):
        with store.writing() as writer:
            for i in range(chunk, min(chunk + SEGMENT_CAPACITY, size)):
                article, body, vector = base[i % len(base)]
                feed = i % feeds
                collected = start + i * step
                score = round(min(max(rng.gauss(0.25, 0.12), 0.0), 1.0), 4)
                stars = stars_for(score)
                placed = article.with_(
                    id=hashlib.sha1(str(i).encode()).hexdigest()[
                        :12
                    ],  # ids are hashes: spread over shards
                    feed=f"Feed {feed}",
                    feed_url=f"https://feeds.example/{feed}.xml",
                    source=f"Feed {feed}",
                    tier=1 + feed % 3,
                    collected=collected,
                    published=collected - rng.uniform(0, 6 * 3600),
                    topic=TOPICS[feed % len(TOPICS)],
                    topics=(TOPICS[feed % len(TOPICS)],),
                    importance=Importance(score, stars, STAR_LABELS[stars]),
                    related=(),
                )
                writer.add(placed, body, vector)
                roll = rng.random()
                if roll < 0.02:
                    marks.append(
                        StateChange(placed.id, add_tags=(rng.choice(["ai", "eu", "korea"]),))
                    )
                if roll < 0.6:
                    marks.append(StateChange(placed.id, read=True))
                if roll < 0.01:
                    marks.append(StateChange(placed.id, starred=True))
    for i in range(0, len(marks), 5000):
        store.change_state(marks[i : i + 5000])


def timed(function, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


APP_START = r"""
import asyncio, sys, time, json, resource
started = time.perf_counter()
from reader.config import parse_config
from reader.store import Store
from reader.app import make_app
from reader.app.widgets import ArticleList

async def main():
    app = make_app(Store.open(sys.argv[1]), parse_config(""))
    async with app.run_test(size=(120, 40)) as pilot:
        while True:
            rows = app.screen.query(ArticleList)
            if rows and rows.first().rows:
                break
            await pilot.pause(0.01)
        shown = len(rows.first().rows)
        while app.library.partial:  # the rest of the store, read in a worker
            await asyncio.sleep(0.02)
        loaded = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"all_loaded": loaded, "rss_mb": rss,
                          "rows": shown, "articles": len(app.library.articles)}))

asyncio.run(main())
"""

# A list row as the terminal shows it: its five importance cells, then a space.
_LIST_ROW = re.compile("[★·]{5} ")
_ESCAPE = re.compile(
    r"\x1b(?:\[[0-9;?<>=$]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()][0-9A-Za-z]|.)"
)


def first_paint_in_terminal(path: Path, size: tuple[int, int] = (120, 40)) -> float:
    """Seconds from starting ``reader`` in a pseudo-terminal of ``size`` to the first
    output that shows a list row: what a user waits for, interpreter start included."""
    import fcntl
    import pty
    import select
    import signal
    import struct
    import termios

    def drain(fd: int, timeout: float) -> bytes:
        if not select.select([fd], [], [], timeout)[0]:
            return b""
        try:
            return os.read(fd, 1 << 16) or b""
        except OSError:  # the child is gone
            return b""

    with tempfile.NamedTemporaryFile("w", suffix=".toml") as config:
        terminal, app_side = pty.openpty()
        fcntl.ioctl(app_side, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "reader", "--config", config.name, "--db", str(path)],
            stdin=app_side,
            stdout=app_side,
            stderr=app_side,
            env={**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)},
            start_new_session=True,  # its own process group: killed whole if it hangs
        )
        os.close(app_side)
        output = b""
        painted = None
        try:
            while painted is None and child.poll() is None and time.perf_counter() - started < 60:
                output += drain(terminal, 0.05)
                if _LIST_ROW.search(_ESCAPE.sub("", output.decode("utf-8", "replace"))):
                    painted = time.perf_counter() - started
        finally:
            with contextlib.suppress(OSError):
                os.write(terminal, b"q")
            deadline = time.perf_counter() + 10
            while child.poll() is None and time.perf_counter() < deadline:
                drain(terminal, 0.05)  # a child writing to a full terminal never exits
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
            os.close(terminal)
    if painted is None:
        raise SystemExit(f"reader showed no list row: {output[-500:]!r}")
    return painted


def app_start(path: Path) -> dict:
    """The first painted list in a real terminal; the whole store read and the RSS
    from the app run headless."""
    painted = first_paint_in_terminal(path)
    done = subprocess.run(
        [sys.executable, "-c", APP_START, str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return {"first_list": painted, **json.loads(done.stdout.strip().splitlines()[-1])}


def refresh_write(path: Path, base: list[tuple], count: int = 200) -> dict:
    """Store ``count`` new articles like a refresh does: relate, score, write (no fetch)."""
    from reader.config import parse_config
    from reader.rank import place
    from reader.store import Store

    store = Store.open(path)
    config = parse_config("")
    states = store.states()
    rng = random.Random(7)
    picks = rng.sample(range(len(base)), count)
    started = time.perf_counter()
    with store.writing() as writer:
        opened = time.perf_counter()
        added = []
        for n, index in enumerate(picks):
            article, body, vector = base[index]
            fresh = article.with_(
                id=f"f{n:011x}",
                feed=f"Feed {n % 500}",
                feed_url=f"https://feeds.example/{n % 500}.xml",
                collected=NOW,
                published=NOW - 600,
                related=(),
            )
            added.append((writer.add(fresh, body, vector), vector))
        placed = time.perf_counter()
        place(writer, added, config=config, states=states, now=NOW)
        related = time.perf_counter()
    total = time.perf_counter() - started
    return {
        "open_catalog": opened - started,
        "add": placed - opened,
        "relate_score": related - placed,
        "write": total - (related - started),
        "total": total,
    }


def keystroke(path: Path) -> float:
    from reader.models import StateChange
    from reader.store import Store

    store = Store.open(path)
    ids = list(store.catalog().articles)[:50]
    flip = [False]

    def one() -> None:
        flip[0] = not flip[0]
        store.change_state([StateChange(random.choice(ids), starred=flip[0])])

    return timed(one, repeat=10)


def search(path: Path) -> dict:
    from reader.config import parse_config
    from reader.library import Library
    from reader.query import parse_filter

    library = Library(__import__("reader.store").store.Store.open(path), parse_config(""))
    started = time.perf_counter()
    library.load()
    load = time.perf_counter() - started
    query = parse_filter('"open source" +unread')
    word = parse_filter("model")
    return {
        "load": load,
        "phrase": timed(lambda: library.select(query, "newest")),
        "word": timed(lambda: library.select(word, "worth")),
        "reload_unchanged": timed(library.reload),
    }


#: `reader` commands of a pipeline (cron mail, a script), timed as subprocesses.
PIPELINE = {
    "list_limit": ["list", "--limit", "20"],
    "list_day": ["list", "@1d"],
    "digest": ["digest"],
    "list_all": ["list", "--format", "{id}"],
}


def pipeline(path: Path) -> dict:
    """Wall seconds (best of 3) of `reader` commands that read the store, start-up
    included: a limit or an age term reads only the segments that can match."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    found = {}
    for name, args in PIPELINE.items():
        command = [sys.executable, "-m", "reader", "--db", str(path), *args]
        best = math.inf
        for _ in range(3):
            started = time.perf_counter()
            subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
            best = min(best, time.perf_counter() - started)
        found[name] = best
    return found


def enrichment_rate() -> float:
    """Articles/s of the per-article enrichment (language, summary, type, topics...)."""
    from reader.config import FeedConfig, parse_config
    from reader.enrich import FeedContext, enrich_entries
    from reader.parse import parse_feed

    config = parse_config("")
    feeds = []
    for path in sorted(CORPUS.iterdir())[:80]:
        if path.suffix in (".tsv", ".md"):
            continue
        try:
            feeds.append(parse_feed(path.read_bytes(), "https://x.example/").entries)
        except Exception:
            continue
    feed = FeedConfig(url="https://x.example/", topic="Corpus")
    context = FeedContext(feed=feed, name="x", source="x", lang_hint=None)
    enrich_entries(feeds[0][:1], context, config, NOW)  # load models
    started = time.perf_counter()
    for entries in feeds:  # feed by feed, as a refresh's workers do
        enrich_entries(entries, context, config, NOW)
    return sum(map(len, feeds)) / (time.perf_counter() - started)


def embed_rate(base: list[tuple]) -> float:
    from reader.rank import embed

    sample = [(a, b) for a, b, _v in base[:400]]
    embed(sample[:5])
    started = time.perf_counter()
    embed(sample)
    return len(sample) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--keep", help="keep the generated stores in this directory")
    args = parser.parse_args()
    base = corpus_articles()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="halflife-scale-"))
    results = {}
    for size in sizes:
        path = work / f"store-{size}"
        if not path.exists():
            started = time.perf_counter()
            generate(path, size, base)
            print(
                f"generated {size:,} articles in {time.perf_counter() - started:.1f} s", flush=True
            )
        disk = sum(p.stat().st_size for p in path.rglob("*.json"))
        copy = work / f"copy-{size}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(path, copy)
        results[size] = {
            "disk_mb": disk / 1e6,
            "app": app_start(path),
            "search": search(path),
            "keystroke": keystroke(copy),
            "refresh": refresh_write(copy, base),
            "pipeline": pipeline(path),
        }
        shutil.rmtree(copy)
        print(f"measured {size:,}", flush=True)
    rate = enrichment_rate()
    vectors = embed_rate(base)

    def row(label: str, target: str, values: list[str]) -> None:
        print(f"{label:<44} {target:>10}  " + "  ".join(f"{v:>12}" for v in values))

    figures = [
        ("store on disk", "", lambda r: f"{r['disk_mb']:.0f} MB"),
        ("`reader` to first painted list", "<= 1 s", lambda r: f"{r['app']['first_list']:.2f} s"),
        ("whole store read (in a worker)", "", lambda r: f"{r['app']['all_loaded']:.2f} s"),
        ("app RSS (whole store read)", "<= 400 MB", lambda r: f"{r['app']['rss_mb']:.0f} MB"),
        ("library load (in the above)", "", lambda r: f"{r['search']['load']:.2f} s"),
        (
            "reload when nothing changed",
            "",
            lambda r: f"{r['search']['reload_unchanged'] * 1000:.1f} ms",
        ),
        (
            "full-text search: a phrase + unread",
            "<= 200 ms",
            lambda r: f"{r['search']['phrase'] * 1000:.0f} ms",
        ),
        (
            "full-text search: a word, worth sort",
            "<= 200 ms",
            lambda r: f"{r['search']['word'] * 1000:.0f} ms",
        ),
        ("tag keystroke on disk", "<= 50 ms", lambda r: f"{r['keystroke'] * 1000:.1f} ms"),
        (
            "refresh +200: writing (segments, catalog)",
            "<= 0.3 s",
            lambda r: f"{r['refresh']['write']:.2f} s",
        ),
        (
            "refresh +200: relate + score (under lock)",
            "<= 2 s",
            lambda r: f"{r['refresh']['relate_score']:.2f} s",
        ),
        ("refresh +200: whole store transaction", "", lambda r: f"{r['refresh']['total']:.2f} s"),
        ("`reader list --limit 20`", "", lambda r: f"{r['pipeline']['list_limit']:.2f} s"),
        ("`reader list @1d`", "", lambda r: f"{r['pipeline']['list_day']:.2f} s"),
        ("`reader digest` (the last day)", "", lambda r: f"{r['pipeline']['digest']:.2f} s"),
        ("`reader list` (every article)", "", lambda r: f"{r['pipeline']['list_all']:.2f} s"),
    ]
    print()
    row("figure", "target", [f"{s:,}" for s in sizes])
    for label, target, shown in figures:
        row(label, target, [shown(results[s]) for s in sizes])
    print()
    print(f"enrichment (language, summary, type, topics): {rate:.0f} articles/s (target >= 100)")
    print(f"story vectors: {vectors:.0f} articles/s")
    print(f"stores in {work}" if args.keep else "")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
