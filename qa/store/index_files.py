"""The index folder: FAISS vectors, the passage table, sentence vectors and ``manifest.json``.

Layout of ``index/``::

    manifest.json          what is in the index and which files hold it (written last)
    vectors-<gen>.faiss    passage vectors (unit length, inner product): exact IndexIDMap2
                           up to 100,000 passages, IndexIVFFlat beyond (see ANN_THRESHOLD)
    passages-<gen>.jsonl   one passage per line: ids, offsets, text, sentence offsets
    sentences-<gen>.npy    one unit vector per sentence, for choosing the answering sentence
    lexical-<gen>.*        BM25 over the passage texts (qa.lexical: bm25s JSON and .npy files)

Every save writes a new generation of data files beside the old ones and then replaces
``manifest.json`` in one atomic rename. Until that rename the old manifest still names
the old files, so a crash at any moment leaves the previous index loadable.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..errors import IndexCorruptError, IndexLockedError, IndexMismatchError, IndexNotFoundError, StorageError

FORMAT = "qa-index"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
LOCK = ".lock"
_REBUILD = "run `qa index --rebuild` to build it again from the corpus"


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shape the index, read without importing them."""
    versions = {}
    for dist in ("qa-news", "faiss-cpu", "sentence-transformers", "torch", "onnxruntime", "numpy", "bm25s"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return versions


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fsync_path(path: Path) -> None:
    """Flush a file's or a folder's entry to disk (best effort: some filesystems refuse)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_atomic(path: Path, write) -> None:
    """Write through ``write(file_object)`` into ``path.tmp``, fsync, then rename onto ``path``."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = str(tmp)  # a failed flush names no file; the message should
        raise


@dataclass
class IndexData:
    """An index in memory. ``passages`` rows line up with FAISS ids through ``id``."""

    model: str
    dimension: int
    faiss_index: Any
    passages: list[dict]
    sentence_vectors: np.ndarray
    documents: dict[str, dict] = field(default_factory=dict)
    next_id: int = 0
    generation: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. splitter settings
    lexical: Any = None  # qa.lexical.LexicalIndex, row i = passages[i]; built from passages when None
    _by_id: dict[int, dict] | None = None

    @classmethod
    def empty(cls, model: str, dimension: int, **extra) -> "IndexData":
        return cls(
            model=model,
            dimension=dimension,
            faiss_index=new_faiss_index(dimension),
            passages=[],
            sentence_vectors=np.zeros((0, dimension), dtype=np.float32),
            extra=dict(extra),
        )

    def passage(self, faiss_id: int) -> dict:
        if self._by_id is None:
            self._by_id = {p["id"]: p for p in self.passages}
        return self._by_id[int(faiss_id)]

    def invalidate(self) -> None:
        self._by_id = None


# --- the FAISS index: exact up to ANN_THRESHOLD passages, IVF beyond --------------------
# Exact search reads every vector: ~11 ms per question at 100,000 passages on one core and
# ~100 ms at a million. Below the threshold it is fast enough and always right. Above it,
# IVF (k-means lists; a question scans the ``nprobe`` nearest lists) answers in ~2 ms at a
# million with recall@10 of 0.99 against exact (`qa bench --part scale`); unlike HNSW it
# can remove ids, which incremental updates need, and it trains in minutes at a million
# rather than building a graph for much longer. 64 lists, not 32: on real vectors
# (SciFact's passages) 32 kept only 0.94 of the exact top 10, 64 kept 0.97.
ANN_THRESHOLD = 100_000
IVF_NPROBE = 64
# k-means sample per list: FAISS asks for at least 39; more costs training time for
# centroids that move little.
_TRAIN_PER_LIST = 40


def new_faiss_index(dimension: int, training: np.ndarray | None = None):
    """An empty index over inner product: exact (``IndexIDMap2`` over ``IndexFlatIP``), or,
    given ``training`` vectors, ``IndexIVFFlat`` with lists trained on them."""
    import faiss

    if training is None:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
    training = np.ascontiguousarray(training, dtype=np.float32)
    if len(training) == 0:
        raise ValueError("an IVF index needs training vectors; give some, or none for an exact index")
    nlist = min(ivf_lists(len(training)), len(training))
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dimension), dimension, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.cp.spherical = True  # unit vectors: centroids on the sphere, as cosine wants
    ivf.cp.niter = 10
    sample = training
    if len(training) > nlist * _TRAIN_PER_LIST:
        rows = np.random.default_rng(0).choice(len(training), nlist * _TRAIN_PER_LIST, replace=False)
        sample = training[np.sort(rows)]
    ivf.train(sample)
    # A hash table from id to list entry: remove_ids and reconstruct (fusion reads the
    # vectors of BM25-only candidates) then work as on the exact index.
    ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
    ivf.nprobe = min(IVF_NPROBE, nlist)
    return ivf


