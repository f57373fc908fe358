"""A learned reranker over the sentences of the product's top 5 hits (round 4): the signals
of learned.py plus each hit's passage share (its ranking score less its support) and, with
``--tm``, token matching (token_match.py); then a grid over a few hand weights of the same
kind, chosen on tune + seed. Prints sentences quoted right, on questions whose answer is in
the top 5 hits (47 of 50 newsqa-dev, 37 of 37 seed). LOAO: leave one article out.

PYTHONPATH=. python benchmarks/reader_answers/rerank.py [--tm]
(run learned.py first: it builds the seed index)
"""
from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import learned  # noqa: E402
from learned import Question, fit, right  # noqa: E402
from qa.answer.retriever import Retriever  # noqa: E402
from qa.evaluate.newsqa import _subject_part, index_folder, split_articles  # noqa: E402

L2 = (0.3, 1.0, 3.0, 10.0)


def in_top_hits(collection: learned.Collection, questions: list[Question], k: int = 5) -> list[Question]:
    """Each question with only the sentences of its top ``k`` hits as candidates, and each
    one's passage share (its hit's ranking score less its support) as a last signal; questions
    whose answer is not among them are left out (no reranker could quote it)."""
    out = []
    for q in questions:
        share: dict[int, float] = {}
        for hit in collection.retriever.retrieve(q.text, k=k):
            for i, text in enumerate(collection.texts):
                if collection.docs[i] == hit.doc_id and text in hit.text:
                    share[i] = max(share.get(i, -9.0), hit.score - hit.support)
        rows = np.array(sorted(share))
        if not q.label[rows].any():
            continue
        shares = np.array([share[i] for i in rows])
        out.append(Question(q.text, q.kind, q.group, q.part, np.column_stack([q.x[rows], shares]), q.label[rows],
                            q.shipped[rows] + shares, q.cos[rows]))
    return out


def hand_weights(tune, seed, report, columns: dict[str, int]) -> None:
    """A grid over the cosine, twin-cosine and token-match weights of the shipped formula's
    shape, chosen on tune + seed: the twelve best, with their report figures."""
    rows = []
    for a, b, c, d in itertools.product((0.25, 0.5, 1.0), (0.0, 0.5, 1.0), (0.0, 0.5, 1.0, 2.0), (0.0, 0.5, 1.0, 2.0)):
        def score(q, a=a, b=b, c=c, d=d):
            x = lambda name: q.x[:, columns[name]]  # noqa: E731
            return (a * x("cos") + b * x("cos_unnamed") - 0.25 * (1 - x("name_share")) + 0.5 * x("word_share")
                    - 0.2 * (1 - x("gives_type")) + c * x("match_f1") + d * x("match_recall") + x("share"))
        rows.append((right(tune, score) + right(seed, score), right(tune, score), right(seed, score),
                     right(report, score), (a, b, c, d)))
    rows.sort(reverse=True)
    for row in rows[:12]:
        print("tune+seed %d  tune %d seed %d  -> report %d  (cos, cos_unnamed, f1, recall) = %s" % row)
    print("the shipped shape (0.5, 1, 0, 0):", [r for r in rows if r[4] == (0.5, 1.0, 0.0, 0.0)])


def main() -> None:
    articles, rows, _ = learned.read_folder(learned.FOLDER)
    names = [p.name for p in sorted(articles.iterdir()) if p.is_file()]
    parts = split_articles(names)
    bodies = {n: (articles / n).read_text(encoding="utf-8").lower() for n in names}
    news = learned.Collection.of(Retriever(index_dir=index_folder(learned.FOLDER)))
    newsqa = learned.questions_of(news, rows, lambda row: (row["doc"], _subject_part(row, parts, bodies)))
    seed_collection = learned.Collection.of(Retriever(index_dir="benchmarks/.cache/index-seed-learned"))
    seed_rows = [json.loads(line) for line in Path(learned.SEED_QUESTIONS).read_text().splitlines() if line.strip()]
    seed = learned.questions_of(seed_collection, seed_rows, lambda row: ("seed", "seed"))
    token_match = "--tm" in sys.argv
    if token_match:
        learned.add_token_match(news, newsqa)
        learned.add_token_match(seed_collection, seed)
    asked, seed = in_top_hits(news, newsqa), in_top_hits(seed_collection, seed)
    tune = [q for q in asked if q.part == "tune"]
    report = [q for q in asked if q.part == "report"]
    print("answer in the top 5 hits: tune", len(tune), "report", len(report), "seed", len(seed),
          "(with token matching)" if token_match else "")
    shipped = lambda q: q.shipped  # noqa: E731
    print("product (support + passage share): tune", right(tune, shipped), "report", right(report, shipped),
          "seed", right(seed, shipped))
    for l2 in L2:
        model, _ = fit(tune + seed, l2)
        by_article = learned.leave_one_article_out(asked, seed, l2)
        everything, _ = fit(asked, l2)
        learned_score = lambda q, m=model: m(q.x)  # noqa: E731
        print(f"l2 {l2}: fit tune+seed -> tune {right(tune, learned_score)} report {right(report, learned_score)}"
              f" seed {right(seed, learned_score)}; LOAO {by_article}/{len(asked)} (product {right(asked, shipped)});"
              f" in-sample {right(asked, lambda q: everything(q.x))}")
    features = list(learned.FEATURES) + (["match_recall", "match_f1"] if token_match else []) + ["share"]
    _, weights = fit(tune + seed, 1.0)
    print("weights (raw units):", ", ".join(f"{n} {v:+.2f}" for n, v in zip(features, weights)))
    if token_match:
        hand_weights(tune, seed, report, {n: i for i, n in enumerate(features)})


if __name__ == "__main__":
    main()
