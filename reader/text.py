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
#: What every escape sequence above starts with: a text without one has none to remove
#: (a search for a class of characters skips through text ~10x faster than the
#: alternatives above, and most text searched is only there for its line breaks).
_ESCAPE_START = re.compile("[\x1b\x90\x98\x9b\x9d\x9e\x9f]")

# C0 and C1 controls, DEL, bidi embeddings/overrides/isolates and marks (the Arabic
# letter mark too), zero-width space, Mongolian vowel separator, word joiner, BOM,
# interlinear annotation, the Unicode "tag" block, and lone surrogates (from character
# references such as &#xD800;: no UTF-8 encoder, orjson's included, accepts them).
# ZWNJ/ZWJ (U+200C/U+200D) stay: Persian, Indic scripts and emoji need them.
_INVISIBLE = (
    "\x7f-\x9f\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    "\ud800-\udfff\ufeff\ufff9-\ufffb\U000e0000-\U000e007f"
)
# Inline, the line and paragraph separators (U+2028/U+2029) are controls as well:
# str.splitlines() and some terminals break lines at them.
_CONTROL_INLINE = re.compile(f"[\x00-\x1f\u2028\u2029{_INVISIBLE}]")
_CONTROL_BLOCK = re.compile(f"[\x00-\x08\x0b-\x1f{_INVISIBLE}]")
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
#: Runs of spaces (newlines aside) that are not already one plain space: a lone " "
#: between two words is left alone (matching it only to write it again is most of the
#: cost of a pass), every other run becomes one space.
#: Like the two other run patterns below, it opens with one character class, the
#: alternatives told apart after it (a lookbehind at the first character): re then
#: skips to candidate characters, instead of trying every alternative at every
#: position (1.3-2.3x faster over the corpus's HTML; same matches, fuzzed).
_LINE_SPACES = re.compile(r"[^\S\n](?:(?<=[^\S\n ])[^\S\n]*|[^\S\n]+)")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def _printable(text: str, *, keep_newlines: bool) -> bool:
    """Whether ``text`` holds nothing :func:`strip_controls` would change, cheaply.

    Every character the two patterns above can match (escape introducers, C0/C1,
    format and bidi characters, separators, surrogates, tags) is one that
    ``str.isprintable()`` rejects, and that test runs in C at memory speed, where each
    regex pass costs ~20 ns a character: most feed text is then never searched.
    (tests/test_text.py checks the claim for every character of both classes.)
    """
    if keep_newlines:
        return text.replace("\n", "").replace("\t", "").isprintable()
    return text.isprintable()


