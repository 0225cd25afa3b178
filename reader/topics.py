"""Topic rules (pure): the feed gives an article its topic; rules can move it or add more.

A rule from feeds.toml::

    [[topic]]
    name = "Open models"
    keywords = ["open-weight", "open weights", "オープンモデル", "modèle ouvert", "offenes Modell"]
    patterns = ['\\bLlama[- ]?\\d']
    move = true          # a match makes it the article's main topic (default: only added)

Keywords match case-insensitively on the title and the start of the text; a keyword in a
script written with spaces matches whole words only ("AI" does not match "said"), one in
Chinese or Japanese matches anywhere. Patterns are Python regular expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: How much of the text topic rules read, after the title.
TEXT_CHARS = 2000

_SPACELESS = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u0e00-\u0e7f]")


@dataclass(frozen=True)
class TopicRule:
    name: str
    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    move: bool = False


def keyword_pattern(keywords: tuple[str, ...] | list[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex for a keyword list (whole words where words have spaces)."""
    parts = []
    for keyword in keywords:
        keyword = keyword.strip()
        if not keyword:
            continue
        escaped = re.escape(keyword)
        if _SPACELESS.search(keyword):
            parts.append(escaped)
        else:
            parts.append(rf"(?<!\w){escaped}(?!\w)")
    if not parts:
        return None
    return re.compile("|".join(parts), re.IGNORECASE)


class TopicMatcher:
    """Compiled topic rules."""

    def __init__(self, rules: tuple[TopicRule, ...] | list[TopicRule]) -> None:
        self.rules = []
        for rule in rules:
            compiled = [p for p in (keyword_pattern(rule.keywords),) if p is not None]
            compiled += [re.compile(p, re.IGNORECASE) for p in rule.patterns]
            self.rules.append((rule, compiled))

    def assign(self, feed_topic: str, title: str, text: str) -> tuple[str, tuple[str, ...]]:
        """(main topic, all topics): the first matching ``move`` rule wins the main topic."""
        haystack = f"{title}\n{text[:TEXT_CHARS]}"
        main = feed_topic
        matched: list[str] = []
        moved = False
        for rule, compiled in self.rules:
            if any(p.search(haystack) for p in compiled):
                matched.append(rule.name)
                if rule.move and not moved:
                    main, moved = rule.name, True
        topics = [main, feed_topic, *matched]
        return main, tuple(dict.fromkeys(topics))


def count_keywords(pattern: re.Pattern[str] | None, title: str, text: str) -> int:
    """Distinct keywords of the reader's list found in the title and start of the text."""
    if pattern is None:
        return 0
    found = {m.group(0).lower() for m in pattern.finditer(f"{title}\n{text[:TEXT_CHARS]}")}
    return len(found)
