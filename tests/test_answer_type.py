"""The type of answer a question asks for and the evidence a sentence gives, on made-up
questions and sentences."""
from __future__ import annotations

import pytest

from qa.answer.abstention import abstain_reason
from qa.answer.answer_type import asked_type, gives_type
from qa.answer.hits import Hit
from qa.records import Source


@pytest.mark.parametrize("question, kind", [
    ("How many library jobs will go?", "count"),
    ("Who chairs the board?", "agent"),
    # Who made it, or who it came to.
    ("Who lodged the legal challenge?", "agent"),
    ("Who received the formal challenge?", "recipient"),
    ("Who faces the biggest cuts?", "recipient"),
    ("Which council paid?", "organisation"),
    # "which of the ... schools" asks for one of them, by name.
    ("Which of the threatened Riverton schools is in Eastham?", "organisation"),
    ("Which of the two schools closed first?", "organisation"),
    # How a vote went: a tally or a decision.
    ("How did councillors vote on the Riverton rent rise?", "vote"),
    ("How will the board vote?", "vote"),
    ("What was the result of the vote?", "vote"),
    ("What was the tally when members rejected the plan?", "count"),
    ("Why did councillors call a vote?", None),
    # A grade or rating: "requires improvement", rated 'Good'.
    ("What grade did inspectors give Riverton's care services this time?", "rating"),
    ("Which part of the school got the lowest grade?", "rating"),
    ("Why was the school's rating lowered?", None),
])
def test_asked_type(question, kind):
    assert asked_type(question) == kind


@pytest.mark.parametrize("kind, sentence, gives", [
    ("organisation", "The future of Ysgol Bryn Celyn in Eastham is being decided.", True),
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
])
def test_gives_type(kind, sentence, gives):
    assert gives_type(kind, sentence) is gives


def test_a_sentence_about_the_rise_does_not_say_how_the_vote_went():
    text = "Every household in Riverton will see a rise in rent."
    hit = Hit("d#p0", "d", text, 1.2, Source(title="t"), 0, len(text), (0, len(text)), support=1.2, missing_names=[])
    assert "vote" in abstain_reason("How did councillors vote on Riverton's rent rise?", [hit])
    assert abstain_reason("What will happen to rents in Riverton?", [hit]) is None
