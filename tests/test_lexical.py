"""BM25 over passages: tokens, ranking, files in the index generation, incremental updates."""
from __future__ import annotations

import json

import numpy as np
import pytest

import qa
from qa.store import index_files as store
from qa.store.lexical import LexicalIndex, LexicalSegment, build_for_passages, file_names, tokenize

TEXTS = [
    "The harbour bridge reopened on Friday after repairs.",
    "The council said the repairs cost four million pounds.",
    "The town library will open on Sundays from October.",
    "Ten volunteers staff the reading rooms of the library.",
]


def test_tokens_drop_stopwords_and_question_words_and_are_stemmed():
    assert tokenize("When was the improvement notice closed?") == ["improv", "notic", "close"]
    assert tokenize("Councils closing") == tokenize("council closed")
    # Single digits count (numbers answer questions); single letters do not.
    assert tokenize("a 4 b") == ["4"]


def test_bm25_ranks_the_text_with_the_rare_matching_word_first():
    bm25 = LexicalIndex.build(TEXTS)
    rows, scores = bm25.top("How much did the repairs cost?", k=4)
    assert list(rows[:2]) == [1, 0]  # "repairs" is in both; "cost" only in row 1
    assert np.all(scores > 0) and np.all(np.diff(scores) <= 0)
    assert bm25.scores("library volunteers")[3] > bm25.scores("library volunteers")[2] > 0
    assert not bm25.scores("submarine").any()  # no indexed token: every score is zero
    assert bm25.top("submarine", 3)[0].size == 0


def test_save_load_round_trip_writes_plain_files(tmp_path):
    segment = LexicalSegment.build(TEXTS)
    paths = segment.save(tmp_path, generation=7)
    assert {p.name for p in paths.values()} == set(file_names(7).values())
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(file_names(7).values())
    assert json.loads(paths["vocab"].read_text())[0] == "harbour"  # JSON, not a pickle
    for role in ("indptr", "rows", "tf", "lengths"):
        np.load(paths[role], allow_pickle=False)
    loaded = LexicalIndex([LexicalSegment.load(paths)])
    assert loaded.size == 4
    for query in ("repairs cost", "library Sundays", "bridge"):
        np.testing.assert_array_equal(loaded.scores(query), LexicalIndex.build(TEXTS).scores(query))


def test_an_empty_corpus_saves_and_loads(tmp_path):
    loaded = LexicalIndex([LexicalSegment.load(LexicalSegment.build([]).save(tmp_path, generation=1))])
    assert loaded.size == 0 and loaded.scores("anything").size == 0


def test_segments_with_dead_rows_score_as_one_index_of_the_live_texts():
    """Document frequencies and the mean length count live rows only: the same float32
    scores as BM25 built afresh over what is left."""
    more = ["The ferry sank at dawn off Skye.", "Repairs to the ferry cost two million pounds.", "A quiet day."]
    live = [np.array([True, False, True, True]), np.array([True, True, False])]
    segmented = LexicalIndex([LexicalSegment.build(TEXTS), LexicalSegment.build(more)], live)
    left = [t for t, keep in zip(TEXTS + more, np.concatenate(live)) if keep]
    fresh = LexicalIndex.build(left)
    assert segmented.size == 5
    for query in ("repairs cost", "ferry repairs", "library Sundays volunteers", "council council", "submarine"):
        np.testing.assert_array_equal(segmented.scores(query), fresh.scores(query))
        np.testing.assert_array_equal(segmented.scores(query, rows=np.array([1, 3])),
                                      np.where(np.isin(np.arange(5), [1, 3]), fresh.scores(query), 0))


def test_the_same_scores_as_bm25s_lucene():
    """The scores bm25s gives (method "lucene", the library this replaced), to the bit."""
    bm25s = pytest.importorskip("bm25s")
    texts = TEXTS + ["", "the of and", "Repairs, repairs and more repairs to the harbour wall."]
    reference = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    reference.index([tokenize(t) for t in texts], show_progress=False)
    ours = LexicalIndex.build(texts)
    for query in ("repairs cost", "harbour repairs repairs", "library Sundays", "bridge"):
        ids = [reference.vocab_dict[t] for t in tokenize(query) if t in reference.vocab_dict]
        np.testing.assert_array_equal(ours.scores(query), np.asarray(reference.get_scores(ids), dtype=np.float32))


