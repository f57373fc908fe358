"""Adding an uploaded article to the corpus, by the way in that every article takes
(:mod:`qa.ingest.adding`): a safe file name, the checks of the reader table, and a write
that never half-happens.
"""
from __future__ import annotations

from pathlib import Path

from ..ingest.adding import AlreadyInCorpus, ArticleRefused, corpus_file_name, store_article
from ..ingest.readers import MAX_FILE_BYTES

# One limit for every new article, whether it comes from `qa add`, an upload or the corpus.
MAX_UPLOAD_BYTES = MAX_FILE_BYTES

# An uploaded file that cannot be added to the corpus: the refusal of every way in.
UploadError = ArticleRefused


def safe_filename(name: str) -> str:
    """A corpus file name for an uploaded ``name`` (:func:`qa.ingest.adding.corpus_file_name`):
    its last path part, letters, digits, ``.-_`` only, a supported lower-case suffix.
    Raises :class:`UploadError` otherwise."""
    return corpus_file_name(name)


def store_upload(upload: Path, corpus_dir: Path, max_bytes: int = MAX_UPLOAD_BYTES, put=None) -> Path:
    """Copy one uploaded file into ``corpus_dir`` after checking it; the stored path.

    Raises :class:`UploadError` (wrong type, too big, not a usable article, a different
    file of that name exists) or :class:`FileExistsError` when the same file is there.
    ``put`` writes the file when given (``CorpusUpdate.put`` of :mod:`qa.store.transaction`,
    which takes it out again if the index update then fails).
    """
    name = safe_filename(upload.name)
    try:
        size = upload.stat().st_size
    except OSError as exc:
        raise UploadError(f"{name}: the upload cannot be read ({exc.strerror})") from exc
    if size > max_bytes:  # refused before a huge upload is read into memory
        raise UploadError(f"{name} is {size / 1e6:.1f} MB; articles up to {max_bytes // (1024 * 1024)} MB are accepted")
    try:
        return store_article(name, upload.read_bytes(), corpus_dir, max_bytes=max_bytes, put=put)
    except AlreadyInCorpus as exc:
        raise FileExistsError(str(exc)) from exc


def delete_uploaded(paths) -> None:
    """Delete Gradio's copies of uploaded files once they are stored or refused (and their
    folders, once empty). Paths outside Gradio's upload folder are never touched."""
    from gradio.utils import get_upload_folder

    root = Path(get_upload_folder()).resolve()
    for name in paths or []:
        if not name:
            continue
        path = Path(name).resolve()
        if root not in path.parents or path.is_dir():
            continue
        path.unlink(missing_ok=True)
        folder = path.parent
        while folder != root and root in folder.parents:
            try:
                folder.rmdir()  # only when empty: another upload may share it
            except OSError:
                break
            folder = folder.parent
