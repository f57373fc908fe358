"""Unchanged files are not parsed again: a build keeps what the readers made of each file
(qa.ingest.parsed) and the next build takes it from there when the file's bytes match."""
from __future__ import annotations

import dataclasses
import json

import pytest

from qa.ingest import readers
from qa.ingest.parsed import FILE_NAME, ParsedDocuments
from qa.store.build import READER_VERSION, build_index
from qa.store.corpus_stamp import forget_build
from qa.store import index_files
from conftest import record_calls
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
    return index_files.read_manifest(index)["documents"][doc_id].sha256


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
    header, rest = (index / FILE_NAME).read_text(encoding="utf-8").split("\n", 1)
    assert json.loads(header) == {"readers": READER_VERSION}
    (index / FILE_NAME).write_text(json.dumps({"readers": READER_VERSION - 1}) + "\n" + rest, encoding="utf-8")
    forget_build(index)  # no listing of the last build: the corpus is compared file by file
    build_index(corpus, index, embedder=hash_embedder)
    assert reads == ["report.pdf", "report.pdf"]


def test_a_damaged_cache_is_ignored(corpus, tmp_path, hash_embedder, monkeypatch):
    index = tmp_path / "index"
    build_index(corpus, index, embedder=hash_embedder)
    (index / FILE_NAME).write_text('{"readers": 3, "documents": [{"source": 1}', encoding="utf-8")
    forget_build(index)  # no listing of the last build: the corpus is compared file by file
    reads = count_pdf_reads(monkeypatch)
    report = build_index(corpus, index, embedder=hash_embedder)
    assert reads == ["report.pdf"] and not report.changed
    assert len(ParsedDocuments.load(index, READER_VERSION)) == len(report.unchanged)


def test_a_file_whose_stat_is_unchanged_is_not_even_opened(corpus, tmp_path, hash_embedder, monkeypatch):
    """Size, change time and inode as when it was read: taken from the cache unopened. A
    file written again with the same bytes is opened and hashed, but not parsed."""
    from qa.ingest import parsed as parsed_module

    monkeypatch.setattr(parsed_module, "SETTLE_SECONDS", 0.0)  # the test's files are seconds old
    index = tmp_path / "index"
    build_index(corpus, index, embedder=hash_embedder)
    opened = record_calls(monkeypatch, readers, "_read_bytes", lambda path, *_: path.name)
    parses = count_pdf_reads(monkeypatch)
    (corpus / "ferry.md").write_text("---\ntitle: Ferry\n---\n\nThe ferry sank at dawn off Skye.\n")
    report = build_index(corpus, index, embedder=hash_embedder)
    assert report.added == ["ferry"] and opened == ["ferry.md"]
    (corpus / "report.pdf").write_bytes((corpus / "report.pdf").read_bytes())  # the same bytes, a new stat
    opened.clear()
    report = build_index(corpus, index, embedder=hash_embedder)
    # Against the last build's listing: hashed (not read as an article) and found as indexed.
    assert opened == [] and parses == [] and not report.changed
    (corpus / "report.pdf").write_bytes((corpus / "report.pdf").read_bytes())
    forget_build(index)  # compared file by file: read and hashed, not parsed
    report = build_index(corpus, index, embedder=hash_embedder)
    assert opened == ["report.pdf"] and parses == [] and not report.changed


def test_a_build_appends_what_it_read_anew_and_a_cut_line_is_passed_over(corpus, tmp_path, hash_embedder,
                                                                          monkeypatch):
    index = tmp_path / "index"
    build_index(corpus, index, embedder=hash_embedder)
    before = (index / FILE_NAME).read_bytes()
    (corpus / "ferry.md").write_text("---\ntitle: Ferry\n---\n\nThe ferry sank at dawn off Skye.\n")
    build_index(corpus, index, embedder=hash_embedder)
    after = (index / FILE_NAME).read_bytes()
    assert after.startswith(before) and after[len(before):].count(b"\n") == 1  # one line, for ferry.md
    # A crash while appending leaves half a line: that line is passed over, the rest is used.
    (index / FILE_NAME).write_bytes(after + b'{"source": "half.md", "sha')
    reads = count_pdf_reads(monkeypatch)
    report = build_index(corpus, index, embedder=hash_embedder)
    assert reads == [] and not report.changed
    (corpus / "later.md").write_text("---\ntitle: Later\n---\n\nThe ferry was raised in May.\n")
    build_index(corpus, index, embedder=hash_embedder)  # appended after the cut line, on a line of its own
    assert ParsedDocuments.load(index, READER_VERSION).get("later.md", first_sha(index, "later")) is not None


def test_an_update_finds_the_newest_line_of_its_files_in_the_cache_s_tail(tmp_path, monkeypatch):
    """An update that adds a few files looks only at the end of the cache, for the last line
    whose "source" each file is (a name that only appears inside another line is passed over)."""
    from qa.ingest import parsed
    from qa.records import Document

    def doc(source, title):
        return Document(doc_id=source[:-3], source=source, title=title, body=f"{title}. The ferry sailed.",
                        sha256=title * 2)

    index = tmp_path / "index"
    index.mkdir()
    parsed.remember(index, [doc("a.md", "old"), doc("b.md", "a.md"), doc("a.md", "new")], READER_VERSION)
    parsed.remember(index, [doc("c.md", '"a.md"')], READER_VERSION)  # the name, quoted, in a title
    cache = ParsedDocuments.load(index, READER_VERSION, sources=["a.md", "zz.md"])
    assert cache.get("a.md", "newnew").title == "new" and cache.get("a.md", "oldold") is None
    assert cache.get("b.md", "a.mda.md") is None and len(cache) == 1
    monkeypatch.setattr(parsed, "TAIL_BYTES", 200)  # the lines of a.md are further back than this
    assert len(ParsedDocuments.load(index, READER_VERSION, sources=["a.md"])) == 0
