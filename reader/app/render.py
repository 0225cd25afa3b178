"""Rich ``Text`` for list rows and the card. Feed text is only ever appended as plain text.

Every string that came from a feed (titles, sources, summaries, tags, links) goes
through :func:`safe` (``text.clean_inline``: no escape sequences, no control characters)
and into ``Text.append(str, style)``: Rich and Textual never parse it as markup, so a
title reading ``[bold]`` or ``[@click=app.quit]`` is shown as those very characters.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Group
from rich.table import Table
from rich.text import Text

from reader.app.i18n import Labels
from reader.export import age
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
            more = f" +{len(langs) - 4}" if len(langs) > 4 else ""
            tail.append(" " + " ".join(langs[:4]) + more, style="magenta")
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


def card(
    data: dict,
    *,
    labels: Labels,
    width: int,
    related_titles: list[tuple[str, str]] | None = None,
    topic_size: int | None = None,
) -> Group:
    """The card of CARD.md from a card dict (``reader.card.card``)."""
    topic = safe(data.get("topic"))
    fresh = (data.get("freshness") or {}).get("label")
    head = Text(f" {topic}", style="bold magenta", no_wrap=True, overflow="ellipsis")
    if fresh:
        badge = labels[fresh]
        pad = max(width - cell_len(head.plain) - cell_len(badge) - 1, 1)
        head.append(" " * pad)
        head.append(badge, style=FRESH_STYLES.get(fresh, ""))
    title = Text(" " + safe(data.get("title")), style="bold")
    rule = Text(" " + "─" * max(width - 2, 10), style="dim", no_wrap=True, overflow="crop")

    summary = Table.grid(padding=(0, 1))
    summary.add_column(width=3, justify="right")
    # fold, not ellipsis: a line of Japanese or Chinese has no space to wrap at
    summary.add_column(ratio=1, overflow="fold")
    lines = data.get("summary") or []
    for line in lines:
        summary.add_row("•", Text(safe(line)))
    if not lines:
        summary.add_row("", Text(labels["no_summary"], style="dim"))

    fields = Table.grid(padding=(0, 1), pad_edge=True)
    fields.add_column(style="bold dim", no_wrap=True, min_width=11)
    fields.add_column(ratio=1, overflow="fold")

    source = Text(safe(data.get("source")), style="blue")
    tier = data.get("tier")
    source.append(f"  T{tier} {labels[f'tier_{tier}']}", style="dim")
    avg = data.get("source_avg_stars")
    if avg is not None:
        source.append(f"   {labels['source_avg']} {avg:.1f}", style="dim")
    fields.add_row(labels["source"], source)

    kind = Text(labels[data.get("type") or "other"])
    kind.append(f"   {labels['language']} ", style="dim")
    kind.append((data.get("lang") or "?").upper())
    fields.add_row(labels["type"], kind)

    importance = data.get("importance")
    value = Text()
    if importance:
        value.append_text(stars(importance["stars"]))
        value.append(" " + labels[f"star_{importance['stars']}"])
        percentile = importance.get("percentile")
        if percentile is not None:
            name = safe(importance.get("topic"))
            if topic_size == 1:
                rank = labels.f("only_in", topic=name)
            else:
                rank = labels.f("top_in", p=percentile, topic=name)
            value.append(f"  ({rank})", style="dim")
    else:
        value.append(labels["none"], style="dim")
    fields.add_row(labels["importance"], value)

    halflife = data.get("halflife")
    value = Text()
    if halflife:
        value.append("⏱ " + labels[halflife["class"]])
        value.append(f" ({labels[safe(halflife['reason'])]})", style="dim")
    else:
        value.append(labels["none"], style="dim")
    fields.add_row(labels["halflife"], value)

    value = Text(_local_time(data.get("collected")))
    if data.get("published"):
        value.append(f"   {labels['published']} ", style="dim")
        value.append(_local_time(data.get("published")))
    fields.add_row(labels["collected"], value)

    tags = data.get("tags") or []
    fields.add_row(
        labels["tags"],
        Text(safe(", ".join(tags)), style="green") if tags else Text(labels["none"], style="dim"),
    )

    related = related_titles or []
    value = Text()
    if related:
        langs = sorted({lang for lang, _t in related if lang})
        value.append(labels.f("related_n", n=len(related)))
        if langs:
            value.append(": " + ", ".join(langs), style="dim")
        for lang, other in related[:5]:
            value.append(f"\n{(lang or '??'):<3}", style="dim")
            value.append(safe(other))
    else:
        value.append(labels["none"], style="dim")
    fields.add_row(labels["related"], value)

    link = data.get("link")
    value = Text(safe(link), style="underline") if link else Text(labels["none"], style="dim")
    value.append(f"  {labels['link_keys']}", style="dim")
    fields.add_row(labels["link"], value)

    return Group(
        head, title, rule, Text(" " + labels["summary"], style="bold dim"), summary, rule, fields
    )


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
