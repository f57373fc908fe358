"""Reading a plain-text article: the headline on the first line, then optionally a byline
and a date line ("Joe Lepper" / "Monday, July 23, 2018"), then the body.
"""
from __future__ import annotations

import re

from ..records import Document
from . import markdown
from .cleaning import clean_body

SUFFIXES = (".txt",)

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
)
_DATE_LINE = re.compile(
    rf"^((mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
    rf"(({_MONTHS})\s+\d{{1,2}}(st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(st|nd|rd|th)?\s+({_MONTHS}),?\s+\d{{4}})$",
    re.IGNORECASE,
)


def _iso_date(text: str) -> str:
    """An article date line ("Monday, July 23, 2018") as ISO, or '' if it is not one."""
    from datetime import datetime

    cleaned = re.sub(r"(\d)(st|nd|rd|th)", r"\1", text.strip())
    cleaned = re.sub(r"^\w+day,?\s+", "", cleaned, flags=re.IGNORECASE).replace(",", "")
    for fmt in ("%B %d %Y", "%d %B %Y"):
        try:
            return datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    return ""


def read(text: str, doc: Document) -> None:
    """Fill ``doc``'s headline, byline, date and body from the plain ``text``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if markdown.has_front_matter(text):
        # A Markdown article saved as .txt: read as plain text its front matter would be the
        # body and "---" the headline, and the copy would outrank the original.
        markdown.read(text, doc)
        return
    lines = text.split("\n")
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    if not nonblank:
        doc.body = ""
        return
    doc.title = lines[nonblank[0]].strip()
    consumed = nonblank[0] + 1
    # A byline and a date line may follow the headline ("Joe Lepper" / "Monday, July 23, 2018").
    for i in nonblank[1:4]:
        line = lines[i].strip()
        iso = _iso_date(line) if _DATE_LINE.match(line) else ""
        if iso:
            doc.published = iso
            consumed = i + 1
            break
        if len(line.split()) <= 4 and not re.search(r"[.!?:;\"“”]", line) and not doc.author:
            doc.author = line
            continue
        break
    if not doc.published:
        doc.author = ""
        consumed = nonblank[0] + 1
    doc.body = clean_body("\n".join(lines[consumed:]))
