"""``qa eval --beir``: BEIR folders read, written as articles, indexed by qa.build_index and
ranked by qa.Retriever, on tiny benchmarks made here."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import qa
from qa.answer.retriever import Retriever
from qa.cli import main
from qa.evaluate.beir import article_file_name, documents_in_order, evaluate_beir, load_beir
from qa.embedding.embedder import HashingEmbedder
from qa.store import index_files

DOCS = [
    ("d1", "Harbour bridge", "The harbour bridge reopened after cable repairs."),
    ("d2", "Library hours", "The library opens on Sundays from October."),
    ("d3", "Ferry timetable", "Ferries run every hour while the bridge is closed."),
    ("d4", "Council budget", "The council budget pays for the repairs and the library."),
]
QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td3\t0\nq2\td2\t1\n"


def write_beir(folder: Path, docs=DOCS, queries=None, qrels: str = QRELS) -> Path:
    queries = queries or [("q1", "bridge cable repairs"), ("q2", "library Sundays"), ("q3", "unjudged query")]
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, t, x in docs))
    (folder / "queries.jsonl").write_text("".join(json.dumps({"_id": i, "text": t}) + "\n" for i, t in queries))
    (folder / "qrels" / "test.tsv").write_text(qrels)
    return folder


def test_load_beir_reads_judged_queries_only(tmp_path):
    data = load_beir(write_beir(tmp_path / "bench"))
    assert data.doc_ids == ["d1", "d2", "d3", "d4"]
    assert set(data.queries) == {"q1", "q2"}
    assert data.qrels["q1"] == {"d1": 2.0, "d3": 0.0}


def test_load_beir_says_which_file_is_missing(tmp_path):
    folder = write_beir(tmp_path / "bench")
    with pytest.raises(qa.QAError, match=r"train\.tsv is missing \(splits here: test\)"):
        load_beir(folder, split="train")


def _index_dir(cache: Path) -> Path:
    (folder,) = cache.glob("beir-bench-*")
    return folder / "index"


def test_documents_become_articles_of_an_index_the_retriever_reads(tmp_path):
    cache = tmp_path / "cache"
    report = evaluate_beir(write_beir(tmp_path / "bench"), embedder=HashingEmbedder(64), cache_dir=cache)
    assert list(report.rows) == ["product", "dense", "BM25"]
    # Each query's one relevant document holds the most of its words.
    assert report.rows["product"] == pytest.approx((1.0, 1.0))
    index = _index_dir(cache)
    manifest = index_files.read_manifest(index)
    assert sorted(manifest["documents"]) == ["d1", "d2", "d3", "d4"]
    assert manifest["documents"]["d1"].title == "Harbour bridge"
    hits = Retriever(index_dir=index, embedder=HashingEmbedder(64)).retrieve("bridge cable repairs", k=1)
    assert hits[0].doc_id == "d1" and hits[0].title == "Harbour bridge"
    assert hits[0].text == "Harbour bridge. The harbour bridge reopened after cable repairs."


def test_the_product_column_is_the_retrievers_ranking(tmp_path, monkeypatch):
    """A change to Retriever's ranking changes the product figure, and only it, and the
    cached index is ranked again without embedding anything."""
    folder, cache, embedder = write_beir(tmp_path / "bench"), tmp_path / "cache", HashingEmbedder(64)
    before = evaluate_beir(folder, embedder=embedder, cache_dir=cache)
    embedded = len(embedder.calls)
    rank = Retriever.rank

    def reversed_rank(self, *args, **kwargs):
        ranking = rank(self, *args, **kwargs)
        ranking.order = ranking.order[::-1]
        return ranking

    monkeypatch.setattr(Retriever, "rank", reversed_rank)
    after = evaluate_beir(folder, embedder=embedder, cache_dir=cache)
    # Only the two judged queries were embedded again (the question cache is per retriever).
    assert sum(len(batch) for batch in embedder.calls[embedded:]) <= 2 * 2
    assert not any(len(batch) > 2 for batch in embedder.calls[embedded:])
    assert after.rows["product"][0] < before.rows["product"][0]
    assert after.rows["dense"] == before.rows["dense"] and after.rows["BM25"] == before.rows["BM25"]


def test_a_document_ranks_by_its_best_passage(tmp_path):
    """A long document whose last passage answers outranks short ones that only share a word."""
    filler = " ".join(f"The committee met on day {n} to discuss ordinary business." for n in range(1, 30))
    docs = [
        ("long", "Committee minutes", filler + " The lighthouse keeper repainted the lantern room red."),
        ("s1", "Lighthouse tours", "Tours of the harbour start at noon."),
        ("s2", "Paint shop", "The shop sells paint."),
    ]
    folder = write_beir(tmp_path / "bench", docs, [("q", "lighthouse keeper repainted lantern")],
                        "query-id\tcorpus-id\tscore\nq\tlong\t1\n")
    cache, embedder = tmp_path / "cache", HashingEmbedder(64)
    report = evaluate_beir(folder, embedder=embedder, cache_dir=cache)
    retriever = Retriever(index_dir=_index_dir(cache), embedder=embedder)
    hits = retriever.retrieve("lighthouse keeper repainted lantern", k=50)
    assert len({h.doc_id for h in hits}) == 3 and len(hits) > 3  # the long document has several passages
    assert documents_in_order(h.doc_id for h in hits)[0] == "long"
    assert report.rows["product"][0] == pytest.approx(1.0)
    assert report.passages == len(retriever.data.passages)


def test_ids_that_are_not_file_names_are_kept(tmp_path):
    docs = [("10.1000/bridge", "Bridge", "The bridge reopened after cable repairs."),
            (".hidden", "Library", "The library opens on Sundays."),
            ("50%", "Budget", "The council budget was cut.")]
    qrels = "query-id\tcorpus-id\tscore\nq1\t10.1000/bridge\t1\nq2\t.hidden\t1\nq3\t50%\t1\n"
    queries = [("q1", "bridge cable repairs"), ("q2", "library Sundays"), ("q3", "council budget cut")]
    folder = write_beir(tmp_path / "bench", docs, queries, qrels)
    assert [article_file_name(d) for d, _, _ in docs] == ["10.1000%2Fbridge.md", "%2Ehidden.md", "50%25.md"]
    report = evaluate_beir(folder, embedder=HashingEmbedder(64), cache_dir=tmp_path / "cache")
    assert report.rows["product"] == pytest.approx((1.0, 1.0)) and report.left_out == 0


def test_the_cache_is_keyed_by_corpus_and_model(tmp_path):
    folder, cache = write_beir(tmp_path / "bench"), tmp_path / "cache"
    evaluate_beir(folder, embedder=HashingEmbedder(64), cache_dir=cache)
    evaluate_beir(folder, embedder=HashingEmbedder(32), cache_dir=cache)
    assert len(list(cache.glob("beir-bench-*"))) == 2
    with open(folder / "corpus.jsonl", "a") as fh:
        fh.write(json.dumps({"_id": "d5", "title": "Ferry", "text": "A new ferry was ordered."}) + "\n")
    report = evaluate_beir(folder, embedder=HashingEmbedder(64), cache_dir=cache)
    assert len(list(cache.glob("beir-bench-*"))) == 3 and report.documents == 5


def test_no_cache_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = evaluate_beir(write_beir(tmp_path / "bench"), embedder=HashingEmbedder(64), cache_dir=None)
    assert report.rows["product"][0] == pytest.approx(1.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench"]


def test_cli_eval_beir_prints_the_product_table(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("QA_MODEL", "hash:64")
    folder = write_beir(tmp_path / "bench")
    assert main(["eval", "--beir", str(folder), "--cache", str(tmp_path / "cache"), "--passages", "20"]) == 0
    out = capsys.readouterr().out
    assert "bench (test): 4 documents (4 passages), 2 queries; model hash:64" in out
    assert "| product  |   1.000 |      1.000 |" in out
    assert "| dense    |" in out and "| BM25     |" in out


def test_a_syndicated_copy_ranks_right_after_the_article_it_was_folded_into(tmp_path):
    story = ("The harbour bridge reopened on Friday after six months of cable repairs. Engineers replaced "
             "every corroded cable and the council said the work cost four million pounds in all.")
    docs = [("a", "Bridge reopens", story), ("b", "Harbour crossing open again", story + " Traffic returns."),
            ("c", "Library hours", "The library opens on Sundays from October.")]
    folder = write_beir(tmp_path / "bench", docs, [("q", "bridge cable repairs cost")],
                        "query-id\tcorpus-id\tscore\nq\tb\t1\n")
    report = evaluate_beir(folder, embedder=HashingEmbedder(64), cache_dir=tmp_path / "cache")
    documents = index_files.read_manifest(_index_dir(tmp_path / "cache"))["documents"]
    assert sorted(documents) == ["a", "c"]  # b is the same story: folded into a, not ranked on its own
    assert report.left_out == 0
    assert report.rows["product"][0] == pytest.approx(1 / math.log2(3))  # b ranks second, right after a
