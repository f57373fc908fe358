"""PDF documents (inspection reports, minutes, judgments): text page by page, with pypdf.

A PDF's text comes as lines wrapped to the page width, so lines are joined back into
paragraphs (a blank line, or a short line ending a sentence, ends one; a word hyphenated
across lines is joined). Each page is kept as a range of the body (:attr:`Document.pages`),
passages never cross a page break, and a citation says "p. 12". The title, author and
creation date come from the PDF's own metadata, when it has them. A PDF without a text
layer (a scan) is refused: there is nothing to quote.
"""
from __future__ import annotations

import io
import logging
import re
import statistics

from ..errors import DocumentError
from ..records import Document
from .cleaning import clean_line

SUFFIXES = (".pdf",)

# A report or judgment runs to hundreds of pages; a page tree past this is not an article
# (a crafted file can list one page 100,000 times in a few kilobytes).
MAX_PAGES = 2000
# Page-tree nodes walked while counting pages, at most: shared subtrees multiply.
_MAX_TREE_NODES = 20_000

NO_TEXT_LAYER = ("has no text layer (a scanned PDF?): there is no text to quote; run it through OCR "
                 "(for example ocrmypdf) and add the PDF it writes")
# Running heads and feet that carry no sentence: "12", "Page 3 of 10", "- 4 -".
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?[-–]?\s*\d{1,4}\s*[-–]?(?:\s+of\s+\d{1,4})?$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:][\"'”’)]*$")


def read(data: bytes, doc: Document) -> None:
    """Fill ``doc`` (body, pages, title, author, published) from the bytes of a PDF."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise DocumentError(doc.source, f"reading PDF needs pypdf ({exc}); run: pip install -e .") from exc
    # pypdf logs a warning per oddity of a damaged file (thousands for one file); the
    # outcome is what matters: the text, or a DocumentError that says why not.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(doc.source, "is a password-protected PDF; save an unprotected copy and add that")
        count = count_pages(reader, MAX_PAGES)
        if count > MAX_PAGES:
            raise DocumentError(doc.source, f"lists more than {MAX_PAGES:,} pages, over the limit for one article; "
                                "split it into separate PDFs")
        texts = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(doc.source, f"cannot be read as a PDF ({type(exc).__name__}: {exc}); "
                            "check that the file is a complete PDF") from exc
    if not texts:
        raise DocumentError(doc.source, "is a PDF without pages")
    pieces, pages, offset = [], [], 0
    for text in texts:
        page_body = "\n\n".join(page_paragraphs(text))
        if pieces and page_body:
            offset += 2  # the "\n\n" between this page and the text before it
        pages.append((offset, offset + len(page_body)))
        if page_body:
            pieces.append(page_body)
            offset += len(page_body)
    doc.body = "\n\n".join(pieces)
    doc.pages = pages
    if not doc.body.strip():
        raise DocumentError(doc.source, NO_TEXT_LAYER)
    _read_metadata(reader, doc)


def count_pages(reader, limit: int) -> int:
    """The pages the PDF's page tree lists, counted without reading them and without
    recursion; stops at ``limit + 1``. A tree whose shared branches would take more than
    a bounded walk counts as over the limit."""
    from pypdf.generic import IndirectObject

    root = reader.trailer["/Root"].get_object()["/Pages"]
    pending, count, walked = [root], 0, 0
    while pending:
        node = pending.pop()
        node = node.get_object() if isinstance(node, IndirectObject) else node
        walked += 1
        if walked > _MAX_TREE_NODES:
            return limit + 1
        kids = node.get("/Kids") if hasattr(node, "get") else None
        if kids is None:
            count += 1
            if count > limit:
                return count
            continue
        pending.extend(kids.get_object() if isinstance(kids, IndirectObject) else kids)
    return count


def _read_metadata(reader, doc: Document) -> None:
    try:
        meta = reader.metadata
    except Exception:  # a broken information dictionary loses the metadata, not the text
        meta = None
    if meta is None:
        return
    doc.title = _text(getattr(meta, "title", None))
    doc.author = _text(getattr(meta, "author", None))
    try:
        created = meta.creation_date
    except Exception:  # pypdf raises on a malformed date string
        created = None
    if created is not None:
        doc.published, doc.published_source = created.date().isoformat(), "pdf metadata"


def _text(value) -> str:
    text = " ".join(str(value or "").split())
    # Word processors often fill Title with the file name ("report.docx"): not a headline.
    return "" if re.search(r"\.(docx?|odt|rtf|pdf|indd)$", text, re.IGNORECASE) else text


def page_paragraphs(text: str) -> list[str]:
    """The paragraphs of one page's extracted text: wrapped lines joined, page numbers,
    captions and list markers dropped as in articles."""
    lines = [" ".join(line.split()) for line in text.replace("\r", "\n").split("\n")]
    widths = [len(line) for line in lines if len(line) > 20]
    full = statistics.median(widths) if widths else 0
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if not line or _PAGE_NUMBER.match(line):
            if current:
                paragraphs.append(current)
            current = ""
            continue
        if not current and _is_heading(line, full):  # "Care leavers" above its paragraph
            paragraphs.append(line)
            continue
        if current.endswith("-") and line[:1].islower():  # "inspec-" + "tion"
            current = current[:-1] + line
        else:
            current = f"{current} {line}" if current else line
        # A line well short of the page's measure that ends a sentence ends its paragraph.
        if _SENTENCE_END.search(line) and len(line) < 0.8 * full:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return [p for p in (clean_line(p) for p in paragraphs) if p]


def _is_heading(line: str, full: float) -> bool:
    """A short line that opens a paragraph and ends no sentence: a heading of its own."""
    return (len(line) < 0.6 * full and len(line.split()) <= 10 and line[:1].isupper()
            and not re.search(r"[.!?:;,\"'”’]$", line))
