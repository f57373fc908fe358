"""Answer latency: warm ``Retriever.retrieve`` beside the naive encode + search, and a cold
``qa ask`` beside a naive one-shot script.

    python -m qa.bench.query                  # seed corpus and a 5,000-abstract SciFact index
    python -m qa.bench.query --docs 500 --queries 50

Warm: one process holds both pipelines over the same passages. Ours is the whole
``retrieve``: question vector (ONNX Runtime), BM25 + dense hybrid ranking, the first-stage
score of every candidate sentence, the reader over the best ``reader_candidates`` sentences,
the final score and the answering sentence of each hit. The naive one, with the same models,
is sentence-transformers' ``encode`` of the question, an ``IndexFlatIP`` search over the
same passage vectors for the top ``reader_candidates`` passages, and the same reader over
those passages. They alternate question by question, with a pause before each; every
question is asked once (no cache hits), and the repeated-question figure is measured apart.

Cold: a fresh ``python -m qa ask`` on the seed index against a fresh script that loads
sentence-transformers, the passage vectors and FAISS, then searches; alternated ``--rounds`` times.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable


from .common import (
    CACHE, ROOT, SEED_QUESTIONS, NaivePipeline, Results, log, median, ms, percentile, run_child,
    scifact_corpus, scifact_queries,
)


PAUSE = 0.05  # seconds between timed questions


def seed_index() -> Path:
    """The seed corpus indexed afresh (seconds) under benchmarks/.cache/seed/."""
    import qa

    index = CACHE / "seed" / "index"
    qa.build_index(corpus_dir=ROOT / "corpus", index_dir=index, rebuild=True)
    return index


def scifact_index(n_docs: int) -> Path:
    """The SciFact index that bench_indexing builds; built here when missing (minutes)."""
    import qa

    index = CACHE / f"scifact-{n_docs}" / "index"
    corpus = scifact_corpus(n_docs)
    try:
        qa.store.index_files.read_manifest(index)
    except qa.QAError:
        log(f"building the {n_docs:,}-abstract SciFact index (minutes; bench_indexing builds it too)")
    qa.build_index(corpus_dir=corpus, index_dir=index)  # nothing to do when it is up to date
    return index


def _naive_over(data, naive: NaivePipeline) -> None:
    """Give the naive pipeline the same passages, headlines and vectors as the index holds."""
    import numpy as np

    ids = np.array([p.id for p in data.passages], dtype=np.int64)
    naive.index_vectors(np.ascontiguousarray(data.vector_store.reconstruct(ids)))
    naive.texts = [p.text for p in data.passages]
    naive.titles = [data.documents[p.doc_id].title for p in data.passages]


def new_questions(questions: list[str]) -> list[str]:
    """``questions`` less any whose text or name-free twin (:func:`qa.answer.question.strip_names`,
    embedded with it) was met before: either would come from the question cache."""
    from qa.answer.question import strip_names

    seen, kept = set(), []
    for question in questions:
        texts = {question, strip_names(question)}
        if texts & seen:
            continue
        seen |= texts
        kept.append(question)
    return kept


def timed_in_turn(calls: list[tuple[str, Callable[[], object]]], n: int,
                  before: Callable[[], object] | None = None) -> dict[str, float]:
    """Each of ``calls`` timed once, by name, in their order for an even ``n`` and reversed
    for an odd one, after ``before`` and a pause, as between two people's questions: threads
    left spinning by one pipeline (ONNX Runtime's, torch's OpenMP) must not slow the other's timing."""
    seconds = {}
    for which, call in calls if n % 2 == 0 else reversed(calls):
        if before is not None:
            before()
        time.sleep(PAUSE)
        started = time.perf_counter()
        call()
        seconds[which] = time.perf_counter() - started
    return seconds


