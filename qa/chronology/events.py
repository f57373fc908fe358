"""Events across articles: one entry per happening, with every source, disagreements shown.

The sentence timeline (:mod:`qa.chronology.timeline`) lists each dated sentence; eight reports of one
story then show the same inspection four times in different words. Here the dated sentences
that say the same thing about the same subject become one :class:`Event`: sentences whose
dates agree are its ``sources``, and sentences that say the same thing with a date that cannot
be the same (January 2016 against February 2016) are its ``conflicts``, each with its sources.

>>> import qa
>>> for event in qa.events(index_dir="index", query="improvement notice"):  # doctest: +SKIP
...     print(event.label, event.tense, event.text)
...     print("   ", sources_line(event))
...     if event.conflicts:
...         print("   ", conflicts_line(event))

Two sentences are the same happening (:func:`~qa.chronology.event_grouping.same_thing`) when they share a kind of event
(inspected, rated, issued, closed, published, met ...; :data:`~qa.chronology.dated_clauses.EVENT_KINDS`) and their sentence
vectors, content words and names are close enough (:class:`~qa.chronology.event_grouping.Thresholds`, chosen on labelled
pairs: ``python -m qa.evaluate.events``). Dates are compatible when their periods overlap:
"2015" and "December 2015" are, "January 2016" and "February 2016" are not.
"""
from __future__ import annotations

import re
import weakref
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..errors import QAError
from ..ingest import dates
from ..records import Citation, DateClaim, Event, Source, short_publisher
from ..records.events import unique
from ..text import content_stems
from .timeline import check_dated_index
from .dated_clauses import Statement, statements_of
from .event_grouping import DEFAULT_THRESHOLDS, Thresholds, compatible, group_statements
from ..store.handle import index_and_name

__all__ = ["Citation", "DateClaim", "Event", "Thresholds", "byline", "conflicts_line", "event_dict", "events",
           "events_of", "events_topic", "period_of", "short_publisher", "sources_line"]

# --- records ------------------------------------------------------------------------------


def byline(source: Source) -> str:
    """Publisher and publication date as a source line: "CYP Now, 23 July 2018",
    "Your Local Guardian, July 2018", "Porthaven Residents, date not known"."""
    period = dates.parse_period(source.published)
    when = dates.format_date(period.value) if period else "date not known"
    return ", ".join(p for p in (short_publisher(source) or source.title, when) if p)


def sources_line(event: Event) -> str:
    """ "CYP Now, 23 July 2018 · Your Local Guardian, July 2018": each article once, and the
    syndicated copies of each (the same text in another paper) after it."""
    return " \u00b7 ".join(unique(line for c in event.sources
                                  for line in [byline(c.source)] + [byline(copy) for copy in c.source.also_published]))


def conflicts_line(event: Event) -> str:
    """ "sources disagree: December 2015 (CYP Now) · January 2016 (Your Local Guardian)", the
    event's own date first; "" when the sources agree."""
    if not event.conflicts:
        return ""
    claims = [DateClaim(event.value, event.label, event.sources)] + event.conflicts
    return "sources disagree: " + " \u00b7 ".join(f"{c.label} ({c.publishers()})" for c in claims)


def event_dict(event: Event) -> dict[str, Any]:
    """Plain data for JSON, with the two lines as people read them."""
    d = asdict(event)
    d["sources_line"], d["conflicts_line"] = sources_line(event), conflicts_line(event)
    return d


# --- from grouped clauses to events ------------------------------------------------------


def event_of(group: list[Statement], vectors: np.ndarray) -> Event:
    """One happening from its statements: the date most publishers agree on is the event's,
    each other date that cannot agree with it is a conflict."""
    claims: list[list[Statement]] = []
    for s in sorted(group, key=lambda s: (s.width, s.first)):  # the most precise dates first
        fits = [c for c in claims if all(compatible(s, o) for o in c)]
        if fits:
            max(fits, key=lambda c: (len({o.citation.source.publisher for o in c}), len(c))).append(s)
        else:
            claims.append([s])
    claims.sort(key=lambda c: (-len({o.citation.source.publisher for o in c}), -len(c), c[0].first))
    main, others = claims[0], claims[1:]
    value = main[0].value  # the narrowest date those sources give
    rows = [s.row for s in group]
    centre = vectors[rows].mean(axis=0) if len(vectors) else None
    clearest = min(main, key=lambda s: (
        dates._RANK[s.precision] if "/" not in s.value else 1,  # the most precise date
        len(s.clause.strip()) < len(s.citation.sentence.strip()),  # a sentence about this alone
        s.citation.date.approximate,
        -(float(vectors[s.row] @ centre) if centre is not None else 0.0), len(s.citation.sentence)))
    kinds = sorted(set.intersection(*(set(s.kinds) for s in group)) or set().union(*(s.kinds for s in group)))
    return Event(
        value=value,
        label=_label(value, approximate=all(s.citation.date.approximate for s in main)),
        text=clearest.citation.sentence,
        tense="future" if sum(s.future for s in main) * 2 > len(main) else "past",
        kinds=tuple(kinds),
        sources=_citations(main),
        conflicts=[DateClaim(c[0].value, _label(c[0].value, all(s.citation.date.approximate for s in c)),
                             _citations(c)) for c in sorted(others, key=lambda c: c[0].first)],
    )


