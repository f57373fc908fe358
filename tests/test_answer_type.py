"""The type of answer a question asks for and the evidence a sentence gives, on made-up
questions and sentences."""
from __future__ import annotations

import pytest

from qa.answer.answer_type import asked_type, gives_type, is_when_question


@pytest.mark.parametrize("question, kind", [
    ("How many library jobs will go?", "count"),
    ("Who chairs the board?", "agent"),
    # Who made it, or who it came to.
    ("Who lodged the legal challenge?", "agent"),
    ("Who received the formal challenge?", "recipient"),
    ("Who faces the biggest cuts?", "recipient"),
    ("Which council paid?", "organisation"),
    ("Which of the two schools closed first?", "organisation"),
    # How a vote went: a tally or a decision.
    ("How did councillors vote on the Riverton rent rise?", "vote"),
    ("How will the board vote?", "vote"),
    ("What was the result of the vote?", "vote"),
    ("Why did councillors call a vote?", None),
    # A grade or rating: "requires improvement", rated 'Good'.
    ("What grade did inspectors give Riverton's care services this time?", "rating"),
    ("Why was the school's rating lowered?", None),
    # One classifier answers both "how much" questions and dates.
    ("How much did the council borrow?", "money"),
    ("How much of the budget went on roads?", "percentage"),
    ("When was the improvement notice closed?", "date"),
    ("and when was it closed?", "date"),
    ("In which month did inspectors visit?", "date"),
    ("What does the council do when a child goes missing?", None),  # "when" as a conjunction
    ("How often must the board meet?", "count"),
])
def test_asked_type(question, kind):
    assert asked_type(question) == kind
    assert is_when_question(question) == (kind == "date")


@pytest.mark.parametrize("kind, sentence, gives", [
    ("organisation", "Kingsport Primary School and Eastham Academy will merge.", True),
    ("organisation", "Plans to shut four small rural schools are on hold.", False),
    ("vote", "The rise was approved by 30 votes to 12.", True),
    ("vote", "Calls for a full council debate were turned down 42 to 34.", True),
    ("vote", "Members unanimously backed the plan.", True),
    ("vote", "Every household will see a rise in rent.", False),
    # The one a thing came to is not the one who did it.
    ("agent", "On 3 May, the authority received a formal challenge to the decision.", False),
    ("agent", "Riverton Council faces a legal challenge.", False),
    ("agent", "Riverton Council received a challenge from the Kingsport Trust.", True),
    ("agent", "The Kingsport Trust lodged a challenge last week.", True),
    ("agent", "The Kingsport Trust said Riverton Council received its challenge.", True),
    ("recipient", "On 3 May, the authority received a formal challenge to the decision.", True),
    ("rating", "Riverton has received a 'requires improvement' rating.", True),
    ("rating", "Inspectors judged leadership to be inadequate.", True),
    ("rating", "The school was rated as ‘Good’ in 2017.", True),
    ("rating", "The care company will run services from October.", False),
    ("rating", "It was a good year for the council.", False),
    # A place is named; "wants to cut" names none.
    ("place", "The library in Eastham will close.", True),
    ("place", "The council wants to cut its budget.", False),
    ("date", "Following a visit in May inspectors found progress.", True),
    ("count", "The board must meet at least every four weeks.", True),
    ("count", "The notice has applied since August 2016.", False),  # a year says when, not how many
    ("money", "A £500,000 overhaul of top tier staff.", True),
])
def test_gives_type(kind, sentence, gives):
    assert gives_type(kind, sentence) is gives