def warm_latency(results: Results, label: str, retriever, questions: list[str], naive: NaivePipeline,
                 warmed: bool = True) -> None:
    """``warmed``: after ``Retriever.warm()``, as a server starts; else sentences are read on first sight."""
    _naive_over(retriever.data, naive)
    if warmed:
        retriever.warm()
    depth = retriever.settings.reader_candidates
    for q in ["what is known about this?", "how was it measured?", "who took part?"]:  # buffers, threads
        retriever.retrieve(q, k=5)
        naive.answer(q, depth)
    retriever.question_vectors.clear()
    questions = new_questions(questions)
    ours, theirs = [], []
    for n, question in enumerate(questions):
        seconds = timed_in_turn([("naive", lambda: naive.answer(question, depth)),
                                 ("ours", lambda: retriever.retrieve(question, k=5))], n)
        ours.append(seconds["ours"])
        theirs.append(seconds["naive"])
    assert retriever.question_vectors.hits == 0, "every question was meant to be new"
    repeat = []
    for question in questions[:20]:
        time.sleep(PAUSE)
        started = time.perf_counter()
        retriever.retrieve(question, k=5)
        repeat.append(time.perf_counter() - started)
    p50, naive_p50 = percentile(ours, 50), percentile(theirs, 50)
    state = "after Retriever.warm()" if warmed else "no warm(): sentences read on first sight"
    results.figures[f"warm_{label}_{'warmed' if warmed else 'unwarmed'}"] = {
        "ours": ours, "naive": theirs, "repeat": repeat}
    passages = len(retriever.data.passages)
    results.add("answer", f"warm retrieve p50, {label} ({passages:,} passages, {len(questions)} new questions)",
                ms(p50), ms(naive_p50), f"{naive_p50 / p50:.2f}x faster",
                f"ours: hybrid ranking, reader over {depth} sentences; naive: encode, flat search, "
                f"reader over the top {depth} passages; {state}")
    results.add("answer", f"warm retrieve p95, {label}", ms(percentile(ours, 95)), ms(percentile(theirs, 95)),
                f"{percentile(theirs, 95) / percentile(ours, 95):.2f}x faster", state)
    if warmed:
        results.add("answer", f"repeated question p50, {label}", ms(percentile(repeat, 50)), ms(naive_p50),
                    f"{naive_p50 / percentile(repeat, 50):.0f}x faster", "question vector from the cache")


def filtered_latency(results: Results, label: str, retriever, questions: list[str]) -> None:
    """A question searched in one article (a follow-up is searched in the conversation's
    article) beside the same question searched everywhere: the filter is inside both
    searches, so it should cost no more. Each timed call starts without the question's
    vector in the cache."""
    everywhere, one_article = [], []
    for n, question in enumerate(questions):
        retriever.question_vectors.clear()
        hits = retriever.retrieve(question, k=5)
        if not hits:
            continue
        doc = {hits[0].doc_id}
        seconds = timed_in_turn([("all", lambda: retriever.retrieve(question, k=5)),
                                 ("one", lambda: retriever.retrieve(question, k=5, doc_ids=doc))], n,
                                before=retriever.question_vectors.clear)
        everywhere.append(seconds["all"])
        one_article.append(seconds["one"])
    p50_all, p50_one = percentile(everywhere, 50), percentile(one_article, 50)
    results.figures[f"filtered_{label}"] = {"everywhere": everywhere, "one_article": one_article}
    results.add("answer", f"one article's question p50, {label} ({len(one_article)} questions)", ms(p50_one), "",
                f"{p50_one / p50_all:.2f}x the same question everywhere ({ms(p50_all)})",
                "searched in the article of its best hit, as a follow-up is; the filter is inside both searches")


def python_retrieve_latency(results: Results, label: str, corpus: Path, index: Path, questions: list[str],
                            naive: NaivePipeline) -> None:
    """``qa.retrieve()``, the Python function, beside the naive pipeline: each call first checks
    that the index is up to date with the corpus (qa.store.corpus_stamp), then ranks."""
    import qa

    qa.retrieve("what is known about this?", corpus_dir=corpus, index_dir=index)  # builds nothing: indexed
    qa.retrieve("how was it measured?", corpus_dir=corpus, index_dir=index)  # corpus found in step: stamped
    ours, theirs = [], []
    depth = qa.Retriever(index_dir=index).settings.reader_candidates
    for n, question in enumerate(new_questions(questions)):
        seconds = timed_in_turn([("naive", lambda: naive.answer(question, depth)),
                                 ("ours", lambda: qa.retrieve(question, k=5, corpus_dir=corpus, index_dir=index))], n)
        ours.append(seconds["ours"])
        theirs.append(seconds["naive"])
    p50, naive_p50 = percentile(ours, 50), percentile(theirs, 50)
    results.figures[f"python_retrieve_{label}"] = {"ours": ours, "naive": theirs}
    results.add("answer", f"qa.retrieve() p50, {label} ({len(ours)} new questions)", ms(p50), ms(naive_p50),
                f"{naive_p50 / p50:.2f}x faster", "the Python function: checks the corpus is indexed, then ranks")


