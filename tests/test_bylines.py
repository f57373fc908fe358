"""Bylines give the author and, when they name it, the publisher; a byline is never text."""
from __future__ import annotations

import pytest

import qa
from qa.ingest.bylines import Byline, read_byline
from qa.ingest.documents import read_document

BODY = "Millbrook library will close in June, the town council confirmed on Wednesday."


@pytest.mark.parametrize("line, author, publisher", [
    ("By Jane Porter, Millbrook Gazette", "Jane Porter", "Millbrook Gazette"),
    ("Jane Porter | Millbrook Gazette", "Jane Porter", "Millbrook Gazette"),
    ("By Jane Porter | Millbrook Gazette", "Jane Porter", "Millbrook Gazette"),
    ("Jane Porter for Millbrook Gazette", "Jane Porter", "Millbrook Gazette"),
    ("By Jane Porter for the Millbrook Gazette", "Jane Porter", "Millbrook Gazette"),
    ("Millbrook Gazette reporter Jane Porter", "Jane Porter", "Millbrook Gazette"),
    ("Children & Young People Now reporter Joe Lepper", "Joe Lepper", "Children & Young People Now"),
    ("By Jane Smith, Local Democracy Reporter, Millbrook Gazette", "Jane Smith", "Millbrook Gazette"),
    ("By Jane Smith, Local Democracy Reporter", "Jane Smith", ""),
    ("By Ana de Souza and Tom Bell, Your Local Guardian", "Ana de Souza and Tom Bell", "Your Local Guardian"),
    ("By Neil Puffett", "Neil Puffett", ""),
])
def test_byline_shapes_give_author_and_publisher(tmp_path, line, author, publisher):
    article = tmp_path / "library.txt"
    article.write_text(f"Millbrook library to close\n\n{line}\n\n{BODY}\n", encoding="utf-8")
    doc = read_document(article, tmp_path)
    assert (doc.author, doc.publisher) == (author, publisher)
    assert doc.body == BODY  # the byline is not the article's first sentence


def test_a_dateline_after_the_byline_is_read_too(tmp_path):
    article = tmp_path / "library.txt"
    article.write_text(f"Millbrook library to close\nJane Porter, Millbrook Gazette\nThursday 14 March 2024\n\n{BODY}\n")
    doc = read_document(article, tmp_path)
    assert (doc.author, doc.publisher, doc.published) == ("Jane Porter", "Millbrook Gazette", "2024-03-14")
    assert doc.body == BODY


@pytest.mark.parametrize("line", [
    "by the end of the year the council must act",
    "The council met on Monday.",
    "Wandsworth Council said: \u201cWe are pleased.\u201d",
    "Jo Bloggs",  # a bare name is a byline only when a dateline follows it
    "Jane Porter, Millbrook Gazette",  # so is a name and a paper without "By"
])
def test_text_is_not_read_as_a_byline(tmp_path, line):
    article = tmp_path / "a.txt"
    article.write_text(f"Headline here\n\n{line}\n\n{BODY}\n", encoding="utf-8")
    doc = read_document(article, tmp_path)
    assert (doc.author, doc.publisher) == ("", "")
    assert doc.body.startswith(line)


def test_marked_and_unmarked_bylines():
    assert read_byline("By Jane Porter, Millbrook Gazette") == Byline("Jane Porter", "Millbrook Gazette", marked=True)
    assert read_byline("Jane Porter, Millbrook Gazette") == Byline("Jane Porter", "Millbrook Gazette", marked=False)
    assert read_byline("By Staff Reporter") == Byline("Staff Reporter", "", marked=True)
    assert read_byline("Staff reporter") is None


def test_front_matter_and_page_metadata_come_before_the_byline(tmp_path):
    article = tmp_path / "library.txt"
    article.write_text(f"---\ntitle: Library to close\npublisher: Coast Times\n---\n\nBy Jane Porter, Millbrook Gazette\n\n{BODY}\n")
    assert read_document(article, tmp_path).publisher == "Coast Times"
    page = tmp_path / "library.html"
    page.write_text("<html><body><article><h1>Library to close</h1><p>Jane Porter | Millbrook Gazette</p>"
                    f"<p>{BODY} The decision follows a long consultation with residents.</p></article></body></html>")
    doc = read_document(page, tmp_path)
    assert (doc.author, doc.publisher) == ("Jane Porter", "Millbrook Gazette")
    assert doc.body.startswith("Millbrook library will close")


def test_the_documents_table_shows_the_bylines_publisher(tmp_path, hash_embedder):
    from qa.web import ChatService

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "library.txt").write_text(f"Millbrook library to close\nBy Jane Porter, Millbrook Gazette\n"
                                        f"Thursday 14 March 2024\n\n{BODY}\n")
    qa.build_index(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=hash_embedder)
    service = ChatService(corpus_dir=corpus, index_dir=tmp_path / "index")
    service.prepare()  # the index's model is "hash:64": no real model is loaded
    [row] = service.documents()
    assert row[:3] == ["Millbrook library to close", "Millbrook Gazette", "2024-03-14"]
