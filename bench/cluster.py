"""Benchmark of reader/cluster.py: embedding speed, relate time, pair precision/recall.

Run: ``.venv/bin/python bench/cluster.py`` (about a minute; loads the model once).

Prints
- embedding speed (texts/s) for title only, :func:`story_text` (title + lead capped at the
  token budget) and the uncapped title + lead, and the whole enrichment path
  (``embed_items`` + ``find_links``) in articles/s;
- the time to relate 200 new articles to synthetic stores of 10k and 100k items
  (a year of news, and a dense month), with story-like groups of near neighbours;
- precision / recall / F1 on pairs for tests/data/stories/dev.toml (tuning set) and
  heldout.toml (never tuned on), for links and for the story rows of ``stories()``;
- an ablation: the same on both sets with each penalty switched off.
"""

from __future__ import annotations

import sys
import time
import tomllib
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reader import cluster  # noqa: E402
from reader.cluster import StoryItem, encode_vector, find_links, get_embedder  # noqa: E402

SETS = ROOT / "tests" / "data" / "stories"


def load_set(name: str) -> tuple[list[StoryItem], dict[str, str]]:
    """Items of a story set and the story label of each id."""
    with open(SETS / f"{name}.toml", "rb") as handle:
        rows = tomllib.load(handle)["article"]
    items = [
        StoryItem(
            id=row["id"],
            title=row["title"],
            lead=row.get("lead", ""),
            lang=row["lang"],
            when=row["published"].timestamp(),
            source=row["source"],
        )
        for row in rows
    ]
    return items, {row["id"]: row["story"] for row in rows}


def gold_pairs(labels: dict[str, str]) -> set[tuple[str, str]]:
    return {
        cluster.pair_key(a, b) for a, b in combinations(sorted(labels), 2) if labels[a] == labels[b]
    }


def prf(predicted: set, gold: set) -> tuple[float, float, float]:
    tp = len(predicted & gold)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(gold) if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate(items: list[StoryItem], labels: dict[str, str]) -> dict[str, tuple]:
    """P/R/F1 of links and of story rows, all items related at once."""
    links = find_links(items, [])
    linked = {cluster.pair_key(link.a, link.b) for link in links}
    related = cluster.merge_related({}, links)
    scores = {cluster.pair_key(link.a, link.b): link.score for link in links}
    rows = cluster.stories({item.id: related.get(item.id, ()) for item in items}, scores)
    grouped = {cluster.pair_key(a, b) for row in rows for a, b in combinations(row, 2)}
    gold = gold_pairs(labels)
    return {"links": prf(linked, gold), "stories": prf(grouped, gold)}


def fmt(values: tuple[float, float, float]) -> str:
    return "P {:.3f}  R {:.3f}  F1 {:.3f}".format(*values)


