"""The ``reader`` command. Imports only what each subcommand needs, when it needs it.

Exit codes, the same for every command: 0 ok; 1 failure or partial failure (some feeds
failed and the others were stored, a URL that is not a feed, a repair that could not
save everything); 2 usage or configuration error (a bad filter, an unknown feed, a
destructive command without --yes and without a terminal to ask on); 3 the store stayed
locked by another process past --wait.

Output follows Unix conventions: results on stdout (plain, one item a line when piped;
--json/--jsonl/--format for scripts), messages and errors on stderr, one line each.
Destructive commands (remove, prune, doctor) ask on a terminal and take --yes.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

import click

from reader import __version__
from reader.errors import ConfigError, ReaderError, UsageError

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3

EXIT_CODES_HELP = """\b
Exit codes (every command):
  0  ok
  1  failure or partial failure (some feeds failed; the others were stored)
  2  usage or configuration error (also: remove/prune/doctor without --yes and no terminal)
  3  the store was locked by another process past --wait"""

SHELL_COMPLETION_HELP = """\b
Shell completion: eval "$(_READER_COMPLETE=bash_source reader)" in ~/.bashrc
  (zsh: zsh_source in ~/.zshrc; fish: _READER_COMPLETE=fish_source reader | source)"""


class Context:
    """Global options, and the config/store they lead to, loaded on first use."""

    def __init__(self, config_path: str | None, db_path: str | None, wait: float | None) -> None:
        self.config_option = config_path
        self.db_option = db_path
        self.wait_option = wait
        self._config = None
        self._store = None

    def config_file(self) -> tuple[Path | None, list[Path]]:
        from reader.config import find_config

        return find_config(self.config_option)

    def config(self, *, required: bool = True):
        from reader.config import Config, load_config

        if self._config is None:
            found, tried = self.config_file()
            if found is None:
                if self.config_option is not None:
                    raise ConfigError(f"{tried[0]}: no such file")
                if required:
                    looked = ", ".join(str(p) for p in tried)
                    raise ConfigError(f"no feeds.toml found (looked in: {looked}); see --help")
                self._config = Config(path=None)
            else:
                self._config = load_config(found)
        return self._config

    def store_path(self) -> Path:
        from reader.locations import default_store_path

        if self.db_option:
            return Path(self.db_option).expanduser()
        config = self.config(required=False)
        if config.store.path:
            path = Path(config.store.path).expanduser()
            if not path.is_absolute() and config.path is not None:
                path = config.path.parent / path
            return path
        return default_store_path()

    def wait(self) -> float:
        if self.wait_option is not None:
            return self.wait_option
        return self.config(required=False).store.wait

    def store(self, *, create: bool = True):
        from reader.store import Store

        if self._store is None:
            self._store = Store.open(self.store_path(), wait=self.wait(), create=create)
        return self._store

    def config_path_for_edit(self) -> Path:
        """The feeds.toml that add/import/remove edit: the one in use, else a new one at
        --config or in the XDG config dir."""
        found, tried = self.config_file()
        return found if found is not None else tried[0]

    def library(self, query=None, sort: str = "newest", limit: int | None = None, now=None):
        """The stored articles with their marks, in memory (what the app reads): all of
        them, or with ``query``, those of the segments that can hold what
        ``select(query, sort)[:limit]`` returns (see Library.load_matching)."""
        from reader.library import Library

        library = Library(self.store(), self.config(required=False))
        if query is None:
            library.load()
        else:
            library.load_matching(query, sort, limit, now)
        return library


def _where_help() -> str:
    from reader.config import find_config
    from reader.locations import default_store_path

    found, tried = find_config(None)
    lines = ["\b", "Configuration (first found wins; --config overrides):"]
    for path in tried:
        mark = "found" if path == found else "not found"
        lines.append(f"  {path}  ({mark})")
    lines.append(f"Store (--db or [store] path override): {default_store_path()}")
    return "\n".join(lines)


class _ReaderLeft(Exception):
    """Whoever read our output went away (`reader list | head`): a BrokenPipeError of a
    write to stdout, in a type click lets through (it turns an EPIPE OSError into exit
    code 1). Only :func:`_stdout` raises it: a broken pipe elsewhere stays an error."""


@contextlib.contextmanager
def _stdout():
    """The stream a command writes its output to: click's (UTF-8 even when Python's
    stdout is ASCII, as for click.echo), and a reader that stops reading ends the
    command quietly, with exit code 0."""
    try:
        yield click.get_text_stream("stdout")
    except BrokenPipeError as exc:
        raise _ReaderLeft() from exc


class ReaderGroup(click.Group):
    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_paragraph()
        for block in (_where_help(), EXIT_CODES_HELP, SHELL_COMPLETION_HELP):
            formatter.write(click.wrap_text(block, preserve_paragraphs=True))
            formatter.write("\n\n")


@click.group(cls=ReaderGroup, invoke_without_command=True)
@click.option("--config", "config_path", metavar="PATH", help="feeds.toml to use.")
@click.option("--db", "db_path", metavar="PATH", help="Store directory to use.")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="How long to wait for another process's store lock (default 30).",
)
@click.version_option(__version__, prog_name="halflife")
@click.pass_context
def main_group(ctx: click.Context, config_path: str | None, db_path: str | None, wait) -> None:
    """halflife: a terminal news reader that knows what matters and what is still fresh.

    `reader` alone opens the app; `reader refresh` fetches the feeds of feeds.toml.
    """
    ctx.obj = Context(config_path, db_path, wait)
    if ctx.invoked_subcommand is None:
        _run_app(ctx.obj)


def _run_app(obj: Context) -> None:
    """`reader` alone opens the app on the store that `reader refresh` fills."""
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        raise click.UsageError("the app needs a terminal; see `reader --help` for the commands")
    config = obj.config(required=False)
    store = obj.store()
    from reader.app import make_app

    make_app(store, config).run()


# --- refresh ---------------------------------------------------------------------------


def _complete_feed_names(ctx: click.Context, _param, incomplete: str):
    """Shell completion of feed names, from the feeds.toml the command line points at."""
    from click.shell_completion import CompletionItem

    try:
        from reader.config import find_config, load_config

        found, _tried = find_config(ctx.find_root().params.get("config_path"))
        if found is None:
            return []
        names = [f.name or f.url for f in load_config(found).feeds]
    except Exception:  # completion must never print a traceback into the shell
        return []
    folded = incomplete.casefold()
    return [CompletionItem(n) for n in names if n.casefold().startswith(folded)]


@main_group.command()
@click.option(
    "--feed",
    "feeds",
    multiple=True,
    metavar="NAME",
    shell_complete=_complete_feed_names,
    help="Only this feed (repeatable).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Fetch every feed now, due or not (still asking the server whether it changed).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only failures (for cron).")
@click.pass_obj
def refresh(obj: Context, feeds: tuple[str, ...], force: bool, quiet: bool) -> None:
    """Fetch the feeds that are due and store their new articles.

    With [store] keep_days set, articles older than that are pruned at the end, as by
    `reader prune` (never tagged or starred ones).
    """
    config = obj.config()
    if not config.feeds:
        raise ConfigError(f"{config.path}: no [[feed]] tables: nothing to refresh")
    store = obj.store()
    if feeds:
        known = {f.name for f in config.feeds if f.name} | {f.url for f in config.feeds}
        known |= {r.name for r in store.feed_records().values() if r.name}
        unknown = [name for name in feeds if name not in known]
        if unknown:
            raise ConfigError(f"--feed {unknown[0]!r}: no such feed in {config.path}")
    else:
        from reader import pool

        if pool.needs_pool_now(config, config.feeds, store.feed_records()):
            # a first refresh: the parse workers' forkserver loads the parser and the
            # language model while this process imports the rest and starts fetching
            pool.start_forkserver()
    from reader.refresh import refresh as run_refresh

    printer = _RefreshPrinter(quiet=quiet)
    with printer:
        report = run_refresh(
            store,
            config,
            force=force,
            only=list(feeds) or None,
            on_outcome=printer.outcome,
            on_start=printer.start,
        )
    if not quiet or report.failed:
        printer.line(report.summary_line())
    keep_days = config.store.keep_days
    if keep_days > 0:
        from reader.maintenance import DAY, prune

        removal, _plan = prune(store, keep_days * DAY)
        if removal.removed and not quiet:
            from reader.text import counted

            printer.line(
                f"pruned {counted(len(removal.removed), 'article')} older than {keep_days} days "
                "([store] keep_days; tagged and starred ones are kept)"
            )
    sys.exit(EXIT_PARTIAL if report.failed else EXIT_OK)


class _RefreshPrinter:
    """A Rich progress bar on a terminal; plain lines otherwise (cron mail stays readable)."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stdout.isatty() and not quiet
        self.progress = None
        self.task = None

    def __enter__(self):
        if self.tty:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.progress = Progress(
                TextColumn("refreshing"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[last]}"),
                transient=True,
            )
            self.progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)

    def start(self, total: int) -> None:
        if self.progress is not None:
            self.task = self.progress.add_task("refresh", total=total, last="")

    def line(self, text: str, *, error: bool = False) -> None:
        from reader.text import clean_inline

        text = clean_inline(text)
        if self.progress is not None:
            from rich.text import Text

            self.progress.console.print(Text(text, style="red" if error else ""))
        else:
            click.echo(text, err=False)

    def outcome(self, outcome) -> None:
        from reader.text import clean_inline

        name = clean_inline(outcome.name, max_length=60)
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, advance=1, last=name[:40])
        if outcome.failed:
            self.line(f"error  {name}: {outcome.error}", error=True)
            return
        if self.quiet:
            return
        if outcome.status == "ok":
            detail = f"{outcome.new} new" + (
                f", {outcome.updated} updated" if outcome.updated else ""
            )
        else:
            detail = outcome.status
        if outcome.warning:
            detail += f" (warning: {outcome.warning})"
        if self.progress is None or outcome.new or outcome.warning:
            self.line(f"ok     {name}: {detail}")


