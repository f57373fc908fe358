"""The cheap signals of candidate sentences: the share of the question's words each holds and
whether it shows the type of answer asked for (SentenceChooser, per passage, cached), the
share of the question's names its article holds (ArticleWords), and how the articles write a
word (which tells a question's names)."""
from __future__ import annotations

import numpy as np
import pytest

from qa.answer.asked import read_question
from qa.answer.sentence_choice import ArticleWords, SentenceChooser
from qa.records import IndexedDocument, Passage, Source
from qa.store.build import build_index
from qa.store.index_files import load_index


def _passage(pid: int, *sentences: str, doc: str = "d", at: int = 500) -> Passage:
    """A passage of ``sentences``, from offset ``at`` in its article (0: it opens the article)."""
    text, spans = "", []
    for sentence in sentences:
        start = len(text) + (1 if text else 0)
        text = f"{text} {sentence}" if text else sentence
        spans.append((start, start + len(sentence)))
    return Passage(passage_id=f"{doc}#p{pid}", doc_id=doc, text=text, start=at, end=at + len(text), sentences=spans,
                   id=pid, sentence_rows=list(range(len(spans))))


def test_word_share_and_answer_type_per_sentence():
    passage = _passage(7, "The council improved its children's services greatly.",
                       "Ofsted closed the improvement notice in May 2018.")
    share, gives = SentenceChooser().sentence_features(read_question("when was the notice closed?"), [passage])
    assert share.tolist() == [0.0, 1.0]  # "notice" and "closed" (stemmed) are in the second
    assert gives.tolist() == [False, True]  # and only it gives a date
    share, gives = SentenceChooser().sentence_features(read_question("what happened to services?"), [passage])
    assert share.tolist() == [0.5, 0.0] and gives.all()  # no type asked: every sentence may answer


def test_names_are_matched_in_the_article_not_the_sentence():
    passage = _passage(1, "Inspectors visited Heckmondwike Primary School in May.",
                       "A significant number of pupils are persistently absent.")
    article = IndexedDocument(Source(title="Heckmondwike school told to improve", published="2024-05-01"))
    articles = ArticleWords({"d": article}, [passage])
    asked = read_question("Do many children at Heckmondwike miss school?")
    assert articles.missing_names(asked, "d") == []
    assert articles.missing_names(read_question("Do many children at Dewsbury miss school?"), "d") == ["Dewsbury"]
    assert articles.missing_names(read_question("What did the 2024 report find?"), "d") == []  # publication year
    assert articles.name_share(asked, ["d"]).tolist() == [1.0]
    assert articles.name_share(read_question("What did Dewsbury and Heckmondwike say?"), ["d"]).tolist() == [0.5]
    # The name is not one of the words the answering sentence must hold.
    share, _ = SentenceChooser().sentence_features(asked, [passage])
    assert share.tolist() == [0.25, 0.0] and "heckmondwik" not in asked.words  # "school" of four words


def test_an_articles_words_from_the_sentences_stems_are_those_of_its_whole_text():
    passages = [_passage(1, "Inspectors visited Heckmondwike Primary School in May.", "Pupils’ attendance fell.", at=0),
                _passage(2, "Pupils’ attendance fell.", "The head-teacher's letter said so on 3 June.", at=80),
                _passage(3, "Councillor Jo Bloggs responded.", doc="e", at=0)]
    documents = {"d": IndexedDocument(Source(title="Heckmondwike school told to improve", published="2024-05-01")),
                 "e": IndexedDocument(Source(title="A reply"))}
    whole, from_sentences = ArticleWords(documents, passages), ArticleWords(documents, passages, SentenceChooser())
    for doc_id in documents:
        assert from_sentences.stems(doc_id) == whole.stems(doc_id)
    assert {"heckmondwik", "2024", "attend", "letter"} <= from_sentences.stems("d")
    asked = read_question("Did Heckmondwike pupils in Bloggs' ward attend?")
    assert from_sentences.name_share(asked, ["d", "e"]).tolist() == whole.name_share(asked, ["d", "e"]).tolist() == [0.5, 0.5]


def test_the_articles_tell_which_words_are_names():
    passage = _passage(1, "The council said it would say more about Heckmondwike Primary next week.",
                       "Inspectors praised Heckmondwike staff.", doc="d")
    articles = ArticleWords({"d": IndexedDocument(Source(title="School news"))}, [passage])
    assert articles.written_as("heckmondwike", ["d"]) is True
    assert articles.written_as("Say", ["d"]) is False
    assert articles.written_as("Croydon", ["d"]) is None
    names = read_question("what did heckmondwike Say About It?", lambda w: articles.written_as(w, ["d"])).names
    assert names == ("heckmondwike",)
    # A name the articles never write stays a name: the article cannot answer about it.
    assert read_question("How did Croydon do?", lambda w: articles.written_as(w, ["d"])).names == ("Croydon",)


def test_a_full_cache_starts_again_and_features_stay_the_same():
    passages = [_passage(i, f"Sentence about topic {i} and its budget of {i} million.", "Another sentence here.")
                for i in range(5)]
    small, large = SentenceChooser(max_passages=2), SentenceChooser()
    asked = read_question("how much is the budget?")
    for _ in range(2):
        a, b = small.sentence_features(asked, passages), large.sentence_features(asked, passages)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        assert len(small) <= 2 and len(large) == 5
    assert large.prepare(passages) == 5


def test_no_passages_and_empty_passages():
    share, gives = SentenceChooser().sentence_features(read_question("what?"), [])
    assert len(share) == 0 and len(gives) == 0
    empty = Passage("d#p9", "d", "", 0, 0, sentences=[], id=9)
    with pytest.raises(ValueError, match="at least one sentence"):
        SentenceChooser().sentence_features(read_question("what?"), [empty])


@pytest.fixture
def seed_data(seed_corpus, tmp_path, hash_embedder):
    build_index(seed_corpus, tmp_path / "index", embedder=hash_embedder)
    return load_index(tmp_path / "index")


def test_every_seed_sentence_gets_its_features_in_passage_order(seed_data):
    passages = seed_data.passages
    share, gives = SentenceChooser().sentence_features(read_question("how many children were seen?"), passages)
    assert len(share) == len(gives) == sum(len(p.sentences) for p in passages)
    assert 0.0 <= share.min() and share.max() <= 1.0 and gives.any() and not gives.all()
