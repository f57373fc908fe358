"""What ranking and answering return: a passage with its citation (:class:`Hit`) and an
answer to a question, found or not, with the passages shown as its sources (:class:`Answer`)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .articles import Cited, DateMention, Source


@dataclass
class Hit(Cited):
    """One retrieved passage with its citation: what :meth:`qa.Retriever.retrieve` returns. ``start``/``end`` are offsets into the
    article body; ``highlight`` is the (start, end) of the answering sentence within ``text``.

    ``sentence_score`` is the answering sentence's final score (:mod:`qa.answer.answer_model`:
    the reader's score weighed with the cheap signals), which ranks the hits; ``score`` is
    the probability, calibrated on training data, that the sentence answers (0..1, in the
    same order). ``missing_names`` are the question's names that the hit's
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
            "relevance": self.relevance,
            "missing_names": self.missing_names,
            "highlight_text": self.highlight_text,
        }


@dataclass
class Answer:
    """``text`` is the short answer (the answering sentence, quoted, with its marker [1]);
    ``citations`` are the passages shown as sources, best first."""

    question: str
    found: bool
    text: str
    citations: list[Hit] = field(default_factory=list)
    query: str = ""  # what was actually searched (a follow-up folds in earlier questions)
    confidence: float = 0.0  # the probability that the first citation's sentence answers
    reason: str = ""  # why the documents were found not to answer ('' when found)
    unsure: bool = False  # not found only because the probability fell short: the closest passages are worth reading

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "query": self.query,
            "found": self.found,
            "confidence": self.confidence,
            "reason": self.reason,
            "unsure": self.unsure,
            "text": self.text,
            "citations": [h.to_dict() for h in self.citations],
        }