# --- reading the store -----------------------------------------------------------------


def _dump_json(data) -> None:
    import orjson

    with _stdout() as out:
        out.flush()
        out.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
        out.buffer.flush()


def _write_jsonl(items) -> None:
    import orjson

    with _stdout() as text:
        text.flush()
        out = text.buffer
        for item in items:
            out.write(orjson.dumps(item) + b"\n")
        out.flush()


def _ranking(obj: Context, store, catalog=None):
    from reader.card import Ranking

    window = obj.config(required=False).importance.window_days
    return Ranking.from_catalog(catalog or store.catalog(), window_days=window)


def _filter_words(words: tuple[str, ...]) -> str:
    """FILTER may come as one quoted argument or as several words (`+unread -sports`)."""
    for word in words:
        if word.startswith("--"):
            raise click.UsageError(f"no such option: {word.split('=', 1)[0]}")
    return " ".join(words)


def _select(
    obj: Context,
    words: tuple[str, ...],
    sort: str | None,
    view: str | None = None,
    limit: int | None = None,
):
    """(library, ids best first, the expression, the sort): `reader list`'s choice, made
    by the app's own Library.select and query.py (no second implementation). With
    ``limit``, the ids are the first ``limit``; the library reads only the segments
    that can hold them (and, with an age term, none older than it allows)."""
    from reader.library import Scope
    from reader.query import parse_filter

    expression = _filter_words(words)
    if view is not None:
        config = obj.config(required=False)
        chosen = next((v for v in config.views if v.name.casefold() == view.casefold()), None)
        if chosen is None:
            names = ", ".join(v.name for v in config.views) or "none"
            raise click.UsageError(f"--view {view!r}: no such view in feeds.toml (views: {names})")
        expression = f"{chosen.filter} {expression}".strip()
        sort = sort or chosen.sort
    query = parse_filter(expression)  # FilterError: one line, exit 2
    sort = sort or "newest"
    now = time.time()
    library = obj.library(query, sort, limit, now)
    ids = library.select(query, sort, Scope(), now=now)
    if limit is not None:
        ids = ids[:limit]
    return library, ids, expression, sort


