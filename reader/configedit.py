"""Edits of feeds.toml that keep its comments and layout.

Used by the app (saving a view) and by the commands that add, remove and import feeds.

Feeds are added and removed as *lines*: a ``[[feed]]`` block is its header, its keys and
the comments inside it, plus the comment lines glued to it (directly above its header,
or directly below its last key, with no blank line between). Everything else, such as a
section comment separated by a blank line, the order of the other tables, blank lines
and inline comments, stays byte for byte. New blocks go after the last ``[[feed]]``
block, values rendered by tomlkit (quotes and escapes right). A file whose feeds are not
written as ``[[feed]]`` blocks (an inline ``feed = [...]`` array) is edited with tomlkit.

Every edit is checked twice before the file is replaced: the new text must load with
:func:`reader.config.parse_config` (a bad edit never reaches the disk) and must mean
exactly the old text plus or minus the feeds in question (compared as parsed TOML). The
file is replaced atomically (its permissions kept, a symlink followed), and not at all
if someone changed it while the edit was prepared.
"""

from __future__ import annotations

import contextlib
import copy
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomlkit

from reader.config import Config, parse_config
from reader.errors import ConfigError

NEW_FILE_HEADER = """\
# halflife feeds: see `reader --help` and the README (Configuration).
# Every [[feed]] needs a url; name, topic, tier, type, lang and tags are optional.
"""

#: Keys of a ``[[feed]]`` table in the order they are written.
FEED_KEYS = ("url", "name", "topic", "tier", "type", "lang", "tags")


# --- reading and writing the file ----------------------------------------------------------


def _real(path: Path) -> Path:
    """The file to replace: a symlinked feeds.toml (dotfiles) keeps its link."""
    return Path(os.path.realpath(path))


