"""Fusing the dense (vector store) and lexical (BM25) rankings into one hybrid ranking.

The candidates are the union of each ranking's top ``depth``; every candidate gets both
scores (its dense cosine is recomputed from the stored vector when only BM25 found it),
and a :class:`Fusion` turns the pair into one number to sort by.

>>> f = Fusion("rrf", k=60)
>>> f(np.array([0.9, 0.5, 0.1]), np.array([0.0, 7.0, 3.0])).round(4)
array([0.0323, 0.0325, 0.032 ])

Which fusion, and its settings, were chosen on SciFact's training queries
(``qa eval --beir DIR --split train --tune``); the test queries were not looked at.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..store.lexical import LexicalIndex, top_rows
from ..store.vectors import VectorStore

METHODS = ("rrf", "convex")
NORMALISATIONS = ("minmax", "zscore", "max")


@dataclass(frozen=True)
class Fusion:
    """How to combine a dense and a lexical score per candidate.

    * ``rrf``: reciprocal rank fusion, ``1/(k + dense rank) + 1/(k + lexical rank)``
      (ranks from 1, among the candidates); scores themselves are ignored.
    * ``convex``: ``weight * norm(dense) + (1 - weight) * norm(lexical)``, with ``norm``
      ``minmax`` (to 0..1 over the candidates), ``zscore`` (mean 0, spread 1) or ``max``
      (divided by the best candidate's score; cosines kept as they are).
    """

    method: str = "convex"
    k: float = 60.0
    weight: float = 0.5
    normalise: str = "minmax"

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"fusion method {self.method!r} is unknown; use one of {', '.join(METHODS)}")
        if self.normalise not in NORMALISATIONS:
            raise ValueError(f"normalisation {self.normalise!r} is unknown; use one of {', '.join(NORMALISATIONS)}")
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError(f"fusion weight must lie between 0 and 1, not {self.weight}")
        if self.k < 0:
            raise ValueError(f"the RRF constant k must not be negative, not {self.k}")

    def __call__(self, dense: np.ndarray, lexical: np.ndarray) -> np.ndarray:
        dense = np.asarray(dense, dtype=np.float64)
        lexical = np.asarray(lexical, dtype=np.float64)
        if dense.shape != lexical.shape:
            raise ValueError("dense and lexical scores must be given for the same candidates")
        if self.method == "rrf":
            return 1.0 / (self.k + ranks(dense)) + 1.0 / (self.k + ranks(lexical))
        return self.weight * normalise(dense, self.normalise, cosine=True) + (1.0 - self.weight) * normalise(
            lexical, self.normalise, cosine=False
        )

    def describe(self) -> str:
        if self.method == "rrf":
            return f"RRF k={self.k:g}"
        return f"convex {self.normalise} dense weight {self.weight:g}"


# The best of ``qa eval --beir scifact --split train --tune`` (809 training queries; nDCG@10
# 0.739, against 0.712 for RRF k=60): 0.7 x dense cosine + 0.3 x BM25 / best BM25 score.
DEFAULT_FUSION = Fusion("convex", weight=0.7, normalise="max")


def ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each score, best (highest) first; ties share the best rank of their group."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0:
        return scores.copy()
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    # The first position of each run of equal scores is the rank every member of the run gets.
    first = np.r_[True, sorted_scores[1:] != sorted_scores[:-1]]
    run_rank = np.maximum.accumulate(np.where(first, np.arange(1, len(scores) + 1), 0))
    out = np.empty(len(scores))
    out[order] = run_rank
    return out


def normalise(scores: np.ndarray, how: str, cosine: bool) -> np.ndarray:
    """Scores put on a common scale (see :class:`Fusion`); a constant list maps to zeros."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0:
        return scores.copy()
    if how == "minmax":
        low, high = scores.min(), scores.max()
        return (scores - low) / (high - low) if high > low else np.zeros_like(scores)
    if how == "zscore":
        spread = scores.std()
        return (scores - scores.mean()) / spread if spread > 0 else np.zeros_like(scores)
    if how == "max":
        if cosine:
            return scores
        high = scores.max()
        return scores / high if high > 0 else np.zeros_like(scores)
    raise ValueError(f"normalisation {how!r} is unknown; use one of {', '.join(NORMALISATIONS)}")


@dataclass
class HybridRanking:
    """Candidates with their vector-store ids and dense and lexical scores; ``fused`` once ranked."""

    ids: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray
    fused: np.ndarray | None = None

    def ranked(self, fusion: "Fusion" = None) -> "HybridRanking":
        """The same candidates sorted best first by ``fusion`` (default :data:`DEFAULT_FUSION`)."""
        fused = (fusion or DEFAULT_FUSION)(self.dense, self.lexical)
        # Ties (common with RRF) are broken by the dense score, then by id, so runs repeat exactly.
        order = np.lexsort((self.ids, -self.dense, -fused))
        return HybridRanking(self.ids[order], self.dense[order], self.lexical[order], fused[order])


def candidates(
    query_vector: np.ndarray,
    query_text: str,
    vector_store: VectorStore,
    lexical: LexicalIndex,
    row_ids: np.ndarray,
    depth: int = 100,
    allowed: np.ndarray | None = None,
) -> HybridRanking:
    """The union of the dense and lexical top ``depth``, each candidate with both scores (unranked).

    ``vector_store`` holds unit vectors (:class:`qa.store.vectors.VectorStore`); ``lexical``
    is BM25 whose row ``i`` holds the text of vector id ``row_ids[i]``; ``row_ids`` ascends
    (passages are stored in the order their ids were given). With ``allowed`` (vector ids),
    both searches look at those passages only.
    """
    total = len(vector_store)
    if total == 0:
        empty = np.zeros(0)
        return HybridRanking(np.zeros(0, dtype=np.int64), empty, empty)
    row_ids = np.asarray(row_ids, dtype=np.int64)
    depth = max(1, min(depth, total))
    q = np.ascontiguousarray(query_vector, dtype=np.float32).reshape(1, -1)
    dense_scores, dense_ids = vector_store.search(q, depth, allowed=allowed)
    found = dense_ids[0] >= 0
    dense_ids, dense_scores = dense_ids[0][found].astype(np.int64), dense_scores[0][found].astype(np.float64)

    allowed_rows = None if allowed is None else np.searchsorted(row_ids, np.intersect1d(allowed, row_ids))
    all_lexical = lexical.scores(query_text, allowed_rows)  # once: BM25 over every passage is the costly part
    rows, _ = top_rows(all_lexical, depth)
    ids = np.union1d(dense_ids, row_ids[rows])
    rows_of_ids = np.searchsorted(row_ids, ids)
    if (len(row_ids) != lexical.size or np.any(rows_of_ids >= len(row_ids))
            or np.any(row_ids[np.minimum(rows_of_ids, len(row_ids) - 1)] != ids)):
        raise ValueError("the lexical rows do not match the vector-store ids; rebuild the index")
    dense = np.empty(len(ids))
    by_id = np.argsort(dense_ids)
    at = np.searchsorted(dense_ids, ids, sorter=by_id)
    known = at < len(dense_ids)
    known[known] = dense_ids[by_id[at[known]]] == ids[known]
    dense[known] = dense_scores[by_id[at[known]]]
    if not known.all():  # found by BM25 alone: the cosine from the stored vector
        vectors = vector_store.reconstruct(ids[~known])
        dense[~known] = (vectors @ q[0]).astype(np.float64)
    return HybridRanking(ids, dense, all_lexical[rows_of_ids].astype(np.float64))


def hybrid_search(query_vector, query_text, vector_store: VectorStore, lexical: LexicalIndex, row_ids,
                  depth: int = 100, fusion: Fusion | None = None) -> HybridRanking:
    """:func:`candidates` ranked best first by ``fusion``."""
    return candidates(query_vector, query_text, vector_store, lexical, row_ids, depth).ranked(fusion)
