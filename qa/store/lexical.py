"""BM25 over passages: the lexical half of hybrid ranking.

Dense vectors catch paraphrase but blur names, numbers and dates; BM25 matches them
exactly. Tokens are lower-cased words, English stopwords and question words removed,
reduced with the Snowball English stemmer (PyStemmer), so "closed" matches "closing".

>>> bm25 = LexicalIndex.build(["The notice was closed in 2018.", "A new board meets monthly."])
>>> bm25.scores("when was the notice closed?").round(2)     # one score per text, in order
array([0.67, 0.  ], dtype=float32)

The index is kept in segments, one per index generation that added passages
(:mod:`qa.store.index_files`): a segment holds its rows' term frequencies and lengths, not
their scores, since a score depends on the whole collection (how many passages hold a
token, the mean length), which every added article changes. So an update writes only its
new passages' segment, the rows of removed passages are marked dead and left out of every
statistic, and the few tokens of a question are scored when it is asked: Lucene's BM25
(``idf = ln(1 + (N - df + 0.5) / (df + 0.5))``, ``tf / (tf + k1 (1 - b + b len / mean len))``),
computed as bm25s computes it, to the same float32 scores (``tests/test_lexical.py``).

A segment's files, plain JSON and ``.npy`` (no pickles)::

    lexical-<gen>.vocab.json      its tokens, in column order
    lexical-<gen>.indptr.npy      where each token's postings start (CSC)
    lexical-<gen>.rows.npy        the row of each posting
    lexical-<gen>.tf.npy          the token's count in that row
    lexical-<gen>.lengths.npy     tokens per row
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..files import save_array, write_atomic
from ..records import Passage
from ..text import QUESTION_WORDS, STOPWORDS, stemmer

# BM25 saturation and length normalisation: the usual defaults. On SciFact's training
# queries the grid k1 in {0.9, 1.2, 1.5} x b in {0.6, 0.75, 0.9} spans nDCG@10 0.690-0.697
# (this setting 0.695), too flat to be worth leaving the defaults for.
K1 = 1.2
B = 0.75
# Single letters are noise, but single digits are not ("10 children", "4 weeks").
_TOKEN = re.compile(r"[^\W_]{2,}|\d", re.UNICODE)
_DROP = STOPWORDS | QUESTION_WORDS

# The file roles of a segment and the suffix each gets after "lexical-<gen>".
FILE_SUFFIXES = {
    "vocab": ".vocab.json",
    "indptr": ".indptr.npy",
    "rows": ".rows.npy",
    "tf": ".tf.npy",
    "lengths": ".lengths.npy",
}


def tokenize(text: str) -> list[str]:
    """Stemmed content tokens of ``text``: ``"The councils closed it"`` -> ``["council", "close"]``."""
    kept = [w for w in _TOKEN.findall(text.lower().replace("’", "'")) if w not in _DROP]
    return stemmer().stemWords(kept)


def file_names(generation: int) -> dict[str, str]:
    """The names of one segment's BM25 files, keyed by role."""
    return {role: f"lexical-{generation}{suffix}" for role, suffix in FILE_SUFFIXES.items()}


class LexicalSegment:
    """The term frequencies of a run of passages (rows), stored by token (CSC)."""

    def __init__(self, vocab: list[str], indptr: np.ndarray, rows: np.ndarray, tf: np.ndarray,
                 lengths: np.ndarray):
        self.vocab = vocab
        self.column = {token: i for i, token in enumerate(vocab)}
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.rows = np.asarray(rows, dtype=np.int64)
        self.tf = np.asarray(tf, dtype=np.float32)
        self.lengths = np.asarray(lengths, dtype=np.int64)
        if len(self.indptr) != len(vocab) + 1 or len(self.rows) != len(self.tf) or (
                len(self.rows) and (self.indptr[-1] != len(self.rows) or self.rows.max() >= len(self.lengths))):
            raise ValueError("a BM25 segment's arrays do not fit together")

    def __len__(self) -> int:
        return len(self.lengths)

    @classmethod
    def build(cls, texts: Iterable[str]) -> "LexicalSegment":
        column: dict[str, int] = {}
        columns, rows, counts, lengths = [], [], [], []
        for row, text in enumerate(texts):
            tokens = tokenize(text)
            lengths.append(len(tokens))
            for token, count in Counter(tokens).items():
                columns.append(column.setdefault(token, len(column)))
                rows.append(row)
                counts.append(count)
        columns_array = np.array(columns, dtype=np.int64)
        order = np.argsort(columns_array, kind="stable")  # by token, rows ascending within one
        indptr = np.zeros(len(column) + 1, dtype=np.int64)
        np.cumsum(np.bincount(columns_array, minlength=len(column)), out=indptr[1:])
        return cls(list(column), indptr, np.array(rows, dtype=np.int64)[order],
                   np.array(counts, dtype=np.float32)[order], np.array(lengths, dtype=np.int64))

    def save(self, folder: Path, generation: int) -> dict[str, Path]:
        """Write this segment as generation ``generation``'s files (each whole or not at all)."""
        paths = {role: Path(folder) / name for role, name in file_names(generation).items()}
        vocab = json.dumps(self.vocab, ensure_ascii=False).encode("utf-8")
        write_atomic(paths["vocab"], lambda fh: fh.write(vocab))
        for role, array in (("indptr", self.indptr), ("rows", self.rows), ("tf", self.tf),
                            ("lengths", self.lengths)):
            write_atomic(paths[role], lambda fh, a=array: save_array(fh, a))
        return paths

    @classmethod
    def load(cls, paths: dict[str, Path]) -> "LexicalSegment":
        vocab = json.loads(Path(paths["vocab"]).read_text(encoding="utf-8"))
        if not isinstance(vocab, list):
            raise ValueError("a BM25 vocabulary is not a list of tokens")
        arrays = {role: np.load(paths[role], allow_pickle=False) for role in ("indptr", "rows", "tf", "lengths")}
        return cls(vocab, **arrays)


