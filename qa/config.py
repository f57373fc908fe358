"""Default locations and settings; environment variables map onto the same names."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "all-MiniLM-L6-v2"


def default_corpus_dir() -> Path:
    """``QA_CORPUS_DIR``, else ``./corpus`` if it exists, else the project's own corpus."""
    env = os.environ.get("QA_CORPUS_DIR")
    if env:
        return Path(env)
    local = Path("corpus")
    if local.is_dir():
        return local
    return PROJECT_ROOT / "corpus"


def default_index_dir(corpus_dir: str | os.PathLike | None = None) -> Path:
    """``QA_INDEX_DIR``, else the corpus's own index (:func:`corpus_index_dir`)."""
    env = os.environ.get("QA_INDEX_DIR")
    if env:
        return Path(env)
    return corpus_index_dir(corpus_dir if corpus_dir is not None else default_corpus_dir())


def corpus_index_dir(corpus_dir: str | os.PathLike) -> Path:
    """Where a corpus folder's index goes unless told otherwise: ``index/`` beside a folder
    named ``corpus`` (the project's own layout), ``DIR-index`` beside any other folder
    ``DIR``, so that two corpora in one folder never share an index.

    >>> corpus_index_dir("/news/articles").as_posix(), corpus_index_dir("/work/qa/corpus").as_posix()
    ('/news/articles-index', '/work/qa/index')
    """
    corpus = Path(os.path.abspath(corpus_dir))
    if corpus.name == "corpus":
        return corpus.parent / "index"
    return corpus.parent / f"{corpus.name or 'corpus'}-index"


def corpus_of_index(index_dir: str | os.PathLike) -> Path | None:
    """The corpus folder whose own index ``index_dir`` is (:func:`corpus_index_dir`), when
    that folder exists; None otherwise."""
    index = Path(os.path.abspath(index_dir))
    name = "corpus" if index.name == "index" else index.name.removesuffix("-index")
    corpus = index.parent / name
    return corpus if name != index.name and corpus.is_dir() else None


def missing_index_message(index_dir: str | os.PathLike, corpus_dir: str | os.PathLike | None = None) -> str:
    """What to say when ``index_dir`` holds no index: the command that builds that one."""
    return f"no index in {index_dir}; build it with `{index_command(index_dir, corpus_dir)}`"


def index_command(index_dir: str | os.PathLike, corpus_dir: str | os.PathLike | None = None) -> str:
    """The ``qa index`` command that builds the index in ``index_dir`` from ``corpus_dir``
    (given, or the corpus whose own index it is): only the options the defaults do not
    already give.

    >>> index_command("/news/noindex")
    'qa index --index /news/noindex'
    """
    import shlex

    corpus = Path(corpus_dir) if corpus_dir is not None else corpus_of_index(index_dir)
    words = ["qa", "index"]
    if corpus is not None and os.path.abspath(corpus) != os.path.abspath(default_corpus_dir()):
        words += ["--corpus", shlex.quote(str(corpus))]
    if os.path.abspath(index_dir) != os.path.abspath(default_index_dir(corpus)):
        words += ["--index", shlex.quote(str(index_dir))]
    return " ".join(words)


def default_model() -> str:
    """``QA_MODEL`` (a sentence-transformers name or path), else all-MiniLM-L6-v2."""
    return os.environ.get("QA_MODEL") or DEFAULT_MODEL


def default_vector_store() -> str:
    """``QA_VECTOR_STORE`` (a store kind, or a URI whose scheme is the kind), else ``faiss``:
    where a new index keeps its passage vectors. An existing index keeps the store its
    manifest names."""
    return os.environ.get("QA_VECTOR_STORE") or "faiss"


