"""A learned combination of the sentence signals, against the shipped support formula
(round 4): which sentence of the whole collection answers a question, top 1.

Every sentence of every article is a candidate. Each (question, sentence) pair gets the
signals the product has, and a few it does not use:

    cos, cos_unnamed   the sentence's cosine with the question / the question without names
    name_share         share of the question's name words in the sentence's article
    word_share         share of the question's other content stems in the sentence
    gives_type         the sentence shows the type of answer asked for (or none is asked)
    gives_kind         the sentence gives the kind asked (date, number, amount), or none asked
    bm25               the sentence's BM25 score, over the best in the collection for the question
    article_cos        the best cosine of any sentence of the article (is it the story?)
    neighbour_cos      the best cosine of the sentence before or after it
    position, first    its place in the article (0 = first sentence), and whether it is first
    length             log of its words

A conditional logit (softmax over the candidates of each question, L2-regularised, fitted
with L-BFGS) is the model: it is fitted to pick the sentence that holds ``expect``. Printed,
as sentences quoted right out of the answerable questions:

* ``shipped``   the product's support formula (qa.answer.support) on the same candidates;
* ``cos``       the plain question cosine (the baseline);
* ``fit tune``  the model fitted on the tune half (and the seed questions), scored on report;
* ``by article`` leave one article out over all ten, seed questions always in the training;
* ``in sample`` fitted on the very 50 questions it is scored on: what the best linear
  combination of these signals can do at all (an upper bound, not a result).

With ``--token-match`` two more signals: the name-free question's tokens matched in the
sentence's, recall and F1 (token_match.py), from MiniLM's own token vectors.

PYTHONPATH=. python benchmarks/reader_answers/learned.py [--token-match]
"""
from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.answer.answer_kind import asked_kind, gives_kind
from qa.answer.answer_type import asked_type, gives_type
from qa.answer.question import strip_names
from qa.answer.retriever import Retriever
from qa.answer.sentence_choice import _asked_words
from qa.answer.support import support_scores
from qa.evaluate.newsqa import _contains, _subject_part, index_folder, read_folder, split_articles
from qa.store.build import build_index
from qa.store.lexical import LexicalIndex
from qa.text import content_stems

FOLDER = "../shared/benchmarks/newsqa-dev"
SEED_QUESTIONS = "tests/data/dev_questions.jsonl"
FEATURES = ["cos", "cos_unnamed", "name_share", "word_share", "gives_type", "gives_kind", "bm25",
            "article_cos", "neighbour_cos", "position", "first", "length"]


