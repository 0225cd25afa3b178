"""OPML in and out, and edits of feeds.toml that keep its comments and layout."""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from reader.config import load_config, parse_config
from reader.configedit import add_feeds, remove_feed
from reader.opml import OPMLError, parse_opml, plan_import, write_opml
from tests.clitools import ROOT, Reader

DATA = Path(__file__).parent / "data" / "opml"


def opml(name: str) -> bytes:
    return (DATA / name).read_bytes()


# --- reading OPML --------------------------------------------------------------------------


def test_feedly_export():
    subs = parse_opml(opml("feedly.opml"))
    assert subs.title == "Jane subscriptions in feedly Cloud"
    assert [(f.name, f.topic) for f in subs.feeds] == [
        ("OpenAI News", "AI Labs"),
        ("Google DeepMind Blog", "AI Labs"),
        ("Le Monde Pixels", "Presse & Médias"),
        ("ITmedia AI+", "Presse & Médias"),
        ("heise online", "Presse & Médias"),
    ]
    assert subs.feeds[0].url == "https://openai.com/news/rss.xml"
    assert subs.feeds[0].html_url == "https://openai.com/news/"  # never taken for the feed


def test_nested_folders_and_sloppy_attributes():
    subs = parse_opml(opml("nested.opml"))
    feeds = {}
    for feed in subs.feeds:
        feeds.setdefault(feed.url, feed)
    top = feeds["https://simonwillison.net/atom/everything/"]
    assert top.topic is None and top.name == "Simon Willison"
    # the innermost folder is the topic; title wins over text for the name
    arxiv = feeds["https://rss.arxiv.org/rss/cs.CL"]
    assert arxiv.topic == "Papers" and arxiv.name.startswith("arXiv cs.CL (") and arxiv.lang == "en"
    nameless = feeds["https://rss.arxiv.org/rss/cs.LG"]
    assert nameless.topic == "Papers" and nameless.name is None
    assert feeds["https://bair.berkeley.edu/blog/feed.xml"].topic == "Research"
    assert feeds["https://github.com/ggml-org/llama.cpp/releases.atom"].topic == "Tools"
    # outside any folder, OPML 2.0 category: the first path's last part
    assert feeds["https://www.numerama.com/feed/"].topic == "Tech"
    assert "https://example.org/about" not in feeds  # a link outline is not a feed


def test_import_plan_skips_duplicates_and_bad_urls():
    subs = parse_opml(opml("nested.opml"))
    existing = [("https://BAIR.berkeley.edu/blog/feed.xml", "BAIR")]
    plan = plan_import(subs, existing, default_topic="Imported")
    urls = [t["url"] for t in plan.tables]
    assert urls == [
        "https://simonwillison.net/atom/everything/",
        "https://rss.arxiv.org/rss/cs.CL",
        "https://rss.arxiv.org/rss/cs.LG",
        "https://github.com/ggml-org/llama.cpp/releases.atom",
        "https://www.numerama.com/feed/",
    ]
    reasons = {f.url: why for f, why in plan.skipped}
    assert reasons["https://bair.berkeley.edu/blog/feed.xml"] == "already in feeds.toml"
    assert reasons["https://simonwillison.net/atom/everything/"] == "twice in the file"
    assert "scheme 'javascript'" in reasons["javascript:alert(1)"]
    assert "no scheme" in reasons["/feed.xml"]
    assert plan.tables[0]["topic"] == "Imported"  # outside any folder
    assert "name" not in plan.tables[2]  # the feed's own title will name it


def test_one_line_files():
    subs = parse_opml(opml("no-title-no-type.opml"))
    assert [f.url for f in subs.feeds] == [
        "https://www.publickey1.jp/atom.xml",
        "https://rss.golem.de/rss.php?feed=ATOM1.0&x=1",
    ]
    assert all(f.name is None for f in subs.feeds)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("broken.opml", "not valid XML: unclosed token (line 7"),
        ("entities.opml", "declares XML entities"),
        ("not-opml.xml", "the root element is <rss>"),
    ],
)
def test_broken_files_say_what_is_wrong(name, message):
    with pytest.raises(OPMLError, match=None) as caught:
        parse_opml(opml(name))
    assert message in str(caught.value)
    with pytest.raises(OPMLError, match="empty"):
        parse_opml(b"  \n")