def ivf_lists(n_vectors: int) -> int:
    """Number of IVF lists for ``n_vectors``: about 4 sqrt(n), a power of two (4,096 at a million).

    Finer lists keep a neighbourhood whole in fewer lists: at a million vectors and 32 lists
    searched, 4,096 lists gave recall@10 0.99 where 1,024 gave 0.88, for the same time.
    """
    return int(2 ** round(np.log2(4 * max(n_vectors, 1) ** 0.5)))


def faiss_kind(faiss_index) -> str:
    """``"ivf"`` or ``"flat"``."""
    return "ivf" if hasattr(faiss_index, "nprobe") else "flat"


def fit_index_to_size(data: "IndexData", threshold: int | None = None) -> bool:
    """Give ``data`` the FAISS index its size calls for; True when it had to be rebuilt.

    Exact below ``threshold`` passages, IVF at or above it. An IVF index is trained again
    once the passages outgrow (or shrink from) its lists fourfold in number of lists, i.e.
    sixteenfold in passages; between those, new passages join the nearest existing lists.
    """
    threshold = ANN_THRESHOLD if threshold is None else threshold
    index = data.faiss_index
    n = int(index.ntotal)
    want = "ivf" if n and n >= threshold else "flat"
    if faiss_kind(index) == want and (want == "flat" or 0.25 <= ivf_lists(n) / index.nlist <= 4):
        return False
    ids = np.array([p["id"] for p in data.passages], dtype=np.int64)
    vectors = index.reconstruct_batch(ids) if n else np.zeros((0, data.dimension), dtype=np.float32)
    new = new_faiss_index(data.dimension, training=vectors if want == "ivf" else None)
    if n:
        new.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
    data.faiss_index = new
    return True


def describe_faiss(faiss_index) -> dict:
    """What the manifest records about the FAISS index."""
    info = {"type": type(faiss_index).__name__, "kind": faiss_kind(faiss_index), "metric": "inner_product",
            "ntotal": int(faiss_index.ntotal)}
    if info["kind"] == "ivf":
        info.update(nlist=int(faiss_index.nlist), nprobe=int(faiss_index.nprobe))
    return info


# --- locking ----------------------------------------------------------------------------

@contextlib.contextmanager
def build_lock(index_dir: str | Path, wait: bool = False) -> Iterator[None]:
    """Hold ``index/.lock`` so that two builds never write the same index at once."""
    import fcntl

    index_dir = Path(index_dir)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fh = open(index_dir / LOCK, "a+")
    except OSError as exc:
        from .transaction import write_error_message

        raise StorageError(write_error_message(exc)) from exc
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            raise IndexLockedError(
                f"another `qa index` is updating {index_dir}; wait for it to finish and try again"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --- saving -----------------------------------------------------------------------------

def save_index(data: IndexData, index_dir: str | Path) -> Path:
    """Write ``data`` as a new generation and switch ``manifest.json`` to it atomically."""
    import faiss

    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    previous = _read_manifest_quietly(index_dir)
    generation = max(data.generation, previous.get("generation", 0) if previous else 0) + 1
    names = {
        "vectors": f"vectors-{generation}.faiss",
        "passages": f"passages-{generation}.jsonl",
        "sentence_vectors": f"sentences-{generation}.npy",
    }
    lexical = _lexical_for(data)

    def write_passages(fh):
        for row in data.passages:
            fh.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")

    try:
        _write_atomic(index_dir / names["vectors"],
                      lambda fh: fh.write(faiss.serialize_index(data.faiss_index).tobytes()))
        _write_atomic(index_dir / names["passages"], write_passages)
        _write_atomic(
            index_dir / names["sentence_vectors"],
            lambda fh: np.save(fh, np.ascontiguousarray(data.sentence_vectors, dtype=np.float32), allow_pickle=False),
        )
        lexical_paths = lexical.save(index_dir, generation)
    except BaseException:
        # The manifest still names the previous generation: this one's files are litter.
        from .lexical import file_names

        for name in [*names.values(), *file_names(generation).values()]:
            for path in (index_dir / name, index_dir / f"{name}.tmp"):
                with contextlib.suppress(OSError):
                    path.unlink()
        raise
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
        "faiss": describe_faiss(data.faiss_index),
        "libraries": library_versions(),
        "next_id": data.next_id,
        "counts": {
            "documents": len(data.documents),
            "passages": len(data.passages),
            "sentences": int(data.sentence_vectors.shape[0]),
        },
        "files": files,
        "documents": data.documents,
        **data.extra,
    }
    _commit_manifest(index_dir, manifest)
    data.generation = generation
    _remove_unreferenced(index_dir, set(names.values()))
    return index_dir / MANIFEST


