"""The store in memory, for views: articles, marks and ranking, kept in step with the store.

The app reads only through a :class:`Library`. ``load()`` reads everything once (or,
with a limit, only the newest segments: the app paints its first screen from them and
reads the rest in a worker); ``reload()`` is cheap when nothing changed (a few ``stat``
calls) and re-reads only the segments and mark shards whose files changed, so a
``reader refresh`` from cron shows up in an open app within seconds without a full
reload.

Reloads run in a worker thread while the UI thread reads: the dicts a reader may be
iterating are never changed in place by a reload; new ones are built and swapped in.

No Textual here: the library is plain Python, tested on its own.
"""

from __future__ import annotations

import bisect
import heapq
import math
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from reader.card import Ranking, card
from reader.config import Config
from reader.models import Article, StateChange, UserState
from reader.query import Filter, Item, search_text, sort_key
from reader.store import SCORE, SEG, WHEN, Catalog, Store, gc_paused

#: From this many articles a list is sorted with numpy (importing it costs ~80 ms: the
#: first screen, ~4,000 articles, is sorted in Python).
_VECTOR_SORT_FROM = 5000
_VECTOR_SORTS = ("worth", "importance", "freshness", "newest")
#: How far below an article's ``when`` its catalog row's (rounded) one may be.
_WHEN_SLACK = 0.1
#: The sorts whose first key a catalog row holds: (its column, and more than how far
#: below the article's own value the row's rounded one may be)
_CATALOG_KEYS = {"newest": (WHEN, _WHEN_SLACK), "importance": (SCORE, 1e-4)}


def _first_key(sort: str):
    """The first key of ``sort_key(sort)``, the larger the better (newest, importance)."""
    if sort == "newest":
        return lambda a: a.when
    return lambda a: a.importance.score if a.importance else 0.0


@dataclass
class Reloaded:
    """What a reload found."""

    changed: bool = False
    new_ids: list[str] = field(default_factory=list)
    removed_ids: list[str] = field(default_factory=list)
    marks_changed: bool = False


@dataclass(frozen=True)
class Scope:
    """Which part of the store a view shows: everything, a topic, a feed or a tag."""

    kind: str = "all"  # all, topic, feed, tag
    value: str = ""

    def admits(self, article: Article, state: UserState) -> bool:
        if self.kind == "topic":
            return self.value in article.topics
        if self.kind == "feed":
            return article.feed == self.value
        if self.kind == "tag":
            return self.value in state.tags
        return True

    def label(self) -> str:
        return "all" if self.kind == "all" else f"{self.kind}: {self.value}"


def _passes(query: Filter | None, article: Article, state: UserState | None, now: float) -> bool:
    """Whether ``query`` admits the article (what :meth:`Library.select` tests)."""
    if query is None or query.empty:
        return True
    text = search_text(article) if query.reads_text else ""
    return query(Item(article, state or UserState(), text), now)


@dataclass
class Counts:
    """Unread/total counts for the side panel."""

    total: int = 0
    unread: int = 0
    topics: Counter = field(default_factory=Counter)
    topics_unread: Counter = field(default_factory=Counter)
    feeds: Counter = field(default_factory=Counter)
    feeds_unread: Counter = field(default_factory=Counter)
    tags: Counter = field(default_factory=Counter)
    tags_unread: Counter = field(default_factory=Counter)