def test_index_segment_holds_bm25_files_with_sha256(tiny_corpus, tmp_path, hash_embedder):
    index_dir = tmp_path / "index"
    qa.build_index(corpus_dir=tiny_corpus, index_dir=index_dir, embedder=hash_embedder)
    manifest = store.read_manifest(index_dir)
    generation = manifest["generation"]
    for role, name in file_names(generation).items():
        entry = manifest["files"][f"lexical_{role}.{generation}"]
        assert entry["name"] == name and (index_dir / name).stat().st_size == entry["bytes"]
        assert len(entry["sha256"]) == 64
    data = store.load_index(index_dir)
    assert data.lexical.size == len(data.passages)
    rebuilt = build_for_passages(data.passages)
    np.testing.assert_array_equal(data.lexical.scores("repairs cost"), rebuilt.scores("repairs cost"))


def test_a_changed_bm25_file_is_refused(tiny_corpus, tmp_path, hash_embedder):
    index_dir = tmp_path / "index"
    qa.build_index(corpus_dir=tiny_corpus, index_dir=index_dir, embedder=hash_embedder)
    manifest = store.read_manifest(index_dir)
    path = index_dir / manifest["files"][f"lexical_vocab.{manifest['generation']}"]["name"]
    path.write_text(path.read_text().replace("harbour", "harbout"))
    with pytest.raises(qa.IndexCorruptError, match="qa index --rebuild"):
        store.load_index(index_dir)


def test_removed_document_never_comes_back_from_bm25(tiny_corpus, tmp_path, hash_embedder):
    index_dir = tmp_path / "index"
    qa.build_index(corpus_dir=tiny_corpus, index_dir=index_dir, embedder=hash_embedder)
    first = store.read_manifest(index_dir)["generation"]
    (tiny_corpus / "library.md").unlink()
    report = qa.build_index(corpus_dir=tiny_corpus, index_dir=index_dir, embedder=hash_embedder)
    assert report.removed == ["library"] and report.passages_embedded == 0

    data = store.load_index(index_dir)
    assert {p.doc_id for p in data.passages} == {"harbour"}
    assert data.lexical.size == len(data.passages)
    assert not data.lexical.scores("library Sundays volunteers librarians").any()
    # The previous generation's BM25 files are gone with the rest of it.
    assert not any((index_dir / name).exists() for name in file_names(first).values())
    hits = qa.Retriever(index_dir=index_dir, embedder=hash_embedder).retrieve("library on Sundays", k=5)
    assert hits and all(h.doc_id == "harbour" for h in hits)


def test_changed_document_is_searched_by_its_new_words(tiny_corpus, tmp_path, hash_embedder):
    index_dir = tmp_path / "index"
    qa.build_index(corpus_dir=tiny_corpus, index_dir=index_dir, embedder=hash_embedder)
    path = tiny_corpus / "library.md"
    path.write_text(path.read_text().replace("Sundays", "Saturdays"))
    report = qa.build_index(corpus_dir=tiny_corpus, index_dir=index_dir, embedder=hash_embedder)
    assert report.updated == ["library"]
    data = store.load_index(index_dir)
    assert not data.lexical.scores("Sundays").any()
    best = int(np.argmax(data.lexical.scores("Saturdays")))
    assert data.passages[best].doc_id == "library"


def test_scores_of_allowed_rows_only():
    bm25 = LexicalIndex.build(["The notice was closed in 2018.", "A new board meets monthly.", "The notice board closed."])
    every = bm25.scores("notice closed")
    assert every[0] > 0 and every[2] > 0 and every[1] == 0
    only = bm25.scores("notice closed", np.array([2]))
    assert only.tolist() == [0.0, 0.0, every[2]]
    assert not bm25.scores("notice closed", np.zeros(0, dtype=np.int64)).any()
