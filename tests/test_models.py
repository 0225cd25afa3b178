"""The records: Article.with_ copies as dataclasses.replace does."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.storefaults import old_article


def test_with_gives_what_replace_gives():
    article = old_article(3)
    changes = {"segment": 7, "related": ("a", "b"), "title": "New"}
    copy = article.with_(**changes)
    assert copy == replace(article, **changes)
    assert copy is not article and article.segment == 0  # the original is untouched
    assert article.with_() == article


def test_with_refuses_a_field_articles_do_not_have():
    with pytest.raises(TypeError, match="summry"):
        old_article(3).with_(summry=("x",))
