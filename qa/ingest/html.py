"""Reading an HTML article (a saved news page): trafilatura finds the article text and the
page's metadata (headline, author, site name, date, canonical link).
"""
from __future__ import annotations

from ..errors import DocumentError
from ..records import Document
from .cleaning import clean_body

SUFFIXES = (".html", ".htm")


def read(text: str, doc: Document) -> None:
    """Fill ``doc``'s metadata and body from the HTML page ``text``."""
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise DocumentError(
            doc.source, f"reading HTML needs trafilatura and its parts ({exc}); run: pip install -e ."
        ) from exc
    result = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False, favor_precision=True)
    if result is None:
        raise DocumentError(doc.source, "no article text found in the HTML")
    data = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    doc.title = (data.get("title") or "").strip()
    doc.author = (data.get("author") or "").strip()
    doc.publisher = (data.get("sitename") or "").strip()
    doc.published = (data.get("date") or "").strip()
    doc.url = (data.get("url") or "").strip()
    doc.body = clean_body(data.get("text") or "")