def _exclusive(**flags) -> None:
    given = [name for name, value in flags.items() if value]
    if len(given) > 1:
        raise click.UsageError(f"{' and '.join(given)} cannot be used together")


def _sort_option(default_help: str):
    from reader.query import SORTS

    return click.option(
        "--sort",
        type=click.Choice(SORTS),
        default=None,
        help=f"Order: {', '.join(SORTS)} (default {default_help}).",
    )


def _fit(text: str, cells: int) -> str:
    """``text`` padded or cut to exactly ``cells`` terminal cells (CJK is two wide)."""
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) > cells:
        return set_cell_size(text, cells - 1) + "…"
    return set_cell_size(text, cells)


def _list_line(card: dict, now: float, width: int | None) -> str:
    """One article: id, marks, stars, age, freshness, source, title, tags.

    The same columns on a terminal and in a pipe (stable, space-aligned, no tabs); on a
    terminal the line is cut to the window.
    """
    from rich.cells import cell_len, set_cell_size

    from reader.export import age, card_time
    from reader.text import clean_inline

    mark = ("*" if card["starred"] else " ") + (" " if card["read"] else "N")
    importance = card.get("importance") or {}
    stars = f"{importance['stars']}★" if importance else "  "
    when = card_time(card)
    age_text = age(now - when) if when is not None else "-"
    fresh = (card.get("freshness") or {}).get("label", "-")
    source = _fit(clean_inline(card.get("source") or card.get("feed")), 20)
    line = f"{card['id']}  {mark}  {stars}  {age_text:>4}  {fresh:<6}  {source}  "
    line += clean_inline(card.get("title")) or "(untitled)"
    if card.get("tags"):
        line += "  [" + ", ".join(clean_inline(t) for t in card["tags"]) + "]"
    if width and cell_len(line) > width:
        line = set_cell_size(line, width - 1) + "…"
    return line


def _terminal_width() -> int | None:
    if not sys.stdout.isatty():
        return None
    return os.get_terminal_size().columns


@main_group.command("list", context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, metavar="[FILTER]...")
@_sort_option("newest")
@click.option("--view", metavar="NAME", help="A saved [[view]] of feeds.toml: its filter and sort.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of cards.")
@click.option("--jsonl", "as_jsonl", is_flag=True, help="One JSON card a line.")
@click.option(
    "--format",
    "template",
    metavar="TEMPLATE",
    help="One line per article from card fields: '{title}\\t{link}' (see below).",
)
@click.option("--limit", type=click.IntRange(min=0), default=None, help="At most N articles.")
@click.pass_obj
def list_(
    obj: Context,
    words: tuple[str, ...],
    sort: str | None,
    view: str | None,
    as_json: bool,
    as_jsonl: bool,
    template: str | None,
    limit: int | None,
) -> None:
    """List articles (newest first) that match FILTER, the app's filter expression.

    \b
    reader list '+unread stars>=3 @1d' --sort importance
    reader list 'lang:ja fresh|ok' --limit 20
    reader list 'topic:"Open models"' --format '{stars}\\t{title}\\t{link}'
    reader list --view 'Must read' --jsonl

    \b
    FILTER terms (all must hold): +tag -tag (also +unread +read +starred), word,
    "a phrase", !word, lang:ja,ko  topic:NAME  source:TEXT  feed:NAME  type:paper
    tier:1,2  stars>=3 (> >= < <= =)  fresh|ok|fading|stale  @30m @6h @7d @2w @3mo.

    \b
    Output: one article a line: id, marks (* starred, N unread), stars, age,
    freshness, source, title, [tags]; on a terminal cut to its width, in a pipe
    whole (same columns, spaces, no tabs). --json/--jsonl print cards (the JSON names
    of CARD.md). --format takes Python format fields named after the card's JSON
    names (id title link feed source tier topic topics type lang published collected
    summary related tags read starred author; importance freshness halflife print
    their label and index as {importance[score]}), plus stars label score percentile
    ratio hours age date tier_label; \\t and \\n are understood.
    """
    from reader.export import Template

    _exclusive(**{"--json": as_json, "--jsonl": as_jsonl, "--format": template})
    compiled = Template(template) if template is not None else None
    library, ids, _expression, _sort = _select(obj, words, sort, view, limit)
    now = time.time()
    cards = (library.card(i, now) for i in ids)
    if as_json:
        _dump_json(list(cards))
    elif as_jsonl:
        _write_jsonl(cards)
    elif compiled is not None:
        with _stdout() as out:
            for item in cards:
                out.write(compiled.render(item, now) + "\n")
            out.flush()
    else:
        width = _terminal_width()
        with _stdout() as out:  # not click.echo: it flushes each line, a write per article
            for item in cards:
                out.write(_list_line(item, now, width) + "\n")
            out.flush()


