"""Opening the vector store an index uses: a new one of the kind a spec names, or the one a
manifest describes, read back. The store classes are imported only here, and only when
asked for (Milvus's client is not needed by a FAISS index).

>>> import numpy as np
>>> store = open_vector_store("faiss", dimension=4)
>>> store.add(np.array([3]), np.eye(4, dtype=np.float32)[:1]); len(store)
1
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from .vectors import DEFAULT_KIND, VectorStore, store_kind


def open_vector_store(spec: str = DEFAULT_KIND, dimension: int = 0, replaces: VectorStore | None = None) -> VectorStore:
    """A new, empty store of the kind ``spec`` names (a kind, or a URI), for vectors of
    ``dimension``. ``replaces``: the store of the index being rebuilt (a Milvus collection
    is dropped after the switch)."""
    if store_kind(spec) == "milvus":
        from .milvus_store import MilvusStore

        return MilvusStore.create(spec, dimension, replaces=replaces if isinstance(replaces, MilvusStore) else None)
    from .faiss_store import FaissStore

    return FaissStore.empty(dimension)


def load_vector_store(description: Mapping[str, Any] | None, path: str | Path) -> VectorStore:
    """The store a manifest describes (``manifest["store"]``; an index written before the
    entry existed is a FAISS one), read from ``path``."""
    if store_kind(str((description or {}).get("kind", DEFAULT_KIND))) == "milvus":
        from .milvus_store import MilvusStore

        return MilvusStore.load(path)
    from .faiss_store import FaissStore

    return FaissStore.load(path)


def store_for_adding(description: Mapping[str, Any] | None, path: str | Path, dimension: int, total: int):
    """What an update that only adds articles adds their vectors to, the index's store then
    holding ``total``: a store outside the folder (Milvus) itself, read from ``path``; for
    FAISS, a :class:`~qa.store.added_vectors.NewVectors` kept in a file of its own (the
    store's file is neither read nor written), or None when the FAISS index would change its
    structure (exact to IVF): the full save does that."""
    if store_kind(str((description or {}).get("kind", DEFAULT_KIND))) == "milvus":
        return load_vector_store(description, path)
    from .added_vectors import NewVectors
    from .faiss_store import keeps_structure

    return NewVectors(dimension) if keeps_structure(dict(description or {}), total) else None


def drop_described(description: Mapping[str, Any]) -> None:
    """Drop the store a :meth:`~qa.store.vectors.VectorStore.describe` entry names, when it
    lives outside an index folder (a Milvus collection a killed build left); else nothing."""
    if store_kind(str(description.get("kind", DEFAULT_KIND))) == "milvus":
        from .milvus_store import MilvusStore

        MilvusStore.described(description).drop()
