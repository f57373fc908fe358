"""Passage vectors made from their sentences' vectors: each sentence is embedded once."""
import json

import numpy as np
import pytest

import qa
from qa.errors import IndexMismatchError
from qa.store import index_files
from qa.store.build import build_index
from qa.store.passage_vectors import passage_vectors_from_sentences


def test_passage_vector_is_the_normalised_word_weighted_mean_of_its_sentences():
    sentences = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    # passage 0: sentences 0 and 1, of 3 and 1 words; passage 1: sentence 2 alone.
    vectors = passage_vectors_from_sentences(sentences, [[0, 1], [2]], [3, 1, 5])
    assert vectors.dtype == np.float32 and vectors.shape == (2, 3)
    np.testing.assert_allclose(vectors[0], np.array([3.0, 1.0, 0.0]) / np.sqrt(10.0), rtol=1e-6)
    np.testing.assert_allclose(vectors[1], [0.0, 0.0, 1.0])
    # Unweighted: the plain mean, normalised.
    np.testing.assert_allclose(passage_vectors_from_sentences(sentences, [[0, 2]])[0],
                               np.array([1.0, 0.0, 1.0]) / np.sqrt(2.0), rtol=1e-6)


def test_a_passage_without_sentences_is_refused():
    with pytest.raises(ValueError, match="at least one sentence"):
        passage_vectors_from_sentences(np.eye(2, dtype=np.float32), [[0], []])


def test_built_index_holds_passage_vectors_derived_from_its_sentence_vectors(tiny_corpus, tmp_path, hash_embedder):
    index = tmp_path / "index"
    report = build_index(tiny_corpus, index, embedder=hash_embedder)
    data = index_files.load_index(index)
    # Only the sentences reached the model: once each.
    embedded = [t for batch in hash_embedder.calls for t in batch]
    assert len(embedded) == report.sentences_embedded == len(data.sentence_vectors)
    assert report.passages_embedded == len(data.passages) > 0
    stored = data.vector_store.reconstruct(np.array([p.id for p in data.passages], dtype=np.int64))
    for passage, vector in zip(data.passages, stored):
        words = np.array([len(passage.text[s:e].split()) for s, e in passage.sentences], dtype=np.float32)
        mean = (data.sentence_vectors[passage.sentence_rows] * words[:, None]).sum(axis=0)
        np.testing.assert_allclose(vector, mean / np.linalg.norm(mean), atol=1e-6)
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_index_of_the_previous_format_is_rebuilt_saying_why(tiny_corpus, tmp_path, hash_embedder):
    index = tmp_path / "index"
    build_index(tiny_corpus, index, embedder=hash_embedder)
    manifest_path = index / index_files.MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["format_version"] = 1  # an index whose passages were embedded apart
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")

    with pytest.raises(IndexMismatchError, match="made from their sentences' vectors.*qa index --rebuild"):
        qa.Retriever(index)
    report = build_index(tiny_corpus, index, embedder=hash_embedder)
    assert report.full_rebuild and "has index format 1" in report.reason
    assert "made from their sentences' vectors" in report.reason
    assert index_files.read_manifest(index)["format_version"] == index_files.FORMAT_VERSION
