"""What the reader reads of a candidate: the sentence, its headline and, for a reader trained
with context, the sentence before it in its article, also when that sentence sits in the
passage before (passages overlap by a sentence, and a candidate may be a passage's first)."""
from __future__ import annotations

import qa
from qa.ingest.passages import split_sentences
from qa.reader.inputs import pair_text

BODY = " ".join(f"Sentence number {n} says the bridge needed {n} new bolts." for n in range(1, 31))


def test_pair_text_puts_the_sentence_before_last_so_it_is_cut_first():
    assert pair_text("Bridge", "It opened in May.") == "It opened in May. [SEP] Bridge"
    assert pair_text("Bridge", "It opened in May.", "A bridge was built.") == \
        "It opened in May. [SEP] Bridge [SEP] A bridge was built."
    assert pair_text("", "It opened in May.", "A bridge was built.") == "It opened in May. [SEP] A bridge was built."


def test_every_candidate_is_read_with_the_sentence_before_it_in_its_article(tmp_path, hash_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bridge.md").write_text(f"---\ntitle: Bridge repairs\n---\n\n{BODY}\n", encoding="utf-8")
    qa.build_index(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=hash_embedder)
    retriever = qa.Retriever(index_dir=tmp_path / "index", embedder=hash_embedder)
    sentences = [BODY[s:e] for s, e in split_sentences(BODY)]
    pool = retriever.sentence_pool("How many new bolts did the bridge need?")
    assert len({p.passage_id for p in pool.passages}) > 1
    firsts = [i for i in range(len(pool)) if pool.local[i] == 0 and pool.passages[pool.owner[i]].start > 0]
    assert firsts, "some candidate is the first sentence of a passage that is not the article's first"
    inputs = pool.reader_inputs(range(len(pool)), retriever.titles())
    for i, (title, sentence, previous) in enumerate(inputs):
        assert title == "Bridge repairs"
        at = sentences.index(sentence)
        assert previous == (sentences[at - 1] if at else ""), (i, sentence, previous)
    # A reader trained without context reads (headline, sentence) only.
    assert pool.reader_inputs(firsts, retriever.titles(), context=False) == [
        ("Bridge repairs", pool.text(i)) for i in firsts]
