"""PDF documents: text per page, metadata, passages within pages, "p. N" citations,
a clear refusal for a scan without text. The PDFs are written here with fpdf2."""
from __future__ import annotations

import datetime as dt
import json

import fpdf  # fpdf2, a test dependency: missing it fails the tests rather than skipping them
import pytest

import qa
from qa.cli import main
from qa.ingest.documents import read_document
from qa.errors import DocumentError
from qa.ingest.pdf import page_paragraphs


PAGES = [
    ("Inspection of children's services\n\n"
     "Inspectors visited the council in May and found that senior leaders had strengthened the quality of "
     "practice since the previous inspection. Children in need of help and protection are identified and "
     "supported swiftly.\n\n"
     "12"),
    ("Care leavers\n\n"
     "The quality of services for care leavers has greatly improved. Most young people who have left care "
     "live in good-quality accommodation and feel safe.\n\n"
     "13"),
    ("Improvement board\n\n"
     "The improvement board must meet at least every four weeks. The council must provide administrative "
     "support to the board.\n\n"
     "14"),
]


def make_pdf(path, pages, title="Inspection report", author="Inspectorate", created=dt.datetime(2018, 7, 20, 9, 30)):
    pdf = fpdf.FPDF()
    pdf.set_auto_page_break(False)
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    if created:
        pdf.set_creation_date(created.replace(tzinfo=dt.timezone.utc))
    for text in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        if text:
            pdf.multi_cell(0, 6, text)
        else:
            pdf.rect(20, 20, 100, 60, style="F")  # a "scan": marks on the page, no text
    data = bytes(pdf.output())
    if created is None:  # fpdf2 always dates its files: copy the pages into one without metadata
        import io

        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter()
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
        out = io.BytesIO()
        writer.write(out)
        data = out.getvalue()
    path.write_bytes(data)
    return path


def test_pdf_text_pages_and_metadata(tmp_path):
    doc = read_document(make_pdf(tmp_path / "report.pdf", PAGES), tmp_path)
    assert (doc.title, doc.author, doc.published, doc.published_source) == \
        ("Inspection report", "Inspectorate", "2018-07-20", "pdf metadata")
    assert len(doc.pages) == 3
    page_texts = [doc.body[s:e] for s, e in doc.pages]
    assert page_texts[1].startswith("Care leavers\n\nThe quality")  # a heading stays a paragraph of its own
    assert "The quality of services for care leavers has greatly improved." in page_texts[1]
    # Wrapped lines are joined into paragraphs; page numbers are not text.
    assert "Inspectors visited the council in May and found that senior leaders had strengthened the quality of " \
           "practice since the previous inspection." in page_texts[0]
    assert not any(line.strip() in ("12", "13", "14") for line in doc.body.split("\n"))


def test_passages_stay_within_a_page_and_cite_it(tmp_path, hash_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_pdf(corpus / "report.pdf", PAGES)
    qa.build_index(corpus, tmp_path / "index", embedder=hash_embedder)
    retriever = qa.Retriever(index_dir=tmp_path / "index", embedder=hash_embedder)
    doc = read_document(corpus / "report.pdf", corpus)
    for p in retriever.data.passages:
        start, end = doc.pages[p.page - 1]
        assert start <= p.start and p.end <= end  # never across a page break
    assert sorted({p.page for p in retriever.data.passages}) == [1, 2, 3]
    hit = retriever.retrieve("how often must the improvement board meet?", k=1)[0]
    assert hit.page == 3 and "every four weeks" in hit.text


def test_cli_add_pdf_and_page_in_citation(tmp_path, monkeypatch, capsys, tiny_corpus):
    monkeypatch.setenv("QA_MODEL", "hash:64")
    monkeypatch.setenv("QA_CORPUS_DIR", str(tiny_corpus))
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    pdf = make_pdf(tmp_path / "report.pdf", PAGES)
    assert main(["add", str(pdf)]) == 0
    assert "added     report" in capsys.readouterr().out
    assert main(["ask", "how often must the improvement board meet?", "-k", "1"]) == 0
    out = capsys.readouterr().out
    assert "[1] Inspection report" in out and "publisher unknown, by Inspectorate, 2018-07-20, p. 3" in out
    assert main(["ask", "how often must the improvement board meet?", "-k", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["citations"][0]["page"] == 3


def test_scanned_pdf_is_refused_for_its_missing_text_layer(tmp_path, monkeypatch, capsys, tiny_corpus):
    scan = make_pdf(tmp_path / "scan.pdf", ["", ""])
    with pytest.raises(DocumentError, match="has no text layer"):
        read_document(scan, tmp_path)
    monkeypatch.setenv("QA_MODEL", "hash:64")
    assert main(["add", str(scan), "--corpus", str(tiny_corpus), "--index", str(tmp_path / "index")]) == 1
    assert "no text layer" in capsys.readouterr().err
    assert not (tiny_corpus / "scan.pdf").exists()


def test_broken_pdf_is_refused(tmp_path):
    (tmp_path / "cut.pdf").write_bytes(bytes(make_pdf(tmp_path / "whole.pdf", PAGES).read_bytes())[:300])
    with pytest.raises(DocumentError, match="cannot be read as a PDF|no text layer"):
        read_document(tmp_path / "cut.pdf", tmp_path)


def test_blank_page_keeps_later_page_numbers(tmp_path):
    doc = read_document(make_pdf(tmp_path / "gap.pdf", [PAGES[0], "", PAGES[2]], title=None, author=None, created=None),
                        tmp_path)
    assert (doc.title, doc.published, doc.published_source) == ("gap", "", "")
    assert doc.pages[1][0] == doc.pages[1][1]  # page 2 has no text
    s, e = doc.pages[2]
    assert doc.body[s:e].startswith("Improvement board")


def test_page_paragraphs_join_wrapped_lines_and_hyphens():
    text = ("The council was told to improve its services within six months of the inspec-\n"
            "tion, and the board will meet at least every four weeks to check the progress.\n"
            "Short last line.\n"
            "Page 3 of 10\n"
            "- A listed point.")
    assert page_paragraphs(text) == [
        "The council was told to improve its services within six months of the inspection, and the board will "
        "meet at least every four weeks to check the progress. Short last line.",
        "A listed point.",
    ]
