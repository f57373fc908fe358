"""Errors a user can act on. Every message says what to do next."""


class QAError(Exception):
    """Base class for every error the assistant raises on purpose."""


class CorpusError(QAError):
    """The corpus folder or a document in it cannot be used."""


class DocumentError(CorpusError):
    """One document cannot be read; the message names the file and the reason."""

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class IndexNotFoundError(QAError):
    """No index where one was expected."""


class IndexCorruptError(QAError):
    """The index folder exists but cannot be trusted."""


class IndexMismatchError(QAError):
    """The index was built with another model, dimension or format."""


class IndexLockedError(QAError):
    """Another process is building the index."""


class QuestionError(QAError, ValueError):
    """The question cannot be searched (empty, too long, no words)."""


class ModelError(QAError):
    """The embedding model cannot be loaded."""


class VectorStoreError(QAError):
    """The vector store an index names (a Milvus server, a Milvus Lite file) cannot be reached
    or opened; rebuilding the index would not help."""
