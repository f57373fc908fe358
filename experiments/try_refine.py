"""The float16 scan of an exact store, three ways: a float16 ``IndexScalarQuantizer`` whose
top ``k`` numpy scores again in float32 (the hand-made scan the store used before); FAISS's
``IndexRefine`` over the same float16 index with the store's own ``IndexFlatIP`` as the
float32 side, no second copy; and ``IndexRefineFlat``, which keeps a float32 copy of its own
(``HalfPrecisionScan`` in qa.store.faiss_store now).

For each: the median and 95th-percentile time of one question's search (one thread, as the
retriever searches) and the share of the exact top ``k`` it returns. The ways take turns
question by question, so a busy machine slows them alike.

    python experiments/try_refine.py                          # synthetic vectors, 20,000 and 90,000
    python experiments/try_refine.py --vectors VECTORS.npy    # real unit vectors (e.g. from benchmarks/.cache)
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from qa.bench.common import percentile  # noqa: E402

DIM = 384


def synthetic(n: int, seed: int = 0) -> np.ndarray:
    """Unit vectors in clusters, as sentence embeddings are: many near neighbours, close scores."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(8, n // 200), DIM)).astype(np.float32)
    x = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def compare(vectors: np.ndarray, queries: np.ndarray, k: int) -> None:
    import faiss

    from qa.store.faiss_store import HalfPrecisionScan, new_faiss_index

    faiss.omp_set_num_threads(1)
    dim = vectors.shape[1]
    ids = np.arange(len(vectors), dtype=np.int64) * 2 + 1  # ids that are not row numbers
    exact = new_faiss_index(dim)
    exact.add_with_ids(vectors, ids)
    started = time.perf_counter()
    half = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    half.add(vectors)
    hand_build = time.perf_counter() - started

    def hand(q: np.ndarray) -> np.ndarray:
        _, rows = half.search(q[None, :], k)
        rows = rows[0][rows[0] >= 0]
        scores, found = vectors[rows] @ q, ids[rows]
        return found[np.lexsort((found, -scores))]

    started = time.perf_counter()
    shared_half = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    shared_half.add(vectors)
    shared = faiss.IndexRefine(shared_half, faiss.downcast_index(exact.index))
    id_map = faiss.vector_to_array(exact.id_map)
    shared_build = time.perf_counter() - started
    started = time.perf_counter()
    refine_flat = HalfPrecisionScan.of(exact, min_vectors=0)
    refine_flat_build = time.perf_counter() - started

    ways = {
        "exact float32 (IndexFlatIP)": lambda q: exact.search(q[None, :], k)[1][0],
        "hand-made float16 scan": hand,
        "IndexRefine, shared float32": lambda q: id_map[shared.search(q[None, :], k)[1][0]],
        "IndexRefineFlat (own copy)": lambda q: refine_flat.search(q, k)[1][0],
    }
    times = {name: [] for name in ways}
    share = {name: [] for name in ways}
    for q in queries[:5]:  # warm caches
        for search in ways.values():
            search(q)
    for q in queries:
        truth = set(ways["exact float32 (IndexFlatIP)"](q).tolist())
        for name, search in ways.items():
            started = time.perf_counter()
            found = search(q)
            times[name].append(time.perf_counter() - started)
            share[name].append(len(truth & set(found.tolist())) / k)
    print(f"\n{len(vectors):,} vectors, {len(queries)} questions, top {k}; float16 side built in "
          f"{hand_build * 1e3:.0f} ms (hand-made), {shared_build * 1e3:.0f} ms (IndexRefine), "
          f"{refine_flat_build * 1e3:.0f} ms (IndexRefineFlat, vectors added)")
    print(f"| {'search':<30} | p50 ms | p95 ms | share of exact top {k} |")
    print(f"|{'-' * 32}|--------|--------|{'-' * 24}|")
    for name in ways:
        print(f"| {name:<30} | {percentile(times[name], 50) * 1e3:6.2f} | {percentile(times[name], 95) * 1e3:6.2f} "
              f"| {np.mean(share[name]):22.4f} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vectors", help="a .npy file of unit vectors (rows); default: synthetic ones")
    parser.add_argument("--sizes", default="20000,90000", help="synthetic corpus sizes (default 20000,90000)")
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("-k", type=int, default=100)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(1)
    if args.vectors:
        vectors = np.ascontiguousarray(np.load(args.vectors), dtype=np.float32)
        rows = rng.choice(len(vectors), min(args.questions, len(vectors)), replace=False)
        # Questions near stored vectors, as real questions are near their answers.
        queries = vectors[rows] + 0.3 * rng.standard_normal((len(rows), vectors.shape[1])).astype(np.float32)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        compare(vectors, queries, args.k)
        return 0
    for n in (int(s) for s in args.sizes.split(",")):
        vectors = synthetic(n)
        queries = synthetic(args.questions, seed=2)
        compare(vectors, queries, args.k)
    return 0


if __name__ == "__main__":
    sys.exit(main())