# --- the command ---------------------------------------------------------------------------


COMMENTED = """\
# my feeds (kept by hand)

[fetch]
timeout = 10   # seconds

# --- labs

[[feed]]
url = "https://openai.com/news/rss.xml"   # the official one
name = "OpenAI"
topic = "Labs"

# --- press
[[feed]]
url = "https://www.heise.de/rss/heise-atom.xml"
name = "heise"
tags = [
  "de",   # German
  "press",
]
"""


def test_import_into_a_commented_feeds_toml_keeps_every_line(tmp_path):
    reader = Reader(tmp_path, COMMENTED)
    run = reader("import", str(DATA / "feedly.opml"))
    assert run.code == 0, run.err
    after = reader.config.read_text()
    assert after.startswith(COMMENTED)  # not one byte of the old text changed
    assert "# --- imported from feedly.opml on " in after
    feeds = load_config(reader.config).feeds
    assert [f.name for f in feeds] == [
        "OpenAI",
        "heise",
        "Google DeepMind Blog",
        "Le Monde Pixels",
        "ITmedia AI+",
    ]
    assert feeds[3].topic == "Presse & Médias"
    lines = run.out.splitlines()
    assert lines[:2] == [
        "skipped  https://openai.com/news/rss.xml  (line 8: already in feeds.toml)",
        "skipped  https://www.heise.de/rss/heise-atom.xml  (line 14: already in feeds.toml)",
    ]
    assert "3 feeds added" in run.err and "2 skipped" in run.err
    # importing again adds nothing and leaves the file as it is
    again = reader("import", str(DATA / "feedly.opml"))
    assert again.code == 0 and reader.config.read_text() == after
    assert "0 feeds added" in again.err


def test_import_into_no_feeds_toml_creates_it(tmp_path):
    reader = Reader(tmp_path)  # no feeds.toml yet
    run = reader("import", str(DATA / "nested.opml"), "--topic", "Misc")
    assert run.code == 0, run.err
    config = load_config(reader.config)
    assert len(config.feeds) == 6
    assert config.feeds[0].topic == "Misc" and config.feeds[1].topic == "Papers"
    dry = Reader(tmp_path / "dry")
    run = dry("import", str(DATA / "feedly.opml"), "--dry-run")
    assert run.code == 0 and run.out.count("would add") == 5 and not dry.config.exists()


@pytest.mark.parametrize("name", ["broken.opml", "entities.opml", "not-opml.xml"])
def test_a_broken_opml_is_one_line_and_exit_2(tmp_path, name):
    reader = Reader(tmp_path, COMMENTED)
    run = reader("import", str(DATA / name))
    assert run.code == 2 and run.out == ""
    assert run.err.count("\n") == 1 and run.err.startswith(f"reader: {DATA / name}: ")
    assert reader.config.read_text() == COMMENTED
    missing = reader("import", str(tmp_path / "nope.opml"))
    assert missing.code == 2 and "No such file" in missing.err + missing.out


def test_export_then_import_gives_the_same_feeds(tmp_path):
    """The repository's example feeds.toml, out as OPML and into an empty feeds.toml."""
    source = Reader(tmp_path / "a")
    source.config = ROOT / "feeds.toml"
    out = source("export", "--format", "opml")
    assert out.code == 0, out.err
    root = ET.fromstring(out.out)
    topics = [o.get("text") for o in root.find("body")]
    original = load_config(ROOT / "feeds.toml").feeds
    assert topics == list(dict.fromkeys(f.topic for f in original))
    target = Reader(tmp_path / "b")
    exported = tmp_path / "feeds.opml"
    assert source("export", "-o", str(exported)).code == 0
    assert target("import", str(exported)).code == 0
    imported = load_config(target.config).feeds
    assert sorted(imported, key=lambda f: f.url) == sorted(original, key=lambda f: f.url)


