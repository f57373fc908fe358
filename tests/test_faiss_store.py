"""The FAISS vector store against brute force: the float16 scan of a large exact store finds
what an exact search finds, with exact scores; ids, removal and files behave as the
VectorStore protocol says."""
from __future__ import annotations

import numpy as np
import pytest

from qa.store import faiss_store
from qa.store.faiss_store import FaissStore, HalfPrecisionScan
from qa.store.open_store import load_vector_store, open_vector_store
from qa.store.vectors import VectorStore, store_kind
from qa.errors import IndexMismatchError


def clustered(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    """Unit vectors in clusters, as sentence embeddings are: many close neighbours, close scores."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(4, n // 100), dim)).astype(np.float32)
    x = centres[rng.integers(0, len(centres), n)] + 0.5 * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def large():
    vectors = clustered(faiss_store.HALF_PRECISION_MIN + 500)
    ids = np.arange(len(vectors), dtype=np.int64) * 5 + 11  # ids that are not row numbers
    store = FaissStore.empty(vectors.shape[1])
    store.add(ids, vectors)
    return store, vectors, ids


def test_faiss_store_is_a_vector_store():
    assert isinstance(FaissStore.empty(8), VectorStore)
    assert isinstance(open_vector_store("faiss", 8), FaissStore)


def test_float16_scan_finds_the_exact_top_100_with_exact_scores(large):
    store, vectors, ids = large
    assert store._half_precision() is not None  # large enough: the float16 path is the one searched
    queries = clustered(50, seed=1)
    shares = []
    for q in queries:
        scores, found = store.search(q[None, :], 100)
        exact = vectors @ q
        order = np.lexsort((ids, -exact))[:100]
        # Scored again in float32: each score is the exact cosine of the id it comes with.
        row_of = (found[0] - 11) // 5
        assert np.allclose(scores[0], exact[row_of], atol=1e-6)
        assert np.all(np.diff(scores[0]) <= 0)  # best first
        shares.append(len(set(found[0].tolist()) & set(ids[order].tolist())) / 100)
    # A miss can only be a tie at the cut within float16's rounding.
    assert np.mean(shares) >= 0.998


def test_float16_scan_is_rebuilt_after_the_store_changes(large):
    store, vectors, ids = large
    copy = FaissStore.empty(vectors.shape[1])
    copy.add(ids, vectors)
    q = vectors[7]
    assert copy.search(q[None, :], 1)[1][0][0] == ids[7]
    assert copy.remove(ids[7:8]) == 1
    assert ids[7] not in copy.search(q[None, :], 10)[1][0]
    copy.add(np.array([99_999]), vectors[7:8])
    assert copy.search(q[None, :], 1)[1][0][0] == 99_999


def test_small_stores_are_searched_exactly_and_padded_with_minus_one():
    vectors = clustered(20, dim=8)
    store = FaissStore.empty(8)
    store.add(np.arange(20), vectors)
    assert store._half_precision() is None
    scores, found = store.search(vectors[:2], 25)
    assert found.shape == (2, 25) and (found[:, 20:] == -1).all()
    assert found[0][0] == 0 and found[1][0] == 1
    assert HalfPrecisionScan.of(store.index) is None


def test_save_load_round_trip_keeps_ids_and_vectors(tmp_path, large):
    store, vectors, ids = large
    store.save(tmp_path / "vectors.faiss")
    again = load_vector_store(store.describe(), tmp_path / "vectors.faiss")
    assert len(again) == len(store) and again.dimension == store.dimension
    assert set(again.ids().tolist()) == set(ids.tolist())
    assert np.array_equal(again.reconstruct(ids[:5]), vectors[:5])
    assert store.describe()["kind"] == "faiss" and store.describe()["index"] == "flat"


def test_an_unknown_store_kind_says_what_to_do():
    assert store_kind("faiss") == store_kind("faiss://") == "faiss"
    with pytest.raises(IndexMismatchError, match="not one this version supports.*qa index --rebuild"):
        store_kind("elsewhere://host:9042/passages")


def test_a_new_index_takes_its_store_from_the_environment(tiny_corpus, tmp_path, hash_embedder, monkeypatch):
    from qa.store.build import build_index
    from qa.store.index_files import read_manifest

    monkeypatch.setenv("QA_VECTOR_STORE", "faiss://")
    build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    assert read_manifest(tmp_path / "index")["store"]["kind"] == "faiss"
    monkeypatch.setenv("QA_VECTOR_STORE", "elsewhere://host:9042/passages")
    with pytest.raises(IndexMismatchError, match="vector store 'elsewhere' is not one this version supports"):
        build_index(tiny_corpus, tmp_path / "other", embedder=hash_embedder)


@pytest.mark.parametrize("direct", [True, False])
@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_a_filtered_search_finds_the_best_of_the_allowed_ids_only(large, monkeypatch, direct, kind):
    store, vectors, ids = large
    if kind == "ivf":
        store = FaissStore(faiss_store.new_faiss_index(vectors.shape[1], vectors))
        store.add(ids, vectors)
        store.index.nprobe = store.index.nlist  # every list: exact, so it can be compared
    # Scored directly from their vectors, or through FAISS's id selector.
    monkeypatch.setattr(faiss_store, "DIRECT_FILTER_MAX", 10_000 if direct else 0)
    rng = np.random.default_rng(3)
    allowed = np.sort(rng.choice(ids, 300, replace=False))
    query = vectors[17]
    scores, found = store.search(query, 10, allowed=np.r_[allowed, 999_999_999])  # an unknown id is ignored
    exact = vectors[np.searchsorted(ids, allowed)] @ query
    order = np.argsort(-exact, kind="stable")[:10]
    assert set(found[0]) <= set(allowed)
    np.testing.assert_allclose(scores[0], exact[order], atol=1e-5)
    assert found[0, 0] == allowed[order[0]]
    empty_scores, empty = store.search(query, 3, allowed=np.zeros(0, dtype=np.int64))
    assert (empty == -1).all()
