"""The ``reader`` command. Imports only what each subcommand needs, when it needs it.

Exit codes: 0 ok; 1 partial failure (some feeds failed, the rest was stored);
2 usage or config error; 3 the store stayed locked past --wait.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from reader import __version__
from reader.errors import ConfigError, ReaderError

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3

EXIT_CODES_HELP = """\b
Exit codes:
  0  ok
  1  partial failure (some feeds failed; the others were stored)
  2  usage or configuration error
  3  the store was locked by another process past --wait"""


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


class ReaderGroup(click.Group):
    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_paragraph()
        for block in (_where_help(), EXIT_CODES_HELP):
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


@main_group.command()
@click.option("--feed", "feeds", multiple=True, metavar="NAME", help="Only this feed (repeatable).")
@click.option("--force", is_flag=True, help="Fetch every feed now, ignoring due times and caches.")
@click.option("--quiet", "-q", is_flag=True, help="Print only failures (for cron).")
@click.pass_obj
def refresh(obj: Context, feeds: tuple[str, ...], force: bool, quiet: bool) -> None:
    """Fetch the feeds that are due and store their new articles."""
    from reader.refresh import refresh as run_refresh

    config = obj.config()
    if not config.feeds:
        raise ConfigError(f"{config.path}: no [[feed]] tables: nothing to refresh")
    if feeds:
        known = {f.name for f in config.feeds if f.name} | {f.url for f in config.feeds}
        records = obj.store().feed_records()
        known |= {r.name for r in records.values() if r.name}
        unknown = [name for name in feeds if name not in known]
        if unknown:
            raise ConfigError(f"--feed {unknown[0]!r}: no such feed in {config.path}")
    store = obj.store()
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

    sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()


def _age(seconds: float) -> str:
    seconds = max(seconds, 0)
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    if seconds < 86400 * 60:
        return f"{int(seconds // 86400)}d"
    return f"{int(seconds // (86400 * 30))}mo"


def _ranking(obj: Context, store, catalog=None):
    from reader.card import Ranking

    window = obj.config(required=False).importance.window_days
    return Ranking.from_catalog(catalog or store.catalog(), window_days=window)


@main_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of cards.")
@click.option("--jsonl", "as_jsonl", is_flag=True, help="One JSON card a line.")
@click.option("--limit", "-n", type=click.IntRange(min=0), default=None, help="At most N articles.")
@click.pass_obj
def list_(obj: Context, as_json: bool, as_jsonl: bool, limit: int | None) -> None:
    """List articles, newest first."""
    from reader.card import card
    from reader.models import UserState
    from reader.text import clean_inline

    store = obj.store()
    articles = store.articles()
    states = store.states()
    ranking = _ranking(obj, store)

    articles.sort(key=lambda a: a.when, reverse=True)
    if limit is not None:
        articles = articles[:limit]
    now = time.time()
    if as_json or as_jsonl:
        cards = [card(a, states.get(a.id, UserState()), now=now, ranking=ranking) for a in articles]
        if as_jsonl:
            import orjson

            out = sys.stdout.buffer
            for item in cards:
                out.write(orjson.dumps(item) + b"\n")
            out.flush()
        else:
            _dump_json(cards)
        return
    width = _terminal_width()
    for article in articles:
        state = states.get(article.id, UserState())
        mark = ("*" if state.starred else " ") + (" " if state.read else "N")
        title = clean_inline(article.title)
        source = clean_inline(article.source, max_length=20)
        line = f"{article.id}  {mark}  {_age(now - article.when):>4}  {source:<20}  {title}"
        click.echo(line[:width] if width else line)


def _terminal_width() -> int | None:
    if not sys.stdout.isatty():
        return None
    return os.get_terminal_size().columns


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
    for key in ("title", "source", "topic", "type", "published", "link", "tags"):
        value = data.get(key)
        if isinstance(value, list):
            value = ", ".join(value)
        click.echo(f"{key:<10} {clean_inline(str(value) if value is not None else '-')}")
    click.echo()
    click.echo(clean_block(store.body(article)))


@main_group.command()
@click.option("--json", "as_json", is_flag=True, help="Feed records as JSON.")
@click.pass_obj
def feeds(obj: Context, as_json: bool) -> None:
    """Each feed's status: last success, last error, articles."""
    from reader.models import iso
    from reader.refresh import feed_display_name
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
        name = clean_inline(row["name"], max_length=30)
        click.echo(f"{name:<30}  {row['articles']:>5}  {clean_inline(status)}")


# --- the reader's marks ----------------------------------------------------------------


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
    """Add (+tag) or remove (-tag) tags: reader tag ID... +tag -tag."""
    from reader.models import StateChange

    ids, add, remove = _split_tag_args(args)
    if not ids:
        raise click.UsageError("give at least one article id")
    if not add and not remove:
        raise click.UsageError("give at least one +tag or -tag")
    if any(not t for t in add + remove):
        raise click.UsageError("empty tag name")
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
        full_ids = [store.resolve(i, catalog) for i in ids]
        store.change_state([StateChange(i, **change) for i in full_ids])

    return command


_mark_command("read", "Mark articles read.", read=True)
_mark_command("unread", "Mark articles unread.", read=False)
_mark_command("star", "Star articles.", starred=True)
_mark_command("unstar", "Remove the star from articles.", starred=False)


# --- entry point -----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    try:
        main_group.main(args=argv, prog_name="reader", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
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
    except BrokenPipeError:
        # `reader list | head`: the reader went away; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_OK)
