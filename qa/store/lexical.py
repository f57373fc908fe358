"""BM25 over passages (bm25s): the lexical half of hybrid ranking.

Dense vectors catch paraphrase but blur names, numbers and dates; BM25 matches them
exactly. Tokens are lower-cased words, English stopwords and question words removed,
reduced with the Snowball English stemmer (PyStemmer), so "closed" matches "closing".

>>> bm25 = LexicalIndex.build(["The notice was closed in 2018.", "A new board meets monthly."])
>>> bm25.scores("when was the notice closed?").round(2)     # one score per text, in order
array([0.67, 0.  ], dtype=float32)

Saved as plain files beside the other generation files (JSON and ``.npy``, no pickles)::

    lexical-<gen>.params.json   BM25 settings and document count (bm25s' own params file)
    lexical-<gen>.vocab.json    token -> column
    lexical-<gen>.data.npy      the precomputed BM25 score matrix, CSC: data, indices, indptr
    lexical-<gen>.indices.npy
    lexical-<gen>.indptr.npy
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..records import Passage
from ..text import QUESTION_WORDS, STOPWORDS, stemmer
from ..files import fsync_path

# BM25 saturation and length normalisation: the usual defaults. On SciFact's training
# queries the grid k1 in {0.9, 1.2, 1.5} x b in {0.6, 0.75, 0.9} spans nDCG@10 0.690-0.697
# (this setting 0.695), too flat to be worth leaving the defaults for.
K1 = 1.2
B = 0.75
# Single letters are noise, but single digits are not ("10 children", "4 weeks").
_TOKEN = re.compile(r"[^\W_]{2,}|\d", re.UNICODE)
_DROP = STOPWORDS | QUESTION_WORDS

# The bm25s file roles and the suffix each gets after "lexical-<gen>".
FILE_SUFFIXES = {
    "params": ".params.json",
    "vocab": ".vocab.json",
    "data": ".data.npy",
    "indices": ".indices.npy",
    "indptr": ".indptr.npy",
}


def tokenize(text: str) -> list[str]:
    """Stemmed content tokens of ``text``: ``"The councils closed it"`` -> ``["council", "close"]``."""
    kept = [w for w in _TOKEN.findall(text.lower().replace("’", "'")) if w not in _DROP]
    return stemmer().stemWords(kept)


def file_names(generation: int) -> dict[str, str]:
    """The names of one generation's BM25 files, keyed by role."""
    return {role: f"lexical-{generation}{suffix}" for role, suffix in FILE_SUFFIXES.items()}


class LexicalIndex:
    """BM25 scores for a fixed list of texts; row ``i`` is the ``i``-th text given to ``build``."""

    def __init__(self, bm25, size: int):
        self._bm25 = bm25
        self.size = size

    @classmethod
    def build(cls, texts: Iterable[str], k1: float = K1, b: float = B) -> "LexicalIndex":
        import bm25s

        tokens = [tokenize(t) for t in texts]
        bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        if tokens:
            # bm25s needs at least one token overall; an all-stopword corpus still gets rows.
            bm25.index(tokens if any(tokens) else [[""]] * len(tokens), show_progress=False)
        return cls(bm25, len(tokens))

    def scores(self, query: str, rows: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every row for ``query`` (zeros when no query token is indexed);
        with ``rows``, of those rows only (every other row scores 0)."""
        if self.size == 0:
            return np.zeros(0, dtype=np.float32)
        vocab = self._bm25.vocab_dict
        ids = [vocab[t] for t in tokenize(query) if t in vocab]
        if not ids or (rows is not None and not len(rows)):
            return np.zeros(self.size, dtype=np.float32)
        if rows is None:
            return np.asarray(self._bm25.get_scores(ids), dtype=np.float32)
        # The score matrix is stored by token (CSC): each query token's column is read and
        # only the entries of the allowed rows are summed.
        matrix = self._bm25.scores
        data, indices, indptr = matrix["data"], matrix["indices"], matrix["indptr"]
        allowed = np.zeros(self.size, dtype=bool)
        allowed[np.asarray(rows, dtype=np.int64)] = True
        out = np.zeros(self.size, dtype=np.float32)
        for token in ids:
            start, end = indptr[token], indptr[token + 1]
            docs = indices[start:end]
            keep = allowed[docs]
            np.add.at(out, docs[keep], data[start:end][keep])
        return out

    def top(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, scores)`` of the ``k`` best rows with a positive score, best first."""
        return top_rows(self.scores(query), k)

    # -- files -------------------------------------------------------------------------
    def save(self, folder: str | Path, generation: int) -> dict[str, Path]:
        """Write this generation's files into ``folder``; returns their paths by role.

        The names carry the generation, so writing them never touches the files the
        current manifest names; the manifest switch that follows makes them current.
        """
        folder = Path(folder)
        names = file_names(generation)
        paths = {role: folder / name for role, name in names.items()}
        if self.size == 0:
            # bm25s cannot save an empty model; an empty corpus gets an explicit empty record.
            import json

            paths["params"].write_text(json.dumps({"num_docs": 0}), encoding="utf-8")
            paths["vocab"].write_text("{}", encoding="utf-8")
            for role in ("data", "indices", "indptr"):
                np.save(paths[role], np.zeros(0, dtype=np.int32), allow_pickle=False)
        else:
            self._bm25.save(
                folder, data_name=names["data"], indices_name=names["indices"], indptr_name=names["indptr"],
                vocab_name=names["vocab"], params_name=names["params"], allow_pickle=False, show_progress=False,
            )
        for path in paths.values():
            fsync_path(path)
        return paths

    @classmethod
    def load(cls, paths: dict[str, Path]) -> "LexicalIndex":
        """Read the files written by :meth:`save` (``paths`` by role, as ``save`` returns)."""
        import json

        import bm25s

        params = json.loads(Path(paths["params"]).read_text(encoding="utf-8"))
        if int(params.get("num_docs", 0)) == 0:
            return cls(bm25s.BM25(k1=K1, b=B, method="lucene"), 0)
        folder = Path(paths["params"]).parent
        bm25 = bm25s.BM25.load(
            folder, data_name=Path(paths["data"]).name, indices_name=Path(paths["indices"]).name,
            indptr_name=Path(paths["indptr"]).name, vocab_name=Path(paths["vocab"]).name,
            params_name=Path(paths["params"]).name, allow_pickle=False, show_progress=False, verbosity=0,
        )
        return cls(bm25, int(params["num_docs"]))


def top_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, scores)`` of the ``k`` best rows of ``scores`` with a positive score, best first."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > k:
        positive = positive[np.argpartition(-scores[positive], k - 1)[:k]]
    # Ties broken by row so that results do not depend on the sort's whims.
    order = np.lexsort((positive, -scores[positive]))
    rows = positive[order]
    return rows, scores[rows]


def build_for_passages(passages: Sequence[Passage], k1: float = K1, b: float = B) -> LexicalIndex:
    """BM25 over the passage table, row ``i`` = ``passages[i]``."""
    return LexicalIndex.build((p.text for p in passages), k1=k1, b=b)
