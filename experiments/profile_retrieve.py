"""Where a warm answer's time goes: ``cProfile`` of 100 ``retrieve`` calls on the SciFact
index of ``python experiments/try_mpnet_int8.py --latency 5000`` (19,239 passages), the
question cache cleared before each so that every question is embedded.

    python experiments/profile_retrieve.py [MODEL]          # default all-MiniLM-L6-v2
    python experiments/profile_retrieve.py [MODEL] --seen   # the questions asked once before

Result (ran on 2026-12-08 on this script's commit, all-MiniLM-L6-v2, 2-core x86-64, quiet):

| | a question, in all | reader | question and twin vectors | how the 20 nearest articles write each word (``written_as``) | their name shares | hybrid search |
|---|---|---|---|---|---|---|
| articles met for the first time | 68 ms | 35 ms | 9 ms | 11 ms | 4 ms | 3 ms |
| ``--seen`` | 52 ms | 35 ms | 9 ms | – | – | 3 ms |

On first sight an article's words are counted (capitalised mid-sentence or not) and stemmed
once, about 0.7 ms an article; ``Retriever.warm()`` prepared the sentences' features but not
these. Since it does (the commit after this script's), two runs back to back, the profiler's
own cost included: 58 ms a first-sight question with it, 78 ms at the commit before. The reader's input: 79.0 tokens p50 over 400 sentences, 24% at the 96-token cap
(SciFact's sentences and titles are long; news sentences are shorter).
"""
from __future__ import annotations

import cProfile
import pstats
import statistics
import sys

import qa
from qa.bench.common import CACHE, scifact_queries


def main(model: str, seen: bool = False) -> None:
    retriever = qa.Retriever(index_dir=CACHE / f"scifact-5000-{model}" / "index")
    retriever.warm()
    questions = scifact_queries(103)
    for question in questions[:3 if not seen else None]:  # with seen: every article met before
        retriever.retrieve(question, k=5)
    profile = cProfile.Profile()
    profile.enable()
    for question in questions[3:]:
        retriever.question_vectors.clear()
        retriever.retrieve(question, k=5)
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    reader_lengths(retriever, questions[3:])


def reader_lengths(retriever: qa.Retriever, questions: list[str]) -> None:
    """How many tokens the reader reads per sentence (question, sentence and headline)."""
    from tokenizers import Tokenizer

    from qa.answer.ranking import reader_set
    from qa.reader.inputs import pair_text

    reader = retriever.reader
    tokenizer = Tokenizer.from_file(str(reader.model_dir / "tokenizer.json"))
    tokenizer.no_padding()  # the file pads each batch to its longest; the reader does not
    cap = int(reader.manifest["max_length"])
    lengths = []
    for question in questions:
        pool = retriever.sentence_pool(question)
        read = reader_set(pool, retriever.settings.reader_candidates, None)
        pairs = [(question, pair_text(*c)) for c in pool.reader_inputs(read, retriever.titles(), False)]
        lengths += [min(cap, len(e.ids)) for e in tokenizer.encode_batch(pairs)]
    print(f"reader input: {statistics.median(lengths):.1f} tokens p50 over {len(lengths)} sentences, "
          f"{sum(n >= cap for n in lengths) / len(lengths):.0%} at the {cap}-token cap")


if __name__ == "__main__":
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    names = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(names[0] if names else "all-MiniLM-L6-v2", seen="--seen" in flags)
