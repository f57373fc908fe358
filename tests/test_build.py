"""Incremental indexing: only new and changed articles reach the embedder."""
import textwrap

import pytest

import qa
from qa.store.build import build_index
from qa.errors import CorpusError

THIRD = textwrap.dedent("""\
    ---
    title: Ferry service suspended in storm
    publisher: Coast Times
    published: 2022-01-05
    ---

    The island ferry was suspended on Tuesday as gales reached ninety miles an hour.

    Islanders stocked up on bread and milk before the crossings stopped.
    """)


def embedded_texts(embedder) -> list[str]:
    return [t for batch in embedder.calls for t in batch]


def test_first_build_embeds_everything(tiny_corpus, tmp_path, hash_embedder):
    report = build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    assert sorted(report.added) == ["harbour", "library"]
    assert report.full_rebuild and report.reason == "no index yet"
    assert report.passages_embedded > 0
    assert report.updated == report.removed == report.unchanged == []


def test_unchanged_corpus_embeds_nothing(tiny_corpus, tmp_path, hash_embedder, store_uri):
    build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder, store=store_uri)
    hash_embedder.calls.clear()
    report = build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    assert hash_embedder.calls == []
    assert sorted(report.unchanged) == ["harbour", "library"] and not report.changed


def test_add_edit_delete_touch_only_that_article(tiny_corpus, tmp_path, hash_embedder, store_uri):
    """On each vector store; later builds are not told the store again: the index keeps it."""
    index = tmp_path / "index"
    build_index(tiny_corpus, index, embedder=hash_embedder, store=store_uri)
    before = {p.passage_id: p.id for p in qa.store.index_files.load_index(index).passages}

    # add: exactly the new article's passage and sentence texts reach the embedder
    (tiny_corpus / "ferry.md").write_text(THIRD)
    hash_embedder.calls.clear()
    report = build_index(tiny_corpus, index, embedder=hash_embedder)
    assert report.added == ["ferry"] and report.updated == report.removed == []
    assert sorted(report.unchanged) == ["harbour", "library"]
    doc = qa.read_document(tiny_corpus / "ferry.md", tiny_corpus)
    passages = qa.ingest.passages.split_passages("ferry", doc.body)
    sentences = [doc.body[s:e] for s, e in qa.ingest.passages.split_sentences(doc.body)]
    assert embedded_texts(hash_embedder) == sentences  # passage vectors come from these, nothing twice
    data = qa.store.index_files.load_index(index)
    kept = {p.passage_id: p.id for p in data.passages if p.doc_id != "ferry"}
    assert kept == before  # untouched passages keep their ids in the vector store
    hits = qa.Retriever(index, embedder=hash_embedder).retrieve("ferry suspended gales", k=1)
    assert hits[0].doc_id == "ferry" and hits[0].title == "Ferry service suspended in storm"

    # edit: only the edited article is embedded again
    (tiny_corpus / "ferry.md").write_text(THIRD.replace("ninety", "eighty"))
    hash_embedder.calls.clear()
    report = build_index(tiny_corpus, index, embedder=hash_embedder)
    assert report.updated == ["ferry"] and report.added == []
    assert embedded_texts(hash_embedder) and all(
        t in THIRD.replace("ninety", "eighty") for t in embedded_texts(hash_embedder)
    )
    hits = qa.Retriever(index, embedder=hash_embedder).retrieve("gales eighty miles", k=1)
    assert "eighty miles" in hits[0].text

    # delete: its passages leave the vector store, the table and the manifest
    (tiny_corpus / "ferry.md").unlink()
    hash_embedder.calls.clear()
    report = build_index(tiny_corpus, index, embedder=hash_embedder)
    assert report.removed == ["ferry"] and hash_embedder.calls == []
    data = qa.store.index_files.load_index(index)
    assert "ferry" not in data.documents
    assert all(p.doc_id != "ferry" for p in data.passages)
    assert len(data.vector_store) == len(data.passages) == len(before)
    hits = qa.Retriever(index, embedder=hash_embedder).retrieve("ferry suspended gales", k=5)
    assert all(h.doc_id != "ferry" for h in hits)


def test_rebuild_flag_and_model_change_force_full_builds(tiny_corpus, tmp_path, hash_embedder, store_uri):
    index = tmp_path / "index"
    build_index(tiny_corpus, index, embedder=hash_embedder, store=store_uri)
    report = build_index(tiny_corpus, index, embedder=hash_embedder, rebuild=True)
    assert report.full_rebuild and "--rebuild" in report.reason
    other = qa.embedding.embedder.HashingEmbedder(32)
    report = build_index(tiny_corpus, index, embedder=other)
    assert report.full_rebuild and "hash:64" in report.reason and "hash:32" in report.reason
    data = qa.store.index_files.load_index(index)
    assert data.dimension == 32 and data.vector_store.kind == (store_uri or "faiss").split(":")[0]


def test_empty_corpus_is_an_error_that_says_what_to_do(tmp_path, hash_embedder):
    (tmp_path / "corpus").mkdir()
    with pytest.raises(CorpusError, match="add articles"):
        build_index(tmp_path / "corpus", tmp_path / "index", embedder=hash_embedder)
    assert not (tmp_path / "index" / "manifest.json").exists()


def test_failed_embedding_leaves_previous_index(tiny_corpus, tmp_path, hash_embedder, store_uri):
    index = tmp_path / "index"
    build_index(tiny_corpus, index, embedder=hash_embedder, store=store_uri)
    before = (index / "manifest.json").read_bytes()

    class Broken(qa.embedding.embedder.HashingEmbedder):
        def encode(self, texts, batch_size=32, progress=None):
            raise RuntimeError("out of memory")

    (tiny_corpus / "ferry.md").write_text(THIRD)
    with pytest.raises(RuntimeError):
        build_index(tiny_corpus, index, embedder=Broken(64))
    assert (index / "manifest.json").read_bytes() == before
    assert len(qa.store.index_files.load_index(index).documents) == 2


def test_report_summary_lists_changes(tiny_corpus, tmp_path, hash_embedder):
    report = build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    text = report.summary()
    assert "added     harbour" in text and "2 added, 0 updated, 0 removed, 0 unchanged" in text
