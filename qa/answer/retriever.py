"""Ranking passages for a question and marking the sentence that answers it.

``Retriever(index_dir="index").retrieve("when was the improvement notice closed?", k=5)``
gives :class:`~qa.answer.hits.Hit` objects, best first, each with its answering sentence
(``hit.highlight_text``). The ranking: BM25 and dense candidates (:mod:`qa.answer.fusion`),
fused, plus the score of each passage's answering sentence (:mod:`qa.answer.sentence_choice`).
"""
from __future__ import annotations

import threading
import warnings
from pathlib import Path

import numpy as np

from ..config import default_corpus_dir, default_index_dir
from ..errors import IndexCorruptError, IndexMismatchError, QAError, QuestionError
from ..ingest.dates import check_index_dates, publication_bound, published_between
from ..records import Passage, Source
from ..store import index_files as store
from ..store.build import build_index, corpus_state
from ..store.cache import QuestionCache
from ..store.embedder import Embedder, get_embedder
from .fusion import DEFAULT_FUSION, candidates
from .hits import Hit
from .question import MAX_QUESTION_CHARS, check_question  # noqa: F401  (MAX_QUESTION_CHARS: part of this API)
from .sentence_choice import SentenceChooser, choose_sentence  # noqa: F401  (choose_sentence: the plain rule)
from .support import support

# Candidates taken from each of the dense and BM25 rankings before fusion.
HYBRID_DEPTH = 100
# Weight of the answering sentence's score beside the fused passage score (at most 1 with
# the default fusion). Chosen on the development questions: 0 -> hit@1 0.78, 0.5 -> 0.89.
SENTENCE_WEIGHT = 0.5


