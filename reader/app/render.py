"""Rich ``Text`` for list rows and the card. Feed text is only ever appended as plain text.

Every string that came from a feed (titles, sources, summaries, tags, links) goes
through :func:`safe` (``text.clean_inline``: no escape sequences, no control characters)
and into ``Text.append(str, style)``: Rich and Textual never parse it as markup, so a
title reading ``[bold]`` or ``[@click=app.quit]`` is shown as those very characters.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from reader.app.i18n import Labels
from reader.models import Article, UserState
from reader.text import clean_block, clean_inline

FRESH_STYLES = {
    "fresh": "bold green",
    "ok": "cyan",
    "fading": "yellow",
    "stale": "dim",
}
STAR_STYLE = "bold yellow"
SOURCE_WIDTH = 16
TAGS_WIDTH = 18


def safe(value: object, max_length: int | None = None) -> str:
    return clean_inline("" if value is None else str(value), max_length=max_length)


def safe_block(value: str | None) -> str:
    """Multi-line feed text (an article body) made safe; newlines kept."""
    return clean_block(value or "")


def age(seconds: float) -> str:
    seconds = max(seconds, 0)
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    if seconds < 86400 * 60:
        return f"{int(seconds // 86400)}d"
    if seconds < 86400 * 730:
        return f"{int(seconds // (86400 * 30))}mo"
    return f"{int(seconds // (86400 * 365))}y"


def stars(count: int) -> Text:
    count = max(0, min(count, 5))
    text = Text("★" * count, style=STAR_STYLE)
    text.append("·" * (5 - count), style="dim")
    return text


def fit(text: Text, width: int) -> Text:
    """Cut (with …) or pad a Text to exactly ``width`` cells."""
    text = text.copy()
    text.truncate(max(width, 0), overflow="ellipsis", pad=True)
    return text


def row(
    article: Article,
    state: UserState,
    *,
    now: float,
    width: int,
    freshness_label: str | None,
    marked: bool = False,
    story: tuple[int, list[str]] | None = None,
    labels: Labels,
) -> Text:
    """One line of the article list."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append("▌" if marked else " ", style="bold magenta")
    line.append("●" if not state.read else " ", style="bold cyan")
    line.append("⚑" if state.starred else " ", style="bold red")
    line.append(" ")
    line.append_text(stars(article.importance.stars if article.importance else 1))
    line.append(" ")
    label = freshness_label or ""
    line.append(f"{labels[label] if label else '':<6}"[:6], style=FRESH_STYLES.get(label, ""))
    line.append(" ")
    used = cell_len(line.plain)
    show_source = width >= 90
    show_tags = width >= 110 and bool(state.tags)
    tail = Text()
    if story is not None:
        count, langs = story
        tail.append(f" ×{count}", style="bold magenta")
        if langs:
            tail.append(" " + " ".join(langs[:4]), style="magenta")
    if show_tags:
        tags = safe(" ".join(f"#{t}" for t in state.tags), TAGS_WIDTH)
        tail.append(" " + tags, style="green")
    if show_source:
        tail.append(" ")
        tail.append_text(fit(Text(safe(article.source), style="blue"), SOURCE_WIDTH))
    tail.append(f" {age(now - article.when):>4}", style="dim")
    tail.append(f" {(article.lang or '??'):>2}", style="dim")
    title_width = max(width - used - cell_len(tail.plain), 8)
    title = Text(safe(article.title), style="bold" if not state.read else "")
    line.append_text(fit(title, title_width))
    line.append_text(tail)
    return line


def _field(text: Text, name: str, width: int = 12) -> None:
    text.append(f" {name:<{width}}", style="bold dim")


