"""A passage's vector made from its sentences' vectors, so that each sentence is embedded once.

The model pools a text as the mean of its token vectors, so a passage lies close to the
mean of its sentences' vectors weighed by their length (cosine 0.92 on average to the
passage embedded on its own, on newsqa-dev); the answers held (docs/performance.md).
"""
from __future__ import annotations

import numpy as np


def passage_vectors_from_sentences(sentence_vectors: np.ndarray, rows: list[list[int]],
                                   weights: list[float] | np.ndarray | None = None) -> np.ndarray:
    """Each passage's unit vector: the normalised weighted mean of its sentences' vectors.

    ``rows[i]`` lists passage i's sentence rows in ``sentence_vectors``; ``weights`` (one
    per sentence row, default 1) weigh each sentence. The model pools a text as the mean of
    its token vectors, so a passage is close to the mean of its sentences' vectors weighed
    by their length.
    """
    dimension = sentence_vectors.shape[1]
    out = np.zeros((len(rows), dimension), dtype=np.float32)
    if not rows:
        return out
    counts = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    if not counts.all():
        raise ValueError("every passage needs at least one sentence row")
    flat = np.fromiter((r for passage_rows in rows for r in passage_rows), dtype=np.int64, count=int(counts.sum()))
    w = np.ones(len(sentence_vectors), dtype=np.float32) if weights is None else np.asarray(weights, dtype=np.float32)
    weighted = sentence_vectors[flat].astype(np.float32) * w[flat, None]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    out = np.add.reduceat(weighted, starts, axis=0).astype(np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms
