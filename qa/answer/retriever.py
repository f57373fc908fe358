"""Ranking passages for a question and marking the sentence that answers it.

``Retriever(index_dir="index").retrieve("when was the improvement notice closed?", k=5)``
gives :class:`~qa.records.Hit` objects, best first, each with its answering sentence
(``hit.highlight_text``). The ranking: BM25 and dense candidates (:mod:`qa.answer.fusion`),
fused; each candidate's sentences weighed by cheap signals, the best read by the reader, and
the answer model's probability that each answers (:mod:`qa.answer.ranking`).
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Hashable

import numpy as np

from ..config import AnswerSettings
from ..errors import IndexMismatchError, QuestionError
from ..ingest.dates import publication_bound, published_between
from ..store.handle import check_index_dates
from ..store import index_files as store
from ..embedding.embedder import Embedder, get_embedder
from ..store.handle import IndexHandle, shared_handle
from ..reader.model import Reader, default_reader
from .answer_model import AnswerModel, load_answer_model
from .asked import read_question
from .fusion import Fusion, candidates
from ..records import Hit
from .question import MAX_QUESTION_CHARS, check_question, strip_names  # noqa: F401  (MAX_QUESTION_CHARS: part of this API)
from .ranking import (Ranking, ScoredPool, SentencePool, reader_set, score_pool, sentence_before, sentence_pool,
                      superseded)
from .sentence_choice import ArticleWords, SentenceChooser


class QuestionCache:
    """Question vectors kept for questions asked again (the model is the slowest step of an
    answer): a thread-safe least-recently-used map (cachetools) from (model, question) to a
    read-only vector, which depends on nothing else and so never goes stale. 1,024 x 384
    float32 = 1.5 MB; a size of 0 keeps nothing."""

    def __init__(self, maxsize: int = 1024):
        import cachetools

        if maxsize < 0:
            raise ValueError("the question cache size must not be negative (0 turns it off)")
        self.maxsize, self.hits, self.misses = maxsize, 0, 0
        self._entries = cachetools.LRUCache(maxsize) if maxsize else {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> np.ndarray | None:
        with self._lock:
            vector = self._entries.get(key)
            if vector is None:
                self.misses += 1
            else:
                self.hits += 1
            return vector

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def put(self, key: Hashable, vector: np.ndarray) -> np.ndarray:
        """Store a read-only copy of ``vector`` (shared by every later caller) and return it."""
        vector = np.array(vector, dtype=np.float32)
        vector.setflags(write=False)
        if self.maxsize:
            with self._lock:
                self._entries[key] = vector
        return vector


class Retriever:
    """Search one index folder. The index is reloaded when ``manifest.json`` changes, so a
    long-lived retriever (the web app) sees documents added by ``qa index`` or an upload."""

    def __init__(self, index_dir: str | Path | None = None, model: str | None = None,
                 embedder: Embedder | None = None, settings: AnswerSettings | None = None,
                 handle: IndexHandle | None = None):
        self.handle = handle or IndexHandle(index_dir)
        self.index_dir = self.handle.index_dir
        self.settings = settings or AnswerSettings.from_env()
        self._embedder = embedder
        self._reader: Reader | None = None
        self._answer_model: AnswerModel | None = None
        self._model = model
        self._checked: store.IndexData | None = None
        self._row_ids = None  # (index, vector-store id per BM25 row, each article's ids)
        self._chooser: tuple[store.IndexData, SentenceChooser, ArticleWords] | None = None
        self._title_cache = None
        self.question_vectors = QuestionCache()  # repeated questions skip the model
        self.data  # fail now, with a clear error, if there is no usable index

    # -- loading ---------------------------------------------------------------------
    @property
    def data(self) -> store.IndexData:
        """The index (:attr:`qa.store.handle.IndexHandle.data`: reloaded when another process
        changed it), checked once per load against the question model."""
        data = self.handle.data
        if data is not self._checked:
            self._check_model(data)
            self._checked = data
        return data

    def _check_model(self, data: store.IndexData) -> None:
        # An index from before dates were stored would answer "when" with no dates: refuse it.
        check_index_dates(data, str(self.index_dir))
        wanted = self._embedder.name if self._embedder else self._model
        if wanted and wanted != data.model:
            raise IndexMismatchError(
                f"{self.index_dir} was built with model {data.model!r}, not {wanted!r}; "
                f"run `qa index --rebuild --model {wanted}` or search with the index's model"
            )

    @property
    def reader(self) -> Reader:
        """The cross-encoder that reads the best candidate sentences (:mod:`qa.reader.model`)."""
        if self._reader is None:
            self._reader = default_reader(self.settings.reader_folder())
        return self._reader

    @property
    def answer_model(self) -> AnswerModel:
        """The fitted weights and calibration of ranking and abstention (:mod:`qa.answer.answer_model`)."""
        if self._answer_model is None:
            self._answer_model = load_answer_model(self.settings.answer_model_path(self.data.model))
        return self._answer_model

    @answer_model.setter
    def answer_model(self, model: AnswerModel) -> None:
        """Rank with other fitted weights (the fitting of a new answer model does)."""
        self._answer_model = model

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self.data.model)
        return self._embedder

    def warm(self) -> None:
        """Load the model and read every passage's sentences and every article's words now,
        so that the first questions are answered as fast as later ones: a server calls this
        at startup.

        Ranking weighs each candidate passage's sentences by the words they share with the
        question and the type of answer they give, and reads how the nearest articles write
        each word of the question (which tells its names); worked out on first sight, that
        is a large part of a new question's time on a large index (68 against 55 ms on the
        19k-passage SciFact index: experiments/profile_retrieve.py). Up front it is ~1 s per
        15,000 passages and ~0.5 s per 1,000 articles, up to the limits of
        :mod:`qa.answer.sentence_choice`.
        """
        self.embedder.encode(["warm up"])
        self.reader.score("warm up", [("", "warm up")])
        data = self.data
        sentences, articles = self._sentence_chooser(data)
        sentences.prepare(data.passages)
        articles.prepare()
        data.vector_store.warm()

    def _sentence_chooser(self, data: store.IndexData) -> tuple[SentenceChooser, ArticleWords]:
        """The per-index caches of sentence choice: each passage's sentence features, each article's words."""
        chooser = self._chooser
        if chooser is None or chooser[0] is not data:
            sentences = SentenceChooser()
            chooser = self._chooser = (data, sentences, ArticleWords(data.documents, data.passages, sentences))
        return chooser[1], chooser[2]

    # -- searching -------------------------------------------------------------------
    def encode_question(self, question: str) -> np.ndarray:
        """The question's unit vector; a question asked before is answered from the cache."""
        key = (self.embedder.name, question)
        q = self.question_vectors.get(key)
        if q is None:
            q = self.question_vectors.put(key, self.embedder.encode([question])[0])
        self._check_dimension(q)
        return q

    def encode_questions(self, questions: list[str]) -> list[np.ndarray]:
        """:meth:`encode_question` for several texts, the ones not cached embedded in one batch."""
        name = self.embedder.name
        found = {t: self.question_vectors.get((name, t)) for t in dict.fromkeys(questions)}
        missing = [t for t, v in found.items() if v is None]
        if missing:
            for text, vector in zip(missing, self.embedder.encode(missing)):
                found[text] = self.question_vectors.put((name, text), vector)
        for vector in found.values():
            self._check_dimension(vector)
        return [found[t] for t in questions]

    def _check_dimension(self, q: np.ndarray) -> None:
        # Same model name, other vectors (a model folder replaced in place): the vector store
        # would abort on the mismatch, so it is caught here with a way out.
        if q.shape[0] != self.data.dimension:
            raise IndexMismatchError(
                f"{self.index_dir} holds {self.data.dimension}-dimensional vectors but model "
                f"{self.embedder.name!r} now gives {q.shape[0]}; run `qa index --rebuild`"
            )

    def retrieve(self, question: str, k: int = 5, published_after=None, published_before=None,
                 doc_ids=None) -> list[Hit]:
        """The ``k`` passages that best answer ``question``, best first, each cited.

        ``published_after`` (inclusive) and ``published_before`` (exclusive) keep only
        articles published in that range: a ``datetime.date`` or ISO text, where a partial
        date means its first day (``published_before="2017"`` is before 1 January 2017).
        ``doc_ids`` keeps only those articles (a follow-up searched in the conversation's article).
        """
        question = check_question(question)
        if not isinstance(k, int) or k < 1:
            raise QuestionError(f"k must be a positive whole number, not {k!r}")
        data = self.data
        allowed = _allowed_docs(data, published_after, published_before)
        if doc_ids is not None:
            allowed = set(doc_ids) if allowed is None else allowed & set(doc_ids)
        if len(data.vector_store) == 0 or allowed == set():
            return []
        ranked = self.rank(question, allowed)
        hits: list[Hit] = []
        shown: set[tuple[str, int, int]] = set()
        for i in ranked.order:
            hit = self._hit(data, ranked, int(i), len(hits) + 1, question)
            key = (hit.doc_id, hit.start + hit.highlight[0], hit.start + hit.highlight[1])
            if key in shown:
                continue
            shown.add(key)
            hits.append(hit)
            if len(hits) == k:
                break
        return hits

    def confidence(self, hits: list[Hit]) -> float:
        """The probability that the first of ``hits`` answers, judged against the next ones
        (:meth:`qa.answer.answer_model.AnswerModel.answer_probability`); 0 with no hits."""
        if not hits:
            return 0.0
        return self.answer_model.answer_probability([h.sentence_score for h in hits], [h.doc_id for h in hits])

    @property
    def threshold(self) -> float:
        """The answer probability needed to answer: the settings' own, else the fitted one."""
        if self.settings.threshold is not None:
            return self.settings.threshold
        return self.answer_model.threshold

    def sentence_pool(self, question: str, allowed: set[str] | None = None) -> SentencePool:
        """Every sentence of the hybrid search's candidate passages (of the ``allowed``
        articles only, when given) with its cheap signals and first-stage score
        (:func:`qa.answer.ranking.sentence_pool`): what ranking starts from."""
        data = self.data
        # The question and the question without its names, one batch: names say which article,
        # the rest which sentence.
        texts = [question, strip_names(question)] if self.settings.name_free_twin else [question]
        vectors = self.encode_questions(texts)
        q, q_unnamed = vectors[0], vectors[-1]
        row_ids, ids_of = self._passage_ids(data)
        allowed_ids = None
        if allowed is not None:  # searched inside the filter, not filtered after ranking
            found = [ids_of[d] for d in allowed if d in ids_of]
            allowed_ids = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
        pool = candidates(q, question, data.vector_store, data.lexical, row_ids, self.settings.hybrid_depth,
                          allowed=allowed_ids)
        passages = [data.passage(int(pid)) for pid in pool.ids]
        # Every candidate sentence's cosine from one matrix product, in passage order.
        rows = np.fromiter((r for p in passages for r in p.sentence_rows), dtype=np.int64,
                           count=sum(len(p.sentence_rows) for p in passages))
        vectors = data.sentence_vectors[rows]
        every = vectors @ q
        every_unnamed = every if q_unnamed is q else vectors @ q_unnamed
        counts = np.fromiter((len(p.sentence_rows) for p in passages), dtype=np.int64, count=len(passages))
        dense = pool.dense
        if len(every):
            # A passage's dense side is the mean of its own cosine and its best sentence's: a
            # four-sentence vector blurs the one sentence that answers.
            best = np.maximum.reduceat(every, np.concatenate(([0], np.cumsum(counts)[:-1])))
            dense = 0.5 * (dense + best.astype(np.float64))
        fused = Fusion("convex", weight=self.settings.dense_weight, normalise="max")(dense, pool.lexical)
        chooser, articles = self._sentence_chooser(data)
        doc_ids = [p.doc_id for p in passages]
        # How the best candidates' articles write each word says which words are names.
        nearest = list(dict.fromkeys(doc_ids[i] for i in np.argsort(-fused, kind="stable")))[:self.settings.name_articles]
        asked = read_question(question, lambda word: articles.written_as(word, nearest))
        share = articles.name_share(asked, doc_ids)
        pool = sentence_pool(asked, passages, every, every_unnamed, fused, share, chooser, self.answer_model)
        pool.before = lambda passage: sentence_before(  # what a reader trained with context reads too
            passage, (data.passage(int(i)) for i in ids_of.get(passage.doc_id, ())))
        return pool

    def _passage_ids(self, data: store.IndexData) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The vector-store id of each BM25 row, and each article's passage ids."""
        if self._row_ids is None or self._row_ids[0] is not data:
            by_doc: dict[str, list[int]] = {}
            for p in data.passages:
                by_doc.setdefault(p.doc_id, []).append(p.id)
            self._row_ids = (data, np.array([p.id for p in data.passages], dtype=np.int64),
                             {d: np.array(ids, dtype=np.int64) for d, ids in by_doc.items()})
        return self._row_ids[1], self._row_ids[2]

    def read(self, question: str, pool: SentencePool, allowed: np.ndarray | None = None) -> ScoredPool:
        """The reader's scores of the pool's best sentences and every sentence's final score
        and probability (:func:`qa.answer.ranking.score_pool`)."""
        read = reader_set(pool, self.settings.reader_candidates, allowed)
        scores = self.reader.score(question, pool.reader_inputs(read, self.titles(), self.reader.reads_context))
        return score_pool(pool, read, scores, self.answer_model)

    def rank(self, question: str, allowed: set[str] | None = None) -> Ranking:
        """Every candidate passage, best first, each shown for its best sentence."""
        pool = self.sentence_pool(question, allowed)
        current = superseded(pool, self.data.documents)
        scored = self.read(question, pool, current)
        return Ranking.of(pool, scored, current)

    def titles(self) -> dict[str, str]:
        """Each article's headline, by document id: what the reader reads beside a sentence."""
        data = self.data
        titles = self._title_cache
        if titles is None or titles[0] is not data:
            titles = self._title_cache = (data, {doc_id: document.title for doc_id, document in data.documents.items()})
        return titles[1]

    def reply(self, question: str, history=None, k: int = 5):
        """The reply every face gives (:func:`qa.answer.reply.reply`): the events of a topic for
        "timeline of X" / "what happened to X", else :meth:`answer`."""
        from .reply import reply  # reply takes a retriever: imported here, one way only

        return reply(self, question, history=history, k=k)

    def answer(self, question: str, history=None, k: int = 5):
        """A short cited answer (``Answer.found`` False when the documents do not answer).

        ``history`` holds the earlier questions (strings, or chat messages with ``role``
        and ``content``); a follow-up such as "and when was it closed?" is searched with
        the earlier question's topic folded in, and ``Answer.query`` says what was searched.
        """
        from .compose import answer  # compose takes a retriever: imported here, one way only

        return answer(self, question, history=history, k=k)

    def _hit(self, data: store.IndexData, ranked: Ranking, passage_index: int, rank: int, question: str) -> Hit:
        passage = ranked.pool.passages[passage_index]
        best = int(ranked.sentence[passage_index])
        start, end = passage.sentences[int(ranked.pool.local[best])]
        return Hit(
            passage_id=passage.passage_id,
            doc_id=passage.doc_id,
            text=passage.text,
            score=float(ranked.scored.probability[best]),
            source=data.documents[passage.doc_id].source,
            start=passage.start,
            end=passage.end,
            highlight=(start, end),
            rank=rank,
            sentence_score=float(ranked.scored.final[best]),
            dates=list(passage.dates),
            missing_names=self._sentence_chooser(data)[1].missing_names(ranked.pool.asked, passage.doc_id),
            page=passage.page,
        )


