"""Passage vectors kept in Milvus: Milvus Lite (a local folder) or a Milvus server or cluster.

The same ``pymilvus`` client talks to both; where a store lives is its URI
(:mod:`qa.store.milvus_client`: ``milvus:///abs/path/qa.db`` or ``http://host:19530``).
The index folder records the URI and the collection only, never credentials.

Vectors are unit length and the metric is inner product, so a score is the cosine that
FAISS gives. The default index is exact (``FLAT``); ``HNSW`` and ``IVF_FLAT`` can be asked
for where exact search is too slow (see docs/scaling.md).

How an update stays atomic. The rest of the index (passage table, sentence vectors, BM25,
``manifest.json``) lives in files that switch generation in one rename; the collection
cannot take part in that rename, so every row carries the *write number* it was written
under, and the index folder holds a small pointer file (``save``) naming the collection,
the last committed write number and the ids removed by it:

* new rows are written under write number ``W + 1``; searches from an index at ``W`` ask
  Milvus for ``write <= W`` only, so half-written rows are never seen;
* removed rows stay in the collection until the new manifest is in place
  (:meth:`MilvusStore.after_commit`); until then searches at ``W + 1`` exclude them by id;
* a crash before the manifest switch leaves rows ``> W`` that nothing reads; the next
  update deletes them before it writes. A crash after the switch but before the deletes
  leaves removed rows that searches still exclude; the next update deletes them.
"""
from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from ..errors import IndexCorruptError, VectorStoreError
from .milvus_client import INDEX_TYPES, MilvusTarget, client_for, parse_store_uri
from .vectors import VectorStore

KIND = "milvus"
VECTOR_FIELD = "vector"
WRITE_FIELD = "write"  # the write number a row was added under (see the module docstring)
# Milvus answers at most this many results per search ("topk" limit).
MAX_TOP_K = 16_384
# Rows per insert: well under gRPC's 64 MB message limit at 384 float32 dimensions (1.5 KB a row).
INSERT_BATCH = 5_000
# Ids per delete or get: keeps each expression short.
ID_BATCH = 10_000
# Ids looked up when an index checks its passage table against the collection on load.
SPOT_CHECK = 1_000


