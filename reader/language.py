"""The language an article is written in (ISO 639-1), detected from its own text.

The card's ``lang`` is the language of the article, not of the feed: a French item in an
English feed is French, and a feed that declares ``kn`` but writes English is English.
The declared language (entry or feed) and the feeds.toml ``lang`` hint are a *prior*:
they decide when the text is too short to tell and tip the balance when the detector
hesitates between close languages, never against clear evidence.

How (the numbers are measured by ``bench/language.py`` on the shared corpus: 185 real
feeds, 4,542 items in 24 languages, scored against each item's own language):

1. The sample is the title plus the first :data:`SAMPLE_CHARS` characters of the text,
   URLs removed. More text does not help (a lead paragraph is in the article's
   language) and the detector's time grows with length.
2. Double-encoded UTF-8 (``ÐŸÑ€Ð¸Ð²ÐµÑ‚`` for ``Привет``) is undone first: such feeds
   exist in the wild, and they are still in their language.
3. A script that one language owns decides alone: kana -> ja, Hangul -> ko, Thai,
   Hebrew, Greek... and Han without kana -> zh (or the prior's ja: a headline in kanji
   only). Exact, instant, and right even when the configured languages do not list it.
4. Everything else goes to py3langid (a naive Bayes model over byte n-grams; the model
   ships inside its 4.5 MB wheel, nothing is downloaded). In this same pipeline it beat
   lingua: 99.45% right against 98.5% for lingua's low accuracy mode, at 0.3-0.5 ms per
   article against 1-1.8 ms, for about the same memory (~90 MB); lingua's high accuracy
   mode reaches 99.3% but needs ~1 GB of RSS. On texts under 100 characters py3langid
   makes half lingua's (low accuracy) errors.
5. The candidates are the configured languages plus the prior: the model's
   probabilities are renormalised over them, which is exactly the model restricted to
   that set. A text that is certainly in none of them (the candidates share under
   :data:`OUT_OF_SET` of the probability) gets the language it is in: restricting is
   there to avoid confusing *similar* languages, not to mislabel a Russian article.
6. The prior is a weight on its probability: it wins when its probability times
   :data:`PRIOR_WEIGHT` reaches the best one's, and on a text of fewer than
   :data:`SHORT_LETTERS` letters or without linguistic content (``IMG_0663.JPG``)
   unless the text is in another script.
7. A feed that declares no language still has one: :func:`detect_feed_language` reads
   the start of all its entries at once and gives a prior for each (on the corpus, 99.45%
   -> 99.67% when enrichment passes it for feeds without a declared language).

The model is loaded lazily on first use, once per process, and shared by every language
set: ~0.55 s of CPU to unpack py3langid's LZMA file (~0.75 s the first time on a
machine, which also writes the cache), then ~0.04 s, its arrays mapped from
:mod:`reader.modelcache`'s file (~135 MB of RSS with numpy, most of it that file's
pages, which processes share). :func:`warm_up` loads it up front: call it in the parent
before forking workers (the refresh's forkserver does, see :mod:`reader.preload`) or
once in each worker.
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from py3langid.langid import LanguageIdentifier

#: Characters of the article's text read after the title.
SAMPLE_CHARS = 300
#: For a feed's language: characters of each entry's text, and of the whole sample.
FEED_TEXT_CHARS = 100
FEED_SAMPLE_CHARS = 1000
#: Fewer letters than this (title and text together) cannot outvote a prior.
SHORT_LETTERS = 20
#: The prior wins when its probability times this reaches the best language's ...
PRIOR_WEIGHT = 4.0
#: ... and this for short texts: always, unless the text is in a script the prior's
#: language does not use (its probability is then 1e-7 or less: "Привет мир" is not "en").
PRIOR_WEIGHT_SHORT = 1000.0
#: Below this share of the probability, the text is in none of the candidate languages.
OUT_OF_SET = 0.01

#: Languages considered when the caller configures none: every language of the shared
#: corpus plus the others common in news feeds. Wider is not free: each language added
#: is one more that a short English or German title can be mistaken for (see
#: bench/language.py for the cost of all of them).
# fmt: off
DEFAULT_LANGUAGES = frozenset({
    "af", "ar", "bg", "bn", "ca", "cs", "da", "de", "el", "en", "es", "et", "fa", "fi",
    "fr", "he", "hi", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "nl", "no",
    "pl", "pt", "ro", "ru", "sk", "sl", "sr", "sv", "th", "tr", "uk", "ur", "vi", "zh",
})
# fmt: on

# Older or more specific codes that feeds and users write, to the code returned here.
# Norwegian is one language for a reader: the model's Nynorsk is folded into "no".
_ALIASES = {"nb": "no", "nn": "no", "iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}
_NO_LANGUAGE = "zxx"  # the model's label for text without linguistic content

# A script that, among the languages the model knows, one language writes.
_UNIQUE_SCRIPTS = (
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("he", re.compile(r"[\u0590-\u05ff\ufb1d-\ufb4f]")),
    ("el", re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")),
    ("ka", re.compile(r"[\u10a0-\u10ff]")),
    ("hy", re.compile(r"[\u0530-\u058f]")),
    ("pa", re.compile(r"[\u0a00-\u0a7f]")),
    ("gu", re.compile(r"[\u0a80-\u0aff]")),
    ("or", re.compile(r"[\u0b00-\u0b7f]")),
    ("ta", re.compile(r"[\u0b80-\u0bff]")),
    ("te", re.compile(r"[\u0c00-\u0c7f]")),
    ("kn", re.compile(r"[\u0c80-\u0cff]")),
    ("ml", re.compile(r"[\u0d00-\u0d7f]")),
    ("si", re.compile(r"[\u0d80-\u0dff]")),
    ("lo", re.compile(r"[\u0e80-\u0eff]")),
    ("my", re.compile(r"[\u1000-\u109f]")),
    ("km", re.compile(r"[\u1780-\u17ff]")),
)
# Kana without U+30FB (the katakana middle dot, which Chinese text borrows).
_KANA = re.compile(r"[\u3040-\u309f\u30a0-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
#: Any character of the scripts above: without one, no script decides (one pass, not 19).
_SCRIPT_BOUND = re.compile(
    "|".join(pattern.pattern for pattern in (_KANA, _HANGUL, _HAN))
    + "|"
    + "|".join(pattern.pattern for _code, pattern in _UNIQUE_SCRIPTS)
)
#: One CJK character weighs as much as this many letters of an alphabet (a Chinese word
#: is one or two characters, an English one five letters and a space).
CJK_WEIGHT = 3
_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+", re.IGNORECASE)


def _without_urls(text: str) -> str:
    """Links and e-mail addresses out of a sample (their letters are no language).

    Most samples have neither, and the e-mail alternative is slow to rule out (each
    word is read to its end and back looking for "@"): texts without the literal parts
    any match needs are returned as they are: 0.072 -> 0.010 s over the corpus's samples.
    """
    if "@" not in text and "://" not in text and "www." not in text.lower():
        return text
    return _URL.sub(" ", text)


# --- double-encoded UTF-8 -------------------------------------------------------------
# UTF-8 bytes read as windows-1252 (or Latin-1): each multi-byte sequence became a lead
# character in U+00C2-U+00F4 followed by "continuation" characters, those that
# windows-1252/Latin-1 give for bytes 0x80-0xBF. The bytes windows-1252 leaves undefined
# arrive as C1 controls, which the parser strips: those sequences stay broken, and their
# orphaned lead characters are dropped (the word loses a letter, the language survives).


def _byte_map() -> dict[str, int]:
    table: dict[str, int] = {}
    for byte in range(0x80, 0x100):
        table[chr(byte)] = byte  # the Latin-1 view, and C1 controls cp1252 leaves alone
        with contextlib.suppress(UnicodeDecodeError):  # 0x81 0x8d 0x8f 0x90 0x9d
            table[bytes([byte]).decode("cp1252")] = byte
    return table


_TO_BYTE = _byte_map()
_CONT = "".join(sorted(re.escape(ch) for ch, b in _TO_BYTE.items() if 0x80 <= b <= 0xBF))
_MOJIBAKE = re.compile(
    f"[\u00c2-\u00df][{_CONT}]|[\u00e0-\u00ef][{_CONT}]{{2}}|[\u00f0-\u00f4][{_CONT}]{{3}}"
)
# a lead character whose continuation was lost: next to a repaired (non-Latin) character,
# or alone between spaces
_ORPHAN_LEAD = re.compile(
    "(?<=[^\x00-\u024f\\s])[\u00c2-\u00f4]|[\u00c2-\u00f4](?=[^\x00-\u024f])"
    "|(?<=\\s)[\u00c2-\u00f4](?=\\s)"
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _undo_sequence(match: re.Match[str]) -> str:
    try:
        return bytes(_TO_BYTE[ch] for ch in match.group()).decode("utf-8")
    except UnicodeDecodeError:
        return match.group()


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 that was decoded as windows-1252; other text comes back unchanged.

    Only when the pattern dominates the non-ASCII characters: genuine text has the odd
    pair that looks like a sequence (German ``ß“``, French ``É»``), never many.
    """
    if text.isascii():
        return text
    found = _MOJIBAKE.findall(text)
    if len(found) < 2:
        return text
    covered = sum(len(seq) for seq in found)
    if covered < 0.5 * len(_NON_ASCII.findall(text)):
        return text
    repaired = _MOJIBAKE.sub(_undo_sequence, text)
    return _ORPHAN_LEAD.sub("", repaired)


