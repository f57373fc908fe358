"""The index folder: passage vectors, the passage table, sentence vectors and ``manifest.json``.

Layout of ``index/``::

    manifest.json          what is in the index and which files hold it (written last)
    vectors-<gen>.faiss    passage vectors in the store the manifest's "store" names (qa.store.
                           faiss_store: exact up to 100,000 passages, IVF beyond), or
                           vectors-<gen>.milvus.json naming a Milvus collection (milvus_store)
    vectors-<gen>.added.npy  vectors additions brought since the FAISS file was written
                           (qa.store.added_vectors)
    documents-<gen>.jsonl  the articles, one qa.records.IndexedDocument a line, and their ids'
                           hashes in documents-<gen>.ids.npy; the manifest names each
                           generation's file and its count (qa.store.document_files)
    passages-<gen>.jsonl   one qa.records.Passage per line: ids, offsets, text, sentences, dates
    sentences-<gen>.npy    one unit vector per sentence, for choosing the answering sentence
    lexical-<gen>.*        BM25 statistics of those passages (qa.store.lexical: JSON and .npy files)
    shingles-<gen>.npy     their articles' hashed word shingles, for finding syndicated copies,
                           each article's count of them in shingles-<gen>.counts.npy and the
                           articles' ids in shingles-<gen>.owners.json

Passages, sentence vectors and BM25 are kept in segments (:mod:`qa.store.segments`): a
save writes the segment of its new passages only, and the manifest lists every segment
with the rows of removed passages it holds. Adding one article to 5,000 writes that
article's passages, entry and vectors, not the corpus's (:func:`save_added`, which reads
no other article either, but for the newest segments when it merges them).

Every save writes its new files beside the old ones and then replaces
``manifest.json`` in one atomic rename. Until that rename the old manifest still names
the old files, so a crash at any moment leaves the previous index loadable. A store that
lives outside the folder (Milvus) keeps the same promise with rows tagged by write number,
and finishes its deletions after the rename (``VectorStore.after_commit``).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..errors import IndexCorruptError, IndexMismatchError, VectorStoreError
from ..records import IndexedDocument, Passage
from ..files import file_sha256, held_lock
from . import reload
from .lexical import LexicalIndex
from .manifest import (FORMAT, FORMAT_CHANGES, FORMAT_VERSION, MANIFEST, REBUILD_ADVICE,  # noqa: F401  (this API)
                       commit_manifest as _commit_manifest, library_versions, read_manifest, read_manifest_header,
                       read_manifest_quietly)
from .added_vectors import NewVectors, added_key, added_keys, read_added
from .document_files import document_key, ids_key, write_documents
from .segments import Segment, file_entry, read_segments, segment_keys, write_segment, write_segments
from .open_store import load_vector_store, open_vector_store
from .vectors import DEFAULT_KIND, FILE_SUFFIXES as VECTOR_FILE_SUFFIXES, VectorStore

LOCK = ".lock"


@dataclass
class IndexData:
    """An index in memory. ``passages`` line up with the vector store's ids through ``id``;
    ``documents`` are the indexed articles by document id."""

    model: str
    dimension: int
    vector_store: VectorStore
    passages: list[Passage]
    sentence_vectors: np.ndarray
    documents: dict[str, IndexedDocument] = field(default_factory=dict)
    next_id: int = 0
    generation: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. splitter settings
    lexical: LexicalIndex | None = None  # row i = passages[i]; made by each save
    segments: list["Segment"] = field(default_factory=list)  # as last saved or loaded
    new_shingles: dict[str, np.ndarray] = field(default_factory=dict)  # of articles added since: for the next segment
    files: dict[str, dict] = field(default_factory=dict)  # the manifest's data files, as loaded (qa.store.reload)
    document_generations: dict[str, int] = field(default_factory=dict)  # each article's file, as loaded
    _by_id: dict[int, Passage] | None = None

    @classmethod
    def empty(cls, model: str, dimension: int, store: str = DEFAULT_KIND, replaces: VectorStore | None = None,
              **extra) -> "IndexData":
        return cls(
            model=model,
            dimension=dimension,
            vector_store=open_vector_store(store, dimension, replaces=replaces),
            passages=[],
            sentence_vectors=np.zeros((0, dimension), dtype=np.float32),
            extra=dict(extra),
        )

    def passage(self, vector_id: int) -> Passage:
        if self._by_id is None:
            self._by_id = {p.id: p for p in self.passages}
        return self._by_id[int(vector_id)]

    def invalidate(self) -> None:
        self._by_id = None


# --- locking ----------------------------------------------------------------------------

@contextlib.contextmanager
def build_lock(index_dir: str | Path, wait: bool | float = False) -> Iterator[None]:
    """Hold ``index/.lock``: two builds never write one index at once. ``wait``: True, or seconds."""
    with held_lock(Path(index_dir) / LOCK, -1 if wait is True else float(wait),
                   f"another `qa index` is updating {index_dir}; wait for it to finish and try again"):
        yield


# --- saving -----------------------------------------------------------------------------

def save_index(data: IndexData, index_dir: str | Path) -> Path:
    """Write ``data`` as a new generation and switch ``manifest.json`` to it atomically.

    If anything fails before the switch (a full disk, a file size limit), this generation's
    files are deleted again: the folder holds the previous index and nothing else."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    previous = read_manifest_header(index_dir)
    generation = max(data.generation, previous.get("generation", 0) if previous else 0) + 1
    _commit_generation(data, index_dir, generation, lambda: _write_generation(data, index_dir, generation, previous))
    return index_dir / MANIFEST


