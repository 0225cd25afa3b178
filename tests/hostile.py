"""What the real world sends, for the robustness battery: strings, documents, servers, checks.

- :data:`HOSTILE`: terminal escapes, controls, bidi and zero-width characters, Rich and
  Textual markup; :data:`MARKUP` the markup that must come out as literal text.
- :func:`xml_text` spells a string into a feed document four ways: numeric character
  references (what XML 1.0 allows for controls, though not all of them), CDATA holding
  HTML, HTML escaped into the XML, and raw bytes (not XML at all: parsers recover or
  refuse). :func:`rss` / :func:`atom` build whole documents.
- :func:`tls_server` (a self-signed certificate made with the ``openssl`` CLI),
  :func:`silent_port` (accepts TCP connections, never reads), :func:`closed_port`.
- :func:`assert_inert` / :func:`find_unsafe`: no ESC, C0 (but newline and tab), C1,
  bidi controls or zero-width characters in what halflife shows.
"""

from __future__ import annotations

import contextlib
import html
import re
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.feedserver import FeedServer

HOSTILE = {
    "csi_clear": "\x1b[2J\x1b[H",
    "csi_colour": "\x1b[31;1mred\x1b[0m",
    "osc_title": "\x1b]0;pwned-title\x07",
    "osc52": "\x1b]52;c;cm0gLXJmIH4=\x07",  # "write `rm -rf ~` to the clipboard"
    "osc8": "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "dcs": "\x1bP1$r0m\x1b\\",
    "c1_csi": "\x9b31mc1",
    "c1_osc": "\x9d0;c1-title\x9c",
    "nul_bel_bs": "n\x00u\x07l\x08l",
    "bidi": "\u202eevil\u202c \u2066iso\u2069",
    "zero_width": "zero\u200bwidth\u2060joiner\ufeff",
    "separators": "line\u2028sep\u2029para\x85nel",
    "rich_markup": "[bold]B[/bold] [link=file:///etc/passwd]L[/link]",
    "textual_action": "[@click=app.quit]Q[/] [@click=app.bell]B[/]",
}
#: Markup that must appear, character for character, wherever the text is shown.
MARKUP = ("[bold]B[/bold]", "[link=file:///etc/passwd]L[/link]", "[@click=app.quit]Q[/]")
#: Everything at once, between visible words (so something is left to show).
HOSTILE_TEXT = " ".join(f"w-{name} {value}" for name, value in HOSTILE.items())

#: Characters that must never reach a terminal from a feed.
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2028\u2029"
    "\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]"
)
#: The only escape sequences a styled render may contain: SGR (colours, bold...).
SGR = re.compile(r"\x1b\[[0-9;]*m")


def find_unsafe(text: str, *, allow_newlines: bool = True) -> str | None:
    """A description of the first unsafe character in ``text``, or None."""
    if not allow_newlines:  # one line: a newline is as bad as a control
        text = text.replace("\n", "\x01")
    match = UNSAFE.search(text)
    if match is None:
        return None
    start = match.start()
    return f"{match.group()!r} at {start}: {text[max(start - 30, 0) : start + 30]!r}"


