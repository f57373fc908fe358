"""The index folder: passage vectors, the passage table, sentence vectors and ``manifest.json``.

Layout of ``index/``::

    manifest.json          what is in the index and which files hold it (written last)
    vectors-<gen>.faiss    passage vectors in the store the manifest's "store" names (qa.store.
                           faiss_store: exact up to 100,000 passages, IVF beyond), or
                           vectors-<gen>.milvus.json naming a Milvus collection (milvus_store)
    passages-<gen>.jsonl   one qa.records.Passage per line: ids, offsets, text, sentences, dates
    sentences-<gen>.npy    one unit vector per sentence, for choosing the answering sentence
    lexical-<gen>.*        BM25 over the passage texts (qa.store.lexical: bm25s JSON and .npy files)

Every save writes a new generation of data files beside the old ones and then replaces
``manifest.json`` in one atomic rename. Until that rename the old manifest still names
the old files, so a crash at any moment leaves the previous index loadable. A store that
lives outside the folder (Milvus) keeps the same promise with rows tagged by write number,
and finishes its deletions after the rename (``VectorStore.after_commit``).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..errors import (IndexCorruptError, IndexLockedError, IndexMismatchError, IndexNotFoundError, StorageError,
                      VectorStoreError)
from ..config import missing_index_message
from ..records import IndexedDocument, Passage
from ..files import file_sha256, fsync_path, held_lock, save_array, write_atomic
from .lexical import FILE_SUFFIXES, LexicalIndex, build_for_passages
from .open_store import load_vector_store, open_vector_store
from .vectors import DEFAULT_KIND, FILE_SUFFIXES as VECTOR_FILE_SUFFIXES, VectorStore

FORMAT = "qa-index"
FORMAT_VERSION = 2
FORMAT_CHANGES = {2: "passage vectors are now made from their sentences' vectors"}  # said when refusing an older index
MANIFEST = "manifest.json"
LOCK = ".lock"
REBUILD_ADVICE = "run `qa index --rebuild` to build it again from the corpus"


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shape the index, read without importing them."""
    versions = {}
    for dist in ("qa-news", "faiss-cpu", "sentence-transformers", "torch", "onnxruntime", "numpy", "bm25s",
                 "pymilvus", "milvus-lite"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return versions


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
    lexical: LexicalIndex | None = None  # row i = passages[i]; built from the passages when None
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
    previous = read_manifest_quietly(index_dir)
    generation = max(data.generation, previous.get("generation", 0) if previous else 0) + 1
    try:
        names = _write_generation(data, index_dir, generation, previous)
    except BaseException:
        current = read_manifest_quietly(index_dir)
        if current is None or current.get("generation") != generation:
            _remove_generation(index_dir, generation)
        # else: interrupted just after the switch, and these files are the index now
        raise
    data.generation = generation
    _remove_unreferenced(index_dir, set(names.values()))
    data.vector_store.after_commit()
    return index_dir / MANIFEST


def _write_generation(data: IndexData, index_dir: Path, generation: int, previous: dict | None) -> dict[str, str]:
    """Write generation ``generation``'s data files, then the manifest naming them; their names by key."""
    names = {
        "vectors": f"vectors-{generation}{VECTOR_FILE_SUFFIXES[data.vector_store.kind]}",
        "passages": f"passages-{generation}.jsonl",
        "sentence_vectors": f"sentences-{generation}.npy",
    }
    lexical = _lexical_for(data)

    def write_passages(fh):
        for passage in data.passages:
            fh.write(json.dumps(passage.to_json(), ensure_ascii=False).encode("utf-8") + b"\n")

    data.vector_store.save(index_dir / names["vectors"])
    write_atomic(index_dir / names["passages"], write_passages)
    write_atomic(
        index_dir / names["sentence_vectors"],
        lambda fh: save_array(fh, np.ascontiguousarray(data.sentence_vectors, dtype=np.float32)),
    )
    lexical_paths = lexical.save(index_dir, generation)
    names.update({f"lexical_{role}": path.name for role, path in lexical_paths.items()})
    files = {
        key: {"name": name, "bytes": (index_dir / name).stat().st_size, "sha256": file_sha256(index_dir / name)}
        for key, name in names.items()
    }
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
        "documents": {doc_id: document.to_json() for doc_id, document in data.documents.items()},
        **data.extra,
    }
    _commit_manifest(index_dir, manifest)
    return names


def _remove_generation(index_dir: Path, generation: int) -> None:
    """Delete generation ``generation``'s data files, whole or half-written (``*.tmp``)."""
    for path in index_dir.iterdir():
        stem, _, rest = path.name.partition("-")
        if stem in _DATA_STEMS and rest.split(".", 1)[0] == str(generation) and not path.is_symlink():
            with contextlib.suppress(OSError):
                path.unlink()


def _commit_manifest(index_dir: Path, manifest: dict) -> None:
    """The single step that makes a new generation current."""
    payload = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
    write_atomic(index_dir / MANIFEST, lambda fh: fh.write(payload))
    fsync_path(index_dir)


_DATA_STEMS = ("vectors", "passages", "sentences", "lexical")


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
    manifest = read_manifest_quietly(Path(index_dir))
    if manifest is not None:
        _remove_unreferenced(Path(index_dir), {entry["name"] for entry in manifest["files"].values()})


# --- loading ----------------------------------------------------------------------------

def read_manifest_quietly(index_dir: Path) -> dict | None:  # None: none, or unreadable (the caller rebuilds)
    try:
        return read_manifest(index_dir)
    except Exception:
        return None


