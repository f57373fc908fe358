"""Why round 11 fitted no threshold (experiments/reader/README.md): the gathering of
``variants.py --unanswerable FILE`` again, then ``fit_gathered`` with the threshold's
choice shown: the most probable answers, calibrated without their own article as every
held-out question is, and the weighted precision of the most probable answers.

    python experiments/reader/unanswered_calibration.py build/squad-v2.0-train-first10.json

Result (ran on 0d12317, 2026-12-07): 2,193 cases (946 answerable, 946 asked without
their paragraph, 301 of SQuAD 2.0's unanswerable questions that pass the names check); the
eight most probable (0.968 to 0.932) are all SQuAD 2.0's unanswerable questions; the
weighted precision of the most probable answers is at most 0.8776 (reached at 315 cases),
0 at 10, 0.646 at 50, 0.747 at 100, 0.873 at 300; the threshold is therefore 1.000.
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

from qa.answer.retriever import Retriever
from qa.config import AnswerSettings
from qa.evaluate import fitting
from qa.reader.squad import read_squad, split_articles
from qa.store.build import build_index

SQUAD = Path("../shared/benchmarks/squad-train/squad-v1.1-dev-train-pool.json")


def shown(choose):
    def choose_and_show(probability, right, target, weight=None):
        order = np.argsort(-probability, kind="stable")
        precision = np.cumsum((weight * right)[order]) / np.cumsum(weight[order])
        print(f"{len(probability)} cases; the most probable: {probability[order[:8]].round(3).tolist()}, "
              f"right {right[order[:8]].tolist()}, counted {weight[order[:8]].round(3).tolist()}")
        print(f"weighted precision at most {precision.max():.4f} (at {int(precision.argmax()) + 1} cases); "
              f"at 10 / 50 / 100 / 300: {precision[[9, 49, 99, 299]].round(3).tolist()}")
        return choose(probability, right, target, weight)
    return choose_and_show


def main(unanswerable: Path) -> None:
    articles = read_squad(SQUAD)
    train, held = split_articles(articles, 5)
    extra, unanswered = fitting.unanswerable_articles(unanswerable, articles)
    work = Path("build/training/squad-unanswerable")
    corpus = fitting.write_corpus(articles + extra, work / "articles")
    index = work / "index-all-MiniLM-L6-v2"
    build_index(corpus_dir=corpus, index_dir=index, wait=True)
    settings = dataclasses.replace(AnswerSettings.from_env(), reader_dir="qa/reader/model")
    retriever = Retriever(index_dir=index, settings=settings)
    doc_of = {d.title: doc_id for doc_id, d in retriever.data.documents.items()}
    gathered = fitting.gather(retriever, train, held, doc_of, settings, unanswered=unanswered)
    fitting.choose_threshold = shown(fitting.choose_threshold)
    model = fitting.fit_gathered(gathered, settings)
    print(f"threshold {model.threshold:.3f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
