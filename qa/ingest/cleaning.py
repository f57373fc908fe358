"""Turning a file's bytes into clean article text: decoding (and refusing binary files) and
removing page furniture (trailers, repeated captions, stray layout lines).

Photo credits and captions ("Picture: Wandsworth Council"), share and follow prompts,
"Read more" links and list markers come along with a saved page. A caption once became
the highlighted answer to a question about the council, and a "- " marker stayed inside
a quoted answer, so :func:`clean_line` drops such lines and strips list markers before
sentences are split (offsets then point into the cleaned body).

>>> clean_body("Ferry sinks.\\n\\nAdvertisement\\n\\nAll were rescued.")
'Ferry sinks.\\n\\nAll were rescued.'

A line broken inside a sentence (a text wrapped at 72 columns: the line ends without a
sentence's last mark and the next begins in lower case) is joined to the next with a space,
as Markdown reads a soft line break; a line that starts a list item, a heading, a quotation
or a table row stays its own:

>>> clean_body("The ferry resumed after repairs to the\\nslipway. Two lorries fit.")
'The ferry resumed after repairs to the slipway. Two lorries fit.'
>>> clean_body("Joe Lepper\\nMonday, July 23, 2018")
'Joe Lepper\\n\\nMonday, July 23, 2018'
>>> clean_line("- 15% of closed cases needed more work")
'15% of closed cases needed more work'
>>> clean_line("Picture: Wandsworth Council") is None
True
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import DocumentError

# Lines that start the trailer of a news page (subscription offers, comment rules).
_TRAILER_START = re.compile(
    r"^\s*(comments\s*:\s*our rules|.*digital membership\s*$|subscribe\s*$|"
    r"report this comment|read the rules here|sign up to our newsletter|"
    r"share this article|related articles?\s*$|most read\s*$)",
    re.IGNORECASE,
)
_FURNITURE_LINE = re.compile(
    r"^\s*(•|·|\*)?\s*(advertisement|subscribe|from £\d+.*|last updated:?.*|cancel)\s*$",
    re.IGNORECASE,
)


def clean_body(text: str) -> str:
    """Remove page furniture: trailers, repeated photo captions, stray layout lines.

    Paragraphs are kept as they are, one blank line between them, so offsets into the
    cleaned body are stable for a given file.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    lines = _soft_breaks_joined([line.strip() for line in text.split("\n")])
    # Cut at the first trailer line found in the latter part of the article.
    nonblank = [i for i, line in enumerate(lines) if line]
    if nonblank:
        first_half_end = nonblank[len(nonblank) // 3]
        for i, line in enumerate(lines):
            if i > first_half_end and _TRAILER_START.match(line):
                lines = lines[:i]
                break
    paragraphs = [line for line in lines if line and not _FURNITURE_LINE.match(line)]
    # Captions, credits, share and "Read more" lines go; list markers leave their items.
    paragraphs = [p for p in (clean_line(p) for p in paragraphs) if p]
    # A paragraph printed twice in a row is a photo caption (image alt text + caption).
    repeated = {a for a, b in zip(paragraphs, paragraphs[1:]) if a == b}
    paragraphs = [p for p in paragraphs if p not in repeated]
    return "\n\n".join(paragraphs)


# What ends a sentence at the end of a line (closing quotes and brackets after it), and
# what starts a block of its own on the next (a list item, a heading, a quotation, a table row).
_SENTENCE_END = re.compile(r"[.!?:;…][\"'”’)\]]*$")
_BLOCK_START = re.compile(r"(?:[-*+•·]\s|\d+[.)]\s|#|>|\|)")


def _soft_breaks_joined(lines: list[str]) -> list[str]:
    """``lines`` with each line that goes on with a sentence the line before left open (it
    begins in lower case) joined to that line."""
    joined: list[str] = []
    for line in lines:
        if (joined and joined[-1] and line[:1].islower() and not _SENTENCE_END.search(joined[-1])
                and not _BLOCK_START.match(line)):
            joined[-1] = f"{joined[-1]} {line}"
        else:
            joined.append(line)
    return joined


_BINARY = "looks like a binary file, not text; save the article as .txt, .md or .html (or add the PDF itself)"
# Control characters other than tab, newline, carriage return and form feed: text has
# next to none, while any binary file decoded as cp1252/latin-1 is full of them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def decode_text(data: bytes, path, declared: str = "") -> str:
    """The text of a file's or a fetched page's bytes; :class:`DocumentError` (naming
    ``path``) when they are not text.

    UTF-16 with a byte-order mark; else UTF-8 when the bytes are valid UTF-8 (text in
    another encoding almost never is); else the encoding ``declared`` (a server's charset)
    or an HTML page's ``<meta charset>`` names; else Windows-1252, else Latin-1. Files and
    pages share this one path, so a page keeps its accents and curly quotes as the same
    bytes saved as a file do.

    >>> decode_text("caf\u00e9 \u201cquoted\u201d".encode("cp1252"), "page.html")
    'café “quoted”'
    >>> decode_text(b"<meta charset=koi8-r><p>\\xf0\\xd2\\xc9\\xd7\\xc5\\xd4</p>", "page.html")
    '<meta charset=koi8-r><p>Привет</p>'
    """
    # Text saved as UTF-16 is full of NUL bytes, so its byte-order mark is checked first.
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError(path, f"starts like UTF-16 text but does not decode ({exc.reason}); save it as UTF-8") from exc
    if b"\x00" in data[:4096]:
        raise DocumentError(path, _BINARY)
    named = [_codec(declared), _codec(_meta_charset(data))]
    for encoding in ("utf-8-sig", *[name for name in named if name], "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - latin-1 decodes anything
        raise DocumentError(path, "cannot be decoded as text")
    sample = text[:65536]
    if len(_CONTROL.findall(sample)) > 0.02 * len(sample):
        raise DocumentError(path, _BINARY)
    return text


# <meta charset="..."> or <meta http-equiv="Content-Type" content="text/html; charset=...">,
# looked for where browsers look: the first 1,024 bytes.
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# Labels that every browser reads as Windows-1252 (its bytes 0x80-0x9F are curly quotes,
# dashes and the euro sign, which pages labelled Latin-1 use).
_WINDOWS_1252 = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "cp819", "ascii", "us-ascii",
                 "windows-1252", "cp1252"}


def _meta_charset(data: bytes) -> str:
    found = _META_CHARSET.search(data[:1024])
    return found.group(1).decode("ascii") if found else ""


def _codec(label: str) -> str:
    """The Python codec for a charset label, or '' when there is none."""
    import codecs

    label = label.strip().lower()
    if label in _WINDOWS_1252:
        return "cp1252"
    try:
        return codecs.lookup(label).name if label else ""
    except LookupError:
        return ""


# "- item", "* item", "• item", "1. item", "2) item": the marker is layout, the item is text.
_LIST_MARKER = re.compile(r"^(?:[-*•·–—+]|\d{1,2}[.)])\s+(?=\S)")

_CAPTION = re.compile(
    r"^\(?(?:picture|pictured|pic|image|images|photo|photos|photograph|photography|credit|"
    r"copyright|illustration|video|gallery)\s*(?:credit)?\s*[:|]",
    re.IGNORECASE,
)
# "Photo: Jo Bloggs / Agency", "(Image: Agency)", "... Photo by Jo Bloggs/Agency Wire": a
# credit at the end of a short line; a sentence that merely mentions a photo does not match.
_CREDIT_END = re.compile(r"\b(?:picture|photo|image|photograph)\s*(?:by|:)[^.!?]{0,60}\s*$", re.IGNORECASE)
# The agency after a slash: one to three capitalised words ("/ PA", "/PA Wire").
_AGENCY_END = re.compile(r"\S\s*/\s*[A-Z][A-Za-z&.]*(?:\s+[A-Z][A-Za-z&.]*){0,2}\)?\s*$")
_SHARE = re.compile(
    r"^(?:share(?:\s*$|\s+(?:this|on|via|the (?:article|story|page))\b.{0,40})|follow (?:us|@\S+|[\w ]{1,30} on (?:twitter|x|facebook|instagram|"
    r"linkedin|tiktok|bluesky|threads)).{0,60}|(?:click|tap) (?:here )?to share.{0,40}|"
    r"(?:like us on|join us on) \w+.{0,40}|(?:email|print|copy link|tweet|whatsapp|facebook|twitter|linkedin)"
    r"(?:\s*[|/·•,]\s*(?:email|print|copy link|tweet|whatsapp|facebook|twitter|linkedin))*)$",
    re.IGNORECASE,
)
_READ_MORE = re.compile(r"^(?:(?:read more|more on this story|see also|also read|read next|recommended for you)\b|"
                        r"related(?: articles?| stories| content| links| topics)?\s*[:>»|-]?\s*$)",
                        re.IGNORECASE)


def is_furniture(line: str) -> bool:
    """True for a caption or credit, a share/follow prompt or a "Read more" line."""
    line = line.strip()
    if not line:
        return False
    if _CAPTION.match(line) or _READ_MORE.match(line) or _SHARE.match(line):
        return True
    # Credits end short caption lines; a long paragraph ending "... / Agency" is still a
    # credit only when it carries no sentence end before the credit.
    credit = _CREDIT_END.search(line) or _AGENCY_END.search(line)
    return bool(credit) and len(line.split()) <= 25 and not re.search(r"[.!?][\"'”’]?\s+\S.*[.!?]", line)


def clean_line(line: str) -> str | None:
    """``line`` without a list marker, or None when the whole line is page furniture."""
    if is_furniture(line):
        return None
    return _LIST_MARKER.sub("", line.strip(), count=1)
