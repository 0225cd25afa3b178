"""The store in memory, for views: articles, marks and ranking, kept in step with the store.

The app reads only through a :class:`Library`. ``load()`` reads everything once;
``reload()`` is cheap when nothing changed (a few ``stat`` calls) and re-reads only the
segments and mark shards whose files changed, so a ``reader refresh`` from cron shows up
in an open app within seconds without a full reload.

No Textual here: the library is plain Python, tested on its own.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from reader.card import Ranking, card
from reader.config import Config
from reader.models import Article, StateChange, UserState
from reader.query import Filter, Item, search_text, sort_key
from reader.store import Store


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
        self.texts: dict[str, str] = {}
        self.ranking = Ranking({}, {})
        self._segment_tokens: dict[int, tuple] = {}
        self._shard_tokens: dict[str, tuple] = {}
        self._catalog_token: tuple | None = None
        self._token: tuple | None = None

    # -- loading

    def load(self) -> None:
        self.articles.clear()
        self.texts.clear()
        self._segment_tokens.clear()
        self._shard_tokens.clear()
        self._catalog_token = None
        self._token = None
        self.reload()

    def reload(self) -> Reloaded:
        """Re-read what changed on disk since the last (re)load."""
        result = Reloaded()
        token = self.store.change_token()
        if token == self._token:
            return result
        self._token = token
        catalog_token = self._file_token(self.store.catalog_path)
        if catalog_token != self._catalog_token:
            self._catalog_token = catalog_token
            self._reload_articles(result)
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

    def _reload_articles(self, result: Reloaded) -> None:
        catalog = self.store.catalog()
        numbers = set(self.store.segment_numbers())
        for gone in set(self._segment_tokens) - numbers:
            del self._segment_tokens[gone]
        for number in sorted(numbers):
            token = self.store.segment_token(number)
            if self._segment_tokens.get(number) == token:
                continue
            self._segment_tokens[number] = token
            for article in self.store.load_segment(number):
                if article.id not in self.articles:
                    result.new_ids.append(article.id)
                self.articles[article.id] = article
                self.texts[article.id] = search_text(article)
            result.changed = True
        # the catalog is the commit point: what it does not list is gone (pruned) or an
        # orphan of an interrupted refresh
        for article_id in [i for i in self.articles if i not in catalog.articles]:
            del self.articles[article_id]
            self.texts.pop(article_id, None)
            result.removed_ids.append(article_id)
            result.changed = True
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
        chosen = []
        for article_id, article in self.articles.items():
            state = self.states.get(article_id, default)
            if scope.kind != "all" and not scope.admits(article, state):
                continue
            if (
                query is not None
                and not query.empty
                and not query(Item(article, state, self.texts[article_id]), now)
            ):
                continue
            chosen.append(article)
        chosen.sort(key=sort_key(sort, now))
        return [a.id for a in chosen]

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
        self.states.update(result)
        for article_id, state in result.items():
            if state.is_default:
                self.states.pop(article_id, None)
        return result

    def apply_locally(self, changes: Iterable[StateChange]) -> None:
        """Show changes before the store confirms them (the write follows at once)."""
        for change in changes:
            after = change.apply(self.state(change.article_id))
            if after.is_default:
                self.states.pop(change.article_id, None)
            else:
                self.states[change.article_id] = after
