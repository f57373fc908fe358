"""The answering sentence chosen for many passages at once (SentenceChooser) is the one the
plain rule (choose_sentence) chooses, with the same support; names are looked for in the
whole article (ArticleWords)."""
from __future__ import annotations

import numpy as np
import pytest

from qa.answer.question import strip_names
from qa.answer.sentence_choice import ArticleWords, SentenceChooser, choose_sentence
from qa.answer.support import COSINE_WEIGHT, OVERLAP_WEIGHT, TYPE_PENALTY, UNNAMED_WEIGHT
from qa.records import Passage
from qa.store.build import build_index
from qa.store.index_files import load_index

QUESTIONS = [
    "when was the improvement notice closed?",  # asks for a date
    "how many children were seen by a social worker?",  # a count
    "how much did the council spend?",  # money
    "what did Ofsted say about the leadership of children's services?",  # names
    "Who leads Wandsworth Council?",  # an agent, and names
    "Wandsworth",  # one word
    "the of and",  # no content words at all
]


def _passage(pid: int, *sentences: str, doc: str = "d", at: int = 500) -> Passage:
    """A passage of ``sentences``, from offset ``at`` in its article (0: it opens the article)."""
    text, spans = "", []
    for sentence in sentences:
        start = len(text) + (1 if text else 0)
        text = f"{text} {sentence}" if text else sentence
        spans.append((start, start + len(sentence)))
    return Passage(passage_id=f"{doc}#p{pid}", doc_id=doc, text=text, start=at, end=at + len(text), sentences=spans,
                   id=pid, sentence_rows=list(range(len(spans))))


@pytest.fixture
def seed_data(seed_corpus, tmp_path, hash_embedder):
    build_index(seed_corpus, tmp_path / "index", embedder=hash_embedder)
    data = load_index(tmp_path / "index")
    return data, hash_embedder


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_seed_passage_gets_the_plain_rules_sentence_and_support(seed_data, question):
    data, embedder = seed_data
    q, q_unnamed = embedder.encode([question, strip_names(question)])
    passages = data.passages
    rows = [r for p in passages for r in p.sentence_rows]
    cosines, unnamed = data.sentence_vectors[rows] @ q, data.sentence_vectors[rows] @ q_unnamed
    share = ArticleWords(data.documents, passages).name_share(question, [p.doc_id for p in passages])
    chosen = SentenceChooser().choose(question, passages, cosines, unnamed, share)
    ends = np.cumsum([len(p.sentence_rows) for p in passages])
    plain = [choose_sentence(question, p, cosines[end - len(p.sentence_rows):end],
                             unnamed[end - len(p.sentence_rows):end], s)
             for p, end, s in zip(passages, ends, share)]
    assert chosen == plain  # same sentence, same support to the last bit


def test_the_name_is_matched_in_the_article_and_the_sentence_by_the_rest():
    # The naming sentence is closer to the whole question; the answering one to the question
    # without the name, and the article holds the name in its headline.
    passage = _passage(1, "Inspectors visited Heckmondwike Primary School in May.",
                       "A significant number of pupils are persistently absent.")
    articles = ArticleWords({"d": {"title": "Heckmondwike school told to improve", "published": "2024-05-01"}},
                            [passage])
    question = "Do many children at Heckmondwike miss school?"
    assert articles.missing_names(question, "d") == []
    assert articles.missing_names("Do many children at Dewsbury miss school?", "d") == ["Dewsbury"]
    assert articles.missing_names("What did the 2024 report find?", "d") == []  # the publication year
    share = articles.name_share(question, ["d"])
    assert share.tolist() == [1.0]
    [(best, score)] = SentenceChooser().choose(question, [passage], np.array([0.6, 0.4], dtype=np.float32),
                                               np.array([0.3, 0.6], dtype=np.float32), share)
    assert best == 1
    assert score == pytest.approx(COSINE_WEIGHT * 0.4 + UNNAMED_WEIGHT * 0.6 + OVERLAP_WEIGHT * 0.0, abs=1e-6)


def test_a_sentence_without_the_type_asked_for_is_marked_down_and_ties_go_first():
    passage = _passage(7, "The council improved its children's services greatly.",
                       "Ofsted closed the improvement notice in May 2018.")
    cosines = np.array([0.60, 0.55], dtype=np.float32)
    chooser = SentenceChooser()
    [(best, score)] = chooser.choose("when was the notice closed?", [passage], cosines, cosines, np.ones(1))
    assert best == 1  # "notice", "closed" shared, and a date
    assert score == pytest.approx((COSINE_WEIGHT + UNNAMED_WEIGHT) * 0.55 + OVERLAP_WEIGHT * 1.0, abs=1e-6)
    [(best, score)] = chooser.choose("what improved?", [passage], cosines, cosines, np.ones(1))
    assert best == 0 and TYPE_PENALTY > 0
    twice = _passage(2, "Social workers visit every child.", "Social workers visit every child.")
    same = np.array([0.5, 0.5], dtype=np.float32)
    assert SentenceChooser().choose("who visits?", [twice], same, same, np.ones(1))[0][0] == 0


def test_a_full_cache_starts_again_and_answers_stay_the_same():
    passages = [_passage(i, f"Sentence about topic {i} and its budget of {i} million.", "Another sentence here.")
                for i in range(5)]
    cosines = np.tile(np.array([0.3, 0.4], dtype=np.float32), 5)
    small, large = SentenceChooser(max_passages=2), SentenceChooser()
    for _ in range(2):
        question = "how much is the budget?"
        assert small.choose(question, passages, cosines, cosines, np.ones(5)) == large.choose(
            question, passages, cosines, cosines, np.ones(5))
        assert len(small) <= 2 and len(large) == 5
    assert large.prepare(passages) == 5


def test_cosines_that_do_not_match_the_sentences_are_refused():
    passage = _passage(3, "One sentence.", "Two sentences.")
    one = np.array([0.1], dtype=np.float32)
    with pytest.raises(ValueError, match="one cosine per sentence"):
        SentenceChooser().choose("what?", [passage], one, one, np.ones(1))
    empty = np.zeros(0, dtype=np.float32)
    assert SentenceChooser().choose("what?", [], empty, empty, np.ones(0)) == []
