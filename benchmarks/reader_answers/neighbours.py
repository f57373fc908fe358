"""Neighbour-context sentence vectors (round 2), in the product, at no embedding cost: each
sentence vector replaced by normalise(s + b x (previous + next sentence of its passage)).
PYTHONPATH=. python benchmarks/reader_answers/neighbours.py"""
from __future__ import annotations

import numpy as np

from benchmarks.reader_answers import grid2
from qa.answer.retriever import Retriever
from qa.evaluate.newsqa import index_folder


def neighbour_vectors(data, b):
    plain = data.sentence_vectors
    out = plain.copy()
    for p in data.passages:
        rows = p.sentence_rows
        for i, r in enumerate(rows):
            around = [rows[j] for j in (i - 1, i + 1) if 0 <= j < len(rows)]
            if around:
                v = plain[r] + b * plain[around].sum(axis=0)
                out[r] = v / np.linalg.norm(v)
    return out


def main():
    r = Retriever(index_dir=index_folder(grid2.FOLDER))
    seed = Retriever(index_dir=grid2.SEED_INDEX)
    plain_r, plain_s = r.data.sentence_vectors.copy(), seed.data.sentence_vectors.copy()
    for b in (0.0, 0.1, 0.2, 0.35):
        for ret, plain in ((r, plain_r), (seed, plain_s)):
            ret.data.sentence_vectors = plain
            ret.data.sentence_vectors = neighbour_vectors(ret.data, b).astype(np.float32)
            ret._chooser = None
        print(f"b={b}", grid2.run(r, seed), flush=True)


if __name__ == "__main__":
    main()
