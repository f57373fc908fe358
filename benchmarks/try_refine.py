"""The float16 scan of an exact store two ways: FAISS's ``IndexRefineFlat`` over a float16
``IndexScalarQuantizer`` against the hand-made ``HalfPrecisionScan`` (qa.store.faiss_store).

Both find the top ``k`` in float16 and score those again in float32. For each: the median
and 95th-percentile time of one question's search (one thread, as the retriever searches),
and the share of the exact top ``k`` it returns.

    python benchmarks/try_refine.py                          # synthetic vectors, 20,000 and 90,000
    python benchmarks/try_refine.py --vectors VECTORS.npy    # real unit vectors (e.g. from benchmarks/.cache)
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import percentile  # noqa: E402

DIM = 384


def synthetic(n: int, seed: int = 0) -> np.ndarray:
    """Unit vectors in clusters, as sentence embeddings are: many near neighbours, close scores."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(8, n // 200), DIM)).astype(np.float32)
    x = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def timed(search, queries: np.ndarray) -> tuple[list[float], list[np.ndarray]]:
    times, found = [], []
    for q in queries:
        started = time.perf_counter()
        ids = search(q)
        times.append(time.perf_counter() - started)
        found.append(ids)
    return times, found


def compare(vectors: np.ndarray, queries: np.ndarray, k: int) -> None:
    import faiss

    from qa.store.faiss_store import HalfPrecisionScan, new_faiss_index

    faiss.omp_set_num_threads(1)
    ids = np.arange(len(vectors), dtype=np.int64) * 2 + 1  # ids that are not row numbers
    exact = new_faiss_index(DIM)
    exact.add_with_ids(vectors, ids)
    started = time.perf_counter()
    hand = HalfPrecisionScan.of(exact, min_vectors=0)
    hand_build = time.perf_counter() - started
    started = time.perf_counter()
    refine = faiss.IndexIDMap2(faiss.IndexRefineFlat(
        faiss.IndexScalarQuantizer(DIM, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)))
    refine.add_with_ids(vectors, ids)
    refine_build = time.perf_counter() - started

    truth = [exact.search(q[None, :], k)[1][0] for q in queries]
    ways = {
        "exact float32 (IndexFlatIP)": lambda q: exact.search(q[None, :], k)[1][0],
        "hand-made float16 scan": lambda q: hand.search(q, k)[1][0],
        "IndexRefineFlat over fp16 SQ": lambda q: refine.search(q[None, :], k)[1][0],
    }
    print(f"\n{len(vectors):,} vectors, {len(queries)} questions, top {k}; "
          f"built in {hand_build * 1e3:.0f} ms (hand-made), {refine_build * 1e3:.0f} ms (refine)")
    print(f"| {'search':<30} | p50 ms | p95 ms | share of exact top {k} |")
    print(f"|{'-' * 32}|--------|--------|{'-' * 24}|")
    for name, search in ways.items():
        for q in queries[:5]:  # warm caches
            search(q)
        times, found = timed(search, queries)
        share = np.mean([len(set(f.tolist()) & set(t.tolist())) / k for f, t in zip(found, truth)])
        print(f"| {name:<30} | {percentile(times, 50) * 1e3:6.2f} | {percentile(times, 95) * 1e3:6.2f} | {share:22.4f} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vectors", help="a .npy file of unit vectors (rows); default: synthetic ones")
    parser.add_argument("--sizes", default="20000,90000", help="synthetic corpus sizes (default 20000,90000)")
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("-k", type=int, default=100)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(1)
    if args.vectors:
        vectors = np.ascontiguousarray(np.load(args.vectors), dtype=np.float32)
        rows = rng.choice(len(vectors), min(args.questions, len(vectors)), replace=False)
        # Questions near stored vectors, as real questions are near their answers.
        queries = vectors[rows] + 0.3 * rng.standard_normal((len(rows), vectors.shape[1])).astype(np.float32)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        globals()["DIM"] = vectors.shape[1]
        compare(vectors, queries, args.k)
        return 0
    for n in (int(s) for s in args.sizes.split(",")):
        vectors = synthetic(n)
        queries = synthetic(args.questions, seed=2)
        compare(vectors, queries, args.k)
    return 0


if __name__ == "__main__":
    sys.exit(main())
