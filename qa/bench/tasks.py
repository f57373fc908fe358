"""Benchmark steps that need a fresh interpreter (cold start, peak memory of one pipeline).

    python -m qa.bench.tasks TASK '{"json": "arguments"}'

Each task prints one JSON line last: its figures and ``peak_rss_mb`` (this process's peak).
Run by ``common.run_child``; not meant to be called by hand.
"""
from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path


from .common import NaivePipeline, passages_of, peak_rss_mb


def warm_up() -> None:
    """Load the model as a first question and a first bulk encode would (timed apart, as the
    naive pipeline's model loading is)."""
    import qa

    qa.get_embedder().encode(["warm up"])
    qa.get_embedder().encode(["warm up", "and once more, in a second batch"], batch_size=1)


def naive_index(corpus: str, vectors_out: str = "", sentences_out: str = "") -> dict:
    """The naive pipeline indexing ``corpus``: load the model, encode passages, IndexFlatIP.

    Then, timed apart, the same model encodes each distinct sentence too: what the naive
    pipeline would add to produce what this project's index holds (sentence vectors)."""
    import numpy as np

    from qa.ingest.documents import load_corpus
    from qa.ingest.passages import split_sentences

    passages = passages_of(Path(corpus))
    documents, _ = load_corpus(Path(corpus))
    sentences = [d.body[s:e] for d in documents for s, e in split_sentences(d.body)]
    started = time.perf_counter()
    naive = NaivePipeline()
    naive.encode(["warm up"])
    loaded = time.perf_counter()
    vectors = naive.encode(passages)
    naive.index_vectors(vectors)
    done = time.perf_counter()
    sentence_vectors = naive.encode(sentences)
    with_sentences = time.perf_counter()
    if vectors_out:
        np.save(vectors_out, vectors, allow_pickle=False)
    if sentences_out:  # each distinct sentence text and its vector, to hold ours against
        unique = dict(zip(sentences, range(len(sentences))))
        Path(sentences_out).write_text(json.dumps(list(unique)), encoding="utf-8")
        np.save(sentences_out + ".npy", sentence_vectors[list(unique.values())], allow_pickle=False)
    return {"passages": len(passages), "sentences": len(sentences), "load_seconds": loaded - started,
            "seconds": done - loaded, "sentence_seconds": with_sentences - done}


def ours_index(corpus: str, index: str, vectors_out: str = "", sentences_out: str = "") -> dict:
    """This project indexing ``corpus`` from nothing: sentences embedded, passage vectors
    made from them, BM25, dates, files."""
    import numpy as np

    import qa

    started = time.perf_counter()
    warm_up()
    loaded = time.perf_counter()
    report = qa.build_index(corpus_dir=corpus, index_dir=index, rebuild=True)
    done = time.perf_counter()
    if vectors_out:  # passage vectors in the order passages_of() lists the texts
        from qa.store.index_files import load_index

        data = load_index(index)
        row = {p.text: p.id for p in data.passages}
        ids = np.array([row[t] for t in passages_of(Path(corpus))], dtype=np.int64)
        np.save(vectors_out, data.vector_store.reconstruct(ids), allow_pickle=False)
        if sentences_out:
            row_of = {p.text[s:e]: r for p in data.passages for (s, e), r in zip(p.sentences, p.sentence_rows)}
            Path(sentences_out).write_text(json.dumps(list(row_of)), encoding="utf-8")
            np.save(sentences_out + ".npy", data.sentence_vectors[list(row_of.values())], allow_pickle=False)
    return {"passages": report.passages_embedded, "sentences": report.sentences_embedded,
            "load_seconds": loaded - started, "seconds": done - loaded}


def build_and_add(corpus: str, index: str, extra_article: str) -> dict:
    """A full build of ``corpus``, then the same index updated with one more article."""
    import qa

    warm_up()
    started = time.perf_counter()
    full = qa.build_index(corpus_dir=corpus, index_dir=index, rebuild=True)
    built = time.perf_counter()
    unchanged = qa.build_index(corpus_dir=corpus, index_dir=index)  # `qa index` with nothing to do
    noop_seconds = time.perf_counter() - built
    assert not unchanged.changed
    target = Path(corpus) / Path(extra_article).name
    shutil.copyfile(extra_article, target)
    try:
        before_add = time.perf_counter()
        added = qa.build_index(corpus_dir=corpus, index_dir=index)
        after_add = time.perf_counter()
    finally:
        target.unlink()
    # Leave the index matching the corpus again (the removal is incremental too).
    removed = qa.build_index(corpus_dir=corpus, index_dir=index)
    # The same article added as `qa add` and the web's uploads add one: the build is told the
    # file, so it lists no folder.
    from qa.store.transaction import corpus_update

    before_told = time.perf_counter()
    with corpus_update(corpus, index) as update:
        update.put(target.name, Path(extra_article).read_bytes())
        told = update.build()
    after_told = time.perf_counter()
    target.unlink()
    qa.build_index(corpus_dir=corpus, index_dir=index)
    assert told.added == added.added and not told.full_rebuild
    return {"passages": full.passages_embedded, "sentences": full.sentences_embedded,
            "full_seconds": built - started, "add_seconds": after_add - before_add, "noop_seconds": noop_seconds,
            "told_add_seconds": after_told - before_told,
            "add_passages": added.passages_embedded, "added": added.added, "removed": removed.removed}


def naive_cold_ask(vectors: str, passages: str, question: str) -> dict:
    """Everything a naive one-shot answer does: load the model and vectors, encode, search."""
    import numpy as np

    texts = json.loads(Path(passages).read_text(encoding="utf-8"))
    naive = NaivePipeline()
    naive.index_vectors(np.load(vectors, allow_pickle=False))
    scores, ids = naive.search(question, k=5)
    print(texts[int(ids[0][0])][:200])
    return {"top_score": float(scores[0][0])}


TASKS = {f.__name__: f for f in (naive_index, ours_index, build_and_add, naive_cold_ask)}

if __name__ == "__main__":
    task, args = sys.argv[1], json.loads(sys.argv[2])
    result = TASKS[task](**args)
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))
