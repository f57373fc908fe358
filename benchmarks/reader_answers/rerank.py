"""A learned reranker over the sentences of the product's top 5 hits (round 4): the signals
of learned.py plus each hit's passage share (its ranking score less its support) and, with
``--tm``, token matching (token_match.py); then a grid over a few hand weights of the same
kind, chosen on tune + seed. Prints sentences quoted right, on questions whose answer is in
the top 5 hits (47 of 50 newsqa-dev, 37 of 37 seed). LOAO: leave one article out.

PYTHONPATH=. python benchmarks/reader_answers/rerank.py [--tm]
(run learned.py first: it builds the seed index)
"""
import itertools
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import learned as L
from qa.answer.retriever import Retriever
from qa.answer.question import strip_names
from qa.evaluate.newsqa import _subject_part, index_folder, read_folder, split_articles
def restrict(coll, qs, k=5):
    """Keep, per question, the candidates that are sentences of its top-k hits; add passage share."""
    r = coll.retriever
    out = []
    for q in qs:
        hits = r.retrieve(q.text, k=k)
        share = {}
        for h in hits:
            p = h.text
            for i, t in enumerate(coll.texts):
                if t in p and coll.docs[i] == h.doc_id:
                    share[i] = max(share.get(i, -9), h.score - h.support)
        idx = np.array(sorted(share))
        if not q.label[idx].any():
            continue  # the answer is not in the top hits: no reranker can quote it
        q2 = L.Question(q.text, q.kind, q.group, q.part, np.column_stack([q.x[idx], [share[i] for i in idx]]), q.label[idx],
                        q.shipped[idx] + np.array([share[i] for i in idx]), q.cos[idx])
        out.append(q2)
    return out
articles, rows, _ = L.read_folder(L.FOLDER)
names = [p.name for p in sorted(articles.iterdir()) if p.is_file()]
parts = split_articles(names); bodies = {n: (articles / n).read_text(encoding="utf-8").lower() for n in names}
news = L.Collection.of(Retriever(index_dir=index_folder(L.FOLDER)))
newsqa = L.questions_of(news, rows, lambda row: (row["doc"], _subject_part(row, parts, bodies)))
seedc = L.Collection.of(Retriever(index_dir="benchmarks/.cache/index-seed-learned"))
seed_rows = [json.loads(l) for l in Path(L.SEED_QUESTIONS).read_text().splitlines() if l.strip()]
seed = L.questions_of(seedc, seed_rows, lambda row: ("seed", "seed"))
tm = "--tm" in sys.argv
if tm:
    L.add_token_match(news, newsqa); L.add_token_match(seedc, seed)
N = restrict(news, newsqa); S = restrict(seedc, seed)
tune = [q for q in N if q.part == "tune"]; report = [q for q in N if q.part == "report"]
print("answer in top-5 hits: tune", len(tune), "report", len(report), "seed", len(S), "token match" if tm else "")
sh = lambda q: q.shipped
print("product (support + passage share): tune", L.right(tune, sh), "report", L.right(report, sh), "seed", L.right(S, sh))
for l2 in (0.3, 1.0, 3.0, 10.0):
    m, w = L.fit(tune + S, l2)
    f = lambda q: m(q.x)
    tot = 0
    for a in names:
        held = [q for q in N if q.group == a]
        if held:
            mm, _ = L.fit([q for q in N if q.group != a] + S, l2); tot += L.right(held, lambda q: mm(q.x))
    m2, _ = L.fit(N, l2)
    print(f"l2 {l2}: fit tune+seed -> tune {L.right(tune, f)} report {L.right(report, f)} seed {L.right(S, f)}; LOAO {tot}/{len(N)} (product {L.right(N, sh)}); in-sample {L.right(N, lambda q: m2(q.x))}")
names_f = list(L.FEATURES) + (["match_recall", "match_f1"] if tm else []) + ["share"]
m, w = L.fit(tune + S, 1.0)
print("weights (raw units):", ", ".join(f"{n} {v:+.2f}" for n, v in zip(names_f, w)))
# simple variants: a*cos + b*cos_unnamed + c*match_f1 + d*match_recall + shipped rest
if tm:
    ci = {n: i for i, n in enumerate(names_f)}
    best = []
    for a, b, c, d in itertools.product((0.25, 0.5, 1.0), (0.0, 0.5, 1.0), (0.0, 0.5, 1.0, 2.0), (0.0, 0.5, 1.0, 2.0)):
        def f(q, a=a, b=b, c=c, d=d):
            x = q.x
            return (a * x[:, ci["cos"]] + b * x[:, ci["cos_unnamed"]] - 0.25 * (1 - x[:, ci["name_share"]]) + 0.5 * x[:, ci["word_share"]]
                    - 0.2 * (1 - x[:, ci["gives_type"]]) + c * x[:, ci["match_f1"]] + d * x[:, ci["match_recall"]] + x[:, ci["share"]])
        best.append((L.right(tune, f) + L.right(S, f), L.right(tune, f), L.right(S, f), L.right(report, f), (a, b, c, d)))
    best.sort(reverse=True)
    for row in best[:12]: print("tune+seed %d  tune %d seed %d  -> report %d  (cos, cos_unnamed, f1, recall) = %s" % row)
    print("shipped-like (0.5,1,0,0):", [r for r in best if r[4] == (0.5, 1.0, 0.0, 0.0)])