def _commit_generation(data: IndexData, index_dir: Path, generation: int, write) -> None:
    """Run ``write``, which writes generation ``generation``'s files and then the manifest
    naming them, and returns their names by key; then delete the files of other
    generations. If ``write`` fails before the manifest switch, this generation's files are
    deleted again."""
    try:
        names = write()
    except BaseException:
        current = read_manifest_header(index_dir)
        if current is None or current.get("generation") != generation:
            _remove_generation(index_dir, generation)
        # else: interrupted just after the switch, and these files are the index now
        raise
    data.generation = generation
    _remove_unreferenced(index_dir, set(names.values()))
    data.vector_store.after_commit()


def _write_generation(data: IndexData, index_dir: Path, generation: int, previous: dict | None) -> dict[str, str]:
    """Write generation ``generation``'s data files, then the manifest naming them; the
    names of every file the manifest names, by key."""
    # Segments are kept only where they were loaded from, and only if no other save came since.
    same = previous is not None and previous.get("generation") == data.generation
    segments, live = write_segments(data, index_dir, generation, keep_saved=same)
    vectors = f"vectors-{generation}{VECTOR_FILE_SUFFIXES[data.vector_store.kind]}"
    data.vector_store.save(index_dir / vectors)
    files = {"vectors": file_entry(index_dir, vectors)}
    files.update({key: file_entry(index_dir, name)
                  for key, name in write_documents(index_dir, generation, data.documents).items()})
    for segment in segments:
        files.update(segment.files)
    now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generation": generation,
        "created": (previous or {}).get("created", now) if previous else now,
        "updated": now,
        "model": {"name": data.model, "dimension": data.dimension, "normalized": True},
        "store": data.vector_store.describe(),
        "libraries": library_versions(),
        "next_id": data.next_id,
        "counts": {
            "documents": len(data.documents),
            "passages": len(data.passages),
            "sentences": int(data.sentence_vectors.shape[0]),
        },
        "files": files,
        "segments": [segment.record(mask) for segment, mask in zip(segments, live)],
        "documents": {str(generation): len(data.documents)} if data.documents else {},
        **data.extra,
    }
    _commit_manifest(index_dir, manifest)
    data.segments = segments
    data.lexical = LexicalIndex([segment.lexical for segment in segments], live)
    return {key: entry["name"] for key, entry in files.items()}


