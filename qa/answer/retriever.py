"""Ranking passages for a question and marking the sentence that answers it.

>>> r = Retriever(index_dir="index")
>>> hits = r.retrieve("when was the improvement notice closed?", k=5)
>>> hits[0].publisher, hits[0].text[slice(*hits[0].highlight)]
"""
from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..store import index_files as store
from ..store.cache import QuestionCache
from ..config import default_corpus_dir, default_index_dir
from ..store.embedder import Embedder, get_embedder
from ..errors import QuestionError
from .fusion import DEFAULT_FUSION
from .sentence_choice import SentenceChooser, choose_sentence  # noqa: F401  (choose_sentence: the plain rule)
from ..text import overlap, words

MAX_QUESTION_CHARS = 1000
# Candidates taken from each of the dense and BM25 rankings before fusion.
HYBRID_DEPTH = 100
# Weight of the answering sentence's score beside the fused passage score (at most 1 with
# the default fusion). Chosen on the development questions: 0 -> hit@1 0.78, 0.5 -> 0.89.
SENTENCE_WEIGHT = 0.5


@dataclass
class Hit:
    """One retrieved passage with its citation. ``start``/``end`` are offsets into the
    article body; ``highlight`` is the (start, end) of the answering sentence within ``text``."""

    passage_id: str
    doc_id: str
    text: str
    score: float
    title: str
    publisher: str
    published: str
    url: str
    start: int
    end: int
    highlight: tuple[int, int]
    published_note: str = ""
    rank: int = 0
    sentence_score: float = 0.0
    dates: list[dict] = field(default_factory=list)
    # Evidence that the highlighted sentence answers: its cosine with the question plus half
    # its share of the question's content words (sentence_score without the preferences for
    # dates or numbers). qa.abstention thresholds the best hit's support.
    support: float = 0.0

    @property
    def highlight_text(self) -> str:
        return self.text[self.highlight[0]:self.highlight[1]]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["highlight"] = list(self.highlight)
        d["highlight_text"] = self.highlight_text
        return d


def check_question(question) -> str:
    """The question, stripped; :class:`QuestionError` when there is nothing to search for."""
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, not {type(question).__name__}")
    if len(question) > 4 * MAX_QUESTION_CHARS:  # refuse a huge paste before any work on it
        raise QuestionError(
            f"the question is {len(question):,} characters long; keep it under {MAX_QUESTION_CHARS:,} "
            "(ask about one thing at a time)"
        )
    # A lone surrogate (possible in JSON from a client) makes the model's tokenizer raise
    # TypeError, and control characters mean nothing: both become plain replacements.
    question = question.encode("utf-8", "replace").decode("utf-8")
    question = re.sub(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", " ", question)
    question = unicodedata.normalize("NFC", question).strip()
    if not question:
        raise QuestionError("the question is empty; type a question about the articles")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is {len(question):,} characters long; keep it under {MAX_QUESTION_CHARS:,} "
            "(ask about one thing at a time)"
        )
    if not words(question):
        raise QuestionError("the question has no words to search for; ask it in words")
    return question


