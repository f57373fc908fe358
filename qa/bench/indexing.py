"""Indexing: throughput and peak memory beside the naive pipeline; one article added to a
large index as a share of a full rebuild.

    python -m qa.bench.indexing                      # 200-abstract sample, 5,000-abstract index
    python -m qa.bench.indexing --sample-docs 50 --docs 500

Throughput: each pipeline indexes the same SciFact abstracts in its own fresh process
(the naive one: sentence-transformers on torch encodes the passages, IndexFlatIP; this
project: ``build_index``, which embeds every sentence once, for highlighting, and makes
each passage's vector from its sentences' vectors, builds BM25, finds dates and writes
the index files). Model loading is timed apart. The two alternate
``--rounds`` times; the ratio is the median of each round's ratio.
"""
from __future__ import annotations

import argparse
from pathlib import Path


from .common import (
    CACHE, Results, log, median, passages_of, run_child, scifact_corpus, scifact_documents, short_articles_corpus,
    write_article,
)


def throughput(results: Results, sample_docs: int, rounds: int) -> None:
    import numpy as np

    corpus = scifact_corpus(sample_docs)
    work = CACHE / f"scifact-{sample_docs}"
    ratios, ours_rates, naive_rates, ours_peak, naive_peak = [], [], [], [], []
    same_work_rates, same_work_ratios = [], []
    for r in range(rounds):
        order = ("naive", "ours") if r % 2 == 0 else ("ours", "naive")
        got = {}
        for which in order:
            log(f"indexing {sample_docs} abstracts, {which} pipeline (round {r + 1}/{rounds})")
            if which == "naive":
                got[which] = run_child("naive_index", {"corpus": str(corpus), "vectors_out": str(work / "naive.npy"),
                                                       "sentences_out": str(work / "naive-sentences.json")})
            else:
                got[which] = run_child("ours_index", {"corpus": str(corpus), "index": str(work / "index"),
                                                      "vectors_out": str(work / "ours.npy"),
                                                      "sentences_out": str(work / "ours-sentences.json")})
        naive_run = got["naive"][0]
        n_rate = naive_run["passages"] / naive_run["seconds"]
        s_rate = naive_run["passages"] / (naive_run["seconds"] + naive_run["sentence_seconds"])
        o_rate = got["ours"][0]["passages"] / got["ours"][0]["seconds"]
        naive_rates.append(n_rate)
        ours_rates.append(o_rate)
        ratios.append(o_rate / n_rate)
        same_work_rates.append(s_rate)
        same_work_ratios.append(o_rate / s_rate)
        naive_peak.append(got["naive"][2])
        ours_peak.append(got["ours"][2])
    passages = got["ours"][0]["passages"]
    sentences = got["ours"][0]["sentences"]
    passage_cosines = np.sum(np.load(work / "naive.npy") * np.load(work / "ours.npy"), axis=1)
    cosine = float(np.min(sentence_cosines(work)))
    results.figures["indexing"] = {"passages": passages, "sentences": sentences, "ours_per_s": ours_rates,
                                   "naive_per_s": naive_rates, "ratios": ratios, "min_cosine": cosine,
                                   "naive_with_sentences_per_s": same_work_rates, "same_work_ratios": same_work_ratios,
                                   "ours_peak_mb": ours_peak, "naive_peak_mb": naive_peak,
                                   "passage_cosine_min": float(passage_cosines.min()),
                                   "passage_cosine_mean": float(passage_cosines.mean())}
    results.add("indexing", f"throughput, {passages:,} passages ({sample_docs} abstracts), passages/s",
                f"{median(ours_rates):.1f}", f"{median(naive_rates):.1f}", f"{median(ratios):.2f}x",
                f"ours embeds the {sentences:,} sentences once and makes passage vectors from them; "
                f"median of {rounds} alternating rounds")
    results.add("indexing", "throughput, same output (naive also embeds the sentences), passages/s",
                f"{median(ours_rates):.1f}", f"{median(same_work_rates):.1f}", f"{median(same_work_ratios):.2f}x",
                "the vectors this project's index holds, made by each pipeline")
    results.add("indexing", "peak memory (fresh process)", f"{max(ours_peak):.0f} MB", f"{max(naive_peak):.0f} MB")
    results.add("indexing", "sentence vectors vs the torch model, lowest cosine", f"{cosine:.6f}")
    results.add("indexing", "passage vectors (from sentences) vs the torch model's passage vectors, cosine lowest / mean",
                f"{passage_cosines.min():.3f} / {passage_cosines.mean():.3f}",
                note="not the same vectors by design; the answers are checked by qa eval (docs/performance.md)")
    fp32_ceiling(results, corpus, median(naive_rates), median(ours_rates))


