"""`reader list`, `show`, the mark commands and `digest` as subprocesses on a real store."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.clitools import Reader, feed_toml
from tests.conftest import CORPUS
from tests.feedserver import FeedServer, Route
from tests.test_cli_fixtures import SAMPLE_ARTICLES, sample_reader


@pytest.fixture
def reader(tmp_path, tmp_path_factory) -> Reader:
    return sample_reader(tmp_path, tmp_path_factory)


def test_list_filters_with_the_apps_expressions(reader):
    everything = reader("list", "--json").json()
    assert len(everything) == SAMPLE_ARTICLES
    japanese = reader("list", "lang:ja", "--json").json()
    assert japanese and all(c["lang"] == "ja" for c in japanese)
    assert len(japanese) == sum(c["lang"] == "ja" for c in everything)
    # one quoted argument or several words mean the same; -tag words are not options
    one = reader("list", "+unread -sample stars>=3", "--json").json()
    many = reader("list", "+unread", "-sample", "stars>=3", "--json").json()
    assert [c["id"] for c in one] == [c["id"] for c in many]
    assert one and all(c["importance"]["stars"] >= 3 for c in one)
    papers = reader("list", "type:paper", "--jsonl").out.splitlines()
    assert [json.loads(line)["type"] for line in papers] == ["paper"]


def test_sorts_and_limit(reader):
    by_importance = reader("list", "--sort", "importance", "--json").json()
    scores = [c["importance"]["score"] for c in by_importance]
    assert scores == sorted(scores, reverse=True)
    newest = reader("list", "--json").json()
    stamps = [c["published"] or c["collected"] for c in newest]
    assert stamps == sorted(stamps, reverse=True)
    by_source = reader("list", "--sort", "source", "--json").json()
    sources = [c["source"].casefold() for c in by_source]
    assert sources == sorted(sources)
    assert len(reader("list", "--sort", "worth", "--limit", "3", "--json").json()) == 3
    bad = reader("list", "--sort", "random")
    assert bad.code == 2 and "random" in bad.err


def test_a_bad_filter_is_one_line_that_points_at_the_mistake(reader):
    run = reader("list", "+unread stars>>3")
    assert run.code == 2 and run.out == ""
    assert run.err.count("\n") == 1 and "Traceback" not in run.err
    assert "stars>>3" in run.err and "column 9" in run.err
    run = reader("list", "colour:red")
    assert run.code == 2 and "unknown field 'colour'" in run.err
    run = reader("list", "--jsno")  # a mistyped option is not taken for a filter
    assert run.code == 2 and "--jsno" in run.err


def test_format_templates(reader):
    run = reader(
        "list",
        "--sort",
        "importance",
        "--limit",
        "2",
        "--format",
        r"{stars}\t{freshness}\t{title}\t{link}\t{tags}",
    )
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert len(lines) == 2
    cards = reader("list", "--sort", "importance", "--limit", "2", "--json").json()
    for line, card in zip(lines, cards, strict=True):
        stars, fresh, title, link, tags = line.split("\t")
        assert int(stars) == card["importance"]["stars"]
        assert fresh == card["freshness"]["label"]
        assert title == card["title"] and link == card["link"]
        assert tags == ", ".join(card["tags"])
    run = reader(
        "list", "--limit", "1", "--format", r"{importance[score]}|{summary[0]}|{id:.4}|{age}"
    )
    score, summary, short, age = run.out.rstrip("\n").split("|")
    assert float(score) >= 0 and summary and len(short) == 4 and age[-1] in "mhd"
    run = reader("list", "--format", "{title}\\n--")
    assert run.out.count("--\n") == SAMPLE_ARTICLES


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{nope}", "unknown field {nope}"),
        ("{title.upper}", "attribute access"),
        ("{title", "--format"),
        ("{}", "field names"),
    ],
)
def test_bad_format_templates_exit_2_with_one_line(reader, template, message):
    run = reader("list", "--format", template)
    assert run.code == 2 and run.out == "", run.out
    assert message in run.err and run.err.count("\n") == 1


def test_plain_output_is_one_stable_article_a_line(reader):
    run = reader("list", "--sort", "importance")
    lines = run.out.splitlines()
    assert len(lines) == SAMPLE_ARTICLES and "\t" not in run.out
    cards = reader("list", "--sort", "importance", "--json").json()
    for line, card in zip(lines, cards, strict=True):
        assert line.startswith(card["id"] + "  ")
        assert card["title"] in line  # whole in a pipe, never cut
    # the title column starts at the same place on every line (source padded to 20 cells)
    starts = {
        line.index(card["title"]) - len(card["id"]) for line, card in zip(lines, cards, strict=True)
    }
    assert len(starts) == 1
    assert reader("list", "+nothing-has-this-tag").out == ""


def test_an_empty_list_piped_to_a_mark_command_marks_nothing(reader):
    """`reader list ... | reader tag - +weekly` with nothing listed: nothing to do, as
    for `read -`; no id at all is still a usage error."""
    for command in (("tag", "-", "+weekly"), ("read", "-"), ("star", "-")):
        run = reader(*command, input="")
        assert run.code == 0 and not run.err, (command, run.err)
    assert reader("tag", "+weekly").code == 2
    assert not reader("list", "+weekly", "--json").json()


def test_marks_by_prefix_and_from_stdin(reader):
    cards = reader("list", "--json").json()
    first, second, third = (c["id"] for c in cards[:3])
    assert reader("tag", first[:5], second, "+Later", "+to read").code == 0
    assert reader("star", first[:6]).code == 0
    ids = "\n".join(f"{i}  whatever follows" for i in (second, third)) + "\n"
    assert reader("read", "-", input=ids).code == 0
    by_id = {c["id"]: c for c in reader("list", "--json").json()}
    assert by_id[first]["tags"] == ["later", "to-read"] and by_id[first]["starred"]
    assert by_id[second]["read"] and by_id[third]["read"] and not by_id[first]["read"]
    assert reader("unread", third).code == 0 and reader("unstar", first).code == 0
    assert reader("tag", first, "-later").code == 0
    by_id = {c["id"]: c for c in reader("list", "--json").json()}
    assert not by_id[third]["read"] and not by_id[first]["starred"]
    assert by_id[first]["tags"] == ["to-read"]
    # filters see the marks
    assert [c["id"] for c in reader("list", "+to-read", "--json").json()] == sorted(
        [first, second], key=[c["id"] for c in cards].index
    )
    bad = reader("star", "zz")
    assert bad.code == 2 and "too short" in bad.err
    unknown = reader("read", "ffffffffffff")
    assert unknown.code == 2 and "no article" in unknown.err


def test_saved_views_are_usable_from_the_shell(tmp_path, tmp_path_factory):
    reader = sample_reader(tmp_path, tmp_path_factory)
    text = reader.config.read_text()
    reader.config.write_text(
        text + '\n[[view]]\nname = "Big"\nfilter = "stars>=3"\nsort = "importance"\n'
    )
    view = reader("list", "--view", "big", "--json").json()
    assert view and all(c["importance"]["stars"] >= 3 for c in view)
    scores = [c["importance"]["score"] for c in view]
    assert scores == sorted(scores, reverse=True)
    narrowed = reader("list", "--view", "Big", "lang:fr", "--json").json()
    assert {c["id"] for c in narrowed} <= {c["id"] for c in view}
    assert reader("list", "--view", "nope").code == 2


def test_digest_one_block_per_story(reader):
    run = reader("digest", "--since", "10y", "--limit", "3")
    assert run.code == 0, run.err
    data = reader("digest", "--since", "10y", "--limit", "3", "--format", "json").json()
    stories = data["stories"]
    assert len(stories) == 3 and data["articles"] == SAMPLE_ARTICLES
    lead = stories[0]
    # the sample's big story: one lab post and its reports in four more languages
    assert lead["articles"] == 5 and len(lead["languages"]) == 5
    assert {s["source"] for s in lead["sources"]} == {"Aster Lab (sample)", "World Press (sample)"}
    assert lead["lead"]["tier"] == 1
    scores = [s["lead"]["importance"]["score"] for s in stories]
    assert scores == sorted(scores, reverse=True)
    text = run.out
    assert text.startswith("halflife digest: 3 top stories of the last 10y")
    assert lead["lead"]["title"] in text and lead["lead"]["link"] in text
    assert "en, " in text and "5 reports" in text and "•" in text
    for other in lead["others"]:
        assert other["title"] in text
    md = reader("digest", "--since", "10y", "--limit", "1", "--format", "md").out
    assert md.startswith("# halflife digest") and f"]({lead['lead']['link']})" in md
    nothing = reader("digest", "--since", "1m")
    assert nothing.code == 0 and "Nothing new" in nothing.out
    assert reader("digest", "--since", "yesterday").code == 2
    assert reader("digest", "lang:xx,", "--since", "1d").code == 0


TAGGER_COUNT = 12


def test_reader_tag_while_refreshes_run_loses_nothing(tmp_path, tmp_path_factory):
    """`reader tag` (the command) in a loop while two forced refreshes rewrite the store."""
    reader = sample_reader(tmp_path, tmp_path_factory)
    ids = [c["id"] for c in reader("list", "--json").json()]
    files = [
        "codehollow-feedreader__Rss20FazNet.xml",
        "codehollow-feedreader__Rss20LeParisien.xml",
        "atoma__broken-xkcd.xml",
    ]
    with FeedServer() as server:
        feeds = [
            {
                "url": server.route(
                    f"/f{i}.xml", Route(body=(CORPUS / name).read_bytes(), delay=0.4)
                ),
                "name": f"f{i}",
            }
            for i, name in enumerate(files)
        ]
        busy = Reader(tmp_path, feed_toml(feeds))
        refreshes = [busy.start("refresh", "--force"), busy.start("refresh", "--force")]
        taggers = []
        for i in range(TAGGER_COUNT):
            argv = reader.argv("tag", ids[i % len(ids)][:6], f"+t{i}")
            if i % 3 == 0:
                argv = reader.argv("star", ids[i % len(ids)])
            taggers.append(
                subprocess.Popen(
                    argv, env=reader.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
                )
            )
        assert all(p.wait(120) == 0 for p in taggers), [p.stderr.read() for p in taggers]
        assert all(p.wait(120) in (0, 1) for p in refreshes)
    cards = {c["id"]: c for c in reader("list", "--json").json()}
    assert len(cards) == SAMPLE_ARTICLES + 13 + 30 + 4
    for i in range(TAGGER_COUNT):
        card = cards[ids[i % len(ids)]]
        if i % 3 == 0:
            assert card["starred"]
        else:
            assert f"t{i}" in card["tags"]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (59, "0m"),
        (3 * 3600, "3h"),
        (12 * 86400, "12d"),
        (300 * 86400, "10mo"),
        (729 * 86400, "24mo"),
        (10 * 365 * 86400, "10y"),
    ],
)
def test_ages_fit_their_four_columns(seconds, shown):
    """The list's age column is four wide: an old article said "120mo" (the app said
    "10y"): both say the same now."""
    from reader.app.render import age as shown_in_the_app
    from reader.export import age

    assert age(seconds) == shown == shown_in_the_app(seconds) and len(shown) <= 4


def test_a_reader_that_stops_reading_is_not_an_error(reader):
    """`reader list | head`: the output outgrows the pipe, the reader closes it, and
    the command ends quietly with 0 (`set -o pipefail` scripts rely on it)."""
    started = reader.start("list", "--format", "{summary} " * 3000)  # ~10 MB of lines
    started.stdout.read(1000)
    started.stdout.close()  # the command is blocked on a full pipe: now it breaks
    err = started.stderr.read()
    started.stderr.close()
    assert started.wait(timeout=60) == 0
    assert err == ""


def test_a_broken_pipe_that_is_not_stdout_is_still_an_error(reader):
    """Only our own output's reader going away is quiet: a broken pipe elsewhere (a
    socket, a worker's pipe) fails the command as any other error."""
    script = (
        "import sys\n"
        "import reader.library\n"
        "def broken(*args, **kwargs):\n"
        "    raise BrokenPipeError(32, 'Broken pipe')\n"
        "reader.library.Library.load_matching = broken\n"
        "from reader.__main__ import main\n"
        f"sys.argv = {['reader', *reader.argv('list')[3:]]!r}\n"
        "main()\n"
    )
    done = subprocess.run(
        [reader.argv()[0], "-c", script], capture_output=True, text=True, env=reader.env()
    )
    assert done.returncode == 1


def test_list_writes_utf_8_to_an_ascii_stdout(reader):
    """As click.echo does: stars and titles in any script reach a stdout that Python
    thinks is ASCII (PYTHONIOENCODING=ascii, an ASCII locale) as UTF-8."""
    for argv in (("list",), ("show", reader("list", "--format", "{id}").out.split()[0])):
        done = subprocess.run(
            reader.argv(*argv),
            capture_output=True,
            env={**reader.env(), "PYTHONIOENCODING": "ascii"},
        )
        assert done.returncode == 0, done.stderr
        assert "★".encode() in done.stdout or "•".encode() in done.stdout