def save_added(data: IndexData, index_dir: str | Path, previous: dict, keep: int, added: int,
               taken_in: set[int]) -> None:
    """Add the articles of ``data`` to the index whose manifest is ``previous`` (as
    :func:`read_manifest_header` gives it) as one new segment: ``data`` holds only what was
    added (its passages, their sentence vectors numbered after the index's, its documents)
    and the store its vectors went to (:func:`qa.store.open_store.store_for_adding`). With
    ``keep`` less than the index's segments, the segments after the first ``keep`` are
    merged into the new one: ``data`` then holds their live passages and sentence vectors
    first (:func:`qa.store.segments.read_to_merge`), and ``added`` passages of its own.
    ``taken_in``: the generations whose articles' files ``data.documents`` holds as well
    (:func:`qa.store.document_files.take_in_newest`); the manifest drops those files.
    No other file of the index is read or written again. The same crash safety as
    :func:`save_index`: files first, then the manifest in one rename."""
    index_dir = Path(index_dir)
    generation = previous["generation"] + 1
    _commit_generation(data, index_dir, generation,
                       lambda: _write_added(data, index_dir, generation, previous, keep, added, taken_in))
    data.new_shingles = {}


def _write_added(data: IndexData, index_dir: Path, generation: int, previous: dict, keep: int,
                 added: int, taken_in: set[int]) -> dict[str, str]:
    """Write the new segment, the new articles and the new vectors (in a file of their own
    when ``data.vector_store`` collected them: :mod:`qa.store.added_vectors`; else the
    store, FAISS written whole), then the manifest naming them beside ``previous``'s files
    (less those of the segments merged); the names of every file the manifest names, by key."""
    records = previous["segments"]
    start = (records[keep]["sentence_start"] if keep < len(records)
             else records[-1]["sentence_start"] + records[-1]["sentences"] if records else 0)
    segment = write_segment(data.passages, data.sentence_vectors, data.new_shingles, index_dir, generation, start)
    merged = {key for record in records[keep:] for key in segment_keys(record["generation"]).values()}
    files = {key: entry for key, entry in previous["files"].items() if key not in merged}
    counts = previous.get("counts") or {}
    passages = counts.get("passages", 0) + added
    if isinstance(data.vector_store, NewVectors):
        files = {key: entry for key, entry in files.items() if key not in data.vector_store.replaces}
        files[added_key(generation)] = file_entry(index_dir, data.vector_store.write(index_dir, generation))
        store = {**previous["store"], "ntotal": passages}
    else:  # a store outside the folder (Milvus), which never leaves added vectors in files
        vectors = f"vectors-{generation}{VECTOR_FILE_SUFFIXES[data.vector_store.kind]}"
        data.vector_store.save(index_dir / vectors)
        files = {key: entry for key, entry in files.items() if key not in added_keys(files)}
        files["vectors"] = file_entry(index_dir, vectors)
        store = data.vector_store.describe()
    files.update({key: file_entry(index_dir, name)
                  for key, name in write_documents(index_dir, generation, data.documents).items()})
    files.update(segment.files)
    for emptied in taken_in:  # their articles are in this generation's file now
        del files[document_key(emptied)], files[ids_key(emptied)]
    documents = {g: n for g, n in previous["documents"].items() if int(g) not in taken_in}
    documents[str(generation)] = len(data.documents)
    manifest = {**previous, **data.extra}
    manifest.update({
        "generation": generation,
        "updated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "store": store,
        "libraries": library_versions(),
        "next_id": data.next_id,
        "counts": {"documents": sum(documents.values()),
                   "passages": passages,
                   "sentences": start + int(data.sentence_vectors.shape[0])},
        "files": files,
        "segments": [*records[:keep], segment.record(np.ones(len(data.passages), dtype=bool))],
        "documents": documents,
    })
    _commit_manifest(index_dir, manifest)
    return {key: entry["name"] for key, entry in files.items()}


