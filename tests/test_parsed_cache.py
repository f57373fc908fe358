"""Unchanged files are not parsed again: a build keeps what the readers made of each file
(qa.ingest.parsed) and the next build takes it from there when the file's bytes match."""
from __future__ import annotations

import dataclasses
import json

import pytest

from qa.ingest import readers
from qa.ingest.parsed import FILE_NAME, ParsedDocuments
from qa.store.build import READER_VERSION, build_index
from test_pdf import PAGES, make_pdf


@pytest.fixture
def corpus(tmp_path, seed_corpus):
    make_pdf(seed_corpus / "report.pdf", PAGES)
    return seed_corpus


def count_pdf_reads(monkeypatch) -> list[str]:
    """Every PDF the readers parse, by name."""
    reads: list[str] = []
    pdf_reader = readers.READERS[".pdf"]
    original = pdf_reader.read

    def counting(data, doc):
        reads.append(doc.source)
        return original(data, doc)

    monkeypatch.setitem(readers.READERS, ".pdf", dataclasses.replace(pdf_reader, read=counting))
    return reads


def test_a_second_build_parses_no_unchanged_file(corpus, tmp_path, hash_embedder, monkeypatch):
    index = tmp_path / "index"
    reads = count_pdf_reads(monkeypatch)
    first = build_index(corpus, index, embedder=hash_embedder)
    assert reads == ["report.pdf"] and "report" in first.added
    written = (index / FILE_NAME).stat().st_mtime_ns
    second = build_index(corpus, index, embedder=hash_embedder)
    assert reads == ["report.pdf"], "the unchanged PDF was parsed again"
    assert (index / FILE_NAME).stat().st_mtime_ns == written, "a build that read nothing new rewrote the cache"
    assert not second.changed and "report" in second.unchanged
    # What came from the cache is what the reader made: same pages, same text, same date.
    kept = ParsedDocuments.load(index, READER_VERSION).get("report.pdf", first_sha(index, "report"))
    fresh = readers.read_corpus_file(corpus / "report.pdf", corpus)
    assert kept == fresh and kept.pages and kept.published == "2018-07-20"


def first_sha(index, doc_id):
    return json.loads((index / "manifest.json").read_text(encoding="utf-8"))["documents"][doc_id]["sha256"]


def test_a_changed_file_is_parsed_again(corpus, tmp_path, hash_embedder, monkeypatch):
    index = tmp_path / "index"
    build_index(corpus, index, embedder=hash_embedder)
    reads = count_pdf_reads(monkeypatch)
    make_pdf(corpus / "report.pdf", PAGES[:2])
    report = build_index(corpus, index, embedder=hash_embedder)
    assert reads == ["report.pdf"] and report.updated == ["report"]


def test_rebuild_and_other_readers_read_every_file(corpus, tmp_path, hash_embedder, monkeypatch):
    index = tmp_path / "index"
    build_index(corpus, index, embedder=hash_embedder)
    reads = count_pdf_reads(monkeypatch)
    build_index(corpus, index, embedder=hash_embedder, rebuild=True)
    assert reads == ["report.pdf"]
    # A cache written by another version of the readers is not used.
    saved = json.loads((index / FILE_NAME).read_text(encoding="utf-8"))
    saved["readers"] = READER_VERSION - 1
    (index / FILE_NAME).write_text(json.dumps(saved), encoding="utf-8")
    build_index(corpus, index, embedder=hash_embedder)
    assert reads == ["report.pdf", "report.pdf"]


def test_a_damaged_cache_is_ignored(corpus, tmp_path, hash_embedder, monkeypatch):
    index = tmp_path / "index"
    build_index(corpus, index, embedder=hash_embedder)
    (index / FILE_NAME).write_text('{"readers": 3, "documents": [{"source": 1}', encoding="utf-8")
    reads = count_pdf_reads(monkeypatch)
    report = build_index(corpus, index, embedder=hash_embedder)
    assert reads == ["report.pdf"] and not report.changed
    assert len(ParsedDocuments.load(index, READER_VERSION)) == len(report.unchanged)
