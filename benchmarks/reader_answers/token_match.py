"""Token matching as a reader over the top hits (round 4): does MiniLM's own token vectors,
matched word by word (BERTScore-style: each question token's best cosine with a sentence
token, weighed by idf), find the answering sentence where the sentence vector does not?

For each answerable newsqa-dev and seed question, the sentences of the product's top 5
hits are scored ``support + beta x match + the hit's passage share`` (support and passage
share as shipped, qa.answer.support) and the best is taken; ``beta = 0`` is the product's
own choice over those hits. ``match`` is recall (share of the name-free question's
weight matched) or F1 (recall with the sentence's side). Prints sentences quoted right.

PYTHONPATH=. python benchmarks/reader_answers/token_match.py
(run ``qa eval ../shared/benchmarks/newsqa-dev`` and learned.py first: they build the indexes)
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from qa.answer.answer_type import asked_type, gives_type
from qa.answer.question import strip_names
from qa.answer.retriever import Retriever
from qa.answer.sentence_choice import _asked_words
from qa.answer.support import support_scores
from qa.evaluate.newsqa import _contains, _subject_part, index_folder, read_folder, split_articles
from qa.text import content_stems

FOLDER = "../shared/benchmarks/newsqa-dev"
SEED_INDEX = "benchmarks/.cache/index-seed-learned"
STOP = frozenset("a an the of to in on for and or is are was were be been do does did has have had it its this "
                 "that what which who whom when where why how at by with from as not no".split())


class TokenVectors:
    """Last-layer token vectors of texts (stopwords and special tokens left out), and idf
    over the index's passages."""

    def __init__(self, retriever: Retriever):
        embedder = retriever.embedder
        embedder.encode(["warm up"])
        self.run, self.tokenizer = embedder._load(), embedder._tokenizer
        self.cache: dict[str, tuple] = {}
        df: dict[str, int] = {}
        texts = [p.text for p in retriever.data.passages]
        for text in texts:
            for token in set(self.tokenizer.encode(text).tokens):
                df[token] = df.get(token, 0) + 1
        self.n, self.df = len(texts), df

    def idf(self, token: str) -> float:
        return math.log((self.n + 1) / (self.df.get(token, 0) + 1)) + 1.0

    def of(self, text: str):
        found = self.cache.get(text)
        if found is None:
            enc = self.tokenizer.encode(text)
            ids = np.array([enc.ids], dtype=np.int64)
            hidden = self.run(ids, np.ones_like(ids))[0]
            keep = [i for i, t in enumerate(enc.tokens) if t not in ("[CLS]", "[SEP]")
                    and t.strip("#").lower() not in STOP and any(c.isalnum() for c in t)]
            vectors = hidden[keep] / np.linalg.norm(hidden[keep], axis=1, keepdims=True)
            found = self.cache[text] = (vectors, np.array([self.idf(enc.tokens[i]) for i in keep]))
        return found

    def match(self, question: str, sentence: str) -> tuple[float, float]:
        """(recall, F1) of ``question``'s tokens in ``sentence``'s."""
        qv, qw = self.of(question)
        sv, sw = self.of(sentence)
        if not len(qw) or not len(sw):
            return 0.0, 0.0
        similarity = qv @ sv.T
        recall = float((similarity.max(1) * qw).sum() / qw.sum())
        precision = float((similarity.max(0) * sw).sum() / sw.sum())
        return recall, 2 * recall * precision / (recall + precision + 1e-9)


def candidates(retriever: Retriever, tokens: TokenVectors, question: str, k: int = 5):
    """``(sentence, support, passage share, recall, F1)`` for every sentence of the top ``k`` hits."""
    data = retriever.data
    hits = retriever.retrieve(question, k=k)
    by_id = {p.passage_id: p for p in data.passages}
    twin = strip_names(question)
    q, q_twin = retriever.encode_questions([question, twin])
    kind, asked = asked_type(question), _asked_words(question)
    shares = retriever._sentence_chooser(data)[1].name_share(question, [h.doc_id for h in hits])
    out = []
    for hit, share in zip(hits, shares):
        passage = by_id[hit.passage_id]
        for (s, e), vector in zip(passage.sentences, data.sentence_vectors[passage.sentence_rows]):
            text = passage.text[s:e]
            words = len(asked & content_stems(text)) / len(asked) if asked else 0.0
            support = float(support_scores(np.array([vector @ q]), np.array([vector @ q_twin]), np.array([share]),
                                           np.array([words]), np.array([gives_type(kind, text)]))[0])
            out.append((text, support, hit.score - hit.support, *tokens.match(twin, text)))
    return out


def main() -> None:
    articles, rows, _ = read_folder(FOLDER)
    names = [p.name for p in sorted(articles.iterdir()) if p.is_file()]
    parts = split_articles(names)
    bodies = {n: (articles / n).read_text(encoding="utf-8").lower() for n in names}
    asked = []
    news = Retriever(index_dir=index_folder(FOLDER))
    news_tokens = TokenVectors(news)
    for row in rows:
        if row.get("expect"):
            asked.append((_subject_part(row, parts, bodies), row["kind"], row["expect"],
                          candidates(news, news_tokens, row["q"])))
    seed = Retriever(index_dir=SEED_INDEX)
    seed_tokens = TokenVectors(seed)
    for line in Path("tests/data/dev_questions.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("expect"):
            asked.append(("seed", "seed", row["expect"], candidates(seed, seed_tokens, row["q"])))
    counts = {part: sum(1 for p, *_ in asked if p == part) for part in ("tune", "report", "seed")}
    print(f"answerable: {counts}; paraphrase {sum(1 for _, kind, *_ in asked if kind == 'paraphrase')}")
    for column, label in ((3, "recall"), (4, "F1")):
        for beta in (0.0, 0.25, 0.5, 1.0, 1.5, 2.0):
            right = {"tune": 0, "report": 0, "seed": 0, "paraphrase": 0}
            for part, kind, expect, found in asked:
                best = max(found, key=lambda c: c[1] + beta * c[column] + c[2])
                ok = _contains(expect, best[0])
                right[part] += ok
                right["paraphrase"] += ok and kind == "paraphrase"
            print(f"{label:6} beta {beta:<4}  quoted right: tune {right['tune']}  report {right['report']}"
                  f"  seed {right['seed']}  paraphrase {right['paraphrase']}")


if __name__ == "__main__":
    main()