@dataclass(frozen=True)
class AnswerSettings:
    """How questions are answered, in one place: passed to :class:`qa.Retriever`, written
    into each ``qa eval`` report. The weights and the abstention threshold are not here:
    they are fitted (``qa train``) and read from ``answer_model.json`` in the reader's folder.

    ``hybrid_depth``: candidates taken from each of the dense and BM25 rankings;
    ``dense_weight``: the dense side's weight in the fused passage score (the rest is BM25's,
    divided by the best candidate's; chosen on SciFact's training queries);
    ``name_articles``: how many of the best candidates' articles are read to tell which of a
    question's words are names (:mod:`qa.answer.asked`);
    ``reader_candidates``: the distinct sentences the reader reads per question, the first
    stage's best (4 of 12, 8, 4 on newsqa-dev's tune half: as many right, fewer wrong, a
    third of the reader's time; experiments/reader/README.md);
    ``reader_dir``: the reader's folder (default: the one shipped in ``qa/reader/model``);
    ``threshold``: the answer probability needed to answer, when not the fitted one;
    ``name_free_twin``: the question is embedded with its names left out too, one batch,
    and each sentence's cosine with that twin is a signal (off: the question's own cosine in
    its place, one text embedded; an answer model must be fitted the same way).
    """

    hybrid_depth: int = 100
    dense_weight: float = 0.7
    name_articles: int = 20
    reader_candidates: int = 4
    reader_dir: str | None = None
    threshold: float | None = None
    name_free_twin: bool = True

    def __post_init__(self):
        if self.hybrid_depth < 1 or self.reader_candidates < 1 or self.name_articles < 1:
            raise ValueError("hybrid_depth, name_articles and reader_candidates must be positive")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ValueError(f"dense_weight must lie between 0 and 1, not {self.dense_weight}")
        if self.threshold is not None and not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"the answer threshold is a probability, between 0 and 1, not {self.threshold}")

    @classmethod
    def from_env(cls) -> "AnswerSettings":
        """The defaults, with ``QA_READER_DIR``, ``QA_READER_CANDIDATES`` and
        ``QA_ANSWER_THRESHOLD`` where they are set."""
        env = os.environ
        try:
            return cls(reader_dir=env.get("QA_READER_DIR") or None,
                       reader_candidates=int(env.get("QA_READER_CANDIDATES") or cls.reader_candidates),
                       threshold=float(env["QA_ANSWER_THRESHOLD"]) if env.get("QA_ANSWER_THRESHOLD") else None)
        except ValueError as exc:
            raise ValueError(f"QA_READER_CANDIDATES must be a whole number and QA_ANSWER_THRESHOLD a probability "
                             f"({exc})") from exc

    def reader_folder(self) -> Path:
        return Path(self.reader_dir) if self.reader_dir else PROJECT_ROOT / "qa" / "reader" / "model"

    def answer_model_path(self, embedding_model: str | None = None) -> Path:
        """The answer model fitted for ``embedding_model`` (its cosines are signals):
        ``answer_model-<name>.json`` when one was fitted for it (``qa train --fit-only
        --model NAME``), else ``answer_model.json``, fitted for the default model."""
        own = self.fitted_model_path(embedding_model)
        return own if own.is_file() else self.reader_folder() / "answer_model.json"

    def fitted_model_path(self, embedding_model: str | None = None) -> Path:
        """Where ``qa train`` writes the answer model it fits for ``embedding_model``."""
        name = (embedding_model or DEFAULT_MODEL).rsplit("/", 1)[-1]
        if name.lower() == DEFAULT_MODEL.lower():
            return self.reader_folder() / "answer_model.json"
        slug = "".join(c if c.isalnum() or c in "-." else "-" for c in name)
        return self.reader_folder() / f"answer_model-{slug}.json"

    def describe(self) -> str:
        threshold = "fitted" if self.threshold is None else f"{self.threshold:g}"
        return (f"hybrid depth {self.hybrid_depth}, dense weight {self.dense_weight:g}, reader reads "
                f"{self.reader_candidates} sentences ({self.reader_folder()}), answer threshold {threshold}"
                + ("" if self.name_free_twin else ", no name-free twin"))
