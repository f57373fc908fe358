"""Round 2 grid over qa.answer.support weights and the abstention thresholds: newsqa-dev
right / wrong confident / quoted right per half, follow-ups, and the seed set (hit@1, answered).
PYTHONPATH=. python benchmarks/reader_answers/grid2.py NAME=v1,v2 [NAME=...]   (NAME: a constant of
qa.answer.support, MIN_SUPPORT / MIN_MARGIN of qa.answer.abstention, or RECENT_WEIGHT)"""
from __future__ import annotations

import itertools
import sys

from qa.answer import abstention, compose, support
from qa.answer.retriever import Retriever
from qa.evaluate.newsqa import evaluate_folder, index_folder
from qa.evaluate.questions import evaluate_questions

FOLDER = "../shared/benchmarks/newsqa-dev"
SEED_INDEX = "benchmarks/.cache/index-seed"


def set_value(name, value):
    from qa.answer import retriever as retriever_module

    module = (abstention if name in ("MIN_SUPPORT", "MIN_MARGIN") else retriever_module if name == "RECENT_WEIGHT"
              else support)
    setattr(module, name, value)
    if module is abstention:  # the defaults were bound at definition time
        abstention.abstain_reason.__defaults__ = (abstention.MIN_SUPPORT, abstention.MIN_MARGIN)
        abstention.is_answered.__defaults__ = (abstention.MIN_SUPPORT, abstention.MIN_MARGIN)
        compose.MIN_SCORE = abstention.MIN_SUPPORT
        compose.compose_answer.__defaults__ = ("", abstention.MIN_SUPPORT)


def run(retriever, seed):
    report = evaluate_folder(FOLDER, retriever=retriever, baselines=False)
    out = []
    for part in ("tune", "report"):
        c = report.summary_counts(part)
        out.append(f"{part} {c['right']:2}/{c['wrong']} q{c['top_right']:2} p{c['paraphrase_right']} "
                   f"u{c['abstained_unanswerable']} f{c['followups_right']}")
    s = evaluate_questions("tests/data/dev_questions.jsonl", seed, k=5)
    answered = sum(r.found for r in s.answerable)
    right = sum(r.found and r.rank == 1 for r in s.answerable)
    wrong = sum(r.found and r.rank != 1 for r in s.answerable) + sum(r.found for r in s.unanswerable)
    out.append(f"seed hit@1 {s.hit1:.3f} answered {answered} right/wrong {right}/{wrong}")
    return "  ".join(out)


def main(args):
    grid = {}
    for arg in args:
        name, values = arg.split("=")
        grid[name] = [float(v) for v in values.split(",")]
    retriever = Retriever(index_dir=index_folder(FOLDER))
    seed = Retriever(index_dir=SEED_INDEX)
    for values in itertools.product(*grid.values()):
        for name, value in zip(grid, values):
            set_value(name, value)
        print(" ".join(f"{n}={v}" for n, v in zip(grid, values)), "|", run(retriever, seed), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
