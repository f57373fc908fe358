"""The index folder: manifest fields, round trips, brute-force agreement, crash safety."""
import json
import subprocess
import sys

import numpy as np
import pytest

import qa
from qa.store import index_files as store
from qa.store.build import build_index
from qa.errors import IndexCorruptError, IndexLockedError, IndexNotFoundError, StorageError
from qa.records import IndexedDocument


@pytest.fixture
def built(tiny_corpus, tmp_path, hash_embedder):
    build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    return tmp_path / "index"


@pytest.mark.faiss_file
def test_manifest_records_every_field(built, tiny_corpus):
    m = json.loads((built / "manifest.json").read_text())
    assert m["format"] == "qa-index" and m["format_version"] == store.FORMAT_VERSION
    assert m["model"] == {"name": "hash:64", "dimension": 64, "normalized": True}
    assert m["store"]["kind"] == "faiss" and m["store"]["index"] == "flat"
    assert m["store"]["type"] == "IndexIDMap2" and m["store"]["metric"] == "inner_product"
    assert {"faiss-cpu", "numpy"} <= set(m["libraries"])
    assert m["generation"] == 1 and m["created"] and m["updated"]
    assert m["counts"]["documents"] == 2 and m["counts"]["passages"] == m["store"]["ntotal"]
    assert m["next_id"] == m["counts"]["passages"]
    assert m["splitter"] == {"max_words": 90, "max_sentences": 4, "overlap": 1, "start_in_quotation": False}
    assert [segment["generation"] for segment in m["segments"]] == [1] and m["segments"][0]["dead"] == []
    for key in ("vectors", "passages.1", "sentence_vectors.1", "lexical_vocab.1"):
        entry = m["files"][key]
        assert (built / entry["name"]).stat().st_size == entry["bytes"]
        assert len(entry["sha256"]) == 64
    assert m["documents"] == {"1": 2}  # both articles' entries are in generation 1's file
    lines = (built / m["files"]["documents.1"]["name"]).read_text().splitlines()
    harbour = dict(json.loads(line) for line in lines)["harbour"]
    raw = (tiny_corpus / "harbour.md").read_bytes()
    import hashlib

    assert harbour["sha256"] == hashlib.sha256(raw).hexdigest()
    assert harbour["title"] == "Harbour bridge reopens after repairs" and harbour["publisher"] == "Coast Times"
    assert harbour["published"] == "2020-03-14" and harbour["url"] == "https://example.org/harbour"
    assert harbour["source"] == "harbour.md" and harbour["passages"] >= 1


def test_save_load_round_trip(built):
    data = store.load_index(built)
    out = built.parent / "copy"
    store.save_index(data, out)
    again = store.load_index(out)
    assert again.passages == data.passages and again.documents == data.documents
    # The articles' entries are written back as they were read.
    entries = [(folder / json.loads((folder / "manifest.json").read_text())["files"][key]["name"]).read_text()
               for folder, key in ((built, "documents.1"), (out, f"documents.{again.generation}"))]
    assert entries[0] == entries[1]
    assert np.array_equal(again.sentence_vectors, data.sentence_vectors)
    ids = np.array([p.id for p in data.passages])
    assert np.array_equal(again.vector_store.reconstruct(ids), data.vector_store.reconstruct(ids))
    assert list((built).glob("*.tmp")) == []


# A manifest entry as indexes have been written since syndicated copies and PDF pages:
# the layout IndexedDocument reads and writes.
ENTRY = {
    "title": "Bridge reopens", "publisher": "Coast Times", "author": "A. Writer", "published": "2020-03-14",
    "published_note": "", "published_source": "front matter", "url": "https://example.org/bridge",
    "source": "bridge.pdf", "sha256": "ab" * 32, "extra": {"section": "Local"}, "pages": 2,
    "also_published": [{"title": "Crossing open", "publisher": "Bay News", "published": "2020-03-15",
                        "url": "", "source": "copy.md"}],
    "passages": 5,
}


def test_a_manifest_entry_reads_into_a_record_and_writes_back_the_same():
    entry = IndexedDocument.from_json(ENTRY)
    assert (entry.title, entry.published, entry.file, entry.sha256, entry.passages, entry.pages) == (
        "Bridge reopens", "2020-03-14", "bridge.pdf", "ab" * 32, 5, 2)
    (copy,) = entry.also_published
    assert (copy.publisher, copy.file) == ("Bay News", "copy.md") and entry.source.also_published == (copy,)
    assert entry.to_json() == ENTRY and list(entry.to_json()) == list(ENTRY)
    # Fields an older entry lacks read as empty, and are written back empty.
    bare = IndexedDocument.from_json({"title": "T", "source": "t.md", "sha256": "00", "passages": 1})
    assert (bare.author, bare.pages, bare.extra, bare.also_published) == ("", 0, {}, ())


