"""Turning a file's bytes into clean article text: decoding (and refusing binary files) and
removing page furniture (trailers, repeated captions, stray layout lines).

>>> clean_body("Ferry sinks.\\n\\nAdvertisement\\n\\nAll were rescued.")
'Ferry sinks.\\n\\nAll were rescued.'
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
    lines = [line.strip() for line in text.split("\n")]
    # Cut at the first trailer line found in the latter part of the article.
    nonblank = [i for i, line in enumerate(lines) if line]
    if nonblank:
        first_half_end = nonblank[len(nonblank) // 3]
        for i, line in enumerate(lines):
            if i > first_half_end and _TRAILER_START.match(line):
                lines = lines[:i]
                break
    paragraphs = [line for line in lines if line and not _FURNITURE_LINE.match(line)]
    # A paragraph printed twice in a row is a photo caption (image alt text + caption).
    repeated = {a for a, b in zip(paragraphs, paragraphs[1:]) if a == b}
    paragraphs = [p for p in paragraphs if p not in repeated]
    return "\n\n".join(paragraphs)


_BINARY = "looks like a binary file, not text; save the article as .txt, .md or .html"
# Control characters other than tab, newline, carriage return and form feed: text has
# next to none, while any binary file decoded as cp1252/latin-1 is full of them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def decode_text(data: bytes, path: Path) -> str:
    """The text of a file's bytes (UTF-8, UTF-16 with a byte-order mark, cp1252, latin-1);
    :class:`DocumentError` when they are not text."""
    # Text saved as UTF-16 is full of NUL bytes, so its byte-order mark is checked first.
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError(path, f"starts like UTF-16 text but does not decode ({exc.reason}); save it as UTF-8") from exc
    if b"\x00" in data[:4096]:
        raise DocumentError(path, _BINARY)
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
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