# --- codes, the model -----------------------------------------------------------------


def normalise_code(code: str | None) -> str | None:
    """``"en-US"``, ``"NB"``, ``"iw"`` -> ``"en"``, ``"no"``, ``"he"``; junk -> None."""
    if not code:
        return None
    code = code.strip().lower()[:2]
    if len(code) != 2 or not code.isalpha():
        return None
    return _ALIASES.get(code, code)


_lock = threading.Lock()
_identifier: LanguageIdentifier | None = None
#: The automaton's depth, kept with the model's arrays (see _model_data): None when the
#: library's own loader built the identifier.
_model_depth: int | None = None


def _model() -> LanguageIdentifier:
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                _identifier = _load_identifier()
    return _identifier


def _load_identifier() -> LanguageIdentifier:
    """py3langid's model, from our cache of its arrays or unpacked in memory.

    py3langid 0.4 streams its LZMA model through a temporary file: with /tmp full (or a
    file size limit) every article's language detection would fail. The npz inside is
    ~68 MB and ends up in memory anyway, so we unpack it there; should a future model
    layout differ, the library's own loader is used.
    """
    import numpy as np
    from py3langid.langid import LanguageIdentifier

    try:
        from py3langid.modelio import _to_array

        global _model_depth
        data, derived = _model_data()
        identifier = LanguageIdentifier(
            np.asarray(data["ptc"]),
            np.asarray(data["pc"]),
            data["classes"].tolist(),
            # The 39 MB transition table is only indexed, one int at a time: a memoryview
            # of the (mapped) array does that as fast as the library's array('I') copy.
            memoryview(np.ascontiguousarray(data["nextmove"])),
            data["out_feat"].tolist(),
            norm_probs=True,
            tk_row=_to_array(data["nextmove_row"]),
        )
        _model_depth = derived.get("depth")
        return identifier
    except (ImportError, KeyError, TypeError, ValueError):
        from py3langid.langid import MODEL_FILE

        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


