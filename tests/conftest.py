"""Shared fixtures. Tests never touch the internet or the user's real config/store."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "feeds" / "real"


def corpus_manifest() -> dict[str, dict[str, str]]:
    """MANIFEST.tsv of the shared corpus: file name -> its columns."""
    rows: dict[str, dict[str, str]] = {}
    header: list[str] | None = None
    for line in (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        cells = line.split("\t")
        if header is None:
            header = cells
            continue
        rows[cells[0]] = dict(zip(header, cells, strict=False))
    return rows


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing: {CORPUS} (CI puts ../shared beside the repo)")
    return CORPUS


@pytest.fixture(scope="session")
def session_cache_home(tmp_path_factory) -> Path:
    """XDG_CACHE_HOME for the whole run. It only holds derived model data
    (reader.modelcache, ~150 MB that takes ~2 s of CPU to build): a directory per test
    would rebuild it in every process that a test starts. Tests of the cache itself
    point XDG_CACHE_HOME at their own directory."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session", autouse=True)
def _isolated_session(tmp_path_factory, session_cache_home):
    """The same isolation for session- and module-scoped fixtures, which are set up
    before any test's own (a session fixture that loads a model would otherwise build
    its cache in the user's ~/.cache)."""
    home = tmp_path_factory.mktemp("session-home")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("XDG_CONFIG_HOME", str(home / "config"))
        env.setenv("XDG_DATA_HOME", str(home / "data"))
        env.setenv("XDG_CACHE_HOME", str(session_cache_home))
        yield


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch, session_cache_home):
    """XDG dirs point into a temp dir: no test reads or writes the user's files."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(session_cache_home))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("https_proxy", raising=False)
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    yield home


@pytest.fixture(autouse=True)
def _collector_unfrozen():
    """An app's library freezes what it loads (gc.freeze), and with it every object the
    test process holds: given back to the collector after each test, so that garbage
    cycles of one test are not kept for the rest of the run."""
    yield
    gc.unfreeze()
