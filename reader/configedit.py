"""Edits of feeds.toml that keep its comments and layout (tomlkit).

Used by the app (saving a view) and by the commands that add, remove and import feeds.
Every edit is validated by loading the result with :func:`reader.config.parse_config`
before the file is replaced (atomically), so a bad edit never reaches the disk.
"""

from __future__ import annotations

import os
from pathlib import Path

import tomlkit

from reader.config import Config, parse_config


def _load(path: Path) -> tomlkit.TOMLDocument:
    return tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()


def _save(path: Path, document: tomlkit.TOMLDocument) -> Config:
    text = tomlkit.dumps(document)
    config = parse_config(text, path)  # raises ConfigError: the file stays as it was
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return config


def _array_of_tables(document: tomlkit.TOMLDocument, name: str) -> tomlkit.items.AoT:
    if name not in document:
        document.append(name, tomlkit.aot())
    return document[name]


def add_view(path: Path, name: str, filter_expression: str, sort: str) -> Config:
    """Add (or replace) a ``[[view]]``."""
    document = _load(path)
    views = _array_of_tables(document, "view")
    table = tomlkit.table()
    table.add("name", name)
    table.add("filter", filter_expression)
    table.add("sort", sort)
    for index, existing in enumerate(views):
        if existing.get("name") == name:
            views[index] = table
            break
    else:
        views.append(table)
    return _save(path, document)
