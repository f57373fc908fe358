"""Ranking passages for a question and marking the sentence that answers it.

``Retriever(index_dir="index").retrieve("when was the improvement notice closed?", k=5)``
gives :class:`~qa.answer.hits.Hit` objects, best first, each with its answering sentence
(``hit.highlight_text``). The ranking: BM25 and dense candidates (:mod:`qa.answer.fusion`),
fused, plus the support of each passage's answering sentence (:mod:`qa.answer.support`,
chosen by :mod:`qa.answer.sentence_choice`).
"""
from __future__ import annotations

import threading
import warnings
from pathlib import Path

import numpy as np

from ..config import default_corpus_dir, default_index_dir
from ..errors import IndexCorruptError, IndexMismatchError, QAError, QuestionError
from ..ingest.dates import check_index_dates, parse_period, publication_bound, published_between
from ..records import Passage, Source
from ..store import index_files as store
from ..store.build import build_index, corpus_state
from ..store.cache import QuestionCache
from ..store.corpus_stamp import corpus_stamp
from ..store.embedder import Embedder, get_embedder
from .answer_kind import asks_about_present
from .fusion import DEFAULT_FUSION, candidates
from .hits import Hit
from .question import MAX_QUESTION_CHARS, check_question, strip_names  # noqa: F401  (MAX_QUESTION_CHARS: part of this API)
from .sentence_choice import ArticleWords, SentenceChooser, choose_sentence  # noqa: F401  (choose_sentence: the plain rule)
from .support import PASSAGE_WEIGHT

