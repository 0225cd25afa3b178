"""Benchmark of the text half of enrichment over the whole shared corpus.

Run: ``.venv/bin/python bench/enrich_text.py`` (about half a minute).

Reads every feed of ../shared/feeds/real with feedparser the way reader/parse.py does
(sanitising off), keeps each entry's HTML, then times, per entry, in one process:

- ``html_to_text``       HTML -> paragraph text
- ``strip_boilerplate``  on that text
- ``split_sentences``    on the stripped text, in the corpus language
- ``summarise``          title + stripped text -> up to three lines

and prints entries/s, mean and median ms per entry, p99 and the slowest entry for each,
then the total of the four as articles/s. Parsing the XML is not timed here (that is
parse.py's, measured by bench/refresh.py).
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402

from reader.boilerplate import strip_boilerplate  # noqa: E402
from reader.parse import prepare  # noqa: E402
from reader.summarise import split_sentences, summarise  # noqa: E402
from reader.text import html_to_inline, html_to_text  # noqa: E402

CORPUS = ROOT.parent / "shared" / "feeds" / "real"


def load() -> list[tuple[str, str, str, str]]:
    """(file, language, title, html) for every entry of the corpus."""
    languages: dict[str, str] = {}
    header = None
    for line in (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        cells = line.split("\t")
        if header is None:
            header = cells
            continue
        languages[cells[0]] = cells[header.index("language")]
    entries = []
    for name in sorted(languages):
        parsed = feedparser.parse(
            io.BytesIO(prepare((CORPUS / name).read_bytes())),
            sanitize_html=False,
            resolve_relative_uris=False,
        )
        for entry in parsed.entries:
            html = max(
                (c.get("value") or "" for c in entry.get("content") or ()), key=len, default=""
            )
            html = html or entry.get("summary") or ""
            title = html_to_inline(entry.get("title") or "", max_length=400)
            entries.append((name, languages[name], title, html))
    return entries


def timed(label: str, items: list, step: Callable) -> tuple[list, float]:
    """Run ``step`` on every item; print its speed; return the results and the total."""
    for item in items[:50]:
        step(item)  # warm: imports, sentencex's per-language setup
    results, times = [], []
    started = time.perf_counter()
    for item in items:
        t = time.perf_counter()
        results.append(step(item))
        times.append(time.perf_counter() - t)
    total = time.perf_counter() - started
    ordered = sorted(times)
    print(
        f"{label:18} {len(items) / total:9,.0f} entries/s   mean {total / len(items) * 1e3:6.3f} ms"
        f"   median {statistics.median(times) * 1e3:6.3f} ms"
        f"   p99 {ordered[int(0.99 * len(ordered))] * 1e3:7.2f} ms"
        f"   max {ordered[-1] * 1e3:7.1f} ms"
    )
    return results, total


def main() -> None:
    started = time.perf_counter()
    entries = load()
    html_chars = sum(len(html) for *_, html in entries)
    print(
        f"corpus: {len(entries):,} entries, {html_chars / 1e6:.1f} M characters of HTML "
        f"(read in {time.perf_counter() - started:.1f} s)\n"
    )
    texts, t1 = timed("html_to_text", entries, lambda e: html_to_text(e[3]))
    stripped, t2 = timed("strip_boilerplate", texts, strip_boilerplate)
    rows = [(e[1], e[2], text) for e, text in zip(entries, stripped, strict=True)]
    timed("split_sentences", rows, lambda r: split_sentences(r[2], r[0]))
    summaries, t4 = timed("summarise", rows, lambda r: summarise(r[1], r[2], r[0]))
    total = t1 + t2 + t4  # summarise splits sentences itself
    print(
        f"\nhtml_to_text + strip_boilerplate + summarise: {len(entries) / total:,.0f} articles/s "
        f"({total / len(entries) * 1e3:.2f} ms per article, one core)"
    )
    lines = [len(s) for s in summaries]
    print(
        f"summaries: {sum(1 for n in lines if n)} of {len(lines)} entries have one "
        f"({sum(1 for n in lines if n == 3)} with three lines)"
    )


if __name__ == "__main__":
    main()