def sentence_cosines(work: Path):
    """Cosine of each sentence vector in our index to the torch model's vector of the same text."""
    import json as _json

    import numpy as np

    def by_text(name: str) -> dict:
        texts = _json.loads((work / name).read_text(encoding="utf-8"))
        return dict(zip(texts, np.load(work / (name + ".npy"))))

    ours, naive = by_text("ours-sentences.json"), by_text("naive-sentences.json")
    common = [t for t in ours if t in naive]
    return np.array([float(ours[t] @ naive[t]) for t in common])


def fp32_ceiling(results: Results, corpus: Path, naive_per_s: float, ours_per_s: float) -> None:
    """How fast any float32 pipeline could embed these texts on this machine.

    The model's multiply-adds per token (from its configuration) times the tokens embedded,
    against the float32 matrix-product speed measured here on every core: a bound no runtime
    can beat, whatever it fuses or batches, short of computing in lower precision.
    """
    import json as _json
    import time

    import numpy as np
    from tokenizers import Tokenizer

    from qa.ingest.documents import load_corpus
    from qa.embedding.model_files import default_model_path
    from qa.ingest.passages import split_sentences

    model = default_model_path()
    config = _json.loads((model / "config.json").read_text(encoding="utf-8"))
    hidden, inner, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    tokenizer = Tokenizer.from_file(str(model / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(256)
    documents, _ = load_corpus(corpus)
    sentences = [d.body[s:e] for d in documents for s, e in split_sentences(d.body)]

    def flops(texts) -> float:
        lengths = np.array([len(e.ids) for e in tokenizer.encode_batch(list(texts))], dtype=np.float64)
        # Per token and layer: Q, K, V, output (4 h^2), feed-forward (2 h i), attention over
        # the sequence (2 x 2 h L); two flops per multiply-add.
        return float(np.sum(2 * layers * lengths * (4 * hidden**2 + 2 * hidden * inner + 4 * hidden * lengths)))

    passages = passages_of(corpus)
    passage_flops, sentence_flops = flops(passages), flops(sentences)
    peak = 0.0
    import torch  # its matrix product is the fastest here (numpy's OpenBLAS reached ~2/3 of it)

    for make in (lambda x: x, torch.from_numpy):
        a = make(np.random.default_rng(0).standard_normal((4096, hidden)).astype(np.float32))
        b = make(np.random.default_rng(1).standard_normal((hidden, inner)).astype(np.float32))
        a @ b
        started, rounds = time.perf_counter(), 30
        for _ in range(rounds):
            a @ b
        peak = max(peak, 2 * 4096 * hidden * inner * rounds / (time.perf_counter() - started))
    naive_seconds = len(passages) / naive_per_s
    best_ours = len(passages) / (sentence_flops / peak)  # ours embeds the sentences only
    results.figures["fp32_ceiling"] = {"peak_gflops": peak / 1e9, "passage_gflop": passage_flops / 1e9,
                                       "sentence_gflop": sentence_flops / 1e9}
    results.add("indexing", "float32 matrix-product speed, all cores (the ceiling)", f"{peak / 1e9:.0f} GFLOP/s",
                note=f"best of numpy and torch, {hidden}x{inner} products; the model does {passage_flops / len(passages) / 1e9:.2f} GFLOP a passage")
    results.add("indexing", "share of that ceiling reached while indexing",
                f"{sentence_flops / (len(passages) / ours_per_s) / peak:.0%} (sentences only)",
                f"{passage_flops / naive_seconds / peak:.0%}")
    results.add("indexing", "best possible float32 throughput, passages/s", f"{best_ours:.1f}",
                f"{len(passages) / (passage_flops / peak):.1f}", f"{best_ours / naive_per_s:.2f}x at most",
                f"ours embeds the sentences only ({sentence_flops / passage_flops:.2f}x the passages' work); "
                "a ratio above this needs lower precision")


def add_one_article(results: Results, n_docs: int) -> None:
    corpus = scifact_corpus(n_docs)
    extra = scifact_documents(n_docs + 1)[-1]
    extra_path = write_article(CACHE / f"scifact-{n_docs}", extra)
    log(f"full build of {n_docs:,} abstracts, then one more added (minutes)")
    got, _, peak = run_child("build_and_add", {"corpus": str(corpus), "index": str(CACHE / f"scifact-{n_docs}" / "index"),
                                               "extra_article": str(extra_path)})
    share = got["add_seconds"] / got["full_seconds"]
    results.figures["add_one"] = {**got, "share": share, "peak_mb": peak}
    results.add("indexing", f"full build, {n_docs:,} abstracts ({got['passages']:,} passages)",
                f"{got['full_seconds']:.0f} s", note=f"{got['passages'] / got['full_seconds']:.1f} passages/s; "
                f"peak {peak:.0f} MB")
    results.add("indexing", f"add one article to the {n_docs:,}-abstract index",
                f"{got['add_seconds']:.2f} s = {share:.2%} of a full build",
                note=f"{got['add_passages']} passages embedded; as `qa add` adds it (the build told the file): "
                f"{got['told_add_seconds']:.2f} s")
    results.add("indexing", f"`qa index` with nothing to do, {n_docs:,} abstracts", f"{got['noop_seconds']:.2f} s")


EXTRA_ARTICLE = """---
title: "Ferry service to the island resumes after winter repairs"
publisher: Harbour Gazette
published: 2024-04-02
---

The ferry to the island resumed its crossings on Tuesday after four months of repairs to the
slipway. The operator said the new ramp would let two lorries board at once.

Islanders had relied on a smaller boat since December. The council paid for half of the work.
"""


def adding_at_scale(results: Results, sizes: list[int]) -> None:
    """One article added (by ``qa index``, which lists the folder, and as ``qa add`` adds one,
    telling the build the file), and an unchanged ``qa index``, against the corpus's size: short
    articles (SciFact cut into runs of three sentences), embedded by the hashing embedder so
    that a 20,000-article build takes minutes. What grows with the corpus is everything but
    the embedding, which for one article is the same whatever the corpus (the MiniLM row of
    ``add_one_article`` gives it)."""
    for n in sizes:
        corpus = short_articles_corpus(n)
        extra = corpus.parent / "extra" / "ferry-resumes.md"
        extra.parent.mkdir(exist_ok=True)
        extra.write_text(EXTRA_ARTICLE, encoding="utf-8")
        log(f"{n:,} short articles, hashing embedder: full build, nothing to do, one added")
        got, _, peak = run_child("build_and_add", {"corpus": str(corpus), "index": str(corpus.parent / "index"),
                                                   "extra_article": str(extra)}, env={"QA_MODEL": "hash:384"})
        share = got["add_seconds"] / got["full_seconds"]
        results.figures.setdefault("adding_at_scale", {})[n] = {**got, "share": share, "peak_mb": peak}
        results.add("indexing", f"{n:,} short articles ({got['passages']:,} passages), hashing embedder: "
                    "full build / unchanged `qa index` / one article added by `qa index` (the folder listed) / "
                    "by `qa add` (the build told the file)",
                    f"{got['full_seconds']:.1f} s / {got['noop_seconds']:.2f} s / {got['add_seconds']:.3f} s "
                    f"({share:.2%} of the full build) / {got['told_add_seconds']:.3f} s")


def run(results: Results, sample_docs: int, docs: int, rounds: int, sizes: list[int] | None = None) -> None:
    throughput(results, sample_docs, rounds)
    add_one_article(results, docs)
    adding_at_scale(results, sizes or [1000, 5000, 20000])


def main(argv=None) -> Results:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample-docs", type=int, default=200, help="abstracts indexed by both pipelines")
    parser.add_argument("--docs", type=int, default=5000, help="abstracts in the index that one article is added to")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000],
                        help="corpus sizes (short articles) one article is added to")
    parser.add_argument("--only-scale", action="store_true", help="only the adding-at-scale rows")
    args = parser.parse_args(argv)
    results = Results()
    if args.only_scale:
        adding_at_scale(results, args.sizes)
    else:
        run(results, args.sample_docs, args.docs, args.rounds, args.sizes)
    print(results.table())
    return results


if __name__ == "__main__":
    main()
