"""The Timeline tab's "Every dated sentence": each dated sentence in date order, with its
source, narrowed to the events shown above it when those are filtered ("About").
"""
from __future__ import annotations

import html
from urllib.parse import urlsplit

from ..chronology.timeline import TimelineEntry
from ..chronology.events import Event
from .render import external_link, format_date, marked_html, safe_url


def about_events(entries: list[TimelineEntry], found: list[Event]) -> list[TimelineEntry]:
    """The ``entries`` that date one of the ``found`` events (a sentence of any of its
    sources, or of a source that disagrees), and the publication of each article they come
    from: the sentences below the events narrow as the events do."""
    citations = [c for e in found for c in e.sources + [c for claim in e.conflicts for c in claim.sources]]
    dated = {(c.doc_id, c.start, c.date.start) for c in citations}
    articles = {c.doc_id for c in citations}
    return [e for e in entries
            if (e.kind == "event" and (e.doc_id, e.start, e.date_start) in dated)
            or (e.kind == "published" and e.doc_id in articles)]


def timeline_html(entries: list[TimelineEntry], empty: str = "No dated sentences in these articles.") -> str:
    """The timeline as an HTML list, oldest first: date, sentence with the date marked,
    source."""
    if not entries:
        return f'<p class="qa-timeline-empty">{html.escape(empty)}</p>'
    items = []
    for e in entries:
        if e.kind == "published":
            text = f"Article published: \u201c{html.escape(e.text)}\u201d"
        else:
            text = f"\u201c{marked_html(e.text, e.date_start, e.date_end)}\u201d"
        source = [f"\u201c{html.escape(e.title or e.doc_id)}\u201d", html.escape(e.publisher or "publisher unknown"),
                  html.escape(format_date(e.published, e.published_note))]
        url = safe_url(e.url)
        if url:
            host = urlsplit(url).netloc.lower().removeprefix("www.")
            source.append(external_link(url, html.escape(host)))
        items.append(
            f'<li class="qa-timeline-entry" data-value="{html.escape(e.value)}" data-kind="{e.kind}" '
            f'data-doc="{html.escape(e.doc_id, quote=True)}" style="margin-bottom:.9em">'
            f'<div class="qa-timeline-date"><strong>{html.escape(e.label)}</strong></div>'
            f'<div class="qa-timeline-text">{text}</div>'
            f'<div class="qa-timeline-source" style="opacity:.75;font-size:.9em">{" · ".join(source)}</div></li>'
        )
    return f'<ol class="qa-timeline" style="list-style:none;padding-left:0">{"".join(items)}</ol>'
