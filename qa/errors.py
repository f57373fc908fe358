"""Errors a user can act on. Every message says what to do next."""
import errno


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


class FetchError(QAError):
    """A web address could not be fetched as an article or feed; the message says why."""


class IndexNotFoundError(QAError):
    """No index where one was expected."""


class IndexCorruptError(QAError):
    """The index folder exists but cannot be trusted."""


class IndexMismatchError(QAError):
    """The index was built with another model, dimension or format."""


class IndexLockedError(QAError):
    """Another process is building the index."""


UNCHANGED = "nothing was changed: the corpus and the index are as they were"

# What to do about the write errors a person can fix, by errno.
_WRITE_ADVICE = {
    errno.EFBIG: "the file size limit of this process, `ulimit -f`, is lower than the file; raise it",
    errno.ENOSPC: "the disk is full; free some space",
    errno.EDQUOT: "the disk quota is used up; free some space or raise the quota",
    errno.EROFS: "the folder is on a read-only file system; make it writable or use another folder",
    errno.EACCES: "this process may not write there; check the folder's owner and permissions",
    errno.EPERM: "this process may not write there; check the folder's owner and permissions",
    errno.EIO: "the disk reported an input/output error; check the disk",
}


class StorageError(QAError, OSError):
    """A file of the corpus or the index could not be written; nothing was changed. Also an
    :class:`OSError`, which it was, so that callers catching that still catch it."""

    @classmethod
    def from_os_error(cls, exc: OSError, unchanged: str = UNCHANGED) -> "StorageError":
        """What failed, why, what is left (by default: nothing changed) and what to do.

        >>> str(StorageError.from_os_error(OSError(28, "No space left on device", "index/x.tmp")))
        'could not write index/x.tmp: No space left on device (the disk is full; free some space). Nothing was changed: the corpus and the index are as they were; fix that and try again'
        """
        target = exc.filename or "a file"
        reason = exc.strerror or str(exc) or type(exc).__name__
        advice = _WRITE_ADVICE.get(exc.errno or 0, "find out why the file cannot be written")
        return cls(f"could not write {target}: {reason} ({advice}). {unchanged[0].upper()}{unchanged[1:]}; "
                   "fix that and try again")


class QuestionError(QAError, ValueError):
    """The question cannot be searched (empty, too long, no words)."""


class ModelError(QAError):
    """The embedding model cannot be loaded."""


class VectorStoreError(QAError):
    """The vector store an index names (a Milvus server, a Milvus Lite file) cannot be reached
    or opened; rebuilding the index would not help."""
