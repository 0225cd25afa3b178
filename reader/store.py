"""The store on disk: tinydb files in one directory. The only module that imports tinydb.

Layout (``<store>/``)::

    catalog.json            every article id -> [segment, content hash]; segment list; schema
    feeds.json              per feed: URL, ETag/Last-Modified, due time, last error...
    segments/000001.json    article index records (what lists and cards need)
    segments/000001.body.json   full clean text, read only when an article is opened
    segments/000001.vec.json    story vectors (float16, base64), read only by clustering
    state/0.json ... f.json the reader's tags, read and starred marks, 16 shards by id

Why this shape (designed for 100k articles):

- New articles go to the newest ("open") segment until it holds ``SEGMENT_CAPACITY``;
  a refresh rewrites that segment and the catalog, never the whole store.
- The reader's marks live apart from the articles, sharded by id, so a keystroke
  rewrites a few kB, and no refresh can reset them: refresh never writes ``state/``.
- Every file is written atomically (temp file, fsync, rename, fsync of the directory)
  after hard-linking the previous version to ``<file>.bak``: a crash leaves the old or
  the new file, never a torn one, and a corrupt file is reported, never overwritten.
- Writers hold a file lock (``.lock`` for articles and feeds, ``.state.lock`` for
  marks); readers need none, since files are only ever replaced whole.
- The catalog is written last: it is the commit point of a refresh. Segments are keyed
  by article id, so a refresh that died before its catalog write is simply redone into
  the same open segment; no article is stored twice.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import gc
import os
import re
import time
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

import orjson
from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import Storage
from tinydb.table import Document, Table

from reader.errors import (
    StoreCorrupt,
    StoreError,
    StoreLocked,
    StoreMissing,
    StoreVersionError,
    UsageError,
)
from reader.models import (
    Article,
    Enclosure,
    FeedRecord,
    HalfLife,
    Importance,
    StateChange,
    UserState,
)

SCHEMA_VERSION = 1
SEGMENT_CAPACITY = 2000
STATE_SHARDS = "0123456789abcdef"


# --- files -----------------------------------------------------------------------------


@contextlib.contextmanager
def gc_paused(*, freeze: bool = False) -> Iterator[None]:
    """Loading or dumping 100k small objects triggers many useless GC passes: the
    collector walks the growing heap again and again (a third of a 100k-article load).

    ``freeze`` is for data kept as long as the process (the app's library): everything
    alive is moved out of the collector's sight (:func:`gc.freeze`) before it runs
    again. Otherwise its next passes walk every object just loaded, young ones first:
    ~50 ms of the app's first paint at 100k articles. Frozen objects are still freed
    when their last reference goes (the store's data has no reference cycles), but a
    cycle that is garbage at that moment, of anyone's, stays: freeze once or twice in a
    process's life, never on a schedule.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def _write_error(path: Path, exc: OSError) -> StoreError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        reason = "disk full"
    elif exc.errno == errno.EFBIG:
        reason = "file size limit reached"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = "permission denied"
    else:
        reason = exc.strerror or str(exc)
    return StoreError(f"cannot write {path}: {reason}; the previous version is intact")


def stage_file(path: Path, payload: bytes) -> Path:
    """Write ``payload`` to a temporary file beside ``path`` and fsync it; its path.

    This is where a full disk shows: the temporary file is removed and nothing else
    has changed.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _write_error(path, exc) from None
    return tmp


def publish_file(path: Path, tmp: Path) -> None:
    """Replace ``path`` by its staged file, after hard-linking the old one to ``.bak``."""
    try:
        if path.exists():
            bak = backup_path(path)
            bak_tmp = path.with_name(f".{path.name}.{os.getpid()}.bak.tmp")
            with contextlib.suppress(FileNotFoundError):
                os.unlink(bak_tmp)
            os.link(path, bak_tmp)
            os.replace(bak_tmp, bak)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _write_error(path, exc) from None


def write_atomic(path: Path, payload: bytes) -> None:
    """Replace ``path`` with ``payload`` so that readers see the old or the new file."""
    publish_file(path, stage_file(path, payload))
    _fsync_dir(path.parent)


def write_all_atomic(files: Iterable[tuple[Path, bytes]]) -> None:
    """Replace several files, in order, each atomically.

    Every file is staged (written and fsynced) before the first one is replaced, so a
    full disk or a size limit leaves every file as it was, byte for byte. The renames
    then run in the given order: a crash among them leaves a prefix replaced, which is
    why the commit point (the catalog) comes after what it points to. ``files`` may be a
    generator: each payload is staged as it comes and need not stay in memory.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, payload in files:
            staged.append((path, stage_file(path, payload)))
    except BaseException:
        for _path, tmp in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    for i, (path, tmp) in enumerate(staged):
        try:
            publish_file(path, tmp)
        except StoreError:
            for _path, later in staged[i + 1 :]:
                with contextlib.suppress(OSError):
                    os.unlink(later)
            raise
    for directory in dict.fromkeys(path.parent for path, _tmp in staged):
        _fsync_dir(directory)


def corrupt_error(path: Path, detail: str) -> StoreCorrupt:
    """The one line that reports a damaged store file: what, its backup, the way out."""
    bak = backup_path(path)
    return StoreCorrupt(
        f"store file {path} is corrupt: {detail}; "
        + (f"a backup is at {bak}; " if bak.exists() else "there is no backup; ")
        + "run `reader doctor` to recover",
        path=str(path),
        backup=str(bak) if bak.exists() else None,
    )


# the table each kind of store file holds (see the layout above)
FILE_TABLES = {
    "feeds": "feeds",
    "prefs": "prefs",
    "segment": "articles",
    "body": "bodies",
    "vectors": "vectors",
    "state": "state",
}


def _table_shape_error(data: dict, table: str) -> str | None:
    docs = data.get(table)
    if docs is None:
        return None
    if not isinstance(docs, dict):
        return f"not a store file ({table!r} is not an object)"
    if not all(type(doc) is dict for doc in docs.values()):
        return f"not a store file (a document of {table!r} is not an object)"
    return None


def _catalog_shape_error(data: dict) -> str | None:
    """Why a parsed catalog cannot be used, or None."""
    articles = data.get("articles", {})
    segments = data.get("segments", {})
    names = data.get("names", {})
    meta = data.get("meta", {})
    if not all(isinstance(x, dict) for x in (articles, segments, names, meta)):
        return "not a store file (a catalog section is not an object)"
    feeds, topics = names.get("feeds", []), names.get("topics", [])
    if not isinstance(feeds, list) or not isinstance(topics, list):
        return "not a store file (catalog names are not lists)"
    if not all(isinstance(info, dict) for info in segments.values()):
        return "not a store file (a catalog segment is not an object)"
    try:
        numbers = {int(k) for k in segments}
    except ValueError:
        return "not a store file (a catalog segment number is not a number)"
    rows = list(articles.values())
    if not rows:
        return None
    # column by column, with set/map/min/max doing the work in C: ~15 ms for 100k rows
    if not set(map(type, rows)) <= {list} or set(map(len, rows)) != {7}:
        return "not a store file (a catalog row is malformed)"

    def column(index: int) -> list:
        return list(map(itemgetter(index), rows))

    def ints(index: int, low: int, high: int) -> bool:
        values = column(index)
        return set(map(type, values)) <= {int} and low <= min(values) and max(values) < high

    def numbers_(index: int) -> bool:
        return set(map(type, column(index))) <= {int, float}

    if not (
        set(column(SEG)) <= numbers
        and ints(FEED, 0, len(feeds))
        and ints(TOPIC, 0, len(topics))
        and numbers_(WHEN)
        and numbers_(SCORE)
        and ints(STARS, 0, 6)
    ):
        return "not a store file (a catalog row is malformed)"
    return None


def read_json(path: Path, kind: str | None = None) -> dict | None:
    """A store file's content, None if absent; :class:`StoreCorrupt` if unreadable or,
    when ``kind`` is given (catalog, feeds, segment, state...), not of that shape."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        with gc_paused():
            data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise corrupt_error(
            path, f"not valid JSON ({exc.msg} at byte {exc.pos})" if raw else "empty file"
        ) from None
    if not isinstance(data, dict):
        raise corrupt_error(path, "not a store file (top level is not an object)")
    if kind == "catalog":
        detail = _catalog_shape_error(data)
    elif kind in FILE_TABLES:
        detail = _table_shape_error(data, FILE_TABLES[kind])
    else:
        detail = None
    if detail:
        raise corrupt_error(path, detail)
    return data


class AtomicJSONStorage(Storage):
    """tinydb storage: orjson, atomic replace with a backup, corruption reported."""

    def __init__(self, path: str | Path, **_kwargs) -> None:
        self.path = Path(path)

    def read(self) -> dict | None:
        return read_json(self.path)

    def write(self, data: dict) -> None:
        with gc_paused():
            payload = orjson.dumps(data)
        write_atomic(self.path, payload)

    def close(self) -> None:
        pass


class KeyedTable(Table):
    """A tinydb table whose document ids are our own strings (article ids, feed keys)."""

    document_id_class = str

    def _get_next_id(self):  # pragma: no cover - every insert here names its id
        raise StoreError("internal: documents in this store need an explicit id")


class _TinyDB(TinyDB):
    table_class = KeyedTable


def _open_db(path: Path) -> TinyDB:
    """A tinydb database whose writes are kept in memory until ``storage.flush()``."""
    CachingMiddleware.WRITE_CACHE_SIZE = 1 << 30
    return _TinyDB(str(path), storage=CachingMiddleware(AtomicJSONStorage))


_TABLE_KINDS = {table: kind for kind, table in FILE_TABLES.items()}


def _raw_table(path: Path, name: str) -> dict:
    """A table's documents straight from disk, for bulk reads (no Document wrapping).
    A file whose table is not an object of objects is reported corrupt."""
    data = read_json(path, _TABLE_KINDS.get(name))
    if not data:
        return {}
    return data.get(name) or {}


# --- records <-> documents --------------------------------------------------------------


def article_to_doc(article: Article) -> dict:
    doc = {
        "id": article.id,
        "feed": article.feed,
        "feed_url": article.feed_url,
        "source": article.source,
        "tier": article.tier,
        "title": article.title,
        "link": article.link,
        "author": article.author,
        "published": article.published,
        "updated": article.updated,
        "collected": article.collected,
        "lang": article.lang,
        "type": article.type,
        "summary": list(article.summary),
        "topic": article.topic,
        "topics": list(article.topics),
        "related": list(article.related),
        "hash": article.content_hash,
        "enriched": article.enriched,
        "kw": article.keyword_hits,
        "len": article.text_length,
    }
    if article.halflife is not None:
        hl = article.halflife
        doc["halflife"] = [hl.cls, hl.hours, hl.reason]
    if article.importance is not None:
        imp = article.importance
        doc["importance"] = [imp.score, imp.stars, imp.label]
    if article.enclosures:
        doc["enclosures"] = [[e.url, e.type, e.length] for e in article.enclosures]
    return doc


def article_from_doc(doc: dict, segment: int) -> Article:
    hl = doc.get("halflife")
    imp = doc.get("importance")
    return Article(
        id=doc["id"],
        feed=doc.get("feed", ""),
        feed_url=doc.get("feed_url", ""),
        source=doc.get("source", ""),
        tier=doc.get("tier", 3),
        title=doc.get("title", ""),
        link=doc.get("link", ""),
        author=doc.get("author", ""),
        published=doc.get("published"),
        updated=doc.get("updated"),
        collected=doc.get("collected") or 0.0,
        lang=doc.get("lang", ""),
        type=doc.get("type", "news"),
        halflife=HalfLife(hl[0], hl[1], hl[2]) if hl else None,
        summary=tuple(doc.get("summary") or ()),
        topic=doc.get("topic", ""),
        topics=tuple(doc.get("topics") or ()),
        related=tuple(doc.get("related") or ()),
        importance=Importance(imp[0], imp[1], imp[2]) if imp else None,
        enclosures=tuple(Enclosure(e[0], e[1], e[2]) for e in doc.get("enclosures") or ()),
        keyword_hits=doc.get("kw", 0),
        text_length=doc.get("len", 0),
        content_hash=doc.get("hash", ""),
        enriched=doc.get("enriched", 0),
        segment=segment,
    )


_FEED_FIELDS = tuple(FeedRecord.__dataclass_fields__)


def feed_to_doc(record: FeedRecord) -> dict:
    return {name: getattr(record, name) for name in _FEED_FIELDS}


def feed_from_doc(doc: dict) -> FeedRecord:
    return FeedRecord(**{k: v for k, v in doc.items() if k in _FEED_FIELDS})


def state_to_doc(state: UserState) -> dict:
    return {"tags": list(state.tags), "read": state.read, "starred": state.starred}


_SHARED_STATES: dict[tuple, UserState] = {}


def state_from_doc(doc: dict) -> UserState:
    """Marks are immutable and most are alike ("read", no tags): alike ones are shared,
    which makes loading 60k of them 3x faster and smaller."""
    tags = doc.get("tags")
    key = (tuple(tags) if tags else (), bool(doc.get("read")), bool(doc.get("starred")))
    state = _SHARED_STATES.get(key)
    if state is None:
        state = UserState(*key)
        if len(_SHARED_STATES) < 4096:
            _SHARED_STATES[key] = state
    return state


def encode_vector(vector: bytes) -> str:
    return base64.b64encode(vector).decode("ascii")


def decode_vector(text: str) -> bytes:
    return base64.b64decode(text)


# --- the store -----------------------------------------------------------------------


# catalog row: [segment, content hash, feed number, topic number, when, score, stars]
SEG, HASH, FEED, TOPIC, WHEN, SCORE, STARS = range(7)


@dataclass
class Catalog:
    """Which articles exist, where, and the few facts that rank them among the others.

    Small enough to load on every command (~40 bytes an article), so that a card's
    source average and topic percentile never need the articles themselves.
    """

    articles: dict[str, list] = field(default_factory=dict)  # id -> row (see above)
    segments: dict[int, dict] = field(default_factory=dict)  # n -> {count, first, last}
    feeds: list[str] = field(default_factory=list)  # feed numbers -> feed keys
    topics: list[str] = field(default_factory=list)  # topic numbers -> topic names
    open_segment: int = 1
    schema: int = SCHEMA_VERSION

    def segment_of(self, article_id: str) -> int | None:
        row = self.articles.get(article_id)
        return row[SEG] if row else None

    def number(self, names: list[str], name: str) -> int:
        try:
            return names.index(name)
        except ValueError:
            names.append(name)
            return len(names) - 1

    def row_for(self, article: Article, segment: int) -> list:
        importance = article.importance
        return [
            segment,
            article.content_hash,
            self.number(self.feeds, article.feed_url),
            self.number(self.topics, article.topic),
            round(article.when, 1),
            round(importance.score, 4) if importance else 0.0,
            importance.stars if importance else 0,
        ]

    def feed_stats(self) -> dict[str, tuple[int, float | None]]:
        """feed key -> (articles, mean stars of those that have stars)."""
        counts = [0] * len(self.feeds)
        star_sums = [0] * len(self.feeds)
        starred = [0] * len(self.feeds)
        for row in self.articles.values():
            counts[row[FEED]] += 1
            if row[STARS]:
                star_sums[row[FEED]] += row[STARS]
                starred[row[FEED]] += 1
        return {
            key: (counts[i], round(star_sums[i] / starred[i], 1) if starred[i] else None)
            for i, key in enumerate(self.feeds)
        }

    def topic_scores(self, since: float) -> dict[str, list[float]]:
        """topic -> ascending scores of its articles at or after ``since``."""
        by_topic: dict[int, list[float]] = {}
        for row in self.articles.values():
            if row[WHEN] >= since:
                by_topic.setdefault(row[TOPIC], []).append(row[SCORE])
        return {self.topics[t]: sorted(scores) for t, scores in by_topic.items()}

    def feed_of(self, article_id: str) -> str | None:
        row = self.articles.get(article_id)
        return self.feeds[row[FEED]] if row else None


@dataclass
class Removal:
    """What :meth:`Store.remove_articles` did (or, dry, would do)."""

    removed: list[str] = field(default_factory=list)
    kept_marked: list[str] = field(default_factory=list)  # chosen, but tagged or starred
    unlinked: int = 0  # other articles whose ``related`` lists named removed ones


def _is_marked(state: UserState | None) -> bool:
    """Tagged or starred: what the reader keeps (a read mark alone is not keeping)."""
    return state is not None and (bool(state.tags) or state.starred)


_SCHEMA_HEAD = re.compile(
    rb'\s*\{\s*"meta"\s*:\s*\{\s*"store"\s*:\s*\{\s*"schema"\s*:\s*(\d+)\s*[,}]'
)

# a flat JSON object keyed by a string: one document of a store table
_FLAT_DOC = re.compile(rb'"((?:[^"\\]|\\.){1,200})"\s*:\s*(\{[^{}]*\})')


class Store:
    """halflife's store. Reads need no lock; every write holds the matching lock."""

    def __init__(self, path: Path, *, wait: float = 30.0) -> None:
        self.path = Path(path).expanduser()
        self.wait = wait
        self.segment_dir = self.path / "segments"
        self.state_dir = self.path / "state"
        self.catalog_path = self.path / "catalog.json"
        self.feeds_path = self.path / "feeds.json"
        self._lock_path = self.path / ".lock"
        self._state_lock_path = self.path / ".state.lock"

    # -- opening

    @classmethod
    def open(cls, path: Path, *, wait: float = 30.0, create: bool = True) -> Store:
        store = cls(path, wait=wait)
        if store.path.exists() and not store.path.is_dir():
            raise StoreError(f"{store.path} is a file, not a halflife store directory")
        if not store.path.exists():
            if not create:
                raise StoreMissing(f"no store at {store.path} (run `reader refresh` first)")
            try:
                store.segment_dir.mkdir(parents=True, exist_ok=True)
                store.state_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create store {store.path}: {exc.strerror}") from None
        else:
            store.segment_dir.mkdir(exist_ok=True)
            store.state_dir.mkdir(exist_ok=True)
        store.check_schema()
        return store

    def check_schema(self) -> None:
        schema = self._schema_from_head()
        if schema is None:  # not written by catalog_payload: read the whole file
            data = read_json(self.catalog_path) or {}
            meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
            store_meta = meta.get("store") if isinstance(meta.get("store"), dict) else {}
            schema = store_meta.get("schema", SCHEMA_VERSION)
            if not isinstance(schema, int):
                raise corrupt_error(self.catalog_path, "not a store file (schema is not a number)")
        if schema > SCHEMA_VERSION:
            raise StoreVersionError(
                f"store {self.path} was written by a newer halflife (schema {schema}; "
                f"this version reads up to {SCHEMA_VERSION}): upgrade halflife"
            )

    def _schema_from_head(self) -> int | None:
        """The schema from the catalog's first bytes (written first, see
        :func:`catalog_payload`), so opening a 100k store does not parse it whole."""
        try:
            with open(self.catalog_path, "rb") as handle:
                head = handle.read(256)
        except OSError:
            return None
        match = _SCHEMA_HEAD.match(head)
        return int(match.group(1)) if match else None

    # -- locks

    @contextlib.contextmanager
    def _locked(self, lock_path: Path, what: str) -> Iterator[None]:
        from filelock import FileLock, Timeout

        lock = FileLock(str(lock_path), timeout=self.wait)
        try:
            lock.acquire()
        except Timeout:
            raise StoreLocked(
                f"store {self.path} is busy: another halflife process held the {what} lock "
                f"for more than {self.wait:g} s (raise --wait, or try again)"
            ) from None
        except OSError as exc:
            raise StoreError(f"cannot lock {lock_path}: {exc.strerror or exc}") from None
        try:
            yield
        finally:
            lock.release()

    # -- reads

    def catalog(self) -> Catalog:
        data = read_json(self.catalog_path, "catalog") or {}
        meta = (data.get("meta") or {}).get("store") or {}
        segments = {int(k): v for k, v in (data.get("segments") or {}).items()}
        names = data.get("names") or {}
        return Catalog(
            articles=data.get("articles") or {},
            segments=segments,
            feeds=list(names.get("feeds") or ()),
            topics=list(names.get("topics") or ()),
            open_segment=meta.get("open_segment", 1),
            schema=meta.get("schema", SCHEMA_VERSION),
        )

    def feed_records(self) -> dict[str, FeedRecord]:
        return {
            key: feed_from_doc(doc) for key, doc in _raw_table(self.feeds_path, "feeds").items()
        }

    def segment_path(self, segment: int, kind: str = "") -> Path:
        suffix = f".{kind}" if kind else ""
        return self.segment_dir / f"{segment:06d}{suffix}.json"

    def segment_numbers(self) -> list[int]:
        numbers = []
        for path in self.segment_dir.glob("[0-9][0-9][0-9][0-9][0-9][0-9].json"):
            numbers.append(int(path.name[:6]))
        return sorted(numbers)

    def load_segment(self, segment: int) -> list[Article]:
        docs = _raw_table(self.segment_path(segment), "articles")
        with gc_paused():
            return [article_from_doc(doc, segment) for doc in docs.values()]

    def articles(self, segments: Iterable[int] | None = None) -> list[Article]:
        """Committed articles of the given segments (all when None), each id once.

        The catalog is the commit point: a segment document it does not place in that
        segment is a leftover of a write that died before its commit, and is skipped.
        """
        catalog = self.catalog()
        numbers = self.segment_numbers() if segments is None else sorted(set(segments))
        found: list[Article] = []
        for number in numbers:
            for article in self.load_segment(number):
                if catalog.segment_of(article.id) == number:
                    found.append(article)
        return found

    def resolve(self, prefix: str, catalog: Catalog | None = None) -> str:
        """The full id of an article from its id or a unique prefix of it."""
        prefix = prefix.strip().lower()
        catalog = catalog or self.catalog()
        if prefix in catalog.articles:
            return prefix
        if len(prefix) < 4:
            raise UsageError(f"article id {prefix!r} is too short (give at least 4 characters)")
        matches = [i for i in catalog.articles if i.startswith(prefix)]
        if not matches:
            raise UsageError(f"no article with id {prefix!r}")
        if len(matches) > 1:
            raise UsageError(f"article id {prefix!r} is ambiguous ({len(matches)} articles)")
        return matches[0]

    def article(self, article_id: str, catalog: Catalog | None = None) -> Article | None:
        catalog = catalog or self.catalog()
        segment = catalog.segment_of(article_id)
        if segment is None:
            return None
        doc = _raw_table(self.segment_path(segment), "articles").get(article_id)
        return article_from_doc(doc, segment) if doc else None

    def body(self, article: Article) -> str:
        doc = _raw_table(self.segment_path(article.segment, "body"), "bodies").get(article.id)
        return doc.get("text", "") if doc else ""

    def vectors(self, segments: Iterable[int]) -> dict[str, bytes]:
        found = {}
        for segment in segments:
            for article_id, doc in _raw_table(self.segment_path(segment, "vec"), "vectors").items():
                found[article_id] = decode_vector(doc["v"])
        return found

    def _state_path(self, article_id: str) -> Path:
        shard = article_id[:1].lower()
        if shard not in STATE_SHARDS:
            shard = "0"
        return self.state_dir / f"{shard}.json"

    def states(self) -> dict[str, UserState]:
        found = {}
        for shard in STATE_SHARDS:
            for article_id, doc in _raw_table(self.state_dir / f"{shard}.json", "state").items():
                found[article_id] = state_from_doc(doc)
        return found

    def state(self, article_id: str) -> UserState:
        doc = _raw_table(self._state_path(article_id), "state").get(article_id)
        return state_from_doc(doc) if doc else UserState()

    def change_token(self) -> tuple:
        """Changes whenever any store file is replaced: the app polls it to reload."""
        token = []
        for path in (self.catalog_path, self.feeds_path, *self.state_files()):
            try:
                stat = path.stat()
                token.append((path.name, stat.st_mtime_ns, stat.st_size, stat.st_ino))
            except FileNotFoundError:
                token.append((path.name, 0, 0, 0))
        return tuple(token)

    def state_files(self) -> list[Path]:
        return [self.state_dir / f"{shard}.json" for shard in STATE_SHARDS]

    def segment_token(self, segment: int) -> tuple:
        try:
            stat = self.segment_path(segment).stat()
        except FileNotFoundError:
            return (0, 0, 0)
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    # -- the app's remembered choices (theme, sort)

    @property
    def prefs_path(self) -> Path:
        return self.path / "prefs.json"

    def prefs(self) -> dict:
        return dict(_raw_table(self.prefs_path, "prefs").get("ui") or {})

    def set_prefs(self, **values) -> None:
        with self._locked(self._state_lock_path, "marks"):
            db = _open_db(self.prefs_path)
            table = db.table("prefs")
            current = dict(table.get(doc_id="ui") or {})
            table.upsert(Document(current | values, doc_id="ui"))
            db.storage.flush()

    # -- writes: the reader's marks

    def change_state(self, changes: Iterable[StateChange]) -> dict[str, UserState]:
        """Apply mark changes read-modify-write under the state lock; the new states."""
        by_shard: dict[Path, list[StateChange]] = {}
        for change in changes:
            by_shard.setdefault(self._state_path(change.article_id), []).append(change)
        result: dict[str, UserState] = {}
        if not by_shard:
            return result
        with self._locked(self._state_lock_path, "marks"):
            for path, shard_changes in by_shard.items():
                # one read and one write of the shard through tinydb's storage: a
                # table.upsert() per change rebuilds the whole table each time, which
                # made "mark 5,000 read" take minutes on a large store
                storage = _open_db(path).storage
                data = storage.read() or {}
                docs = data.setdefault("state", {})
                if not isinstance(docs, dict):
                    raise corrupt_error(path, "not a store file ('state' is not an object)")
                now = time.time()
                for change in shard_changes:
                    doc = docs.get(change.article_id)
                    before = state_from_doc(doc) if isinstance(doc, dict) else UserState()
                    after = change.apply(before)
                    if after.is_default:
                        docs.pop(change.article_id, None)
                    else:
                        docs[change.article_id] = state_to_doc(after) | {"changed": now}
                    result[change.article_id] = after
                storage.write(data)
                storage.flush()
        return result

    # -- bulk reads (reindex, doctor)

    def segment_bodies(self, segment: int) -> dict[str, str]:
        """article id -> stored clean text, for one segment (one file read)."""
        docs = _raw_table(self.segment_path(segment, "body"), "bodies")
        return {article_id: doc.get("text", "") for article_id, doc in docs.items()}

    # -- removing articles (prune, remove)

    def remove_articles(
        self,
        choose: Callable[[Catalog, dict[str, UserState], dict[str, FeedRecord]], Iterable[str]],
        *,
        drop_feeds: Iterable[str] = (),
        dry_run: bool = False,
    ) -> Removal:
        """Remove the articles ``choose`` picks, in one transaction; marked ones never.

        ``choose(catalog, states, feed records)`` runs under both the store lock and the
        marks lock, so no refresh adds and no keystroke marks anything meanwhile: an
        article that is tagged or starred when the write happens is kept, whatever
        ``choose`` said. Its marks are never touched (a read mark stays in ``state/``:
        if a refresh brings the article back, it is still read). Removed ids are dropped
        from the ``related`` lists of the articles they name and of every article in
        the segments the removal touched (links are two-way, so these are the lists
        that can hold them, without reading the whole store). ``drop_feeds`` removes
        feed records.
        """
        with self._locked(self._lock_path, "store"), self._locked(self._state_lock_path, "marks"):
            writer = StoreWriter(self)
            states = self.states()
            chosen = [i for i in dict.fromkeys(choose(writer.catalog, states, writer.feeds))]
            kept = [i for i in chosen if _is_marked(states.get(i))]
            doomed = [
                i for i in chosen if i in writer.catalog.articles and not _is_marked(states.get(i))
            ]
            removal = Removal(removed=doomed, kept_marked=kept)
            if dry_run:
                return removal
            gone = set(doomed)
            referrers: set[str] = set()
            for article_id in doomed:
                article = writer.article(article_id)
                if article is not None:
                    referrers.update(article.related)
            writer.remove(doomed)
            # links are two-way (but lists are capped): also look at every article of
            # the segments the removal loaded anyway
            for docs in writer._articles.values():
                referrers.update(
                    i for i, doc in docs.items() if gone.intersection(doc.get("related") or ())
                )
            for article_id in sorted(referrers - gone):
                article = writer.article(article_id)
                if article is not None and gone.intersection(article.related):
                    related = tuple(r for r in article.related if r not in gone)
                    writer.update(article.with_(related=related))
                    removal.unlinked += 1
            for key in drop_feeds:
                writer.remove_feed(key)
            writer.commit()
        return removal

    # -- repairs (reader doctor)

    @contextlib.contextmanager
    def repairing(self) -> Iterator[None]:
        """Hold both locks: nothing writes the store while files are replaced."""
        with self._locked(self._lock_path, "store"), self._locked(self._state_lock_path, "marks"):
            yield

    def files(self) -> list[tuple[str, Path]]:
        """Every store file that exists, as (kind, path); kinds: catalog, feeds, prefs,
        segment, body, vectors, state."""
        found: list[tuple[str, Path]] = []
        for kind, path in (
            ("catalog", self.catalog_path),
            ("feeds", self.feeds_path),
            ("prefs", self.prefs_path),
        ):
            if path.exists():
                found.append((kind, path))
        for number in self.segment_numbers():
            for kind, suffix in (("segment", ""), ("body", "body"), ("vectors", "vec")):
                path = self.segment_path(number, suffix)
                if path.exists():
                    found.append((kind, path))
        for path in self.state_files():
            if path.exists():
                found.append(("state", path))
        return found

    def stale_temporary_files(self, older_than: float = 3600.0) -> list[Path]:
        """Temporary files of writes that died (a crash between write and rename)."""
        cutoff = time.time() - older_than
        found = []
        for directory in (self.path, self.segment_dir, self.state_dir):
            for path in directory.glob(".*.tmp"):
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime < cutoff:
                        found.append(path)
        return sorted(found)

    @staticmethod
    def quarantine(path: Path) -> Path:
        """Move a damaged file aside to ``<file>.corrupt-<timestamp>`` (never deleted)."""
        stamp = time.strftime("%Y%m%dT%H%M%S")
        target = path.with_name(f"{path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        os.replace(path, target)
        _fsync_dir(path.parent)
        return target

    @staticmethod
    def backup_content(path: Path, kind: str | None = None) -> dict | None:
        """The content of ``path``'s backup if it exists and parses (as ``kind``), else None."""
        try:
            return read_json(backup_path(path), kind)
        except StoreError:
            return None

    @staticmethod
    def write_file(path: Path, data: dict) -> None:
        """Replace a store file with ``data`` (atomic; used to restore a backup)."""
        AtomicJSONStorage(path).write(data)

    @staticmethod
    def salvage(path: Path, table: str) -> dict[str, dict]:
        """The documents of a damaged file that still parse one by one.

        Store files are ``{"<table>": {"<id>": {...}, ...}}`` with flat documents, so
        every ``"<id>": {...}`` that parses on its own is a document written whole (a
        truncated or overwritten part of the file loses only what it covered).
        """
        try:
            raw = path.read_bytes()
        except OSError:
            return {}
        found: dict[str, dict] = {}
        for match in _FLAT_DOC.finditer(raw):
            key = match.group(1).decode("utf-8", "replace")
            if key == table:
                continue
            try:
                doc = orjson.loads(match.group(2))
            except orjson.JSONDecodeError:
                continue
            if isinstance(doc, dict):
                found[key] = doc
        return found

    def rebuild_catalog(self) -> Catalog:
        """Write a new catalog from the segments: every article they hold. Call inside
        :meth:`repairing`; segments must parse (repair them first)."""
        catalog = Catalog()
        numbers = self.segment_numbers()
        for number in numbers:
            info = {"count": 0, "first": None, "last": None}
            for article in self.load_segment(number):
                if article.id in catalog.articles:
                    previous = catalog.articles[article.id][SEG]
                    catalog.segments[previous]["count"] -= 1
                catalog.articles[article.id] = catalog.row_for(article, number)
                info["count"] += 1
                info["first"] = min(filter(None, (info["first"], article.collected)), default=None)
                info["last"] = max(filter(None, (info["last"], article.collected)), default=None)
            catalog.segments[number] = info
        catalog.open_segment = max(numbers) if numbers else 1
        AtomicJSONStorage(self.catalog_path).write(catalog_payload(catalog))
        return catalog

    # -- writes: articles and feeds

    @contextlib.contextmanager
    def writing(self) -> Iterator[StoreWriter]:
        """A write transaction on articles and feeds, under the store lock.

        Everything is written when the block ends without an exception; segments first,
        then the catalog (the commit point), then feed records.
        """
        with self._locked(self._lock_path, "store"):
            writer = StoreWriter(self)
            yield writer
            writer.commit()


def catalog_payload(catalog: Catalog) -> dict:
    """The catalog as written to ``catalog.json``."""
    return {
        "meta": {"store": {"schema": SCHEMA_VERSION, "open_segment": catalog.open_segment}},
        "segments": {str(k): v for k, v in sorted(catalog.segments.items())},
        "names": {"feeds": catalog.feeds, "topics": catalog.topics},
        "articles": catalog.articles,
    }


class StoreWriter:
    """Changes to articles and feeds, kept in memory, written by :meth:`commit`."""

    def __init__(self, store: Store, catalog: Catalog | None = None) -> None:
        self.store = store
        self.catalog = store.catalog() if catalog is None else catalog
        self.feeds = store.feed_records()
        self._feeds_changed = False
        self._catalog_changed = False
        self._articles: dict[int, dict] = {}  # segment -> {id: doc}
        self._bodies: dict[int, dict] = {}
        self._vectors: dict[int, dict] = {}
        self._dirty: set[tuple[int, str]] = set()

    # reads inside the transaction

    def known(self, article_id: str) -> tuple[int, str] | None:
        """(segment, content hash) of a stored article."""
        row = self.catalog.articles.get(article_id)
        return (row[SEG], row[HASH]) if row else None

    def _segment_docs(self, segment: int, kind: str) -> dict:
        cache, table = {
            "": (self._articles, "articles"),
            "body": (self._bodies, "bodies"),
            "vec": (self._vectors, "vectors"),
        }[kind]
        if segment not in cache:
            docs = _raw_table(self.store.segment_path(segment, kind), table)
            # leftovers of a write that died before its commit (the catalog does not
            # place them here) are dropped: they would be related to, or listed, as if
            # stored; the next write of this file leaves them out
            rows = self.catalog.articles
            cache[segment] = {
                i: doc for i, doc in docs.items() if (row := rows.get(i)) and row[SEG] == segment
            }
        return cache[segment]

    def article(self, article_id: str) -> Article | None:
        segment = self.catalog.segment_of(article_id)
        if segment is None:
            return None
        doc = self._segment_docs(segment, "").get(article_id)
        return article_from_doc(doc, segment) if doc else None

    def vectors_since(
        self, collected_since: float, *, besides: Container[str] = ()
    ) -> dict[str, bytes]:
        """id -> story vector of the articles in segments that hold anything collected
        at or after the time, but those in ``besides`` (the caller's own). Only these
        can be related to new articles: the others need not become Articles (in a cold
        refresh, 230 of 4,542 articles have one)."""
        found = {}
        for number, info in sorted(self.catalog.segments.items()):
            if (info.get("last") or 0) >= collected_since:
                for article_id, doc in self._segment_docs(number, "vec").items():
                    if article_id not in besides:
                        found[article_id] = decode_vector(doc["v"])
        return found

    # changes

    def put_feed(self, record: FeedRecord) -> None:
        self.feeds[record.key] = record
        self._feeds_changed = True

    def remove_feed(self, key: str) -> None:
        if self.feeds.pop(key, None) is not None:
            self._feeds_changed = True

    def add(self, article: Article, body: str, vector: bytes | None = None) -> Article:
        """Store a new article (or replace an existing one in place); returns it placed."""
        row = self.catalog.articles.get(article.id)
        if row is not None:
            segment = row[SEG]
        else:
            segment = self.catalog.open_segment
            info = self.catalog.segments.get(segment, {"count": 0, "first": None, "last": None})
            if info["count"] >= SEGMENT_CAPACITY:
                segment = max(self.catalog.segments) + 1
                self.catalog.open_segment = segment
                info = {"count": 0, "first": None, "last": None}
            info["count"] += 1
            info["first"] = min(filter(None, (info["first"], article.collected)), default=None)
            info["last"] = max(filter(None, (info["last"], article.collected)), default=None)
            self.catalog.segments[segment] = info
        placed = article.with_(segment=segment)
        self._segment_docs(segment, "")[article.id] = article_to_doc(placed)
        self._segment_docs(segment, "body")[article.id] = {"text": body}
        self._dirty.update({(segment, ""), (segment, "body")})
        if vector is not None:
            self._segment_docs(segment, "vec")[article.id] = {"v": encode_vector(vector)}
            self._dirty.add((segment, "vec"))
        self.catalog.articles[article.id] = self.catalog.row_for(placed, segment)
        self._catalog_changed = True
        return placed

    def update(self, article: Article) -> None:
        """Rewrite an existing article's index record (derived fields changed)."""
        segment = self.catalog.segment_of(article.id)
        if segment is None:
            raise StoreError(f"internal: article {article.id} is not in the store")
        placed = article if article.segment == segment else article.with_(segment=segment)
        self._segment_docs(segment, "")[article.id] = article_to_doc(placed)
        self._dirty.add((segment, ""))
        self.catalog.articles[article.id] = self.catalog.row_for(placed, segment)
        self._catalog_changed = True

    def set_vector(self, article: Article, vector: bytes) -> None:
        self._segment_docs(article.segment, "vec")[article.id] = {"v": encode_vector(vector)}
        self._dirty.add((article.segment, "vec"))

    def remove(self, article_ids: Iterable[str]) -> int:
        removed = 0
        for article_id in article_ids:
            row = self.catalog.articles.get(article_id)
            if row is None:
                continue
            segment = row[SEG]
            for kind in ("", "body", "vec"):  # loaded while the catalog still places it
                if self._segment_docs(segment, kind).pop(article_id, None) is not None:
                    self._dirty.add((segment, kind))
            del self.catalog.articles[article_id]
            info = self.catalog.segments.get(segment)
            if info:
                info["count"] = max(info["count"] - 1, 0)
            removed += 1
        if removed:
            self._catalog_changed = True
        return removed

    def commit(self) -> None:
        """Write what changed: bodies and vectors, then the index segments, then the
        catalog (the commit point), then feed records, staged all at once."""
        tables = {"": "articles", "body": "bodies", "vec": "vectors"}
        caches = {"": self._articles, "body": self._bodies, "vec": self._vectors}

        def payloads() -> Iterator[tuple[Path, bytes]]:
            for kind in ("body", "vec", ""):
                for segment in sorted(s for s, k in self._dirty if k == kind):
                    path = self.store.segment_path(segment, kind)
                    yield path, orjson.dumps({tables[kind]: caches[kind][segment]})
            if self._catalog_changed:
                yield self.store.catalog_path, orjson.dumps(catalog_payload(self.catalog))
            if self._feeds_changed:
                docs = {key: feed_to_doc(rec) for key, rec in self.feeds.items()}
                yield self.store.feeds_path, orjson.dumps({"feeds": docs})

        with gc_paused():
            write_all_atomic(payloads())
        self._dirty.clear()
        self._catalog_changed = self._feeds_changed = False
