"""BM25 as shipped (qa.store.lexical, bm25s's lucene scores) against Milvus's own BM25 function, lexical ranking alone.

Two question sets, no embedding at all:

* the seed corpus's passages and the development questions (tests/data/dev_questions.jsonl):
  where the first passage containing the expected phrase ranks (hit@1, hit@5, MRR);
* SciFact (../shared/benchmarks/scifact, test split): nDCG@10 over the abstracts.

Milvus is given the text two ways: as written (its ``standard`` analyzer with our stopword
list; Milvus Lite 3.2.2 offers no stemmer), and already tokenized by ``qa.store.lexical``
(stemmed words joined by spaces), which isolates the BM25 formula from the tokenizer.

    python -m qa.bench.milvus_bm25 [--scifact ../shared/benchmarks/scifact] [--out FILE.json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


from qa.evaluate.beir import document_text, load_beir
from qa.evaluate.metrics import ndcg_at_k
from qa.evaluate.questions import fold_text, read_questions
from qa.ingest.documents import load_corpus
from qa.ingest.passages import split_passages
from qa.store.build import SPLITTER
from qa.store.lexical import K1, B, LexicalIndex, tokenize
from qa.text import QUESTION_WORDS, STOPWORDS

from .common import ROOT, SCIFACT


class MilvusBM25:
    """A Milvus Lite collection with a BM25 function over one text field."""

    def __init__(self, db: Path, name: str, texts: list[str], stop_words: list[str] | None):
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        self.client = MilvusClient(str(db))
        self.name = name
        analyzer = {"tokenizer": "standard"}
        if stop_words:
            analyzer["filter"] = [{"type": "stop", "stop_words": stop_words}]
        schema = MilvusClient.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("text", DataType.VARCHAR, max_length=65_535, enable_analyzer=True, analyzer_params=analyzer)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                     input_field_names=["text"], output_field_names=["sparse"]))
        params = MilvusClient.prepare_index_params()
        params.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                         params={"bm25_k1": K1, "bm25_b": B})
        self.client.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")
        started = time.perf_counter()
        for start in range(0, len(texts), 2_000):
            self.client.insert(name, [{"id": i, "text": t or "-"} for i, t in enumerate(texts[start:start + 2_000], start)])
        self.client.flush(name)
        self.build_s = time.perf_counter() - started

    def top(self, query: str, k: int) -> list[int]:
        if not query.strip():
            return []
        hits = self.client.search(self.name, data=[query], anns_field="sparse", limit=k,
                                  search_params={"metric_type": "BM25"}, output_fields=["id"])
        return [int(h["id"]) for h in hits[0]]


def lexical_top(index: LexicalIndex, query: str, k: int) -> list[int]:
    scores = index.scores(query)
    order = np.lexsort((np.arange(len(scores)), -scores))[:k]
    return [int(i) for i in order if scores[i] > 0]


def rankers(db: Path, tag: str, texts: list[str]):
    """name -> (top(query, k), build seconds)."""
    started = time.perf_counter()
    ours = LexicalIndex.build(texts)
    out = {"qa.store.lexical": (lambda q, k: lexical_top(ours, q, k), time.perf_counter() - started)}
    raw = MilvusBM25(db, f"{tag}_raw", texts, sorted(STOPWORDS | QUESTION_WORDS))
    out["Milvus BM25, text as written"] = (raw.top, raw.build_s)
    tokens = MilvusBM25(db, f"{tag}_tok", [" ".join(tokenize(t)) for t in texts], None)
    out["Milvus BM25, qa tokens"] = (lambda q, k: tokens.top(" ".join(tokenize(q)), k), tokens.build_s)
    return out


def timed(top, queries, k):
    results, times = [], []
    for q in queries:
        started = time.perf_counter()
        results.append(top(q, k))
        times.append(time.perf_counter() - started)
    return results, 1000 * statistics.median(times)


def seed_questions(db: Path) -> dict:
    docs, _ = load_corpus(ROOT / "corpus")
    passages = [p.text for d in docs for p in split_passages(d.doc_id, d.body, **SPLITTER)]
    pairs = [(q, e) for q, e in read_questions(ROOT / "tests" / "data" / "dev_questions.jsonl") if e]
    out = {"passages": len(passages), "questions": len(pairs)}
    for name, (top, build_s) in rankers(db, "seed", passages).items():
        results, p50 = timed(top, [q for q, _ in pairs], 5)
        ranks = []
        for (_, expect), ids in zip(pairs, results):
            rank = next((r for r, i in enumerate(ids, 1) if fold_text(expect) in fold_text(passages[i])), None)
            ranks.append(rank)
        out[name] = {"hit@1": sum(r == 1 for r in ranks) / len(ranks),
                     "hit@5": sum(r is not None for r in ranks) / len(ranks),
                     "mrr": sum(1 / r for r in ranks if r) / len(ranks), "query_p50_ms": p50, "build_s": build_s}
    return out


def scifact(db: Path, folder: Path) -> dict:
    data = load_beir(folder, "test")
    texts = [document_text(t, x) for t, x in zip(data.titles, data.texts)]
    qids = list(data.queries)
    out = {"documents": len(texts), "queries": len(qids)}
    for name, (top, build_s) in rankers(db, "scifact", texts).items():
        results, p50 = timed(top, [data.queries[q] for q in qids], 10)
        ndcg = [ndcg_at_k([data.doc_ids[i] for i in ids], data.qrels[q], 10) for q, ids in zip(qids, results)]
        out[name] = {"ndcg@10": float(np.mean(ndcg)), "query_p50_ms": p50, "build_s": build_s}
    return out


def measure(scifact_dir: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bm25.db"
        report = {"seed": seed_questions(db)}
        if (scifact_dir / "corpus.jsonl").is_file():
            report["scifact"] = scifact(db, scifact_dir)
        from qa.store.milvus_client import release

        release(f"milvus://{db}")
    return report


def run(results, scifact_dir: Path = SCIFACT) -> None:
    """Rows for ``qa bench --part milvus``: Milvus's BM25 beside ours (what ships)."""
    report = measure(scifact_dir)
    results.figures["milvus_bm25"] = report
    ours = "qa.store.lexical"
    for name in ("Milvus BM25, text as written", "Milvus BM25, qa tokens"):
        seed, theirs = report["seed"][name], report["seed"][ours]
        results.add("milvus", f"BM25 alone, seed dev questions: {name}, hit@1 / MRR",
                    f"{seed['hit@1']:.3f} / {seed['mrr']:.3f}", f"ours {theirs['hit@1']:.3f} / {theirs['mrr']:.3f}")
        if "scifact" in report:
            sf, theirs = report["scifact"][name], report["scifact"][ours]
            results.add("milvus", f"BM25 alone, SciFact: {name}, nDCG@10 / query p50",
                        f"{sf['ndcg@10']:.3f} / {sf['query_p50_ms']:.1f} ms",
                        f"ours {theirs['ndcg@10']:.3f} / {theirs['query_p50_ms']:.1f} ms")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scifact", type=Path, default=SCIFACT)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    report = measure(args.scifact)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