class Retriever:
    """Search one index folder. The index is reloaded when ``manifest.json`` changes, so a
    long-lived retriever (the web app) sees documents added by ``qa index`` or an upload."""

    def __init__(self, index_dir: str | Path | None = None, model: str | None = None,
                 embedder: Embedder | None = None):
        self.index_dir = Path(index_dir) if index_dir is not None else default_index_dir()
        self._embedder = embedder
        self._model = model
        self._data: store.IndexData | None = None
        self._row_ids: tuple[store.IndexData, np.ndarray] | None = None  # vector-store id per BM25 row
        self._chooser: tuple[store.IndexData, SentenceChooser] | None = None
        self._stamp = None
        self._lock = threading.Lock()
        self.question_vectors = QuestionCache()  # see qa.store.cache: repeated questions skip the model
        self.data  # fail now, with a clear error, if there is no usable index

    # -- loading ---------------------------------------------------------------------
    @property
    def data(self) -> store.IndexData:
        manifest = self.index_dir / store.MANIFEST
        try:
            stat = manifest.stat()
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except OSError:
            stamp = None
        if self._data is None or stamp != self._stamp:
            with self._lock:
                if self._data is None or stamp != self._stamp:
                    self._data = store.load_index(self.index_dir)
                    self._stamp = stamp
                    self._check_model(self._data)
        return self._data

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
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self.data.model)
        return self._embedder

    def warm(self) -> None:
        """Load the model and read every passage's sentences now, so that the first
        questions are answered as fast as later ones: a server calls this at startup.

        Ranking weighs each candidate passage's sentences by the words they share with the
        question; worked out on first sight, that is most of a new question's time on a
        large index. Up front it is ~1 s per 15,000 passages, up to
        :data:`qa.answer.sentence_choice.MAX_CACHED_PASSAGES`.
        """
        self.embedder.encode(["warm up"])
        data = self.data
        self._sentence_chooser(data).prepare(data.passages)
        data.vector_store.warm()

    def _sentence_chooser(self, data: store.IndexData) -> SentenceChooser:
        if self._chooser is None or self._chooser[0] is not data:
            self._chooser = (data, SentenceChooser())
        return self._chooser[1]

    # -- searching -------------------------------------------------------------------
    def encode_question(self, question: str) -> np.ndarray:
        """The question's unit vector; a question asked before is answered from the cache."""
        key = (self.embedder.name, question)
        q = self.question_vectors.get(key)
        if q is None:
            q = self.question_vectors.put(key, self.embedder.encode([question])[0])
        # Same model name, other vectors (a model folder replaced in place): the vector store
        # would abort on the mismatch, so it is caught here with a way out.
        if q.shape[0] != self.data.dimension:
            raise IndexMismatchError(
                f"{self.index_dir} holds {self.data.dimension}-dimensional vectors but model "
                f"{self.embedder.name!r} now gives {q.shape[0]}; run `qa index --rebuild`"
            )
        return q

    def retrieve(self, question: str, k: int = 5, published_after=None, published_before=None) -> list[Hit]:
        """The ``k`` passages that best answer ``question``, best first, each cited.

        ``published_after`` (inclusive) and ``published_before`` (exclusive) keep only
        articles published in that range: a ``datetime.date`` or ISO text, where a partial
        date means its first day (``published_before="2017"`` is before 1 January 2017).
        """
        question = check_question(question)
        if not isinstance(k, int) or k < 1:
            raise QuestionError(f"k must be a positive whole number, not {k!r}")
        data = self.data
        allowed = _allowed_docs(data, published_after, published_before)
        if len(data.vector_store) == 0 or allowed == set():
            return []
        q = self.encode_question(question)
        # Overlapping passages often share their best sentence: fetch extra, show each sentence once.
        depth = max(HYBRID_DEPTH, k * 3)
        if allowed is not None:  # the filter drops candidates: rank every passage instead
            depth = len(data.vector_store)
        hits: list[Hit] = []
        shown: set[tuple[str, int, int]] = set()
        for pid, score, sentence in self._rank(data, question, q, depth):
            if allowed is not None and data.passage(pid).doc_id not in allowed:
                continue
            hit = self._hit(data, data.passage(pid), float(score), len(hits) + 1, question, q, sentence)
            key = (hit.doc_id, hit.start + hit.highlight[0], hit.start + hit.highlight[1])
            if key in shown:
                continue
            shown.add(key)
            hits.append(hit)
            if len(hits) == k:
                break
        return hits

    def _rank(self, data: store.IndexData, question: str, q: np.ndarray,
              depth: int) -> list[tuple[int, float, tuple[int, float]]]:
        """``(vector id, passage cosine, (answering sentence, its score))`` best first: BM25 and
        dense candidates, fused (:mod:`qa.answer.fusion`), plus ``SENTENCE_WEIGHT`` x the score
        of the passage's answering sentence (:func:`choose_sentence`).

        The dense side of a passage is the mean of its own cosine and its best sentence's:
        a passage is shown for the one sentence that answers, and a four-sentence vector
        blurs that sentence. The plain passage cosine is what a hit's ``score`` (shown as
        relevance) is.
        """
        if self._row_ids is None or self._row_ids[0] is not data:
            self._row_ids = (data, np.array([p.id for p in data.passages], dtype=np.int64))
        pool = candidates(q, question, data.vector_store, data.lexical, self._row_ids[1], depth)
        passage_cosine = pool.dense.copy()
        pids = pool.ids.tolist()
        passages = [data.passage(pid) for pid in pids]
        # Every candidate sentence's cosine from one matrix product, in passage order
        # (one product per passage cost more than all the ranking arithmetic).
        counts = np.fromiter((len(p.sentence_rows) for p in passages), dtype=np.int64, count=len(passages))
        all_rows = np.fromiter((r for p in passages for r in p.sentence_rows), dtype=np.int64,
                               count=int(counts.sum()))
        every = data.sentence_vectors[all_rows] @ q
        best_sentence = np.maximum.reduceat(every, np.concatenate(([0], np.cumsum(counts)[:-1]))) if len(every) else every
        pool.dense = 0.5 * (pool.dense + best_sentence.astype(np.float64))
        fused = DEFAULT_FUSION(pool.dense, pool.lexical)
        # The passage is shown for its answering sentence, so how well that sentence answers
        # (qa.answer.sentence_choice: support, a date for "when"...) counts in its rank.
        chosen = self._sentence_chooser(data).choose(question, passages, every)
        final = fused + SENTENCE_WEIGHT * np.array([score for _, score in chosen])
        order = np.lexsort((pool.ids, -final))
        return [(pids[i], float(passage_cosine[i]), chosen[i]) for i in order]

    def answer(self, question: str, history=None, k: int = 5):
        """A short cited answer (``Answer.found`` False when the documents do not answer).

        ``history`` holds the earlier questions (strings, or chat messages with ``role``
        and ``content``); a follow-up such as "and when was it closed?" is searched with
        the earlier question's topic folded in, and ``Answer.query`` says what was searched.
        """
        from .compose import answer  # compose takes a retriever: imported here, one way only

        return answer(self, question, history=history, k=k)

    def _hit(self, data: store.IndexData, passage: Passage, score: float, rank: int, question: str,
             q: np.ndarray, sentence: tuple[int, float]) -> Hit:
        """``sentence`` is the answering sentence's index in the passage and its score, as
        :func:`choose_sentence` gave them when the passage was ranked."""
        best, best_score = sentence
        start, end = passage.sentences[best]
        rows = passage.sentence_rows
        cosine = float(data.sentence_vectors[rows[best]] @ q) if rows else score
        return Hit(
            passage_id=passage.passage_id,
            doc_id=passage.doc_id,
            text=passage.text,
            score=score,
            source=Source.from_metadata(data.documents.get(passage.doc_id)),
            start=passage.start,
            end=passage.end,
            highlight=(start, end),
            rank=rank,
            sentence_score=best_score,
            dates=[d.to_dict() for d in passage.dates],
            support=support(cosine, question, passage.text[start:end]),
            page=passage.page,
        )


