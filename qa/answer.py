"""Turning ranked passages into a short, cited answer, or an honest "not in the documents"."""
from __future__ import annotations

from dataclasses import dataclass, field

from .search import Hit

# Below this cosine between the question and the best passage, nothing answers it.
MIN_SCORE = 0.35


@dataclass
class Answer:
    """``text`` is the short answer (the answering sentence, quoted, with its marker [1]);
    ``citations`` are the passages shown as sources, best first."""

    question: str
    found: bool
    text: str
    citations: list[Hit] = field(default_factory=list)
    query: str = ""  # what was actually searched (a follow-up folds in earlier questions)

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "query": self.query,
            "found": self.found,
            "text": self.text,
            "citations": [h.to_dict() for h in self.citations],
        }


NOT_FOUND = "The documents do not answer this question."


def compose_answer(question: str, hits: list[Hit], query: str = "", min_score: float = MIN_SCORE) -> Answer:
    """An :class:`Answer` from ranked ``hits``: found only when the best is relevant enough."""
    if not hits or hits[0].score < min_score:
        return Answer(question=question, found=False, text=NOT_FOUND, citations=hits, query=query or question)
    top = hits[0]
    text = f"\u201c{top.highlight_text}\u201d [1]"
    return Answer(question=question, found=True, text=text, citations=hits, query=query or question)