def _remove_generation(index_dir: Path, generation: int) -> None:
    """Delete generation ``generation``'s data files, whole or half-written (``*.tmp``)."""
    for path in index_dir.iterdir():
        stem, _, rest = path.name.partition("-")
        if stem in _DATA_STEMS and rest.split(".", 1)[0] == str(generation) and not path.is_symlink():
            with contextlib.suppress(OSError):
                path.unlink()


_DATA_STEMS = ("vectors", "passages", "sentences", "lexical", "shingles", "documents")


def _remove_unreferenced(index_dir: Path, keep: set[str]) -> None:
    """Delete data files of other generations and any half-written ``*.tmp`` file."""
    for path in index_dir.iterdir():
        stem = path.name.split("-", 1)[0]
        ours = stem in _DATA_STEMS or path.name == MANIFEST + ".tmp"
        if ours and path.name not in keep and not path.is_symlink() and path.is_file():
            with contextlib.suppress(OSError):
                path.unlink()


def remove_unreferenced_files(index_dir: str | Path) -> None:
    """Delete the data files the manifest does not name (left by a killed or failed build);
    hold :func:`build_lock`, as a running build's files are not named yet. Without a
    readable manifest nothing is deleted: a rebuild then starts over."""
    manifest = read_manifest_header(Path(index_dir))
    if manifest is not None:
        _remove_unreferenced(Path(index_dir), {entry["name"] for entry in manifest["files"].values()})


# --- loading ----------------------------------------------------------------------------

def _checked_file(index_dir: Path, manifest: dict, key: str, verify: bool) -> Path:
    """The path of data file ``key``, after checking its size (and sha256) against the manifest."""
    entry = manifest["files"].get(key)
    if not entry:
        raise IndexCorruptError(f"{index_dir / MANIFEST} names no {key} file; {REBUILD_ADVICE}")
    path = index_dir / entry["name"]
    if not path.is_file():
        raise IndexCorruptError(f"{path} is missing; {REBUILD_ADVICE}")
    if path.stat().st_size != entry["bytes"] or (verify and file_sha256(path) != entry["sha256"]):
        raise IndexCorruptError(f"{path} is truncated or changed since it was written; {REBUILD_ADVICE}")
    return path