_DEFAULT: dict[str, Retriever] = {}
_DEFAULT_LOCK = threading.Lock()


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
    return {doc_id for doc_id, meta in data.documents.items()
            if published_between(meta.get("published", ""), after, before)}


def default_retriever(corpus_dir=None, index_dir=None) -> Retriever:
    """A shared retriever over the default corpus and index, updated when the corpus changed.

    An index that cannot be used (a damaged file, another format) is rebuilt from the
    corpus with a ``RuntimeWarning`` that says why; a build running elsewhere is waited for.
    """
    corpus = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
    index = Path(index_dir) if index_dir is not None else default_index_dir(corpus)
    key = f"{corpus.resolve()}|{index.resolve()}"
    with _DEFAULT_LOCK:
        try:
            manifest = store.read_manifest(index)
        except QAError:
            manifest = None  # build_index finds out why, rebuilds and says so
        if manifest is None or corpus_state(corpus, manifest, model=manifest["model"]["name"]).stale:
            _update(corpus, index)
        retriever = _DEFAULT.get(key)
        try:
            if retriever is None:
                retriever = Retriever(index_dir=index)
            else:
                retriever.data  # reloads when the manifest changed since the last question
        except (IndexCorruptError, IndexMismatchError):
            # The manifest reads but a data file does not match it: build_index sees the same
            # damage, starts again from the corpus, and the retriever loads the new index.
            _update(corpus, index)
            retriever = Retriever(index_dir=index)
        _DEFAULT[key] = retriever
        return retriever


def _update(corpus: Path, index: Path) -> None:
    report = build_index(corpus_dir=corpus, index_dir=index, wait=True)
    if report.full_rebuild and report.reason != "no index yet":
        warnings.warn(f"rebuilt the index in {index} from {corpus}: {report.reason}", RuntimeWarning, stacklevel=3)
