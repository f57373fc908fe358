"""Question answering over news articles: cited passages, no LLM.

The public API, as the README shows it::

    import qa
    report = qa.build_index(corpus_dir="corpus", index_dir="index")
    hits = qa.Retriever(index_dir="index").retrieve("when was the improvement notice closed?", k=5)
    hits = qa.retrieve("when was the improvement notice closed?")   # default index, updated if stale

Heavy libraries (FAISS, torch) load on first use, never on ``import qa``.
"""
from __future__ import annotations

from .errors import (
    CorpusError,
    DocumentError,
    IndexCorruptError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    ModelError,
    QAError,
    QuestionError,
)
from .records import DateMention, IndexedDocument, Passage, Source

__version__ = "0.1.0"

_LAZY = {
    "build_index": ("store.build", "build_index"),
    "BuildReport": ("store.build", "BuildReport"),
    "Retriever": ("answer.retriever", "Retriever"),
    "Hit": ("records", "Hit"),
    "retrieve": ("answer.retriever", "retrieve"),
    "Answer": ("answer.compose", "Answer"),
    "Document": ("records", "Document"),
    "load_corpus": ("ingest.documents", "load_corpus"),
    "read_document": ("ingest.readers", "read_document"),
    "get_embedder": ("embedding.embedder", "get_embedder"),
    "timeline": ("chronology.timeline", "timeline"),
    "TimelineEntry": ("chronology.timeline", "TimelineEntry"),
    "events": ("chronology.events", "events"),
    "Event": ("chronology.events", "Event"),
}

__all__ = sorted(list(_LAZY) + [
    "QAError", "CorpusError", "DocumentError", "IndexCorruptError", "IndexLockedError",
    "IndexMismatchError", "IndexNotFoundError", "ModelError", "QuestionError", "DateMention", "IndexedDocument",
    "Passage", "Source",
])


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