class Retriever:
    """Search one index folder. The index is reloaded when ``manifest.json`` changes, so a
    long-lived retriever (the web app) sees documents added by ``qa index`` or an upload."""

    def __init__(self, index_dir: str | Path | None = None, model: str | None = None,
                 embedder: Embedder | None = None):
        self.index_dir = Path(index_dir) if index_dir is not None else default_index_dir()
        self._embedder = embedder
        self._model = model
        self._data: store.IndexData | None = None
        self._row_ids: tuple[store.IndexData, np.ndarray] | None = None  # FAISS id per BM25 row
        self._chooser: tuple[store.IndexData, SentenceChooser] | None = None
        self._dense: tuple[store.IndexData, HalfPrecisionSearch | None] | None = None
        self._stamp = None
        self._lock = threading.Lock()
        self.question_vectors = QuestionCache()  # see qa.cache: repeated questions skip the model
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
        from ..ingest.dates import check_index_dates
        from ..errors import IndexMismatchError

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
        :data:`qa.sentence_choice.MAX_CACHED_PASSAGES`.
        """
        self.embedder.encode(["warm up"])
        data = self.data
        self._sentence_chooser(data).prepare(data.passages)
        self._half_precision(data)

    def _sentence_chooser(self, data: store.IndexData) -> SentenceChooser:
        if self._chooser is None or self._chooser[0] is not data:
            self._chooser = (data, SentenceChooser())
        return self._chooser[1]

    def _half_precision(self, data: store.IndexData) -> "HalfPrecisionSearch | None":
        if self._dense is None or self._dense[0] is not data:
            self._dense = (data, HalfPrecisionSearch.of(data.faiss_index))
        return self._dense[1]

    # -- searching -------------------------------------------------------------------
    def encode_question(self, question: str) -> np.ndarray:
        """The question's unit vector; a question asked before is answered from the cache."""
        key = (self.embedder.name, question)
        q = self.question_vectors.get(key)
        if q is None:
            q = self.question_vectors.put(key, self.embedder.encode([question])[0])
        # Same model name, other vectors (a model folder replaced in place): FAISS would
        # abort on the mismatch, so it is caught here with a way out.
        if q.shape[0] != self.data.dimension:
            from ..errors import IndexMismatchError

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
        if data.faiss_index.ntotal == 0 or allowed == set():
            return []
        q = self.encode_question(question)
        # Overlapping passages often share their best sentence: fetch extra, show each sentence once.
        depth = max(HYBRID_DEPTH, k * 3)
        if allowed is not None:  # the filter drops candidates: rank every passage instead
            depth = data.faiss_index.ntotal
        hits: list[Hit] = []
        shown: set[tuple[str, int, int]] = set()
        for pid, score, sentence in self._rank(data, question, q, depth):
            if allowed is not None and data.passage(pid)["doc_id"] not in allowed:
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
        """``(FAISS id, passage cosine, (answering sentence, its score))`` best first: BM25 and
        dense candidates, fused (:mod:`qa.fusion`), plus ``SENTENCE_WEIGHT`` x the score of the
        passage's answering sentence (:func:`choose_sentence`).

        The dense side of a passage is the mean of its own cosine and its best sentence's:
        a passage is shown for the one sentence that answers, and a four-sentence vector
        blurs that sentence. The plain passage cosine is what a hit's ``score`` (shown as
        relevance) is.
        """
        from .fusion import candidates

        if self._row_ids is None or self._row_ids[0] is not data:
            self._row_ids = (data, np.array([p["id"] for p in data.passages], dtype=np.int64))
        half = self._half_precision(data)
        pool = candidates(q, question, data.faiss_index, data.lexical, self._row_ids[1], depth,
                          search=half.search if half is not None else _search)
        passage_cosine = pool.dense.copy()
        pids = pool.ids.tolist()
        passages = [data.passage(pid) for pid in pids]
        # Every candidate sentence's cosine from one matrix product, in passage order
        # (one product per passage cost more than all the ranking arithmetic).
        counts = np.fromiter((len(p["sentence_rows"]) for p in passages), dtype=np.int64, count=len(passages))
        all_rows = np.fromiter((r for p in passages for r in p["sentence_rows"]), dtype=np.int64,
                               count=int(counts.sum()))
        every = data.sentence_vectors[all_rows] @ q
        best_sentence = np.maximum.reduceat(every, np.concatenate(([0], np.cumsum(counts)[:-1]))) if len(every) else every
        pool.dense = 0.5 * (pool.dense + best_sentence.astype(np.float64))
        fused = DEFAULT_FUSION(pool.dense, pool.lexical)
        # The passage is shown for its answering sentence, so how well that sentence answers
        # (qa.sentence_choice: cosine, shared words, a date for "when"...) counts in its rank.
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
        from .compose import answer

        return answer(self, question, history=history, k=k)

    def _hit(self, data, passage: dict, score: float, rank: int, question: str, q: np.ndarray,
             sentence: tuple[int, float]) -> Hit:
        """``sentence`` is the answering sentence's index in the passage and its score, as
        :func:`choose_sentence` gave them when the passage was ranked."""
        doc = data.documents.get(passage["doc_id"], {})
        best, best_score = sentence
        start, end = passage["sentences"][best]
        rows = passage["sentence_rows"]
        cosine = float(data.sentence_vectors[rows[best]] @ q) if rows else score
        return Hit(
            passage_id=passage["passage_id"],
            doc_id=passage["doc_id"],
            text=passage["text"],
            score=score,
            title=doc.get("title", ""),
            publisher=doc.get("publisher", ""),
            published=doc.get("published", ""),
            url=doc.get("url", ""),
            start=passage["start"],
            end=passage["end"],
            highlight=tuple(passage["sentences"][best]),
            published_note=doc.get("published_note", ""),
            rank=rank,
            sentence_score=best_score,
            dates=[d for d in passage.get("dates", [])],
            support=cosine + 0.5 * overlap(question, passage["text"][start:end]),
        )