@main_group.command()
@click.argument("article_id")
@click.option("--json", "as_json", is_flag=True, help="The card as JSON.")
@click.pass_obj
def show(obj: Context, article_id: str, as_json: bool) -> None:
    """Show one article's card and text."""
    from reader.card import card
    from reader.text import clean_block, clean_inline

    store = obj.store(create=False)
    catalog = store.catalog()
    full_id = store.resolve(article_id, catalog)
    article = store.article(full_id, catalog)
    if article is None:
        raise ReaderError(f"article {full_id} is in the catalog but not in its segment")
    data = card(
        article, store.state(full_id), now=time.time(), ranking=_ranking(obj, store, catalog)
    )
    if as_json:
        data["text"] = store.body(article)
        _dump_json(data)
        return
    lines = [f"{key:<11}{clean_inline(value) or '-'}" for key, value in _card_lines(data)]
    if data.get("summary"):
        lines += ["", *(f"  • {clean_inline(line)}" for line in data["summary"])]
    lines += ["", clean_block(store.body(article))]
    with _stdout() as out:
        out.write("\n".join(lines) + "\n")
        out.flush()


def _card_lines(data: dict) -> list[tuple[str, str]]:
    """The card of CARD.md as labelled lines, as the app shows it (plain text)."""
    from reader.export import TIER_LABELS, stars_text

    importance = data.get("importance") or {}
    stars = ""
    if importance:
        stars = f"{stars_text(importance['stars'])} {importance['label']}"
        if importance.get("percentile") is not None:
            stars += f" (top {importance['percentile']}% in {importance.get('topic') or '-'})"
    halflife = data.get("halflife") or {}
    freshness = data.get("freshness") or {}
    tier = data.get("tier")
    source = f"{data.get('source') or '-'}  T{tier} {TIER_LABELS.get(tier, '')}".rstrip()
    if data.get("source_avg_stars") is not None:
        source += f"  (source avg ★ {data['source_avg_stars']})"
    related = data.get("related") or []
    marks = ["starred"] if data.get("starred") else []
    marks.append("read" if data.get("read") else "unread")  # as `list` says: N
    return [
        ("title", data.get("title") or ""),
        ("source", source),
        ("topic", ", ".join(data.get("topics") or [data.get("topic") or ""])),
        ("type", data.get("type") or ""),
        ("importance", stars),
        (
            "half-life",
            f"{halflife.get('class', '')} ({halflife.get('reason', '')}, "
            f"{halflife.get('hours', 0):g} h)"
            if halflife
            else "",
        ),
        (
            "freshness",
            f"{freshness['label']} (age {freshness['ratio']:g}x half-life)" if freshness else "",
        ),
        ("language", data.get("lang") or ""),
        ("published", data.get("published") or ""),
        ("collected", data.get("collected") or ""),
        ("author", data.get("author") or ""),
        ("related", ", ".join(related) if related else ""),
        ("tags", ", ".join(data.get("tags") or [])),
        ("marks", ", ".join(marks)),
        ("link", data.get("link") or ""),
    ]


@main_group.command()
@click.option("--json", "as_json", is_flag=True, help="Feed records as JSON.")
@click.pass_obj
def feeds(obj: Context, as_json: bool) -> None:
    """Each feed's status: last success, last error, articles."""
    from reader.config import feed_display_name
    from reader.models import iso
    from reader.text import clean_inline

    config = obj.config(required=False)
    store = obj.store()
    records = store.feed_records()
    rows = []
    for feed in config.feeds:
        record = records.get(feed.key)
        rows.append(
            {
                "name": feed_display_name(feed, record),
                "url": feed.url,
                "fetched_from": record.url if record else None,
                "topic": feed.topic,
                "tier": feed.tier,
                "type": feed.type,
                "last_success": iso(record.last_success) if record else None,
                "last_error": record.last_error if record else None,
                "failures": record.failures if record else 0,
                "next_due": iso(record.next_due) if record else None,
                "articles": record.article_count if record else 0,
            }
        )
    if as_json:
        _dump_json(rows)
        return
    for row in rows:
        status = "never fetched"
        if row["last_error"]:
            status = f"ERROR ({row['failures']}x): {row['last_error']}"
        elif row["last_success"]:
            status = f"ok {row['last_success']}"
        due = f"next {row['next_due']}" if row["next_due"] else "due now"
        name = clean_inline(row["name"], max_length=30)
        click.echo(f"{name:<30}  {row['articles']:>5}  {due}  {clean_inline(status)}")


def _output(path: str | None, text: str) -> None:
    """stdout, or a file written whole (temporary file, then rename)."""
    if path is None or path == "-":
        with _stdout() as out:
            out.write(text)
            out.flush()
        return
    target = Path(path).expanduser()
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ReaderError(f"cannot write {target}: {exc.strerror or exc}") from None
    click.echo(f"wrote {target}", err=True)


