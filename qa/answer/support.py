"""How well a sentence answers a question: its support, the one formula that ranking,
sentence choice and abstention share.

    support = cosine(sentence, question) + OVERLAP_WEIGHT x (share of the question's
              content words, stemmed, that the sentence holds)

:data:`qa.answer.abstention.MIN_SUPPORT` is calibrated on this number: change the formula
and the threshold must be calibrated again (``qa eval tests/data/dev_questions.jsonl``
prints the figures it rests on).

>>> support(0.5, "when was the notice closed?", "The notice was closed in 2018.")
1.0
"""
from __future__ import annotations

import numpy as np

from ..text import overlap

# Shared words count half as much as the cosine: the cosine alone ranks paraphrases well
# but misses the sentence that names what was asked; words alone miss paraphrase.
OVERLAP_WEIGHT = 0.5


def support(cosine: float, question: str, sentence: str) -> float:
    """The support of ``sentence`` for ``question``, given their cosine."""
    return float(cosine) + OVERLAP_WEIGHT * overlap(question, sentence)


def support_scores(cosines: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """:func:`support` for many sentences at once: their cosines (float32, as stored) and
    the share of the question's content words each holds (what :func:`qa.text.overlap`
    gives), as float64."""
    return np.asarray(cosines, dtype=np.float32).astype(np.float64) + OVERLAP_WEIGHT * np.asarray(shares)
