"""Adding articles reads only the added ones: not the other articles, not the index's passage
table; a copy of an indexed article, or any other change, takes the path that compares
everything. Either way the index reads back as a fresh build of the same corpus would."""
from __future__ import annotations

import json

import numpy as np
import pytest

from qa.ingest import readers
from qa.store import corpus_stamp, faiss_store, index_files
from qa.store.added_vectors import read_added
from qa.store.build import build_index
from qa.store.document_files import IndexedIds
from qa.store.transaction import corpus_update
from conftest import record_calls
from qa.store.segments import MAX_SEGMENTS
from test_segments import TOWNS, article, same_as_fresh, write


@pytest.fixture
def opened(monkeypatch):
    """The names of the files the readers open from now on."""
    return record_calls(monkeypatch, readers, "_read_bytes", lambda path, *_: path.name)


def loads(monkeypatch) -> list[str]:
    """Every load of a whole index from now on."""
    return record_calls(monkeypatch, index_files, "load_index", lambda index_dir, *_: str(index_dir))


def built(tmp_path, embedder, towns: int, store=None):
    """A corpus of the first ``towns`` made-up articles and its index, built."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus, TOWNS[:towns])
    build_index(corpus, index, embedder=embedder, store=store)
    return corpus, index


def copy_of(text: str) -> str:
    """The same story under another publisher's name: a syndicated copy."""
    return text.replace("publisher: Shire Post", "publisher: Vale Echo")


def test_added_articles_are_read_alone_and_the_index_is_as_a_fresh_build(tmp_path, hash_embedder, opened, monkeypatch,
                                                                         store_uri):
    corpus, index = built(tmp_path, hash_embedder, 6, store=store_uri)
    opened.clear()
    whole = loads(monkeypatch)
    (corpus / "rye.md").write_text(article("Rye", 16), encoding="utf-8")
    (corpus / "usk.md").write_text(article("Usk", 19), encoding="utf-8")
    report = build_index(corpus, index, embedder=hash_embedder)
    assert report.added == ["rye", "usk"] and len(report.unchanged) == 6 and not report.full_rebuild
    assert sorted(opened) == ["rye.md", "usk.md"] and whole == []
    assert [len(s.documents) for s in index_files.load_index(index).segments] == [6, 2]
    data = same_as_fresh(corpus, index, tmp_path, hash_embedder)
    fresh = index_files.read_manifest(tmp_path / "fresh-index")
    assert data.documents == fresh["documents"]  # the same entries, dates and counts included
    assert len(data.vector_store) == len(data.passages)  # FAISS or Milvus: the new vectors are in
    assert not build_index(corpus, index, embedder=hash_embedder).changed


def test_a_copy_of_an_indexed_article_is_listed_with_it(tmp_path, hash_embedder, monkeypatch):
    corpus, index = built(tmp_path, hash_embedder, 4)
    whole = loads(monkeypatch)
    (corpus / "zz-copy.md").write_text(copy_of((corpus / "brill.md").read_text(encoding="utf-8")), encoding="utf-8")
    report = build_index(corpus, index, embedder=hash_embedder)
    # The indexed article's list of copies changes: the path that compares everything.
    assert whole and report.copies == [("zz-copy.md", "brill.md")] and report.relisted == ["brill"]
    data = same_as_fresh(corpus, index, tmp_path, hash_embedder)
    assert [source.publisher for source in data.documents["brill"].also_published] == ["Vale Echo"]


def test_new_articles_that_copy_each_other_are_grouped_as_a_full_build_groups_them(tmp_path, hash_embedder, monkeypatch):
    corpus, index = built(tmp_path, hash_embedder, 4)
    whole = loads(monkeypatch)
    story = article("Selby", 17)
    (corpus / "selby.md").write_text(story, encoding="utf-8")
    (corpus / "selby-echo.md").write_text(copy_of(story), encoding="utf-8")
    report = build_index(corpus, index, embedder=hash_embedder)
    assert whole == [] and report.added == ["selby"] and report.copies == [("selby-echo.md", "selby.md")]
    data = same_as_fresh(corpus, index, tmp_path, hash_embedder)
    assert data.documents == index_files.read_manifest(tmp_path / "fresh-index")["documents"]
    # The next build finds nothing to do, and reports the copy still.
    again = build_index(corpus, index, embedder=hash_embedder)
    assert not again.changed and again.copies == [("selby-echo.md", "selby.md")]


