"""The corpus folder: every article file in it read into a :class:`~qa.records.Document`
(metadata plus a body cleaned of page furniture), and the files that could not be, with why.

The body is what passages, offsets and citations refer to. How each format is read is
:mod:`qa.ingest.readers`' table.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..errors import CorpusError, DocumentError
from ..records import Document  # noqa: F401  (the record this module produces)
from .parsed import ParsedDocuments
from .cleaning import clean_body  # noqa: F401  (part of reading a document)
from .readers import MAX_BODY_CHARS, MAX_FILE_BYTES, READERS, describe_formats, read_corpus_file, read_document  # noqa: F401


def iter_corpus_files(corpus_dir: str | Path) -> Iterable[Path]:
    """The article files of the corpus, in path order; hidden files and the README are not articles.

    Symbolic links named like articles, links to folders and special files (pipes, sockets)
    are listed too: :func:`~qa.ingest.readers.read_corpus_file` refuses each, so that it is
    reported as skipped with its reason. Linked folders are never entered."""
    corpus = Path(corpus_dir)
    for path in sorted(corpus.rglob("*")):  # rglob does not descend into linked folders
        rel = path.relative_to(corpus)
        if any(part.startswith(".") for part in rel.parts) or rel.name.lower() == "readme.md":
            continue
        if path.is_symlink():
            if path.is_dir() or path.suffix.lower() in READERS:
                yield path
        elif not path.is_dir() and path.suffix.lower() in READERS:
            yield path


def load_corpus(corpus_dir: str | Path, max_bytes: int = MAX_FILE_BYTES, max_chars: int = MAX_BODY_CHARS,
                parsed: ParsedDocuments | None = None) -> tuple[list[Document], list[DocumentError]]:
    """Every readable article in ``corpus_dir`` and, separately, the files skipped with why;
    files whose bytes ``parsed`` holds are not parsed again."""
    corpus = Path(corpus_dir)
    if not corpus.is_dir():
        raise CorpusError(f"corpus folder {corpus} does not exist; create it and put articles ({describe_formats()}) in it")
    documents, problems = [], []
    for path in iter_corpus_files(corpus):
        try:
            documents.append(read_corpus_file(path, corpus, max_bytes=max_bytes, max_chars=max_chars, parsed=parsed))
        except DocumentError as exc:
            problems.append(exc)
    return documents, problems
