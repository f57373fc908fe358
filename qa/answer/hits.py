"""A retrieved passage with its citation: what :meth:`qa.Retriever.retrieve` returns.

>>> from qa.records import Source
>>> hit = Hit(passage_id="a#p0", doc_id="a", text="The notice was closed.", score=0.8,
...           source=Source(title="Notice closed", publisher="Coast Times"), start=0, end=22, highlight=(0, 22))
>>> hit.title, hit.highlight_text
('Notice closed', 'The notice was closed.')
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..records import Cited, Source


@dataclass
class Hit(Cited):
    """One retrieved passage with its citation. ``start``/``end`` are offsets into the
    article body; ``highlight`` is the (start, end) of the answering sentence within ``text``.

    Three scores, each for its own use: ``score`` is the passage's cosine with the question
    (shown as relevance); ``sentence_score`` is what chose the answering sentence (its
    support plus the preferences for a date or a number, :mod:`qa.answer.sentence_choice`);
    ``support`` is the evidence that the sentence answers (:mod:`qa.answer.support`), which
    :mod:`qa.answer.abstention` thresholds.
    """

    passage_id: str
    doc_id: str
    text: str
    score: float
    source: Source
    start: int
    end: int
    highlight: tuple[int, int]
    rank: int = 0
    sentence_score: float = 0.0
    dates: list[dict] = field(default_factory=list)  # qa.records.DateMention.to_dict(), offsets within text
    support: float = 0.0
    page: int | None = None  # 1-based page of a PDF; None for an article without pages

    @property
    def highlight_text(self) -> str:
        return self.text[self.highlight[0]:self.highlight[1]]

    def to_dict(self) -> dict:
        """Plain data for JSON (``qa ask --json``), the citation's fields at the top level."""
        return {
            "passage_id": self.passage_id,
            "doc_id": self.doc_id,
            "text": self.text,
            "score": self.score,
            "title": self.title,
            "publisher": self.publisher,
            "published": self.published,
            "url": self.url,
            "start": self.start,
            "end": self.end,
            "highlight": list(self.highlight),
            "published_note": self.published_note,
            "published_source": self.published_source,
            "author": self.author,
            "page": self.page,
            "also_published": [copy.citation() for copy in self.also_published],
            "rank": self.rank,
            "sentence_score": self.sentence_score,
            "dates": [dict(d) for d in self.dates],
            "support": self.support,
            "highlight_text": self.highlight_text,
        }