class LexicalIndex:
    """BM25 scores for a list of texts, row ``i`` the ``i``-th live row of the segments in order."""

    def __init__(self, segments: Sequence[LexicalSegment], live: Sequence[np.ndarray] | None = None,
                 k1: float = K1, b: float = B):
        self.segments = list(segments)
        self.live = [np.ones(len(s), dtype=bool) for s in self.segments] if live is None else [
            np.asarray(mask, dtype=bool) for mask in live]
        self.k1, self.b = k1, b
        self._row_of: list[np.ndarray] = []  # per segment: segment row -> index row (-1: dead)
        self._df: list[np.ndarray] = []  # per segment: live rows holding each token
        self._norm: list[np.ndarray] = []  # per segment: k1 (1 - b + b len / mean len) per row
        start, total_length = 0, 0
        for segment, mask in zip(self.segments, self.live):
            row_of = np.full(len(segment), -1, dtype=np.int64)
            row_of[mask] = start + np.arange(int(mask.sum()))
            start += int(mask.sum())
            total_length += int(segment.lengths[mask].sum())
            self._row_of.append(row_of)
            held = np.concatenate([[0], np.cumsum(mask[segment.rows])])
            self._df.append(held[segment.indptr[1:]] - held[segment.indptr[:-1]])
        self.size = start
        mean_length = total_length / start if start else 1.0
        for segment in self.segments:
            self._norm.append(k1 * ((1 - b) + b * segment.lengths.astype(np.float64) / mean_length))

    @classmethod
    def build(cls, texts: Iterable[str], k1: float = K1, b: float = B) -> "LexicalIndex":
        return cls([LexicalSegment.build(texts)], k1=k1, b=b)

    def scores(self, query: str, rows: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every row for ``query`` (zeros when no query token is indexed);
        with ``rows``, of those rows only (every other row scores 0). A token the query
        holds twice counts twice."""
        out = np.zeros(self.size, dtype=np.float32)
        if self.size == 0 or (rows is not None and not len(rows)):
            return out
        allowed = None
        if rows is not None:
            allowed = np.zeros(self.size, dtype=bool)
            allowed[np.asarray(rows, dtype=np.int64)] = True
        for token in tokenize(query):
            postings = [(i, column) for i, segment in enumerate(self.segments)
                        if (column := segment.column.get(token)) is not None]
            df = sum(int(self._df[i][column]) for i, column in postings)
            if df == 0:
                continue
            idf = np.float32(math.log(1 + (self.size - df + 0.5) / (df + 0.5)))
            for i, column in postings:
                segment = self.segments[i]
                start, end = segment.indptr[column], segment.indptr[column + 1]
                target = self._row_of[i][segment.rows[start:end]]
                keep = target >= 0
                if allowed is not None:
                    keep &= allowed[np.maximum(target, 0)]
                tf = segment.tf[start:end][keep]
                norm = self._norm[i][segment.rows[start:end][keep]]
                out[target[keep]] += (idf * (tf / (norm + tf))).astype(np.float32)
        return out

    def top(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, scores)`` of the ``k`` best rows with a positive score, best first."""
        return top_rows(self.scores(query), k)


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
