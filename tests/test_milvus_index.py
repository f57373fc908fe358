"""An index whose passage vectors live in Milvus Lite: the same answers as FAISS, updates
in place, and what a failure mid-update leaves. (The store itself: test_milvus_store.py;
incremental builds on both stores: test_build.py.)"""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("milvus_lite")

import qa  # noqa: E402
from qa.cli import main  # noqa: E402
from qa.store import index_files  # noqa: E402
from qa.store.build import build_index  # noqa: E402
from qa.store.milvus_client import client_for, parse_store_uri  # noqa: E402
from qa.store.milvus_store import MilvusStore  # noqa: E402

FERRY = "---\ntitle: Ferry\npublished: 2022-01-05\n---\n\nThe ferry sank near the harbour. Nobody was hurt.\n"


def stored_ids(data) -> set[int]:
    """Every id in the collection itself, whatever its write number or removal."""
    store = data.vector_store
    rows = client_for(store.target).query(store.collection, filter="id >= 0", output_fields=["id"])
    return {int(r["id"]) for r in rows}


@pytest.fixture
def milvus_built(tiny_corpus, tmp_path, hash_embedder, milvus_uri):
    index = tmp_path / "index"
    build_index(tiny_corpus, index, embedder=hash_embedder, store=milvus_uri)
    return index


@pytest.mark.integration
def test_seed_answers_equal_faiss_and_the_index_moves_both_ways(real_index, tmp_path, milvus_uri):
    """The seed index moved onto Milvus (its vectors copied, nothing embedded again) gives the
    same top 5 passages with the same scores as FAISS; moved back, the collection is dropped."""
    import shutil

    from conftest import SEED_CORPUS

    if index_files.read_manifest(real_index)["store"]["kind"] != "faiss":  # QA_TEST_STORE=milvus
        real_index = tmp_path / "faiss-index"  # a copy of a folder would share its collection
        build_index(SEED_CORPUS, real_index, store="faiss")
    index = tmp_path / "index"
    shutil.copytree(real_index, index)
    report = build_index(SEED_CORPUS, index, store=milvus_uri)
    assert report.moved_store == f"faiss -> {milvus_uri}" and report.passages_embedded == 0
    assert not report.full_rebuild and not list(index.glob("*.faiss"))
    faiss_retriever, milvus_retriever = qa.Retriever(real_index), qa.Retriever(index)
    questions = ["when was the improvement notice closed?", "who praised the council's leadership?",
                 "how many monitoring visits did Ofsted make?", "what does Click stand for?"]
    for question in questions:
        want = faiss_retriever.retrieve(question, k=5)
        got = milvus_retriever.retrieve(question, k=5)
        assert [h.passage_id for h in got] == [h.passage_id for h in want], question
        np.testing.assert_allclose([h.score for h in got], [h.score for h in want], atol=1e-5)
        assert [h.highlight for h in got] == [h.highlight for h in want]

    collection = index_files.load_index(index).vector_store
    report = build_index(SEED_CORPUS, index, store="faiss")
    assert report.moved_store == f"{milvus_uri} -> faiss" and report.passages_embedded == 0
    assert not client_for(collection.target).has_collection(collection.collection)
    back = qa.Retriever(index).retrieve(questions[0], k=5)
    assert [h.passage_id for h in back] == [h.passage_id for h in faiss_retriever.retrieve(questions[0], k=5)]


def test_manifest_records_the_store_and_no_token(milvus_built, milvus_uri, monkeypatch, tiny_corpus, hash_embedder):
    monkeypatch.setenv("QA_MILVUS_TOKEN", "root:do-not-write-me")
    (tiny_corpus / "ferry.md").write_text(FERRY)
    build_index(tiny_corpus, milvus_built, embedder=hash_embedder)  # no store given: the manifest's
    manifest = index_files.read_manifest(milvus_built)
    assert manifest["store"]["kind"] == "milvus" and manifest["store"]["uri"] == milvus_uri
    for path in milvus_built.iterdir():
        if path.is_file():
            assert b"do-not-write-me" not in path.read_bytes(), path.name
    hits = qa.Retriever(milvus_built, embedder=hash_embedder).retrieve("ferry sank", k=2)
    assert hits[0].doc_id == "ferry"


def test_retrieve_updates_the_milvus_index_it_finds(milvus_built, tiny_corpus, milvus_uri):
    """qa.retrieve brings a stale index up to date in the store its manifest names."""
    (tiny_corpus / "ferry.md").write_text(FERRY)
    hits = qa.retrieve("ferry sank near the harbour", k=1, corpus_dir=tiny_corpus, index_dir=milvus_built)
    assert hits[0].doc_id == "ferry"
    assert index_files.read_manifest(milvus_built)["store"]["uri"] == milvus_uri


