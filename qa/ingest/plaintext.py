"""Reading a plain-text article: the headline on the first line, then optionally a byline
("By Neil Puffett", or a bare name followed by a date line) and a dateline ("Monday, July
23, 2018"), then the body. A final "Source: https://..." or bare address line is the
article's link, not its text. A file that starts with front matter is Markdown saved as
.txt, and its front matter is read as such.
"""
from __future__ import annotations

from ..records import Document
from . import markdown
from .cleaning import clean_body
from .metadata import read_head, take_source_url

SUFFIXES = (".txt",)


def read(text: str, doc: Document) -> None:
    """Fill ``doc``'s headline, byline, date, link and body from the plain ``text``."""
    lines = take_source_url(text.split("\n"), doc)
    if markdown.has_front_matter(text):
        url = doc.url
        markdown.read("\n".join(lines), doc)
        doc.url = doc.url or url
        return
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    if not nonblank:
        doc.body = ""
        return
    doc.title = lines[nonblank[0]].strip()
    consumed = read_head(lines, doc, nonblank[0] + 1)
    doc.body = clean_body("\n".join(lines[consumed:]))
