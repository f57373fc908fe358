"""Loading an index again after an update, taking what did not change from the index loaded
before.

A server holds its index in memory and loads it again when ``manifest.json`` changes
(:class:`qa.store.handle.IndexHandle`). After an addition, only the new segment, the new
articles' file and the vectors have changed: the segments before it, and the articles of
unchanged files, are the same files with the same rows, already read and checked. So a
reload (:func:`qa.store.index_files.load_index` given the index loaded before) reads the
files it does not hold yet, and takes the rest from the previous load: an article added to
20,000 no longer costs the server a load of all 20,000. The vector store is copied in
memory and given the added vectors (the previous one may be searched by a question still
running), or, when it cannot be (Milvus, a rewritten FAISS file), read again.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from ..records import IndexedDocument, Passage
from .added_vectors import added_keys
from .document_files import document_key
from .segments import Segment, segment_keys


def known_documents(previous) -> Callable[[dict], dict[int, dict[str, IndexedDocument]]]:
    """For :func:`qa.store.manifest.read_manifest`: by generation, the articles of
    ``previous`` (an :class:`~qa.store.index_files.IndexData` as loaded) held in a file that
    the new manifest keeps unchanged, in the file's order."""
    def known(manifest: dict) -> dict[int, dict[str, IndexedDocument]]:
        same = unchanged_files(previous, manifest["files"])
        kept = {int(g) for g in manifest["documents"] if document_key(int(g)) in same}
        by_file: dict[int, dict[str, IndexedDocument]] = {g: {} for g in kept}
        for doc_id, document in previous.documents.items():
            generation = previous.document_generations.get(doc_id)
            if generation in kept:
                by_file[generation][doc_id] = document
        return by_file
    return known


def unchanged_files(previous, files: dict[str, dict]) -> set[str]:
    """The manifest keys whose files ``previous`` read and checked already (same name, size
    and sha256): not hashed again."""
    return {key for key, entry in files.items() if previous.files.get(key) == entry}


def reusable_segments(previous, records: list[dict], files: dict[str, dict], index_dir: Path) -> int:
    """How many of the segments a new manifest lists (``records``), from the first, are
    those ``previous`` holds: the same files, rows and dead rows."""
    count = 0
    for record, segment, live in zip(records, previous.segments, previous.lexical.live if previous.lexical else []):
        if (segment.generation != record["generation"] or segment.folder != Path(index_dir).resolve()
                or segment.sentence_start != record["sentence_start"] or segment.sentences != record["sentences"]
                or any(previous.files.get(key) != files.get(key) for key in segment_keys(segment.generation).values())
                or np.flatnonzero(~live).tolist() != record["dead"]):
            break
        count += 1
    return count


def reused_segments(previous, count: int) -> tuple[list[Passage], np.ndarray, list[Segment], list[np.ndarray]]:
    """The first ``count`` segments of ``previous``: their live passages, their sentence
    vectors, the segments and their live rows (what :func:`qa.store.segments.read_segments`
    gives for them)."""
    live = list(previous.lexical.live[:count])
    segments = previous.segments[:count]
    end = segments[-1].sentence_start + segments[-1].sentences if segments else 0
    return previous.passages[:sum(int(mask.sum()) for mask in live)], previous.sentence_vectors[:end], segments, live


def copied_store(previous, files: dict[str, dict]):
    """A copy of ``previous``'s vector store when the new manifest keeps its file (the
    vectors added since are added to the copy: :func:`add_new`); else None: read it."""
    copy = getattr(previous.vector_store, "copy", None)
    if copy is None or previous.files.get("vectors") != files.get("vectors"):
        return None
    return copy()


def new_added_keys(previous, files: dict[str, dict]) -> list[str]:
    """The files of added vectors that ``previous`` did not read (one an addition wrote, or
    one that took in earlier ones, whose vectors the copy holds already), oldest first."""
    return [key for key in added_keys(files) if key not in previous.files]


def add_new(store, ids: np.ndarray, vectors: np.ndarray) -> None:
    """Add to ``store`` the vectors of ``ids`` it does not hold yet."""
    fresh = ~np.isin(ids, store.ids())
    store.add(ids[fresh], vectors[fresh])
