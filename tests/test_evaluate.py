"""Evaluation: metrics by hand, question files, the `qa eval` command (BEIR folders: test_beir.py), and (marked)
the development set with the real model."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import qa
from qa.cli import main
from qa.evaluate.metrics import first_relevant_rank, hit_at_k, ndcg_at_k, recall_at_k, reciprocal_rank
from qa.evaluate.questions import evaluate_questions, read_questions

DEV_QUESTIONS = Path(__file__).resolve().parent / "data" / "dev_questions.jsonl"


# --- metrics on hand-computed examples ----------------------------------------------------

def test_ndcg_binary_by_hand():
    # relevant at ranks 1 and 3 of two relevant: (1 + 1/log2 4) / (1 + 1/log2 3)
    expected = (1 + 1 / 2) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["a", "x", "b"], {"a": 1, "b": 1}) == pytest.approx(expected)
    assert ndcg_at_k(["a", "b"], {"a": 1, "b": 1}) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], {"a": 1}) == 0.0


def test_ndcg_graded_uses_linear_gains_and_the_cutoff():
    gains = {"a": 3, "b": 1, "c": 0}
    # b (gain 1) at rank 1, a (gain 3) at rank 2; ideal a then b
    dcg = 1 + 3 / math.log2(3)
    idcg = 3 + 1 / math.log2(3)
    assert ndcg_at_k(["b", "a", "c"], gains) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(["x", "a"], gains, k=1) == 0.0  # a lies past the cutoff
    assert ndcg_at_k(["c"], {"c": 0}) == 0.0  # a query with no relevant document


def test_recall_hit_and_reciprocal_rank_by_hand():
    assert recall_at_k(["a", "x", "y"], {"a": 1, "b": 2, "z": 0}, k=2) == 0.5
    assert recall_at_k(["a"], {"z": 0}) == 0.0
    rank = first_relevant_rank([False, False, True, True])
    assert rank == 3
    assert (hit_at_k(rank, 1), hit_at_k(rank, 3)) == (0.0, 1.0)
    assert reciprocal_rank(rank) == pytest.approx(1 / 3)
    assert first_relevant_rank([False]) is None and reciprocal_rank(None) == 0.0 and hit_at_k(None, 3) == 0.0


# --- question files -----------------------------------------------------------------------

@pytest.mark.parametrize("line, message", [
    ("{not json", r"q\.jsonl:2: not valid JSON"),
    ('{"expect": "x"}', r"q\.jsonl:2: needs a \"q\""),
    ('{"q": "who?", "expect": 3}', r"q\.jsonl:2: \"expect\" must be a phrase"),
])
def test_bad_question_lines_are_named_by_line(tmp_path, line, message):
    path = tmp_path / "q.jsonl"
    path.write_text('{"q": "fine?", "expect": null}\n' + line + "\n")
    with pytest.raises(qa.QAError, match=message):
        read_questions(path)


def test_missing_and_empty_question_files_say_what_to_give(tmp_path):
    with pytest.raises(qa.QAError, match="JSON-lines file"):
        read_questions(tmp_path / "none.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(qa.QAError, match="holds no questions"):
        read_questions(tmp_path / "empty.jsonl")


def test_dev_set_is_big_enough_and_its_phrases_are_in_the_articles(seed_corpus):
    from qa.ingest.documents import load_corpus
    from qa.evaluate.questions import fold_text

    pairs = read_questions(DEV_QUESTIONS)
    answerable = [(q, e) for q, e in pairs if e is not None]
    assert len(answerable) >= 30 and len(pairs) - len(answerable) >= 8
    documents, _ = load_corpus(seed_corpus)
    bodies = [fold_text(d.body) for d in documents]
    for question, expect in answerable:
        assert any(fold_text(expect) in body for body in bodies), expect
        assert fold_text(question.rstrip("?")) not in " ".join(bodies)  # asked, not copied


def _tiny_questions(tmp_path) -> Path:
    path = tmp_path / "tiny.jsonl"
    rows = [
        {"q": "How much did the harbour bridge repairs cost?", "expect": "four million pounds"},
        {"q": "When will the library open on Sundays?", "expect": "open on Sundays from October"},
        {"q": "Which submarine sank?", "expect": None},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_question_evaluation_on_a_tiny_corpus(tiny_corpus, tmp_path, hash_embedder):
    qa.build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    retriever = qa.Retriever(index_dir=tmp_path / "index", embedder=hash_embedder)
    report = evaluate_questions(_tiny_questions(tmp_path), retriever, k=3)
    assert [r.rank for r in report.answerable] == [1, 1]
    assert (report.hit1, report.hit3, report.mrr) == (1.0, 1.0, 1.0)
    # No word of "Which submarine sank?" is in any passage: the support (hash collisions only) is below the threshold.
    assert report.unanswerable[0].found is False
    text = report.summary()
    assert "hit@1          1.000" in text and "unanswerable   1 abstained, 0 answered" in text


# --- the command --------------------------------------------------------------------------

def test_cli_eval_questions_prints_the_figures(tiny_corpus, tmp_path, hash_embedder, capsys):
    qa.build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    assert main(["eval", str(_tiny_questions(tmp_path)), "--index", str(tmp_path / "index")]) == 0
    out = capsys.readouterr().out
    for line in ("hit@1          1.000", "hit@3          1.000", "MRR@5          1.000",
                 "answerable     2 answered, 0 abstained", "unanswerable   1 abstained, 0 answered"):
        assert line in out


def test_cli_eval_needs_exactly_one_source(capsys, tmp_path):
    assert main(["eval"]) == 1
    assert "give either a questions file" in capsys.readouterr().err
    assert main(["eval", "--beir", str(tmp_path / "nothing")]) == 1
    assert "corpus.jsonl is missing" in capsys.readouterr().err


# --- the development set with the real model ----------------------------------------------

@pytest.mark.integration
def test_dev_set_meets_the_quality_bar(real_retriever):
    report = evaluate_questions(DEV_QUESTIONS, real_retriever)
    detail = report.summary()
    assert report.hit1 >= 0.9, detail
    assert report.hit3 >= 0.97, detail  # measured 0.973 / 1.000 with the shipped reader
    assert all(not r.found for r in report.unanswerable), detail
    # 16 of 37 answered at the fitted threshold, every one right (the rule-based answers of
    # 38d5c36 gave 31, fitted on questions like these); docs/quality.md, issue 20
    assert sum(r.found for r in report.answerable) >= 16, detail


@pytest.mark.integration
def test_notice_closed_question_ranks_the_closing_passage_first(real_retriever):
    hits = real_retriever.retrieve("when was the improvement notice closed?", k=3)
    assert "this has been closed following Ofsted's latest visit" in hits[0].text
    assert "closed following Ofsted's latest visit" in hits[0].highlight_text
