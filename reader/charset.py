"""The character encoding of a document that does not say, or says it wrong.

A declared encoding (the HTTP ``charset``, the XML declaration) that reads the bytes is
trusted, and so is UTF-8 when it reads them: feedparser then decodes the document as
before. Only what neither reads gets here, and feedparser's last resort for it,
Windows-1252, is right for Western European text only: a Korean, Thai or Hebrew feed
sent without a charset (old blog engines did) came out as mojibake, and its language
was detected from the mojibake.

So, for those documents only:

- bytes that are UTF-8 but for a few stray bytes (a template in Windows-1252 around
  UTF-8 content) stay UTF-8, each stray byte read as Windows-1252;
- otherwise chardet tells the encoding, when it is confident; when it is not (a Latin
  text with a few accented letters gives it little to go on), Windows-1252 it is.

chardet is imported only then (~90 ms): feedparser would import it in every process
that parses and run it before trying UTF-8 on some documents, so :func:`import_feedparser`
keeps it from doing either.
"""

from __future__ import annotations

import codecs
import re
import sys
from types import ModuleType

# Below this, chardet's guesses on Latin text with few accented letters are as often an
# odd single-byte code page (hp-roman8, cp1006) as the right one; its answers on the
# corpus's undeclared Korean, Thai and Hebrew feeds are 0.48-0.91.
MIN_CONFIDENCE = 0.3
# chardet's names for the Latin-1 family: Windows-1252 reads the same letters, and
# the curly quotes and dashes (0x80-0x9F) that ISO-8859-1 would make control characters.
_AS_WINDOWS_1252 = frozenset({"ascii", "iso8859-1", "latin-1", "iso8859-15", "windows-1252"})

_XML_DECLARATION = re.compile(rb"""^(\s*<\?xml[^>]*?\bencoding\s*=\s*)(["'])([^"']*)\2""")
_XML_DECLARATION_END = re.compile(rb"^(\s*<\?xml\b[^>]*?)(\s*\?>)")
_CHARSET_PARAM = re.compile(r";\s*charset\s*=\s*([^;]*)", re.I)
_NON_ASCII = re.compile("[^\x00-\x7f]")


def _stray_bytes_as_windows_1252(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    stray = error.object[error.start : error.end]
    return stray.decode("windows-1252", errors="replace"), error.end


codecs.register_error("halflife-windows-1252", _stray_bytes_as_windows_1252)


def declared_encodings(body: bytes, headers: dict[str, str]) -> list[str]:
    """The encodings the HTTP headers and the XML declaration name, in that order."""
    found = []
    charset = _CHARSET_PARAM.search(headers.get("content-type", ""))
    if charset and (name := charset.group(1).strip().strip("\"'")):
        found.append(name)
    declaration = _XML_DECLARATION.match(body[:1024])
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
    stray = lenient.count("\ufffd")
    utf8_letters = len(_NON_ASCII.findall(lenient)) - stray
    if utf8_letters >= 10 * stray:  # UTF-8 with a few stray bytes
        return body.decode("utf-8", errors="halflife-windows-1252")
    import chardet

    guess = chardet.detect(body)
    encoding = (guess.get("encoding") or "").lower()
    if (guess.get("confidence") or 0) >= MIN_CONFIDENCE and encoding not in _AS_WINDOWS_1252:
        try:
            return body.decode(encoding, errors="replace")
        except LookupError:
            pass
    return body.decode("utf-8", errors="halflife-windows-1252")


def undeclared_to_utf8(body: bytes, headers: dict[str, str]) -> bytes | None:
    """The document re-encoded as UTF-8 and declared so, when neither a declared
    encoding nor UTF-8 reads it; None when one does (feedparser decodes it as before).

    Remove the charset from ``headers``' Content-Type when the bytes change, as it
    would contradict them.
    """
    if body.isascii() or any(_reads(body, name) for name in declared_encodings(body, headers)):
        return None
    if _reads(body, "utf-8"):
        return None
    text = decode_undeclared(body).lstrip("\ufeff").encode("utf-8")
    if _XML_DECLARATION.match(text):
        text = _XML_DECLARATION.sub(rb"\1\2utf-8\2", text, count=1)
    elif _XML_DECLARATION_END.match(text):
        text = _XML_DECLARATION_END.sub(rb'\1 encoding="utf-8"\2', text, count=1)
    else:
        text = b'<?xml version="1.0" encoding="utf-8"?>\n' + text.lstrip()
    if "content-type" in headers:
        headers["content-type"] = _CHARSET_PARAM.sub("", headers["content-type"])
    return text


def import_feedparser() -> ModuleType:
    """feedparser, without chardet: it would import it in every process that parses
    (~90 ms) and run it before UTF-8 on a document served as text/xml without a
    charset or an XML declaration. :func:`undeclared_to_utf8` calls it when needed."""
    if "feedparser" in sys.modules:
        return sys.modules["feedparser"]
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
    feedparser.encodings.lazy_chardet_encoding = None  # in case it was already imported
    return feedparser