class HalfPrecisionSearch:
    """The dense candidates of an exact index, found in a float16 copy of its vectors.

    A question scans every passage vector, and on a large index that scan is bound by
    memory: half the bytes take ~0.7 of the time (1.8 against 2.5 ms at 19,000 passages,
    each question after a pause). The float16 top ``depth`` is then scored again with the
    float32 vectors, so the cosines are exact; it holds 0.9998 of the exact top 100 on
    SciFact, the misses being ties at the cut within float16's rounding. Made when an
    index is first searched (~10 ms per 20,000 passages, half the index's memory again);
    small indexes and IVF indexes are searched by FAISS as they are.
    """

    MIN_PASSAGES = 2_000

    def __init__(self, faiss_index, vectors: np.ndarray, ids: np.ndarray):
        import faiss

        self._index = faiss_index  # owns the float32 memory that ``vectors`` views
        self._ntotal = faiss_index.ntotal
        self._vectors = vectors
        self._ids = ids
        self._half = faiss.IndexScalarQuantizer(vectors.shape[1], faiss.ScalarQuantizer.QT_fp16,
                                                faiss.METRIC_INNER_PRODUCT)
        self._half.add(vectors)

    @classmethod
    def of(cls, faiss_index) -> "HalfPrecisionSearch | None":
        """The search for an ``IndexIDMap2`` over ``IndexFlatIP`` of at least MIN_PASSAGES; else None."""
        import faiss

        if not isinstance(faiss_index, faiss.IndexIDMap2) or faiss_index.ntotal < cls.MIN_PASSAGES:
            return None
        flat = faiss.downcast_index(faiss_index.index)
        if not isinstance(flat, faiss.IndexFlatIP):
            return None
        n, d = flat.ntotal, flat.d
        vectors = faiss.rev_swig_ptr(flat.get_xb(), n * d).reshape(n, d)
        return cls(faiss_index, vectors, faiss.vector_to_array(faiss_index.id_map).astype(np.int64))

    def search(self, faiss_index, q: np.ndarray, depth: int):
        """As ``faiss_index.search`` for one question: (scores, ids), each of shape (1, depth)."""
        import faiss

        if faiss_index is not self._index or faiss_index.ntotal != self._ntotal:
            return _search(faiss_index, q, depth)  # another index, or this one changed since
        faiss.omp_set_num_threads(1)  # see _search
        q = np.ascontiguousarray(q, dtype=np.float32)
        _, rows = self._half.search(q[None, :], depth)
        rows = rows[0][rows[0] >= 0]
        scores, ids = self._vectors[rows] @ q, self._ids[rows]
        order = np.lexsort((ids, -scores))
        return scores[order][None, :], ids[order][None, :]


def _search(faiss_index, q: np.ndarray, depth: int):
    """FAISS search, single-threaded. One question's search is microseconds of work, but
    FAISS's OpenMP threads make each call take milliseconds, and tens of them when a busy
    web server's threads compete for the cores. The setting belongs to the calling thread,
    so it is made here, in whichever thread searches."""
    import faiss

    faiss.omp_set_num_threads(1)
    return faiss_index.search(q[None, :].astype(np.float32), depth)


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
    from ..ingest.dates import publication_bound, published_between

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
    from ..store.build import corpus_state
    from ..errors import IndexCorruptError, IndexMismatchError, QAError

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
    import warnings

    from ..store.build import build_index

    report = build_index(corpus_dir=corpus, index_dir=index, wait=True)
    if report.full_rebuild and report.reason != "no index yet":
        warnings.warn(f"rebuilt the index in {index} from {corpus}: {report.reason}", RuntimeWarning, stacklevel=3)
