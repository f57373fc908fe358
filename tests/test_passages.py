"""Sentence splitting and passages: whole sentences, exact offsets, overlap."""
import pytest

from qa.ingest.documents import read_document
from qa.ingest.passages import in_quotation, split_passages, split_sentences

from conftest import SEED_CORPUS


def test_sentences_respect_abbreviations_quotes_and_paragraphs():
    text = 'Mr. Smith met Dr. Jones at 5 p.m. on Friday. "It went well," he said. Then they left!\n\nNew paragraph here'
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "Mr. Smith met Dr. Jones at 5 p.m. on Friday.",
        '"It went well," he said.',
        "Then they left!",
        "New paragraph here",
    ]


def test_money_and_decimals_do_not_split():
    text = "The overhaul cost £500,000. Rates rose 2.5 per cent in 2016. That was all."
    assert len(split_sentences(text)) == 3


@pytest.fixture(scope="module")
def seed_docs():
    return [read_document(p, SEED_CORPUS) for p in sorted(SEED_CORPUS.glob("*.md"))]


def test_passages_are_exact_slices_of_whole_sentences(seed_docs):
    for doc in seed_docs:
        sentences = set(split_sentences(doc.body))
        passages = split_passages(doc.doc_id, doc.body)
        assert passages
        for p in passages:
            assert doc.body[p.start:p.end] == p.text
            for s, e in p.sentences:
                assert (p.start + s, p.start + e) in sentences  # never half a sentence
            assert p.sentences[0][0] == 0 and p.sentences[-1][1] == len(p.text)


@pytest.mark.parametrize("start_in_quotation", [True, False])
def test_passages_cover_every_sentence_and_overlap_by_one(seed_docs, start_in_quotation):
    doc = seed_docs[0]
    passages = split_passages(doc.doc_id, doc.body, max_words=90, max_sentences=4, overlap=1,
                              start_in_quotation=start_in_quotation)
    covered = {(p.start + s, p.start + e) for p in passages for s, e in p.sentences}
    assert covered == set(split_sentences(doc.body))
    for a, b in zip(passages, passages[1:]):
        last_of_a = (a.start + a.sentences[-1][0], a.start + a.sentences[-1][1])
        first_of_b = (b.start + b.sentences[0][0], b.start + b.sentences[0][1])
        if start_in_quotation:
            assert last_of_a == first_of_b or len(a.sentences) == 1
        else:  # a start moved back to where a quotation opens overlaps more
            assert a.start < b.start <= last_of_a[0] or len(a.sentences) == 1
    assert all(len(p.text.split()) <= 90 or len(p.sentences) == 1 for p in passages)


def test_no_passage_starts_with_the_tail_of_a_quotation(seed_docs):
    # In the 2018 report a quotation runs over two sentences and ends 'consistency of
    # practice."'; split plainly, a passage opened with its second sentence.
    doc = next(d for d in seed_docs if d.doc_id.startswith("cypnow"))
    tail = "It impacts on the quality and rigour of supervision"
    plain = split_passages(doc.doc_id, doc.body, start_in_quotation=True)
    assert any(p.text.startswith(tail) for p in plain)
    passages = split_passages(doc.doc_id, doc.body)
    assert not any(p.text.startswith(tail) for p in passages)
    quoted = [p for p in passages if tail in p.text]
    assert quoted and all(p.text.startswith('"') for p in quoted)  # whole, from its opening quote
    sentences = split_sentences(doc.body)
    inside = dict(zip(sentences, in_quotation(doc.body, sentences)))
    assert not any(inside[(p.start + p.sentences[0][0], p.start + p.sentences[0][1])] for p in passages)


def test_quotations_are_followed_across_sentences_not_paragraphs():
    text = ('He said: "It is poor. It is worse practice." The council agreed.\n\n'
            '"A second quote. It goes on.\n\n"And on." Done.')
    sentences = split_sentences(text)
    inside = [text[s:e] for (s, e), quoted in zip(sentences, in_quotation(text, sentences)) if quoted]
    # A new paragraph starts outside: news opens each paragraph of a quotation again.
    assert inside == ['It is worse practice."', "It goes on."]
    curly = "\u201cIt is poor. It is worse.\u201d The council agreed."
    assert in_quotation(curly, split_sentences(curly)) == [False, True, False]


def test_passage_ids_are_stable_and_unique(seed_docs):
    doc = seed_docs[1]
    first = split_passages(doc.doc_id, doc.body)
    again = split_passages(doc.doc_id, doc.body)
    assert [p.passage_id for p in first] == [p.passage_id for p in again]
    assert len({p.passage_id for p in first}) == len(first)
    assert first[0].passage_id == f"{doc.doc_id}#p0"


def test_a_sentence_longer_than_the_limit_is_its_own_passage():
    long = "Long " + " ".join(["word"] * 120) + "."
    passages = split_passages("d", f"Short one. {long} Short two.", max_words=50)
    assert any(p.text == long for p in passages)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        split_passages("d", "Text.", max_words=0)