def test_hostile_feed_names_stay_text_in_opml(tmp_path):
    hostile = '[x](javascript:alert(1)) <script>alert(1)</script> ]]> &amp; "q" \u0007\u001b[31m'
    text = f'[[feed]]\nurl = "https://x.example/feed?a=1&b=<2>"\nname = {tomlkit_str(hostile)}\ntopic = "<b>Topic</b>"\n'
    reader = Reader(tmp_path, text)
    run = reader("export")
    assert run.code == 0, run.err
    assert "<script" not in run.out and "\x1b" not in run.out and "\x07" not in run.out
    root = ET.fromstring(run.out)  # well-formed
    folder = root.find("body")[0]
    assert folder.get("text") == "<b>Topic</b>"
    feed = folder[0]
    assert feed.get("xmlUrl") == "https://x.example/feed?a=1&b=<2>"
    assert feed.get("title").startswith(
        '[x](javascript:alert(1)) <script>alert(1)</script> ]]> &amp; "q"'
    )
    # and it comes back as the same text
    again = parse_opml(run.out.encode())
    assert again.feeds[0].name == feed.get("title") and again.feeds[0].topic == "<b>Topic</b>"


def tomlkit_str(value: str) -> str:
    import tomlkit

    return tomlkit.item(value).as_string()


def test_write_opml_drops_what_xml_cannot_carry():
    from reader.opml import ExportFeed

    out = write_opml(
        [ExportFeed("https://x.example/f", "a\u0000b\ufffe\ud800c", "T", 1, "news", tags=("x",))]
    )
    feed = ET.fromstring(out).find("body")[0][0]
    title = feed.get("title")
    assert title.replace(" ", "") == "abc" and "\ufffe" not in title


# --- editing feeds.toml by lines -----------------------------------------------------------


def block(text: str, url: str) -> str:
    """The [[feed]] block of ``url`` in the example feeds.toml, with its blank line."""
    start = text.index(f'[[feed]]\nurl = "{url}"')
    end = text.index("\n\n", start) + 2
    return text[start:end]


@pytest.mark.parametrize(
    "name",
    [
        "Aster Lab (sample)",
        "Papers (sample)",
        "OpenAI News",
        "Transformers releases",
        "Simon Willison",
    ],
)
def test_remove_takes_out_exactly_the_feeds_lines(tmp_path, name):
    original = (ROOT / "feeds.toml").read_text()
    path = tmp_path / "feeds.toml"
    path.write_text(original)
    feed = next(f for f in load_config(ROOT / "feeds.toml").feeds if f.name == name)
    remove_feed(path, feed.url)
    after = path.read_text()
    if name == "Simon Willison":  # the last block: the blank line before it goes
        expected = original[: original.index('\n[[feed]]\nurl = "https://simonwillison')]
    else:
        expected = original.replace(block(original, feed.url), "", 1)
    assert after == expected
    assert "# --- press (tier 2), in several languages" in after
    assert "# --- official: labs and companies (tier 1)" in after


def test_comments_glued_to_a_feed_go_with_it_and_no_others(tmp_path):
    text = (
        COMMENTED
        + '\n# flaky, try again in June\n[[feed]]\nurl = "https://x.example/f"\n# tier = 2\n'
    )
    path = tmp_path / "feeds.toml"
    path.write_text(text)
    remove_feed(path, "https://x.example/f")
    assert path.read_text() == COMMENTED
    path.write_text(COMMENTED)
    remove_feed(path, "https://www.heise.de/rss/heise-atom.xml")
    after = path.read_text()
    # "# --- press" sits right above the header: it was the feed's; "# --- labs" stays
    assert "# --- labs" in after and "heise" not in after and "German" not in after
    assert after == COMMENTED[: COMMENTED.index("# --- press")].rstrip("\n") + "\n"


