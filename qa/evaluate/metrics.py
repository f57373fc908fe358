"""Retrieval metrics: small functions of a ranked list and a ``{id: gain}`` judgement.

>>> round(ndcg_at_k(["a", "b"], {"b": 1.0}), 3)
0.631
>>> hit_at_k(first_relevant_rank([False, True]), 1), reciprocal_rank(2)
(0.0, 0.5)
"""
from __future__ import annotations

import math
from typing import Sequence


def ndcg_at_k(ranked: Sequence[str], gains: dict[str, float], k: int = 10) -> float:
    """Normalised discounted cumulative gain of the first ``k`` of ``ranked``.

    Gains are linear (as trec_eval computes it): a document of gain g at rank r adds
    g / log2(r + 1). The ideal ordering sorts every judged gain, best first. A query
    with no positive judgement scores 0.
    """
    ideal = sorted((g for g in gains.values() if g > 0), reverse=True)[:k]
    if not ideal:
        return 0.0
    dcg = sum(gains.get(doc, 0.0) / math.log2(rank + 2) for rank, doc in enumerate(ranked[:k]) if gains.get(doc, 0) > 0)
    idcg = sum(g / math.log2(rank + 2) for rank, g in enumerate(ideal))
    return dcg / idcg


def recall_at_k(ranked: Sequence[str], gains: dict[str, float], k: int = 100) -> float:
    """Share of the documents judged relevant (gain > 0) found in the first ``k``."""
    relevant = {doc for doc, g in gains.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def first_relevant_rank(ranked: Sequence[bool]) -> int | None:
    """1-based rank of the first True, or None."""
    for rank, relevant in enumerate(ranked, start=1):
        if relevant:
            return rank
    return None


def hit_at_k(rank: int | None, k: int) -> float:
    """1.0 when the first relevant result is within the top ``k``."""
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None) -> float:
    """1 / rank of the first relevant result; 0 when there is none."""
    return 0.0 if rank is None else 1.0 / rank