@dataclass
class MilvusStore(VectorStore):
    """Passage vectors in one Milvus collection, behind the vector-store protocol.

    How an index build uses it (not run as a doctest: it makes a Milvus Lite folder)::

        store = MilvusStore.create("milvus:///srv/news/qa.db", dimension=384)
        store.add(ids, vectors)                      # rows written, not yet visible to readers
        store.save(index_dir / "vectors-1.milvus.json")  # the pointer; then the manifest switch
        store.after_commit()                         # removed rows deleted, old collections dropped
        scores, ids = store.search(queries, k=10)
    """

    kind: ClassVar[str] = KIND
    outside_folder: ClassVar[bool] = True
    target: MilvusTarget
    collection: str
    dimension: int
    index_type: str = "FLAT"
    committed: int = 0  # the write number the index folder names; rows above it are not visible
    removed: list[int] = field(default_factory=list)  # ids the committed state removed, maybe still stored
    retired: list[str] = field(default_factory=list)  # collections replaced by this one, to drop
    pending: list[int] = field(default_factory=list)  # ids this update removes: deleted after the switch
    _count: int = 0
    _writing: bool = False  # rows of write number ``committed + 1`` are this store's own

    # -- opening -----------------------------------------------------------------------
    @classmethod
    def create(cls, uri: str, dimension: int, index_type: str | None = None,
               replaces: "MilvusStore | None" = None) -> "MilvusStore":
        """A new, empty collection (a full build). ``index_type`` defaults to the URI's
        ``?index=`` or FLAT. ``replaces``: the store it supersedes, whose collection is
        dropped once the new manifest is in place."""
        target = parse_store_uri(uri)
        index_type = (index_type or target.index_type).upper()
        if index_type not in INDEX_TYPES:
            raise VectorStoreError(f"Milvus index type {index_type!r} is not offered; use one of "
                                   f"{', '.join(INDEX_TYPES)}")
        client = client_for(target)
        from pymilvus import DataType, MilvusClient

        # A fresh name per full build: the old collection keeps serving the current
        # manifest until the switch, then is dropped.
        name = f"qa_passages_{secrets.token_hex(6)}"
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field(VECTOR_FIELD, DataType.FLOAT_VECTOR, dim=int(dimension))
        schema.add_field(WRITE_FIELD, DataType.INT64)
        params = MilvusClient.prepare_index_params()
        params.add_index(field_name=VECTOR_FIELD, index_type=index_type, metric_type="IP",
                         params=INDEX_TYPES[index_type][0])
        client.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")
        retired = []
        if replaces is not None and replaces.target.client_uri == target.client_uri:
            retired = [replaces.collection, *replaces.retired]
        store = cls(target=target, collection=name, dimension=int(dimension), index_type=index_type,
                    retired=retired)
        store._writing = True  # a new collection holds nothing to purge
        return store

    @classmethod
    def described(cls, description: dict) -> "MilvusStore":
        """The store a :meth:`describe` entry names, to :meth:`drop` (its dimension unread)."""
        return cls(target=parse_store_uri(str(description["uri"])), collection=str(description["collection"]),
                   dimension=0)

    @classmethod
    def load(cls, path: str | Path) -> "MilvusStore":
        """The store named by a pointer file that :meth:`save` wrote."""
        path = Path(path)
        try:
            pointer = json.loads(path.read_text(encoding="utf-8"))
            target = parse_store_uri(pointer["uri"])
            store = cls(target=target, collection=str(pointer["collection"]), dimension=int(pointer["dimension"]),
                        index_type=str(pointer.get("index_type", "FLAT")), committed=int(pointer["write"]),
                        removed=[int(i) for i in pointer.get("removed", [])],
                        retired=[str(c) for c in pointer.get("retired", [])])
            count = int(pointer["count"])
        except (OSError, ValueError, KeyError, TypeError, VectorStoreError) as exc:
            raise IndexCorruptError(f"{path} does not describe a Milvus collection ({exc}); "
                                    "run `qa index --rebuild`") from exc
        client = client_for(target)
        if not client.has_collection(store.collection):
            raise IndexCorruptError(
                f"{target.uri} has no collection {store.collection!r}, which {path.parent} names; "
                "it was dropped or the URI points at another Milvus: run `qa index --rebuild`"
            )
        client.load_collection(store.collection)
        # Removed ids whose deletion already happened need no filter.
        store.removed = store._stored(store.removed)
        store._count = count
        return store

    # -- the vector-store protocol ---------------------------------------------------------
    def __len__(self) -> int:
        return self._count

    @property
    def writing(self) -> int:
        """The write number rows added now are tagged with."""
        return self.committed + 1

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Write rows under the next write number; visible to this store at once, to
        readers of the index folder after the manifest switch."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension or len(vectors) != len(ids):
            raise ValueError(f"add() takes n ids and n x {self.dimension} vectors, got {len(ids)} and {vectors.shape}")
        if not len(ids):
            return
        self._start_writing()
        client = client_for(self.target)
        for start in range(0, len(ids), INSERT_BATCH):
            stop = start + INSERT_BATCH
            rows = [{"id": int(i), VECTOR_FIELD: v, WRITE_FIELD: self.writing}
                    for i, v in zip(ids[start:stop].tolist(), vectors[start:stop])]
            client.insert(self.collection, rows)
        self._count += len(ids)

    def remove(self, ids: np.ndarray) -> int:
        """Hide ``ids`` now; they are deleted from the collection by :meth:`after_commit`."""
        ids = sorted({int(i) for i in np.asarray(ids, dtype=np.int64).reshape(-1)})
        present = self._stored(ids, self._filter())
        self.pending.extend(present)
        self._count -= len(present)
        return len(present)

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores float32[n, k], ids int64[n, k]), best first; -1 and -inf where fewer exist.
        ``allowed`` ids only, when given (a boolean expression in the search itself)."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if queries.ndim == 1:
            queries = queries[None, :]
        n = len(queries)
        scores = np.full((n, k), -np.inf, dtype=np.float32)
        ids = np.full((n, k), -1, dtype=np.int64)
        limit = min(k, self._count, MAX_TOP_K)
        expr = self._filter()
        if allowed is not None:
            allowed = sorted({int(i) for i in np.asarray(allowed, dtype=np.int64).reshape(-1)})
            limit = min(limit, len(allowed))
            expr = f"id in {allowed}" + (f" and {expr}" if expr else "")
        if limit <= 0 or n == 0:
            return scores, ids
        results = client_for(self.target).search(
            self.collection, data=queries, limit=limit, filter=expr, output_fields=["id"],
            search_params={"metric_type": "IP", "params": INDEX_TYPES[self.index_type][1]},
            anns_field=VECTOR_FIELD, consistency_level="Strong",
        )
        for row, hits in enumerate(results):
            found = list(hits)[:limit]
            ids[row, : len(found)] = [int(h["id"]) for h in found]
            scores[row, : len(found)] = [float(h["distance"]) for h in found]
        return scores, ids

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids``, in that order (KeyError for an id not in the store)."""
        ids = [int(i) for i in np.asarray(ids, dtype=np.int64).reshape(-1)]
        found: dict[int, np.ndarray] = {}
        client = client_for(self.target)
        for start in range(0, len(ids), ID_BATCH):
            chunk = ids[start:start + ID_BATCH]
            rows = client.query(self.collection, filter=f"id in {chunk} and {self._filter()}",
                                output_fields=["id", VECTOR_FIELD], consistency_level="Strong")
            found.update({int(r["id"]): np.asarray(r[VECTOR_FIELD], dtype=np.float32) for r in rows})
        missing = [i for i in ids if i not in found]
        if missing:
            raise KeyError(f"ids not in the Milvus collection {self.collection}: {missing[:10]}")
        if not ids:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[i] for i in ids])

    def ids(self) -> np.ndarray:
        """Every visible id, ascending (a consistency check, not a per-question call)."""
        import logging

        # Milvus Lite cannot give the iterator a server timestamp; pymilvus warns and uses
        # the client's, which is what this needs.
        logging.getLogger("pymilvus.client.iterator.query_iterator").setLevel(logging.ERROR)
        out = []
        iterator = client_for(self.target).query_iterator(
            self.collection, batch_size=ID_BATCH, filter=self._filter(), output_fields=["id"])
        try:
            while True:
                rows = iterator.next()
                if not rows:
                    break
                out.extend(int(r["id"]) for r in rows)
        finally:
            iterator.close()
        return np.array(sorted(out), dtype=np.int64)

    def warm(self) -> None:
        """Load the collection into memory now (a server's start), not on the first search."""
        client_for(self.target).load_collection(self.collection)

    def holds_exactly(self, ids: np.ndarray) -> bool:
        """Whether the visible rows are these ids, checked without reading every id (which
        takes seconds per 100,000 rows): the count, and up to :data:`SPOT_CHECK` of the
        ids, among them the lowest and highest."""
        ids = np.unique(np.asarray(ids, dtype=np.int64))
        if len(ids) != self._count:
            return False
        # Every row, counted without a filter (Milvus Lite evaluates a filter row by row in
        # Python: 3 s per 50,000): the visible ones plus the removed ones still stored. Only
        # when that differs (an interrupted update's rows, or rows lost) are the visible
        # rows counted through the filter.
        if self._count_rows("") != len(ids) + len(set(self.removed) | set(self.pending)) \
                and self._count_rows(self._filter()) != len(ids):
            return False
        if not len(ids):
            return True
        sample = np.unique(np.r_[ids[:: max(1, len(ids) // SPOT_CHECK)], ids[-1]]).tolist()
        return self._stored(sample, self._filter()) == sample

    def save(self, path: str | Path) -> Path:
        """Flush the rows and write the pointer file that the manifest will name. Nothing
        becomes visible to readers until the manifest that names ``path`` is in place."""
        path = Path(path)
        self._start_writing()  # even with nothing added: no stray row may enter the new state
        client_for(self.target).flush(self.collection)
        pointer = {
            "kind": KIND,
            "uri": self.target.uri,
            "collection": self.collection,
            "dimension": self.dimension,
            "metric": "IP",
            "index_type": self.index_type,
            "write": self.writing,
            "count": self._count,
            "removed": sorted(set(self.removed) | set(self.pending)),
            "retired": self.retired,
        }
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(pointer, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        self.committed = self.writing
        self.removed = sorted(set(self.removed) | set(self.pending))
        self.pending = []
        self._writing = False
        return path

    def after_commit(self) -> None:
        """Once the manifest naming this store's pointer is in place: delete the removed
        rows and drop the collections this one replaced. Safe to repeat."""
        if self._writing or self.pending:
            raise RuntimeError("after_commit() follows save() and the manifest switch, before further changes")
        client = client_for(self.target)
        if self.removed:
            for start in range(0, len(self.removed), ID_BATCH):
                client.delete(self.collection, ids=self.removed[start:start + ID_BATCH])
            client.flush(self.collection)
            self.removed = []
        for name in self.retired:
            if client.has_collection(name):
                client.drop_collection(name)
        self.retired = []

    def drop(self) -> None:
        """Delete the whole collection (a build that failed before its manifest switch)."""
        client = client_for(self.target)
        if client.has_collection(self.collection):
            client.drop_collection(self.collection)

    def describe(self) -> dict:
        """What the manifest records about the store: no credentials."""
        return {"kind": KIND, "uri": self.target.uri, "collection": self.collection, "metric": "inner_product",
                "index_type": self.index_type, "ntotal": self._count}

    # -- helpers ---------------------------------------------------------------------------
    def _filter(self) -> str:
        """The rows this store may see: those committed (plus its own while it writes),
        less the removed ones."""
        expr = f"{WRITE_FIELD} <= {self.writing if self._writing else self.committed}"
        hidden = sorted(set(self.removed) | set(self.pending))
        if hidden:
            expr += f" and id not in {hidden}"
        return expr

    def _stored(self, ids: list[int], expr: str = "") -> list[int]:
        """Which of ``ids`` the collection holds (among the rows ``expr`` selects)."""
        if not ids:
            return []
        client = client_for(self.target)
        out: list[int] = []
        for start in range(0, len(ids), ID_BATCH):
            chunk = ids[start:start + ID_BATCH]
            rows = client.query(self.collection, filter=f"id in {chunk}" + (f" and {expr}" if expr else ""),
                                output_fields=["id"], consistency_level="Strong")
            out.extend(int(r["id"]) for r in rows)
        return sorted(out)

    def _count_rows(self, expr: str) -> int:
        rows = client_for(self.target).query(self.collection, filter=expr, output_fields=["count(*)"],
                                             consistency_level="Strong")
        return int(rows[0]["count(*)"])

    def _start_writing(self) -> None:
        """Before this update's first row: delete the rows an interrupted update wrote
        above ``committed`` (no manifest names them, no reader sees them)."""
        if self._writing:
            return
        client = client_for(self.target)
        client.delete(self.collection, filter=f"{WRITE_FIELD} > {self.committed}")
        client.flush(self.collection)
        self._writing = True
