"""Short answers and follow-up questions, with the hashing embedder (no model)."""
import pytest

import qa
from qa.answer.compose import NOT_FOUND, Answer, compose_answer
from qa.answer.question import follow_up_query, is_follow_up, user_questions
from qa.errors import QuestionError


@pytest.mark.parametrize("question", [
    "and when was it closed?",        # opens with "and", points back with "it"
    "And who chaired it?",
    "what about the library?",        # a continuation
    "but why?",
    "why?",                           # no content words of its own
    "who closed it?",                 # a pronoun and one content word
    "What did they find?",
    "When was that notice closed?",
])
def test_questions_that_lean_on_the_previous_one_are_follow_ups(question):
    assert is_follow_up(question)


@pytest.mark.parametrize("question", [
    "When was the improvement notice closed?",
    "Who rated Wandsworth's children's services inadequate?",
    "Who said that children in Wandsworth are safe?",  # "that" with four words of its own
    "How often must the improvement board meet?",
    "Android phones",  # "and" only as a word's start
])
def test_questions_that_stand_alone_are_not_follow_ups(question):
    assert not is_follow_up(question)


def test_a_follow_up_folds_in_the_previous_questions_topic():
    query = follow_up_query("and when was it closed?", ["when was the notice issued?"])
    assert query == "and when was it closed? notice issued"


def test_a_question_that_stands_alone_is_searched_unchanged():
    history = ["when was the notice issued?"]
    assert follow_up_query("When was the improvement notice closed?", history) == "When was the improvement notice closed?"
    assert follow_up_query("and when was it closed?", []) == "and when was it closed?"
    assert follow_up_query("and when was it closed?", None) == "and when was it closed?"


def test_a_chain_of_follow_ups_keeps_its_topic():
    history = ["when was the notice issued?", "and when was it closed?"]
    # "closed" is already in the question; the topic words come through the middle question.
    assert follow_up_query("who closed it?", history) == "who closed it? notice issued"


def test_a_new_topic_breaks_the_chain():
    history = ["when was the notice issued?", "How often must the improvement board meet?"]
    assert follow_up_query("who chairs it?", history) == "who chairs it? often must improvement board meet"


def test_folding_adds_only_words_the_question_lacks_and_at_most_eight():
    long = "When did the council, the board, the inspectors, the ministers and the chairman agree the plan budget?"
    query = follow_up_query("and why?", [long])
    assert query.startswith("and why? ")
    assert len(query.split()) == 2 + 8
    assert follow_up_query("and was the notice issued then?", ["when was the notice issued?"]) == \
        "and was the notice issued then?"


def test_history_in_gradio_message_format_uses_the_users_text_only():
    history = [
        {"role": "user", "content": "when was the notice issued?"},
        {"role": "assistant", "content": "“It was given on August 11.” [1] about the board"},
        {"role": "user", "content": [{"type": "text", "text": "how often must the board meet?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "every four weeks"}]},
        {"role": "user", "content": [{"type": "file", "file": {"path": "x.png"}}]},
    ]
    assert user_questions(history) == ["when was the notice issued?", "how often must the board meet?"]
    assert follow_up_query("and who chairs it?", history) == "and who chairs it? often must board meet"


def test_compose_answer_quotes_the_sentence_or_says_the_documents_do_not_answer(tiny_corpus, tmp_path, hash_embedder):
    qa.build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    retriever = qa.Retriever(index_dir=tmp_path / "index", embedder=hash_embedder)
    hits = retriever.retrieve("how much did the harbour bridge repairs cost?", k=2)

    found = compose_answer("how much?", hits, query="q", min_score=-1.0)
    assert found.found and found.query == "q" and found.citations == hits
    assert found.text == f"\u201c{hits[0].highlight_text}\u201d [1]"

    missing = compose_answer("how much?", hits, min_score=2.0)
    assert not missing.found and missing.text == NOT_FOUND and missing.query == "how much?"
    assert compose_answer("anything?", []).found is False


def test_retriever_answer_searches_the_folded_query(tiny_corpus, tmp_path, hash_embedder):
    qa.build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    retriever = qa.Retriever(index_dir=tmp_path / "index", embedder=hash_embedder)

    alone = retriever.answer("and how much did it cost?", k=2)
    assert alone.query == "and how much did it cost?"

    answer = retriever.answer("and how much did it cost?", history=["when did the harbour bridge reopen?"], k=2)
    assert isinstance(answer, Answer)
    assert answer.question == "and how much did it cost?"
    assert answer.query == "and how much did it cost? harbour bridge reopen"
    assert answer.citations[0].doc_id == "harbour"
    assert answer.to_dict()["query"] == answer.query


def test_retriever_answer_refuses_an_empty_question(tiny_corpus, tmp_path, hash_embedder):
    qa.build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    retriever = qa.Retriever(index_dir=tmp_path / "index", embedder=hash_embedder)
    with pytest.raises(QuestionError, match="empty"):
        retriever.answer("   ", history=["when did the harbour bridge reopen?"])