@main_group.command(context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, metavar="[FILTER]...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["opml", "json", "md"]),
    default="opml",
    show_default=True,
    help="opml: the configured feeds; json: the chosen articles' cards; md: a Markdown digest.",
)
@_sort_option("newest")
@click.option("--limit", type=click.IntRange(min=0), default=None, help="At most N articles.")
@click.option("--output", "-o", metavar="FILE", help="Write to FILE instead of stdout.")
@click.pass_obj
def export(
    obj: Context,
    words: tuple[str, ...],
    fmt: str,
    sort: str | None,
    limit: int | None,
    output: str | None,
) -> None:
    """Export the feeds (OPML) or the articles FILTER chooses (JSON, Markdown).

    \b
    reader export > subscriptions.opml
    reader export --format md '+starred @7d' --sort importance > week.md
    reader export --format json 'topic:Papers' -o papers.json

    OPML has one folder per topic; the feeds' tier, type and tags travel in halflife's
    own attributes, so `reader import` restores them. Markdown shows each card (title
    as link, source and tier, stars and label, freshness, summary, tags); every feed
    text is escaped, so a hostile title stays text.
    """
    now = time.time()
    if fmt == "opml":
        if words or sort or limit is not None:
            raise click.UsageError(
                "FILTER, --sort and --limit choose articles: use them with --format json or md"
            )
        from reader.config import feed_display_name
        from reader.opml import ExportFeed, write_opml

        config = obj.config()
        records = obj.store().feed_records() if obj.store_path().is_dir() else {}
        rows = []
        for feed in config.feeds:
            record = records.get(feed.key)
            rows.append(
                ExportFeed(
                    url=feed.url,
                    name=feed_display_name(feed, record),
                    topic=feed.topic,
                    tier=feed.tier,
                    type=feed.type,
                    lang=feed.lang,
                    tags=feed.tags,
                    html_url=(record.link or None) if record else None,
                )
            )
        _output(output, write_opml(rows))
        return
    library, ids, expression, sort = _select(obj, words, sort, limit=limit)
    cards = [library.card(i, now) for i in ids]
    if fmt == "json":
        import orjson

        _output(output, orjson.dumps(cards, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    from reader.export import markdown_document

    details = [f"filter: {expression}"] if expression else []
    details.append(f"sort: {sort}")
    _output(output, markdown_document(cards, now, title="halflife", details=details))


@main_group.command(context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, metavar="[FILTER]...")
@click.option(
    "--since", default="1d", show_default=True, metavar="AGE", help="How far back: 12h, 1d, 1w."
)
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True, help="Stories.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "md", "json"]),
    default="text",
    show_default=True,
    help="Plain text (a mail body), Markdown, or JSON.",
)
@click.option("--output", "-o", metavar="FILE", help="Write to FILE instead of stdout.")
@click.pass_obj
def digest(
    obj: Context, words: tuple[str, ...], since: str, limit: int, fmt: str, output: str | None
) -> None:
    """The top stories of the last day (--since), one block per story.

    \b
    reader digest | mail -s "AI news" me@example.org
    reader digest --since 12h --limit 5 lang:en,fr
    reader digest --format md -o ~/notes/digest.md

    Articles that report the same story (related, in any language) make one block:
    the most important report with its link, stars, freshness and summary, the
    sources and languages that covered it, and the other reports. Stories are ranked
    by importance. FILTER narrows the articles, as in `reader list`.
    """
    import math

    from reader.digest import render_markdown, render_text, top_stories
    from reader.maintenance import parse_duration
    from reader.query import parse_filter

    seconds = parse_duration(since, "--since")
    expression = _filter_words(words)
    parse_filter(expression)  # mistakes are reported against what the user typed
    window = f"@{max(math.ceil(seconds / 60), 1)}m"
    library, ids, _expression, _sort = _select(obj, (expression, window), "importance")
    now = time.time()
    cards = [library.card(i, now) for i in ids]
    stories = top_stories(cards, limit)
    label = since.replace(" ", "")
    if fmt == "json":
        import orjson

        data = {"since": label, "articles": len(cards), "stories": [s.to_json() for s in stories]}
        _output(output, orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    render = render_markdown if fmt == "md" else render_text
    _output(output, render(stories, articles=len(cards), since=label, now=now))


# --- the reader's marks ----------------------------------------------------------------


def _ids_from(args) -> list[str]:
    """Article ids from the command line; ``-`` reads them from stdin, one a line (the
    first word of each line, so `reader list ... | reader read -` works)."""
    ids: list[str] = []
    for arg in args:
        if arg == "-":
            ids += [line.split()[0] for line in sys.stdin if line.strip()]
        else:
            ids.append(arg)
    return ids


def _split_tag_args(args: tuple[str, ...]) -> tuple[list[str], list[str], list[str]]:
    from reader.config import normalise_tag

    ids, add, remove = [], [], []
    for arg in args:
        if arg.startswith("+") and len(arg) > 1:
            add.append(normalise_tag(arg[1:]))
        elif arg.startswith("-") and len(arg) > 1:
            remove.append(normalise_tag(arg[1:]))
        else:
            ids.append(arg)
    return ids, add, remove


@main_group.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, required=True)
@click.pass_obj
def tag(obj: Context, args: tuple[str, ...]) -> None:
    """Add (+tag) or remove (-tag) tags: reader tag ID... +tag -tag.

    ID may be a unique prefix (4+ characters); - reads ids from stdin, one a line.
    Safe while the app or a refresh runs: marks are changed under their own lock.
    """
    from reader.models import StateChange

    id_args, add, remove = _split_tag_args(args)
    if not id_args:
        raise click.UsageError("give at least one article id")
    if not add and not remove:
        last = id_args[-1]
        hint = f" ({last!r} is taken for an article id: write +{last} to add it)"
        hint = hint if len(id_args) > 1 else ""
        raise click.UsageError("give at least one +tag or -tag" + hint)
    if any(not t for t in add + remove):
        raise click.UsageError("empty tag name")
    ids = _ids_from(id_args)
    if not ids:
        return  # `-` read an empty list (`reader list ... | reader tag - +x`): nothing to do
    store = obj.store(create=False)
    catalog = store.catalog()
    full_ids = [store.resolve(i, catalog) for i in ids]
    changes = [StateChange(i, add_tags=tuple(add), remove_tags=tuple(remove)) for i in full_ids]
    result = store.change_state(changes)
    for article_id in full_ids:
        click.echo(f"{article_id}  {', '.join(result[article_id].tags) or '(no tags)'}")


def _mark_command(name: str, help_text: str, **change):
    @main_group.command(name, help=help_text)
    @click.argument("ids", nargs=-1, required=True)
    @click.pass_obj
    def command(obj: Context, ids: tuple[str, ...]) -> None:
        from reader.models import StateChange

        store = obj.store(create=False)
        catalog = store.catalog()
        full_ids = [store.resolve(i, catalog) for i in _ids_from(ids)]
        store.change_state([StateChange(i, **change) for i in full_ids])

    return command


_IDS_HELP = " ID may be a unique prefix (4+ characters); - reads ids from stdin."
_mark_command("read", "Mark articles read." + _IDS_HELP, read=True)
_mark_command("unread", "Mark articles unread." + _IDS_HELP, read=False)
_mark_command("star", "Star articles." + _IDS_HELP, starred=True)
_mark_command("unstar", "Remove the star from articles." + _IDS_HELP, starred=False)


# --- managing feeds: import, add, remove ----------------------------------------------------


def _feed_line(table: dict) -> str:
    from reader.text import clean_inline

    name = clean_inline(table.get("name")) or "(feed title)"
    extra = [f"topic {table['topic']}"] if table.get("topic") else []
    if table.get("tier"):
        extra.append(f"tier {table['tier']}")
    return f"{name}  {table['url']}" + (f"  ({', '.join(extra)})" if extra else "")


def _existing_config(obj: Context, path: Path):
    """The config being edited (it must be valid: edits are checked against it)."""
    from reader.config import Config, load_config

    return load_config(path) if path.exists() else Config(path=path)


@main_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--topic", metavar="NAME", help="Topic for the feeds outside any folder.")
@click.option("--dry-run", is_flag=True, help="Show what would be added; change nothing.")
@click.pass_obj
def import_(obj: Context, file: str, topic: str | None, dry_run: bool) -> None:
    """Add the feeds of an OPML file (FILE, or - for stdin) to feeds.toml.

    Folders become topics (the innermost folder of a nested one); feeds already in
    feeds.toml, or twice in the file, are skipped and listed. feeds.toml keeps its
    comments and layout: the new feeds are appended after the last [[feed]], under a
    comment saying where they came from.
    """
    from reader.configedit import add_feeds
    from reader.opml import OPMLError, parse_opml, plan_import
    from reader.text import clean_inline

    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).expanduser().read_bytes()
    except OSError as exc:
        raise UsageError(f"{file}: cannot read: {exc.strerror or exc}") from None
    try:
        subscriptions = parse_opml(data)
    except OPMLError as exc:
        raise UsageError(f"{file}: {exc}") from None
    path = obj.config_path_for_edit()
    config = _existing_config(obj, path)
    plan = plan_import(subscriptions, ((f.url, f.name) for f in config.feeds), default_topic=topic)
    for feed, why in plan.skipped:
        click.echo(f"skipped  {clean_inline(feed.url)}  (line {feed.line}: {why})")
    verb = "would add" if dry_run else "added"
    if plan.tables and not dry_run:
        source = "stdin" if file == "-" else Path(file).name
        stamp = time.strftime("%Y-%m-%d")
        add_feeds(path, plan.tables, comment=f"--- imported from {source} on {stamp}")
    for table in plan.tables:
        click.echo(f"{verb:<8} {_feed_line(table)}")
    click.echo(
        f"{len(plan.tables)} feeds {verb} to {path}, {len(plan.skipped)} skipped"
        + ("" if dry_run or not plan.tables else "; run `reader refresh` to fetch them"),
        err=True,
    )


