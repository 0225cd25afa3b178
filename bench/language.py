"""Language detection on the shared corpus: accuracy per language, speed, memory.

    .venv/bin/python bench/language.py [--show] [--sweep] [--lingua]

Runs ``reader.language.detect_language`` over every entry of ../shared/feeds/real/ whose
feed has a known language (MANIFEST.tsv; ``other`` is skipped), with the entry's declared
language as the prior, as enrichment calls it. Accuracy is given twice:

- *judged*: against each item's own language, i.e. the manifest's per-feed language
  corrected where reading the item shows otherwise (tests/data/language/corrections.tsv);
- *manifest*: against MANIFEST.tsv as it is.

Memory is the process's RSS before and after loading the model (measured before the
corpus is parsed, so it is the detector's own). Speed is the best of three passes over
the corpus, one process, one core.

--show      list the items the detector gets wrong (judged)
--sweep     accuracy and time for other sample sizes and language sets
--lingua    the same pipeline with lingua (low and high accuracy mode) as the detector,
            the numbers behind choosing py3langid (needs lingua-language-detector)
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import reader.language as language  # noqa: E402
from tests.test_language import CorpusItem, corpus_items, feed_priors  # noqa: E402

# fmt: off
CORPUS_LANGUAGES = frozenset({
    "af", "ca", "cs", "da", "de", "el", "en", "es", "fr", "he", "hi", "it", "ja", "ko",
    "nl", "no", "pl", "pt", "ru", "sk", "sv", "th", "ur", "zh",
})
# fmt: on


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(
    items: tuple[CorpusItem, ...],
    *,
    languages: frozenset[str] | None = None,
    use_prior: bool = True,
    passes: int = 1,
    fallback: dict[str, str] | None = None,
) -> tuple[list[str], float, float]:
    """Detected languages, best wall seconds and CPU seconds per article."""
    best_wall = best_cpu = float("inf")
    detected: list[str] = []
    for _ in range(passes):
        wall, cpu = time.perf_counter(), time.process_time()
        detected = [
            language.detect_language(
                item.text,
                title=item.title,
                prior=(item.prior or (fallback or {}).get(item.file)) if use_prior else None,
                languages=languages,
            )
            for item in items
        ]
        best_wall = min(best_wall, (time.perf_counter() - wall) / len(items))
        best_cpu = min(best_cpu, (time.process_time() - cpu) / len(items))
    return detected, best_wall, best_cpu


def accuracy(items: tuple[CorpusItem, ...], detected: list[str]) -> float:
    return sum(d == item.expected for item, d in zip(items, detected, strict=True)) / len(items)


def table(items: tuple[CorpusItem, ...], detected: list[str]) -> None:
    total, right, manifest_total, manifest_right = Counter(), Counter(), Counter(), Counter()
    for item, found in zip(items, detected, strict=True):
        total[item.expected] += 1
        right[item.expected] += found == item.expected
        manifest_total[item.manifest] += 1
        manifest_right[item.manifest] += found == item.manifest
    print(f"{'lang':<5} {'items':>6} {'judged':>8} {'acc':>7}   {'manifest':>9} {'acc':>7}")
    codes = sorted(set(total) | set(manifest_total), key=lambda c: (-total[c], c))
    for code in codes:
        judged = f"{right[code]}/{total[code]}" if total[code] else "-"
        judged_acc = f"{right[code] / total[code]:.3f}" if total[code] else "-"
        listed = f"{manifest_right[code]}/{manifest_total[code]}" if manifest_total[code] else "-"
        listed_acc = (
            f"{manifest_right[code] / manifest_total[code]:.3f}" if manifest_total[code] else "-"
        )
        print(
            f"{code:<5} {total[code]:>6} {judged:>8} {judged_acc:>7}   {listed:>9} {listed_acc:>7}"
        )
    n = len(items)
    judged_all, listed_all = sum(right.values()), sum(manifest_right.values())
    print(
        f"{'all':<5} {n:>6} {judged_all:>8} {judged_all / n:>7.4f}   "
        f"{listed_all:>9} {listed_all / n:>7.4f}"
    )


def wrong_prior_wins(items: tuple[CorpusItem, ...], detected: list[str]) -> tuple[int, int]:
    """Items detected right, given a wrong prior (de for English, en otherwise)."""
    wins = tried = 0
    for item, found in zip(items, detected, strict=True):
        if found != item.expected:
            continue
        wrong = "de" if item.expected == "en" else "en"
        tried += 1
        wins += language.detect_language(item.text, title=item.title, prior=wrong) == wrong
    return wins, tried


def show(items: tuple[CorpusItem, ...], detected: list[str]) -> None:
    print("\nwrong (judged):")
    for item, found in zip(items, detected, strict=True):
        if found != item.expected:
            sample = language._sample(item.title, item.text)[:90]
            print(
                f"  {item.file[:44]:<44} want {item.expected} prior {item.prior or '-':<2} "
                f"got {found or '-':<3} {sample!r}"
            )


def sweep(items: tuple[CorpusItem, ...]) -> None:
    print("\nsample size (characters of text after the title):")
    default = language.SAMPLE_CHARS
    for size in (0, 100, 200, 300, 500, 1000):
        language.SAMPLE_CHARS = size
        found, wall, _ = run(items, passes=2)
        print(f"  {size:>5}  judged {accuracy(items, found):.4f}  {wall * 1000:.3f} ms/article")
    language.SAMPLE_CHARS = default

    print("\nlanguage set:")
    sets = {
        f"default ({len(language.DEFAULT_LANGUAGES)})": None,
        f"corpus only ({len(CORPUS_LANGUAGES)})": CORPUS_LANGUAGES,
        f"all the model knows ({len(language.supported_languages())})": (
            language.supported_languages()
        ),
    }
    for name, languages in sets.items():
        found, wall, _ = run(items, languages=languages, passes=2)
        print(f"  {name:<26} judged {accuracy(items, found):.4f}  {wall * 1000:.3f} ms/article")


def compare_lingua(items: tuple[CorpusItem, ...]) -> None:
    """Swap lingua's confidences in for py3langid's, everything else unchanged."""
    try:
        from lingua import LanguageDetectorBuilder
    except ImportError:
        print("\nlingua is not installed: no comparison")
        return
    print("\nlingua in the same pipeline (all 75 languages, restricted like py3langid):")
    original, original_ranker = language._probabilities, language._ranker
    for mode in ("low", "high"):
        before = rss_mb()
        started = time.perf_counter()
        builder = LanguageDetectorBuilder.from_all_languages()
        if mode == "low":
            builder = builder.with_low_accuracy_mode()
        detector = builder.build()

        def probabilities(sample: str, detector=detector) -> dict[str, float]:
            found: dict[str, float] = {}
            for value in detector.compute_language_confidence_values(sample):
                code = language.normalise_code(value.language.iso_code_639_1.name)
                if code:
                    found[code] = found.get(code, 0.0) + value.value
            if not any(found.values()):
                found["zxx"] = 1.0
            return found

        # _decide asks the py3langid ranker first: without one it asks _probabilities
        language._probabilities, language._ranker = probabilities, lambda: None
        try:
            run(items)  # lingua loads each language's models when a text first needs them
            first = time.perf_counter() - started
            found, wall, _ = run(items)
        finally:
            language._probabilities, language._ranker = original, original_ranker
        print(
            f"  {mode:<5} judged {accuracy(items, found):.4f}  {wall * 1000:.3f} ms/article "
            f"(first pass with loading {first:.1f} s)  RSS +{rss_mb() - before:.0f} MB"
        )
        del detector, probabilities


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show", action="store_true")
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--lingua", action="store_true")
    args = parser.parse_args()

    before = rss_mb()
    started = time.perf_counter()
    language.warm_up()
    load = time.perf_counter() - started
    after = rss_mb()
    print(f"model load {load:.2f} s, RSS {before:.0f} -> {after:.0f} MB (+{after - before:.0f})")

    started = time.perf_counter()
    items = corpus_items()
    print(f"corpus: {len(items)} items parsed in {time.perf_counter() - started:.1f} s\n")

    detected, wall, cpu = run(items, passes=3)
    table(items, detected)
    print(
        f"\nspeed: {wall * 1000:.3f} ms/article wall ({1 / wall:,.0f} articles/s), "
        f"{cpu * 1000:.3f} ms CPU; RSS now {rss_mb():.0f} MB"
    )
    started = time.perf_counter()
    priors = feed_priors(items)
    per_feed = (time.perf_counter() - started) / max(len(priors), 1)
    with_feed, _, _ = run(items, fallback=priors)
    print(
        f"with a feed prior for the {len(priors)} feeds that declare none: judged "
        f"{accuracy(items, with_feed):.4f} ({per_feed * 1000:.2f} ms per feed)"
    )
    no_prior, _, _ = run(items, use_prior=False)
    print(f"without the prior: judged {accuracy(items, no_prior):.4f}")
    wins, tried = wrong_prior_wins(items, detected)
    print(f"a wrong prior (de for English, else en) wins on {wins}/{tried} ({wins / tried:.2%})")

    if args.show:
        show(items, detected)
    if args.sweep:
        sweep(items)
    if args.lingua:
        compare_lingua(items)


if __name__ == "__main__":
    main()
