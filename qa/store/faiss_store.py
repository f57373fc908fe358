"""The FAISS vector store: the only module that imports FAISS.

Passage vectors are unit length and compared by inner product (cosine). Below
:data:`ANN_THRESHOLD` passages the store is exact (``IndexIDMap2`` over ``IndexFlatIP``);
at or above it, ``IndexIVFFlat`` (k-means lists; a question scans the ``nprobe`` nearest).

>>> import numpy as np
>>> store = FaissStore.empty(4)
>>> store.add(np.array([7, 9]), np.eye(4, dtype=np.float32)[:2])
>>> scores, ids = store.search(np.eye(4, dtype=np.float32)[:1], 2)
>>> ids.tolist(), scores.round(2).tolist()
([[7, 9]], [[1.0, 0.0]])
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..files import write_atomic
from .vectors import VectorStore

KIND = "faiss"

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
# From this many passages an exact store scans a float16 copy of its vectors (see
# HalfPrecisionScan); below it the float32 scan is already a fraction of a millisecond.
HALF_PRECISION_MIN = 2_000


def ivf_lists(n_vectors: int) -> int:
    """Number of IVF lists for ``n_vectors``: about 4 sqrt(n), a power of two (4,096 at a million).

    Finer lists keep a neighbourhood whole in fewer lists: at a million vectors and 32 lists
    searched, 4,096 lists gave recall@10 0.99 where 1,024 gave 0.88, for the same time.
    """
    return int(2 ** round(np.log2(4 * max(n_vectors, 1) ** 0.5)))


def wants_ivf(total: int, threshold: int | None = None) -> bool:
    """Whether a store of ``total`` vectors is searched approximately (IVF): at or above
    ``threshold`` (default :data:`ANN_THRESHOLD`); an empty one is exact."""
    return bool(total) and total >= (ANN_THRESHOLD if threshold is None else threshold)


def keeps_structure(description: dict[str, Any], total: int, threshold: int | None = None) -> bool:
    """Whether the store a manifest describes (``manifest["store"]``) would keep its structure
    holding ``total`` vectors, as :meth:`FaissStore.fit_to_size` decides it: then vectors
    added to it may wait in a file of their own (:mod:`qa.store.added_vectors`)."""
    approximate = wants_ivf(total, threshold)
    if description.get("index") == "flat":
        return not approximate
    nlist = description.get("nlist")
    return description.get("index") == "ivf" and approximate and isinstance(nlist, int) and nlist > 0 and (
        0.25 <= ivf_lists(total) / nlist <= 4)


def new_faiss_index(dimension: int, training: np.ndarray | None = None):
    """An empty FAISS index over inner product: exact (``IndexIDMap2`` over ``IndexFlatIP``),
    or, given ``training`` vectors, ``IndexIVFFlat`` with lists trained on them."""
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


# A filtered search over at most this many ids scores their vectors directly; past it,
# FAISS searches with an id selector.
DIRECT_FILTER_MAX = 2048


class FaissStore(VectorStore):
    """A :class:`qa.store.vectors.VectorStore` kept in one FAISS index (one file on disk)."""

    kind = KIND

    def __init__(self, index: Any):
        self.index = index  # the FAISS index itself, for benchmarks and checks
        self._half: HalfPrecisionScan | None = None
        self._half_checked = False

    @classmethod
    def empty(cls, dimension: int) -> "FaissStore":
        return cls(new_faiss_index(dimension))

    # -- the protocol ----------------------------------------------------------------
    @property
    def dimension(self) -> int:
        return int(self.index.d)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def index_kind(self) -> str:
        """``"ivf"`` or ``"flat"``."""
        return "ivf" if hasattr(self.index, "nprobe") else "flat"

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                                    np.ascontiguousarray(ids, dtype=np.int64))
            self._changed()

    def remove(self, ids: np.ndarray) -> int:
        removed = int(self.index.remove_ids(np.ascontiguousarray(ids, dtype=np.int64))) if len(ids) else 0
        self._changed()
        return removed

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, ids)`` of the ``k`` nearest stored vectors per query row, best first;
        id -1 where there are fewer than ``k``. ``allowed`` ids only, when given: a few
        (an article's passages) are scored directly from their vectors, more through a FAISS
        id selector."""
        import faiss

        # One question's search is microseconds of work, but FAISS's OpenMP threads make
        # each call take milliseconds, and tens of them when a busy web server's threads
        # compete for the cores. The setting belongs to the calling thread, so it is made
        # here, in whichever thread searches.
        faiss.omp_set_num_threads(1)
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if allowed is not None:
            return self._search_among(queries, k, np.unique(np.asarray(allowed, dtype=np.int64)))
        half = self._half_precision()
        if half is None or len(queries) != 1:
            return self.index.search(queries, k)
        scores, ids = half.search(queries[0], min(k, len(self)))
        missing = k - ids.shape[1]
        if missing > 0:  # fewer vectors than asked for: padded as FAISS pads
            scores = np.pad(scores, ((0, 0), (0, missing)), constant_values=-np.finfo(np.float32).max)
            ids = np.pad(ids, ((0, 0), (0, missing)), constant_values=-1)
        return scores, ids

    def _search_among(self, queries: np.ndarray, k: int, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        scores = np.full((len(queries), k), -np.finfo(np.float32).max, dtype=np.float32)
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        if len(allowed) == 0 or len(self) == 0:
            return scores, ids
        if len(allowed) <= DIRECT_FILTER_MAX:
            allowed = allowed[np.isin(allowed, self.ids())] if len(allowed) else allowed
            every = queries @ self.reconstruct(allowed).T
            for row, found in enumerate(every):
                order = np.lexsort((allowed, -found))[:k]
                scores[row, : len(order)], ids[row, : len(order)] = found[order], allowed[order]
            return scores, ids
        selector = faiss.IDSelectorBatch(allowed)
        params = (faiss.SearchParametersIVF(sel=selector, nprobe=self.index.nprobe) if hasattr(self.index, "nprobe")
                  else faiss.SearchParameters(sel=selector))
        return self.index.search(queries, k, params=params)

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        return self.index.reconstruct_batch(np.ascontiguousarray(ids, dtype=np.int64))

    def ids(self) -> np.ndarray:
        """Every stored id (in no particular order)."""
        import faiss

        if hasattr(self.index, "id_map"):
            return faiss.vector_to_array(self.index.id_map).astype(np.int64)
        invlists = faiss.extract_index_ivf(self.index).invlists
        parts = [faiss.rev_swig_ptr(invlists.get_ids(i), invlists.list_size(i)).copy()
                 for i in range(invlists.nlist) if invlists.list_size(i)]
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)

    def warm(self) -> None:
        """Make the float16 copy now (a server's start), not on the first question."""
        self._half_precision()

    def fit_to_size(self, threshold: int | None = None) -> bool:
        """Give the store the FAISS index its size calls for; True when it had to be rebuilt.

        Exact below ``threshold`` passages (default :data:`ANN_THRESHOLD`), IVF at or above
        it. An IVF index is trained again once the passages outgrow (or shrink from) its
        lists fourfold in number of lists, i.e. sixteenfold in passages; between those, new
        passages join the nearest existing lists.
        """
        n = len(self)
        if keeps_structure(self.describe(), n, threshold):
            return False
        ids = np.sort(self.ids())
        vectors = self.reconstruct(ids) if n else np.zeros((0, self.dimension), dtype=np.float32)
        self.index = new_faiss_index(self.dimension, training=vectors if wants_ivf(n, threshold) else None)
        self.add(ids, vectors)
        self._changed()
        return True

    def describe(self) -> dict[str, Any]:
        """What the index manifest records about the store (its ``"store"`` entry)."""
        info = {"kind": KIND, "index": self.index_kind, "type": type(self.index).__name__,
                "metric": "inner_product", "ntotal": len(self)}
        if info["index"] == "ivf":
            info.update(nlist=int(self.index.nlist), nprobe=int(self.index.nprobe))
        return info

    def save(self, path: str | Path) -> None:
        import faiss

        write_atomic(Path(path), lambda fh: fh.write(faiss.serialize_index(self.index).tobytes()))

    def copy(self) -> "FaissStore":
        """A store of its own holding the same vectors (a reload adds to it while questions
        may still search this one: :mod:`qa.store.reload`)."""
        import faiss

        return FaissStore(faiss.clone_index(self.index))

    @classmethod
    def load(cls, path: str | Path) -> "FaissStore":
        import faiss

        return cls(faiss.deserialize_index(np.fromfile(Path(path), dtype=np.uint8)))

    # -- the float16 scan ------------------------------------------------------------
    def _changed(self) -> None:
        self._half, self._half_checked = None, False

    def _half_precision(self) -> "HalfPrecisionScan | None":
        if not self._half_checked:
            self._half = HalfPrecisionScan.of(self.index)
            self._half_checked = True
        return self._half


