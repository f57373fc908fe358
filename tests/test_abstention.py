"""Answer kinds and the "not in the documents" decision, on hand-made hits."""
from __future__ import annotations

import pytest

from qa.answer.abstention import MIN_SUPPORT, abstain_reason, is_answered, question_names
from qa.answer.answer_kind import asked_kind, asks_about_future, gives_kind, is_when_question, speaks_of_future
from qa.answer.hits import Hit
from qa.records import Source


@pytest.mark.parametrize("question, kind", [
    ("When was the improvement notice closed?", "date"),
    ("and when was it closed?", "date"),
    ("In which month did inspectors visit?", "date"),
    ("What does the council do when a child goes missing?", None),  # "when" as a conjunction
    ("How much did the overhaul cost?", "amount"),
    ("What is the annual budget of the department?", "amount"),
    ("How many monitoring visits were there?", "number"),
    ("How often must the board meet?", "number"),
    ("What is the population of the borough?", "number"),
    ("Who chairs the board?", None),
])
def test_asked_kind(question, kind):
    assert asked_kind(question) == kind
    assert is_when_question(question) == (kind == "date")


def test_gives_kind():
    assert gives_kind("date", "Following a visit in May inspectors found progress.")
    assert gives_kind("date", "It was given then.", dates=[{"value": "2016-08-11"}])
    assert gives_kind("number", "The board must meet at least every four weeks.")
    assert gives_kind("amount", "A £500,000 overhaul of top tier staff.")
    # A year says when, not how many.
    assert not gives_kind("number", "The notice has applied since August 2016.")
    assert not gives_kind("date", "The council apologised.")
    assert not gives_kind(None, "Anything at all 2016.")


def test_future_questions_and_sentences():
    assert asks_about_future("When will Ofsted next inspect the council?")
    assert not asks_about_future("When did Ofsted inspect the council?")
    assert speaks_of_future("The DfE will appoint an independent chairman.")
    assert not speaks_of_future("Ofsted inspected the council in May.")


def test_question_names():
    assert question_names("How did Lambeth's children's services do in the last Ofsted inspection?") == \
        ["Lambeth", "Ofsted"]
    assert question_names("When was the notice closed?") == []


def _hit(text, support=1.0, highlight=None, **extra):
    return Hit(passage_id="d#p0", doc_id="d", text=text, score=0.5, source=Source(title="t", publisher="p"),
               start=0, end=len(text), highlight=highlight or (0, len(text)), support=support, **extra)


def test_support_below_the_threshold_abstains():
    hit = _hit("Ofsted inspected Wandsworth in May.", support=MIN_SUPPORT - 0.01)
    assert abstain_reason("Who inspected the borough?", [hit]).startswith("support")
    assert is_answered("Who inspected the borough?", [_hit(hit.text, support=MIN_SUPPORT)])
    assert not is_answered("Who inspected the borough?", [])


def test_a_name_no_passage_mentions_abstains_whatever_the_support():
    hits = [_hit("Ofsted inspected Wandsworth in May.", support=5.0)]
    assert "Lambeth" in abstain_reason("How did Ofsted rate Lambeth?", hits)
    assert is_answered("How did Ofsted rate Wandsworth?", hits)
    # A name is matched as a word: "City" is not found inside "capacity".
    assert "City" in abstain_reason("What did Birmingham City do?", [_hit("Birmingham has capacity.", 5.0)])


def test_a_missing_date_number_or_amount_abstains():
    hits = [_hit("Wandsworth had been subject to a notice since August 2016.", support=5.0)]
    assert "number" in abstain_reason("How many schools were rated outstanding?", hits)
    assert is_answered("When did the notice start?", hits)
    # Only the highlighted sentence counts: a number elsewhere in the passage does not answer.
    text = "Ten schools were visited. The council said nothing more."
    assert "number" in abstain_reason("How many staff left?", [_hit(text, 5.0, highlight=(26, len(text)))])


def test_a_future_question_answered_by_the_past_abstains():
    past = [_hit("Ofsted inspected Wandsworth in May 2018.", support=5.0)]
    assert "future" in abstain_reason("When will Ofsted next inspect Wandsworth?", past)
    future = [_hit("The DfE will appoint an independent chairman.", support=5.0)]
    assert is_answered("Who will chair the board?", future)
