"""Retrieval at a million passages: exact FAISS search against the IVF index the project
switches to past ``qa.store.faiss_store.ANN_THRESHOLD`` passages (recall@10 against exact, latency, memory).

    python -m qa.bench.ann                 # 1,000,000 synthetic vectors
    python -m qa.bench.ann --vectors 200000

The vectors are synthetic, 384 floats like all-MiniLM-L6-v2's: unit vectors scattered
around 10,000 random topic centres, each point at its own distance from its centre
(cosine ~0.55-0.8 to it, ~0.3-0.6 between two points of one topic, ~0 across topics), and
questions drawn the same way. The IVF index is built by the project's own
``qa.store.faiss_store.new_faiss_index`` (k-means lists, ``nprobe`` as shipped); searches run one
question at a time on one thread, as ``Retriever`` searches. The same comparison is
repeated on real vectors, SciFact's passages and questions, when that index has been built.
"""
from __future__ import annotations

import argparse
import os
import time


from .common import CACHE, Results, log, ms, percentile, rss_mb, scifact_queries

DIM = 384


def synthetic(n: int, topics: int = 10_000, seed: int = 0, chunk: int = 100_000):
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((topics, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        spread = rng.uniform(0.035, 0.07, size=(m, 1)).astype(np.float32)
        x = centres[rng.integers(topics, size=m)] + rng.standard_normal((m, DIM)).astype(np.float32) * spread
        out[start:start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def recall_at(found, exact, k: int = 10) -> float:
    return sum(len(set(f[:k]) & set(e[:k])) for f, e in zip(found, exact)) / (k * len(exact))


def one_by_one(index, queries, k: int = 10):
    """Each question searched alone on one thread: (ids, seconds per question)."""
    import faiss
    import numpy as np

    faiss.omp_set_num_threads(1)
    ids, times = [], []
    for q in queries:
        started = time.perf_counter()
        _, found = index.search(q[None, :], k)
        times.append(time.perf_counter() - started)
        ids.append(found[0])
    return np.array(ids), times


def compare(results: Results, label: str, vectors, queries, flat_queries: int) -> None:
    import faiss
    import numpy as np

    from qa.store.faiss_store import ANN_THRESHOLD, new_faiss_index

    n = len(vectors)
    ids = np.arange(n, dtype=np.int64)
    before = rss_mb()
    started = time.perf_counter()
    flat = faiss.IndexIDMap2(faiss.IndexFlatIP(DIM))
    flat.add_with_ids(vectors, ids)
    flat_build, flat_mb = time.perf_counter() - started, rss_mb() - before
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    _, exact = flat.search(queries, 10)  # ground truth, batched on every core
    _, flat_times = one_by_one(flat, queries[:flat_queries])

    before = rss_mb()
    started = time.perf_counter()
    ivf = new_faiss_index(DIM, training=vectors)
    ivf.add_with_ids(vectors, ids)
    ivf_build, ivf_mb = time.perf_counter() - started, rss_mb() - before
    shipped = ivf.nprobe
    sweep = {}
    for nprobe in sorted({8, 16, 32, 64, shipped}):
        ivf.nprobe = min(nprobe, ivf.nlist)
        found, times = one_by_one(ivf, queries)
        sweep[nprobe] = (recall_at(found, exact), percentile(times, 50), percentile(times, 95))
    ivf.nprobe = shipped
    recall, p50, p95 = sweep[shipped]
    results.figures[f"ann_{label}"] = {"n": n, "nlist": ivf.nlist, "nprobe": shipped, "sweep": sweep,
                                       "flat_p50": percentile(flat_times, 50), "flat_build_s": flat_build,
                                       "ivf_build_s": ivf_build, "flat_mb": flat_mb, "ivf_mb": ivf_mb}
    flat_p50 = percentile(flat_times, 50)
    results.add("scale", f"{label}: {n:,} vectors, search p50 (one thread)",
                f"IVF {ms(p50)} (p95 {ms(p95)})", f"exact {ms(flat_p50)} (p95 {ms(percentile(flat_times, 95))})",
                f"{flat_p50 / p50:.0f}x faster", f"nlist {ivf.nlist}, nprobe {shipped}; exact p50 over "
                f"{len(flat_times)} questions")
    results.add("scale", f"{label}: recall@10 of IVF against exact ({len(queries)} questions)", f"{recall:.3f}",
                "1.000", note="nprobe " + ", ".join(f"{k}: {v[0]:.3f} @ {ms(v[1])}" for k, v in sweep.items()))
    results.add("scale", f"{label}: memory taken by building the index / build time",
                f"IVF {ivf_mb:,.0f} MB / {ivf_build:.0f} s", f"exact {flat_mb:,.0f} MB / {flat_build:.1f} s",
                note=f"the vectors alone are {vectors.nbytes / 2**20:,.0f} MB; IVF is used from "
                     f"{ANN_THRESHOLD:,} passages up")
    del flat, ivf


def real_vectors(docs: int):
    """SciFact passage vectors from the benchmark index and its questions' vectors, if built."""
    import numpy as np

    import qa

    index = CACHE / f"scifact-{docs}" / "index"
    try:
        data = qa.store.index_files.load_index(index)
    except qa.QAError:
        return None
    ids = np.array([p.id for p in data.passages], dtype=np.int64)
    vectors = np.ascontiguousarray(data.vector_store.reconstruct(ids))
    questions = qa.get_embedder(data.model).encode(scifact_queries())
    return vectors, np.ascontiguousarray(questions, dtype=np.float32)


def run(results: Results, n_vectors: int, questions: int, flat_questions: int, docs: int) -> None:
    log(f"ANN: {n_vectors:,} synthetic vectors")
    data = synthetic(n_vectors + questions)
    compare(results, "synthetic", data[:n_vectors], data[n_vectors:], flat_questions)
    del data
    real = real_vectors(docs)
    if real is not None:
        log("ANN: SciFact passage vectors")
        compare(results, "SciFact", real[0], real[1], flat_questions)


def main(argv=None) -> Results:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vectors", type=int, default=1_000_000)
    parser.add_argument("--questions", type=int, default=300, help="questions for recall and IVF latency")
    parser.add_argument("--flat-questions", type=int, default=30, help="questions timed on exact search (slow)")
    parser.add_argument("--docs", type=int, default=5000, help="SciFact index to repeat the check on")
    args = parser.parse_args(argv)
    results = Results()
    run(results, args.vectors, args.questions, args.flat_questions, args.docs)
    print(results.table())
    return results


if __name__ == "__main__":
    main()
