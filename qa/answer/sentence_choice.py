"""Choosing the sentence of a passage that answers a question: the one with the highest
support (:mod:`qa.answer.support`), the first on a tie.

Support needs, for each sentence, its cosines with the question and with the question
without its names, how many of the question's name words its article holds
(:class:`ArticleWords`), the share of the question's other content words it holds, and
whether it gives the type of answer asked for (:mod:`qa.answer.answer_type`).

Ranking needs the answering sentence of every candidate passage (~200 passages and ~500
sentences per question on a 19,000-passage index), so :class:`SentenceChooser` works out
what does not depend on the question once per passage (each sentence's word stems as
integer ids, whether it gives each type of answer) and then scores all candidates'
sentences with a few array operations. :func:`choose_sentence` is the same rule for one
passage, written plainly; the tests hold the two to the same answers.

>>> from qa.records import Passage
>>> passage = Passage("a#p0", "a", "Inspectors visited. The notice was closed in May 2018.", 0, 54,
...                   sentences=[(0, 19), (20, 54)], id=0)
>>> cosines = np.array([0.1, 0.6], dtype=np.float32)
>>> [(i, round(score, 2)) for i, score in SentenceChooser().choose(
...     "when was the notice closed?", [passage], cosines, cosines, np.ones(1))]
[(1, 1.4)]
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import numpy as np

from ..records import Passage
from ..text import content_stems
from .answer_type import asked_type, gives_type
from .question import context_names, name_stems
from .support import support, support_scores

# Passages whose sentence features are kept: ~1 KB each. Past this the cache starts again.
MAX_CACHED_PASSAGES = 200_000


_HOW = re.compile(r"\bhow\s+(\w+)", re.I)


def _asked_words(question: str) -> frozenset[str]:
    """The question's content stems that are not its names, nor the word after "how" ("how
    much", "how many", "how big", "how long": it marks the type of answer, which
    :mod:`qa.answer.answer_type` weighs): what the sentence should say.

    >>> sorted(_asked_words("How big is the hole in Doncaster's finances?"))
    ['financ', 'hole']
    """
    return content_stems(question) - name_stems(question) - content_stems(" ".join(_HOW.findall(question)))


def choose_sentence(question: str, passage: Passage, cosines: np.ndarray, unnamed_cosines: np.ndarray,
                    name_share: float = 1.0) -> tuple[int, float]:
    """Index of the passage sentence that best answers ``question`` and its support (the
    first best one on a tie). ``cosines`` and ``unnamed_cosines`` hold each sentence's
    cosine with the question and with the question without its names; ``name_share`` is
    the share of the question's name words the passage's article holds."""
    kind, asked = asked_type(question), _asked_words(question)
    best, best_score = 0, -np.inf
    for i, (s, e) in enumerate(passage.sentences):
        sentence = passage.text[s:e]
        word_share = len(asked & content_stems(sentence)) / len(asked) if asked else 0.0
        score = support(cosines[i], unnamed_cosines[i], name_share, word_share, gives_type(kind, sentence))
        if score > best_score:
            best, best_score = i, score
    return best, float(best_score)


class ArticleWords:
    """Per loaded index: each article's headline, publication year and passages, lower case,
    and their content stems, worked out on first need. A question's names are looked for
    in the whole article: news names its subject in the headline or the first lines only."""

    def __init__(self, documents: dict[str, dict], passages: list[Passage]):
        self._documents = documents
        self._passages = passages
        self._by_doc: dict[str, list[Passage]] | None = None
        self._texts: dict[str, str] = {}
        self._stems: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def text(self, doc_id: str) -> str:
        found = self._texts.get(doc_id)
        if found is not None:
            return found
        with self._lock:
            if self._by_doc is None:
                by_doc: dict[str, list[Passage]] = {}
                for p in self._passages:
                    by_doc.setdefault(p.doc_id, []).append(p)
                self._by_doc = by_doc
            meta = self._documents.get(doc_id) or {}
            # The publication year counts as a mention: "the 2018 report" is the article of 2018.
            text = " ".join([str(meta.get("title", "")), str(meta.get("published", ""))[:4],
                             *(p.text for p in self._by_doc.get(doc_id, []))])
            found = self._texts[doc_id] = text.lower().replace("’", "'")
            return found

    def stems(self, doc_id: str) -> frozenset[str]:
        found = self._stems.get(doc_id)
        if found is None:
            found = self._stems[doc_id] = content_stems(self.text(doc_id))
        return found

    def missing_names(self, question: str, doc_id: str) -> list[str]:
        """The question's names and years (:func:`qa.answer.question.context_names`) that the article never mentions."""
        text = self.text(doc_id)
        return [n for n in context_names(question)
                if re.search(rf"(?<!\w){re.escape(n.lower().replace('’', chr(39)))}(?!\w)", text) is None]

    def name_share(self, question: str, doc_ids: list[str]) -> np.ndarray:
        """For each of ``doc_ids``, the share of the question's name words its article holds (1 with no names)."""
        names = name_stems(question)
        if not names:
            return np.ones(len(doc_ids))
        shares: dict[str, float] = {}
        for d in doc_ids:
            if d not in shares:
                shares[d] = len(names & self.stems(d)) / len(names)
        return np.array([shares[d] for d in doc_ids], dtype=np.float64)


