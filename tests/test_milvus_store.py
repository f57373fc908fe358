"""MilvusStore on Milvus Lite (in this process, on 127.0.0.1): add, remove, search against
brute force, reopen from the pointer file, and what an interrupted update leaves."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from qa.errors import VectorStoreError  # noqa: E402
from qa.store.milvus_client import client_for, parse_store_uri, release  # noqa: E402
from qa.store.milvus_store import MilvusStore  # noqa: E402


@pytest.fixture(scope="module")
def real_vectors(real_index) -> np.ndarray:
    """Unit vectors of real text: every sentence of the seed corpus, embedded by the real model."""
    from qa.store.index_files import load_index

    vectors = load_index(real_index).sentence_vectors
    assert len(vectors) >= 40
    return np.ascontiguousarray(vectors, dtype=np.float32)


@pytest.fixture(scope="module")
def lite_uri(tmp_path_factory):
    uri = f"milvus://{tmp_path_factory.mktemp('milvus') / 'qa.db'}"
    yield uri
    release(uri)


def brute_force(vectors, ids, queries, k):
    scores = queries @ vectors.T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, axis=1), ids[order]


def test_store_uris_parse_and_refuse_what_they_cannot_use(tmp_path, monkeypatch):
    target = parse_store_uri(f"milvus://{tmp_path}/qa.db")
    assert target.is_lite and target.client_uri == str(tmp_path / "qa.db")
    monkeypatch.chdir(tmp_path)
    assert parse_store_uri("milvus://rel/qa.db").uri == f"milvus://{tmp_path}/rel/qa.db"
    server = parse_store_uri("http://milvus.internal:19530/")
    assert not server.is_lite and server.uri == "http://milvus.internal:19530"
    from qa.store.vectors import store_kind

    assert store_kind("https://h:443") == store_kind("milvus:///a.db") == "milvus" and store_kind("faiss") == "faiss"
    hnsw = parse_store_uri("http://h:19530?index=hnsw")
    assert hnsw.index_type == "HNSW" and hnsw.uri == "http://h:19530"
    with pytest.raises(VectorStoreError, match="only .index="):
        parse_store_uri("http://h:19530?index=ANNOY")
    with pytest.raises(VectorStoreError, match="ending in .db"):
        parse_store_uri(f"milvus://{tmp_path}/qa")
    with pytest.raises(VectorStoreError, match="QA_MILVUS_TOKEN"):
        parse_store_uri("http://root:secret@h:19530")
    with pytest.raises(VectorStoreError, match="unknown store scheme"):
        parse_store_uri("grpc://h:19530")


def test_search_equals_brute_force_through_add_remove_and_reopen(lite_uri, real_vectors, tmp_path):
    ids = np.arange(100, 100 + len(real_vectors), dtype=np.int64)
    queries = real_vectors[::7][:6] * 0.9 + real_vectors[1::7][:6] * 0.1
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    store = MilvusStore.create(lite_uri, dimension=real_vectors.shape[1])
    half = len(ids) // 2
    store.add(ids[:half], real_vectors[:half])  # incremental: two adds
    store.add(ids[half:], real_vectors[half:])
    assert len(store) == len(ids)

    scores, found = store.search(queries, k=10)
    want_scores, want_ids = brute_force(real_vectors, ids, queries, 10)
    np.testing.assert_allclose(scores, want_scores, atol=1e-5)
    # Equal scores may come in either order; the sets of ids at each score must agree.
    assert (found == want_ids).mean() > 0.95
    assert found[0, 0] == want_ids[0, 0]

    # A filter inside the search: the best of the allowed ids only.
    allowed = ids[1::3]
    scores, found = store.search(queries, k=5, allowed=allowed)
    np.testing.assert_allclose(scores, brute_force(real_vectors[1::3], allowed, queries, 5)[0], atol=1e-5)
    assert np.isin(found, allowed).all()

    gone = ids[[0, 3, 5, 40]]
    assert store.remove(np.r_[gone, 99_999]) == 4  # an unknown id is not counted
    keep = ~np.isin(ids, gone)
    scores, found = store.search(queries, k=len(ids))
    assert not np.isin(found, gone).any() and (found[:, keep.sum():] == -1).all()
    np.testing.assert_allclose(scores[:, :5], brute_force(real_vectors[keep], ids[keep], queries, 5)[0], atol=1e-5)
    np.testing.assert_array_equal(store.reconstruct(ids[[7, 1]]), real_vectors[[7, 1]])
    with pytest.raises(KeyError):
        store.reconstruct(gone[:1])

    pointer = store.save(tmp_path / "vectors-1.milvus.json")
    store.after_commit()
    release(lite_uri)  # the in-process server stops: the reopened store reads the files again
    reopened = MilvusStore.load(pointer)
    assert len(reopened) == keep.sum() and reopened.removed == []
    np.testing.assert_array_equal(reopened.ids(), ids[keep])
    again_scores, again_found = reopened.search(queries, k=5)
    np.testing.assert_allclose(again_scores, brute_force(real_vectors[keep], ids[keep], queries, 5)[0], atol=1e-5)
    assert (again_found[:, 0] == brute_force(real_vectors[keep], ids[keep], queries, 1)[1][:, 0]).all()


def test_an_interrupted_update_is_invisible_and_purged(lite_uri, real_vectors, tmp_path):
    """Rows written by an update whose manifest switch never came are neither searched
    nor kept; ids removed by an update stay searchable until its switch."""
    dim = real_vectors.shape[1]
    first = MilvusStore.create(lite_uri, dimension=dim)
    first.add(np.arange(20), real_vectors[:20])
    committed = first.save(tmp_path / "vectors-1.milvus.json")
    first.after_commit()

    crashed = MilvusStore.load(committed)  # an update that writes, removes, then dies
    crashed.add(np.arange(20, 30), real_vectors[20:30])
    assert crashed.remove(np.array([0, 1])) == 2
    crashed.save(tmp_path / "vectors-2.milvus.json")  # written, but no manifest names it

    reader = MilvusStore.load(committed)
    assert len(reader) == 20
    _, found = reader.search(real_vectors[20:30], k=20)
    assert set(found.ravel()) == set(range(20))  # nothing of the new rows, ids 0 and 1 still there

    retry = MilvusStore.load(committed)
    retry.add(np.arange(20, 25), real_vectors[20:25])
    assert retry.remove(np.array([2])) == 1
    second = retry.save(tmp_path / "vectors-2.milvus.json")
    after = MilvusStore.load(second)  # the switch happened, the deletes not yet
    assert sorted(after.removed) == [2]
    np.testing.assert_array_equal(after.ids(), np.r_[np.arange(0, 2), np.arange(3, 25)])
    retry.after_commit()
    # The crashed update's rows 25..29 are gone from the collection itself, and 2 too.
    stored = {r["id"] for r in client_for(retry.target).query(retry.collection, filter="id >= 0",
                                                           output_fields=["id"])}
    assert stored == set(range(25)) - {2}


def test_a_full_build_replaces_the_old_collection_after_the_switch(lite_uri, real_vectors, tmp_path):
    old = MilvusStore.create(lite_uri, dimension=real_vectors.shape[1])
    old.add(np.arange(5), real_vectors[:5])
    old.save(tmp_path / "old.json")
    new = MilvusStore.create(lite_uri, dimension=real_vectors.shape[1], replaces=old)
    new.add(np.arange(3), real_vectors[5:8])
    client = client_for(new.target)
    new.save(tmp_path / "new.json")
    assert client.has_collection(old.collection)  # still serving the old manifest until the switch
    new.after_commit()
    assert not client.has_collection(old.collection) and len(MilvusStore.load(tmp_path / "new.json")) == 3
    assert "token" not in (tmp_path / "new.json").read_text()


@pytest.mark.holds_lite
def test_milvus_lite_held_by_another_process_says_what_to_do(lite_uri):
    client_for(parse_store_uri(lite_uri))  # this process holds the file
    code = ("import sys; from qa.errors import VectorStoreError; from qa.store.milvus_store import MilvusStore\n"
            f"try: MilvusStore.create({lite_uri!r}, 4)\n"
            "except VectorStoreError as e: print(e); sys.exit(3)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr[-2000:]
    assert "one process at a time" in done.stdout
