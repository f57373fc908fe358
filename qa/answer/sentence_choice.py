"""What answering needs to know of each candidate sentence that does not come from a model:
the share of the question's words it holds and whether it shows the type of answer asked
for (:class:`SentenceChooser`), and how many of the question's names its article holds
(:class:`ArticleWords`). The answer model weighs them (:mod:`qa.answer.answer_model`).

Ranking needs these for every sentence of every candidate passage (~200 passages and ~500
sentences per question on a 19,000-passage index), so :class:`SentenceChooser` works out
what does not depend on the question once per passage (each sentence's word stems as
integer ids, whether it gives each type of answer) and then scores all candidates'
sentences with a few array operations.

>>> from qa.records import Passage
>>> passage = Passage("a#p0", "a", "Inspectors visited. The notice was closed in May 2018.", 0, 54,
...                   sentences=[(0, 19), (20, 54)], id=0)
>>> from qa.answer.asked import read_question
>>> share, gives = SentenceChooser().sentence_features(read_question("when was the notice closed?"), [passage])
>>> share.tolist(), gives.tolist()
([0.0, 1.0], [False, True])
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import numpy as np

from ..records import IndexedDocument, Passage
from ..text import content_stems
from .answer_type import gives_type
from .asked import Asked

# Passages whose sentence features are kept: ~1 KB each. Past this the cache starts again.
MAX_CACHED_PASSAGES = 200_000


# Articles whose word counts and stems a warm-up works out ahead (~30 KB each: their text,
# lower and cased, each word's counts and the stems; kept as questions meet them anyway).
MAX_PREPARED_ARTICLES = 10_000

# A word as ArticleWords counts how it is written: letters, then letters, digits, apostrophes or hyphens.
_WORD = re.compile(r"[^\W\d_][\w'-]*")


class ArticleWords:
    """Per loaded index: each article's headline, publication year and passages, lower case,
    and their content stems, worked out on first need. A question's names are looked for
    in the whole article: news names its subject in the headline or the first lines only."""

    def __init__(self, documents: dict[str, IndexedDocument], passages: list[Passage],
                 chooser: "SentenceChooser | None" = None):
        self._documents = documents
        self._passages = passages
        self._chooser = chooser  # its per-passage word stems give an article's, with no new stemming
        self._by_doc: dict[str, list[Passage]] | None = None
        self._texts: dict[str, str] = {}
        self._cased: dict[str, str] = {}
        self._cases: dict[str, dict[str, tuple[int, int]]] = {}
        self._missing: dict[tuple[tuple[str, ...], str], list[str]] = {}
        self._stems: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def _passages_of(self, doc_id: str) -> list[Passage]:
        if self._by_doc is None:
            with self._lock:
                if self._by_doc is None:
                    by_doc: dict[str, list[Passage]] = {}
                    for p in self._passages:
                        by_doc.setdefault(p.doc_id, []).append(p)
                    self._by_doc = by_doc
        return self._by_doc.get(doc_id, [])

    def _heading(self, doc_id: str) -> str:
        """The headline and the publication year: "the 2018 report" is the article of 2018."""
        document = self._documents[doc_id]
        return f"{document.title} {document.published[:4]}"

    def text(self, doc_id: str) -> str:
        found = self._texts.get(doc_id)
        if found is not None:
            return found
        passages = self._passages_of(doc_id)
        with self._lock:
            text = " ".join([self._heading(doc_id), *(p.text for p in passages)])
            self._cased[doc_id] = text.replace("’", "'")
            found = self._texts[doc_id] = text.lower().replace("’", "'")
            return found

    def __len__(self) -> int:
        """How many articles' word counts are worked out."""
        return len(self._cases)

    def prepare(self, limit: int = MAX_PREPARED_ARTICLES) -> int:
        """Count how each article writes its words and stem it now (a server's warm-up),
        the first ``limit`` articles: otherwise each is worked out when a question first
        finds it, ~0.7 ms an article. Returns how many are ready."""
        ready = 0
        for doc_id in self._documents:
            if ready >= limit:
                break
            self._cases_of(doc_id)
            self.stems(doc_id)
            ready += 1
        return ready

    def written_as(self, word: str, doc_ids) -> bool | None:
        """How the articles ``doc_ids`` write ``word``: True as a name (capitalised in the
        middle of a sentence more often than in lower case), False as a common word, None
        when they never write it."""
        capital = lower = 0
        key = word.lower().replace("’", "'")
        for doc_id in dict.fromkeys(doc_ids):
            counts = self._cases_of(doc_id).get(key)
            if counts:
                capital += counts[0]
                lower += counts[1]
        if not capital and not lower:
            return None
        return capital > lower

    def _cases_of(self, doc_id: str) -> dict[str, tuple[int, int]]:
        """Each word of the article (lower case): how often it is written capitalised in the
        middle of a sentence, and how often in lower case; worked out once per article."""
        found = self._cases.get(doc_id)
        if found is None:
            self.text(doc_id)
            text = self._cased[doc_id]
            counts: dict[str, list[int]] = {}
            for m in _WORD.finditer(text):
                token = m.group()
                if token[0].isupper():
                    before = text[max(0, m.start() - 3):m.start()].rstrip(" \"“‘(")
                    if not before or before[-1] in ".!?:\n":
                        continue  # a sentence's first word is capitalised anyway
                    counts.setdefault(token.lower(), [0, 0])[0] += 1
                else:
                    counts.setdefault(token, [0, 0])[1] += 1
            found = self._cases[doc_id] = {w: (c[0], c[1]) for w, c in counts.items()}
        return found

    def stems(self, doc_id: str) -> frozenset[str]:
        """The content stems of the article: its headline, year and passages."""
        found = self._stems.get(doc_id)
        if found is None:
            if self._chooser is None:
                found = content_stems(self.text(doc_id))
            else:  # the same stems, from the sentences' stems the chooser keeps (one word never spans two sentences)
                found = content_stems(self._heading(doc_id)) | self._chooser.passage_stems(self._passages_of(doc_id))
            self._stems[doc_id] = found
        return found

    def missing_names(self, asked: Asked, doc_id: str) -> list[str]:
        """The question's names and years (:attr:`Asked.context_names`) that the article never
        mentions (worked out once per question and article)."""
        key = (asked.context_names, doc_id)
        found = self._missing.get(key)
        if found is None:
            text = self.text(doc_id)
            found = [n for n in asked.context_names
                     if re.search(rf"(?<!\w){re.escape(n.lower().replace('’', chr(39)))}(?!\w)", text) is None]
            if len(self._missing) > 10_000:
                self._missing.clear()
            self._missing[key] = found
        return list(found)

    def name_share(self, asked: Asked, doc_ids: list[str]) -> np.ndarray:
        """For each of ``doc_ids``, the share of the question's name words its article holds (1 with no names)."""
        names = asked.name_stems
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
    """The word share and answer-type evidence of the sentences of many passages of one index at once.

    Features are kept per passage id, so a chooser belongs to one loaded index (a rebuilt
    index reuses ids for other passages): make a new one when the index is reloaded.
    """

    def __init__(self, max_passages: int = MAX_CACHED_PASSAGES):
        self.max_passages = max_passages
        self._vocabulary: dict[str, int] = {}
        self._words: list[str] = []  # the vocabulary by id, extended on need
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

    def passage_stems(self, passages: list[Passage]) -> frozenset[str]:
        """The content stems of the sentences of ``passages``, together."""
        features = [self._passage_features(p) for p in passages]
        if not features:
            return frozenset()
        words = self._words
        return frozenset(words[i] for i in np.unique(np.concatenate([f.stems for f in features])).tolist())

    def _passage_features(self, passage: Passage) -> _PassageFeatures:
        features = self._features.get(passage.id)
        if features is not None:
            return features
        with self._lock:
            if len(self._features) >= self.max_passages:
                self._features.clear()
            text, vocabulary, words = passage.text, self._vocabulary, self._words
            stems, lengths = [], []
            for s, e in passage.sentences:
                found = content_stems(text[s:e])
                for w in found:
                    if w not in vocabulary:
                        vocabulary[w] = len(words)
                        words.append(w)
                    stems.append(vocabulary[w])
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

    def sentence_features(self, asked: Asked, passages: list[Passage]) -> tuple[np.ndarray, np.ndarray]:
        """``(word share, gives type)`` of every sentence of ``passages``, one after another:
        the share of the question's other words (:attr:`Asked.words`) each sentence holds,
        and whether it shows the type of answer the question asks for (True when none is asked)."""
        features = [self._passage_features(p) for p in passages]
        if not features:
            return np.zeros(0), np.zeros(0, dtype=bool)
        lengths = np.concatenate([f.lengths for f in features])
        if not all(len(f.lengths) for f in features):
            raise ValueError("every passage needs at least one sentence")
        # Question stems unknown to the vocabulary are in no sentence seen so far, and every
        # candidate's sentences were seen just above: they count in the share's denominator only.
        wanted_words = asked.words
        share = np.zeros(len(lengths))
        if wanted_words:
            wanted = np.zeros(len(self._vocabulary) + 1, dtype=bool)
            wanted[[self._vocabulary[w] for w in wanted_words if w in self._vocabulary]] = True
            stems = np.concatenate([f.stems for f in features])
            shared = np.concatenate(([0], np.cumsum(wanted[stems], dtype=np.int64)))
            ends = np.cumsum(lengths)
            share = (shared[ends] - shared[ends - lengths]) / len(wanted_words)
        kind = asked.answer_type
        gives = (np.concatenate([self._gives(p, f, kind) for p, f in zip(passages, features)])
                 if kind else np.ones(len(lengths), dtype=bool))
        return share, gives