def _read(path: Path) -> str:
    try:
        return _real(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return ""
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _write(path: Path, text: str, *, expected: str) -> Config:
    """Validate ``text`` and replace the file with it, if the file still holds ``expected``."""
    config = parse_config(text, path)  # raises ConfigError: the file stays as it was
    target = _real(path)
    if _read(path) != expected:
        raise ConfigError(f"{path}: changed by someone else meanwhile; nothing written, try again")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = target.stat().st_mode & 0o7777 if target.exists() else None
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return config


def _load(path: Path) -> tomlkit.TOMLDocument:
    return tomlkit.parse(_read(path))


def _save(path: Path, document: tomlkit.TOMLDocument, *, expected: str | None = None) -> Config:
    return _write(
        path, tomlkit.dumps(document), expected=_read(path) if expected is None else expected
    )


def _array_of_tables(document: tomlkit.TOMLDocument, name: str) -> tomlkit.items.AoT:
    if name not in document:
        document.append(name, tomlkit.aot())
    return document[name]


def add_view(path: Path, name: str, filter_expression: str, sort: str) -> Config:
    """Add (or replace) a ``[[view]]``.

    A new view goes right after the last ``[[view]]`` block's keys, a blank line before
    it (tomlkit would put it after the comments that follow that block, which are
    usually about the next section), or at the end of a file that has none.
    """
    before = _read(path)
    document = tomlkit.parse(before)
    views = _array_of_tables(document, "view")
    table = tomlkit.table()
    table.add("name", name)
    table.add("filter", filter_expression)
    table.add("sort", sort)
    for existing in views:
        if existing.get("name") == name:  # changed in place: its layout and comments stay
            existing["filter"] = filter_expression
            existing["sort"] = sort
            return _save(path, document, expected=before)
    after = _insert_view(before, "[[view]]\n" + table.as_string())
    views.append(table)
    try:
        placed = after is not None and tomllib.loads(after) == document.unwrap()
    except tomllib.TOMLDecodeError:
        placed = False
    if not placed:  # the file is written some other way: tomlkit's placement
        return _save(path, document, expected=before)
    return _write(path, after, expected=before)


def _insert_view(text: str, block: str) -> str | None:
    """``text`` with ``block`` after the last ``[[view]]``'s keys (None: none there)."""
    lines = _scan(text)
    headers = [i for i, line in enumerate(lines) if line.kind == "header"]
    views = [i for i in headers if lines[i].table == "view" and lines[i].array]
    if not views:
        return text.rstrip("\n") + "\n\n" + block if text.strip() else None
    start = views[-1]
    limit = next((i for i in headers if i > start), len(lines))
    last = max(i for i in range(start, limit) if lines[i].kind in ("header", "content", "inside"))
    raw = text.split("\n")
    return "\n".join([*raw[: last + 1], "", block.rstrip("\n"), *raw[last + 1 :]])


# --- the lines of a TOML file ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Line:
    kind: str  # blank, comment, header, content, inside (a line of a multi-line value)
    table: str = ""  # for headers: the table name, quotes and spaces removed
    array: bool = False  # for headers: [[...]]


def _scan(text: str) -> list[_Line]:
    """Classify each line; knows strings (all four kinds), comments and nested brackets."""
    result: list[_Line] = []
    depth = 0  # [ and { inside a value
    multi: str | None = None  # the open multi-line string's delimiter
    for raw in text.split("\n"):
        if multi is not None or depth > 0:
            result.append(_Line("inside"))
        else:
            stripped = raw.strip()
            if not stripped:
                result.append(_Line("blank"))
                continue
            if stripped.startswith("#"):
                result.append(_Line("comment"))
                continue
            if stripped.startswith("["):
                array = stripped.startswith("[[")
                body = stripped[2:] if array else stripped[1:]
                end = body.find("]]" if array else "]")
                name = body[:end] if end >= 0 else body
                name = ".".join(part.strip().strip("\"'") for part in name.split("."))
                result.append(_Line("header", name, array))
                continue
            result.append(_Line("content"))
        i, n = 0, len(raw)
        while i < n:
            if multi is not None:
                end = raw.find(multi, i)
                if end < 0:
                    break
                # a basic multi-line string may escape its quotes
                if multi == '"""':
                    backslashes = 0
                    j = end - 1
                    while j >= i and raw[j] == "\\":
                        backslashes += 1
                        j -= 1
                    if backslashes % 2:
                        i = end + 1
                        continue
                i = end + 3
                while i < n and raw[i] == multi[0]:  # up to two quotes may close it too
                    i += 1
                multi = None
                continue
            ch = raw[i]
            if ch == "#":
                break
            if raw.startswith('"""', i) or raw.startswith("'''", i):
                multi = raw[i : i + 3]
                i += 3
                continue
            if ch in "\"'":
                j = i + 1
                while j < n and raw[j] != ch:
                    j += 2 if (ch == '"' and raw[j] == "\\") else 1
                i = j + 1
                continue
            if ch in "[{":
                depth += 1
            elif ch in "]}":
                depth = max(depth - 1, 0)
            i += 1
    return result


@dataclass(frozen=True, slots=True)
class _Block:
    start: int  # first line (glued comments above the header included)
    header: int
    end: int  # last line (glued comments below the last key included), inclusive


def _feed_blocks(lines: list[_Line]) -> list[_Block] | None:
    """The ``[[feed]]`` blocks, or None when feeds are written some other way."""
    headers = [i for i, line in enumerate(lines) if line.kind == "header"]
    blocks: list[_Block] = []
    for position, h in enumerate(headers):
        line = lines[h]
        if line.table != "feed":
            if line.table.startswith("feed."):
                return None  # [[feed.x]] or [feed.x]: not something we edit by lines
            continue
        if not line.array:
            return None
        limit = headers[position + 1] if position + 1 < len(headers) else len(lines)
        last = h
        for i in range(h + 1, limit):
            if lines[i].kind in ("content", "inside"):
                last = i
        # comments right under the last key belong to the block, unless they run
        # straight into the next header (then they are that header's)
        end = last
        while end + 1 < limit and lines[end + 1].kind == "comment":
            end += 1
        if end + 1 == limit < len(lines):
            end = last
        start = h
        floor = blocks[-1].end + 1 if blocks else 0
        while start - 1 >= floor and lines[start - 1].kind == "comment":
            start -= 1
        blocks.append(_Block(start, h, end))
    return blocks


def _render_feed(table: dict) -> str:
    out = ["[[feed]]"]
    for key in FEED_KEYS:
        if key in table and table[key] is not None and table[key] != ():
            value = list(table[key]) if isinstance(table[key], tuple) else table[key]
            out.append(f"{key} = {tomlkit.item(value).as_string()}")
    return "\n".join(out) + "\n"


def _plain(table: dict) -> dict:
    """A feed table as tomllib would read it back."""
    return {
        k: (list(v) if isinstance(v, tuple) else v)
        for k, v in table.items()
        if k in FEED_KEYS and v is not None and v != ()
    }


def _check_meaning(before: str, after: str, expected_feeds: list[dict]) -> bool:
    """Does ``after`` say exactly what ``before`` said, but with ``expected_feeds``?"""
    try:
        old = tomllib.loads(before)
        new = tomllib.loads(after)
    except tomllib.TOMLDecodeError:
        return False
    old = copy.deepcopy(old)
    old["feed"] = expected_feeds
    new.setdefault("feed", [])
    return old == new


def _feeds_of(text: str) -> list[dict]:
    try:
        feeds = tomllib.loads(text).get("feed", [])
    except tomllib.TOMLDecodeError:
        return []
    return feeds if isinstance(feeds, list) else []


# --- adding and removing feeds -----------------------------------------------------------


def add_feeds(path: Path, tables: list[dict], *, comment: str | None = None) -> Config:
    """Append ``[[feed]]`` tables (dicts of FEED_KEYS) after the last feed of the file.

    ``comment`` (one line, without ``#``) goes above the new blocks. A missing file is
    created with a short header.
    """
    if not tables:
        return parse_config(_read(path), path)
    before = _read(path)
    text = before if before.strip() else (before or NEW_FILE_HEADER)
    expected = [*_feeds_of(before), *(_plain(t) for t in tables)]
    chunk = "\n".join(_render_feed(t) for t in tables)
    if comment:
        chunk = f"# {' '.join(comment.split())}\n\n" + chunk
    lines = text.split("\n")
    blocks = _feed_blocks(_scan(text))
    after = None
    if blocks is not None:
        if blocks:
            at = blocks[-1].end + 1
            head = "\n".join(lines[:at])
            tail = "\n".join(lines[at:])
            after = head + "\n\n" + chunk
            if tail.strip():
                after += "\n" + tail.lstrip("\n")
            else:
                after += tail.lstrip("\n")
        else:
            after = text.rstrip("\n") + "\n\n" + chunk
        if not after.endswith("\n"):
            after += "\n"
        if not _check_meaning(before, after, expected):
            after = None
    if after is None:
        after = _add_with_tomlkit(text, tables, expected, before)
    return _write(path, after, expected=before)


def _add_with_tomlkit(text: str, tables: list[dict], expected: list[dict], before: str) -> str:
    document = tomlkit.parse(text)
    feeds = document.get("feed")
    if feeds is None:
        feeds = _array_of_tables(document, "feed")
    for table in tables:
        item = tomlkit.table() if isinstance(feeds, tomlkit.items.AoT) else tomlkit.inline_table()
        for key, value in _plain(table).items():
            item.add(key, value)
        feeds.append(item)
    after = tomlkit.dumps(document)
    if not _check_meaning(before, after, expected):
        raise ConfigError("internal: could not add the feeds without changing anything else")
    return after


def remove_feed(path: Path, url: str) -> Config:
    """Remove the ``[[feed]]`` whose url is ``url``, and the comments glued to it."""
    before = _read(path)
    feeds = _feeds_of(before)
    index = next((i for i, f in enumerate(feeds) if f.get("url") == url), None)
    if index is None:
        raise ConfigError(f"{path}: no feed with url {url!r}")
    expected = feeds[:index] + feeds[index + 1 :]
    lines = before.split("\n")
    blocks = _feed_blocks(_scan(before))
    after = None
    if blocks is not None and len(blocks) == len(feeds):
        block = blocks[index]
        kept = lines[: block.start] + lines[block.end + 1 :]
        at = block.start
        # one blank line where the block was, not two
        if at < len(kept) and not kept[at].strip() and (at == 0 or not kept[at - 1].strip()):
            del kept[at]
        after = "\n".join(kept)
        if not _check_meaning(before, after, expected):
            after = None
    if after is None:
        document = tomlkit.parse(before)
        del document["feed"][index]
        after = tomlkit.dumps(document)
        if not _check_meaning(before, after, expected):
            raise ConfigError("internal: could not remove the feed without changing anything else")
    return _write(path, after, expected=before)