@main_group.command()
@click.argument("url")
@click.option("--name", help="Name shown in lists (default: the feed's own title).")
@click.option("--topic", help="Topic of its articles (default General).")
@click.option("--tier", type=click.IntRange(1, 3), help="1 official, 2 press, 3 other (default 3).")
@click.option(
    "--type",
    "type_",
    type=click.Choice(["news", "blog", "paper", "release", "video", "podcast", "other"]),
    help="Kind of items (default news).",
)
@click.option("--lang", help="Language hint (ISO 639-1).")
@click.option(
    "--tag", "tags", multiple=True, help="Tag every article of the feed gets (repeatable)."
)
@click.option(
    "--pick", type=click.IntRange(min=1), help="Which of the feeds a page links to (1 = first)."
)
@click.pass_obj
def add(
    obj: Context,
    url: str,
    name: str | None,
    topic: str | None,
    tier: int | None,
    type_: str | None,
    lang: str | None,
    tags: tuple[str, ...],
    pick: int | None,
) -> None:
    """Add the feed at URL to feeds.toml; a web page's own feed is found for you.

    \b
    reader add https://example.org/feed.xml --topic Labs --tier 1
    reader add https://example.org/blog          # finds the page's feed links
    reader add https://example.org/blog --pick 2 # the second one it lists

    URL is fetched once: a feed is added as it is; an HTML page is searched for its
    feed links (<link rel="alternate" type="application/rss+xml" ...>) and the first
    (or --pick N) is fetched, checked and added. Then `reader refresh --feed NAME`.
    """
    import shlex

    from reader.config import check_url
    from reader.configedit import add_feeds
    from reader.discover import probe
    from reader.opml import unique_name, url_identity
    from reader.text import clean_inline

    problem = check_url(url)
    if problem:
        raise UsageError(problem)
    path = obj.config_path_for_edit()
    config = _existing_config(obj, path)
    settings = config.fetch

    def fetch(target: str):
        file_path = config.resolve_file_url(target) if target.lower().startswith("file:") else None
        return probe(
            target, file_path=file_path, timeout=settings.timeout, max_bytes=settings.max_bytes
        )

    def already(target: str) -> None:
        for feed in config.feeds:
            if url_identity(feed.url) == url_identity(target):
                click.echo(f"already in {path}: {feed.name or feed.url} ({feed.url})")
                sys.exit(EXIT_OK)

    already(url)
    found = fetch(url)
    if found.problem:
        raise ReaderError(f"{url}: {found.problem}")
    if found.feed is None:
        links = found.links
        if not links:
            raise ReaderError(f"{url}: a web page without feed links (no <link rel=alternate>)")
        index = (pick or 1) - 1
        if index >= len(links):
            raise UsageError(f"--pick {pick}: the page links {len(links)} feeds")
        if pick is None:
            candidates = [link for link in links if link.readable] or links
            chosen = candidates[0]
        else:
            chosen = links[index]
        if len(links) > 1:
            click.echo(f"{url} links {len(links)} feeds:", err=True)
            for number, link in enumerate(links, start=1):
                mark = "*" if link is chosen else " "
                note = "" if link.readable else " (JSON Feed: halflife reads RSS, Atom and RDF)"
                title = f" {link.title}" if link.title else ""
                click.echo(f" {mark}{number}. {link.kind}{title}: {link.url}{note}", err=True)
            if pick is None:
                click.echo("   (--pick N takes another)", err=True)
        else:
            click.echo(f"{url} links a feed: {chosen.url}", err=True)
        already(chosen.url)
        found = fetch(chosen.url)
        if found.problem or found.feed is None:
            why = found.problem or "it is a web page, not a feed"
            raise ReaderError(f"{chosen.url}: {why}")
    feed_url = found.url
    already(feed_url)
    title = clean_inline(found.feed.title, max_length=80)
    taken = {(f.name or "").casefold() for f in config.feeds if f.name}
    if name is None:
        host = urlsplit_host(feed_url)
        name = unique_name(title or host or feed_url, feed_url, taken)
    table = {
        "url": feed_url,
        "name": name,
        "topic": topic,
        "tier": tier,
        "type": type_,
        "lang": lang,
    }
    if tags:
        table["tags"] = tuple(tags)
    add_feeds(path, [{k: v for k, v in table.items() if v is not None}])
    entries = len(found.feed.entries)
    from reader.text import counted

    in_feed = counted(entries, "entry", "entries")
    click.echo(f"added {name!r} ({feed_url}) to {path}: {in_feed} in the feed now")
    click.echo(f"fetch it: reader refresh --feed {shlex.quote(name)}")


