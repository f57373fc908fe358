"""Where an article's publication date, author and address come from, and only from there.

A publication date is taken from what the page or file states about itself: front
matter, HTML metadata (``article:published_time`` and kin), JSON-LD ``datePublished``, a
``<time datetime>`` element, a dateline beside the byline, or a feed item. It is never
guessed from the body: "an inspection in 2012" in a 2016 article says nothing about 2016,
and every date resolved against a guessed year is wrong too. Each finding says where it
came from (:data:`qa.records.PUBLISHED_SOURCES`), so that a reader can judge it.

>>> html_published('<meta property="article:published_time" content="2018-07-23T09:00:00Z">')
PublishedDate(value='2018-07-23', source='html meta')
>>> html_published("<p>An inspection in 2012 found ...</p>")
PublishedDate(value='', source='')
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from ..records import Document
from .bylines import Byline, read_byline
from .dates import MONTH_ABBREVIATIONS, MONTH_NAMES, WEEKDAYS


@dataclass(frozen=True)
class PublishedDate:
    """An ISO date (``2018-07-23``, or partial ``2016-08``) and where it was read; both
    empty when the article does not state one."""

    value: str = ""
    source: str = ""


UNKNOWN = PublishedDate()

# <meta> names and properties that carry the publication date, in the order trusted.
_META_KEYS = (
    "article:published_time", "og:article:published_time", "datepublished", "date", "pubdate",
    "publishdate", "publish-date", "publication_date", "dc.date", "dc.date.issued", "dcterms.created",
    "dcterms.issued", "sailthru.date", "parsely-pub-date", "citation_publication_date",
)
_ISO_START = re.compile(r"^\s*(\d{4})-(\d{2})(?:-(\d{2}))?")


def iso_date(value: str) -> str:
    """The date part of an ISO-like value ("2018-07-23T09:00:00+01:00" -> "2018-07-23",
    "2016-08" -> "2016-08"), also from "23 July 2018" or "July 23, 2018"; '' otherwise."""
    value = (value or "").strip()
    match = _ISO_START.match(value)
    if match:
        year, month, day = match.groups()
        try:
            datetime(int(year), int(month), int(day or 1))
        except ValueError:
            return ""
        return f"{year}-{month}-{day}" if day else f"{year}-{month}"
    return dateline_date(value)


def html_published(html_text: str) -> PublishedDate:
    """The publication date an HTML page states in its metadata, JSON-LD or ``<time>``
    element; :data:`UNKNOWN` when it states none (its text is not searched)."""
    import lxml.html

    try:
        tree = lxml.html.fromstring(html_text)
    except Exception:  # an empty or broken page states nothing
        return UNKNOWN
    found = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        if key in _META_KEYS and key not in found:
            value = iso_date(meta.get("content") or "")
            if value:
                found[key] = value
    for key in _META_KEYS:
        if key in found:
            return PublishedDate(found[key], "html meta")
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        value = _json_ld_published(script.text or "")
        if value:
            return PublishedDate(value, "json-ld")
    # A <time> marked as the publication (pubdate, itemprop) first, then the first in the article.
    times = [t for t in tree.iter("time") if t.get("datetime")]
    marked = [t for t in times if t.get("pubdate") is not None or (t.get("itemprop") or "").lower() == "datepublished"]
    for element in marked + [t for t in times if t.xpath("ancestor::article or ancestor::header")]:
        value = iso_date(element.get("datetime"))
        if value:
            return PublishedDate(value, "time element")
    return UNKNOWN


def _json_ld_published(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return ""
    stack = [data]
    while stack:
        item = stack.pop(0)
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            value = iso_date(str(item.get("datePublished") or ""))
            if value:
                return value
            stack.extend(v for k, v in item.items() if k in ("@graph", "mainEntity", "mainEntityOfPage"))
    return ""


# --- lines at the head and foot of a text file ----------------------------------------------

_MONTHS = "|".join(m.lower() for m in MONTH_NAMES)
_MONTHS_SHORT = "|".join(m.lower() for m in MONTH_ABBREVIATIONS)
_WEEKDAY = rf"({'|'.join(d.lower() for d in WEEKDAYS)}|{'|'.join(d[:3].lower() for d in WEEKDAYS)})\.?,?\s+"
_TIME = r"(,?\s+(at\s+)?\d{1,2}[:.]\d{2}\s*(am|pm)?(\s*(bst|gmt|utc))?)?"
_DATELINE = re.compile(
    rf"^(published:?\s+|updated:?\s+)?({_WEEKDAY})?"
    rf"((?P<m1>{_MONTHS}|{_MONTHS_SHORT})\.?\s+(?P<d1>\d{{1,2}})(st|nd|rd|th)?,?\s+(?P<y1>\d{{4}})"
    rf"|(?P<d2>\d{{1,2}})(st|nd|rd|th)?\s+(?P<m2>{_MONTHS}|{_MONTHS_SHORT})\.?,?\s+(?P<y2>\d{{4}})"
    rf"|(?P<iso>\d{{4}}-\d{{2}}-\d{{2}})){_TIME}\s*$",
    re.IGNORECASE,
)


def dateline_date(line: str) -> str:
    """A line that is only a date ("Monday, July 23, 2018", "23 Jul 2018 10:30", "Published:
    2018-07-23") as ISO; '' for anything else, a sentence that mentions a date included."""
    match = _DATELINE.match(line.strip())
    if not match:
        return ""
    if match.group("iso"):
        return iso_date(match.group("iso"))
    month = (match.group("m1") or match.group("m2")).lower()[:3]
    day, year = match.group("d1") or match.group("d2"), match.group("y1") or match.group("y2")
    try:
        return datetime.strptime(f"{day} {month} {year}", "%d %b %Y").date().isoformat()
    except ValueError:
        return ""


_URL = r"https?://[^\s<>\"']+"
_SOURCE_LINE = re.compile(rf"^((source|original(ly published)?|link|url|read (it|the original) (at|here))\s*:?\s*)?<?(?P<url>{_URL})>?\s*$",
                          re.IGNORECASE)


def source_url(line: str) -> str:
    """The address in a final "Source: https://..." or bare-address line; '' otherwise."""
    match = _SOURCE_LINE.match(line.strip())
    return match.group("url").rstrip(".,;)") if match else ""


def read_head(lines: list[str], doc: Document, first: int) -> int:
    """Read a byline and a dateline among the few lines from ``first`` on into ``doc``;
    the index of the first line after those read. A byline that shows itself one ("By
    NAME", "NAME | PAPER", "PAPER reporter NAME": :func:`qa.ingest.bylines.read_byline`)
    is read wherever it stands, its publication too; a bare short line ("Joe Lepper", "Joe
    Lepper, CYP Now") only when a dateline follows it."""
    consumed, candidate, seen = first, None, 0
    for i in range(first, len(lines)):
        line = lines[i].strip()
        if not line:
            continue
        seen += 1
        if seen > 3:
            break
        iso = dateline_date(line)
        if iso:
            if not doc.published:
                doc.published, doc.published_source = iso, "dateline"
            if candidate is not None:
                _take_byline(doc, candidate)
            return i + 1
        byline = read_byline(line)
        if byline is not None and byline.marked:
            _take_byline(doc, byline)
            consumed = i + 1
            continue
        if candidate is None and byline is not None:
            candidate = byline
            continue
        if candidate is None and len(line.split()) <= 4 and not re.search(r"[.!?:;\"“”]", line):
            candidate = Byline(line)
            continue
        break
    return consumed


def _take_byline(doc: Document, byline: Byline) -> None:
    """What the byline says, where the article has not said it already (front matter, a
    page's metadata)."""
    doc.author = doc.author or byline.author
    doc.publisher = doc.publisher or byline.publisher


def take_source_url(lines: list[str], doc: Document) -> list[str]:
    """``lines`` without a final "Source: https://..." or bare address line, which becomes
    ``doc.url`` (when it has none yet)."""
    for i in range(len(lines) - 1, -1, -1):
        if not lines[i].strip():
            continue
        url = source_url(lines[i])
        if url:
            doc.url = doc.url or url
            return lines[:i]
        return lines
    return lines