def test_add_and_delete_update_the_collection_in_place(milvus_built, tiny_corpus, hash_embedder):
    data = index_files.load_index(milvus_built)
    collection, first_ids = data.vector_store.collection, stored_ids(data)
    (tiny_corpus / "ferry.md").write_text(FERRY)
    report = build_index(tiny_corpus, milvus_built, embedder=hash_embedder)
    assert report.added == ["ferry"] and not report.full_rebuild
    data = index_files.load_index(milvus_built)
    ferry = {p.id for p in data.passages if p.doc_id == "ferry"}
    assert data.vector_store.collection == collection  # the same collection, not a rebuild
    assert stored_ids(data) == first_ids | ferry

    (tiny_corpus / "library.md").unlink()
    report = build_index(tiny_corpus, milvus_built, embedder=hash_embedder)
    assert report.removed == ["library"] and report.passages_embedded == 0
    data = index_files.load_index(milvus_built)
    assert stored_ids(data) == {p.id for p in data.passages}
    retriever = qa.Retriever(milvus_built, embedder=hash_embedder)
    assert all(h.doc_id != "library" for h in retriever.retrieve("library opening hours on Sundays", k=10))


def test_failure_before_the_switch_leaves_the_old_answers(milvus_built, tiny_corpus, hash_embedder, monkeypatch):
    before = index_files.load_index(milvus_built)
    question = "harbour bridge repairs"
    want = [(h.passage_id, h.score) for h in qa.Retriever(milvus_built, embedder=hash_embedder).retrieve(question)]

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(index_files, "_commit_manifest", crash)
    (tiny_corpus / "ferry.md").write_text(FERRY)
    (tiny_corpus / "library.md").unlink()
    with pytest.raises(OSError):
        build_index(tiny_corpus, milvus_built, embedder=hash_embedder)
    monkeypatch.undo()
    after = index_files.load_index(milvus_built)
    assert after.passages == before.passages
    assert stored_ids(after) > {p.id for p in after.passages}  # the new rows are there, unread
    got = [(h.passage_id, h.score) for h in qa.Retriever(milvus_built, embedder=hash_embedder).retrieve(question)]
    assert got == want
    _, ids = after.vector_store.search(np.ones((1, after.dimension), np.float32) / 8, 100)
    assert set(ids[0][ids[0] >= 0]) == {p.id for p in after.passages}

    report = build_index(tiny_corpus, milvus_built, embedder=hash_embedder)  # the next update tidies up
    assert report.added == ["ferry"] and report.removed == ["library"]
    data = index_files.load_index(milvus_built)
    assert stored_ids(data) == {p.id for p in data.passages}


def test_failure_after_the_switch_hides_removed_rows_until_the_next_update(milvus_built, tiny_corpus,
                                                                           hash_embedder, monkeypatch):
    monkeypatch.setattr(MilvusStore, "after_commit", lambda self: (_ for _ in ()).throw(OSError("connection lost")))
    (tiny_corpus / "library.md").unlink()
    with pytest.raises(OSError):
        build_index(tiny_corpus, milvus_built, embedder=hash_embedder)
    monkeypatch.undo()
    data = index_files.load_index(milvus_built)  # the new manifest is in place
    assert {p.doc_id for p in data.passages} == {"harbour"}
    assert stored_ids(data) > {p.id for p in data.passages}  # the library's rows are still stored...
    _, ids = data.vector_store.search(np.ones((1, data.dimension), np.float32) / 8, 100)
    assert set(ids[0][ids[0] >= 0]) == {p.id for p in data.passages}  # ...and never found
    (tiny_corpus / "ferry.md").write_text(FERRY)
    build_index(tiny_corpus, milvus_built, embedder=hash_embedder)
    data = index_files.load_index(milvus_built)
    assert stored_ids(data) == {p.id for p in data.passages}


def test_rebuild_moves_to_a_new_collection_and_drops_the_old(milvus_built, tiny_corpus, hash_embedder):
    old = index_files.load_index(milvus_built).vector_store
    report = build_index(tiny_corpus, milvus_built, embedder=hash_embedder, rebuild=True)
    assert report.full_rebuild
    new = index_files.load_index(milvus_built).vector_store
    client = client_for(new.target)
    assert new.collection != old.collection and not client.has_collection(old.collection)


