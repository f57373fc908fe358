"""An article's word stems for the names check (``ArticleWords.name_share``): stemming each
new article's whole text (before) against the union of the stems the sentence chooser
already keeps per passage (now, ``ArticleWords(..., chooser)``). Both answer the same
questions' candidate articles in turn, on the 5,000-abstract SciFact index that
``qa bench --part answer`` builds, after a server's warm-up (every passage's features
prepared); caches fill as a server's would. Prints the p50 and p95 time per question of
the names check and whether the shares agree.

    python experiments/try_article_stems.py [benchmarks/.cache/scifact-5000/index]

Result (ran on 85ba3ee, 2-core machine, load about 0.5, 150 questions): per question,
before p50 2.72 ms / p95 16.30 ms, now p50 0.70 ms / p95 3.67 ms; the same shares for 150 of
150 questions.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

import qa
from qa.answer.sentence_choice import ArticleWords, SentenceChooser
from qa.bench.common import scifact_queries


def main(index: str = "benchmarks/.cache/scifact-5000/index", questions: int = 150) -> None:
    retriever = qa.Retriever(index_dir=Path(index))
    data = retriever.data
    chooser = SentenceChooser()
    chooser.prepare(data.passages)
    before = ArticleWords(data.documents, data.passages)
    now = ArticleWords(data.documents, data.passages, chooser)
    times = {"before": [], "now": []}
    agree = 0
    for n, question in enumerate(scifact_queries(questions)):
        pool = retriever.sentence_pool(question)
        doc_ids = [p.doc_id for p in pool.passages]
        shares = {}
        for name, articles in ((("before", before), ("now", now)) if n % 2 == 0 else (("now", now), ("before", before))):
            started = time.perf_counter()
            shares[name] = articles.name_share(pool.asked, doc_ids)
            times[name].append(time.perf_counter() - started)
        agree += bool(np.array_equal(shares["before"], shares["now"]))
    for name, values in times.items():
        values = sorted(values)
        print(f"{name:>6}: p50 {statistics.median(values) * 1000:.2f} ms, p95 {values[int(0.95 * len(values))] * 1000:.2f} ms")
    print(f"same shares for {agree} of {questions} questions")


if __name__ == "__main__":
    main(*sys.argv[1:])
