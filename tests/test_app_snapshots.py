"""Snapshots of the app (pytest-textual-snapshot), pinned clock and time zone.

Update after an intended visual change with:  .venv/bin/pytest tests/test_app_snapshots.py --snapshot-update
"""

from __future__ import annotations

import time

import pytest

from reader.app import make_app
from tests.appfixtures import NOW, build_sample_store, copy_sample


@pytest.fixture(scope="module")
def sample_template(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sample-snap")
    build_sample_store(directory)
    return directory


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.delenv("TZ")
    time.tzset()


def app_in(sample_template, tmp_path, language):
    store, config = copy_sample(sample_template, tmp_path / language, language=language)
    return make_app(store, config, clock=lambda: NOW)


SIZES = {"wide": (120, 40), "narrow": (80, 24)}


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("size", ["wide", "narrow"])
def test_main_screen(snap_compare, sample_template, tmp_path, language, size):
    app = app_in(sample_template, tmp_path, language)
    assert snap_compare(app, terminal_size=SIZES[size])


@pytest.mark.parametrize("language", ["en", "ja"])
def test_card_of_the_story(snap_compare, sample_template, tmp_path, language):
    """The card of the five-language story, in the three-column layout."""
    app = app_in(sample_template, tmp_path, language)
    assert snap_compare(app, terminal_size=(170, 40))


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("size", ["wide", "narrow"])
def test_article_view(snap_compare, sample_template, tmp_path, language, size):
    app = app_in(sample_template, tmp_path, language)
    assert snap_compare(app, press=["j", "enter"], terminal_size=SIZES[size])


@pytest.mark.parametrize("language", ["en", "ja"])
def test_help(snap_compare, sample_template, tmp_path, language):
    app = app_in(sample_template, tmp_path, language)
    assert snap_compare(app, press=["question_mark"], terminal_size=(120, 40))


def test_filter_error(snap_compare, sample_template, tmp_path):
    app = app_in(sample_template, tmp_path, "en")
    assert snap_compare(app, press=["f", *"lang:ja stars>>2", "enter"], terminal_size=(120, 40))


def test_no_color(snap_compare, sample_template, tmp_path, monkeypatch):
    """Freshness badges are words, so they read without colour too."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_in(sample_template, tmp_path, "en")
    assert snap_compare(app, terminal_size=(120, 40))