def test_a_changed_or_removed_file_takes_the_full_path(tmp_path, hash_embedder, monkeypatch):
    corpus, index = built(tmp_path, hash_embedder, 5)
    whole = loads(monkeypatch)
    (corpus / "rye.md").write_text(article("Rye", 16), encoding="utf-8")
    (corpus / "ashby.md").unlink()
    report = build_index(corpus, index, embedder=hash_embedder)
    assert whole and report.added == ["rye"] and report.removed == ["ashby"]
    same_as_fresh(corpus, index, tmp_path, hash_embedder)


def test_a_file_that_does_not_read_is_skipped_and_the_rest_added(tmp_path, hash_embedder, monkeypatch):
    corpus, index = built(tmp_path, hash_embedder, 3)
    whole = loads(monkeypatch)
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    (corpus / "rye.md").write_text(article("Rye", 16), encoding="utf-8")
    (corpus / "notes.csv").write_text("not an article", encoding="utf-8")
    report = build_index(corpus, index, embedder=hash_embedder)
    assert whole == [] and report.added == ["rye"] and [path for path, _ in report.skipped] == ["broken.pdf"]
    again = build_index(corpus, index, embedder=hash_embedder)  # still reported, nothing read
    assert not again.changed and [path for path, _ in again.skipped] == ["broken.pdf"]
    same_as_fresh(corpus, index, tmp_path, hash_embedder)


def test_an_article_removed_and_added_again_is_no_copy_of_its_old_self(tmp_path, hash_embedder, monkeypatch):
    corpus, index = built(tmp_path, hash_embedder, 4)
    story = (corpus / "corfe.md").read_text(encoding="utf-8")
    (corpus / "corfe.md").unlink()
    assert build_index(corpus, index, embedder=hash_embedder).removed == ["corfe"]
    whole = loads(monkeypatch)
    (corpus / "corfe.md").write_text(story, encoding="utf-8")  # its old rows are dead: no copy of them
    report = build_index(corpus, index, embedder=hash_embedder)
    assert whole == [] and report.added == ["corfe"] and report.copies == []
    same_as_fresh(corpus, index, tmp_path, hash_embedder)


def test_two_files_of_one_article_id_are_indexed_once_and_the_other_is_skipped_with_why(tmp_path, hash_embedder, monkeypatch):
    corpus, index = built(tmp_path, hash_embedder, 3)
    whole = loads(monkeypatch)
    (corpus / "rye.md").write_text(article("Rye", 16), encoding="utf-8")
    (corpus / "rye.txt").write_text("Rye harbour reopens\n\nThe harbour at Rye reopened on Monday after the "
                                    "storm. Fishing boats returned to the quay by the afternoon.\n", encoding="utf-8")
    report = build_index(corpus, index, embedder=hash_embedder)
    assert whole and report.added == ["rye"]  # the path that compares everything decides
    assert [(path, "rename one" in reason) for path, reason in report.skipped] == [("rye.txt", True)]
    again = build_index(corpus, index, embedder=hash_embedder)
    assert not again.changed and [path for path, _ in again.skipped] == ["rye.txt"]
    (corpus / "rye.md").unlink()  # the other file takes the id
    assert build_index(corpus, index, embedder=hash_embedder).updated == ["rye"]
    same_as_fresh(corpus, index, tmp_path, hash_embedder)


def test_an_addition_writes_neither_the_vector_store_nor_the_list_of_articles_again(tmp_path, hash_embedder,
                                                                                     store_uri):
    corpus, index = built(tmp_path, hash_embedder, 6, store=store_uri)
    first = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    before = {key: (entry["name"], (index / entry["name"]).stat().st_ino) for key, entry in first["files"].items()}
    (corpus / "rye.md").write_text(article("Rye", 16), encoding="utf-8")
    report = build_index(corpus, index, embedder=hash_embedder)
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    generation = manifest["generation"]
    # The manifest names each articles' file with its count, not each article: the new one in its own.
    assert report.added == ["rye"] and manifest["documents"] == {**first["documents"], str(generation): 1}
    lines = (index / manifest["files"][f"documents.{generation}"]["name"]).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)[0] for line in lines] == ["rye"]
    # Every file of the index before is still there, the same file, not written again; with
    # FAISS the store's file too, the new vectors beside it.
    faiss = manifest["store"]["kind"] == "faiss"
    kept = {key: value for key, value in before.items() if faiss or key != "vectors"}
    assert {key: (manifest["files"][key]["name"], (index / manifest["files"][key]["name"]).stat().st_ino)
            for key in kept} == kept
    if faiss:
        ids, vectors = read_added(index / manifest["files"][f"added_vectors.{generation}"]["name"], 64)
        assert len(ids) == report.passages_embedded and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
        assert manifest["store"]["ntotal"] == manifest["counts"]["passages"] == first["store"]["ntotal"] + len(ids)
    same_as_fresh(corpus, index, tmp_path, hash_embedder)
    # The next save that writes the whole store takes the added vectors in and lets their file go.
    (corpus / "ashby.md").unlink()
    assert build_index(corpus, index, embedder=hash_embedder).removed == ["ashby"]
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    assert not [key for key in manifest["files"] if key.startswith("added_vectors.")]
    assert not list(index.glob("vectors-*.added.npy"))
    assert manifest["documents"] == {str(manifest["generation"]): 6}
    same_as_fresh(corpus, index, tmp_path, hash_embedder)