def _commit_manifest(index_dir: Path, manifest: dict) -> None:
    """The single step that makes a new generation current."""
    payload = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
    _write_atomic(index_dir / MANIFEST, lambda fh: fh.write(payload))
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
    """Delete the data files the current manifest does not name (leftovers of a build that
    was killed or failed). Call it holding :func:`build_lock`: a running build's new files
    are not named yet. Without a readable manifest nothing is deleted but ``*.tmp`` files."""
    index_dir = Path(index_dir)
    manifest = _read_manifest_quietly(index_dir)
    if manifest is None:
        for path in index_dir.glob("*.tmp"):
            with contextlib.suppress(OSError):
                path.unlink()
        return
    _remove_unreferenced(index_dir, {entry["name"] for entry in manifest["files"].values()})


# --- loading ----------------------------------------------------------------------------

def _read_manifest_quietly(index_dir: Path) -> dict | None:
    try:
        return read_manifest(index_dir)
    except Exception:
        return None


def read_manifest(index_dir: str | Path) -> dict:
    """The parsed manifest, or an error saying how to get a usable one."""
    index_dir = Path(index_dir)
    path = index_dir / MANIFEST
    if not path.is_file():
        raise IndexNotFoundError(f"no index in {index_dir}; build it with `qa index` (or qa.build_index())")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(f"{path} cannot be read ({exc}); {_REBUILD}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexCorruptError(f"{path} is not a qa index manifest; {_REBUILD}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"{index_dir} has index format {manifest.get('format_version')}, this version reads {FORMAT_VERSION}; {_REBUILD}"
        )
    for key in ("model", "files", "documents", "next_id"):
        if key not in manifest:
            raise IndexCorruptError(f"{path} lacks {key!r}; {_REBUILD}")
    problem = _manifest_shape_problem(manifest)
    if problem:
        raise IndexCorruptError(f"{path}: {problem}; {_REBUILD}")
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
    if not all(isinstance(meta, dict) for meta in manifest["documents"].values()):
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
        raise IndexCorruptError(f"{index_dir / MANIFEST} names no {key} file; {_REBUILD}")
    path = index_dir / entry["name"]
    if not path.is_file():
        raise IndexCorruptError(f"{path} is missing; {_REBUILD}")
    if path.stat().st_size != entry["bytes"] or (verify and file_sha256(path) != entry["sha256"]):
        raise IndexCorruptError(f"{path} is truncated or changed since it was written; {_REBUILD}")
    return path