#: The arrays of py3langid's model file (npz inside LZMA) that the identifier is built of.
_MODEL_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")
#: Ours: bump it when what the cache holds for the model changes (see reader.modelcache).
#: 2: the automaton's depth is kept beside the arrays. 3: "ptc" is float32.
_CACHE_FORMAT = 3


def _model_data() -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """The model's arrays and what is derived from them once (the automaton's depth):
    mapped from the cache (~0.03 s), else unpacked from the LZMA file (~0.55 s, 0.44 s
    of it LZMA) and cached for the next process."""
    import io
    import lzma

    import numpy as np
    import py3langid
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    from reader import modelcache

    source = MODEL_DIR / MODEL_FILE
    try:
        version = getattr(py3langid, "__version__", "?")
        key = modelcache.make_key(f"py3langid {version}", _CACHE_FORMAT, files=[source])
    except OSError:
        key = None
    if key is not None:
        cached = modelcache.load("language", key)
        if cached is not None and set(cached[0]) == set(_MODEL_ARRAYS):
            return cached[0], {k: v for k, v in cached[1].items() if isinstance(v, int)}
    with lzma.open(source) as src, np.load(io.BytesIO(src.read()), allow_pickle=False) as data:
        arrays = {name: data[name] for name in _MODEL_ARRAYS}
    # The feature x language table ships as float16. Each detection multiplies a few
    # hundred of its rows by the feature counts (float32): numpy first converts the rows
    # it gathered to float32, half of the product's time. Converted once here (exactly:
    # every float16 is a float32), the products are the same to the bit, twice as fast,
    # for 28 MB more in the mapped cache file.
    arrays["ptc"] = arrays["ptc"].astype(np.float32)
    derived = {"depth": _automaton_depth(arrays["nextmove"], arrays["nextmove_row"])}
    if key is not None:
        modelcache.save("language", key, lambda: (arrays, derived))
    return arrays, derived


