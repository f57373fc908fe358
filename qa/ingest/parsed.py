"""Articles as they were read last time, so that an unchanged file is not parsed again.

A build keeps, beside its index, every document it read (``parsed.json``): its file, the
sha256 of the file's bytes and what the reader made of them. The next build still reads
each file's bytes (hashing is cheap), but a file whose path and sha256 match, read by the
same version of the readers, is taken from here instead of being parsed: a corpus of PDFs
is not parsed again on every build. It is only a cache: one that is missing, damaged or
written by other readers is ignored, and the corpus is read in full.
"""
from __future__ import annotations

import copy
import json
from dataclasses import fields
from pathlib import Path

from ..files import write_atomic
from ..records import Document

FILE_NAME = "parsed.json"
# What the cache keeps of a document: what the readers set (the syndicated copies are
# found again by each build).
_KEPT = [f.name for f in fields(Document) if f.name != "also_published"]


class ParsedDocuments:
    """Documents read before, by (file relative to the corpus, sha256 of its bytes)."""

    def __init__(self, documents: list[Document] | None = None):
        self._documents = {(doc.source, doc.sha256): doc for doc in documents or []}

    def __len__(self) -> int:
        return len(self._documents)

    def holds_exactly(self, documents: list[Document]) -> bool:
        """Whether this cache is already what :meth:`save` would write for ``documents``: a
        build that parsed nothing and lost no file need not write it again."""
        return {(doc.source, doc.sha256) for doc in documents} == set(self._documents)

    def get(self, source: str, sha256: str) -> Document | None:
        """The document read from this file with these bytes, or None (read it)."""
        kept = self._documents.get((source, sha256))
        return copy.deepcopy(kept) if kept is not None else None

    @classmethod
    def load(cls, index_dir: str | Path, readers: int) -> "ParsedDocuments":
        """The cache of ``index_dir`` if the same readers' version (``readers``) wrote it; else empty."""
        try:
            saved = json.loads((Path(index_dir) / FILE_NAME).read_text(encoding="utf-8"))
            if saved.get("readers") != readers:
                return cls()
            return cls([_document(d) for d in saved["documents"]])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls()

    @staticmethod
    def save(index_dir: str | Path, documents: list[Document], readers: int) -> None:
        """Keep ``documents`` (those of the corpus just indexed) for the next build. A document
        whose fields do not come back from JSON as they are (a date object in its front
        matter) is left out: it is parsed each time, never read back changed."""
        kept = []
        for doc in documents:
            values = {name: getattr(doc, name) for name in _KEPT}
            values["pages"] = [list(page) for page in values["pages"]]
            try:
                if json.loads(json.dumps(values, ensure_ascii=False)) == values:
                    kept.append(values)
            except (TypeError, ValueError):
                continue
        text = json.dumps({"readers": readers, "documents": kept}, ensure_ascii=False)
        write_atomic(Path(index_dir) / FILE_NAME, lambda fh: fh.write(text.encode("utf-8")))


def _document(saved: dict) -> Document:
    values = {name: saved[name] for name in _KEPT}
    values["pages"] = [tuple(page) for page in values["pages"]]
    return Document(**values)
