"""How many sentences the reader should read, and what each stage quotes right.

For every answerable question of a reader-style folder (newsqa-dev, squad-dev), through the
product's public hooks (``Retriever.sentence_pool``, ``reader_set``, ``Retriever.reader``,
``score_pool``, ``Ranking``): whether the answering sentence is among the first stage's best
N (recall@N), and the share quoted right at rank 1 by the first stage alone, by the reader
alone over its N sentences, and by the final score, for each N.

    python experiments/reader/candidates.py ../shared/benchmarks/newsqa-dev ../shared/benchmarks/squad-dev
"""
from __future__ import annotations

import sys

import numpy as np

from qa.answer.ranking import Ranking, reader_set, score_pool
from qa.answer.retriever import Retriever
from qa.evaluate.newsqa import index_folder, read_folder, split_articles
from qa.evaluate.questions import fold_text

SIZES = (4, 8, 12, 16, 24)


def main(folders: list[str]) -> None:
    for folder in folders:
        retriever = Retriever(index_dir=index_folder(folder))
        articles, questions, _ = read_folder(folder)
        parts = split_articles([p.name for p in articles.iterdir()])
        titles = retriever.titles()
        rows = {part: {n: [0, 0, 0, 0] for n in SIZES} for part in ("tune", "report")}
        count = {"tune": 0, "report": 0}
        for q in questions:
            if not q.get("expect"):
                continue
            part = parts[q["doc"]]
            count[part] += 1
            pool = retriever.sentence_pool(q["q"])
            right = np.array([fold_text(q["expect"]) in fold_text(pool.text(i)) for i in range(len(pool))])
            largest = reader_set(pool, max(SIZES))
            scores = retriever.reader.score(q["q"], pool.reader_inputs(largest, titles, retriever.reader.reads_context))
            for n in SIZES:
                read, read_scores = largest[:n], scores[:n]
                scored = score_pool(pool, read, read_scores, retriever.answer_model)
                shown = Ranking.of(pool, scored).shown(1)
                tally = rows[part][n]
                tally[0] += bool(right[read].any())
                tally[1] += bool(len(read) and right[read[0]])
                tally[2] += bool(len(read) and right[read[int(np.argmax(read_scores))]])
                tally[3] += bool(shown and right[shown[0]])
        print(f"\n{folder}: answerable questions, share (tune / report)")
        print("| N | recall@N | first stage @1 | reader alone @1 | final @1 |")
        print("|---|---|---|---|---|")
        for n in SIZES:
            cells = [" / ".join(f"{rows[p][n][j] / max(1, count[p]):.2f}" for p in ("tune", "report"))
                     for j in range(4)]
            print(f"| {n} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
