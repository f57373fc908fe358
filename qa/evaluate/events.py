"""How well the event grouping finds the same happening: precision and recall on labelled clauses.

``qa/evaluate/event_labels.json`` names dated clauses by article and date offset and gives each
a happening label; every pair of labelled clauses is then "same happening" (same label) or
not. The articles are indexed with the chosen embedder, and the grouping is scored twice:

- pair decisions: :func:`qa.chronology.event_grouping.same_thing` on each pair, against the labels;
- groups: the events :func:`~qa.chronology.event_grouping.group_statements` forms, as pairs put together.

``--tune`` searches the weights and threshold of :class:`~qa.chronology.event_grouping.Thresholds` for the
best F1 of the pair decisions (then precision) and prints them::

    python -m qa.evaluate.events            # the shipped thresholds, all-MiniLM-L6-v2
    python -m qa.evaluate.events --tune
    python -m qa.evaluate.events --embedder hash
"""
from __future__ import annotations

import argparse
import itertools
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..chronology import event_grouping as ev
from ..chronology.dated_clauses import statements_of
from ..config import PROJECT_ROOT
from ..errors import QAError

LABELS = Path(__file__).resolve().parent / "event_labels.json"  # package data
# The labelled articles are project files, read where they are (never copied into the
# repository): relative to the project folder.
ROOT = PROJECT_ROOT


@dataclass
class Scores:
    precision: float
    recall: float
    true_positives: int
    predicted: int
    actual: int

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self) -> str:
        return (f"precision {self.precision:.2f} ({self.true_positives}/{self.predicted}), "
                f"recall {self.recall:.2f} ({self.true_positives}/{self.actual}), F1 {self.f1:.2f}")


def _scores(predicted: set, actual: set) -> Scores:
    tp = len(predicted & actual)
    return Scores(tp / len(predicted) if predicted else 1.0, tp / len(actual) if actual else 1.0,
                  tp, len(predicted), len(actual))


def labelled_statements(labels_path: Path = LABELS, embedder=None, work_dir: Path | None = None):
    """The labelled clauses as statements of a fresh index of the label file's corpora, with
    their happening labels (the issue's reading, and the finer one) and the index's sentence
    vectors."""
    from ..store.build import build_index
    from ..store.index_files import load_index

    labels = json.loads(Path(labels_path).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for folder in labels["corpora"]:
            source = (ROOT / folder).resolve()
            if not source.is_dir():
                raise QAError(f"the labelled articles in {source} are missing; they are read from there, "
                              "not copied into the repository")
            for path in source.glob("*.md"):
                if path.name != "README.md":
                    shutil.copy(path, corpus / path.name)
        build_index(corpus_dir=corpus, index_dir=Path(tmp) / "index", embedder=embedder)
        data = load_index(Path(tmp) / "index")
    by_key = {(s.doc_id, s.citation.start + s.citation.date.start): s for s in statements_of(data)}
    statements, happenings, finer = [], [], []
    for clause in labels["clauses"]:
        key = (clause["doc_id"], clause["offset"])
        if key not in by_key:
            raise QAError(f"no dated clause at {key} ({clause['date']!r}); the articles or the date finder "
                          "changed: update qa/evaluate/event_labels.json")
        statements.append(by_key[key])
        happenings.append(clause["happening"])
        finer.append(clause.get("finer", clause["happening"]))
    return statements, happenings, finer, np.asarray(data.sentence_vectors, dtype=np.float32)


def evaluate(statements, happenings, vectors, thresholds: ev.Thresholds = ev.DEFAULT_THRESHOLDS) -> dict:
    pairs = list(itertools.combinations(range(len(statements)), 2))
    actual = {(i, j) for i, j in pairs if happenings[i] == happenings[j]}
    weights = ev.name_weights(statements)
    decided = {(i, j) for i, j in pairs if ev.same_thing(
        statements[i], statements[j], ev.pair_features(statements[i], statements[j], vectors, weights), thresholds)}
    grouped = set()
    for group in ev.group_statements(statements, vectors, thresholds):
        grouped |= {tuple(sorted(p)) for p in itertools.combinations(group, 2)}
    conflicts_actual = {(i, j) for i, j in actual if not ev.compatible(statements[i], statements[j])}
    return {"pairs": _scores(decided, actual), "groups": _scores(grouped, actual),
            "conflicts": _scores({p for p in grouped if not ev.compatible(*(statements[k] for k in p))},
                                 conflicts_actual)}


def tune(statements, happenings, vectors) -> tuple[ev.Thresholds, dict]:
    best = None
    for vector, words, names, gap in itertools.product((0.0, 0.5, 1.0), (0.0, 0.5, 1.0, 2.0),
                                                       (0.0, 0.5, 1.0), (31, 120, 366)):
        for same in np.arange(0.05, 1.5, 0.025):
            t = ev.Thresholds(vector=vector, words=words, names=names, same=round(float(same), 3),
                              conflict_gap_days=gap)
            result = evaluate(statements, happenings, vectors, t)
            key = (round(result["pairs"].f1, 4), round(result["groups"].f1, 4), result["pairs"].precision)
            if best is None or key > best[0]:
                best = (key, t, result)
    return best[1], best[2]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.evaluate.events", description=__doc__.split("\n")[0])
    parser.add_argument("--labels", default=str(LABELS))
    parser.add_argument("--embedder", default=None, help="'hash' for the hashing embedder; default: the model")
    parser.add_argument("--tune", action="store_true", help="search the thresholds for the best F1")
    args = parser.parse_args(argv)
    embedder = None
    if args.embedder == "hash":
        from ..embedding.embedder import HashingEmbedder

        embedder = HashingEmbedder(64)
    statements, happenings, finer, vectors = labelled_statements(Path(args.labels), embedder)
    n = len(statements)
    print(f"{n} labelled clauses, {n * (n - 1) // 2} pairs, "
          f"{sum(happenings[i] == happenings[j] for i, j in itertools.combinations(range(n), 2))} the same happening")
    thresholds = ev.DEFAULT_THRESHOLDS
    if args.tune:
        thresholds, _ = tune(statements, happenings, vectors)  # on the reading
        print(f"best thresholds: {thresholds}")
    print(f"thresholds: {thresholds}")
    for reading, labels in (("the issue's reading (inspection and rating one happening)", happenings),
                            ("the finer reading (inspection and rating two happenings)", finer)):
        result = evaluate(statements, labels, vectors, thresholds)
        print(f"{reading}:")
        print(f"  pair decisions (same happening):     {result['pairs'].line()}")
        print(f"  grouping (pairs in one event):       {result['groups'].line()}")
        print(f"  conflicts (pairs shown disagreeing): {result['conflicts'].line()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
