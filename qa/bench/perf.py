"""This project beside the naive pipeline, in one run: the table in docs/performance.md.

    python -m qa.bench.perf                        # everything, ~15 minutes on 2 cores
    python -m qa.bench.perf --part answer --docs 500 --queries 50
    qa bench --part scale --vectors 200000           # the same, through the CLI

Parts (``--part``, repeatable; default all):

* ``answer``: warm ``retrieve()`` p50/p95 on the seed corpus and on SciFact, and a cold
  ``qa ask`` (query.py);
* ``indexing``: throughput and peak memory on a sample of SciFact, and the cost of adding
  one article to a ``--docs`` index as a share of a full build (indexing.py);
* ``scale``: a million passages, exact search against the IVF index (ann.py);
* ``milvus`` (only when asked for): Milvus Lite against FAISS at 100,000 vectors, and
  Milvus's BM25 against ours (milvus_scale.py, milvus_bm25.py; docs/scaling.md).

The naive pipeline is sentence-transformers on torch, FAISS ``IndexFlatIP`` and nothing
cached, run over the same passages. Timings are noisy on a shared machine: each ratio
compares figures measured side by side, alternating the two pipelines.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path


from .common import Results, log

PARTS = ("indexing", "answer", "scale", "milvus")
DEFAULT_PARTS = ("indexing", "answer", "scale")  # milvus only when asked for: it is no speed target


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="qa bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", action="append", choices=PARTS, help="what to measure (default: all)")
    parser.add_argument("--docs", type=int, default=5000,
                        help="SciFact abstracts in the large index (searched, and added to); default 5000")
    parser.add_argument("--sample-docs", type=int, default=200,
                        help="abstracts both pipelines index for throughput and memory; default 200")
    parser.add_argument("--queries", type=int, default=100, help="SciFact questions timed; default 100")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of process-level runs; default 2")
    parser.add_argument("--vectors", type=int, default=1_000_000, help="synthetic vectors for the scale part")
    parser.add_argument("--json", metavar="FILE", help="also write every raw figure to FILE")
    args = parser.parse_args(argv)
    for name in ("docs", "sample_docs", "queries", "rounds", "vectors"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv=None) -> int:
    args = parse(argv)
    parts = args.part or list(DEFAULT_PARTS)
    results = Results()
    started = time.perf_counter()
    load_before = os.getloadavg()[0]  # a shared machine: how busy it was says how noisy the figures are
    if "indexing" in parts:
        from . import indexing as bench_indexing

        bench_indexing.run(results, args.sample_docs, args.docs, args.rounds)
    if "answer" in parts:
        from . import query as bench_query

        bench_query.run(results, args.docs, args.queries, max(args.rounds, 3))
    if "scale" in parts:
        from . import ann as bench_ann

        bench_ann.run(results, args.vectors, 300, 30, args.docs)
    if "milvus" in parts:
        from . import milvus_bm25 as bench_milvus_bm25
        from . import milvus_scale as bench_milvus_scale

        bench_milvus_scale.run(results)
        bench_milvus_bm25.run(results)
    minutes = (time.perf_counter() - started) / 60
    command = "qa bench" + ("" if argv is None else " " + " ".join(argv))
    print(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; {minutes:.1f} minutes; `{command.strip()}`; "
          f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end\n")
    print(results.table())
    if args.json:
        Path(args.json).write_text(json.dumps(results.figures, indent=1, default=float), encoding="utf-8")
        log(f"raw figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
