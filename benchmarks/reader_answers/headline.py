"""Headline-context sentence vectors (round 2, idea b), in the product: the sentence vectors
replaced by (a) "headline. sentence" embedded, (b) normalise(sentence + a x headline vector)
(no extra sentence embedding: one headline vector per article), each alone or averaged with
the plain vectors. Prints right / wrong confident / quoted right per half and seed figures.
PYTHONPATH=. python benchmarks/reader_answers/headline.py"""
from __future__ import annotations

import sys
import time

import numpy as np

from qa.answer.retriever import Retriever
from qa.evaluate.newsqa import evaluate_folder, index_folder
from qa.evaluate.questions import evaluate_questions

FOLDER = "../shared/benchmarks/newsqa-dev"


def row_docs(data):
    docs = np.empty(len(data.sentence_vectors), dtype=object)
    texts = [""] * len(data.sentence_vectors)
    for p in data.passages:
        for (s, e), r in zip(p.sentences, p.sentence_rows):
            docs[r] = p.doc_id
            texts[r] = p.text[s:e]
    return docs, texts


def variants(retriever):
    data = retriever.data
    plain = data.sentence_vectors.copy()
    docs, texts = row_docs(data)
    titles = {d: str((data.documents.get(d) or {}).get("title", "")) for d in set(docs)}
    t0 = time.time()
    ctx = retriever.embedder.encode([f"{titles[d]}. {t}" if titles[d] else t for d, t in zip(docs, texts)])
    cost = time.time() - t0
    t0 = time.time()
    retriever.embedder.encode(texts)
    print(f"embedding {len(texts)} sentences: plain {time.time() - t0:.1f} s, with headline {cost:.1f} s", file=sys.stderr)
    names = sorted(titles)
    tv = dict(zip(names, retriever.embedder.encode([titles[n] for n in names])))
    head = np.stack([tv[d] for d in docs])
    out = {"plain": plain, "ctx": ctx, "half ctx": (plain + ctx) / 2}
    for a in (0.3, 0.5, 0.8):
        approx = plain + a * head
        approx /= np.linalg.norm(approx, axis=1, keepdims=True)
        out[f"approx a={a}"] = approx.astype(np.float32)
        out[f"half approx a={a}"] = ((plain + approx) / 2).astype(np.float32)
    return out


def main():
    retriever = Retriever(index_dir=index_folder(FOLDER))
    for name, vectors in variants(retriever).items():
        retriever.data.sentence_vectors = vectors.astype(np.float32)
        retriever._chooser = None
        report = evaluate_folder(FOLDER, retriever=retriever, baselines=False)
        row = []
        for part in ("tune", "report"):
            c = report.summary_counts(part)
            row.append(f"{part} {c['right']:2}/{c['wrong']} q{c['top_right']} p{c['paraphrase_right']} f{c['followups_right']}")
        print(f"{name:18} " + "  ".join(row), flush=True)


if __name__ == "__main__":
    main()
