"""A retrieved passage with its citation: what :meth:`qa.Retriever.retrieve` returns.

>>> from qa.records import Source
>>> hit = Hit(passage_id="a#p0", doc_id="a", text="The notice was closed.", score=0.8,
...           source=Source(title="Notice closed", publisher="Coast Times"), start=0, end=22, highlight=(0, 22))
>>> hit.title, hit.highlight_text
('Notice closed', 'The notice was closed.')
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..records import Cited, DateMention, Source


@dataclass
class Hit(Cited):
    """One retrieved passage with its citation. ``start``/``end`` are offsets into the
    article body; ``highlight`` is the (start, end) of the answering sentence within ``text``.

    ``sentence_score`` is the answering sentence's final score (:mod:`qa.answer.answer_model`:
    the reader's score weighed with the cheap signals), which ranks the hits; ``score`` and
    ``support`` are the probability, calibrated on training data, that the sentence answers
    (0..1, in the same order). ``missing_names`` are the question's names that the hit's
    article (headline and text) never mentions; None when not worked out.
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
    dates: list[DateMention] = field(default_factory=list)  # the passage's, offsets within text
    support: float = 0.0
    missing_names: list[str] | None = None
    page: int | None = None  # 1-based page of a PDF; None for an article without pages

    @property
    def relevance(self) -> float:
        """What the chat and ``qa ask`` show: the probability that the sentence answers, 0..1.

        >>> Hit("a#p0", "a", "x", 0.25, Source(), 0, 1, (0, 1)).relevance
        0.25
        """
        return min(1.0, max(0.0, self.score))

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
            "dates": [d.to_dict() for d in self.dates],
            "support": self.support,
            "relevance": self.relevance,
            "missing_names": self.missing_names,
            "highlight_text": self.highlight_text,
        }
