"""Reading an HTML article (a saved news page): trafilatura finds the article text and the
page's headline, author, site name and canonical link; the publication date is read from
the page's metadata only (:func:`qa.ingest.metadata.html_published`), never from its text.
A "By NAME" byline and a dateline at the top of the text become author and date.
"""
from __future__ import annotations

from ..errors import DocumentError
from ..records import Document
from .cleaning import clean_body
from .metadata import html_published, read_head

SUFFIXES = (".html", ".htm")


def read(text: str, doc: Document) -> None:
    """Fill ``doc``'s metadata and body from the HTML page ``text``."""
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise DocumentError(
            doc.source, f"reading HTML needs trafilatura and its parts ({exc}); run: pip install -e ."
        ) from exc
    # trafilatura's date (htmldate) falls back on years found in the text ("an inspection in
    # 2012" gave a 2016 article 1 January 2012), so its date is not used, and its search is
    # kept to the page's markup.
    result = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False, favor_precision=True,
                                         date_extraction_params={"extensive_search": False, "original_date": True})
    if result is None:
        raise DocumentError(doc.source, "no article text found in the HTML")
    data = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    doc.title = (data.get("title") or "").strip()
    doc.author = (data.get("author") or "").strip()
    doc.publisher = (data.get("sitename") or "").strip()
    published = html_published(text)
    doc.published, doc.published_source = published.value, published.source
    doc.url = (data.get("url") or "").strip()
    lines = [line.strip() for line in (data.get("text") or "").split("\n")]
    nonblank = [i for i, line in enumerate(lines) if line]
    first = 0
    if nonblank and doc.title and lines[nonblank[0]] == doc.title:  # the headline repeated as text
        first = nonblank[0] + 1
    doc.body = clean_body("\n".join(lines[read_head(lines, doc, first):]))
