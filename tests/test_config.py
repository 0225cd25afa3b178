"""feeds.toml: good files load, every mistake is one line naming file:line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.config import find_config, load_config, parse_config, resolve_file_url
from reader.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]

GOOD = """\
[fetch]
concurrency = 8
timeout = 10

[[feed]]
url = "https://lab.example/feed.xml"
name = "Example Lab"
topic = "Open models"
tier = 1
type = "blog"
lang = "en-US"
tags = ["Lab", "models"]

[[feed]]
url = "file://./sample.xml"
"""


def test_good_config_loads_with_defaults(tmp_path):
    path = tmp_path / "feeds.toml"
    path.write_text(GOOD)
    config = load_config(path)
    assert config.fetch.concurrency == 8 and config.fetch.timeout == 10.0
    assert config.fetch.per_host == 4  # default
    lab, sample = config.feeds
    assert (lab.name, lab.topic, lab.tier, lab.type, lab.lang) == (
        "Example Lab",
        "Open models",
        1,
        "blog",
        "en",
    )
    assert lab.tags == ("lab", "models")
    assert sample.name is None and sample.tier == 3 and sample.type == "news"
    assert config.resolve_file_url(sample.url) == tmp_path / "sample.xml"


def test_the_example_feeds_toml_is_valid():
    config = load_config(ROOT / "feeds.toml")
    assert len(config.feeds) >= 10
    file_feeds = [f for f in config.feeds if f.url.startswith("file:")]
    assert file_feeds, "the example needs an offline feed"
    for feed in file_feeds:
        assert config.resolve_file_url(feed.url).is_file()
    langs = {f.lang for f in config.feeds}
    assert {"en", "ja", "fr", "de"} <= langs
    assert {1, 2, 3} <= {f.tier for f in config.feeds} | {3}
    assert {"paper", "blog", "news"} <= {f.type for f in config.feeds}


def error_of(text: str, tmp_path: Path) -> str:
    path = tmp_path / "feeds.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert info.value.exit_code == 2
    return message[len(str(path)) :]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[[feed]]\nurl = "https://a/x"\ncolour = "red"\n', ":3: unknown key 'colour'"),
        ('[[feed]]\nurl = "ftp://a/x"\n', ":2: url 'ftp://a/x': scheme 'ftp' is not supported"),
        ('[[feed]]\nurl = "a/x"\n', ":2: url 'a/x' has no scheme"),
        ('[[feed]]\nurl = "https:///x"\n', ":2: url 'https:///x' has no host"),
        (
            '[[feed]]\nurl = "https://a/x"\ntier = "one"\n',
            ":3: tier in [[feed]] #1 must be an integer",
        ),
        ('[[feed]]\nurl = "https://a/x"\ntier = 5\n', ":3: tier must be 1, 2 or 3, not 5"),
        ('[[feed]]\nurl = "https://a/x"\ntype = "tweet"\n', ":3: type must be one of"),
        ("[[feed]]\nname = 'x'\n", ":1: [[feed]] #1 needs a 'url' key"),
        ('[fetch]\ntimeout = "fast"\n', ":2: timeout in [fetch] must be a number"),
        ("[fetch]\nconcurrency = 0\n", ":2: concurrency in [fetch] must be greater than 0"),
        ("[fetch]\nretries = 3\n", ":2: unknown key 'retries' in [fetch]"),
        ("[colours]\nx = 1\n", ":1: unknown section or key 'colours'"),
        ('[[feed]]\nurl = "https://a/x"\ntags = "ai"\n', ":3: tags in [[feed]] #1 must be a list"),
        ("[[feed]]\nurl = \n", ":2: TOML syntax error"),
        ('[[feed]]\nurl = "https://a/x"\nlang = "english"\n', ":1: lang must be an ISO 639-1"),
    ],
)
def test_each_mistake_is_one_line_with_file_line_and_key(tmp_path, text, expected):
    message = error_of(text, tmp_path)
    assert message.startswith(expected), message


def test_duplicate_names_and_urls(tmp_path):
    text = (
        '[[feed]]\nurl = "https://a/1"\nname = "A"\n\n[[feed]]\nurl = "https://a/2"\nname = "a"\n'
    )
    assert error_of(text, tmp_path).startswith(":7: duplicate feed name 'a' (also feed #1)")
    text = '[[feed]]\nurl = "https://a/1"\n\n[[feed]]\nurl = "https://a/1"\n'
    assert error_of(text, tmp_path).startswith(":5: duplicate feed url")


def test_line_numbers_point_into_the_right_feed(tmp_path):
    text = "\n".join(
        f'[[feed]]\nurl = "https://a/{i}"\ntier = {1 if i != 3 else 7}\n' for i in range(5)
    )
    message = error_of(text, tmp_path)
    assert message.startswith(":15: tier must be 1, 2 or 3, not 7"), message


def test_not_utf8_and_missing_file(tmp_path):
    path = tmp_path / "feeds.toml"
    path.write_bytes(b"[fetch]\ntimeout = 1 # caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "missing.toml")


def test_search_order(tmp_path, monkeypatch):
    xdg = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    monkeypatch.chdir(tmp_path)
    found, tried = find_config(None)
    assert found is None
    assert tried == [xdg / "halflife" / "feeds.toml", tmp_path / "feeds.toml"]
    (tmp_path / "feeds.toml").write_text("")
    assert find_config(None)[0] == tmp_path / "feeds.toml"
    (xdg / "halflife").mkdir(parents=True)
    (xdg / "halflife" / "feeds.toml").write_text("")
    assert find_config(None)[0] == xdg / "halflife" / "feeds.toml"
    explicit = tmp_path / "other.toml"
    assert find_config(explicit) == (None, [explicit])


def test_file_urls(tmp_path):
    assert resolve_file_url("file:///abs/x.xml", tmp_path) == Path("/abs/x.xml")
    assert resolve_file_url("file://localhost/abs/x.xml", tmp_path) == Path("/abs/x.xml")
    assert resolve_file_url("file://./rel/x.xml", tmp_path) == tmp_path / "rel" / "x.xml"
    assert resolve_file_url("file:rel/x.xml", tmp_path) == tmp_path / "rel" / "x.xml"
    assert resolve_file_url("file:///a%20b.xml", tmp_path) == Path("/a b.xml")


def test_empty_config_is_valid():
    config = parse_config("")
    assert config.feeds == ()
