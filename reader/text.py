"""Untrusted text made safe and HTML made readable (pure functions, no I/O).

Feed text is hostile until proven otherwise. Everything that leaves ``parse`` for the
store goes through :func:`clean_inline` or :func:`html_to_text`, and every view runs
:func:`clean_inline` again on what it shows (defence in depth: old stores, tags typed
by hand). What survives is printable text: no ESC/CSI/OSC/DCS sequences, no C0/C1
control characters (but newline and tab in bodies), no bidi overrides, no zero-width
spaces. Markup-looking text such as ``[bold]`` is *kept* as literal characters;
views never hand it to a markup parser.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata

# ESC-introduced sequences, whole: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST),
# DCS/SOS/PM/APC (ESC P/X/^/_ ... ST), and two-character escapes. The 8-bit C1
# introducers (0x9b CSI, 0x9d OSC, 0x90 DCS...) are matched the same way.
_ESCAPE_SEQUENCE = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?                  # CSI
  | (?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?  # OSC ... BEL | ST
  | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)?  # DCS SOS PM APC ... ST
  | \x1b[ -/]*[0-~]?                                   # other ESC sequences
    """,
    re.VERBOSE,
)

# C0 and C1 controls, DEL, bidi embeddings/overrides/isolates and marks, zero-width
# space, word joiner, BOM, interlinear annotation, and the Unicode "tag" block.
# ZWNJ/ZWJ (U+200C/U+200D) stay: Persian, Indic scripts and emoji need them.
_CONTROL_INLINE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    "\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)
_CONTROL_BLOCK = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    "\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_LINE_SPACES = re.compile(r"[^\S\n]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def strip_controls(text: str, *, keep_newlines: bool = False) -> str:
    """Remove escape sequences and control/format characters; nothing else changes."""
    if not text:
        return ""
    text = _ESCAPE_SEQUENCE.sub("", text)
    pattern = _CONTROL_BLOCK if keep_newlines else _CONTROL_INLINE
    if keep_newlines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return pattern.sub(" " if not keep_newlines else "", text)


def clean_inline(text: str | None, *, max_length: int | None = None) -> str:
    """One line of safe text: controls gone, whitespace collapsed, NFC, optionally cut."""
    if not text:
        return ""
    text = strip_controls(text)
    text = _SPACES.sub(" ", text).strip()
    text = unicodedata.normalize("NFC", text)
    if max_length is not None and len(text) > max_length:
        text = text[: max_length - 1].rstrip() + "…"
    return text


def clean_block(text: str | None) -> str:
    """Multi-line safe text: paragraphs kept (blank line between), lines trimmed."""
    if not text:
        return ""
    text = strip_controls(text, keep_newlines=True)
    text = unicodedata.normalize("NFC", text)
    lines = [_LINE_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip()


# --- HTML -> text -------------------------------------------------------------------

_DROP_TAGS = [
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "canvas",
    "nav",
    "form",
    "button",
    "select",
    "textarea",
    "head",
    "title",
    "figcaption",  # photo captions and credits are not article text
]
_BLOCK_TAGS = (
    "p,div,section,article,header,footer,main,aside,blockquote,pre,ul,ol,dl,dt,dd,table,tr,"
    "h1,h2,h3,h4,h5,h6,figure,address,hr,details,summary,center"
)
_VOID_TAGS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)[^>]*?(/?)>")
_LOOKS_LIKE_HTML = re.compile(r"<[a-zA-Z/!]|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")

#: Deeper nesting than this is flattened before parsing: real articles never get close,
#: and HTML parsers degrade badly on it (lexbor goes quadratic, libxml2 drops the text).
MAX_HTML_DEPTH = 256
#: HTML beyond this many characters per entry is not read (the text would not be shown).
MAX_HTML_CHARS = 2_000_000


def looks_like_html(text: str) -> bool:
    return bool(_LOOKS_LIKE_HTML.search(text))


def _limit_depth(markup: str, max_depth: int = MAX_HTML_DEPTH) -> str:
    """Drop opening/closing tags nested deeper than ``max_depth``; text is kept."""
    if markup.count("<") < max_depth:
        return markup
    depth = 0
    out: list[str] = []
    last = 0
    for match in _TAG.finditer(markup):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if name in _VOID_TAGS or self_closing:
            continue
        if closing:
            if depth > max_depth:
                out.append(markup[last : match.start()])
                last = match.end()
            depth = max(depth - 1, 0)
        else:
            depth += 1
            if depth > max_depth:
                out.append(markup[last : match.start()])
                last = match.end()
    if last == 0:
        return markup
    out.append(markup[last:])
    return "".join(out)


def html_to_text(markup: str | None) -> str:
    """Readable plain text from an HTML fragment: paragraphs separated by a blank line.

    Scripts, styles, navigation, forms and captions are dropped; entities decoded;
    list items and line breaks kept as lines; whitespace normalised in every script.
    """
    if not markup:
        return ""
    if not looks_like_html(markup):
        return clean_block(markup)
    from selectolax.lexbor import LexborHTMLParser

    markup = _limit_depth(markup[:MAX_HTML_CHARS])
    tree = LexborHTMLParser(markup)
    tree.strip_tags(_DROP_TAGS)
    for node in tree.css(_BLOCK_TAGS):
        node.insert_before("\n\n")
        node.insert_after("\n\n")
    for node in tree.css("li"):
        node.insert_before("\n")
        node.insert_after("\n")
    for node in tree.css("br"):
        node.insert_after("\n")
    for node in tree.css("td,th"):
        node.insert_after(" ")
    root = tree.body if tree.body is not None else tree.root
    if root is None:
        return ""
    return clean_block(root.text(deep=True, separator=""))


def html_to_inline(markup: str | None, *, max_length: int | None = None) -> str:
    """A title or name that may carry HTML or entities, as one line of safe text."""
    if not markup:
        return ""
    if looks_like_html(markup):
        markup = html_to_text(markup) if "<" in markup else html_lib.unescape(markup)
    return clean_inline(markup, max_length=max_length)
