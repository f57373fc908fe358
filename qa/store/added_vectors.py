"""Passage vectors an update added, kept in a file beside the vector store's.

A store kept in the index folder (FAISS) is one file. Written whole by every save, it made
adding one article to 20,000 read and write 31 MB. A save that only adds articles
(:func:`qa.store.index_files.save_added`) now writes their vectors alone, as
``vectors-<gen>.added.npy`` (ids and vectors in one structured array), when the store
would keep its structure with them (:func:`qa.store.open_store.takes_added_vectors`: an
exact FAISS index stays exact). Loading the index adds each such file to the store, oldest
first; the next full save writes the store whole again and the files go. Past
:data:`qa.store.segments.MAX_SEGMENTS` files, an update takes the newest of them into its
own, by the segments' tiers (:func:`take_in_newest`): they stay few, and a vector is
rewritten a few times at most.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> added = NewVectors(2)
>>> added.add(np.array([5]), np.array([[0.6, 0.8]], dtype=np.float32))
>>> name = added.write(folder, 7)
>>> ids, vectors = read_added(folder / name, 2)
>>> ids.tolist(), vectors.tolist()
([5], [[0.6000000238418579, 0.800000011920929]])
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..files import save_array, write_atomic
from .segments import sized_path, tiers_kept

KEY_PREFIX = "added_vectors."


def added_key(generation: int) -> str:
    """The manifest's file key of the vectors generation ``generation`` added."""
    return f"{KEY_PREFIX}{generation}"


def added_keys(files: dict[str, dict]) -> list[str]:
    """The manifest's keys of added vectors, oldest generation first."""
    return sorted((key for key in files if key.startswith(KEY_PREFIX)), key=lambda key: int(key[len(KEY_PREFIX):]))


class NewVectors:
    """What an update embeds, collected for :meth:`write` (stands for the vector store while
    articles are embedded: :func:`qa.store.embedding.embed_articles` adds to it)."""

    def __init__(self, dimension: int):
        self.dimension = dimension
        self._ids: list[np.ndarray] = []
        self._vectors: list[np.ndarray] = []
        self.replaces: list[str] = []  # manifest keys of earlier files whose vectors these hold too

    def __len__(self) -> int:
        return sum(len(ids) for ids in self._ids)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape != (len(ids), self.dimension):
            raise ValueError(f"expected {len(ids)} vectors of {self.dimension}, got shape {vectors.shape}")
        self._ids.append(np.asarray(ids, dtype=np.int64))
        self._vectors.append(vectors)

    def after_commit(self) -> None:
        """Nothing waits for the manifest's switch (a save calls it on every store)."""

    def write(self, index_dir: Path, generation: int) -> str:
        """Write them as generation ``generation``'s file (atomically); its name."""
        name = f"vectors-{generation}.added.npy"
        table = np.zeros(len(self), dtype=[("id", "<i8"), ("vector", "<f4", (self.dimension,))])
        if len(self):
            table["id"] = np.concatenate(self._ids)
            table["vector"] = np.concatenate(self._vectors)
        write_atomic(Path(index_dir) / name, lambda fh: save_array(fh, table))
        return name


def take_in_newest(index_dir: Path, files: dict[str, dict], vectors: NewVectors) -> None:
    """Have ``vectors`` (what an update adds) also hold those of the newest earlier files
    that the tiers merge (:func:`qa.store.segments.tiers_kept`, by their bytes), noting
    their keys in ``vectors.replaces``. Raises ``ValueError`` or ``OSError`` when one does
    not read as written: the full save then writes the store whole."""
    keys = added_keys(files)
    row = 8 + 4 * vectors.dimension
    keep = tiers_kept([files[key]["bytes"] for key in keys] + [len(vectors) * row])
    for key in keys[keep:]:
        vectors.add(*read_added(sized_path(index_dir, files[key]), vectors.dimension))
        vectors.replaces.append(key)


def read_added(path: Path, dimension: int) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, vectors)`` of a file :meth:`NewVectors.write` wrote. Raises ``ValueError``
    when it holds something else."""
    table = np.load(path, allow_pickle=False)
    names = table.dtype.names or ()
    if names != ("id", "vector") or table["vector"].shape[1:] != (dimension,):
        raise ValueError(f"{Path(path).name} does not hold ids and vectors of {dimension} dimensions")
    return table["id"].astype(np.int64), np.ascontiguousarray(table["vector"], dtype=np.float32)