def cold_ask(results: Results, index: Path, rounds: int) -> None:
    import numpy as np

    import qa

    question = "when was the improvement notice closed?"
    data = qa.store.index_files.load_index(index)
    ids = np.array([p.id for p in data.passages], dtype=np.int64)
    vectors, passages = CACHE / "seed" / "naive-vectors.npy", CACHE / "seed" / "naive-passages.json"
    np.save(vectors, data.vector_store.reconstruct(ids), allow_pickle=False)
    passages.write_text(json.dumps([p.text for p in data.passages]), encoding="utf-8")
    ours, theirs = [], []
    for r in range(rounds):
        for which in (("ours", "naive") if r % 2 == 0 else ("naive", "ours")):
            log(f"cold ask, {which} (round {r + 1}/{rounds})")
            if which == "ours":
                started = time.perf_counter()
                out = subprocess.run([sys.executable, "-m", "qa", "ask", question, "--index", str(index)],
                                     cwd=ROOT, capture_output=True, text=True, timeout=600)
                ours.append(time.perf_counter() - started)
                if out.returncode != 0 or "closed following Ofsted" not in out.stdout:
                    raise RuntimeError(f"qa ask failed or missed the answer:\n{out.stdout}\n{out.stderr}")
            else:
                _, wall, _ = run_child("naive_cold_ask", {"vectors": str(vectors), "passages": str(passages),
                                                          "question": question})
                theirs.append(wall)
    results.figures["cold_ask"] = {"ours": ours, "naive": theirs}
    results.add("answer", "cold `qa ask` wall time (new process, seed index)", f"{median(ours):.2f} s",
                f"{median(theirs):.2f} s", f"{median(theirs) / median(ours):.2f}x faster",
                f"median of {rounds}; ONNX export already cached")


def run(results: Results, docs: int, queries: int, rounds: int, parts=("warm", "cold")) -> None:
    import qa

    seed = seed_index()
    if "warm" in parts:
        from qa.config import AnswerSettings
        from qa.reader.model import Reader

        naive = NaivePipeline(Reader(AnswerSettings.from_env().reader_folder()))  # the same reader, its own session
        seed_questions = [json.loads(line)["q"] for line in SEED_QUESTIONS.read_text(encoding="utf-8").splitlines()
                          if line.strip()]
        warm_latency(results, "seed corpus", qa.Retriever(index_dir=seed), seed_questions, naive)
        # Two halves of the questions: the first before warm(), the second after it.
        scifact = qa.Retriever(index_dir=scifact_index(docs))
        asked = new_questions(scifact_queries(2 * queries))
        warm_latency(results, "SciFact", scifact, asked[:queries // 2], naive, warmed=False)
        warm_latency(results, "SciFact", scifact, asked[queries // 2:queries], naive)
        filtered_latency(results, "SciFact", scifact, asked[:queries])
        python_retrieve_latency(results, "SciFact", scifact_corpus(docs), scifact_index(docs),
                                asked[queries:queries + queries // 2], naive)
    if "cold" in parts:
        cold_ask(results, seed, rounds)


def main(argv=None) -> Results:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=5000, help="SciFact abstracts in the index searched")
    parser.add_argument("--queries", type=int, default=100, help="SciFact questions asked")
    parser.add_argument("--rounds", type=int, default=3, help="cold starts of each pipeline")
    args = parser.parse_args(argv)
    results = Results()
    run(results, args.docs, args.queries, args.rounds)
    print(results.table())
    return results


if __name__ == "__main__":
    main()
