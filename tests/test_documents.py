"""Reading articles: front matter, plain text with byline and date, HTML, furniture removal."""
from pathlib import Path

import pytest

from qa.ingest.documents import clean_body, load_corpus, read_document
from qa.errors import CorpusError, DocumentError

from conftest import DATA, SEED_CORPUS


def test_seed_markdown_front_matter_is_read():
    doc = read_document(SEED_CORPUS / "cypnow-2018-07-23-wandsworth-out-of-inadequate.md", SEED_CORPUS)
    assert doc.doc_id == "cypnow-2018-07-23-wandsworth-out-of-inadequate"
    assert doc.title == "London borough moves out of 'inadequate' following Ofsted inspection"
    assert doc.publisher == "Children & Young People Now (CYP Now)"
    assert doc.author == "Joe Lepper"
    assert doc.published == "2018-07-23"
    assert doc.url.startswith("https://www.cypnow.co.uk/")
    assert len(doc.sha256) == 64


def test_uncertain_date_keeps_its_note():
    doc = read_document(SEED_CORPUS / "wandsworth-guardian-2016-08-improvement-notice.md", SEED_CORPUS)
    assert doc.published == "2016-08"
    assert "Not stated in the article" in doc.published_note
    assert doc.extra["title_note"].startswith("Taken from the article's web address")


def test_raw_seed_text_is_cleaned_to_the_corpus_body():
    """The committed corpus bodies are exactly what the cleaner makes of the captured pages."""
    raw = read_document(DATA / "raw" / "cypnow-2018-07-23.txt", DATA / "raw")
    corpus = read_document(SEED_CORPUS / "cypnow-2018-07-23-wandsworth-out-of-inadequate.md", SEED_CORPUS)
    assert raw.body == corpus.body
    assert raw.title == corpus.title and raw.author == "Joe Lepper" and raw.published == "2018-07-23"
    assert "Subscribe" not in raw.body and "Digital membership" not in raw.body
    assert "youth contract out to tender" not in raw.body  # the repeated photo caption


def test_comment_rules_trailer_is_removed():
    body = clean_body((DATA / "raw" / "wandsworth-guardian-2016.txt").read_text(encoding="utf-8"))
    assert body.endswith("teenagers at risk of child sexual exploitation.”")
    assert "Our rules" not in body and "Report this comment" not in body


def test_plain_text_first_line_is_headline(tmp_path):
    (tmp_path / "note.txt").write_text("Council opens new park\n\nThe park opened today. It has a pond.\n")
    doc = read_document(tmp_path / "note.txt", tmp_path)
    assert doc.title == "Council opens new park"
    assert doc.body == "The park opened today. It has a pond."
    assert doc.published == "" and doc.author == ""


def test_html_article_is_extracted(tmp_path):
    html = """<html><head><title>Bridge closes for repairs</title>
    <meta property="og:site_name" content="Coast Times"><meta name="author" content="Ann Lee">
    <meta property="article:published_time" content="2021-05-04"></head>
    <body><nav>Home | News | Sport</nav><article><h1>Bridge closes for repairs</h1>
    <p>The old bridge closed on Monday for repairs that will take a year to finish.</p>
    <p>Drivers are asked to use the ring road while engineers replace the cables.</p>
    </article><footer>Copyright</footer></body></html>"""
    (tmp_path / "bridge.html").write_text(html)
    doc = read_document(tmp_path / "bridge.html", tmp_path)
    assert doc.title == "Bridge closes for repairs"
    assert "engineers replace the cables" in doc.body
    assert "Home | News" not in doc.body
    assert doc.published == "2021-05-04"


def test_unusable_files_are_skipped_with_reasons(tmp_corpus_with_problems):
    docs, problems = load_corpus(tmp_corpus_with_problems)
    assert [d.doc_id for d in docs] == ["good"]
    reasons = {Path(p.path).name: p.reason for p in problems}
    assert "empty" in reasons["empty.md"]
    assert "binary" in reasons["blob.txt"]


@pytest.fixture
def tmp_corpus_with_problems(tmp_path):
    (tmp_path / "good.md").write_text("---\ntitle: Good\n---\n\nA real article. It has words.\n")
    (tmp_path / "empty.md").write_text("")
    (tmp_path / "blob.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "notes.docx").write_bytes(b"%PDF")  # not an article type: ignored, not an error
    return tmp_path


def test_missing_corpus_says_what_to_do(tmp_path):
    with pytest.raises(CorpusError, match="does not exist; create it"):
        load_corpus(tmp_path / "nowhere")


def test_unsupported_type_is_refused(tmp_path):
    (tmp_path / "a.docx").write_bytes(b"PK\x03\x04")
    with pytest.raises(DocumentError, match="unsupported type .docx"):
        read_document(tmp_path / "a.docx", tmp_path)


def test_one_reader_table_serves_the_loader_qa_add_uploads_and_messages(tmp_path, monkeypatch):
    """A format added to READERS is read by the corpus loader, passes the checks of `qa add`
    and the web upload, and is named wherever the formats are listed."""
    from qa.ingest import plaintext
    from qa.ingest.documents import load_corpus
    from qa.ingest.readers import READERS, Reader, check_candidate, describe_formats
    from qa.web.uploads import safe_filename

    monkeypatch.setitem(READERS, ".rst", Reader((".rst",), plaintext.read, "headline on the first line"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ferry.rst").write_text("Ferry sinks at dawn\n\nAll forty passengers were rescued by lifeboats.\n")
    documents, problems = load_corpus(corpus)
    assert [d.title for d in documents] == ["Ferry sinks at dawn"] and not problems
    assert check_candidate(corpus / "ferry.rst").title == "Ferry sinks at dawn"
    assert safe_filename("Ferry.RST") == "Ferry.rst"
    assert describe_formats() == ".txt, .md, .html, .pdf or .rst"


@pytest.mark.parametrize("suffix", [".md", ".txt"])
def test_a_text_wrapped_inside_its_sentences_is_read_as_whole_sentences(tmp_path, suffix):
    """Articles written in an editor that wraps at 72 columns: each line broken inside a
    sentence goes on with it, so a quoted answer is the whole sentence, not its first line."""
    head = "---\ntitle: Ferry resumes\npublisher: Harbour Gazette\npublished: 2024-04-02\n---\n\n" if suffix == ".md" \
        else "Ferry resumes\n\n"
    path = tmp_path / f"ferry{suffix}"
    path.write_text(head + "The ferry to the island resumed its crossings on Tuesday after four months of repairs to the\n"
                    "slipway. The operator said the new ramp would let two lorries board at once.\n\n"
                    "By Ann Smith\nHarbour Gazette\n", encoding="utf-8")
    body = read_document(path).body
    assert "repairs to the slipway. The operator" in body
    assert "Ann Smith\n\nHarbour Gazette" in body  # lines that end no sentence but start a new one stay apart