def _automaton_depth(nextmove: np.ndarray, rows: np.ndarray) -> int:
    """The length of the longest path from the root that first reaches a state: a
    breadth-first search over the transition table (``nextmove``, 256 entries a row),
    by rows (``rows``: each state's row; states share rows). ~0.07 s: computed once
    per model and kept in the cache (it was most of a worker's start after the load)."""
    import numpy as np

    rows = np.asarray(rows, dtype=np.intp)
    table = np.asarray(nextmove).reshape(-1, 256)
    seen = np.zeros(len(rows), dtype=bool)
    expanded = np.zeros(len(table), dtype=bool)
    seen[0] = True
    frontier = np.zeros(1, dtype=np.intp)
    depth = 0
    while True:
        new_rows = np.unique(rows[frontier])
        new_rows = new_rows[~expanded[new_rows]]
        expanded[new_rows] = True
        reached = np.zeros(len(rows), dtype=bool)
        reached[table[new_rows].ravel()] = True
        reached &= ~seen
        frontier = np.flatnonzero(reached)
        if not len(frontier):
            return depth
        seen |= reached
        depth += 1


def warm_up(languages: Iterable[str] | None = None) -> None:
    """Load the model now (a worker process calls this once, before its first article).

    ``languages`` is accepted for symmetry with :func:`detect_language`: one model
    serves every language set, so it changes nothing.
    """
    del languages
    _model().rank("warm up")
    _ranker()  # ~0.05 s more: the automaton's depth


@functools.cache
def _label_codes() -> dict[str, str | None]:
    """The model's labels as ISO 639-1 codes (labels of other lengths kept as they are),
    computed once: every article's detection maps ~100 of them."""
    return {label: normalise_code(label) if len(label) == 2 else label for label in _model().labels}


def supported_languages() -> frozenset[str]:
    """Every code :func:`detect_language` can return from text (not only from a prior)."""
    return frozenset(code for label, code in _label_codes().items() if len(label) == 2 and code)


def _probabilities(sample: str) -> dict[str, float]:
    """Language -> probability over everything the model knows, codes normalised."""
    ranker = _ranker()
    if ranker is not None:
        return ranker.probabilities(sample)
    found: dict[str, float] = {}
    codes = _label_codes()
    for label, probability in _model().rank(sample):
        code = codes[label]
        if code:
            found[code] = found.get(code, 0.0) + probability
    return found