@dataclass
class _PassageFeatures:
    stems: np.ndarray  # stem ids of every sentence, one sentence after another
    lengths: np.ndarray  # how many stems each sentence has
    types: dict[str, np.ndarray] = field(default_factory=dict)  # answer type -> bool per sentence, on first ask


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
        features = self._features.get(passage.id)
        if features is not None:
            return features
        with self._lock:
            if len(self._features) >= self.max_passages:
                self._features.clear()
            text, vocabulary = passage.text, self._vocabulary
            stems, lengths = [], []
            for s, e in passage.sentences:
                found = content_stems(text[s:e])
                stems.extend(vocabulary.setdefault(w, len(vocabulary)) for w in found)
                lengths.append(len(found))
            features = _PassageFeatures(np.array(stems, dtype=np.int64), np.array(lengths, dtype=np.int64))
            self._features[passage.id] = features
            return features

    @staticmethod
    def _gives(passage: Passage, features: _PassageFeatures, kind: str) -> np.ndarray:
        flags = features.types.get(kind)
        if flags is None:
            flags = np.array([gives_type(kind, passage.text[s:e]) for s, e in passage.sentences], dtype=bool)
            features.types[kind] = flags
        return flags

    def choose(self, question: str, passages: list[Passage], cosines: np.ndarray, unnamed_cosines: np.ndarray,
               name_share: np.ndarray) -> list[tuple[int, float]]:
        """``(answering sentence's index, its support)`` for each of ``passages``, as
        :func:`choose_sentence` gives them. ``cosines`` and ``unnamed_cosines`` hold every
        sentence's cosines, the passages' sentences one after another; ``name_share`` one
        value per passage (:meth:`ArticleWords.name_share`)."""
        if not passages:
            return []
        features = [self._passage_features(p) for p in passages]
        lengths = np.concatenate([f.lengths for f in features])
        counts = np.fromiter((len(f.lengths) for f in features), dtype=np.int64, count=len(features))
        if len(lengths) != len(cosines) or len(cosines) != len(unnamed_cosines) or not counts.all():
            raise ValueError("every passage needs one cosine per sentence, and at least one sentence")
        # Question stems unknown to the vocabulary are in no sentence seen so far, and every
        # candidate's sentences were seen just above: they count in the share's denominator only.
        asked = _asked_words(question)
        share = np.zeros(len(cosines))
        if asked:
            wanted = np.zeros(len(self._vocabulary) + 1, dtype=bool)
            wanted[[self._vocabulary[w] for w in asked if w in self._vocabulary]] = True
            stems = np.concatenate([f.stems for f in features])
            shared = np.concatenate(([0], np.cumsum(wanted[stems], dtype=np.int64)))
            ends = np.cumsum(lengths)
            share = (shared[ends] - shared[ends - lengths]) / len(asked)
        kind = asked_type(question)
        gives = (np.concatenate([self._gives(p, f, kind) for p, f in zip(passages, features)])
                 if kind else np.ones(len(cosines), dtype=bool))
        scores = support_scores(cosines, unnamed_cosines, np.repeat(np.asarray(name_share, dtype=np.float64), counts),
                                share, gives)
        # First best sentence of each passage.
        firsts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        best = np.maximum.reduceat(scores, firsts)
        at_best = np.flatnonzero(scores == np.repeat(best, counts))
        owner = np.searchsorted(firsts, at_best, side="right") - 1
        _, first_of_owner = np.unique(owner, return_index=True)
        chosen = at_best[first_of_owner] - firsts
        return list(zip(chosen.tolist(), best.tolist()))
