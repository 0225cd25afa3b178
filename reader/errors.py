"""One exception tree. Every error a user can cause or meet has a one-line message.

The CLI prints ``str(error)`` and exits with ``error.exit_code``; nothing below
this module prints or exits.
"""

from __future__ import annotations


class ReaderError(Exception):
    """Base of every error halflife raises on purpose."""

    exit_code = 1


class ConfigError(ReaderError):
    """feeds.toml (or a command line value) is wrong: the message names file, line/key, and what."""

    exit_code = 2


class UsageError(ReaderError):
    """A command was called wrongly (unknown article id, bad filter expression...)."""

    exit_code = 2


class FetchError(ReaderError):
    """A feed could not be fetched. Carries an optional retry hint from the server."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ParseError(ReaderError):
    """The fetched bytes are not a feed we can read."""


class StoreError(ReaderError):
    """The store cannot be read or written."""


class StoreMissing(StoreError):
    """A command that reads the store was run before any store exists."""

    exit_code = 2


class StoreLocked(StoreError):
    """Another process held the store lock longer than we were willing to wait."""

    exit_code = 3


class StoreCorrupt(StoreError):
    """A store file does not parse. Never overwritten silently; ``reader doctor`` recovers."""

    def __init__(self, message: str, *, path: str, backup: str | None) -> None:
        super().__init__(message)
        self.path = path
        self.backup = backup


class StoreVersionError(StoreError):
    """The store was written by a newer halflife."""

    exit_code = 2
