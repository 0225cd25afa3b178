"""The Textual app. Only this package and ``reader.cli`` import Textual or Rich."""

from reader.app.app import HalflifeApp, make_app

__all__ = ["HalflifeApp", "make_app"]