def test_add_appends_after_the_last_feed_and_keeps_what_follows(tmp_path):
    text = COMMENTED + '\n# --- views\n\n[[view]]\nname = "Fresh"\nfilter = "fresh"\n'
    path = tmp_path / "feeds.toml"
    path.write_text(text)
    add_feeds(path, [{"url": "https://new.example/feed", "name": 'New "one"', "tags": ("a", "b")}])
    after = path.read_text()
    head = COMMENTED
    assert after.startswith(head)
    assert after.endswith('\n# --- views\n\n[[view]]\nname = "Fresh"\nfilter = "fresh"\n')
    data = tomllib.loads(after)
    assert data["feed"][-1] == {
        "url": "https://new.example/feed",
        "name": 'New "one"',
        "tags": ["a", "b"],
    }
    assert data["view"] == [{"name": "Fresh", "filter": "fresh"}]


def test_inline_feed_arrays_are_edited_too(tmp_path):
    path = tmp_path / "feeds.toml"
    path.write_text('# inline\nfeed = [{url = "https://a.example/f"}]\n')
    add_feeds(path, [{"url": "https://b.example/f"}])
    assert [f.url for f in load_config(path).feeds] == [
        "https://a.example/f",
        "https://b.example/f",
    ]
    remove_feed(path, "https://a.example/f")
    assert [f.url for f in load_config(path).feeds] == ["https://b.example/f"]
    assert path.read_text().startswith("# inline\n")


def test_an_edit_that_would_break_the_file_is_not_written(tmp_path):
    from reader.errors import ConfigError

    path = tmp_path / "feeds.toml"
    path.write_text(COMMENTED)
    with pytest.raises(ConfigError, match="duplicate feed name"):
        add_feeds(path, [{"url": "https://other.example/f", "name": "OpenAI"}])
    with pytest.raises(ConfigError, match="tier must be"):
        add_feeds(path, [{"url": "https://other.example/f", "tier": 7}])
    assert path.read_text() == COMMENTED
    parse_config(COMMENTED)


def test_a_symlinked_feeds_toml_stays_a_symlink(tmp_path):
    real = tmp_path / "dotfiles" / "feeds.toml"
    real.parent.mkdir()
    real.write_text(COMMENTED)
    real.chmod(0o600)
    link = tmp_path / "feeds.toml"
    link.symlink_to(real)
    add_feeds(link, [{"url": "https://new.example/feed"}])
    assert link.is_symlink() and "new.example" in real.read_text()
    assert real.stat().st_mode & 0o777 == 0o600


def test_a_saved_view_goes_after_the_last_view_and_keeps_the_files_layout(tmp_path):
    """`V` in the app: the new [[view]] follows the last one, a blank line between,
    not after the comment that opens the next section; saving it again changes its
    keys in place."""
    from reader.configedit import add_view

    path = tmp_path / "feeds.toml"
    path.write_text(
        '# Views\n[[view]]\nname = "A"\nfilter = "+unread"\nsort = "worth"\n\n'
        '# --- the feeds\n\n[[feed]]\nurl = "https://a.example/feed"\n',
        encoding="utf-8",
    )
    add_view(path, "B", "lang:ja", "newest")
    add_view(path, "C", "stars>=3", "worth")
    add_view(path, "B", "lang:fr", "newest")
    assert path.read_text(encoding="utf-8") == (
        '# Views\n[[view]]\nname = "A"\nfilter = "+unread"\nsort = "worth"\n\n'
        '[[view]]\nname = "B"\nfilter = "lang:fr"\nsort = "newest"\n\n'
        '[[view]]\nname = "C"\nfilter = "stars>=3"\nsort = "worth"\n\n'
        '# --- the feeds\n\n[[feed]]\nurl = "https://a.example/feed"\n'
    )
    bare = tmp_path / "bare.toml"
    bare.write_text('[[feed]]\nurl = "https://a.example/feed"\n', encoding="utf-8")
    add_view(bare, "Mine", "+unread", "worth")
    assert bare.read_text(encoding="utf-8").endswith(
        'url = "https://a.example/feed"\n\n[[view]]\nname = "Mine"\nfilter = "+unread"\nsort = "worth"\n'
    )