def load_index(index_dir: str | Path, verify: bool = True) -> IndexData:
    """Load the current generation, checking every file against the manifest."""
    import faiss

    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    paths = {}
    for key in ("vectors", "passages", "sentence_vectors"):
        paths[key] = _checked_file(index_dir, manifest, key, verify)
    # Indexes written before BM25 was added have no lexical files: BM25 is then built from
    # the passage table on load (well under a second) and written by the next update.
    from .lexical import FILE_SUFFIXES

    lexical_keys = [f"lexical_{role}" for role in FILE_SUFFIXES]
    if any(key in manifest["files"] for key in lexical_keys):
        for key in lexical_keys:
            paths[key] = _checked_file(index_dir, manifest, key, verify)
    try:
        faiss_index = faiss.deserialize_index(np.fromfile(paths["vectors"], dtype=np.uint8))
        passages = [json.loads(line) for line in paths["passages"].read_text(encoding="utf-8").splitlines() if line]
        sentence_vectors = np.load(paths["sentence_vectors"], allow_pickle=False)
        lexical = None
        if "lexical_params" in paths:
            from .lexical import LexicalIndex

            lexical = LexicalIndex.load({key[len("lexical_"):]: path for key, path in paths.items()
                                         if key.startswith("lexical_")})
    except Exception as exc:
        raise IndexCorruptError(f"{index_dir} cannot be loaded ({type(exc).__name__}: {exc}); {_REBUILD}") from exc
    model = manifest["model"]
    dimension = int(model.get("dimension", 0))
    if faiss_index.d != dimension or sentence_vectors.ndim != 2 or (
        len(sentence_vectors) and sentence_vectors.shape[1] != dimension
    ):
        raise IndexCorruptError(f"{index_dir}: vector dimensions disagree with the manifest ({dimension}); {_REBUILD}")
    if faiss_index.ntotal != len(passages):
        raise IndexCorruptError(
            f"{index_dir}: FAISS holds {faiss_index.ntotal} vectors but the passage table {len(passages)}; {_REBUILD}"
        )
    rows = sentence_vectors.shape[0]
    if any(r >= rows for p in passages for r in p.get("sentence_rows", [])):
        raise IndexCorruptError(f"{index_dir}: passages point past the sentence vectors; {_REBUILD}")
    problem = _passage_table_problem(faiss_index, passages, manifest["documents"])
    if problem:
        raise IndexCorruptError(f"{index_dir}: {problem}; {_REBUILD}")
    if lexical is not None and lexical.size != len(passages):
        raise IndexCorruptError(
            f"{index_dir}: BM25 holds {lexical.size} rows but the passage table {len(passages)}; {_REBUILD}"
        )
    known = {"format", "format_version", "generation", "created", "updated", "model", "faiss", "libraries",
             "next_id", "counts", "files", "documents"}
    return IndexData(
        model=model["name"],
        dimension=dimension,
        faiss_index=faiss_index,
        passages=passages,
        sentence_vectors=sentence_vectors,
        documents=manifest["documents"],
        next_id=int(manifest["next_id"]),
        generation=int(manifest.get("generation", 0)),
        extra={k: v for k, v in manifest.items() if k not in known},
        lexical=lexical if lexical is not None else _lexical_for_passages(passages),
    )


_PASSAGE_KEYS = ("id", "passage_id", "doc_id", "text", "start", "end", "sentences", "sentence_rows")


def _passage_table_problem(faiss_index, passages: list[dict], documents: dict) -> str:
    """Whether the passage table and FAISS still describe the same passages, or ''.

    Equal counts are not enough: a FAISS id with no row would fail at query time, and a
    row under the wrong id would be cited for another passage's vector."""
    import faiss

    for row in passages:
        if not isinstance(row, dict) or any(key not in row for key in _PASSAGE_KEYS):
            return f"a passage row lacks one of {', '.join(_PASSAGE_KEYS)}"
        if len(row["sentences"]) != len(row["sentence_rows"]) or not row["sentences"]:
            return f"passage {row['passage_id']!r} has sentence offsets and vectors out of step"
        if row["doc_id"] not in documents:
            return f"passage {row['passage_id']!r} belongs to {row['doc_id']!r}, which the manifest does not list"
    table_ids = [row["id"] for row in passages]
    if len(set(table_ids)) != len(table_ids):
        return "the passage table repeats an id"
    if hasattr(faiss_index, "id_map"):
        faiss_ids = faiss.vector_to_array(faiss_index.id_map)
        if set(faiss_ids.tolist()) != set(table_ids):
            return "FAISS and the passage table hold different passage ids"
    return ""


def _lexical_for_passages(passages: list[dict]):
    from .lexical import build_for_passages

    return build_for_passages(passages)


def _lexical_for(data: IndexData):
    """The BM25 index to save with ``data``: its own, or one built from its passages."""
    if data.lexical is None or data.lexical.size != len(data.passages):
        data.lexical = _lexical_for_passages(data.passages)
    return data.lexical