def card(
    data: dict,
    *,
    labels: Labels,
    width: int,
    related_titles: list[tuple[str, str]] | None = None,
) -> Text:
    """The card of CARD.md from a card dict (``reader.card.card``)."""
    text = Text()
    topic = safe(data.get("topic"))
    fresh = (data.get("freshness") or {}).get("label")
    head = Text(f" {topic}", style="bold magenta")
    if fresh:
        badge = f"{labels[fresh]}"
        pad = max(width - cell_len(head.plain) - cell_len(badge) - 2, 1)
        head.append(" " * pad)
        head.append(badge, style=FRESH_STYLES.get(fresh, ""))
    text.append_text(head)
    text.append("\n")
    text.append(" " + safe(data.get("title")), style="bold")
    text.append("\n")
    rule = "─" * max(width - 2, 10)
    text.append(f" {rule}\n", style="dim")
    text.append(f" {labels['summary']}\n", style="bold dim")
    summary = data.get("summary") or []
    if summary:
        for line in summary:
            text.append("  • ")
            text.append(safe(line))
            text.append("\n")
    else:
        text.append("  " + labels["no_summary"] + "\n", style="dim")
    text.append(f" {rule}\n", style="dim")

    _field(text, labels["source"])
    text.append(safe(data.get("source")), style="blue")
    tier = data.get("tier")
    text.append(f"  T{tier} {labels[f'tier_{tier}']}", style="dim")
    avg = data.get("source_avg_stars")
    if avg is not None:
        text.append(f"   {labels['source_avg']} {avg:.1f}", style="dim")
    text.append("\n")

    _field(text, labels["type"])
    text.append(labels[data.get("type") or "other"])
    lang = data.get("lang")
    text.append(f"   {labels['language']} ", style="dim")
    text.append((lang or "?").upper())
    text.append("\n")

    importance = data.get("importance")
    _field(text, labels["importance"])
    if importance:
        text.append_text(stars(importance["stars"]))
        text.append(" " + labels[f"star_{importance['stars']}"])
        percentile = importance.get("percentile")
        if percentile is not None:
            if percentile == 100 and data.get("_topic_size", 0) == 1:
                rank = labels.f("only_in", topic=safe(importance.get("topic")))
            else:
                rank = labels.f("top_in", p=percentile, topic=safe(importance.get("topic")))
            text.append(f"  ({rank})", style="dim")
    else:
        text.append(labels["none"], style="dim")
    text.append("\n")

    halflife = data.get("halflife")
    _field(text, labels["halflife"])
    if halflife:
        text.append("⏱ " + labels[halflife["class"]])
        text.append(f" ({safe(halflife['reason'])})", style="dim")
    else:
        text.append(labels["none"], style="dim")
    text.append("\n")

    _field(text, labels["collected"])
    text.append(_local_time(data.get("collected")))
    if data.get("published"):
        text.append(f"   {labels['published']} ", style="dim")
        text.append(_local_time(data.get("published")))
    text.append("\n")

    _field(text, labels["tags"])
    tags = data.get("tags") or []
    text.append(safe(", ".join(tags)) if tags else labels["none"], style="green" if tags else "dim")
    text.append("\n")

    _field(text, labels["related"])
    related = related_titles or []
    if related:
        langs = sorted({lang for lang, _t in related if lang})
        text.append(labels.f("related_n", n=len(related)))
        if langs:
            text.append(": " + ", ".join(langs), style="dim")
        for lang, title in related[:5]:
            text.append("\n" + " " * 14)
            text.append(f"{(lang or '??'):<3}", style="dim")
            text.append(safe(title, max_length=max(width - 20, 10)))
    else:
        text.append(labels["none"], style="dim")
    text.append("\n")

    _field(text, labels["link"])
    text.append(
        safe(data.get("link")) or labels["none"], style="underline" if data.get("link") else "dim"
    )
    text.append(f"  {labels['link_keys']}", style="dim")
    return text


def _local_time(value: str | None) -> str:
    """ISO UTC from the card -> the local time zone, 'YYYY-MM-DD HH:MM'."""
    if not value:
        return "—"
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return safe(value)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
