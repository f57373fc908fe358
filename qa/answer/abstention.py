"""Whether the passages found answer the question, or the documents do not say.

Retrieval always returns something; a quoted sentence is only an answer when there is
evidence for it. Two checks, in order:

1. **names**: every name in the question (a capitalised word after its first word) and
   every year appears in the quoted article (headline, publication year and text;
   ``Hit.missing_names``), or, for hits that do not carry it, in the passages found: no
   article about Lambeth answers "How did Croydon's children's services do?";
2. **confidence**: the probability that the first sentence shown answers
   (:meth:`qa.answer.answer_model.AnswerModel.answer_probability`: its final score and how
   far it leads the sentences shown after it, calibrated on public training data) reaches
   the fitted threshold, chosen so that answers on that data are right at least
   :data:`qa.evaluate.fitting.TARGET_PRECISION` of the time.

The first check failing means the documents do not answer; the second, only that no
sentence answers surely enough (the closest passages are still worth reading), and the
reply says which (:func:`abstention`).

>>> from qa.records import Hit
>>> from qa.records import Source
>>> hit = Hit("a#p0", "a", "Inspectors visited Kingsport in May.", 0.5, Source(), 0, 36, (0, 36))
>>> abstain_reason("What happened in Kingsport?", [hit], confidence=0.42, threshold=0.6)
'the best sentence answers with probability 0.42, under the 0.60 needed'
>>> abstain_reason("Who visited Riverton?", [hit], confidence=0.9, threshold=0.6)
'the passages found do not mention Riverton'
"""
from __future__ import annotations

import re
from typing import Sequence

from .question import question_names


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", text) is not None


def missing_names(question: str, hits: Sequence) -> list[str]:
    """The question's names that the best hit's article (or, for hits that do not carry
    it, the passages found) never mentions."""
    top = hits[0]
    missing = getattr(top, "missing_names", None)
    if missing is not None:  # matched against the answer's whole article
        return list(missing)
    texts = " ".join(h.text.lower().replace("’", "'") for h in hits)
    return [name for name in question_names(question) if not _mentions(texts, name.replace("’", "'"))]


# What an abstention says: the documents do not answer, or no sentence answers surely enough.
NOT_ANSWERED, UNSURE = "not answered", "unsure"


def abstention(question: str, hits: Sequence, confidence: float, threshold: float) -> tuple[str, str] | None:
    """``(kind, reason)`` when the best of ``hits`` does not answer ``question``, None when
    it does: :data:`NOT_ANSWERED` when nothing is found or the article does not mention the
    question's names, :data:`UNSURE` when ``confidence`` (the probability that it answers)
    is under ``threshold``."""
    if not hits:
        return NOT_ANSWERED, "nothing found"
    missing = missing_names(question, hits)
    if missing:
        names = ", ".join(missing)
        if getattr(hits[0], "missing_names", None) is not None:
            return NOT_ANSWERED, f"the article quoted does not mention {names}"
        return NOT_ANSWERED, f"the passages found do not mention {names}"
    if confidence < threshold:
        return UNSURE, f"the best sentence answers with probability {confidence:.2f}, under the {threshold:.2f} needed"
    return None


def abstain_reason(question: str, hits: Sequence, confidence: float, threshold: float) -> str | None:
    """Why the best of ``hits`` does not answer ``question`` (:func:`abstention`); None when it does."""
    found = abstention(question, hits, confidence, threshold)
    return found[1] if found else None