def load_index(index_dir: str | Path, verify: bool = True, previous: IndexData | None = None) -> IndexData:
    """Load the current generation, checking every file against the manifest. ``previous``:
    the index as loaded before from this folder; what the new manifest keeps of it is taken
    from there, not read again (:mod:`qa.store.reload`)."""
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir, reload.known_documents(previous) if previous else None)
    same = reload.unchanged_files(previous, manifest["files"]) if previous else set()

    def checked(key: str) -> Path:  # a file read before, and not read again now, is not hashed again
        return _checked_file(index_dir, manifest, key, verify and key not in same)

    copied = reload.copied_store(previous, manifest["files"]) if previous else None
    vectors_path = _checked_file(index_dir, manifest, "vectors", verify and copied is None)
    reused = reload.reusable_segments(previous, manifest["segments"], manifest["files"], index_dir) if previous else 0
    segment_paths = [{role: checked(key) for role, key in segment_keys(record["generation"]).items()}
                     for record in manifest["segments"][reused:]]
    added_paths = [_checked_file(index_dir, manifest, key, verify) for key in (
        added_keys(manifest["files"]) if copied is None else reload.new_added_keys(previous, manifest["files"]))]
    for generation in sorted(set(manifest["document_generations"].values())):  # the articles, read already: checked
        checked(document_key(generation)), checked(ids_key(generation))
    model = manifest["model"]
    dimension = int(model.get("dimension", 0))
    try:
        # An index written before the manifest named its store holds FAISS vectors.
        vector_store = copied or load_vector_store(manifest.get("store"), vectors_path)
        for path in added_paths:  # what updates added since the store's file was written, oldest first
            ids, vectors = read_added(path, dimension)
            if copied is None:
                vector_store.add(ids, vectors)
            else:  # the copy holds those of the files this one took in
                reload.add_new(vector_store, ids, vectors)
        passages, sentence_vectors, segments, live = reload.reused_segments(previous, reused) if reused else (
            [], np.zeros((0, dimension), dtype=np.float32), [], [])
        more_passages, more_vectors, more_segments, more_live = read_segments(
            index_dir, manifest["segments"][reused:], segment_paths, manifest["files"], dimension,
            start=len(sentence_vectors))
        passages, segments, live = passages + more_passages, segments + more_segments, live + more_live
        sentence_vectors = np.concatenate([sentence_vectors, more_vectors]) if reused else more_vectors
    except (IndexMismatchError, IndexCorruptError, VectorStoreError):
        raise  # they say what is wrong and what to do; a server out of reach is no corruption
    except ValueError as exc:
        raise IndexCorruptError(f"{index_dir}: {exc}; {REBUILD_ADVICE}") from exc
    except Exception as exc:
        raise IndexCorruptError(f"{index_dir} cannot be loaded ({type(exc).__name__}: {exc}); {REBUILD_ADVICE}") from exc
    if vector_store.dimension != dimension:
        raise IndexCorruptError(f"{index_dir}: vector dimensions disagree with the manifest ({dimension}); {REBUILD_ADVICE}")
    if len(vector_store) != len(passages):
        raise IndexCorruptError(
            f"{index_dir}: the vector store holds {len(vector_store)} vectors but the passage table {len(passages)}; "
            f"{REBUILD_ADVICE}"
        )
    count = sentence_vectors.shape[0]
    if any(r >= count for p in passages for r in p.sentence_rows):
        raise IndexCorruptError(f"{index_dir}: passages point past the sentence vectors; {REBUILD_ADVICE}")
    problem = _passage_table_problem(vector_store, passages, manifest["documents"])
    if problem:
        raise IndexCorruptError(f"{index_dir}: {problem}; {REBUILD_ADVICE}")
    known = {"format", "format_version", "generation", "created", "updated", "model", "store", "faiss",
             "libraries", "next_id", "counts", "files", "segments", "documents", "document_generations"}
    return IndexData(
        model=model["name"],
        dimension=dimension,
        vector_store=vector_store,
        passages=passages,
        sentence_vectors=sentence_vectors,
        documents=manifest["documents"],
        next_id=int(manifest["next_id"]),
        generation=int(manifest.get("generation", 0)),
        extra={k: v for k, v in manifest.items() if k not in known},
        lexical=LexicalIndex([segment.lexical for segment in segments], live),
        segments=segments,
        files=manifest["files"],
        document_generations=manifest["document_generations"],
    )


def _passage_table_problem(vector_store: VectorStore, passages: list[Passage],
                           documents: dict[str, IndexedDocument]) -> str:
    """Whether the passage table and the vector store still describe the same passages, or ''.

    Equal counts are not enough: a stored id with no row would fail at query time, and a
    row under the wrong id would be cited for another passage's vector."""
    for passage in passages:
        if len(passage.sentences) != len(passage.sentence_rows) or not passage.sentences:
            return f"passage {passage.passage_id!r} has sentence offsets and vectors out of step"
        if passage.doc_id not in documents:
            return f"passage {passage.passage_id!r} belongs to {passage.doc_id!r}, which the manifest does not list"
    table_ids = [passage.id for passage in passages]
    if len(set(table_ids)) != len(table_ids):
        return "the passage table repeats an id"
    if not vector_store.holds_exactly(np.array(table_ids, dtype=np.int64)):
        return "the vector store and the passage table hold different passage ids"
    return ""