def bench_embedding(items: list[StoryItem]) -> None:
    embedder = get_embedder()
    embedder.embed(["warm up"])
    texts = {
        "title only": [item.title for item in items],
        "story_text (title + lead, capped)": [
            cluster.story_text(item.title, item.lead) for item in items
        ],
        "title + whole lead": [f"{item.title}. {item.lead}" for item in items],
        # real summaries run to three sentences: what the cap saves
        "story_text, 3x longer leads": [
            cluster.story_text(item.title, " ".join([item.lead] * 3)) for item in items
        ],
        "title + 3x longer leads, uncapped": [
            f"{item.title}. {' '.join([item.lead] * 3)}" for item in items
        ],
    }
    repeat = max(1, 400 // len(items))
    print("embedding speed (best of 3, batches of ~400 texts, 1 BLAS thread):")
    for name, batch in texts.items():
        batch = batch * repeat
        best = min(_timed(embedder.embed, batch) for _ in range(3))
        print(f"  {name:36s} {len(batch) / best:7.0f} texts/s")
    batch = [
        StoryItem(f"{n}:{item.id}", item.title, item.lead, item.lang, item.when, item.source)
        for n in range(repeat)
        for item in items
    ]

    def enrich() -> None:
        embedded = embedder.embed_items(batch)
        find_links(embedded[: len(embedded) // 2], embedded[len(embedded) // 2 :])

    best = min(_timed(enrich) for _ in range(3))
    print(f"  {'enrichment: embed_items + find_links':36s} {len(batch) / best:7.0f} articles/s")


def _timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def synthetic_store(size: int, days: float, rng: np.random.Generator) -> list[StoryItem]:
    """``size`` items over ``days``: a third in stories of 2-6 near neighbours, the rest
    alone; vectors are random unit vectors (story members: a shared centroid + noise,
    pairwise cosine ~0.6-0.8, so real links are found and merged)."""
    now = 1_790_000_000.0
    items: list[StoryItem] = []
    langs = ["en", "ja", "fr", "de", "it", "zh", "es"]
    n = 0
    while n < size:
        centroid = rng.standard_normal(cluster.DIMS)
        when = now - rng.uniform(0, days) * 86400
        group = int(rng.integers(2, 7)) if rng.random() < 0.1 else 1
        for _ in range(min(group, size - n)):
            vector = centroid + (rng.standard_normal(cluster.DIMS) * 0.7 if group > 1 else 0)
            vector /= np.linalg.norm(vector)
            items.append(
                StoryItem(
                    id=f"s{n}",
                    title="",
                    lead="",
                    lang=langs[n % len(langs)],
                    when=when + rng.uniform(0, 6) * 3600,
                    source=f"feed{n % 300}",
                    vector=encode_vector(vector),
                )
            )
            n += 1
    return items


def bench_relate() -> None:
    rng = np.random.default_rng(7)
    print("relate 200 new articles to a store (window 4 days; best of 3):")
    for size, days in ((10_000, 365.0), (100_000, 365.0), (100_000, 30.0)):
        store = synthetic_store(size, days, rng)
        newest = max(item.when for item in store)
        # the new items: a quarter follow a story already stored in the window, a
        # quarter form new stories among themselves, the rest stand alone
        recent = [item for item in store if item.when >= newest - 3 * 86400]
        new = []
        centroid = rng.standard_normal(cluster.DIMS)
        for k in range(200):
            if k % 4 == 0 and recent:
                base = recent[int(rng.integers(len(recent)))].vector or b""
                vector = np.frombuffer(base, dtype="<f2").astype(np.float64)
                vector = vector + rng.standard_normal(cluster.DIMS) * 0.03
            elif k % 4 == 1:
                if k % 12 == 1:
                    centroid = rng.standard_normal(cluster.DIMS)
                vector = centroid + rng.standard_normal(cluster.DIMS) * 0.7
            else:
                vector = rng.standard_normal(cluster.DIMS)
            new.append(
                StoryItem(
                    f"n{k}",
                    "",
                    "",
                    "en",
                    newest - rng.uniform(0, 1) * 86400,
                    "new",
                    encode_vector(vector / np.linalg.norm(vector)),
                )
            )
        related = {item.id: () for item in store}
        in_window = sum(1 for item in store if item.when >= newest - 5 * 86400)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            links = find_links(new, store)
            result = cluster.relate(new, store, related)
            times.append(time.perf_counter() - start)
        start = time.perf_counter()
        find_links(new, store)
        links_time = time.perf_counter() - start
        print(
            f"  store {size:>7,} over {days:>3.0f} days (~{in_window:,} in window): "
            f"find_links {links_time:.3f} s, find_links + relate {min(times):.3f} s; "
            f"{len(links)} links, {len(result)} lists updated"
        )


def bench_stories() -> None:
    """stories() over a whole store's related lists: 100k ids, a third in stories."""
    rng = np.random.default_rng(11)
    related: dict[str, tuple[str, ...]] = {}
    n = 0
    while n < 100_000:
        size = int(rng.integers(2, 8)) if rng.random() < 0.1 else 1
        group = [f"a{n + k}" for k in range(size)]
        for member in group:
            related[member] = tuple(x for x in group if x != member)
        n += size
    start = time.perf_counter()
    rows = cluster.stories(related)
    elapsed = time.perf_counter() - start
    print(f"stories() on {len(related):,} ids: {elapsed:.2f} s, {len(rows):,} rows")


def bench_quality() -> None:
    sets = {name: load_set(name) for name in ("dev", "heldout")}
    embedder = get_embedder()
    for name, (items, labels) in sets.items():
        sets[name] = (embedder.embed_items(items), labels)
    print(
        f"pairs (threshold {cluster.THRESHOLD}, window {cluster.WINDOW_DAYS} days, "
        f"token budget {cluster.TEXT_TOKEN_BUDGET}):"
    )
    for name, (items, labels) in sets.items():
        result = evaluate(items, labels)
        n_pos = len(gold_pairs(labels))
        langs = len({item.lang for item in items})
        print(f"  {name:8s} {len(items)} articles, {langs} languages, {n_pos} same-story pairs")
        print(f"    links         {fmt(result['links'])}")
        print(f"    story rows    {fmt(result['stories'])}")
    print("ablation (links F1 dev / heldout):")
    knobs = {
        "as built": {},
        "no same-language margin": {"SAME_LANGUAGE_MARGIN": 0.0},
        "no same-source margin": {"SAME_SOURCE_MARGIN": 0.0},
        "no time decay": {"DECAY_PER_DAY": 0.0},
        "cosine only": {
            "SAME_LANGUAGE_MARGIN": 0.0,
            "SAME_SOURCE_MARGIN": 0.0,
            "DECAY_PER_DAY": 0.0,
        },
    }
    title_only = {
        name: (
            get_embedder().embed_items([replace(i, lead="", vector=None) for i in items]),
            labels,
        )
        for name, (items, labels) in sets.items()
    }
    cells = []
    for items, labels in title_only.values():
        p, r, f = evaluate(items, labels)["links"]
        cells.append(f"P {p:.3f} R {r:.3f} F1 {f:.3f}")
    print(f"  {'title only (no lead)':26s} " + "  |  ".join(cells))
    for label, changes in knobs.items():
        saved = {key: getattr(cluster, key) for key in changes}
        try:
            for key, value in changes.items():
                setattr(cluster, key, value)
            cells = []
            for items, labels in sets.values():
                p, r, f = evaluate(items, labels)["links"]
                cells.append(f"P {p:.3f} R {r:.3f} F1 {f:.3f}")
            print(f"  {label:26s} " + "  |  ".join(cells))
        finally:
            for key, value in saved.items():
                setattr(cluster, key, value)
    print("threshold sweep (links P/R, dev | heldout):")
    for threshold in (0.45, 0.49, 0.51, 0.53, 0.55, 0.57, 0.61):
        cells = []
        for items, labels in sets.values():
            linked = {
                cluster.pair_key(link.a, link.b)
                for link in find_links(items, [], threshold=threshold)
            }
            p, r, f = prf(linked, gold_pairs(labels))
            cells.append(f"P {p:.3f} R {r:.3f} F1 {f:.3f}")
        print(f"  {threshold:.2f}  " + "  |  ".join(cells))


def main() -> None:
    start = time.perf_counter()
    get_embedder().embed(["load"])
    print(f"model load: {time.perf_counter() - start:.2f} s")
    items = load_set("dev")[0] + load_set("heldout")[0]
    bench_embedding(items)
    bench_relate()
    bench_stories()
    bench_quality()


if __name__ == "__main__":
    main()