class _Ranker:
    """What ``_model().rank()`` gives :func:`_probabilities`, the same numbers, cheaper.

    py3langid finds a text's byte n-grams by walking an Aho-Corasick automaton one byte
    at a time in Python. Between two articles the rest of the enrichment evicts the
    automaton's 40 MB table from the CPU caches, so nearly every step of that walk waits
    on memory, one after the other: it was ~1 s of the corpus' ~6 s. The state after a
    byte is the longest suffix of the text so far that is a node of the automaton's trie,
    so it only depends on the last :attr:`depth` bytes (the trie's depth): walking from
    the root over those bytes reaches it too. That walk is done for every position at
    once with numpy, :attr:`depth` vectorised steps whose memory reads overlap. The
    counts, the naive Bayes scores and their normalisation are py3langid's own code and
    arithmetic; the label -> code folding skips ``rank()``'s sorted list of pairs.
    ``tests/test_language.py`` checks the probabilities against ``rank()`` and that the
    shipped automaton does forget every byte older than its depth (from any state).

    Relies on attributes of py3langid 0.4's ``LanguageIdentifier`` (pinned below 0.5);
    :func:`_ranker` falls back to ``rank()`` when they are not there.
    """

    def __init__(self, identifier: LanguageIdentifier, depth: int | None = None) -> None:
        import numpy as np

        self._np = np
        self._identifier = identifier
        if not identifier._norm_probs:
            raise TypeError("the walk is only checked for normalised probabilities")
        self._next = np.asarray(identifier.tk_nextmove)  # a view, not a copy
        self._rowbase = np.asarray(identifier._rowbase, dtype=np.intp)
        self._output = np.asarray(identifier.tk_output, dtype=np.intp)
        # walking over more bytes than the trie is deep changes nothing: at least two
        if depth is None:
            depth = _automaton_depth(self._next, np.asarray(identifier.tk_row, dtype=np.intp))
        self.depth = max(2, depth)
        # the state after any two bytes from the root, by 256 * first + second
        after_one = self._next[self._rowbase[0] + np.arange(256)]
        self._pairs = self._next[(self._rowbase[after_one][:, None] + np.arange(256)).ravel()]
        # rank(): one score per label, a label's first column holding it; the labels
        # without a code are left out here (the order of the others does not change)
        first: dict[str, int] = {}
        for column, label in enumerate(identifier.nb_classes):
            first.setdefault(label, column)
        codes = _label_codes()
        kept = [(column, codes[label]) for label, column in first.items() if codes[label]]
        self._columns = np.array([column for column, _code in kept], dtype=np.intp)
        self._codes = np.array([code for _column, code in kept], dtype=object)
        # codes that several labels fold into (nn -> no): positions among the kept labels
        positions: dict[str, list[int]] = {}
        for position, (_column, code) in enumerate(kept):
            positions.setdefault(code, []).append(position)
        self._shared = [(code, found) for code, found in positions.items() if len(found) > 1]
        #: a code of one label -> its position among the kept labels
        self._index = {code: found[0] for code, found in positions.items() if len(found) == 1}

    def _visits(self, text: bytes) -> Counter[int] | None:
        """py3langid's ``visit_counts``: feature -> count, in order of first occurrence."""
        features = self._output[self._states(text)]
        found = features[features >= 0].tolist()
        return Counter(found) if found else None

    def _states(self, text: bytes) -> np.ndarray:
        """The automaton's state after each byte of ``text``."""
        np = self._np
        size, depth = len(text), self.depth
        states = np.empty(size, dtype=np.intp)
        # the first bytes have fewer than `depth` bytes behind them: walked one by one
        lead = min(size, depth - 1)
        nextmove, rowbase = self._identifier.tk_nextmove, self._identifier._rowbase
        state = 0
        for i in range(lead):
            state = nextmove[rowbase[state] + text[i]]
            states[i] = state
        if size > lead:
            # position lead + j walks from the root over bytes j .. j + depth - 1: the
            # first two at once through the table of pairs, then one step per byte
            count = size - lead
            data = np.frombuffer(text, dtype=np.uint8).astype(np.intp)
            walk = self._pairs[(data[:count] << 8) | data[1 : count + 1]]
            for k in range(2, depth):
                walk = self._next[self._rowbase[walk] + data[k : k + count]]
            states[lead:] = walk
        return states

    def _label_scores(self, sample: str) -> np.ndarray:
        """rank()'s probability of each kept label (float32), in label order."""
        np = self._np
        identifier = self._identifier
        # LanguageIdentifier._decide, with the walk above
        text = identifier._encode(sample)
        visits = self._visits(text)
        if visits:
            scores = identifier._sparse_score(visits, identifier.nb_ptc)
        else:
            scores = np.zeros(len(identifier.nb_classes), dtype=np.float32)
        scores *= 1.0 / math.sqrt(len(text) or 1)
        np.exp(scores - scores.max(), out=scores)
        scores /= scores.sum()
        for i, j in identifier._alias_pairs:
            scores[i] += scores[j]
            scores[j] = 0.0
        return scores[self._columns]

    def _shared_totals(self, values: list[float]) -> dict[str, float]:
        """The probability of each code that several labels fold into: their sum, added
        in rank() order (the order _rank_probabilities adds them in). ``values``: the
        labels' probabilities as Python floats (``tolist()`` of the label scores)."""
        totals: dict[str, float] = {}
        for code, positions in self._shared:
            total = 0.0
            for position in sorted(positions, key=lambda p: (-values[p], p)):
                total += values[position]
            totals[code] = total
        return totals

    def probabilities(self, sample: str) -> dict[str, float]:
        np = self._np
        by_label = self._label_scores(sample)
        # rank()'s order (best first, ties in label order), summed per code
        order = np.argsort(-by_label, kind="stable")
        found = dict(zip(self._codes[order].tolist(), by_label[order].tolist(), strict=True))
        # dict() kept a shared code's first position and last value: the sum replaces it
        found.update(self._shared_totals(by_label.tolist()))
        return found

    def ranked(self, sample: str) -> tuple[str, Callable[[str], float | None]] | None:
        """What :func:`_decide` reads of :meth:`probabilities`, without building it: the
        top code (``max()`` over the dict) and a code's probability (``dict.get``).

        None when the top is not one label's alone (a tie, or a code several labels
        fold into at or above the best label): the dict decides those, as before. A
        third of the detection's time was building the dict of ~140 codes.
        """
        values = self._label_scores(sample).tolist()
        top_value = max(values)
        totals = self._shared_totals(values) if self._shared else {}
        if values.count(top_value) > 1 or any(total >= top_value for total in totals.values()):
            return None
        index = self._index

        def probability(code: str) -> float | None:
            position = index.get(code)
            if position is not None:
                return values[position]
            return totals.get(code)

        return str(self._codes[values.index(top_value)]), probability