def _citations(statements: list[Statement]) -> list[Citation]:
    def reported(s: Statement):
        p = dates.parse_period(s.citation.source.published)
        return (p.first if p else s.first, s.doc_id, s.citation.start)

    return [s.citation for s in sorted(statements, key=reported)]


def _label(value: str, approximate: bool = False) -> str:
    if "/" in value:
        first, last = value.split("/")
        a, b = dates.parse_period(first), dates.parse_period(last)
        label = (f"{dates.calendar.month_name[a.first.month]}\u2013{dates.format_date(last)}"
                 if a.precision == b.precision == "month" and a.first.year == b.first.year
                 else f"{dates.format_date(first)} \u2013 {dates.format_date(last)}")
    else:
        label = dates.format_date(value)
    return f"about {label}" if approximate else label


def period_of(value: str) -> tuple[Any, Any]:
    """First and last day of an event value, spans (``2015-11/2015-12``) included."""
    parts = [dates.parse_period(v) for v in value.split("/")]
    return parts[0].first, parts[-1].last


# --- the public function -----------------------------------------------------------------------


def events(index_dir: str | Path | None = None, query: str | None = None, doc_id: str | None = None,
           thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[Event]:
    """The happenings reported in the articles of ``index_dir``, oldest first, each with its
    sources and the dates other sources disagree on.

    ``query`` keeps the events about it ("improvement notice"); ``doc_id`` those that one
    article reports (with their sources in other articles too). Without ``index_dir`` the
    default index is used, built or updated first as :func:`qa.retrieve` does. A date that
    needs the publication date ("in May", "last week") is left out of an article whose
    publication date is not known: it cannot be placed.
    """
    data, where = index_and_name(index_dir)
    return events_of(data, query=query, doc_id=doc_id, thresholds=thresholds, where=where)


def events_of(data, query: str | None = None, doc_id: str | None = None,
              thresholds: Thresholds = DEFAULT_THRESHOLDS, where: str = "the index") -> list[Event]:
    """:func:`events` over an index already in memory (a retriever's ``data``)."""
    check_dated_index(data, doc_id, where)
    found = list(_grouped(data, thresholds))
    if doc_id is not None:
        found = [e for e in found if any(c.doc_id == doc_id for c in _all_citations(e))]
    if query is not None and query.strip():
        found = about(found, query)
    found.sort(key=lambda e: (period_of(e.value)[0], e.planned, period_of(e.value)[1], e.text))
    return found


# The events of the last few indexes in memory: the Timeline tab asks again on every filter
# change, and grouping a large corpus takes a while. An index reloaded after an update is a
# new object (and a new generation), so its events are worked out afresh.
_GROUPED: list[tuple[weakref.ref, tuple, list[Event]]] = []


def _grouped(data, thresholds: Thresholds) -> list[Event]:
    key = (data.generation, len(data.passages), thresholds)
    for ref, known_key, found in list(_GROUPED):
        if ref() is data and known_key == key:
            return found
    statements = statements_of(data)
    vectors = np.asarray(data.sentence_vectors, dtype=np.float32)
    found = [event_of([statements[i] for i in group], vectors)
             for group in group_statements(statements, vectors, thresholds)]
    _GROUPED[:] = [entry for entry in _GROUPED if entry[0]() is not None][-3:] + [(weakref.ref(data), key, found)]
    return found


def about(found: list[Event], query: str) -> list[Event]:
    """The events whose sentences hold every content word of ``query`` (as stems); when none
    holds them all, those holding the most, if that is at least half."""
    wanted = content_stems(query)
    if not wanted:
        raise QAError(f"the query {query!r} has no words to look for; name what the events are about, "
                      "such as 'improvement notice'")

    def share(event: Event) -> float:
        return max(len(wanted & content_stems(c.sentence)) for c in _all_citations(event)) / len(wanted)

    shares = [share(e) for e in found]
    best = max(shares, default=0.0)
    if best < 0.5:
        return []
    return [e for e, s in zip(found, shares) if s == best]


def _all_citations(event: Event) -> Iterable[Citation]:
    yield from event.sources
    for claim in event.conflicts:
        yield from claim.sources


# --- the chat's question for it ----------------------------------------------------------------

_EVENTS_QUESTION = re.compile(
    r"^\s*(?:(?:show|give|list)\s+(?:me\s+)?)?(?:the\s+|a\s+)?(?:timeline|chronology|history)\s+(?:of|for)\s+(?P<a>.+?)"
    r"|^\s*what\s+(?:has\s+)?happened\s+(?:to|with)\s+(?P<b>.+?)",
    re.IGNORECASE)


def events_topic(message: str) -> str | None:
    """What a chat message asks the timeline of: "timeline of the improvement notice" and
    "what happened to the improvement notice?" -> "the improvement notice"; None for other
    questions."""
    match = _EVENTS_QUESTION.fullmatch(message.strip().rstrip("?.! ").strip())
    if not match:
        return None
    topic = (match.group("a") or match.group("b") or "").strip()
    return topic or None
