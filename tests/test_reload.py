"""A server's index, loaded again after an update, takes what it already held from the load
before (qa.store.reload) and reads only the rest: and it is the index a full load gives."""
from __future__ import annotations

import numpy as np

from qa.store import faiss_store, index_files
from qa.store.build import build_index
from qa.store.handle import IndexHandle
from qa.store.transaction import corpus_update
from conftest import record_calls
from test_segments import TOWNS, article, write

QUESTIONS = ("bridge repairs Ashby", "library Thursdays Usk", "museum award Selby")


def assert_same(data, fresh):
    assert [p.to_json() for p in data.passages] == [p.to_json() for p in fresh.passages]
    np.testing.assert_array_equal(data.sentence_vectors, fresh.sentence_vectors)
    assert data.documents == fresh.documents and list(data.documents) == list(fresh.documents)
    for question in QUESTIONS:
        np.testing.assert_array_equal(data.lexical.scores(question), fresh.lexical.scores(question))
    ids = np.array([p.id for p in data.passages])
    np.testing.assert_allclose(data.vector_store.reconstruct(ids), fresh.vector_store.reconstruct(ids), atol=1e-6)


def test_a_server_loads_only_what_each_addition_brought(tmp_path, hash_embedder, monkeypatch, store_uri):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus, TOWNS[:8])
    build_index(corpus, index, embedder=hash_embedder, store=store_uri)
    handle = IndexHandle(index, corpus)
    handle.data  # noqa: B018 - as a server holds it
    segments_read = record_calls(monkeypatch, index_files, "read_segments", lambda _dir, records, *_a, **_k: len(records))
    stores_read = record_calls(monkeypatch, faiss_store.FaissStore, "load", lambda path: path)
    for n, town in enumerate(TOWNS[8:], start=8):  # twelve additions: segments merge on the way
        with corpus_update(corpus, index) as update:
            update.put(f"{town.lower()}.md", article(town, n).encode("utf-8"))
            assert update.build(embedder=hash_embedder).added == [town.lower()]
        stores_read.clear()
        data = handle.data
        assert segments_read[-1] == 1  # the one segment the addition wrote (holding those it merged)
        assert stores_read == [], n  # a FAISS store is copied in memory and given the added vectors
        assert_same(data, index_files.load_index(index))
    # A change that rewrites everything (a removal past a quarter of dead rows, here all of
    # the first build's articles) is read in full, and still right.
    for town in TOWNS[:8]:
        (corpus / f"{town.lower()}.md").unlink()
    build_index(corpus, index, embedder=hash_embedder)
    assert_same(handle.data, index_files.load_index(index))