@functools.cache
def _ranker() -> _Ranker | None:
    """The fast path of :func:`_probabilities`, or None for a py3langid it does not know."""
    identifier = _model()
    try:
        return _Ranker(identifier, _model_depth)
    except (AttributeError, TypeError, ValueError):
        return None


# --- detection ------------------------------------------------------------------------


def _sample(title: str, text: str) -> str:
    sample = f"{title}\n{text[:SAMPLE_CHARS]}" if title else text[:SAMPLE_CHARS]
    return repair_mojibake(_without_urls(sample))


def _letters(sample: str) -> int:
    return sum(map(str.isalpha, sample))


def _by_script(sample: str, letters: int, prior: str | None) -> str | None:
    """The language a dominant single-language script gives away, else None."""
    if sample.isascii() or not _SCRIPT_BOUND.search(sample):
        return None
    han = len(_HAN.findall(sample))
    kana = len(_KANA.findall(sample))
    hangul = len(_HANGUL.findall(sample))
    cjk = han + kana + hangul
    if cjk and CJK_WEIGHT * cjk >= letters - cjk:
        if hangul >= kana and 4 * hangul >= cjk:
            return "ko"
        if kana >= 2 or (kana and 10 * kana >= cjk):
            return "ja"
        if prior in ("ja", "ko"):  # kanji-only headline; Hanja
            return prior
        return "zh"
    for code, pattern in _UNIQUE_SCRIPTS:
        if 2 * len(pattern.findall(sample)) > letters:
            return code
    return None