def test_an_addition_that_changes_the_faiss_index_kind_takes_the_full_path(tmp_path, hash_embedder, monkeypatch):
    corpus, index = built(tmp_path, hash_embedder, 6, store="faiss")
    passages = index_files.read_manifest(index)["counts"]["passages"]
    monkeypatch.setattr(faiss_store, "ANN_THRESHOLD", passages + 1)  # the next article makes it approximate
    whole = loads(monkeypatch)
    (corpus / "rye.md").write_text(article("Rye", 16), encoding="utf-8")
    assert build_index(corpus, index, embedder=hash_embedder).added == ["rye"]
    assert whole  # the store had to be made anew, from all its vectors
    manifest = index_files.read_manifest(index)
    assert manifest["store"]["index"] == "ivf" and not [k for k in manifest["files"] if k.startswith("added_vectors.")]


def test_whether_a_faiss_index_keeps_its_kind():
    flat = {"kind": "faiss", "index": "flat", "ntotal": 10}
    assert faiss_store.keeps_structure(flat, 99, threshold=100)
    assert not faiss_store.keeps_structure(flat, 100, threshold=100)
    ivf = {"kind": "faiss", "index": "ivf", "nlist": faiss_store.ivf_lists(400)}
    assert faiss_store.keeps_structure(ivf, 500, threshold=100)
    assert not faiss_store.keeps_structure(ivf, 400 * 17 ** 2, threshold=100)  # lists outgrown: trained again
    assert not faiss_store.keeps_structure(ivf, 50, threshold=100)  # back to exact
    assert not faiss_store.keeps_structure({}, 5)  # an index written before the manifest described its store


def test_an_update_that_puts_new_files_reads_them_alone_and_lists_no_folder(tmp_path, hash_embedder, opened,
                                                                           monkeypatch, store_uri):
    """`qa add` and the web's uploads tell the build which files they put in: it neither lists
    the corpus nor compares its listing, so its cost does not grow with the corpus."""
    corpus, index = built(tmp_path, hash_embedder, 6, store=store_uri)
    (corpus / "thame.md").write_text(article("Thame", 18), encoding="utf-8")  # put in by hand meanwhile
    listed = record_calls(monkeypatch, corpus_stamp, "take", lambda corpus_dir, *_: corpus_dir)
    whole = loads(monkeypatch)
    opened.clear()
    with corpus_update(corpus, index) as update:
        update.put("rye.md", article("Rye", 16).encode("utf-8"))
        report = update.build(embedder=hash_embedder)
    assert report.added == ["rye"] and not report.full_rebuild
    assert listed == [] and whole == [] and opened == ["rye.md"]
    assert (index / corpus_stamp.ADDED_STAMP).is_file()
    # The article put in by hand is found by the next build, which lists the folder.
    again = build_index(corpus, index, embedder=hash_embedder)
    assert again.added == ["thame"] and listed == [corpus] and whole == []
    assert not (index / corpus_stamp.ADDED_STAMP).exists()  # the new listing takes its lines in
    assert not build_index(corpus, index, embedder=hash_embedder).changed
    same_as_fresh(corpus, index, tmp_path, hash_embedder)


