"""Crafted PDFs (written here, byte by byte) cost only themselves: each is skipped with its
reason, the rest of the corpus is indexed, questions are answered and ``qa add`` refuses it
in one line. Found by trying the product as an attacker would: before, one such file in the
corpus stopped every build and the web app's start."""
from __future__ import annotations

import time
import zlib

import pytest

import qa
from qa.cli import main
from qa.errors import DocumentError
from qa.ingest.documents import read_document

TEXT = b"BT /F1 12 Tf 72 720 Td (The council closed the library in May.) Tj ET"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
PAGE = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>")


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF of numbered object bodies (1 the catalogue, 2 the page tree), with its xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def stream(data: bytes, flate: bool = False) -> bytes:
    if flate:
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def one_page_pdf(content: bytes, flate: bool = False, copies: int = 1) -> bytes:
    """One page (listed ``copies`` times in the page tree) showing ``content``."""
    kids = b" ".join([b"3 0 R"] * copies)
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                    b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % copies,
                    PAGE, stream(content, flate), FONT])


def nested_arrays() -> bytes:
    """50,000 nested '[' before the text: a parser that recurses runs out of stack."""
    return one_page_pdf(b"[" * 50_000 + b"\n" + TEXT)


def inflation_bomb() -> bytes:
    """~100 KB that inflates to 100 MB, past the PDF library's limit."""
    squeeze = zlib.compressobj(9)
    data = squeeze.compress(TEXT + b"\n%")
    for _ in range(100):
        data += squeeze.compress(b" " * (1 << 20))
    return one_page_pdf(data + squeeze.flush(), flate=True)


def wide_page_tree() -> bytes:
    """One page listed 100,000 times."""
    return one_page_pdf(TEXT, copies=100_000)


def deep_page_tree(levels: int = 9, fanout: int = 10) -> bytes:
    """Shared branches: 10^9 pages from under 2 KB."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", PAGE, stream(TEXT), FONT]
    child, count = b"3 0 R", 1
    for _ in range(levels - 1):
        count *= fanout
        objects.append(b"<< /Type /Pages /Kids [" + b" ".join([child] * fanout) + b"] /Count %d >>" % count)
        child = b"%d 0 R" % len(objects)
    objects[1] = b"<< /Type /Pages /Kids [" + b" ".join([child] * fanout) + b"] /Count %d >>" % (count * fanout)
    return raw_pdf(objects)


CRAFTED = {
    "nested": (nested_arrays, "nests too deeply"),
    "bomb": (inflation_bomb, "LimitReachedError"),
    "wide": (wide_page_tree, "more than 2,000 pages"),
    "deep": (deep_page_tree, "more than 2,000 pages"),
}


def test_a_plain_pdf_written_the_same_way_is_read(tmp_path):
    (tmp_path / "plain.pdf").write_bytes(one_page_pdf(TEXT))
    assert read_document(tmp_path / "plain.pdf", tmp_path).body == "The council closed the library in May."


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_pdf_is_refused_quickly_with_its_reason(tmp_path, name):
    make, reason = CRAFTED[name]
    (tmp_path / f"{name}.pdf").write_bytes(make())
    started = time.perf_counter()
    with pytest.raises(DocumentError, match=reason):
        read_document(tmp_path / f"{name}.pdf", tmp_path)
    assert time.perf_counter() - started < 20  # a bound on the damage, not a benchmark


def test_crafted_pdfs_in_the_corpus_are_skipped_and_the_rest_is_indexed(tmp_path, tiny_corpus, monkeypatch, capsys):
    for name, (make, _) in CRAFTED.items():
        (tiny_corpus / f"{name}.pdf").write_bytes(make())
    monkeypatch.setenv("QA_MODEL", "hash:64")
    index = tmp_path / "index"
    assert main(["index", "--corpus", str(tiny_corpus), "--index", str(index)]) == 0
    out = capsys.readouterr().out
    for name in CRAFTED:
        assert f"skipped   {name}.pdf" in out
    assert "added     harbour" in out and "added     library" in out
    hits = qa.retrieve("when did the harbour bridge reopen?", corpus_dir=tiny_corpus, index_dir=index)
    assert hits and hits[0].doc_id == "harbour"


def test_qa_add_refuses_a_crafted_pdf_in_one_line(tmp_path, tiny_corpus, monkeypatch, capsys):
    monkeypatch.setenv("QA_MODEL", "hash:64")
    (tmp_path / "nested.pdf").write_bytes(nested_arrays())
    assert main(["add", str(tmp_path / "nested.pdf"), "--corpus", str(tiny_corpus),
                 "--index", str(tmp_path / "index")]) == 1
    err = capsys.readouterr().err
    assert "nests too deeply" in err and "Traceback" not in err and len(err.splitlines()) <= 3
    assert not (tiny_corpus / "nested.pdf").exists()


def many_passages() -> bytes:
    """One page of five short sentences, listed 1,500 times: under 10 KB, 3,000 passages."""
    return one_page_pdf(b"BT /F1 12 Tf 72 720 Td (Boats left. Nets dried. Gulls cried. Rain fell. Bells rang.) Tj ET",
                        copies=1_500)


def test_a_pdf_of_thousands_of_passages_is_skipped_with_its_reason(tmp_path, tiny_corpus, monkeypatch, capsys):
    monkeypatch.setenv("QA_MODEL", "hash:64")
    (tiny_corpus / "repeated.pdf").write_bytes(many_passages())
    index = tmp_path / "index"
    assert main(["index", "--corpus", str(tiny_corpus), "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert ("skipped   repeated.pdf: makes 3,000 passages, over the 2,000 limit for one article (a long feature "
            "makes a few hundred); split it into separate articles") in out
    assert "2 added" in out and "1 skipped" in out
    assert sorted(qa.Retriever(index_dir=index).data.documents) == ["harbour", "library"]
    # qa add refuses it the same way and keeps nothing
    (tiny_corpus / "repeated.pdf").unlink()
    (tmp_path / "again.pdf").write_bytes(many_passages())
    assert main(["add", str(tmp_path / "again.pdf"), "--corpus", str(tiny_corpus), "--index", str(index)]) == 1
    assert f"not added {tmp_path / 'again.pdf'}: makes 3,000 passages" in capsys.readouterr().out
    assert not (tiny_corpus / "again.pdf").exists()