@functools.lru_cache(maxsize=64)
def _normalised_set(languages: frozenset[str] | None) -> frozenset[str]:
    codes = {
        normalise_code(code) for code in (DEFAULT_LANGUAGES if languages is None else languages)
    }
    codes.discard(None)
    return frozenset(codes) or DEFAULT_LANGUAGES  # type: ignore[return-value]


def _candidates(languages: Iterable[str] | None, prior: str | None) -> frozenset[str]:
    """The configured languages (normalised once per set), plus the prior."""
    if languages is not None and not isinstance(languages, frozenset):
        languages = frozenset(languages)
    codes = _normalised_set(languages)
    return codes | {prior} if prior and prior not in codes else codes


def _decide(sample: str, prior: str | None, languages: Iterable[str] | None) -> str:
    letters = _letters(sample)
    if not letters:
        return prior or ""
    by_script = _by_script(sample, letters, prior)
    if by_script:
        return by_script
    ranker = _ranker()
    ranked = ranker.ranked(sample) if ranker is not None else None
    if ranked is not None:
        top, probability = ranked
    else:
        everything = _probabilities(sample)
        top = max(everything, key=everything.__getitem__)
        probability = everything.get
    candidates = {code: probability(code) or 0.0 for code in _candidates(languages, prior)}
    total = sum(candidates.values())
    if total < OUT_OF_SET and len(top) == 2:
        return top  # in none of the configured languages: say which it is
    best = max(candidates, key=candidates.__getitem__)
    if prior and prior != best:
        short = letters < SHORT_LETTERS or top == _NO_LANGUAGE
        if probability(prior) is None:  # a language the model does not know: no evidence
            return prior if short else best
        weight = PRIOR_WEIGHT_SHORT if short else PRIOR_WEIGHT
        if candidates[prior] * weight >= candidates[best]:
            return prior
    return best


def detect_language(
    text: str,
    *,
    title: str = "",
    prior: str | None = None,
    languages: frozenset[str] | None = None,
) -> str:
    """ISO 639-1 code of the article's language. `prior` (feed/entry declared language or
    the feeds.toml hint, already 2 letters or None) wins when the text is too short or the
    detector is unsure. Returns "" only when there is no text and no prior."""
    return _decide(_sample(title or "", text or ""), normalise_code(prior), languages)


def detect_feed_language(
    entries: Iterable[tuple[str, str]],
    *,
    prior: str | None = None,
    languages: frozenset[str] | None = None,
) -> str:
    """The language a feed's entries, ``(title, text)`` pairs, are mostly written in.

    The prior for those entries when neither the feed nor feeds.toml declares one: a
    three-word title ("Food for fungi") cannot be told from Norwegian alone, but forty
    of them together can. Reads the titles and the start of the texts, in order, up to
    :data:`FEED_SAMPLE_CHARS`: one detection per feed.
    """
    parts: list[str] = []
    size = 0
    for title, text in entries:
        part = f"{title}\n{(text or '')[:FEED_TEXT_CHARS]}"
        parts.append(part)
        size += len(part) + 1
        if size >= FEED_SAMPLE_CHARS:
            break
    sample = repair_mojibake(_without_urls("\n".join(parts)[:FEED_SAMPLE_CHARS]))
    return _decide(sample, normalise_code(prior), languages)
