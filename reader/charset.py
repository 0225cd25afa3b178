"""The character encoding of a document that does not say, or says it wrong; and
UTF-16/32 documents made UTF-8 (:func:`wide_to_utf8`), so the parsers, and the removal
of a DOCTYPE before them, only ever see UTF-8.

A declared encoding (the HTTP ``charset``, the XML declaration) that reads the bytes is
trusted, and so is UTF-8 when it reads them: feedparser then decodes the document as
before. Only what neither reads gets here, and feedparser's last resort for it,
Windows-1252, is right for Western European text only: a Korean, Thai or Hebrew feed
sent without a charset (old blog engines did) came out as mojibake, and its language
was detected from the mojibake.

So, for those documents only:

- bytes that are mostly UTF-8 (twice as many valid sequences as stray bytes: a
  template in Windows-1252 around UTF-8 content) stay UTF-8, each stray byte read as
  Windows-1252;
- otherwise chardet tells the encoding, among those of the web and the ISO-8859 family
  (its DOS, Mac, mainframe and regional code pages are left out: on a Latin text with
  few accented letters it could answer hp-roman8 or cp1006). An answer of the Latin-1
  family, or none, reads the bytes as UTF-8 where they are and as Windows-1252
  elsewhere (the web's reading of undeclared Latin text).

chardet is imported only then (~90 ms): feedparser would import it in every process
that parses and run it before trying UTF-8 on some documents, so :func:`import_feedparser`
keeps it from doing either.
"""

from __future__ import annotations

import codecs
import re
import sys
import threading
from types import ModuleType

# The Latin-1 family (Python's codec names): Windows-1252 reads the same letters, and
# the curly quotes and dashes (0x80-0x9F) that ISO-8859-1 would make control characters.
_AS_WINDOWS_1252 = frozenset({"ascii", "iso8859-1", "iso8859-15", "cp1252"})

XML_DECLARATION = re.compile(rb"""^(\s*<\?xml(?=\s)[^>]*?\bencoding\s*=\s*)(["'])([^"']*)\2""")
_XML_DECLARATION_END = re.compile(rb"^(\s*<\?xml(?=\s)[^>]*?)(\s*\?>)")
CHARSET_PARAM = re.compile(r";\s*charset\s*=\s*([^;]*)", re.I)
# Held while feedparser is imported with chardet hidden from it, and while chardet is
# imported: neither import runs inside the other's window.
_IMPORTS = threading.Lock()


def _stray_bytes_as_windows_1252(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    stray = error.object[error.start : error.end]
    return stray.decode("windows-1252", errors="replace"), error.end


codecs.register_error("halflife-windows-1252", _stray_bytes_as_windows_1252)


def declared_encodings(body: bytes, headers: dict[str, str]) -> list[str]:
    """The encodings the HTTP headers and the XML declaration name, in that order."""
    found = []
    charset = CHARSET_PARAM.search(headers.get("content-type", ""))
    if charset and (name := charset.group(1).strip().strip("\"'")):
        found.append(name)
    declaration = XML_DECLARATION.match(body[:1024])
    if declaration and (name := declaration.group(3).decode("ascii", "replace").strip()):
        found.append(name)
    return found


def _reads(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def decode_undeclared(body: bytes) -> str:
    """The text of bytes that are not UTF-8 and whose encoding is not declared."""
    lenient = body.decode("utf-8", errors="replace")
    stray = lenient.count("\ufffd") - body.count("\ufffd".encode())
    utf8_characters = len(lenient) - len(lenient.encode("ascii", "ignore")) - stray
    # UTF-8 with a few stray bytes: a legacy encoding makes valid UTF-8 sequences only
    # by chance (the corpus's EUC-KR and TIS-620 feeds: one for 4-7 invalid ones)
    if utf8_characters >= 2 * stray:
        return body.decode("utf-8", errors="halflife-windows-1252")
    encoding = _detect(body)
    if encoding is not None:
        return body.decode(encoding, errors="replace")
    return body.decode("utf-8", errors="halflife-windows-1252")


def _detect(body: bytes) -> str | None:
    """chardet's encoding for the bytes (Python's name for it), unless it is of the
    Latin-1 family or there is none.

    Its confidence is not used: on short texts it is low even when it is right (0.02 to
    0.25 for a news item in Czech, Lithuanian, Russian, Hebrew, Arabic or Greek, each
    read right), and the code pages it may answer are all plausible for a feed.
    """
    with _IMPORTS:
        try:
            import chardet
            from chardet import EncodingEra
        except ImportError:  # not installed: the Windows-1252 reading
            return None
    guess = chardet.detect(
        body,
        encoding_era=EncodingEra.MODERN_WEB | EncodingEra.LEGACY_ISO,
        prefer_superset=True,  # EUC-KR -> CP949, TIS-620 -> CP874, ISO-8859-1 -> cp1252
    )
    try:
        encoding = codecs.lookup(guess.get("encoding") or "").name
    except LookupError:
        return None
    return None if encoding in _AS_WINDOWS_1252 else encoding


# UTF-16/32 documents, known by their BOM or by how "<?" or "<" is spelled in them.
_WIDE_ENCODINGS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)


def wide_to_utf8(body: bytes) -> bytes | None:
    """A UTF-16/32 document as UTF-8 (declaration changed to match), else None."""
    for mark, codec in _WIDE_ENCODINGS:
        if body.startswith(mark):
            text = body.decode(codec, errors="replace").lstrip("\ufeff").encode("utf-8")
            return XML_DECLARATION.sub(rb"\1\2utf-8\2", text, count=1)
    return None


def undeclared_to_utf8(body: bytes, headers: dict[str, str]) -> bytes | None:
    """The document re-encoded as UTF-8 and declared so, when neither a declared
    encoding (``headers``' charset, the XML declaration) nor UTF-8 reads it; None when
    one does (feedparser decodes it as before)."""
    if body.isascii() or any(_reads(body, name) for name in declared_encodings(body, headers)):
        return None
    if _reads(body, "utf-8"):
        return None
    text = decode_undeclared(body).lstrip("\ufeff").encode("utf-8")
    # declared, as feedparser reads a document served without a Content-Type (a file)
    # as ISO-8859-1 unless its XML declaration says otherwise
    if XML_DECLARATION.match(text):
        text = XML_DECLARATION.sub(rb"\1\2utf-8\2", text, count=1)
    elif _XML_DECLARATION_END.match(text):
        text = _XML_DECLARATION_END.sub(rb'\1 encoding="utf-8"\2', text, count=1)
    else:
        text = b'<?xml version="1.0" encoding="utf-8"?>\n' + text.lstrip()
    return text


def import_feedparser() -> ModuleType:
    """feedparser, without chardet: it would import it in every process that parses
    (~90 ms) and run it before UTF-8 on a document served as text/xml without a
    charset or an XML declaration. :func:`undeclared_to_utf8` calls it when needed."""
    with _IMPORTS:
        blocked = [name for name in ("cchardet", "chardet") if name not in sys.modules]
        for name in blocked:
            sys.modules[name] = None  # type: ignore[assignment]  # makes `import` raise
        try:
            import feedparser
            import feedparser.encodings
        finally:
            for name in blocked:
                if sys.modules.get(name, ...) is None:
                    del sys.modules[name]
        feedparser.encodings.lazy_chardet_encoding = None  # if chardet was imported before
    return feedparser
