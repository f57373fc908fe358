"""A timeline across articles: every dated sentence, in date order, each cited.

The dates are the ones resolved at indexing time against each article's publication date
(see :mod:`qa.ingest.dates`), so "a visit in May" in a July 2018 article is placed in May 2018.
Each article's own publication is an entry too, so the timeline shows when each thing
was reported as well as when it happened.

``timeline(index_dir="index")`` gives :class:`TimelineEntry` objects, oldest first; each
has a ``label`` ("May 2018", "about 11 August 2016"), the sentence (``text``, the date at
``text[date_start:date_end]``) and its ``source``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import QAError
from ..ingest import dates
from ..records import Cited, DateMention, Source
from ..store import index_files as store
from ..store.handle import check_index_dates, index_and_name


@dataclass
class TimelineEntry(Cited):
    """One dated sentence (``kind="event"``) or one article's publication
    (``kind="published"``, whose ``text`` is the headline), with its citation.

    ``start``/``end`` are the sentence's offsets in the article body;
    ``date_start``/``date_end`` those of the date expression within ``text``."""

    value: str  # ISO at its precision: 2016-08-11, 2018-05, 2015
    precision: str  # "day", "month" or "year"
    kind: str
    text: str
    date_text: str
    date_start: int
    date_end: int
    start: int
    end: int
    doc_id: str
    source: Source
    relative: bool = False  # read against the publication date ("in May")
    approximate: bool = False  # ...and that date is itself uncertain
    relation: str = ""  # "since", "until", "by", "before", "after", "from", or "" for the date itself

    @property
    def label(self) -> str:
        """The date for people: "May 2018", "about 11 August 2016", "since August 2016"."""
        label = dates.format_date(self.value)
        if self.approximate:
            label = f"about {label}"
        return f"{self.relation} {label}" if self.relation else label

    def citation(self) -> str:
        """Headline, publisher, publication date and link, as a source line."""
        period = dates.parse_period(self.published)
        when = dates.format_date(period.value) if period else "date not known"
        parts = [f"\u201c{self.title}\u201d", self.publisher, when, self.url]
        return ", ".join(p for p in parts if p)

    def to_dict(self) -> dict:
        """Plain data for JSON, the citation's fields at the top level."""
        d = {name: getattr(self, name) for name in (
            "value", "precision", "kind", "text", "date_text", "date_start", "date_end", "start", "end",
            "doc_id", "title", "publisher", "published", "url", "published_note", "relative", "approximate",
            "relation")}
        d["label"] = self.label
        return d


def timeline(index_dir: str | Path | None = None, doc_id: str | None = None,
             include_published: bool = True) -> list[TimelineEntry]:
    """The dated sentences of every article in ``index_dir`` (or only of ``doc_id``), in
    date order, plus each article's publication when ``include_published``.

    Without ``index_dir`` the default index is used, built or updated first as
    :func:`qa.retrieve` does.
    """
    data, where = index_and_name(index_dir)
    return timeline_of(data, doc_id=doc_id, include_published=include_published, where=where)


def check_dated_index(data: store.IndexData, doc_id: str | None, where: str) -> None:
    """Refuse an index built without resolved dates, or a ``doc_id`` it does not hold, with
    what to do (``where`` names the index in the message)."""
    check_index_dates(data, where)
    if doc_id is not None and doc_id not in data.documents:
        known = ", ".join(sorted(data.documents)) or "none"
        raise QAError(f"no article {doc_id!r} in {where}; choose one of: {known}")


def timeline_of(data: store.IndexData, doc_id: str | None = None, include_published: bool = True,
                where: str = "the index") -> list[TimelineEntry]:
    """:func:`timeline` over an index already in memory (a retriever's ``data``)."""
    check_dated_index(data, doc_id, where)
    entries: list[TimelineEntry] = []
    seen: set[tuple[str, int]] = set()
    for passage in data.passages:
        if doc_id is not None and passage.doc_id != doc_id:
            continue
        source = data.documents[passage.doc_id].source
        for d in passage.dates:
            # Passages overlap by a sentence: the same mention is stored twice.
            key = (passage.doc_id, passage.start + d.start)
            if key in seen:
                continue
            seen.add(key)
            s, e = next(((s, e) for s, e in passage.sentences if s <= d.start and d.end <= e),
                        (0, len(passage.text)))
            entries.append(_entry(source, passage.doc_id, kind="event", text=passage.text[s:e],
                                  start=passage.start + s, end=passage.start + e, mention=d,
                                  date_start=d.start - s, date_end=d.end - s))
    if include_published:
        for this_id, document in data.documents.items():
            period = dates.parse_period(document.published)
            if period is None or (doc_id is not None and this_id != doc_id):
                continue
            entries.append(_entry(
                document.source, this_id, kind="published", text=document.title, start=0, end=0,
                mention=DateMention(text="", start=0, end=0, value=period.value, precision=period.precision,
                                    approximate=bool(document.published_note.strip())),
                date_start=0, date_end=0,
            ))
    entries.sort(key=_order)
    return entries


def _entry(source: Source, doc_id: str, kind: str, text: str, start: int, end: int, mention: DateMention,
           date_start: int, date_end: int) -> TimelineEntry:
    return TimelineEntry(
        value=mention.value,
        precision=mention.precision,
        kind=kind,
        text=text,
        date_text=mention.text,
        date_start=date_start,
        date_end=date_end,
        start=start,
        end=end,
        doc_id=doc_id,
        source=source,
        relative=bool(mention.relative),
        approximate=bool(mention.approximate),
        relation=mention.relation,
    )


_COARSE_FIRST = {"year": 0, "month": 1, "week": 2, "day": 3}


def _order(entry: TimelineEntry):
    period = dates.parse_period(entry.value)
    # An event sits at the start of its period ("2015" before "December 2015"); an
    # article at the end of its own, since it reports what happened before it came out.
    when = period.last if entry.kind == "published" else period.first
    publication = dates.parse_period(entry.published)
    return (when, entry.kind == "published", _COARSE_FIRST[entry.precision], entry.approximate,
            publication.first if publication else when, entry.doc_id, entry.start, entry.date_start)