def test_a_told_addition_that_needs_more_compares_the_whole_folder(tmp_path, hash_embedder, monkeypatch):
    corpus, index = built(tmp_path, hash_embedder, 4)
    listed = record_calls(monkeypatch, corpus_stamp, "take", lambda corpus_dir, *_: corpus_dir)
    with corpus_update(corpus, index) as update:  # a syndicated copy of an indexed article
        update.put("zz-copy.md", copy_of((corpus / "brill.md").read_text(encoding="utf-8")).encode("utf-8"))
        report = update.build(embedder=hash_embedder)
    assert listed == [corpus] and report.copies == [("zz-copy.md", "brill.md")] and report.relisted == ["brill"]
    same_as_fresh(corpus, index, tmp_path, hash_embedder)


def test_additions_one_at_a_time_merge_their_segments_without_reading_the_index(tmp_path, hash_embedder, monkeypatch,
                                                                                store_uri):
    corpus, index = built(tmp_path, hash_embedder, 8, store=store_uri)
    whole = loads(monkeypatch)
    opened = record_calls(monkeypatch, readers, "_read_bytes", lambda path, *_: path.name)
    for n, town in enumerate(TOWNS[8:], start=8):  # 12 additions, one article each
        (corpus / f"{town.lower()}.md").write_text(article(town, n), encoding="utf-8")
        assert build_index(corpus, index, embedder=hash_embedder).added == [town.lower()]
    manifest = index_files.read_manifest(index)
    sizes = [record["rows"] for record in manifest["segments"]]
    assert whole == [] and len(opened) == 12  # each build read its one new file, and no whole index
    # Merged in tiers, each segment no larger than the ones before it (the first build's, of
    # 8 passages, was merged once 8 more came after it).
    assert len(sizes) <= MAX_SEGMENTS and manifest["segments"][0]["generation"] > 1
    assert sizes == sorted(sizes, reverse=True) and sum(sizes) == manifest["counts"]["passages"]
    assert not [path for path in index.iterdir() if path.name.split("-")[0] in ("passages", "sentences", "vectors")
                and path.name not in {entry["name"] for entry in manifest["files"].values()}]
    for kind in ("added_vectors.", "documents."):  # the articles' and vectors' files merge by the same tiers
        assert len([key for key in manifest["files"] if key.startswith(kind)]) <= MAX_SEGMENTS
    data = same_as_fresh(corpus, index, tmp_path, hash_embedder)
    fresh = index_files.load_index(tmp_path / "fresh-index")
    by_text = {p.text: p.id for p in fresh.passages}
    np.testing.assert_allclose(data.vector_store.reconstruct(np.array([p.id for p in data.passages])),
                               fresh.vector_store.reconstruct(np.array([by_text[p.text] for p in data.passages])),
                               atol=1e-6)  # each passage's vector, whichever file held it


def test_the_manifest_names_no_article_and_an_addition_asks_the_tables_of_ids(tmp_path, hash_embedder, monkeypatch):
    """The manifest names files and counts, not articles, so that what an addition reads and
    writes of it does not grow with the corpus; whether an id is indexed is asked of each
    articles' file's table of id hashes (qa.store.document_files.IndexedIds)."""
    corpus, index = built(tmp_path, hash_embedder, 8)
    with corpus_update(corpus, index) as update:
        update.put("rye.md", article("Rye", 16).encode("utf-8"))
        report = update.build(embedder=hash_embedder)
    ids = [town.lower() for town in TOWNS[:8]] + ["rye"]
    text = (index / "manifest.json").read_text(encoding="utf-8")
    assert not [doc_id for doc_id in ids if json.dumps(doc_id) in text]
    manifest = json.loads(text)
    assert sum(manifest["documents"].values()) == manifest["counts"]["documents"] == 9
    indexed = IndexedIds(index, manifest)
    assert all(doc_id in indexed for doc_id in ids) and "usk" not in indexed
    # The report's unchanged articles are read only when asked for, and are the indexed ones.
    assert report.added == ["rye"] and len(report.unchanged) == 8 and sorted(report.unchanged) == sorted(ids[:8])
    # An id the tables hold is not added again: a file of the same article in another format
    # (rye.txt beside rye.md) makes the build compare everything, which keeps the indexed file.
    (corpus / "rye.txt").write_text("Rye\n\n" + "The ferry crossing at Rye reopened after repairs. " * 3, encoding="utf-8")
    whole = record_calls(monkeypatch, index_files, "load_index", lambda *a, **k: True)
    again = build_index(corpus, index, embedder=hash_embedder)
    assert whole and again.added == [] and [path for path, _ in again.skipped] == ["rye.txt"]