class Library:
    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config
        self.articles: dict[str, Article] = {}
        self.states: dict[str, UserState] = {}
        self.ranking = Ranking({}, {})
        self._segment_tokens: dict[int, tuple] = {}
        self._shard_tokens: dict[str, tuple] = {}
        self._catalog_token: tuple | None = None
        # the catalog a partial load read, for the load of the rest if it is unchanged
        self._partial_catalog: Catalog | None = None
        self._token: tuple | None = None
        self._limit: int | None = None
        self._reloading = threading.Lock()
        # all search texts in one UTF-8 string, for finding a word in C (see _containing)
        self._haystack: tuple[dict, bytes, list[int], list[str]] | None = None
        self._sort_columns: tuple | None = None
        #: True while only the newest segments are loaded (see :meth:`load`)
        self.partial = False
        #: True when what is loaded is not the newest segments (load_matching)
        self._reorder = False

    # -- loading

    def load(self, limit: int | None = None) -> None:
        """Read the store. With ``limit``, read only the newest segments that hold at
        least that many articles (``partial`` is then True if there are more): enough
        for a first screen at once; the next :meth:`reload` reads the rest."""
        with self._reloading:
            self._start_over({}, {}, limit)
        self.reload()

    def _start_over(self, articles: dict, tokens: dict, limit: int | None) -> None:
        """What a load starts from (under the reload lock): these articles, read from
        the segments of these tokens, and nothing else known to be read."""
        self.articles = articles
        self._segment_tokens = tokens
        self._shard_tokens.clear()
        self._catalog_token = None
        self._partial_catalog = None
        self._token = None
        self._limit = limit
        self._reorder = False

    def load_matching(
        self, query: Filter | None, sort: str, limit: int | None, now: float | None = None
    ) -> None:
        """Read only the segments that can hold ``select(query, sort)[:limit]`` (all of
        the matches when ``limit`` is None): for `reader list`, `export` and `digest`.

        A segment is left unread when the catalog shows that every article in it is
        older than the query's age term (``@1d``) allows, or, under a sort whose first
        key the catalog holds (newest, importance) and with a limit, when ``limit``
        matches already read rank above all its articles. What is read keeps the order a
        full :meth:`load` gives it, ties included, so :meth:`select` returns the same
        first ``limit`` ids. ``partial`` tells whether segments were left; a
        :meth:`reload` reads them.
        """
        now = time.time() if now is None else now
        catalog = self.store.catalog()
        keyed = _CATALOG_KEYS.get(sort) if limit is not None else None
        newest: dict[int, float] = {}  # segment -> its newest article's `when` (rounded)
        best: dict[int, float] = {}  # segment -> its best first key (rounded)
        for row in catalog.articles.values():
            number, when = row[SEG], row[WHEN]
            if when > newest.get(number, -math.inf):
                newest[number] = when
            if keyed is not None and row[keyed[0]] > best.get(number, -math.inf):
                best[number] = row[keyed[0]]
        on_disk = self.store.segment_numbers()
        numbers = [n for n in on_disk if n in newest]
        if query is not None and query.max_age is not None:
            oldest = now - query.max_age - _WHEN_SLACK
            numbers = [n for n in numbers if newest[n] >= oldest]
        states = self.store.states()
        loaded: dict[int, list[Article]] = {}
        tokens: dict[int, tuple] = {}
        with gc_paused():
            if keyed is None:
                for number in numbers:
                    tokens[number] = self.store.segment_token(number)  # before the read
                    loaded[number] = self._committed(number, catalog)
            elif limit:
                slack = keyed[1]
                numbers.sort(key=best.__getitem__, reverse=True)
                key_of = _first_key(sort)
                found: list[float] = []  # the first keys of the `limit` best matches
                for position, number in enumerate(numbers):
                    tokens[number] = self.store.segment_token(number)  # before the read
                    articles = loaded[number] = self._committed(number, catalog)
                    for article in articles:
                        if _passes(query, article, states.get(article.id), now):
                            key = key_of(article)
                            if len(found) < limit:
                                heapq.heappush(found, key)
                            elif key > found[0]:
                                heapq.heapreplace(found, key)
                    rest = numbers[position + 1 : position + 2]
                    if len(found) == limit and rest and found[0] > best[rest[0]] + slack:
                        break  # every article left ranks below the `limit` found
        articles: dict[str, Article] = {}
        for number in sorted(loaded, reverse=True):  # load()'s order: the newest first
            for article in loaded[number]:
                articles[article.id] = article
        with self._reloading:
            self._start_over(articles, tokens, None)
            self.states = states
            self.partial = len(loaded) < len(on_disk)
            # the segments left may be newer than some read: the reload that reads them
            # puts the articles back in load()'s order (see _reload_articles)
            self._reorder = self.partial
            self._partial_catalog = catalog if self.partial else None
            self.ranking = Ranking.from_catalog(
                catalog, window_days=self.config.importance.window_days
            )

    def _committed(self, number: int, catalog: Catalog) -> list[Article]:
        """The articles of one segment that the catalog places there: the catalog is the
        commit point, a document it does not place in this segment is a leftover of an
        interrupted refresh. Take the segment's token before this read (a refresh that
        rewrites the file meanwhile then changes it, and the next reload reads it again).
        """
        return [a for a in self.store.load_segment(number) if catalog.segment_of(a.id) == number]

    def reload(self) -> Reloaded:
        """Re-read what changed on disk since the last (re)load (and, after a partial
        load, the segments not read yet). One reload at a time."""
        # the first read and the read of the rest are kept for the app's life: frozen out
        # of the collector's sight (a full pass over 100k articles took 0.24 s); later
        # reloads read what changed, and are not (``freeze`` is read under the lock)
        with self._reloading, gc_paused(freeze=self._token is None or self.partial):
            return self._reload()

    def _reload(self) -> Reloaded:
        result = Reloaded()
        token = self.store.change_token()
        if token == self._token and not self.partial:
            return result
        self._token = token
        catalog_token = self._file_token(self.store.catalog_path)
        if catalog_token != self._catalog_token or self.partial:
            unchanged = catalog_token == self._catalog_token
            self._catalog_token = catalog_token
            self._reload_articles(result, self._partial_catalog if unchanged else None)
        shards_changed = False
        for path in self.store.state_files():
            file_token = self._file_token(path)
            if self._shard_tokens.get(path.name) != file_token:
                self._shard_tokens[path.name] = file_token
                shards_changed = True
        if shards_changed:
            self.states = self.store.states()
            result.marks_changed = result.changed = True
        return result

    @staticmethod
    def _file_token(path) -> tuple:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return (0, 0, 0)
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def _reload_articles(self, result: Reloaded, catalog: Catalog | None = None) -> None:
        if catalog is None:
            catalog = self.store.catalog()
        numbers = self.store.segment_numbers()
        for gone in set(self._segment_tokens) - set(numbers):
            del self._segment_tokens[gone]
        limit, self._limit = self._limit, None
        articles = dict(self.articles)  # swapped in at the end
        loaded = 0
        partial = False
        with gc_paused():
            for number in sorted(numbers, reverse=True):  # the newest first
                if limit is not None and loaded >= limit:
                    partial = True
                    break
                token = self.store.segment_token(number)
                if self._segment_tokens.get(number) == token:
                    continue
                self._segment_tokens[number] = token
                for article in self._committed(number, catalog):
                    if article.id not in articles:
                        result.new_ids.append(article.id)
                    articles[article.id] = article
                    loaded += 1
                result.changed = True
            # what the catalog no longer lists is gone (pruned, removed)
            for article_id in [i for i in articles if i not in catalog.articles]:
                del articles[article_id]
                result.removed_ids.append(article_id)
                result.changed = True
            if self._reorder and not partial:
                # after load_matching, older segments may have been read before newer
                # ones: back to load()'s order (the newest segment first), which a sort
                # keeps for articles of equal keys
                articles = dict(sorted(articles.items(), key=lambda item: -item[1].segment))
                self._reorder = False
        self.articles = articles
        self.partial = partial
        self._partial_catalog = catalog if partial else None
        self.ranking = Ranking.from_catalog(catalog, window_days=self.config.importance.window_days)
        if result.new_ids or result.removed_ids:
            result.changed = True

    # -- reading

    def state(self, article_id: str) -> UserState:
        return self.states.get(article_id) or UserState()

    def card(self, article_id: str, now: float | None = None) -> dict:
        now = time.time() if now is None else now
        return card(
            self.articles[article_id], self.state(article_id), now=now, ranking=self.ranking
        )

    def select(
        self,
        query: Filter | None = None,
        sort: str = "worth",
        scope: Scope | None = None,
        now: float | None = None,
    ) -> list[str]:
        """Ids of the articles in ``scope`` that pass ``query``, best first by ``sort``."""
        now = time.time() if now is None else now
        scope = scope or Scope()
        default = UserState()
        articles, states = self.articles, self.states
        filtering = query is not None and not query.empty
        if not filtering and scope.kind == "all":
            chosen = list(articles.values())
        else:
            chosen = []
            pairs: Iterable[tuple[str, Article]] = articles.items()
            if query is not None and query.needles:
                ids = self._containing(max(query.needles, key=len), articles)
                pairs = ((i, articles[i]) for i in ids if i in articles)
            for article_id, article in pairs:
                state = states.get(article_id, default)
                if scope.kind != "all" and not scope.admits(article, state):
                    continue
                if filtering:
                    text = search_text(article) if query.reads_text else ""
                    if not query(Item(article, state, text), now):
                        continue
                chosen.append(article)
        if len(chosen) >= _VECTOR_SORT_FROM and sort in _VECTOR_SORTS:
            return self._sorted_ids(articles, chosen, sort, now)
        chosen.sort(key=sort_key(sort, now))
        return [a.id for a in chosen]

    def _columns(self, articles: dict) -> tuple:
        """The sort keys of every article as numpy columns, once per version of
        ``articles``: (articles, ids, position by id, when, score, half-life hours)."""
        import numpy as np

        cached = self._sort_columns
        if cached is not None and cached[0] is articles:
            return cached
        ids = list(articles)
        values = articles.values()
        when = np.fromiter((a.when for a in values), np.float64, len(ids))
        score = np.fromiter(
            (a.importance.score if a.importance else 0.0 for a in values), np.float64, len(ids)
        )
        hours = np.fromiter(
            (a.halflife.hours if a.halflife else 24.0 for a in values), np.float64, len(ids)
        )
        position = {article_id: n for n, article_id in enumerate(ids)}
        self._sort_columns = (articles, ids, position, when, score, hours)
        return self._sort_columns

    def _sorted_ids(self, articles: dict, chosen: list[Article], sort: str, now: float):
        """``sort_key``'s order, computed with numpy: the same keys (see
        :func:`reader.query.sort_key`), ties kept in the same order (a stable sort)."""
        import numpy as np

        _articles, ids, position, when, score, hours = self._columns(articles)
        if len(chosen) == len(ids):
            rows = np.arange(len(ids))
        else:
            rows = np.fromiter((position[a.id] for a in chosen), np.int64, len(chosen))
        when, score, hours = when[rows], score[rows], hours[rows]
        if sort == "newest":
            order = np.argsort(-when, kind="stable")
        elif sort == "importance":
            order = np.lexsort((-when, -score))
        else:
            ratio = np.maximum(now - when, 0.0) / 3600.0 / np.maximum(hours, 1e-9)
            if sort == "freshness":
                order = np.lexsort((-when, ratio))
            else:  # worth: importance weighted by the value left at this age
                order = np.lexsort((-when, -(score * np.power(0.5, ratio))))
        return [ids[n] for n in rows[order].tolist()]

    def prepare_search(self) -> None:
        """Build the search index and sort columns now (the app does it in its worker
        after a load, not on the first keystroke)."""
        articles = self.articles
        self._search_index(articles)
        if len(articles) >= _VECTOR_SORT_FROM:
            self._columns(articles)

    def _search_index(self, articles: dict) -> tuple[dict, bytes, list[int], list[str]]:
        """Every article's search text in one UTF-8 string (NUL between them), with
        where each starts; built once per version of ``articles`` (~0.1 s for 100k),
        and smaller than a string per article."""
        index = self._haystack
        if index is None or index[0] is not articles:
            ids = list(articles)
            encoded = [search_text(articles[i]).encode("utf-8", "replace") for i in ids]
            starts, position = [], 0
            for text in encoded:
                starts.append(position)
                position += len(text) + 1
            index = (articles, b"\x00".join(encoded), starts, ids)
            self._haystack = index
        return index

    def _containing(self, needle: str, articles: dict) -> list[str]:
        """Ids of the articles whose search text contains ``needle``: one ``find`` scan
        of all texts joined (a 100k store in tens of ms), not a Python loop; what it
        returns is then tested against the whole filter."""
        _articles, haystack, starts, ids = self._search_index(articles)
        wanted = needle.encode("utf-8", "replace")
        found = []
        position = haystack.find(wanted)
        while position >= 0:
            record = bisect.bisect_right(starts, position) - 1
            found.append(ids[record])
            following = record + 1
            if following == len(starts):
                break
            position = haystack.find(wanted, starts[following])
        return found

    def counts(self) -> Counts:
        counts = Counts()
        default = UserState()
        for article_id, article in self.articles.items():
            state = self.states.get(article_id, default)
            unread = not state.read
            counts.total += 1
            counts.unread += unread
            for topic in article.topics:
                counts.topics[topic] += 1
                counts.topics_unread[topic] += unread
            counts.feeds[article.feed] += 1
            counts.feeds_unread[article.feed] += unread
            for tag in state.tags:
                counts.tags[tag] += 1
                counts.tags_unread[tag] += unread
        return counts

    def all_tags(self) -> list[str]:
        """Every tag in use, most used first (for completion)."""
        usage: Counter = Counter()
        for state in self.states.values():
            usage.update(state.tags)
        for feed in self.config.feeds:
            usage.update(dict.fromkeys(feed.tags, 0))
        return [tag for tag, _n in usage.most_common()]

    # -- writing the reader's marks

    def change(self, changes: Iterable[StateChange]) -> dict[str, UserState]:
        """Apply mark changes to the store (under its lock) and to this copy."""
        changes = list(changes)
        result = self.store.change_state(changes)
        states = dict(self.states)  # runs in the writer thread: never change in place
        states.update(result)
        for article_id, state in result.items():
            if state.is_default:
                states.pop(article_id, None)
        self.states = states
        return result

    def apply_locally(self, changes: Iterable[StateChange]) -> None:
        """Show changes before the store confirms them (the write follows at once)."""
        states = dict(self.states)
        for change in changes:
            after = change.apply(states.get(change.article_id) or UserState())
            if after.is_default:
                states.pop(change.article_id, None)
            else:
                states[change.article_id] = after
        self.states = states
