"""Time from `reader` to the first painted article list, and the app's memory.

    .venv/bin/python bench/app_start.py [--sizes 10000,100000] [--keep DIR] [--db STORE]

Each run starts `python -m reader` on a store in a pseudo-terminal of 120x40 and times
what a user waits for: from the start (the interpreter's included) to the first output
that shows a list row (its importance cells). A second process runs the app headless to
time the read of the whole store (in a worker) and take the peak RSS. Three runs per
store, best and median printed. Stores are generated as in
``bench/scale.py`` (the real corpus reused over 500 feeds and a year), or ``--db``
measures an existing store (yours, say).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import app_start, corpus_articles, generate


def measure(path: Path, runs: int) -> None:
    results = [app_start(path) for _ in range(runs)]
    times = sorted(r["first_list"] for r in results)
    loaded = statistics.median(r["all_loaded"] for r in results)
    rss = max(r["rss_mb"] for r in results)
    print(
        f"{path.name:>16}  {results[0]['articles']:>8,} articles  first list (of "
        f"{results[0]['rows']:,}) best {times[0]:.2f} s, median {statistics.median(times):.2f} s"
        f" (target <= 1 s); all read {loaded:.2f} s; RSS {rss:.0f} MB (target <= 400 MB)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--keep", help="keep (and reuse) the generated stores in this directory")
    parser.add_argument("--db", help="measure this existing store instead")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.db:
        measure(Path(args.db).expanduser(), args.runs)
        return
    base = corpus_articles()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="halflife-app-"))
    for size in (int(s) for s in args.sizes.split(",")):
        path = work / f"store-{size}"
        if not path.exists():
            started = time.perf_counter()
            generate(path, size, base)
            print(f"generated {size:,} articles in {time.perf_counter() - started:.1f} s")
        measure(path, args.runs)


if __name__ == "__main__":
    main()
