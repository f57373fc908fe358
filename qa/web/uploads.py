"""Adding an uploaded article to the corpus: a safe file name, the checks every new article
passes (:func:`qa.ingest.readers.check_candidate`), and a write that never half-happens.
"""
from __future__ import annotations

import os
import re
import threading
import unicodedata
from pathlib import Path

from ..errors import DocumentError, QAError
from ..ingest.readers import MAX_FILE_BYTES, READERS, check_candidate, describe_formats

# One limit for every new article, whether it comes from `qa add`, an upload or the corpus.
MAX_UPLOAD_BYTES = MAX_FILE_BYTES


class UploadError(QAError):
    """An uploaded file cannot be added to the corpus; the message says why."""


def safe_filename(name: str) -> str:
    """A corpus file name for an uploaded ``name``: its last path part, letters, digits,
    ``.-_`` only, a supported lower-case suffix. Raises :class:`UploadError` otherwise."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name))[-1]
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in READERS:
        raise UploadError(
            f"{base or name!r} is not a {describe_formats()} file (type {suffix or 'none'}); save the article as one of those"
        )
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-_")[:100] or "article"
    if f"{stem}{suffix}".lower() == "readme.md":  # the corpus skips its README
        stem = "readme-article"
    return f"{stem}{suffix}"


def store_upload(upload: Path, corpus_dir: Path, max_bytes: int = MAX_UPLOAD_BYTES, update=None) -> Path:
    """Copy one uploaded file into ``corpus_dir`` after checking it; the stored path.

    Raises :class:`UploadError` (wrong type, too big, not a usable article, a different
    file of that name exists) or :class:`FileExistsError` when the same file is there.
    With ``update`` (a :class:`~qa.store.transaction.CorpusUpdate`) the file is written
    through it, so that a later failure takes it out again.
    """
    name = safe_filename(upload.name)
    try:
        check_candidate(upload, name, max_bytes=max_bytes)
    except DocumentError as exc:
        raise UploadError(f"{name} {exc.reason}") from exc
    data = upload.read_bytes()
    corpus = Path(corpus_dir)
    corpus.mkdir(parents=True, exist_ok=True)
    dest = corpus / name
    if dest.resolve().parent != corpus.resolve():  # pragma: no cover - safe_filename rules it out
        raise UploadError(f"{name}: not a plain file name")
    if os.path.lexists(dest):  # a link or a special file of that name counts as taken, unread
        if dest.is_file() and not dest.is_symlink() and dest.read_bytes() == data:
            raise FileExistsError(f"{name} is already in the corpus; nothing to do")
        raise UploadError(f"the corpus already has a different {name}; rename the file to add it as another article")
    if update is not None:
        return update.put(name, data)
    tmp = corpus / f".upload-{os.getpid()}-{threading.get_ident()}-{name}"
    tmp.write_bytes(data)
    os.replace(tmp, dest)
    return dest


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
