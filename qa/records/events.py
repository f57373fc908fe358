"""What happened when: a sentence that dates a happening (:class:`Citation`), the date some
sources give (:class:`DateClaim`) and one happening with its sources and the dates they
disagree on (:class:`Event`). How they read as text (a byline, "sources disagree: ...")
is :mod:`qa.chronology.events`'s, which formats dates."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from .articles import DateMention, Source


def short_publisher(source: Source) -> str:
    """The name readers use: "CYP Now" for "Children & Young People Now (CYP Now)"."""
    short = re.search(r"\(([^()]+)\)\s*$", source.publisher)
    return short.group(1).strip() if short else source.publisher


@dataclass(frozen=True)
class Citation:
    """One sentence that dates a happening: where it comes from, the sentence itself, and the
    date mention it gives (offsets within ``sentence``)."""

    source: Source
    sentence: str
    date: DateMention
    passage_id: str
    doc_id: str
    start: int  # the sentence's offsets in the article body
    end: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DateClaim:
    """A date some sources give for a happening, with those sources."""

    value: str
    label: str
    sources: list[Citation] = field(default_factory=list)

    def publishers(self) -> str:
        """ "Your Local Guardian" or "CYP Now, SW Londoner": who gives this date."""
        return ", ".join(unique(short_publisher(c.source) or c.doc_id for c in self.sources))


@dataclass
class Event:
    """One happening. ``value`` is ISO at the precision the sources allow (``2016-08-11``,
    ``2015-12``, ``2016-W31``, ``2015``); ``label`` the same for people ("about 11 August
    2016"); ``text`` the clearest sentence that reports it; ``tense`` "past", or "future" for
    a plan ("will meet on August 25"). ``sources`` agree on the date, oldest report first;
    ``conflicts`` are the other dates other sources give for the same happening."""

    value: str
    label: str
    text: str
    tense: str
    kinds: tuple[str, ...]
    sources: list[Citation]
    conflicts: list[DateClaim] = field(default_factory=list)

    @property
    def planned(self) -> bool:
        return self.tense == "future"

    def publishers(self) -> list[str]:
        return unique(short_publisher(c.source) or c.doc_id for c in self.sources)


def unique(items: Iterable[str]) -> list[str]:
    """``items`` without repeats or empty ones, in order."""
    return list(dict.fromkeys(i for i in items if i))
