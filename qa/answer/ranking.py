"""Scoring the sentences of the candidate passages: the cheap signals of every sentence, a
first-stage score, the reader over the best of them, and the learned final score
(:mod:`qa.answer.answer_model` says what each number is).

:func:`sentence_pool` gathers every candidate sentence with its signals;
:func:`reader_set` picks the distinct sentences the reader reads; :func:`score_pool` gives
every sentence a final score and a probability that it answers. Ranking
(:mod:`qa.answer.retriever`) and the fitting of the answer model (:mod:`qa.evaluate.fitting`)
go through these same functions, so the model is fitted on what answering computes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..records import Passage
from .answer_model import SIGNALS, AnswerModel
from .asked import Asked
from .sentence_choice import SentenceChooser


@dataclass
class SentencePool:
    """Every sentence of the candidate passages, passage after passage. ``owner`` is each
    sentence's passage (an index into ``passages``), ``signals`` its cheap signals (columns
    :data:`~qa.answer.answer_model.SIGNALS`), ``first`` its first-stage score."""

    asked: Asked
    passages: list[Passage]
    owner: np.ndarray
    local: np.ndarray
    signals: np.ndarray
    first: np.ndarray
    # The sentence before a passage's first sentence in its article ("" for none), when the
    # index can tell: overlapping passages hold it, whether or not they are candidates.
    before: Callable[[Passage], str] | None = None

    def __len__(self) -> int:
        return len(self.owner)

    def text(self, i: int) -> str:
        passage = self.passages[self.owner[i]]
        s, e = passage.sentences[self.local[i]]
        return passage.text[s:e]

    def previous(self, i: int) -> str:
        """The sentence before sentence ``i`` in its article ("" for an article's first, or
        for a passage's first when the pool was made without :attr:`before`)."""
        passage = self.passages[self.owner[i]]
        if not self.local[i]:
            return self.before(passage) if self.before is not None else ""
        s, e = passage.sentences[self.local[i] - 1]
        return passage.text[s:e]

    def reader_inputs(self, indices, titles: dict[str, str], context: bool = True) -> list[tuple[str, ...]]:
        """What the reader reads of each sentence in ``indices``: ``(headline, sentence,
        sentence before)``, or ``(headline, sentence)`` without ``context``; answering and
        fitting the answer model both read through this."""
        heads = [(titles.get(self.passages[self.owner[i]].doc_id, ""), self.text(i)) for i in indices]
        return [(*head, self.previous(i)) for head, i in zip(heads, indices)] if context else heads

    def key(self, i: int) -> tuple[str, int]:
        """The sentence's place in its article: overlapping passages share sentences."""
        passage = self.passages[self.owner[i]]
        return passage.doc_id, passage.start + passage.sentences[self.local[i]][0]


def sentence_pool(asked: Asked, passages: list[Passage], cosines: np.ndarray, unnamed_cosines: np.ndarray,
                  fused: np.ndarray, name_share: np.ndarray, chooser: SentenceChooser,
                  model: AnswerModel) -> SentencePool:
    """The pool of ``passages``' sentences; ``cosines`` and ``unnamed_cosines`` hold each
    sentence's cosines (passage after passage), ``fused`` and ``name_share`` one value per passage."""
    counts = np.fromiter((len(p.sentences) for p in passages), dtype=np.int64, count=len(passages))
    total = int(counts.sum())
    if len(cosines) != total or len(unnamed_cosines) != total:
        raise ValueError("every passage needs one cosine per sentence")
    owner = np.repeat(np.arange(len(passages)), counts)
    firsts = np.concatenate(([0], np.cumsum(counts)[:-1])) if len(counts) else np.zeros(0, dtype=np.int64)
    local = np.arange(total) - np.repeat(firsts, counts)
    word_share, gives = chooser.sentence_features(asked, passages)
    signals = np.column_stack([
        np.asarray(cosines, dtype=np.float32).astype(np.float64),
        np.asarray(unnamed_cosines, dtype=np.float32).astype(np.float64),
        word_share,
        np.repeat(np.asarray(name_share, dtype=np.float64), counts),
        gives.astype(np.float64),
        np.repeat(np.asarray(fused, dtype=np.float64), counts),
    ]) if total else np.zeros((0, len(SIGNALS)))
    return SentencePool(asked, passages, owner, local, signals, model.first_scores(signals))


def sentence_before(passage: Passage, neighbours) -> str:
    """The sentence before ``passage``'s first in its article: of ``neighbours`` (the
    article's passages), the sentence that ends last before it ("" when none does: the
    article's first)."""
    best, text = -1, ""
    for other in neighbours:
        if other.start >= passage.start:
            continue
        for s, e in other.sentences:
            end = other.start + e
            if best < end <= passage.start:
                best, text = end, other.text[s:e]
    return text


def reader_set(pool: SentencePool, limit: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``limit`` distinct sentences (by their place in the article) with the
    best first-stage scores, best first; ``allowed`` (a mask over the pool) leaves others out."""
    order = np.lexsort((np.arange(len(pool)), -pool.first))
    chosen, seen = [], set()
    for i in order:
        if allowed is not None and not allowed[i]:
            continue
        key = pool.key(i)
        if key in seen:
            continue
        seen.add(key)
        chosen.append(int(i))
        if len(chosen) == limit:
            break
    return np.array(chosen, dtype=np.int64)


@dataclass
class ScoredPool:
    """Final scores and probabilities of every sentence of a pool; ``read`` are the
    sentences the reader read and ``reader`` its scores of them."""

    final: np.ndarray
    probability: np.ndarray
    read: np.ndarray
    reader: np.ndarray


def score_pool(pool: SentencePool, read: np.ndarray, reader_scores: np.ndarray, model: AnswerModel) -> ScoredPool:
    """Every sentence's final score: the reader's score of it (of its copy in an
    overlapping passage; the weakest score read when the reader did not read it) weighed
    with its first-stage score and signals."""
    reader_of = np.full(len(pool), float(np.min(reader_scores)) if len(reader_scores) else 0.0)
    by_key = {pool.key(i): float(s) for i, s in zip(read, reader_scores)}
    if by_key:
        for i in range(len(pool)):
            found = by_key.get(pool.key(i))
            if found is not None:
                reader_of[i] = found
    final = model.final_scores(reader_of, pool.first, pool.signals)
    return ScoredPool(final, model.sentence_probability(final), read, np.asarray(reader_scores, dtype=np.float64))


class Ranking:
    """Candidate passages in ranking order (``order``: indices into ``pool.passages``), each
    shown for its best sentence (``sentence``: a pool index), by final score. With
    ``allowed`` (a mask over the pool), only allowed sentences are shown and passages
    without one are left out."""

    def __init__(self, pool: SentencePool, scored: ScoredPool, order: np.ndarray, sentence: np.ndarray):
        self.pool, self.scored, self.order, self.sentence = pool, scored, order, sentence

    @classmethod
    def of(cls, pool: SentencePool, scored: ScoredPool, allowed: np.ndarray | None = None) -> "Ranking":
        n = len(pool.passages)
        if n == 0:
            return cls(pool, scored, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        final = scored.final if allowed is None else np.where(allowed, scored.final, -np.inf)
        # Each passage's best sentence: the highest final score, the first on a tie.
        order = np.lexsort((np.arange(len(pool)), -final, pool.owner))
        firsts = np.unique(pool.owner[order], return_index=True)[1]
        sentence = order[firsts]
        best = final[sentence]
        ranked = np.lexsort((np.arange(n), -best))
        ranked = ranked[np.isfinite(best[ranked])]
        return cls(pool, scored, ranked, sentence)

    def shown(self, limit: int) -> list[int]:
        """The pool indices of the sentences the first ``limit`` hits show: each passage's
        best sentence in ranking order, each sentence once (overlapping passages share some)."""
        out, seen = [], set()
        for p in self.order:
            i = int(self.sentence[p])
            key = self.pool.key(i)
            if key in seen:
                continue
            seen.add(key)
            out.append(i)
            if len(out) == limit:
                break
        return out


def superseded(pool: SentencePool, documents) -> np.ndarray | None:
    """For a question about how things stand now (:attr:`Asked.about_now`), a mask that
    leaves out the sentences of articles superseded by a newer one on the same subject: of
    the candidate articles that mention every name of the question, only the newest (by
    publication date) answers. None when nothing is left out (the question is not about now,
    or fewer than two dated articles name its subject). With a 2016 and a 2018 report on one
    council, "are its services still rated inadequate?" is the 2018 report's to answer."""
    if not pool.asked.about_now or not pool.asked.context_names or not len(pool):
        return None
    share = pool.signals[:, SIGNALS.index("name_share")]
    naming = {pool.passages[pool.owner[i]].doc_id for i in np.flatnonzero(share >= 1.0)}
    dated = {doc_id: documents[doc_id].published for doc_id in naming
             if doc_id in documents and documents[doc_id].published}
    if len(dated) < 2:
        return None
    newest = max(dated.values())
    older = {doc_id for doc_id, published in dated.items() if published < newest}
    return np.array([pool.passages[pool.owner[i]].doc_id not in older for i in range(len(pool))])
