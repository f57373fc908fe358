"""Adding articles reads only the added ones: not the other articles, not the index's passage
table; a copy of an indexed article, or any other change, takes the path that compares
everything. Either way the index reads back as a fresh build of the same corpus would."""
from __future__ import annotations

import pytest

from qa.ingest import readers
from qa.store import index_files
from qa.store.build import build_index
from conftest import record_calls
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
    manifest = index_files.read_manifest(index)
    assert [len(s["documents"]) for s in manifest["segments"]] == [6, 2]
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
