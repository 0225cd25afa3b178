"""Stable article ids and content hashes (pure)."""

from __future__ import annotations

import hashlib

from reader.models import ParsedEntry

ID_LENGTH = 12  # hex digits: 48 bits, ~2e-5 chance of any collision at 100k articles


def article_id(feed_key: str, entry_key: str) -> str:
    """The same entry of the same feed always gets the same id."""
    digest = hashlib.blake2b(f"{feed_key}\n{entry_key}".encode(), digest_size=ID_LENGTH // 2)
    return digest.hexdigest()


def content_hash(entry: ParsedEntry) -> str:
    """Changes when what a reader sees of the entry changes."""
    parts = (entry.title, entry.link, entry.text, str(entry.published), entry.author)
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).hexdigest()
