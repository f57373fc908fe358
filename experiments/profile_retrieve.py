"""Where a warm answer's time goes: ``cProfile`` of 100 ``retrieve`` calls on the SciFact
index of ``python experiments/try_mpnet_int8.py --latency 5000`` (19,239 passages), the
question cache cleared before each so that every question is embedded.

    python experiments/profile_retrieve.py [MODEL]     # default all-MiniLM-L6-v2

Result (ran on 2026-12-07 on f6fc1ee, all-MiniLM-L6-v2, 2-core x86-64): 58 ms a question in
all; the reader 38 ms (``Reader.score``: 4 sentences of about 84 tokens, question and
headline included), the question and its name-free twin 10 ms, the hybrid search 3.7 ms
(FAISS 2.2, BM25 0.6), the sentence pool's signals and the answer model's scores about
3 ms, the rest under 1 ms each.
"""
from __future__ import annotations

import cProfile
import pstats
import sys

import qa
from qa.bench.common import CACHE, scifact_queries


def main(model: str) -> None:
    retriever = qa.Retriever(index_dir=CACHE / f"scifact-5000-{model}" / "index")
    retriever.warm()
    questions = scifact_queries(103)
    for question in questions[:3]:
        retriever.retrieve(question, k=5)
    profile = cProfile.Profile()
    profile.enable()
    for question in questions[3:]:
        retriever.question_vectors.clear()
        retriever.retrieve(question, k=5)
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "all-MiniLM-L6-v2")
