"""Choosing the sentence of a passage that answers a question.

A sentence's score is its support (:mod:`qa.answer.support`: its cosine with the question
plus half its share of the question's content words); a question that asks for a date, a number or an amount ("when", "how many",
"how much") prefers a sentence that gives one (:mod:`qa.answer.answer_kind`), and a fragment of
fewer than three content words ("This is the council's top priority.") is marked down.

Ranking needs the answering sentence of every candidate passage (~200 passages and ~500
sentences per question on a 19,000-passage index), so :class:`SentenceChooser` works out
what does not depend on the question once per passage (each sentence's word stems as
integer ids, whether it is a fragment, whether it gives each kind of answer) and then
scores all candidates' sentences with a few array operations. :func:`choose_sentence` is
the same rule for one passage, written plainly; the tests hold the two to the same answers.

>>> from qa.records import Passage
>>> passage = Passage("a#p0", "a", "Inspectors visited. The notice was closed in May 2018.", 0, 54,
...                   sentences=[(0, 19), (20, 54)], id=0)
>>> chooser = SentenceChooser()
>>> [(i, round(score, 2)) for i, score in chooser.choose("when was the notice closed?", [passage],
...                                                       np.array([0.1, 0.6], dtype=np.float32))]
[(1, 1.25)]
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from ..records import DateMention, Passage
from ..text import content_stems, content_words
from .answer_kind import asked_kind, gives_kind
from .support import support, support_scores

KIND_BONUS = 0.15  # a sentence that gives the kind of answer asked for
FRAGMENT_PENALTY = 0.1  # a sentence of fewer than three content words
# Passages whose sentence features are kept: ~1 KB each. Past this the cache starts again.
MAX_CACHED_PASSAGES = 200_000


def choose_sentence(question: str, q: np.ndarray, passage: Passage, sentence_vectors: np.ndarray,
                    dense: np.ndarray | None = None) -> tuple[int, float]:
    """Index of the passage sentence that best answers ``question`` and its score (the
    first best one on a tie). ``dense`` holds the sentences' cosines with ``q`` when the
    caller has them already."""
    rows = passage.sentence_rows
    if dense is None:
        dense = sentence_vectors[rows] @ q if rows else np.zeros(0)
    kind = asked_kind(question)
    dates = passage.dates
    best, best_score = 0, -np.inf
    for i, (s, e) in enumerate(passage.sentences):
        sentence = passage.text[s:e]
        score = support(dense[i], question, sentence)
        if kind and gives_kind(kind, sentence, _dates_within(dates, s, e)):
            score += KIND_BONUS
        if len(content_words(sentence)) < 3:
            score -= FRAGMENT_PENALTY
        if score > best_score:
            best, best_score = i, score
    return best, float(best_score)


def _dates_within(dates: list[DateMention], start: int, end: int) -> list[DateMention]:
    """The passage's date mentions that begin inside the sentence at ``start:end``."""
    return [d for d in dates if start <= d.start < end]


@dataclass
class _PassageFeatures:
    stems: np.ndarray  # stem ids of every sentence, one sentence after another
    lengths: np.ndarray  # how many stems each sentence has
    fragment: np.ndarray  # bool per sentence
    kinds: dict[str, np.ndarray] = field(default_factory=dict)  # kind -> bool per sentence, on first ask


class SentenceChooser:
    """:func:`choose_sentence` for many passages of one index at once.

    Features are kept per passage id, so a chooser belongs to one loaded index (a rebuilt
    index reuses ids for other passages): make a new one when the index is reloaded.
    """

    def __init__(self, max_passages: int = MAX_CACHED_PASSAGES):
        self.max_passages = max_passages
        self._vocabulary: dict[str, int] = {}
        self._features: dict[int, _PassageFeatures] = {}
        self._lock = threading.Lock()  # a web server's threads share one chooser and its vocabulary

    def __len__(self) -> int:
        return len(self._features)

    def prepare(self, passages) -> int:
        """Work out the features of ``passages`` now (a server's warm-up); stops when the
        cache is full. Returns how many passages are ready."""
        for passage in passages:
            if len(self._features) >= self.max_passages:
                break
            self._passage_features(passage)
        return len(self._features)

    def _passage_features(self, passage: Passage) -> _PassageFeatures:
        key = passage.id
        features = self._features.get(key)
        if features is not None:
            return features
        with self._lock:
            if len(self._features) >= self.max_passages:
                self._features.clear()
            text, vocabulary = passage.text, self._vocabulary
            stems, lengths, fragment = [], [], []
            for s, e in passage.sentences:
                sentence = text[s:e]
                words = content_stems(sentence)
                stems.extend(vocabulary.setdefault(w, len(vocabulary)) for w in words)
                lengths.append(len(words))
                fragment.append(len(content_words(sentence)) < 3)
            features = _PassageFeatures(np.array(stems, dtype=np.int64), np.array(lengths, dtype=np.int64),
                                        np.array(fragment, dtype=bool))
            self._features[key] = features
            return features

    @staticmethod
    def _gives(passage: Passage, features: _PassageFeatures, kind: str) -> np.ndarray:
        flags = features.kinds.get(kind)
        if flags is None:
            text, dates = passage.text, passage.dates
            flags = np.array([gives_kind(kind, text[s:e], _dates_within(dates, s, e))
                              for s, e in passage.sentences], dtype=bool)
            features.kinds[kind] = flags
        return flags

    def choose(self, question: str, passages: list[Passage], cosines: np.ndarray) -> list[tuple[int, float]]:
        """``(answering sentence's index, its score)`` for each of ``passages``, as
        :func:`choose_sentence` gives them. ``cosines`` holds every sentence's cosine with
        the question, the passages' sentences one after another."""
        if not passages:
            return []
        features = [self._passage_features(p) for p in passages]
        lengths = np.concatenate([f.lengths for f in features])
        counts = np.fromiter((len(f.lengths) for f in features), dtype=np.int64, count=len(features))
        if len(lengths) != len(cosines) or not counts.all():
            raise ValueError("every passage needs one cosine per sentence, and at least one sentence")
        # Question stems unknown to the vocabulary are in no sentence seen so far, and every
        # candidate's sentences were seen just above: they count in the share's denominator only.
        asked = content_stems(question)
        share = np.zeros(len(cosines))
        if asked:
            wanted = np.zeros(len(self._vocabulary) + 1, dtype=bool)
            wanted[[self._vocabulary[w] for w in asked if w in self._vocabulary]] = True
            stems = np.concatenate([f.stems for f in features])
            shared = np.concatenate(([0], np.cumsum(wanted[stems], dtype=np.int64)))
            ends = np.cumsum(lengths)
            share = (shared[ends] - shared[ends - lengths]) / len(asked)
        scores = support_scores(cosines, share)
        kind = asked_kind(question)
        if kind:
            gives = np.concatenate([self._gives(p, f, kind) for p, f in zip(passages, features)])
            scores = scores + np.where(gives, KIND_BONUS, 0.0)
        fragment = np.concatenate([f.fragment for f in features])
        scores = scores - np.where(fragment, FRAGMENT_PENALTY, 0.0)
        # First best sentence of each passage.
        firsts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        best = np.maximum.reduceat(scores, firsts)
        at_best = np.flatnonzero(scores == np.repeat(best, counts))
        owner = np.searchsorted(firsts, at_best, side="right") - 1
        _, first_of_owner = np.unique(owner, return_index=True)
        chosen = at_best[first_of_owner] - firsts
        return list(zip(chosen.tolist(), best.tolist()))