def urlsplit_host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or ""


def _confirm(question: str, yes: bool, *, what: str) -> bool:
    """True to go ahead: --yes, or a "y" on a terminal. Without a terminal (cron, a
    pipe) and without --yes a destructive command refuses (exit 2)."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError(f"{what} needs confirmation: pass --yes (no terminal to ask on)")
    return click.confirm(question, default=False, err=True)


def _find_feed(obj: Context, name: str):
    """The configured feed called ``name`` (its name, URL, or the title it is shown by)."""
    from reader.config import feed_display_name

    config = obj.config()
    records = {}
    if obj.store_path().is_dir():
        records = obj.store(create=False).feed_records()
    folded = name.casefold()
    for feed in config.feeds:
        if feed.url == name or (feed.name or "").casefold() == folded:
            return feed
    for feed in config.feeds:
        if feed_display_name(feed, records.get(feed.key)).casefold() == folded:
            return feed
    raise UsageError(f"no feed {name!r} in {config.path} (see `reader feeds`)")


@main_group.command()
@click.argument("name", shell_complete=_complete_feed_names)
@click.option("--yes", "-y", is_flag=True, help="Do not ask.")
@click.option("--keep-articles", is_flag=True, help="Keep all its stored articles.")
@click.pass_obj
def remove(obj: Context, name: str, yes: bool, keep_articles: bool) -> None:
    """Remove the feed NAME (or URL) from feeds.toml, and its unmarked articles.

    Articles you tagged or starred stay, with their marks; the others are deleted
    from the store (--keep-articles keeps them all). Asks first on a terminal.
    """
    from reader.configedit import remove_feed
    from reader.maintenance import remove_feed_articles

    feed = _find_feed(obj, name)
    config = obj.config()
    label = feed.name or feed.url
    store = obj.store(create=False) if obj.store_path().is_dir() else None
    plan = None
    if store is not None and not keep_articles:
        plan = remove_feed_articles(store, feed.key, dry_run=True)
    detail = ""
    if plan is not None:
        detail = f" and delete {len(plan.removed)} of its articles"
        if plan.kept_marked:
            detail += f" (keeping {len(plan.kept_marked)} tagged or starred)"
    if not _confirm(f"Remove {label!r} from {config.path}{detail}?", yes, what="remove"):
        click.echo("nothing changed", err=True)
        return
    remove_feed(config.path, feed.url)
    message = f"removed {label!r} ({feed.url}) from {config.path}"
    if store is not None and not keep_articles:
        removal = remove_feed_articles(store, feed.key)
        if removal is not None:
            from reader.text import counted

            message += f"; deleted {counted(len(removal.removed), 'article')}"
            if removal.kept_marked:
                message += f", kept {len(removal.kept_marked)} tagged or starred"
    click.echo(message)


# --- looking after the store: prune, reindex, doctor ----------------------------------------


@main_group.command()
@click.option(
    "--older-than",
    "older_than",
    metavar="AGE",
    help="e.g. 90d, 12w, 6mo, 1y (default: [store] keep_days).",
)
@click.option("--dry-run", is_flag=True, help="Count what would go; remove nothing.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask.")
@click.pass_obj
def prune(obj: Context, older_than: str | None, dry_run: bool, yes: bool) -> None:
    """Delete articles older than AGE, except the ones you tagged or starred.

    Read-but-unmarked articles go too (their read marks stay, so an article that
    comes back is still read). An old article that its feed still lists is kept: the
    next refresh would only store it again as new. Asks first on a terminal.
    """
    from reader.maintenance import parse_duration
    from reader.maintenance import prune as run_prune

    if older_than is None:
        keep_days = obj.config(required=False).store.keep_days
        if keep_days <= 0:
            raise click.UsageError("give --older-than AGE (or set keep_days in [store])")
        older_than = f"{keep_days}d"
    seconds = parse_duration(older_than, "--older-than")
    store = obj.store(create=False)
    planned, plan = run_prune(store, seconds, dry_run=True)

    def kept(removal, plan) -> str:
        parts = []
        if removal.kept_marked:
            parts.append(f"{len(removal.kept_marked)} tagged or starred")
        if plan.still_listed:
            parts.append(f"{plan.still_listed} still listed by their feeds")
        return f" (kept: {', '.join(parts)})" if parts else ""

    from reader.text import counted

    if dry_run:
        click.echo(
            f"would delete {counted(len(planned.removed), 'article')} older than {older_than}"
            + kept(planned, plan)
        )
        return
    if not planned.removed:
        click.echo(f"nothing older than {older_than} to delete" + kept(planned, plan))
        return
    question = (
        f"Delete {counted(len(planned.removed), 'article')} older than {older_than}"
        f"{kept(planned, plan)}?"
    )
    if not _confirm(question, yes, what="prune"):
        click.echo("nothing changed", err=True)
        return
    removal, plan = run_prune(store, seconds)
    click.echo(
        f"deleted {counted(len(removal.removed), 'article')} older than {older_than}"
        + kept(removal, plan)
    )


@main_group.command()
@click.pass_obj
def reindex(obj: Context) -> None:
    """Recompute every stored article's card from its stored text.

    Language, summary, type, half-life, topics and keyword hits, then related
    articles and importance: after an upgrade, or after a change of topics, keywords
    or a feed's settings in feeds.toml. Your tags, read and starred marks are not
    touched. A progress bar on a terminal; refreshes may run meanwhile.
    """
    from reader.maintenance import reindex as run_reindex
    from reader.pool import parse_workers

    config = obj.config(required=False)
    store = obj.store(create=False)
    workers = parse_workers(config)
    progress = None
    tasks: dict[str, object] = {}
    if sys.stdout.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        progress = Progress(
            TextColumn("{task.description:<8}"), BarColumn(), MofNCompleteColumn(), transient=True
        )

    def on_progress(phase: str, done: int, total: int) -> None:
        if progress is None:
            return
        if phase not in tasks:
            tasks[phase] = progress.add_task(phase, total=max(total, 1))
        progress.update(tasks[phase], completed=done, total=max(total, 1))

    if progress is not None:
        with progress:
            report = run_reindex(store, config, workers=workers, on_progress=on_progress)
    else:
        report = run_reindex(store, config, workers=workers)
    click.echo(report.summary_line())


@main_group.command()
@click.option("--yes", "-y", is_flag=True, help="Repair without asking.")
@click.pass_obj
def doctor(obj: Context, yes: bool) -> None:
    """Check every store file and repair the damaged ones.

    A file that does not parse is moved aside (<file>.corrupt-<time>, never deleted)
    and restored from its backup (<file>.bak); the catalog is rebuilt from the
    segments; the reader's marks come from the backup plus whatever still reads in
    the damaged file. One line per file it repairs. Exit 1 if something could not
    be saved (said loudly), 2 if repairs are needed but not confirmed (--yes).
    """
    from reader.errors import StoreCorrupt, StoreMissing
    from reader.maintenance import LOST, check, repair
    from reader.store import Store

    path = obj.store_path()
    if not path.is_dir():
        raise StoreMissing(f"no store at {path}")
    store = Store(path, wait=obj.wait())
    with contextlib.suppress(StoreCorrupt):  # a damaged catalog is what doctor is for
        store.check_schema()  # a store of a newer halflife is not ours to repair
    checkup = check(store)
    if checkup.healthy:
        click.echo(f"{path}: {checkup.files} files checked, all fine")
        return
    if not yes:
        for finding in checkup.findings:
            click.echo(finding.line())
    question = f"Repair {len(checkup.findings)} store files?"
    if not _confirm(question, yes, what="doctor (repairs)"):
        click.echo("nothing changed", err=True)
        sys.exit(EXIT_PARTIAL)
    repair(store, checkup)
    for finding in checkup.findings:
        line = finding.line()
        click.echo(("LOST DATA: " if finding.severity == LOST else "") + line)
    ok = checkup.files - len([f for f in checkup.findings if f.kind != "tmp"])
    summary = f"{path}: {checkup.files} files checked, {ok} fine, {len(checkup.findings)} repaired"
    if checkup.lost:
        click.echo(summary + "; SOME DATA COULD NOT BE SAVED (see above)", err=True)
        sys.exit(EXIT_PARTIAL)
    click.echo(summary)


# --- entry point -----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    try:
        main_group.main(args=argv, prog_name="reader", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        # one line, like every other error: what is wrong, and where to read more
        command = exc.ctx.command_path if exc.ctx is not None else "reader"
        click.echo(f"{command}: {exc.format_message()} (see `{command} --help`)", err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except ReaderError as exc:
        from reader.text import clean_inline

        click.echo(f"reader: {clean_inline(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except (BrokenPipeError, _ReaderLeft):
        # `reader list | head`: the reader went away; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_OK)