def read_manifest(index_dir: str | Path) -> dict:
    """The parsed manifest, its ``documents`` read into :class:`~qa.records.IndexedDocument`
    records; or an error saying how to get a usable one."""
    index_dir = Path(index_dir)
    path = index_dir / MANIFEST
    if not path.is_file():
        raise IndexNotFoundError(missing_index_message(index_dir))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(f"{path} cannot be read ({exc}); {REBUILD_ADVICE}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexCorruptError(f"{path} is not a qa index manifest; {REBUILD_ADVICE}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"{index_dir} has index format {manifest.get('format_version')}, this version reads {FORMAT_VERSION} "
            f"({FORMAT_CHANGES[FORMAT_VERSION]}); {REBUILD_ADVICE}"
        )
    for key in ("model", "files", "documents", "next_id"):
        if key not in manifest:
            raise IndexCorruptError(f"{path} lacks {key!r}; {REBUILD_ADVICE}")
    problem = _manifest_shape_problem(manifest)
    if problem:
        raise IndexCorruptError(f"{path}: {problem}; {REBUILD_ADVICE}")
    documents = {}
    for doc_id, entry in manifest["documents"].items():
        try:
            documents[doc_id] = IndexedDocument.from_json(entry)
        except ValueError as exc:
            raise IndexCorruptError(f"{path}: the entry of document {doc_id!r} {exc}; {REBUILD_ADVICE}") from exc
    manifest["documents"] = documents
    return manifest


def _manifest_shape_problem(manifest: dict) -> str:
    """What is wrong with the manifest's structure, or ''. An edited or damaged manifest
    must fail here with a message, not later with a TypeError deep inside a search."""
    model = manifest["model"]
    if not (isinstance(model, dict) and isinstance(model.get("name"), str)
            and isinstance(model.get("dimension"), int) and model["dimension"] > 0):
        return "'model' is not a name with a positive dimension"
    if not isinstance(manifest["next_id"], int) or not isinstance(manifest["documents"], dict):
        return "'next_id' or 'documents' has the wrong type"
    if not all(isinstance(entry, dict) for entry in manifest["documents"].values()):
        return "an entry in 'documents' is not a mapping"
    files = manifest["files"]
    if not isinstance(files, dict):
        return "'files' is not a mapping"
    for key, entry in files.items():
        if not (isinstance(entry, dict) and isinstance(entry.get("name"), str)
                and isinstance(entry.get("bytes"), int) and isinstance(entry.get("sha256"), str)):
            return f"file entry {key!r} lacks name, bytes or sha256"
        # Data files live in the index folder itself: a path here would read outside it.
        name = entry["name"]
        if not name or name.startswith(".") or "/" in name or "\\" in name or name != Path(name).name:
            return f"file entry {key!r} names {name!r}, not a file in the index folder"
    return ""


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


def load_index(index_dir: str | Path, verify: bool = True) -> IndexData:
    """Load the current generation, checking every file against the manifest."""
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    paths = {}
    for key in ("vectors", "passages", "sentence_vectors"):
        paths[key] = _checked_file(index_dir, manifest, key, verify)
    # Indexes written before BM25 was added have no lexical files: BM25 is then built from
    # the passage table on load (well under a second) and written by the next update.
    lexical_keys = [f"lexical_{role}" for role in FILE_SUFFIXES]
    if any(key in manifest["files"] for key in lexical_keys):
        for key in lexical_keys:
            paths[key] = _checked_file(index_dir, manifest, key, verify)
    try:
        # An index written before the manifest named its store holds FAISS vectors.
        vector_store = load_vector_store(manifest.get("store"), paths["vectors"])
        rows = [json.loads(line) for line in paths["passages"].read_text(encoding="utf-8").splitlines() if line]
        sentence_vectors = np.load(paths["sentence_vectors"], allow_pickle=False)
        lexical = None
        if "lexical_params" in paths:
            lexical = LexicalIndex.load({key[len("lexical_"):]: path for key, path in paths.items()
                                         if key.startswith("lexical_")})
    except (IndexMismatchError, IndexCorruptError, VectorStoreError):
        raise  # they say what is wrong and what to do; a server out of reach is no corruption
    except Exception as exc:
        raise IndexCorruptError(f"{index_dir} cannot be loaded ({type(exc).__name__}: {exc}); {REBUILD_ADVICE}") from exc
    try:
        passages = [Passage.from_json(row) for row in rows]
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexCorruptError(
            f"{index_dir}: a passage row lacks a field or has one of the wrong type ({type(exc).__name__}: {exc}); "
            f"{REBUILD_ADVICE}"
        ) from exc
    model = manifest["model"]
    dimension = int(model.get("dimension", 0))
    if vector_store.dimension != dimension or sentence_vectors.ndim != 2 or (
        len(sentence_vectors) and sentence_vectors.shape[1] != dimension
    ):
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
    if lexical is not None and lexical.size != len(passages):
        raise IndexCorruptError(
            f"{index_dir}: BM25 holds {lexical.size} rows but the passage table {len(passages)}; {REBUILD_ADVICE}"
        )
    known = {"format", "format_version", "generation", "created", "updated", "model", "store", "faiss",
             "libraries", "next_id", "counts", "files", "documents"}
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
        lexical=lexical if lexical is not None else build_for_passages(passages),
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


def _lexical_for(data: IndexData) -> LexicalIndex:
    """The BM25 index to save with ``data``: its own, or one built from its passages."""
    if data.lexical is None or data.lexical.size != len(data.passages):
        data.lexical = build_for_passages(data.passages)
    return data.lexical
