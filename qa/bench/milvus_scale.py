"""Milvus Lite against FAISS at 100,000 passages: build time, query p50 and recall@10.

    python -m qa.bench.milvus_scale                  # 100,000 vectors, 200 questions
    python -m qa.bench.milvus_scale --vectors 20000 --out results.json

The vectors are synthetic (``bench_ann.synthetic``): 384-float unit vectors scattered
around random topic centres, like all-MiniLM-L6-v2's passage vectors in spread, and the
questions drawn the same way. Ground truth is exact inner product (numpy). Each store is
built the way an index build fills it (ids and vectors added in batches, then saved), and
questions are searched one at a time, as ``Retriever`` does:

* FAISS exact: ``FaissStore`` with ``IndexFlatIP`` (the project's store below 100,000);
* FAISS as shipped at this size: ``FaissStore.fit_to_size()`` (IVF from 100,000 up);
* Milvus Lite FLAT (``MilvusStore``'s default, exact) and HNSW (``M`` 16, ``ef`` 256).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


from .ann import recall_at, synthetic


def measure(name: str, build, queries: np.ndarray, exact: np.ndarray, timed: int) -> dict:
    started = time.perf_counter()
    store = build()
    build_s = time.perf_counter() - started
    store.search(queries[:1], 10)  # the first search loads what it needs; not a steady-state figure
    found, times = [], []
    for q in queries:
        started = time.perf_counter()
        _, ids = store.search(q[None, :], 10)
        times.append(time.perf_counter() - started)
        found.append(ids[0])
    row = {"store": name, "build_s": round(build_s, 2),
           "query_p50_ms": round(1000 * statistics.median(times[:timed]), 2),
           "recall@10": round(recall_at(np.array(found), exact), 4)}
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


def compare(n_vectors: int, n_questions: int, batch: int = 5_000) -> list[dict]:
    """One row per store: build seconds, query p50 (ms) and recall@10."""
    from qa.store.faiss_store import FaissStore
    from qa.store.milvus_client import release
    from qa.store.milvus_store import MilvusStore

    data = synthetic(n_vectors + n_questions)
    vectors, queries = data[:n_vectors], data[n_vectors:]
    ids = np.arange(len(vectors), dtype=np.int64)
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]

    def fill(store, path: Path):
        for start in range(0, len(ids), batch):
            store.add(ids[start:start + batch], vectors[start:start + batch])
        store.fit_to_size()
        store.save(path)
        return store

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        def faiss_exact():
            store = FaissStore.empty(vectors.shape[1])
            for start in range(0, len(ids), batch):
                store.add(ids[start:start + batch], vectors[start:start + batch])
            store.save(tmp / "flat.faiss")
            return store

        rows.append(measure("FAISS exact (IndexFlatIP)", faiss_exact, queries, exact, len(queries)))
        rows.append(measure("FAISS as shipped (fit_to_size)",
                            lambda: fill(FaissStore.empty(vectors.shape[1]), tmp / "fit.faiss"),
                            queries, exact, len(queries)))
        uri = f"milvus://{tmp / 'bench.db'}"
        for index_type in ("FLAT", "HNSW"):
            rows.append(measure(f"Milvus Lite {index_type}",
                                lambda: fill(MilvusStore.create(uri, vectors.shape[1], index_type=index_type),
                                             tmp / f"{index_type}.json"),
                                queries, exact, len(queries)))
        release(uri)
    return rows


def run(results, n_vectors: int = 100_000, n_questions: int = 200) -> None:
    """Rows for ``qa bench --part milvus``: each Milvus Lite index beside FAISS exact."""
    rows = {row["store"]: row for row in compare(n_vectors, n_questions)}
    results.figures["milvus_scale"] = rows
    flat = rows["FAISS exact (IndexFlatIP)"]
    for name, row in rows.items():
        if row is flat:
            continue
        results.add("milvus", f"{n_vectors:,} synthetic vectors: {name}, build / query p50 / recall@10",
                    f"{row['build_s']:.1f} s / {row['query_p50_ms']:.2f} ms / {row['recall@10']:.3f}",
                    f"FAISS exact {flat['build_s']:.1f} s / {flat['query_p50_ms']:.2f} ms",
                    f"{flat['query_p50_ms'] / row['query_p50_ms']:.2f}x query speed",
                    "one question at a time")


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vectors", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--batch", type=int, default=5_000, help="vectors per add(), as a build embeds them")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    rows = compare(args.vectors, args.questions, args.batch)
    report = {"vectors": args.vectors, "dimension": 384, "questions": args.questions,
              "data": "synthetic topic-clustered unit vectors (bench_ann.synthetic)", "rows": rows}
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return rows


if __name__ == "__main__":
    main()