@dataclass
class Collection:
    """Every sentence of one index, in article order, with what does not depend on the question."""

    retriever: Retriever
    texts: list[str]
    docs: list[str]
    position: np.ndarray
    vectors: np.ndarray
    stems: list[frozenset]
    lexical: LexicalIndex

    @classmethod
    def of(cls, retriever: Retriever) -> "Collection":
        data = retriever.data
        seen: dict[int, tuple[str, int, str]] = {}
        for p in data.passages:
            for (s, e), row in zip(p.sentences, p.sentence_rows):
                seen.setdefault(row, (p.doc_id, p.start + s, p.text[s:e]))
        rows = sorted(seen, key=lambda r: (seen[r][0], seen[r][1]))
        docs = [seen[r][0] for r in rows]
        position = np.zeros(len(rows))
        for i in range(1, len(rows)):
            position[i] = position[i - 1] + 1 if docs[i] == docs[i - 1] else 0
        texts = [seen[r][2] for r in rows]
        return cls(retriever, texts, docs, position, data.sentence_vectors[np.array(rows)],
                   [content_stems(t) for t in texts], LexicalIndex.build(texts))

    def features(self, question: str) -> np.ndarray:
        r = self.retriever
        q, qu = r.encode_questions([question, strip_names(question)])
        cos, cos_u = self.vectors @ q, self.vectors @ qu
        name_share = r._sentence_chooser(r.data)[1].name_share(question, self.docs)  # as ranking has it
        asked = _asked_words(question)
        word_share = np.array([len(asked & s) / len(asked) if asked else 0.0 for s in self.stems])
        kind_t, kind_k = asked_type(question), asked_kind(question)
        g_type = np.array([gives_type(kind_t, t) if kind_t else True for t in self.texts], dtype=float)
        g_kind = np.array([gives_kind(kind_k, t) if kind_k else True for t in self.texts], dtype=float)
        bm25 = self.lexical.scores(question).astype(np.float64)
        bm25 = bm25 / bm25.max() if bm25.max() > 0 else bm25
        article_best = {}
        for d, c in zip(self.docs, cos):
            article_best[d] = max(article_best.get(d, -1.0), float(c))
        article_cos = np.array([article_best[d] for d in self.docs])
        neighbour = np.full(len(cos), -1.0)
        for i in range(len(cos)):
            for j in (i - 1, i + 1):
                if 0 <= j < len(cos) and self.docs[j] == self.docs[i]:
                    neighbour[i] = max(neighbour[i], float(cos[j]))
        length = np.log1p([len(t.split()) for t in self.texts])
        shipped = support_scores(cos, cos_u, name_share, word_share, g_type.astype(bool))
        x = np.column_stack([cos, cos_u, name_share, word_share, g_type, g_kind, bm25, article_cos,
                             neighbour, np.minimum(self.position, 20) / 20, self.position == 0, length])
        return x.astype(np.float64), shipped, cos


@dataclass
class Question:
    text: str
    kind: str
    group: str  # "seed" or the newsqa article's file name
    part: str  # "seed", "tune" or "report"
    x: np.ndarray
    label: np.ndarray  # bool per candidate: holds expect
    shipped: np.ndarray
    cos: np.ndarray


def questions_of(collection: Collection, rows, part_of) -> list[Question]:
    out = []
    for row in rows:
        if not row.get("expect"):
            continue
        x, shipped, cos = collection.features(row["q"])
        label = np.array([_contains(row["expect"], t) for t in collection.texts])
        if not label.any():
            print(f"  (expect not in one sentence, left out: {row['q']})", file=sys.stderr)
            continue
        group, part = part_of(row)
        out.append(Question(row["q"], row.get("kind", "seed"), group, part, x, label, shipped, cos))
    return out


def add_token_match(collection: Collection, questions: list[Question]) -> None:
    from token_match import TokenVectors

    tokens = TokenVectors(collection.retriever)
    for q in questions:
        twin = strip_names(q.text)
        q.x = np.column_stack([q.x, [tokens.match(twin, t) for t in collection.texts]])


def fit(train: list[Question], l2: float = 1.0):
    from scipy.optimize import minimize

    mean = np.mean(np.vstack([q.x for q in train]), axis=0)
    std = np.std(np.vstack([q.x for q in train]), axis=0) + 1e-9

    def loss(w):
        total, grad = l2 * w @ w, 2 * l2 * w
        for q in train:
            z = (q.x - mean) / std
            s = z @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            hit = (p * q.label).sum()
            total -= float(np.log(hit + 1e-12))
            grad += z.T @ (p - q.label * p / (hit + 1e-12))
        return total, grad

    w = minimize(loss, np.zeros(len(mean)), jac=True, method="L-BFGS-B").x
    return lambda x: ((x - mean) / std) @ w, w / std


def leave_one_article_out(questions: list[Question], extra: list[Question], l2: float) -> int:
    """Sentences quoted right when each article's questions are scored by a model fitted on
    the other articles' questions and ``extra`` (the seed questions)."""
    total = 0
    for article in sorted({q.group for q in questions}):
        held = [q for q in questions if q.group == article]
        model, _ = fit([q for q in questions if q.group != article] + extra, l2)
        total += right(held, lambda q, m=model: m(q.x))
    return total


