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
    """``QA_INDEX_DIR``, else ``index/`` beside the corpus folder."""
    env = os.environ.get("QA_INDEX_DIR")
    if env:
        return Path(env)
    corpus = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
    return corpus.resolve().parent / "index"


def default_model() -> str:
    """``QA_MODEL`` (a sentence-transformers name or path), else all-MiniLM-L6-v2."""
    return os.environ.get("QA_MODEL") or DEFAULT_MODEL


def default_vector_store() -> str:
    """``QA_VECTOR_STORE`` (a store kind, or a URI whose scheme is the kind), else ``faiss``:
    where a new index keeps its passage vectors. An existing index keeps the store its
    manifest names."""
    return os.environ.get("QA_VECTOR_STORE") or "faiss"
