"""A real store built from the offline sample feeds, at a pinned moment, for app tests.

The store is built once per session (refresh runs the whole pipeline: parse, language,
summary, embeddings, clustering) and copied for each test, so tests can change it.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from reader.config import Config, load_config
from reader.refresh import refresh
from reader.store import Store

ROOT = Path(__file__).resolve().parents[1]
#: "now" for app tests: a day after the sample's big story broke
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC).timestamp()

SAMPLE_FEEDS = [
    ("sample-lab.xml", "Aster Lab (sample)", "Labs", 1, "blog"),
    ("sample-press.xml", "Tech Desk (sample)", "Industry", 2, "news"),
    ("sample-world.xml", "World Press (sample)", "Industry", 2, "news"),
    ("sample-releases.xml", "llama-tools releases (sample)", "Tools", 1, "release"),
    ("sample-papers.xml", "Papers (sample)", "Papers", 3, "paper"),
]


def config_text(feed_dir: Path, *, extra: str = "", language: str = "en") -> str:
    lines = [
        "[fetch]",
        "parse_workers = 1",
        "",
        "[ui]",
        f'language = "{language}"',
        'quick_tags = ["important", "read-later"]',
        "poll = 0.2",
        "",
        "[[topic]]",
        'name = "Open models"',
        'keywords = ["open-weight", "オープンモデル", "modèle ouvert", "offenes Sprachmodell", "modello aperto"]',
        "move = true",
        "",
        "[[view]]",
        'name = "Must read"',
        'filter = "+unread stars>=4"',
        "",
        "[[view]]",
        'name = "Japanese"',
        'filter = "lang:ja"',
        'sort = "newest"',
        "",
    ]
    for file, name, topic, tier, kind in SAMPLE_FEEDS:
        lines += [
            "[[feed]]",
            f'url = "file://./feeds/{file}"',  # relative: a copied store keeps its feed keys
            f'name = "{name}"',
            f'topic = "{topic}"',
            f"tier = {tier}",
            f'type = "{kind}"',
            "",
        ]
    return "\n".join(lines) + "\n" + extra


def build_sample_store(directory: Path) -> tuple[Path, Path]:
    """(config path, store path) of a freshly refreshed sample store in ``directory``."""
    feed_dir = directory / "feeds"
    feed_dir.mkdir(parents=True)
    for file, *_ in SAMPLE_FEEDS:
        shutil.copy(ROOT / "examples" / file, feed_dir / file)
    config_path = directory / "feeds.toml"
    config_path.write_text(config_text(feed_dir), encoding="utf-8")
    store_path = directory / "store"
    store = Store.open(store_path)
    report = refresh(store, load_config(config_path), now=lambda: NOW - 3600)
    assert not report.failed, report.failed
    return config_path, store_path


def copy_sample(
    template: Path, target: Path, *, language: str = "en", extra: str = ""
) -> tuple[Store, Config]:
    """A private copy of the sample store and its config (optionally in Japanese)."""
    shutil.copytree(template, target)
    config_path = target / "feeds.toml"
    config_path.write_text(
        config_text(target / "feeds", extra=extra, language=language), encoding="utf-8"
    )
    config = load_config(config_path)
    return Store.open(target / "store"), replace(config)
