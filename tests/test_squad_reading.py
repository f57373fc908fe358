"""SQuAD read as articles with the product's sentences: each question tied to the sentence
holding its answer; articles split into training and held-out groups the same way every time."""
from __future__ import annotations

from pathlib import Path

import pytest

from qa.evaluate.fitting import unanswerable_articles, write_corpus
from qa.ingest.documents import read_document
from qa.reader.squad import read_squad, read_unanswerable, split_articles

TRAIN = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "squad-train" / "squad-v1.1-dev-train-pool.json"

TINY = {"data": [
    {"title": "Riverton_Bridge", "paragraphs": [
        {"context": "The bridge opened in 1904. It carries 900 cars a day.",
         "qas": [{"id": "1", "question": "How many cars cross the bridge?", "answers": [{"text": "900", "answer_start": 38}]},
                 {"id": "2", "question": "When did it open?", "answers": [{"text": "1904", "answer_start": 21}]},
                 {"id": "3", "question": "Crossing?", "answers": [{"text": "1904. It", "answer_start": 21}]}]},
        {"context": "Engineers repaired it in 2019.",
         "qas": [{"id": "4", "question": "Who repaired it?", "answers": [{"text": "Engineers", "answer_start": 0}]}]},
    ]},
]}


def test_each_question_is_tied_to_the_sentence_holding_its_answer():
    [article] = read_squad(TINY)
    assert article.title == "Riverton Bridge"
    assert article.body == "The bridge opened in 1904. It carries 900 cars a day.\n\nEngineers repaired it in 2019."
    tied = {q.id: article.sentence_text(q.sentence) for q in article.questions}
    assert tied == {"1": "It carries 900 cars a day.", "2": "The bridge opened in 1904.",
                    "4": "Engineers repaired it in 2019."}  # "3" crosses a sentence boundary: left out
    assert [q.paragraph for q in article.questions] == [0, 0, 1]


def test_the_corpus_written_from_squad_reads_back_with_the_same_body(tmp_path):
    [article] = read_squad(TINY)
    folder = write_corpus([article], tmp_path / "articles")
    doc = read_document(folder / "wikipedia-riverton-bridge.md", folder)
    assert doc.title == "Riverton Bridge" and doc.body == article.body


@pytest.mark.skipif(not TRAIN.is_file(), reason="needs ../shared/benchmarks/squad-train")
def test_squad_train_splits_into_the_same_held_out_articles_every_time():
    articles = read_squad(TRAIN)
    assert len(articles) == 24 and sum(len(a.questions) for a in articles) > 4900
    train, held = split_articles(articles, 5)
    assert len(held) == 5 and {a.title for a in held}.isdisjoint({a.title for a in train})
    assert [a.title for a in split_articles(list(reversed(articles)), 5)[1]] == sorted(
        [a.title for a in held], key=[a.title for a in articles].index, reverse=True)


def test_a_squad_2_file_is_read_without_its_unanswerable_questions():
    v2 = {"version": "v2.0", "data": [{"title": "Riverton_Bridge", "paragraphs": [
        {"context": "The bridge opened in 1904. It carries 900 cars a day.",
         "qas": [{"id": "1", "question": "How many cars cross the bridge?", "is_impossible": False,
                  "answers": [{"text": "900", "answer_start": 38}]},
                 {"id": "2", "question": "How many lorries cross the bridge?", "is_impossible": True, "answers": [],
                  "plausible_answers": [{"text": "900", "answer_start": 38}]}]}]}]}
    [article] = read_squad(v2)
    assert [q.id for q in article.questions] == ["1"]
    # Or its unanswerable questions alone, each tied to the sentence of its plausible answer.
    [unanswered] = read_squad(v2, unanswerable=True)
    [question] = unanswered.questions
    assert (question.id, question.answered, unanswered.sentence_text(question.sentence)) == (
        "2", False, "It carries 900 cars a day.")
    assert article.questions[0].answered
    # Its unanswerable questions are read on their own, for the answer model's calibration.
    assert read_unanswerable(v2) == [("Riverton Bridge", "How many lorries cross the bridge?")]
    with pytest.raises(ValueError, match="holds articles of the training file too"):
        unanswerable_articles(v2, [article])
    other = {"data": [{**v2["data"][0], "title": "Millbrook_Ferry"}]}
    extra, unanswered = unanswerable_articles(other, [article])
    assert [a.title for a in extra] == ["Millbrook Ferry"] and unanswered == [("Millbrook Ferry",
                                                                               "How many lorries cross the bridge?")]
