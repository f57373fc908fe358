"""Default locations and settings; environment variables map onto the same names."""
from __future__ import annotations

import os
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
