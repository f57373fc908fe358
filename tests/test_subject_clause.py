"""The part of a sentence about the subject a question names (parallel subjects in one
sentence), and the abstention it leads to, on made-up sentences."""
from __future__ import annotations

from qa.answer.abstention import abstain_reason
from qa.answer.hits import Hit
from qa.answer.subject_clause import clauses, subject_span
from qa.records import Source

PARALLEL = ("Riverton Borough Council plans to cut 300 library jobs to close a £9m gap, while Kingsport "
            "has said all options are being considered and Eastham has proposed losing 45 librarians.")


def _hit(text, support=1.2):
    return Hit(passage_id="d#p0", doc_id="d", text=text, score=0.5, source=Source(title="t", publisher="p"),
               start=0, end=len(text), highlight=(0, len(text)), support=support, missing_names=[])


def _part(sentence, names):
    start, end = subject_span(sentence, names)
    return sentence[start:end]


def test_a_sentence_splits_at_parallel_clauses_only():
    assert len(clauses(PARALLEL)) == 3
    # "and" between two things done by one subject is not a new clause.
    assert len(clauses("The budget pays for cleaning drains and fixing street lights.")) == 1
    # Nor are the last names of a list.
    assert len(clauses("Riverton is the third council to do so, after Kingsport and Eastham Borough.")) == 1


def test_the_part_about_the_named_subject():
    assert _part(PARALLEL, ["Kingsport"]) == "Kingsport has said all options are being considered"
    assert _part(PARALLEL, ["Eastham"]) == "Eastham has proposed losing 45 librarians."
    assert _part(PARALLEL, ["Riverton", "Borough", "Council"]).endswith("to close a £9m gap")


def test_a_sentence_about_one_subject_stays_whole():
    # Named once, then "the council": the sentence does not name the subject, so it is not cut.
    sentence = "The council plans to cut 300 jobs, while the unions have promised to fight."
    assert _part(sentence, ["Riverton"]) == sentence
    # Several clauses, but none names anything else.
    sentence = "Riverton will cut 300 jobs, but the cuts will be phased."
    assert _part(sentence, ["Riverton"]) == sentence



def test_two_people_in_one_sentence():
    sentence = "Jo Bell, Riverton's head of finance, and Sam Holt, its deputy, said cuts were likely."
    assert _part(sentence, ["Riverton"]) == "Jo Bell, Riverton's head of finance"
    assert abstain_reason("Who is Riverton's head of finance?", [_hit(sentence)]) is None


def test_another_subjects_number_is_not_the_answer():
    hits = [_hit(PARALLEL)]
    reason = abstain_reason("How many library jobs is Kingsport planning to cut?", hits)
    assert reason is not None and "number" in reason
    assert abstain_reason("How many library jobs does Eastham want to cut?", hits) is None
    assert abstain_reason("How many library jobs is Riverton Borough Council planning to cut?", hits) is None
    # A question that asks for no type of answer is not checked this way.
    assert abstain_reason("What is Kingsport doing about library jobs?", hits) is None
