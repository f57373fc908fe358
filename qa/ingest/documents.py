"""The corpus folder: every article file in it read into a :class:`~qa.records.Document`
(metadata plus a body cleaned of page furniture), and the files that could not be, with why.

The body is what passages, offsets and citations refer to. How each format is read is
:mod:`qa.ingest.readers`' table.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from ..errors import CorpusError, DocumentError
from ..records import Document  # noqa: F401  (the record this module produces)
from .parsed import ParsedDocuments, stat_key
from .cleaning import clean_body  # noqa: F401  (part of reading a document)
from .readers import (MAX_BODY_CHARS, MAX_FILE_BYTES, READERS, describe_formats, doc_id_of,  # noqa: F401
                      read_corpus_file, read_document)


def iter_corpus_files(corpus_dir: str | Path) -> Iterable[Path]:
    """The article files of the corpus, in path order; hidden files and the README are not articles.

    Symbolic links named like articles, links to folders and special files (pipes, sockets)
    are listed too: :func:`~qa.ingest.readers.read_corpus_file` refuses each, so that it is
    reported as skipped with its reason. Linked folders are never entered."""
    for _, path in _corpus_files(Path(corpus_dir)):
        yield path


def _corpus_files(corpus: Path) -> list[tuple[tuple[str, ...], Path]]:
    """Every article file with its path's parts below ``corpus``, in path order."""
    found: list[tuple[tuple[str, ...], Path]] = []
    _walk(corpus, (), found)
    return sorted(found, key=lambda item: item[0])


def _walk(folder: Path, parts: tuple[str, ...], found: list) -> None:
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if _passed_over(name):
                continue
            path = folder / name
            link, folder_entry = entry.is_symlink(), entry.is_dir()
            if folder_entry and not link:
                _walk(path, (*parts, name), found)
            elif is_listed(name, link, folder_entry):
                found.append(((*parts, name), path))


def _passed_over(name: str) -> bool:
    return name.startswith(".") or name.lower() == "readme.md"  # hidden files and folders; the README


def is_listed(name: str, link: bool, folder: bool) -> bool:
    """Whether a corpus entry other than a folder to enter is one of its article files
    (:func:`iter_corpus_files`): not hidden, not the README, a reader's suffix; a link to a
    folder too, so that it is reported as skipped rather than passed over in silence."""
    if _passed_over(name):
        return False
    return (link and folder) or (not folder and Path(name).suffix.lower() in READERS)


def load_corpus(corpus_dir: str | Path, max_bytes: int = MAX_FILE_BYTES, max_chars: int = MAX_BODY_CHARS,
                parsed: ParsedDocuments | None = None) -> tuple[list[Document], list[DocumentError]]:
    """Every readable article in ``corpus_dir`` and, separately, the files skipped with why;
    files whose bytes ``parsed`` holds are not parsed again, and files whose ``stat`` it
    holds not even read (:mod:`qa.ingest.parsed`)."""
    corpus = Path(corpus_dir)
    if not corpus.is_dir():
        raise CorpusError(f"corpus folder {corpus} does not exist; create it and put articles ({describe_formats()}) in it")
    documents, problems = [], []
    for parts, path in _corpus_files(corpus):
        if parsed is not None:  # a file as it was when last read is taken as read then
            source = "/".join(parts)
            key = parsed.seen[source] = stat_key(path)
            known = parsed.unchanged(source, key) if key is not None and key[0] <= max_bytes else None
            if known is not None and len(known.body) <= max_chars:
                known.doc_id = doc_id_of(source)
                documents.append(known)
                continue
        try:
            documents.append(read_corpus_file(path, corpus, max_bytes=max_bytes, max_chars=max_chars, parsed=parsed))
        except DocumentError as exc:
            problems.append(exc)
    return documents, problems