def retrieve(question: str, k: int = 5, corpus_dir=None, index_dir=None,
             published_after=None, published_before=None) -> list[Hit]:
    """``Retriever.retrieve`` on the default index, built or updated first if missing or stale."""
    check_question(question)  # a bad question is refused before any index work
    retriever = default_retriever(corpus_dir, index_dir)
    return retriever.retrieve(question, k=k, published_after=published_after, published_before=published_before)


def _allowed_docs(data: store.IndexData, published_after, published_before) -> set[str] | None:
    """The documents published in the range, or None when no range is asked for."""
    after = publication_bound(published_after, "published_after")
    before = publication_bound(published_before, "published_before")
    if after is None and before is None:
        return None
    if after is not None and before is not None and after >= before:
        raise QuestionError(
            f"published_after ({after}) must be earlier than published_before ({before}); "
            "no article can be published in that range"
        )
    return {doc_id for doc_id, document in data.documents.items()
            if published_between(document.published, after, before)}


_RETRIEVERS: dict[int, Retriever] = {}
_RETRIEVERS_LOCK = threading.Lock()


def default_retriever(corpus_dir=None, index_dir=None) -> Retriever:
    """A shared retriever over a corpus and its index (the defaults when not given), the
    index brought up to date with the corpus first (:func:`qa.store.handle.shared_handle`:
    built when missing, rebuilt with a ``RuntimeWarning`` when it cannot be used)."""
    handle = shared_handle(corpus_dir, index_dir)
    with _RETRIEVERS_LOCK:
        retriever = _RETRIEVERS.get(id(handle))
        if retriever is None:
            retriever = _RETRIEVERS[id(handle)] = Retriever(handle=handle)
    return retriever
