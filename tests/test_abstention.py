"""The "not in the documents" decision, on hand-made hits: the names check, then the
calibrated probability against the threshold."""
from __future__ import annotations

from qa.answer.abstention import abstain_reason, missing_names
from qa.records import Hit
from qa.answer.question import question_names
from qa.records import Source


def _hit(text, highlight=None, **extra):
    return Hit(passage_id="d#p0", doc_id="d", text=text, score=0.5, source=Source(title="t", publisher="p"),
               start=0, end=len(text), highlight=highlight or (0, len(text)), **extra)


def test_question_names():
    assert question_names("How did Lambeth's children's services do in the last Ofsted inspection?") == \
        ["Lambeth", "Ofsted"]
    assert question_names("When was the notice closed?") == []


def test_a_probability_under_the_threshold_abstains():
    hits = [_hit("Ofsted inspected Wandsworth in May.")]
    assert abstain_reason("Who inspected the borough?", hits, confidence=0.59, threshold=0.6).startswith(
        "the best sentence answers with probability 0.59")
    assert abstain_reason("Who inspected the borough?", hits, confidence=0.6, threshold=0.6) is None
    assert abstain_reason("Who inspected the borough?", [], confidence=1.0, threshold=0.6) == "nothing found"


def test_a_name_no_passage_mentions_abstains_whatever_the_probability():
    hits = [_hit("Ofsted inspected Wandsworth in May.")]
    assert "Lambeth" in abstain_reason("How did Ofsted rate Lambeth?", hits, confidence=1.0, threshold=0.5)
    assert abstain_reason("How did Ofsted rate Wandsworth?", hits, confidence=1.0, threshold=0.5) is None
    # A name is matched as a word: "City" is not found inside "capacity".
    assert "City" in abstain_reason("What did Birmingham City do?", [_hit("Birmingham has capacity.")],
                                    confidence=1.0, threshold=0.5)


def test_names_are_looked_for_in_the_whole_article_when_the_hit_says_so():
    hit = _hit("The school was rated good.", missing_names=[])  # its article names the school elsewhere
    assert missing_names("How was Riverton Primary rated?", [hit]) == []
    hit = _hit("The school was rated good.", missing_names=["Riverton"])
    assert "article quoted does not mention Riverton" in abstain_reason(
        "How was Riverton Primary rated?", [hit], confidence=1.0, threshold=0.5)