def test_cli_index_with_store_then_ask(tiny_corpus, tmp_path, milvus_uri, capsys, monkeypatch):
    monkeypatch.setenv("QA_MODEL", "hash:64")
    index = tmp_path / "index"
    assert main(["index", "--corpus", str(tiny_corpus), "--index", str(index), "--store", milvus_uri]) == 0
    assert json.loads((index / "manifest.json").read_text())["store"]["kind"] == "milvus"
    capsys.readouterr()
    assert main(["ask", "when did the harbour bridge reopen?", "--index", str(index)]) == 0
    assert "Harbour bridge reopens after repairs" in capsys.readouterr().out


@pytest.mark.faiss_file
def test_a_failed_move_keeps_the_faiss_index_and_leaves_no_collection(tiny_corpus, tmp_path, hash_embedder,
                                                                      milvus_uri, monkeypatch):
    index = tmp_path / "index"
    build_index(tiny_corpus, index, embedder=hash_embedder)
    monkeypatch.setattr(index_files, "_commit_manifest", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        build_index(tiny_corpus, index, embedder=hash_embedder, store=milvus_uri)
    monkeypatch.undo()
    assert index_files.load_index(index).vector_store.kind == "faiss"
    assert client_for(parse_store_uri(milvus_uri)).list_collections() == []


def test_web_service_answers_and_takes_uploads_on_milvus(milvus_built, tiny_corpus, tmp_path, milvus_uri):
    from qa.web.service import ChatService

    service = ChatService(corpus_dir=tiny_corpus, index_dir=milvus_built)
    assert "harbour" in service.reply("when did the harbour bridge reopen?").lower()
    collection = index_files.load_index(milvus_built).vector_store.collection
    upload = tmp_path / "ferry.md"
    upload.write_text(FERRY)
    assert "**Added** ferry.md" in service.add_files([str(upload)])
    data = index_files.load_index(milvus_built)
    assert data.vector_store.collection == collection and "ferry" in data.documents
    assert "ferry" in service.reply("what happened to the ferry?").lower()


def test_an_index_on_a_milvus_server_by_url(tiny_corpus, tmp_path, hash_embedder, monkeypatch):
    """The server path (http:// URI, token from QA_MILVUS_TOKEN): Milvus Lite's gRPC server,
    started on 127.0.0.1 for the test, stands in for a Milvus server."""
    from milvus_lite.server_manager import server_manager_instance

    from qa.store.milvus_client import release

    url = server_manager_instance.start_and_get_uri(str(tmp_path / "server.db"))
    assert url.startswith("http://127.0.0.1:")
    monkeypatch.setenv("QA_MILVUS_TOKEN", "root:Milvus")
    try:
        index = tmp_path / "index"
        build_index(tiny_corpus, index, embedder=hash_embedder, store=url)
        store = index_files.read_manifest(index)["store"]
        assert store["kind"] == "milvus" and store["uri"] == url
        assert not any(b"root:Milvus" in p.read_bytes() for p in index.iterdir() if p.is_file())
        hits = qa.Retriever(index, embedder=hash_embedder).retrieve("library opens on Sundays", k=1)
        assert hits[0].doc_id == "library"
    finally:
        release(url)
        server_manager_instance.release_server(str(tmp_path / "server.db"))


def test_rows_lost_behind_the_index_back_are_detected_on_load(milvus_built):
    from qa.errors import IndexCorruptError

    data = index_files.load_index(milvus_built)
    store = data.vector_store
    client_for(store.target).delete(store.collection, ids=[data.passages[-1].id])
    with pytest.raises(IndexCorruptError, match="different passage ids"):
        index_files.load_index(milvus_built)


def test_a_first_build_killed_part_way_leaves_no_collection_behind(tiny_corpus, tmp_path, hash_embedder,
                                                                   milvus_uri):
    """kill -9 of a first build after its rows are in Milvus, before any manifest: the next
    build drops that collection, as it deletes index files no manifest names."""
    import os
    import subprocess
    import sys

    from conftest import ROOT

    index = tmp_path / "index"
    killed = ("import os, signal\nimport qa.store.index_files as files\n"
              "files.save_index = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)\n"
              "from qa.store.build import build_index\n"
              f"build_index({str(tiny_corpus)!r}, {str(index)!r}, store={milvus_uri!r})\n")
    child = subprocess.run([sys.executable, "-c", killed], capture_output=True, text=True, timeout=120, cwd=ROOT,
                           env=dict(os.environ, PYTHONPATH=str(ROOT), QA_MODEL="hash:64"))
    assert child.returncode == -9, child.stderr
    assert not (index / "manifest.json").exists()
    build_index(tiny_corpus, index, embedder=hash_embedder, store=milvus_uri)
    current = index_files.load_index(index).vector_store.collection
    assert client_for(parse_store_uri(milvus_uri)).list_collections() == [current]
