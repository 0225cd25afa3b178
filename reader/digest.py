"""The morning digest: the top stories of a period, one block per story (pure).

A story is a group of articles that report the same event (their ``related`` links,
grouped by :func:`reader.cluster.stories`). The chosen articles come in best first (by
importance, as ``reader digest`` selects them), so each story's first article, its
lead, is its most important report; stories are ranked by their lead. A block shows the
lead's title and link, every source and language that reported the story, the lead's
stars and freshness, its three-line summary, and the other reports, one line each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from reader.cluster import stories as group_stories
from reader.export import card_facts, md_escape, md_link, safe_url, stars_text
from reader.models import TIER_LABELS
from reader.text import clean_inline, counted

#: Other reports listed under a story; the rest are counted.
MAX_ALSO = 6


@dataclass(frozen=True)
class Story:
    cards: list[dict]  # the lead first, then the other reports, best first

    @property
    def lead(self) -> dict:
        return self.cards[0]

    @property
    def sources(self) -> list[tuple[str, int]]:
        """(source, tier) of every report, best tier first, each source once."""
        seen: dict[str, int] = {}
        for card in self.cards:
            name = clean_inline(card.get("source") or card.get("feed") or "")
            seen.setdefault(name, card.get("tier") or 3)
        return sorted(seen.items(), key=lambda item: item[1])

    @property
    def languages(self) -> list[str]:
        return list(dict.fromkeys(c["lang"] for c in self.cards if c.get("lang")))

    def to_json(self) -> dict:
        return {
            "lead": self.lead,
            "sources": [{"source": s, "tier": t} for s, t in self.sources],
            "languages": self.languages,
            "articles": len(self.cards),
            "others": self.cards[1:],
        }


def top_stories(cards: list[dict], limit: int | None = None) -> list[Story]:
    """Group ``cards`` (best first) into stories, best lead first; at most ``limit``."""
    chosen = {card["id"]: card for card in cards}
    related = {
        card["id"]: [r for r in card.get("related") or () if r in chosen and r != card["id"]]
        for card in cards
    }
    rows = group_stories(related)
    result = [Story([chosen[i] for i in row]) for row in rows]
    return result[:limit] if limit is not None else result


def _when(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _sources_line(story: Story) -> str:
    return ", ".join(f"{name} (T{tier})" for name, tier in story.sources)


def _heading(stories: list[Story], articles: int, since: str, now: float) -> str:
    return (
        f"halflife digest: {len(stories)} top "
        f"{'story' if len(stories) == 1 else 'stories'} of the last {since} "
        f"({counted(articles, 'article')}, {_when(now)})"
    )


def render_text(stories: list[Story], *, articles: int, since: str, now: float) -> str:
    """Plain text for a terminal or a mail body (no markup, no escape sequences)."""
    out = [_heading(stories, articles, since, now), ""]
    if not stories:
        out.append("Nothing new in that period.")
    for number, story in enumerate(stories, start=1):
        lead = story.lead
        importance = lead.get("importance") or {}
        stars = stars_text(importance.get("stars"))
        label = f"{stars} {importance.get('label', '')}".strip()
        out.append(f"{number}. {clean_inline(lead.get('title')) or '(untitled)'}")
        indent = " " * (len(str(number)) + 2)
        facts = [label] if label else []
        freshness = lead.get("freshness")
        if freshness:
            facts.append(freshness["label"])
        if lead.get("topic"):
            facts.append(clean_inline(lead["topic"]))
        if facts:
            out.append(indent + " · ".join(facts))
        reports = f"{len(story.cards)} reports" if len(story.cards) > 1 else "1 report"
        languages = ", ".join(story.languages) or "?"
        out.append(f"{indent}{_sources_line(story)} · {languages} · {reports}")
        link = clean_inline(lead.get("link"))
        if link:
            out.append(indent + link)
        for line in lead.get("summary") or ():
            if clean_inline(line):
                out.append(f"{indent}• {clean_inline(line)}")
        others = story.cards[1:]
        for card in others[:MAX_ALSO]:
            source = clean_inline(card.get("source") or card.get("feed"))
            lang = f"[{card['lang']}] " if card.get("lang") else ""
            out.append(f"{indent}+ {lang}{clean_inline(card.get('title'))} ({source})")
            if card.get("link"):
                out.append(f"{indent}  {clean_inline(card['link'])}")
        if len(others) > MAX_ALSO:
            out.append(f"{indent}+ {len(others) - MAX_ALSO} more")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def render_markdown(stories: list[Story], *, articles: int, since: str, now: float) -> str:
    """Markdown for notes or an HTML mail: every feed string escaped, links http(s) only."""
    out = [f"# {md_escape(_heading(stories, articles, since, now))}", ""]
    if not stories:
        out += ["Nothing new in that period.", ""]
    for number, story in enumerate(stories, start=1):
        lead = story.lead
        out.append(f"## {number}\\. {md_link(lead.get('title') or '', lead.get('link'))}")
        out.append("")
        out.append(" · ".join(md_escape(fact) for fact in card_facts(lead, now)))
        out.append("")
        sources = ", ".join(
            f"{md_escape(name)} (T{tier} {TIER_LABELS.get(tier, '')})".rstrip()
            for name, tier in story.sources
        )
        languages = ", ".join(md_escape(lang) for lang in story.languages) or "?"
        out.append(f"**Sources:** {sources} · **Languages:** {languages}")
        summary = [s for s in (lead.get("summary") or ()) if clean_inline(s)]
        if summary:
            out.append("")
            out += [f"- {md_escape(line)}" for line in summary]
        others = story.cards[1:]
        if others:
            out += ["", "Also reported:", ""]
            for card in others[:MAX_ALSO]:
                lang = f"\\[{md_escape(card['lang'])}\\] " if card.get("lang") else ""
                source = md_escape(card.get("source") or card.get("feed"))
                out.append(
                    f"- {lang}{md_link(card.get('title') or '', card.get('link'))} ({source})"
                )
            if len(others) > MAX_ALSO:
                out.append(f"- … and {len(others) - MAX_ALSO} more")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


__all__ = ["Story", "render_markdown", "render_text", "safe_url", "top_stories"]
