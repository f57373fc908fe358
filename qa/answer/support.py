"""How well a sentence answers a question: its support, the one formula that ranking,
sentence choice and abstention share.

News names its subject once ("Heckmondwike Primary School"), then says "the school". A
question that names it ("Do a lot of the children at Heckmondwike regularly miss school?")
pulls, by cosine, towards the one sentence that repeats the name, not the one that answers
("A significant number of pupils are persistently absent from school."). So names are
matched against the article and the sentence is judged by the rest of the question:

    support = COSINE_WEIGHT x cos(question, sentence)
            + UNNAMED_WEIGHT x cos(question without its names, sentence)
            - NAME_WEIGHT x share of the question's name words missing from the sentence's article
            + OVERLAP_WEIGHT x share of the question's other content words (stemmed) in the sentence
            - TYPE_PENALTY when the question asks for a type of answer (:mod:`qa.answer.answer_type`:
              person, organisation, place, money, percentage, count, date, duration, vote, rating)
              and the sentence shows none

A passage ranks by its best sentence's support plus ``PASSAGE_WEIGHT`` x its fused dense
and BM25 score (:mod:`qa.answer.fusion`). The weights were chosen by grid search on the tune
half of a reader-style question set (``qa eval ../shared/benchmarks/newsqa-dev``) and
confirmed on its report half; ``docs/quality.md`` has the figures.
:data:`qa.answer.abstention.MIN_SUPPORT` is calibrated on this number: change the formula
and the threshold must be calibrated again.

>>> round(support(0.5, 0.6, name_share=1.0, word_share=0.5, gives_type=True), 3)
1.1
"""
from __future__ import annotations

import numpy as np

COSINE_WEIGHT = 0.5
UNNAMED_WEIGHT = 1.0
NAME_WEIGHT = 0.25
OVERLAP_WEIGHT = 0.5
TYPE_PENALTY = 0.2
PASSAGE_WEIGHT = 0.5


def support(cosine: float, unnamed_cosine: float, name_share: float = 1.0, word_share: float = 0.0,
            gives_type: bool = True) -> float:
    """The support of one sentence: its cosines with the question and with the question
    without its names, the share of the question's name words its article holds (1 when
    the question names nothing), the share of the question's other content words it holds,
    and whether it gives the type of answer asked for (True when none is asked)."""
    return float(support_scores(np.array([cosine]), np.array([unnamed_cosine]), np.array([name_share]),
                                np.array([word_share]), np.array([gives_type]))[0])


def support_scores(cosines: np.ndarray, unnamed_cosines: np.ndarray, name_share: np.ndarray,
                   word_share: np.ndarray, gives_type: np.ndarray) -> np.ndarray:
    """:func:`support` for many sentences at once (cosines float32 as stored; result float64)."""
    as64 = lambda a: np.asarray(a, dtype=np.float32).astype(np.float64)  # noqa: E731
    return (COSINE_WEIGHT * as64(cosines)
            + UNNAMED_WEIGHT * as64(unnamed_cosines)
            - NAME_WEIGHT * (1.0 - np.asarray(name_share, dtype=np.float64))
            + OVERLAP_WEIGHT * np.asarray(word_share, dtype=np.float64)
            - np.where(np.asarray(gives_type, dtype=bool), 0.0, TYPE_PENALTY))
