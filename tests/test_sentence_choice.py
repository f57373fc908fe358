"""The answering sentence chosen for many passages at once (SentenceChooser) is the one the
plain rule (choose_sentence) chooses, with the same score."""
from __future__ import annotations

import numpy as np
import pytest

from qa.store.build import build_index
from qa.store.index_files import load_index
from qa.records import Passage
from qa.answer.sentence_choice import FRAGMENT_PENALTY, KIND_BONUS, SentenceChooser, choose_sentence

QUESTIONS = [
    "when was the improvement notice closed?",  # asks for a date
    "how many children were seen by a social worker?",  # a number
    "how much did the council spend?",  # an amount
    "what did Ofsted say about the leadership of children's services?",
    "Wandsworth",  # one word
    "the of and",  # no content words at all
]


def _passage(pid: int, *sentences: str, dates=()) -> Passage:
    text, spans = "", []
    for sentence in sentences:
        start = len(text) + (1 if text else 0)
        text = f"{text} {sentence}" if text else sentence
        spans.append((start, start + len(sentence)))
    return Passage(passage_id=f"d#p{pid}", doc_id="d", text=text, start=0, end=len(text), sentences=spans,
                   id=pid, sentence_rows=list(range(len(spans))), dates=list(dates))


@pytest.fixture
def seed_data(seed_corpus, tmp_path, hash_embedder):
    build_index(seed_corpus, tmp_path / "index", embedder=hash_embedder)
    data = load_index(tmp_path / "index")
    return data, hash_embedder


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_seed_passage_gets_the_plain_rules_sentence_and_score(seed_data, question):
    data, embedder = seed_data
    q = embedder.encode([question])[0]
    passages = data.passages
    rows = [r for p in passages for r in p.sentence_rows]
    cosines = data.sentence_vectors[rows] @ q
    chosen = SentenceChooser().choose(question, passages, cosines)
    ends = np.cumsum([len(p.sentence_rows) for p in passages])
    plain = [choose_sentence(question, q, p, data.sentence_vectors, dense=cosines[end - len(p.sentence_rows):end])
             for p, end in zip(passages, ends)]
    assert chosen == plain  # same sentence, same score to the last bit
    assert [b for b, _ in chosen] == [choose_sentence(question, q, p, data.sentence_vectors)[0] for p in passages]
    assert any(p.dates for p in passages)  # the date preference was exercised


def test_a_when_question_prefers_the_sentence_that_gives_a_date():
    passage = _passage(7, "The council improved its children's services greatly.",
                       "Ofsted closed the improvement notice in May 2018.")
    cosines = np.array([0.60, 0.55], dtype=np.float32)
    chooser = SentenceChooser()
    [(best, score)] = chooser.choose("when was the notice closed?", [passage], cosines)
    assert best == 1
    assert score == pytest.approx(0.55 + 0.5 * 1.0 + KIND_BONUS)  # "notice", "closed" both shared
    [(best, _)] = chooser.choose("what improved?", [passage], cosines)  # no date asked: cosine and words
    assert best == 0


def test_a_fragment_is_marked_down_and_ties_go_to_the_first_sentence():
    passage = _passage(1, "This is the priority.", "Social workers visit every child each month.")
    cosines = np.array([0.70, 0.65], dtype=np.float32)
    [(best, score)] = SentenceChooser().choose("anything new?", [passage], cosines)
    assert best == 1 and score == pytest.approx(0.65)
    assert float(np.float32(0.70)) - FRAGMENT_PENALTY < 0.65

    twice = _passage(2, "Social workers visit every child.", "Social workers visit every child.")
    assert SentenceChooser().choose("who visits?", [twice], np.array([0.5, 0.5], dtype=np.float32))[0][0] == 0


def test_a_full_cache_starts_again_and_answers_stay_the_same():
    passages = [_passage(i, f"Sentence about topic {i} and its budget of {i} million.", "Another sentence here.")
                for i in range(5)]
    cosines = np.tile(np.array([0.3, 0.4], dtype=np.float32), 5)
    small, large = SentenceChooser(max_passages=2), SentenceChooser()
    for _ in range(2):
        assert small.choose("how much is the budget?", passages, cosines) == large.choose(
            "how much is the budget?", passages, cosines)
        assert len(small) <= 2 and len(large) == 5
    assert large.prepare(passages) == 5


def test_cosines_that_do_not_match_the_sentences_are_refused():
    passage = _passage(3, "One sentence.", "Two sentences.")
    with pytest.raises(ValueError, match="one cosine per sentence"):
        SentenceChooser().choose("what?", [passage], np.array([0.1], dtype=np.float32))
    assert SentenceChooser().choose("what?", [], np.zeros(0, dtype=np.float32)) == []
