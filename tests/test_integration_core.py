"""The core with the real all-MiniLM-L6-v2 on the seed articles."""
import pytest

from qa.cli import main

pytestmark = pytest.mark.integration


def test_improvement_notice_closed_is_answered_from_cyp_now(real_retriever):
    hits = real_retriever.retrieve("when was the improvement notice closed?", k=5)
    top = hits[0]
    assert "this has been closed following Ofsted's latest visit" in top.text
    assert top.publisher == "Children & Young People Now (CYP Now)" and top.published == "2018-07-23"
    assert top.url.startswith("https://www.cypnow.co.uk/")
    assert "this has been closed following Ofsted's latest visit" in top.highlight_text
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_cli_ask_marks_the_closing_sentence(real_index, capsys):
    assert main(["ask", "when was the improvement notice closed?", "--index", str(real_index), "-k", "3"]) == 0
    out = capsys.readouterr().out
    first = out.split("[2]")[0]
    assert "[1] London borough moves out of 'inadequate' following Ofsted inspection" in first
    assert "Children & Young People Now (CYP Now), by Joe Lepper, 2018-07-23" in first
    marked = first.split(">>>")[1].split("<<<")[0]
    assert "closed following Ofsted's latest visit" in " ".join(marked.split())


def test_hit_offsets_point_into_the_article(real_retriever):
    import qa
    from conftest import SEED_CORPUS

    for hit in real_retriever.retrieve("who praised the council's leadership?", k=3):
        doc = qa.read_document(SEED_CORPUS / f"{hit.doc_id}.md", SEED_CORPUS)
        assert doc.body[hit.start:hit.end] == hit.text