def strip_controls(text: str, *, keep_newlines: bool = False) -> str:
    """Remove escape sequences and control/format characters; nothing else changes."""
    if not text:
        return ""
    if _printable(text, keep_newlines=keep_newlines):
        return text
    if _ESCAPE_START.search(text):
        text = _ESCAPE_SEQUENCE.sub("", text)
    pattern = _CONTROL_BLOCK if keep_newlines else _CONTROL_INLINE
    if keep_newlines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if "\u2028" in text or "\u2029" in text:
            text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    return pattern.sub(" " if not keep_newlines else "", text)


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """ "1 article", "2 articles" (``plural`` when adding "s" is wrong)."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


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
    # each run of spaces (tabs, NBSPs...) one space, then none at either end of a line:
    # the pattern never crosses a newline, so this is every line's spaces collapsed and
    # stripped, in two passes over the text instead of two per line
    text = _LINE_SPACES.sub(" ", text).replace(" \n", "\n").replace("\n ", "\n")
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
    "audio",  # what is inside is fallback text: "your browser does not support..."
    "video",
    "rt",  # ruby annotations: 漢字<rt>かんじ</rt> would read 漢字かんじ
    "rp",
]
#: Elements that start and end a paragraph (a blank line either side).
_BLOCK_TAGS = (
    "p,div,section,article,header,footer,main,aside,blockquote,ul,ol,dl,table,"
    "h1,h2,h3,h4,h5,h6,figure,address,hr,details,summary,center,caption,fieldset,pre"
)
#: Elements that are a line of their own inside a paragraph: a table row, a term.
_LINE_TAGS = "tr,dt,dd"
#: Blocks inside a list item stay lines of that item (a <p> in an <li>, a nested list):
#: a paragraph break there would cut the item from its bullet.
_BLOCKS_IN_ITEMS = ",".join(f"li {tag}" for tag in _BLOCK_TAGS.split(","))
#: Tags that make a fragment "laid out": its source newlines are then just spaces, as in
#: a browser. A fragment without any is plain text wearing an <a> or an entity, and its
#: newlines are the author's line breaks.
_LAYOUT = re.compile(
    r"<(?:p|div|br|li|h[1-6]|blockquote|table|tr|td|th|pre|ul|ol|dl|dd|dt|hr|section|"
    r"article|header|footer|figure|aside|main|address|center|details|summary)[\s/>]",
    re.IGNORECASE,
)
#: A blank line in the source is the author's paragraph break even where HTML would
#: ignore it: hand-written and CMS HTML put paragraphs of plain text beside the tags.
_BLANK_LINE = re.compile(r"\n[ \t\r\f]*\n[ \t\n\r\f]*")
#: In text outside any element, a line that ends a sentence ends a line (Slashdot's
#: story text, then its share links in a <div>); other source line breaks are wrapping.
_LOOSE_LINE_END = re.compile(r"(?<=[.!?…:;\"”»)\]。！？])[ \t\r\f]*\n")

# Layout becomes sentinel characters while lexbor's text is read, and text afterwards:
# C0 controls, so any that the feed itself carried are removed first (they never
# survive clean_block anyway), and whitespace around them is decided in one place.
_PARA = "\x1e"  # paragraph break
_LINE = "\x1d"  # line break that does not add up (list items, rows): many make one
_BR = "\x1f"  # <br>: one is a line break, two or more in a row a paragraph break
_CELL = "\x1c"  # end of a table cell
_SENTINEL_CHARS = re.compile("[\x1c-\x1f]")
_SENTINEL_REFERENCE = re.compile(r"&#(?:0*(?:28|29|30|31)|[xX]0*1[c-fC-F]);?")
#: A run of spaces and sentinels with at least one sentinel in it.
_SEPARATOR_RUN = re.compile(
    r"[ \x1c-\x1f](?:(?<=[\x1c-\x1f])[ \x1c-\x1f]*| *[\x1c-\x1f][ \x1c-\x1f]*)"
)
#: What HTML collapses (not NBSP: that is content), as _LINE_SPACES: lone spaces stay.
_HTML_SPACE = re.compile(r"[ \t\n\r\f](?:(?<=[\t\n\r\f])[ \t\n\r\f]*|[ \t\n\r\f]+)")
_HTML_SPACE_KEEP_LINES = re.compile(r"[ \t\r\f]+")
# A source line break between two CJK characters is no space at all (CSS Text 3
# "segment break transformation"): 日本語の<newline>文章 reads 日本語の文章.
_CJK = (
    "\u2e80-\u2fff\u3001-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f"
)
_HAS_CJK = re.compile(f"[{_CJK}]")
_CJK_LINE_BREAK = re.compile(f"([{_CJK}])[ \\t\\r\\f]*\\n[ \\t\\n\\r\\f]*(?=[{_CJK}])")
_LONE_MARKER = re.compile(r"^((?:•|\d{1,4}\.))\n+", re.MULTILINE)  # "•" then its text
_SOFT_HYPHEN = "\u00ad"
_FOOTNOTE_BACKLINKS = (
    'a[href^="#fnr"],a[href^="#fnref"],a[rev="footnote"],a.footnoteBackLink,'
    "a.footnote-backref,a.reversefootnote"
)

# Mojibake: UTF-8 bytes decoded once too often as Windows-1252/Latin-1 ("cafÃ©",
# "itâ€™s"), common in feeds whose CMS re-encodes stored text. One UTF-8 sequence at a
# time (lead then continuation "bytes"), so text in other scripts around it is untouched.
_CP1252_HIGH = "€\x81‚ƒ„…†‡ˆ‰Š‹Œ\x8dŽ\x8f\x90‘’“”•–—˜™š›œ\x9džŸ"
_AS_BYTE = {ch: 0x80 + i for i, ch in enumerate(_CP1252_HIGH)}
# the same bytes read as Latin-1 (a feed declared ISO-8859-1 that holds UTF-8): "â\x80\x99"
_AS_BYTE.update({chr(b): b for b in range(0x80, 0x100)})
_CONT = "[" + re.escape(_CP1252_HIGH) + "\u0080-\u00bf]"
_HIGH_LATIN = re.compile("[" + re.escape(_CP1252_HIGH) + "\u0080-\u00ff]")
#: A lead "byte" then as many continuations as it announces. Written as one character
#: class first (the lead's range then picked by a lookbehind), not as three
#: alternatives: re then skips to candidate characters instead of trying each
#: alternative at every position, 8x faster on text without mojibake (most of it).
_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4](?:"
    f"(?<=[\u00c2-\u00df]){_CONT}|(?<=[\u00e0-\u00ef]){_CONT}{{2}}|(?<=[\u00f0-\u00f4]){_CONT}{{3}}"
    ")"
)
#: What follows a letter in correct French ("arrivé »"): see repair_mojibake.
_AMBIGUOUS_TAIL = frozenset("\u00a0\u00ab\u00bb")

#: Deeper nesting than this is flattened before parsing: real articles never get close,
#: and HTML parsers degrade badly on it (lexbor goes quadratic, libxml2 drops the text).
MAX_HTML_DEPTH = 256
#: HTML beyond this many characters per entry is not read (the text would not be shown).
MAX_HTML_CHARS = 2_000_000

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
#: Elements the parser closes itself when the same kind starts again: they never nest
#: directly, so they do not count towards MAX_HTML_DEPTH.
_SELF_CLOSING_KINDS = frozenset(
    ["p", "li", "td", "th", "tr", "dt", "dd", "option", "thead", "tbody", "tfoot", "rt", "rp"]
)
_NOT_NESTING = _VOID_TAGS | _SELF_CLOSING_KINDS
#: A tag never spans a "<": without that, each unclosed "<div " in a hostile text would
#: scan to the end of the text (quadratic: 10,000 of them took 50 s).
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)([^<>]*)>")
_LOOKS_LIKE_HTML = re.compile(r"<[a-zA-Z/!]|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


def looks_like_html(text: str) -> bool:
    return bool(_LOOKS_LIKE_HTML.search(text))


def _decode_sequence(sequence: str) -> str | None:
    try:
        return bytes(_AS_BYTE[ch] for ch in sequence).decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        return None


def _script(ch: str) -> str:
    """A character's script, roughly: the first word of its name ("CJK", "HANGUL")."""
    return unicodedata.name(ch, "").split(" ", 1)[0]


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 read as Windows-1252 ("Ã©" -> "é", "â€™" -> "’"), sequence by sequence.

    A sequence is only replaced when its "bytes" decode as UTF-8, which real text in
    Latin scripts practically never does ("Ã" then "©" is not French), with one
    exception: a letter then no-break spaces or guillemets. French writes "arrivé »"
    that way, which is also how "頻" looks as mojibake; such a sequence becomes a
    character beyond Latin-1 only in a text whose other sequences decode to its script.
    """
    if not _MOJIBAKE.search(text):
        return text
    # Text in a legacy encoding read as Latin-1 (EUC-KR, TIS-620, Windows-1255...) is
    # nearly all high Latin-1 letters and matches here and there by chance: leave it.
    # Mojibake of a Latin-script language (and text mixing it with correct letters, as
    # when a CMS re-encoded only some fields) has far fewer of them.
    high = len(_HIGH_LATIN.findall(text))
    if high > 0.3 * sum(ch.isalpha() for ch in text):
        covered = sum(map(len, _MOJIBAKE.findall(text)))
        if covered < 0.5 * high:
            return text
    scripts: set[str] = set()
    ambiguous: list[tuple[str, str]] = []  # (sequence, what it decodes to)

    def repair(match: re.Match[str]) -> str:
        sequence = match.group()
        decoded = _decode_sequence(sequence)
        if decoded is None:
            return sequence
        if decoded > "\u00ff" and _AMBIGUOUS_TAIL.issuperset(sequence[1:]):
            ambiguous.append((sequence, decoded))
            return sequence
        scripts.add(_script(decoded))
        return decoded

    text = _MOJIBAKE.sub(repair, text)
    for sequence, decoded in ambiguous:
        if _script(decoded) in scripts:
            text = text.replace(sequence, decoded)
    if not scripts:
        return text  # nothing was mojibake
    # a no-break space (C2 A0) whose A0 a publisher's tools turned into a plain space:
    # "podcast.Â  You" ("Â" never ends a word in the languages that use it)
    return text.replace("\u00c2 ", "\u00a0")


def _too_deep(markup: str, max_depth: int) -> bool:
    depth = 0
    for closing, name, attributes in _TAG.findall(markup):
        if attributes.endswith("/") or name.lower() in _NOT_NESTING:
            continue
        if closing:
            depth = depth - 1 if depth else 0
        else:
            depth += 1
            if depth > max_depth:
                return True
    return False


def _limit_depth(markup: str, max_depth: int = MAX_HTML_DEPTH) -> str:
    """Drop opening/closing tags nested deeper than ``max_depth``; text is kept.

    Tags that the parser closes by itself when the same tag comes again (``<p>``,
    ``<li>``, ``<td>``...) are not counted: unclosed, as in much hand-written HTML, they
    do not nest, and counting them would flatten long, well-behaved articles.
    """
    if markup.count("<") < max_depth or not _too_deep(markup, max_depth):
        return markup
    depth = 0
    out: list[str] = []
    last = 0
    for match in _TAG.finditer(markup):
        closing, name = match.group(1), match.group(2).lower()
        if name in _NOT_NESTING or match.group(3).endswith("/"):
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


def _separator(match: re.Match[str]) -> str:
    run = match.group()
    if _PARA in run or run.count(_BR) > 1:
        return "\n\n"
    if _BR in run or _LINE in run:
        return "\n"
    return " | "  # only cell ends: between two cells of a row


def _drop_footnote_links(tree, markup: str) -> None:
    """Footnote markers and back-links: "the end.<sup>1</sup>" would read "the end.1"."""
    if "<sup" in markup or "<SUP" in markup:
        for link in tree.css('sup > a[href^="#"]'):
            parent = link.parent
            if parent is not None:
                parent.decompose()
    if "#fn" in markup or "footnote" in markup:
        for link in tree.css(_FOOTNOTE_BACKLINKS):  # the "↩" back to the marker
            link.decompose()


def _mark_layout(tree, markup: str) -> None:
    """Put sentinels where the layout breaks lines; drop what is not article text."""
    for node in tree.css("br"):
        node.insert_after(_BR)
    if "<pre" in markup or "<PRE" in markup:
        # preformatted text keeps its line breaks: they become <br>s before all
        # whitespace is collapsed (indentation is lost; a terminal reader can live with it)
        for node in tree.css("pre"):
            node.replace_with(_PARA + node.text(deep=True).replace("\n", _BR) + _PARA)
    in_items: set[int] = set()
    numbered: set[int] = set()
    if "<li" in markup or "<LI" in markup:
        in_items = {node.mem_id for node in tree.css(_BLOCKS_IN_ITEMS)}
        if "<ol" in markup or "<OL" in markup:
            for ol in tree.css("ol"):
                try:
                    number = int((ol.attributes.get("start") or "1").strip())
                except ValueError:
                    number = 1
                for item in ol.iter():
                    if item.tag == "li":
                        item.insert_before(f"{_LINE}{number}. ")
                        numbered.add(item.mem_id)
                        number += 1
        for item in tree.css("li"):
            if item.mem_id not in numbered:
                item.insert_before(_LINE + "• ")
            item.insert_after(_LINE)
    for node in tree.css(_BLOCK_TAGS):
        mark = _LINE if node.mem_id in in_items else _PARA
        node.insert_before(mark)
        node.insert_after(mark)
    for node in tree.css(_LINE_TAGS):
        node.insert_before(_LINE)
        node.insert_after(_LINE)
    for node in tree.css("td,th"):
        node.insert_after(_CELL)


def _mark_loose_lines(root) -> None:
    """Line breaks in text that sits directly in the fragment, outside any element."""
    loose = [
        node
        for node in root.iter(include_text=True)
        if node.is_text_node and "\n" in (node.text_content or "")
    ]
    for node in loose:
        value = _BLANK_LINE.sub(_PARA, node.text_content)
        node.replace_with(_LOOSE_LINE_END.sub(_BR, value))


def html_to_text(markup: str | None) -> str:
    """Readable plain text from an HTML fragment: paragraphs separated by a blank line.

    Read the way a browser lays it out: source line breaks and runs of spaces are one
    space (none between two CJK characters), block elements are paragraphs, ``<br>`` a
    line break (two of them a paragraph break), list items are lines with "• " or their
    number, table rows are lines with " | " between cells, ``<pre>`` keeps its lines.
    Scripts, styles, navigation, forms, captions, media fallbacks, ruby readings and
    footnote markers are dropped; entities decoded; mojibake repaired. A fragment
    with no layout at all (plain text with a link or an entity in it) keeps its lines.
    """
    if not markup:
        return ""
    if not looks_like_html(markup):
        return clean_block(repair_mojibake(markup))
    from selectolax.lexbor import LexborHTMLParser

    markup = markup[:MAX_HTML_CHARS]
    if _SENTINEL_CHARS.search(markup):
        markup = _SENTINEL_CHARS.sub("", markup)
    if "&#" in markup:  # nor may a character reference make one
        markup = _SENTINEL_REFERENCE.sub("", markup)
    markup = _limit_depth(markup)
    laid_out = _LAYOUT.search(markup) is not None
    tree = LexborHTMLParser(markup)
    tree.strip_tags(_DROP_TAGS)
    _drop_footnote_links(tree, markup)
    root = tree.body if tree.body is not None else tree.root
    if root is None:
        return ""
    if laid_out:
        _mark_layout(tree, markup)
        _mark_loose_lines(root)
    text = root.text(deep=True, separator="")
    if laid_out:
        if "\n" in text:
            text = _BLANK_LINE.sub(_PARA, text)
            if _HAS_CJK.search(text):
                text = _CJK_LINE_BREAK.sub(r"\1", text)
        text = _HTML_SPACE.sub(" ", text)
        text = _SEPARATOR_RUN.sub(_separator, text)
    else:
        text = _HTML_SPACE_KEEP_LINES.sub(" ", text)
    if _SOFT_HYPHEN in text:
        text = repair_mojibake(text).replace(_SOFT_HYPHEN, "")
    else:
        text = repair_mojibake(text)
    text = clean_block(text)
    if "\n" in text and ("•" in text or ". " in text):
        text = _LONE_MARKER.sub(r"\1 ", text)
    return text


def html_to_inline(markup: str | None, *, max_length: int | None = None) -> str:
    """A title or name that may carry HTML or entities, as one line of safe text."""
    if not markup:
        return ""
    if looks_like_html(markup):
        markup = html_to_text(markup) if "<" in markup else html_lib.unescape(markup)
    return clean_inline(markup, max_length=max_length)
