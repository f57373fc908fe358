"""The vector-store seam: what the index and ranking need from wherever passage vectors live.

Ranking (:mod:`qa.answer`) and the index folder (:mod:`qa.store.index_files`) call a store
only through :class:`VectorStore`; which store an index uses is recorded in its manifest
(``manifest["store"]["kind"]``) and opened by :mod:`qa.store.open_store`: FAISS
(:mod:`qa.store.faiss_store`, the default, a file in the index folder) or Milvus
(:mod:`qa.store.milvus_store`, Milvus Lite or a server, named by a URI). Another store is one
module beside them, a subclass of :class:`VectorStore` (it inherits the defaults of
``fit_to_size``, ``warm``, ``describe``, ``holds_exactly``, ``after_commit`` and ``drop``), plus its
kind in :data:`STORE_KINDS` and in the two functions of :mod:`qa.store.open_store`.

>>> store_kind("milvus:///srv/news/qa.db"), store_kind("http://search.internal:19530"), store_kind("faiss")
('milvus', 'milvus', 'faiss')
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Mapping, Protocol, runtime_checkable
from urllib.parse import urlsplit

import numpy as np

from ..errors import IndexMismatchError

DEFAULT_KIND = "faiss"
# Store kinds this version can open; a manifest naming another kind is refused with a message.
STORE_KINDS = ("faiss", "milvus")
# What the index folder's vectors file is called after "vectors-<gen>", per kind: the FAISS
# index itself, or the pointer to a Milvus collection.
FILE_SUFFIXES = {"faiss": ".faiss", "milvus": ".milvus.json"}


@runtime_checkable
class VectorStore(Protocol):
    """Unit-length float32 vectors under int64 ids, searched by inner product."""

    kind: str  # recorded in the manifest; chooses the class that loads the store again
    # Whether the vectors live outside the index folder (a Milvus collection): a build notes
    # such a store as soon as it makes one (qa.store.store_claims).
    outside_folder: ClassVar[bool] = False

    dimension: int  # the length of every vector (a property or an attribute)

    def __len__(self) -> int: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Store ``vectors`` (float32, shape (n, dimension)) under ``ids`` (int64, shape (n,))."""
        ...

    def remove(self, ids: np.ndarray) -> int:
        """Drop the vectors of ``ids``; how many were there."""
        ...

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(scores float32 (n, k), ids int64 (n, k))`` best first; id -1 where none. With
        ``allowed`` (int64 ids), only those are searched: a filter inside the search, not
        after it, so a question about one article costs that article."""
        ...

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids``, float32 (m, dimension): ranking scores BM25-only
        candidates with them."""
        ...

    def ids(self) -> np.ndarray:
        """Every stored id, int64."""
        ...

    def save(self, path: str | Path) -> None:
        """Write the store to ``path`` (atomically: a crash leaves the old file or the new).
        A store kept elsewhere (a server) writes what reaches it again: its address."""
        ...

    @classmethod
    def load(cls, path: str | Path) -> "VectorStore":
        """The store :meth:`save` wrote to ``path``."""
        ...

    # Defaults a store class inherits by subclassing VectorStore.
    def fit_to_size(self) -> bool:
        """Adapt the store's structure to how many vectors it holds (FAISS: exact or IVF);
        True when it changed."""
        return False

    def warm(self) -> None:
        """Do now what the first search would otherwise do (a server calls it at start)."""

    def describe(self) -> dict[str, Any]:
        """What the manifest records as ``manifest["store"]``: at least ``{"kind": ...}``."""
        return {"kind": self.kind}

    def holds_exactly(self, ids: np.ndarray) -> bool:
        """Whether the store holds these ids and no others: the index checks its passage
        table with it on every load."""
        return set(self.ids().tolist()) == set(np.asarray(ids).tolist())

    def after_commit(self) -> None:
        """Called once the manifest naming the saved store is in place: a store outside the
        index folder deletes what the new generation removed (FAISS: nothing to do)."""

    def drop(self) -> None:
        """Delete what the store keeps outside the index folder (a Milvus collection), for a
        build that failed before its manifest switch or an index that moved away."""


def store_kind(spec: str) -> str:
    """The store kind a spec names: ``"faiss"``, or a URI: ``milvus:///abs/path/qa.db``
    (Milvus Lite) and ``http(s)://host:port`` (a Milvus server) name Milvus."""
    spec = (spec or DEFAULT_KIND).strip()
    kind = urlsplit(spec).scheme.lower() if "://" in spec else spec
    if kind in ("http", "https"):
        kind = "milvus"
    if kind not in STORE_KINDS:
        raise IndexMismatchError(
            f"vector store {kind!r} is not one this version supports ({', '.join(STORE_KINDS)}); "
            "give faiss, milvus:///abs/path/qa.db or http://host:19530, or run `qa index --rebuild` "
            "to build the index with the default store"
        )
    return kind


def store_spec(description: Mapping[str, Any] | None) -> str:
    """The spec that makes a store like the one a manifest describes (an index's store
    is kept by later updates and full rebuilds unless another one is asked for)."""
    description = description or {}
    if store_kind(str(description.get("kind", DEFAULT_KIND))) == "milvus":
        index_type = description.get("index_type", "FLAT")
        return description["uri"] + ("" if index_type == "FLAT" else f"?index={index_type}")
    return DEFAULT_KIND


def same_store(description: Mapping[str, Any] | None, spec: str) -> bool:
    """Whether ``spec`` names the store a manifest describes (same kind and place)."""
    kind = store_kind(spec)
    if kind != store_kind(str((description or {}).get("kind", DEFAULT_KIND))):
        return False
    if kind == "milvus":
        from .milvus_client import parse_store_uri

        wanted = parse_store_uri(spec)
        return wanted.uri == description.get("uri") and wanted.index_type == description.get("index_type", "FLAT")
    return True