def test_hits_of_an_article_share_its_source(seed_corpus, tmp_path, hash_embedder):
    build_index(seed_corpus, tmp_path / "index", embedder=hash_embedder)
    retriever = qa.Retriever(index_dir=tmp_path / "index", embedder=hash_embedder)
    hits = retriever.retrieve("improvement notice", k=8)
    assert len({h.doc_id for h in hits}) < len(hits)  # some article gives two hits
    assert all(h.source is retriever.data.documents[h.doc_id].source for h in hits)


def test_vector_store_agrees_with_brute_force(built, hash_embedder):
    data = store.load_index(built)
    ids = np.array([p.id for p in data.passages])
    vectors = data.vector_store.reconstruct(ids)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    for question in ("bridge repairs cost", "library open on Sundays", "mayor praised"):
        q = hash_embedder.encode([question])[0]
        scores, found = data.vector_store.search(q[None, :], len(ids))
        brute = vectors @ q
        order = np.argsort(-brute, kind="stable")
        assert np.allclose(scores[0], brute[order], atol=1e-5)
        assert set(found[0][:1]) <= set(ids[brute >= brute.max() - 1e-6])


@pytest.mark.faiss_file
def test_old_generation_files_are_removed(built, tiny_corpus, hash_embedder):
    (tiny_corpus / "library.md").unlink()
    build_index(tiny_corpus, built, embedder=hash_embedder)
    manifest = json.loads((built / "manifest.json").read_text())
    current = {entry["name"] for entry in manifest["files"].values()}
    names = {p.name for p in built.iterdir() if not p.name.startswith(".")} - {"corpus-stamp.json"}
    assert names == current | {"manifest.json", "parsed.jsonl"}  # parsed.jsonl: articles as read (qa.ingest.parsed)
    assert {"passages-2.jsonl", "sentences-2.npy", "vectors-2.faiss"} <= current


def test_missing_index_says_how_to_build(tmp_path):
    with pytest.raises(IndexNotFoundError, match="qa index"):
        qa.Retriever(index_dir=tmp_path / "none")


@pytest.mark.parametrize("victim", ["vectors", "passages.1", "sentence_vectors.1"])
def test_truncated_file_is_detected(built, victim):
    name = json.loads((built / "manifest.json").read_text())["files"][victim]["name"]
    path = built / name
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(IndexCorruptError, match="rebuild"):
        store.load_index(built)


def test_corrupt_manifest_is_detected(built):
    (built / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorruptError, match="qa index --rebuild"):
        store.load_index(built)


@pytest.mark.faiss_file
def test_failure_before_manifest_switch_keeps_previous_index(built, tiny_corpus, hash_embedder, monkeypatch):
    before = store.load_index(built)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store, "_commit_manifest", crash)
    (tiny_corpus / "ferry.md").write_text("---\ntitle: Ferry\n---\n\nThe ferry sank. Nobody was hurt.\n")
    with pytest.raises(StorageError, match="disk full.*corpus and the index are as they were"):
        build_index(tiny_corpus, built, embedder=hash_embedder)
    monkeypatch.undo()
    after = store.load_index(built)
    assert after.documents == before.documents and after.passages == before.passages
    named = {entry["name"] for entry in store.read_manifest(built)["files"].values()}
    left = {p.name for p in built.iterdir()} - {"corpus-stamp.json"}  # the stamp: when the corpus had settled
    assert left == named | {"manifest.json", "parsed.jsonl", ".lock", ".update.lock"}  # no litter


def test_process_killed_mid_write_keeps_previous_index(built, tiny_corpus):
    """A real process dies (os._exit, no cleanup) after writing new data files, before the switch."""
    before = store.load_index(built)
    (tiny_corpus / "ferry.md").write_text("---\ntitle: Ferry\n---\n\nThe ferry sank. Nobody was hurt.\n")
    script = f"""
import os, qa
from qa.store import segments as store
from qa.embedding.embedder import HashingEmbedder
real = store.write_atomic
def dying(path, write):
    if path.name.startswith("sentences-"):
        with open(str(path) + ".tmp", "wb") as fh:
            fh.write(b"half")
        os._exit(9)
    real(path, write)
store.write_atomic = dying
qa.build_index({str(tiny_corpus)!r}, {str(built)!r}, embedder=HashingEmbedder(64))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    assert any(p.name.startswith("passages-2") for p in built.iterdir())  # it did get that far
    after = store.load_index(built)
    assert after.documents == before.documents and after.passages == before.passages
    # and the next build finishes the job and tidies up
    report = build_index(tiny_corpus, built, embedder=qa.embedding.embedder.HashingEmbedder(64))
    assert report.added == ["ferry"]
    assert not [p for p in built.iterdir() if p.name.endswith(".tmp")]


def test_concurrent_builds_are_kept_apart(built):
    with store.build_lock(built):
        with pytest.raises(IndexLockedError, match="wait for it to finish"):
            with store.build_lock(built):
                pass


def test_index_without_resolved_dates_is_refused_not_answered_from(built):
    """An index from before dates were stored would say a sentence "gives no date": refuse it."""
    from qa.errors import IndexMismatchError

    path = built / "manifest.json"
    manifest = json.loads(path.read_text())
    del manifest["dates"]
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="run `qa index`"):
        qa.Retriever(index_dir=built)
