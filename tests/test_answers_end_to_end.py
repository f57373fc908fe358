"""The answers a newcomer sees first, end to end with the shipped models (the embedding
model and the reader): the app's example questions, the README's and docs' examples (the
follow-up included), and honest abstention on a corpus that cannot answer."""
from __future__ import annotations

import pytest

import qa
from qa.web.app import EXAMPLES

pytestmark = pytest.mark.integration

# The app's examples, the README's and docs/web.md's: each with a piece of the sentence that answers.
ANSWERS = {
    "When was the improvement notice closed?": "this has been closed following Ofsted's latest visit",
    "When was the improvement notice issued?": "given on August 11",
    "What did inspectors say about care leavers?": "particularly impressed with improvements to care leavers",
    "How often must the improvement board meet?": "the board must meet at least every four weeks",
    "when was the improvement notice closed?": "this has been closed following Ofsted's latest visit",
    "When were the services originally judged inadequate overall?": "\"inadequate\" overall in December 2015",
}
FOLLOW_UPS = [
    # (earlier questions, follow-up, a piece of the sentence that answers it)
    (["when was the improvement notice closed?"], "and when was it issued?", "given on August 11"),
    (["when was the notice issued?"], "and when was it closed?", "this has been closed following Ofsted's latest visit"),
]


def test_every_example_of_the_app_is_checked_here():
    assert set(EXAMPLES) <= set(ANSWERS)


# Known gaps of the shipped reader (issue 20 stays open on them): the answer model is sure
# enough of too few "when" answers in news (probability 0.34-0.35 against the threshold
# 0.60), and ranks the care-leavers sentence above "graded them as 'inadequate' overall in
# December 2015". Strict: a gap that closes fails here, so that it is written down.
UNSURE = pytest.mark.xfail(strict=True, reason="right sentence, probability under the threshold (issue 20)")
MISRANKED = pytest.mark.xfail(strict=True, reason="another sentence ranks first (issue 20)")
NOT_ANSWERED = {"When was the improvement notice issued?": UNSURE,
                "When were the services originally judged inadequate overall?": MISRANKED}
NOT_FIRST = {"When were the services originally judged inadequate overall?": MISRANKED}


@pytest.mark.parametrize("question", [pytest.param(q, marks=NOT_FIRST.get(q, ())) for q in sorted(ANSWERS)])
def test_example_questions_rank_the_sentence_that_answers_first(real_retriever, question):
    answer = real_retriever.answer(question)
    assert ANSWERS[question] in answer.citations[0].highlight_text.replace("’", "'"), (question, answer.reason)


@pytest.mark.parametrize("question", [pytest.param(q, marks=NOT_ANSWERED.get(q, ())) for q in sorted(ANSWERS)])
def test_example_questions_quote_the_sentence_that_answers(real_retriever, question):
    answer = real_retriever.answer(question)
    assert answer.found, (question, answer.reason)
    assert ANSWERS[question] in answer.citations[0].highlight_text.replace("’", "'")


@pytest.mark.parametrize("history, question, expected", FOLLOW_UPS)
def test_follow_ups_rank_the_sentence_that_answers_first(real_retriever, history, question, expected):
    answer = real_retriever.answer(question, history=history)
    assert expected in answer.citations[0].highlight_text, (question, answer.query)


@pytest.mark.parametrize("history, question, expected", [
    pytest.param(*chain, marks=UNSURE if chain[1] == "and when was it issued?" else ()) for chain in FOLLOW_UPS])
def test_follow_ups_quote_the_sentence_that_answers(real_retriever, history, question, expected):
    answer = real_retriever.answer(question, history=history)
    assert answer.found, (question, answer.query, answer.reason)
    assert expected in answer.citations[0].highlight_text


OFF_TOPIC = ["When did the mayor resign?", "How much did the new school cost?", "Who won the cup final?",
             "What did the report say about hospital waiting times?"]


@pytest.fixture(scope="module")
def footbridge(tmp_path_factory):
    base = tmp_path_factory.mktemp("footbridge")
    corpus = base / "corpus"
    corpus.mkdir()
    (corpus / "footbridge.md").write_text(
        "---\ntitle: New footbridge opens over the river\npublisher: Riverside News\npublished: 2024-05-02\n---\n\n"
        "A new footbridge over the river opened to walkers and cyclists on Wednesday. The bridge links the "
        "station with the market square and took eighteen months to build. Engineers used steel made in the "
        "town. Councillors said the crossing would cut traffic on the old road bridge.\n", encoding="utf-8")
    qa.build_index(corpus_dir=corpus, index_dir=base / "index")
    return qa.Retriever(index_dir=base / "index")


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_about_a_one_article_corpus_abstain(footbridge, question):
    answer = footbridge.answer(question)
    assert not answer.found, (question, answer.citations[0].highlight_text, answer.confidence)


def test_the_footbridge_article_still_answers_what_it_says(footbridge):
    answer = footbridge.answer("How long did the footbridge take to build?")
    assert answer.found and "eighteen months" in answer.citations[0].highlight_text