class HalfPrecisionScan:
    """The nearest vectors of an exact index, found in a float16 copy of its vectors.

    A question scans every passage vector, and on a large index that scan is bound by
    memory: half the bytes take less time. FAISS's ``IndexRefineFlat`` finds the top ``k``
    in a float16 ``IndexScalarQuantizer`` and scores those again in float32, so the cosines
    are exact; it holds 0.9995-0.9998 of the exact top 100, the misses being ties at the cut
    within float16's rounding. It keeps a float32 copy of its own beside the float16 one
    (1.5 times the index's memory again): ``python experiments/try_refine.py`` measured it
    faster than ``IndexRefine`` over the store's own vectors, which would need only the
    float16 copy, and than the numpy-rescored scan this replaced. Made when an index is
    first searched (~70 ms per 20,000 passages); small indexes and IVF indexes are searched
    by FAISS as they are.
    """

    def __init__(self, flat: Any, ids: np.ndarray):
        import faiss

        self._ids = ids
        n, d = flat.ntotal, flat.d
        half = faiss.IndexScalarQuantizer(d, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
        self._refine = faiss.IndexRefineFlat(half)
        self._half = half  # the refine index does not own it: this reference keeps it alive
        self._refine.add(faiss.rev_swig_ptr(flat.get_xb(), n * d).reshape(n, d))

    @classmethod
    def of(cls, index: Any, min_vectors: int | None = None) -> "HalfPrecisionScan | None":
        """The scan for an ``IndexIDMap2`` over ``IndexFlatIP`` of at least ``min_vectors``
        (default :data:`HALF_PRECISION_MIN`); else None."""
        import faiss

        min_vectors = HALF_PRECISION_MIN if min_vectors is None else min_vectors
        if not isinstance(index, faiss.IndexIDMap2) or index.ntotal < min_vectors or index.ntotal == 0:
            return None
        flat = faiss.downcast_index(index.index)
        if not isinstance(flat, faiss.IndexFlatIP):
            return None
        return cls(flat, faiss.vector_to_array(index.id_map).astype(np.int64))

    def search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, ids)`` for one question, each of shape (1, k), best first (ties by id,
        so that runs repeat exactly)."""
        scores, rows = self._refine.search(np.ascontiguousarray(q, dtype=np.float32)[None, :], k)
        found = rows[0] >= 0
        scores, ids = scores[0][found], self._ids[rows[0][found]]
        order = np.lexsort((ids, -scores))
        return scores[order][None, :], ids[order][None, :]