# Candidates taken from each of the dense and BM25 rankings before fusion.
HYBRID_DEPTH = 100
# A question about how things stand now ("still", "latest") ranks the newest article holding
# its names this much higher: with a 2016 and a 2018 article on one story, "Are the services
# still rated inadequate?" is answered by 2018's, though 2016's repeats the words.
RECENT_WEIGHT = 0.2


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
        self._chooser: tuple[store.IndexData, SentenceChooser, ArticleWords] | None = None
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
        question and the type of answer they give; worked out on first sight, that is most of a new question's time on a
        large index. Up front it is ~1 s per 15,000 passages, up to
        :data:`qa.answer.sentence_choice.MAX_CACHED_PASSAGES`.
        """
        self.embedder.encode(["warm up"])
        data = self.data
        self._sentence_chooser(data)[0].prepare(data.passages)
        data.vector_store.warm()

    def _sentence_chooser(self, data: store.IndexData) -> tuple[SentenceChooser, ArticleWords]:
        """The per-index caches of sentence choice: each passage's sentence features, each article's words."""
        chooser = self._chooser
        if chooser is None or chooser[0] is not data:
            chooser = self._chooser = (data, SentenceChooser(), ArticleWords(data.documents, data.passages))
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
        # The question and the question without its names (qa.answer.support), one batch.
        unnamed = strip_names(question)
        q, q_unnamed = self.encode_questions([question, unnamed])
        # Overlapping passages often share their best sentence: fetch extra, show each sentence once.
        depth = max(HYBRID_DEPTH, k * 3)
        if allowed is not None:  # the filter drops candidates: rank every passage instead
            depth = len(data.vector_store)
        hits: list[Hit] = []
        shown: set[tuple[str, int, int]] = set()
        for pid, score, sentence in self._rank(data, question, q, q_unnamed, depth):
            if allowed is not None and data.passage(pid).doc_id not in allowed:
                continue
            hit = self._hit(data, data.passage(pid), float(score), len(hits) + 1, question, sentence)
            key = (hit.doc_id, hit.start + hit.highlight[0], hit.start + hit.highlight[1])
            if key in shown:
                continue
            shown.add(key)
            hits.append(hit)
            if len(hits) == k:
                break
        return hits

    def _rank(self, data: store.IndexData, question: str, q: np.ndarray, q_unnamed: np.ndarray,
              depth: int) -> list[tuple[int, float, tuple[int, float]]]:
        """``(vector id, ranking score, (answering sentence, its support))`` best first: BM25
        and dense candidates, fused (:mod:`qa.answer.fusion`), plus the support of the
        passage's answering sentence (:mod:`qa.answer.support`): ``final = support +
        PASSAGE_WEIGHT x fused``. A passage is shown for its answering sentence, so how well
        that sentence answers is most of its rank.

        The dense side of a passage is the mean of its own cosine and its best sentence's:
        a four-sentence vector blurs the one sentence that answers.
        """
        if self._row_ids is None or self._row_ids[0] is not data:
            self._row_ids = (data, np.array([p.id for p in data.passages], dtype=np.int64))
        pool = candidates(q, question, data.vector_store, data.lexical, self._row_ids[1], depth)
        pids = pool.ids.tolist()
        passages = [data.passage(pid) for pid in pids]
        # Every candidate sentence's cosine from one matrix product, in passage order
        # (one product per passage cost more than all the ranking arithmetic).
        counts = np.fromiter((len(p.sentence_rows) for p in passages), dtype=np.int64, count=len(passages))
        all_rows = np.fromiter((r for p in passages for r in p.sentence_rows), dtype=np.int64,
                               count=int(counts.sum()))
        vectors = data.sentence_vectors[all_rows]
        every = vectors @ q
        every_unnamed = every if q_unnamed is q else vectors @ q_unnamed
        best_sentence = np.maximum.reduceat(every, np.concatenate(([0], np.cumsum(counts)[:-1]))) if len(every) else every
        pool.dense = 0.5 * (pool.dense + best_sentence.astype(np.float64))
        fused = DEFAULT_FUSION(pool.dense, pool.lexical)
        chooser, articles = self._sentence_chooser(data)
        share = articles.name_share(question, [p.doc_id for p in passages])
        chosen = chooser.choose(question, passages, every, every_unnamed, share)
        final = np.array([score for _, score in chosen]) + PASSAGE_WEIGHT * fused
        if asks_about_present(question):
            final = final + RECENT_WEIGHT * _newest(data.documents, [p.doc_id for p in passages], share >= 1.0)
        order = np.lexsort((pool.ids, -final))
        return [(pids[i], float(final[i]), chosen[i]) for i in order]

    def answer(self, question: str, history=None, k: int = 5):
        """A short cited answer (``Answer.found`` False when the documents do not answer).

        ``history`` holds the earlier questions (strings, or chat messages with ``role``
        and ``content``); a follow-up such as "and when was it closed?" is searched with
        the earlier question's topic folded in, and ``Answer.query`` says what was searched.
        """
        from .compose import answer  # compose takes a retriever: imported here, one way only

        return answer(self, question, history=history, k=k)

    def _hit(self, data: store.IndexData, passage: Passage, score: float, rank: int, question: str,
             sentence: tuple[int, float]) -> Hit:
        """``sentence`` is the answering sentence's index in the passage and its support, as
        the ranking chose them; ``score`` the ranking score."""
        best, best_support = sentence
        start, end = passage.sentences[best]
        return Hit(
            passage_id=passage.passage_id,
            doc_id=passage.doc_id,
            text=passage.text,
            score=max(0.0, score),
            source=Source.from_metadata(data.documents.get(passage.doc_id)),
            start=passage.start,
            end=passage.end,
            highlight=(start, end),
            rank=rank,
            sentence_score=best_support,
            dates=[d.to_dict() for d in passage.dates],
            support=best_support,
            missing_names=self._sentence_chooser(data)[1].missing_names(question, passage.doc_id),
            page=passage.page,
        )


_DEFAULT: dict[str, Retriever] = {}
# Per corpus and index: the corpus_stamp taken when they were last found in step.
_IN_STEP: dict[str, tuple] = {}
_DEFAULT_LOCK = threading.Lock()


def retrieve(question: str, k: int = 5, corpus_dir=None, index_dir=None,
             published_after=None, published_before=None) -> list[Hit]:
    """``Retriever.retrieve`` on the default index, built or updated first if missing or stale."""
    check_question(question)  # a bad question is refused before any index work
    retriever = default_retriever(corpus_dir, index_dir)
    return retriever.retrieve(question, k=k, published_after=published_after, published_before=published_before)


def _newest(documents: dict, doc_ids: list[str], eligible: np.ndarray) -> np.ndarray:
    """1.0 for each of ``doc_ids`` that is eligible and published last among the eligible
    (by the first day of its publication date), else 0.0; all 0.0 when none is dated."""
    starts = [(parse_period((documents.get(d) or {}).get("published", "")) if ok else None) for d, ok in zip(doc_ids, eligible)]
    dated = [p.first for p in starts if p is not None]
    if not dated:
        return np.zeros(len(doc_ids))
    last = max(dated)
    return np.array([1.0 if p is not None and p.first == last else 0.0 for p in starts])


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
        # Comparing the corpus with the index reads every article; when no file changed
        # since they were last found in step (qa.store.corpus_stamp), it is skipped. The
        # stamp is taken before the comparison, so a change made during it is seen next time.
        stamp = corpus_stamp(corpus, index)
        if stamp is None or _IN_STEP.get(key) != stamp:
            _IN_STEP.pop(key, None)
            try:
                manifest = store.read_manifest(index)
            except QAError:
                manifest = None  # build_index finds out why, rebuilds and says so
            if manifest is None or corpus_state(corpus, manifest, model=manifest["model"]["name"]).stale:
                _update(corpus, index)
                stamp = None  # taken before the update: the next question compares again
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
            stamp = None
        _DEFAULT[key] = retriever
        if stamp is not None:
            _IN_STEP[key] = stamp
        return retriever


def index_and_name(index_dir=None) -> tuple[store.IndexData, str]:
    """The index in ``index_dir``, or the default one built or updated first (as
    :func:`retrieve` does), and how messages name it."""
    if index_dir is None:
        return default_retriever().data, "the default index"
    return store.load_index(index_dir), str(index_dir)


def _update(corpus: Path, index: Path) -> None:
    report = build_index(corpus_dir=corpus, index_dir=index, wait=True)
    if report.full_rebuild and report.reason != "no index yet":
        warnings.warn(f"rebuilt the index in {index} from {corpus}: {report.reason}", RuntimeWarning, stacklevel=3)