def assert_inert(text: str | bytes, where: str = "", *, allow_newlines: bool = True) -> None:
    """No ESC/C0/C1/bidi/zero-width character; bytes must be valid UTF-8."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")  # strict: invalid UTF-8 in output fails too
    problem = find_unsafe(text, allow_newlines=allow_newlines)
    assert problem is None, f"{where}: unsafe character {problem}"


def assert_only_sgr(text: str, where: str = "") -> None:
    """A styled render: every ESC starts an SGR sequence; no C1, no BEL, no OSC."""
    stripped = SGR.sub("", text)
    assert_inert(stripped, where)


# --- spelling text into a document ---------------------------------------------------

_XML_CHAR = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _refs(text: str) -> str:
    """XML text: markup escaped; controls, and what XML 1.0 cannot carry, as references."""
    out = []
    for ch in text:
        if ch in "<>&":
            out.append(html.escape(ch, quote=False))
        elif _XML_CHAR.fullmatch(ch) and not UNSAFE.match(ch):
            out.append(ch)
        else:
            out.append(f"&#{ord(ch)};")
    return "".join(out)


def _html_refs(text: str) -> str:
    """HTML: markup escaped, controls as numeric references (for inside CDATA)."""
    out = []
    for ch in text:
        if ch in "<>&":
            out.append(html.escape(ch, quote=False))
        elif _XML_CHAR.fullmatch(ch):
            out.append(ch)
        else:
            out.append(f"&#x{ord(ch):x};")
    return "".join(out)


def xml_text(text: str, mode: str) -> str:
    """``text`` as the content of an XML element, spelled the ``mode`` way.

    - ``refs``: escaped text, controls as ``&#27;`` (not well-formed XML 1.0 for most
      controls: the strict parser gives up, the lenient one reads on);
    - ``cdata``: a CDATA section holding HTML (``<p>``) with controls as ``&#x1b;``;
    - ``html``: HTML escaped into the XML (``&lt;p&gt;``), controls as ``&amp;#27;``;
    - ``raw``: the characters themselves, ESC and NUL included (not XML at all).
    """
    if mode == "refs":
        return _refs(text)
    if mode == "cdata":
        body = f"<p>{_html_refs(text)}</p>".replace("]]>", "]]]]><![CDATA[>")
        return f"<![CDATA[{body}]]>"
    if mode == "html":
        return html.escape(f"<p>{_html_refs(text)}</p>", quote=False)
    if mode == "raw":
        return text.replace("&", "&amp;").replace("<", "&lt;")
    raise ValueError(mode)


MODES = ("refs", "cdata", "html", "raw")


def rss_item(
    *,
    title: str,
    guid: str,
    link: str = "",
    description: str = "",
    content: str = "",
    author: str = "",
    category: str = "",
    pub_date: str = "",
    mode: str = "refs",
) -> str:
    """One RSS 2.0 item; ``title``, ``description``... spelled by :func:`xml_text`."""
    parts = [f"<title>{xml_text(title, mode)}</title>"]
    parts.append(f"<guid isPermaLink='false'>{html.escape(guid)}</guid>")
    if link:
        parts.append(f"<link>{html.escape(link, quote=False)}</link>")
    if description:
        parts.append(f"<description>{xml_text(description, mode)}</description>")
    if content:
        parts.append(f"<content:encoded>{xml_text(content, mode)}</content:encoded>")
    if author:
        parts.append(
            f"<dc:creator>{xml_text(author, 'refs' if mode != 'raw' else mode)}</dc:creator>"
        )
    if category:
        parts.append(
            f"<category>{xml_text(category, 'refs' if mode != 'raw' else mode)}</category>"
        )
    if pub_date:
        parts.append(f"<pubDate>{pub_date}</pubDate>")
    return "<item>" + "".join(parts) + "</item>"


def raw_item(*, title: str, guid: str, description: str = "") -> str:
    """An RSS item whose fields are inserted as written: entity references stay references."""
    extra = f"<description>{description}</description>" if description else ""
    return f"<item><title>{title}</title><guid isPermaLink='false'>{guid}</guid>{extra}</item>"


def rss(
    items: list[str] | str,
    *,
    title: str = "Feed",
    link: str = "http://feed.example/",
    prolog: str = "",
    extra: str = "",
) -> bytes:
    """An RSS 2.0 document (UTF-8 bytes, surrogates kept as they are for raw tests)."""
    body = "".join(items) if isinstance(items, list) else items
    text = (
        f'<?xml version="1.0" encoding="utf-8"?>{prolog}\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>{title}</title><link>{link}</link>{extra}{body}</channel></rss>"
    )
    return text.encode("utf-8", "surrogatepass")


def atom(entries: list[str], *, title: str = "Feed") -> bytes:
    text = (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{title}</title><id>urn:feed</id><updated>2024-01-01T00:00:00Z</updated>"
        + "".join(entries)
        + "</feed>"
    )
    return text.encode("utf-8")


def atom_entry(
    *, title: str, entry_id: str, link: str, author: str, category: str, summary: str, content: str
) -> str:
    return (
        f"<entry><title type='html'>{xml_text(title, 'html')}</title><id>{entry_id}</id>"
        f"<link rel='alternate' href='{html.escape(link)}'/>"
        "<updated>2024-01-01T00:00:00Z</updated>"
        f"<author><name>{xml_text(author, 'refs')}</name></author>"
        f"<category term='{html.escape(category)}'/>"
        f"<summary type='text'>{xml_text(summary, 'refs')}</summary>"
        f"<content type='html'>{xml_text(content, 'html')}</content></entry>"
    )


# --- servers and ports -------------------------------------------------------------------


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl CLI; the cryptography package
    is not a dependency)."""
    openssl = shutil.which("openssl")
    assert openssl, "the openssl command is needed for the TLS test"
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj",
         "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@contextlib.contextmanager
def tls_server(directory: Path) -> Iterator[tuple[FeedServer, str]]:
    """A :class:`FeedServer` speaking TLS with a self-signed certificate: (server, base)."""
    cert, key = make_certificate(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = FeedServer()
    # the handshake happens in the handler thread, on first read: a client that never
    # finishes it cannot block the accept loop
    server.httpd.socket = context.wrap_socket(
        server.httpd.socket, server_side=True, do_handshake_on_connect=False
    )
    server.httpd.handle_error = lambda request, address: None  # refused handshakes: quiet
    with server:
        host, port = server.httpd.server_address[:2]
        yield server, f"https://{host}:{port}"


@contextlib.contextmanager
def silent_port() -> Iterator[int]:
    """A port whose connections the kernel accepts and nobody ever reads or answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield sock.getsockname()[1]


def closed_port() -> int:
    """A port nobody listens on: connection refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def repeat_stream(chunk: bytes, total: int, head: bytes = b"", tail: bytes = b""):
    """A body of ``total`` bytes generated chunk by chunk (for Route.stream)."""

    def generate():
        sent = 0
        if head:
            yield head
            sent += len(head)
        while sent + len(chunk) <= total - len(tail):
            yield chunk
            sent += len(chunk)
        if tail:
            yield tail

    return generate