def right(questions: list[Question], score) -> int:
    return sum(bool(q.label[int(np.argmax(score(q)))]) for q in questions)


def main() -> None:
    articles, rows, _ = read_folder(FOLDER)
    names = [p.name for p in sorted(articles.iterdir()) if p.is_file()]
    parts = split_articles(names)
    bodies = {n: (articles / n).read_text(encoding="utf-8").lower() for n in names}
    news = Collection.of(Retriever(index_dir=index_folder(FOLDER)))
    newsqa = questions_of(news, rows, lambda row: (row["doc"], _subject_part(row, parts, bodies)))
    seed_index = Path("benchmarks/.cache/index-seed-learned")
    build_index(corpus_dir="corpus", index_dir=seed_index, wait=True)
    seed_rows = [json.loads(line) for line in Path(SEED_QUESTIONS).read_text().splitlines() if line.strip()]
    seed_collection = Collection.of(Retriever(index_dir=seed_index))
    seed = questions_of(seed_collection, seed_rows, lambda row: ("seed", "seed"))
    if "--token-match" in sys.argv:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        FEATURES.extend(["match_recall", "match_f1"])
        add_token_match(news, newsqa)
        add_token_match(seed_collection, seed)
    tune = [q for q in newsqa if q.part == "tune"]
    report = [q for q in newsqa if q.part == "report"]
    print(f"answerable questions: tune {len(tune)}, report {len(report)}, seed {len(seed)}")

    shipped = lambda q: q.shipped  # noqa: E731
    plain = lambda q: q.cos  # noqa: E731
    rows_out = [("cos", plain), ("shipped", shipped)]
    for name, score in rows_out:
        print(f"{name:24} tune {right(tune, score):2}/{len(tune)}  report {right(report, score):2}/{len(report)}"
              f"  seed {right(seed, score):2}/{len(seed)}")
    for l2 in (0.1, 1.0, 10.0):
        model, w = fit(tune + seed, l2)
        score = lambda q, m=model: m(q.x)  # noqa: E731
        print(f"fit tune+seed l2={l2:<5}   tune {right(tune, score):2}/{len(tune)}  report {right(report, score):2}/"
              f"{len(report)}  seed {right(seed, score):2}/{len(seed)}")
        by_article = leave_one_article_out(newsqa, seed, l2)
        print(f"by article (leave one out) l2={l2:<5} all {by_article:2}/{len(newsqa)}")
        m, w_all = fit(newsqa, l2)
        para = [q for q in newsqa if q.kind == "paraphrase"]
        print(f"in sample (fit on the 50) l2={l2:<5} all {right(newsqa, lambda q: m(q.x)):2}/{len(newsqa)}"
              f"  paraphrase {right(para, lambda q: m(q.x))}/{len(para)}"
              f" (shipped {right(para, shipped)}/{len(para)})"
              f"  weights " + ", ".join(f"{f} {v:+.2f}" for f, v in zip(FEATURES, w_all)))
    # Where the expected sentence ranks under each signal alone, and under the shipped formula.
    ranks = {"shipped": [], "cos": [], "cos_unnamed": []}
    for q in newsqa:
        for name, s in (("shipped", q.shipped), ("cos", q.cos), ("cos_unnamed", q.x[:, 1])):
            order = np.argsort(-s, kind="stable")
            ranks[name].append(int(np.flatnonzero(q.label[order])[0]) + 1)
    for name, r in ranks.items():
        r = np.array(r)
        print(f"expected sentence's rank under {name:12}: 1: {int((r == 1).sum())}, <=3: {int((r <= 3).sum())},"
              f" <=10: {int((r <= 10).sum())}, median {int(np.median(r))} of {len(news.texts)} sentences")
    print(f"(seed collection: {sum(1 for _ in seed)} questions; newsqa candidates per question: {len(news.texts)};"
          f" log of 1/candidates = {math.log(len(news.texts)):.1f})")


if __name__ == "__main__":
    main()
