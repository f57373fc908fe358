"""Syndicated copies: one story printed by two papers ranks once, with "also in"; editing
or removing either copy keeps the index right."""
from __future__ import annotations

import shutil

import pytest

import qa
from qa.cli import main
from qa.ingest.documents import read_document
from qa.ingest.syndication import THRESHOLD, group_copies, overlap, shingles
from qa.web import render_answer

from conftest import SEED_CORPUS

GUARDIAN = "wandsworth-guardian-2016-08-improvement-notice.md"
CYPNOW = "cypnow-2018-07-23-wandsworth-out-of-inadequate.md"
QUESTION = "how often must the improvement board meet?"


def sister_paper_copy() -> str:
    """The seed Guardian article as a sister title would print it (made up): its own
    headline, date and address, a local line added, the last two paragraphs cut."""
    body = read_document(SEED_CORPUS / GUARDIAN, SEED_CORPUS).body
    paragraphs = body.split("\n\n")
    kept = paragraphs[:-2] + ["Parents in Putney said they hoped the board would act quickly."]
    front = ('---\ntitle: "Council given improvement notice over children\'s services"\n'
             "publisher: Putney Weekly\npublished: 2016-08-12\n"
             "url: https://example.org/putney-weekly/improvement-notice\n---\n\n")
    return front + "\n\n".join(kept) + "\n"


@pytest.fixture
def story(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in (GUARDIAN, CYPNOW):
        shutil.copy(SEED_CORPUS / name, corpus / name)
    (corpus / "ylg-improvement-notice.md").write_text(sister_paper_copy(), encoding="utf-8")
    return corpus


def build(corpus, index, embedder):
    report = qa.build_index(corpus, index, embedder=embedder)
    return report, qa.Retriever(index_dir=index, embedder=embedder)


def test_a_syndicated_pair_ranks_as_one_source_with_also_in(story, tmp_path, hash_embedder):
    report, retriever = build(story, tmp_path / "index", hash_embedder)
    assert report.copies == [("ylg-improvement-notice.md", GUARDIAN)]
    assert sorted(retriever.data.documents) == sorted([GUARDIAN[:-3], CYPNOW[:-3]])
    hits = retriever.retrieve(QUESTION, k=5)
    assert "ylg-improvement-notice" not in {h.doc_id for h in hits}
    top = [h for h in hits if h.doc_id == GUARDIAN[:-3]][0]
    assert [copy.citation() for copy in top.also_published] == [{
        "title": "Council given improvement notice over children's services", "publisher": "Putney Weekly",
        "published": "2016-08-12", "url": "https://example.org/putney-weekly/improvement-notice"}]
    assert top.to_dict()["also_published"] == [copy.citation() for copy in top.also_published]
    page = render_answer(retriever.answer(QUESTION, k=3))
    assert 'also in: <a href="https://example.org/putney-weekly/improvement-notice"' in page
    assert "Putney Weekly</a> (12 August 2016)" in page


def test_cli_citation_lists_the_copy(story, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QA_MODEL", "hash:64")
    assert main(["index", "--corpus", str(story), "--index", str(tmp_path / "index")]) == 0
    out = capsys.readouterr().out
    assert f"copy      ylg-improvement-notice.md: the same story as {GUARDIAN}" in out
    assert main(["ask", QUESTION, "--index", str(tmp_path / "index"), "-k", "5"]) == 0
    out = capsys.readouterr().out
    assert ("also in: Putney Weekly, 2016-08-12, https://example.org/putney-weekly/improvement-notice"
            in out)


def test_editing_or_removing_either_copy_keeps_the_index_right(story, tmp_path, hash_embedder):
    index = tmp_path / "index"
    build(story, index, hash_embedder)
    copy = story / "ylg-improvement-notice.md"
    # The copy rewritten into another story: both are indexed, the list of copies empties.
    copy.write_text("---\ntitle: Putney bridge closes\npublisher: Putney Weekly\n---\n\n"
                    "Putney bridge will close for three weeks of repairs to its road surface from Monday.\n",
                    encoding="utf-8")
    report, retriever = build(story, index, hash_embedder)
    assert report.added == ["ylg-improvement-notice"] and report.relisted == [GUARDIAN[:-3]]
    assert retriever.data.documents[GUARDIAN[:-3]].also_published == ()
    # A copy again, then the canonical article removed: the copy takes its place.
    copy.write_text(sister_paper_copy(), encoding="utf-8")
    report, retriever = build(story, index, hash_embedder)
    assert report.removed == ["ylg-improvement-notice"] and report.relisted == [GUARDIAN[:-3]]
    (story / GUARDIAN).unlink()
    report, retriever = build(story, index, hash_embedder)
    assert report.added == ["ylg-improvement-notice"] and report.removed == [GUARDIAN[:-3]]
    hit = retriever.retrieve(QUESTION, k=1)[0]
    assert hit.doc_id == "ylg-improvement-notice" and hit.also_published == ()
    # And removing the copy instead leaves the canonical article with no copies.
    shutil.copy(SEED_CORPUS / GUARDIAN, story / GUARDIAN)
    copy.unlink()
    report, retriever = build(story, index, hash_embedder)
    assert report.added == [GUARDIAN[:-3]] and report.removed == ["ylg-improvement-notice"]
    assert retriever.data.documents[GUARDIAN[:-3]].also_published == ()


def test_two_reports_of_one_story_are_not_copies():
    bodies = [read_document(SEED_CORPUS / name, SEED_CORPUS).body for name in (GUARDIAN, CYPNOW)]
    assert overlap(shingles(bodies[0]), shingles(bodies[1])) < 0.05 < THRESHOLD
    assert [(g.canonical, g.copies) for g in group_copies(bodies + [sister_paper_copy()])] == [(0, [2]), (1, [])]


def exact_copy(publisher: str, published: str = "2016-08-12") -> str:
    """The seed Guardian article saved again under another front matter, the body unchanged."""
    body = read_document(SEED_CORPUS / GUARDIAN, SEED_CORPUS).body
    return (f"---\ntitle: \"Wandsworth Council put on notice\"\npublisher: {publisher}\npublished: {published}\n---\n\n"
            f"{body}\n")


def test_the_same_text_from_another_publisher_is_a_copy_cited_as_also_in(tmp_path, hash_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED_CORPUS / GUARDIAN, corpus / GUARDIAN)
    (corpus / "ylg-notice.md").write_text(exact_copy("Your Local Guardian"), encoding="utf-8")
    report, retriever = build(corpus, tmp_path / "index", hash_embedder)
    assert report.skipped == []
    assert report.copies == [("ylg-notice.md", GUARDIAN)]
    hit = retriever.retrieve(QUESTION, k=1)[0]
    assert hit.doc_id == GUARDIAN[:-3]
    assert [(c.publisher, c.published) for c in hit.also_published] == [("Your Local Guardian", "2016-08-12")]
    page = render_answer(retriever.answer(QUESTION, k=1))
    assert "also in: Your Local Guardian (12 August 2016)" in page


def test_the_same_text_from_the_same_publisher_is_a_duplicate(tmp_path, hash_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED_CORPUS / GUARDIAN, corpus / GUARDIAN)
    # Saved again with its publisher spelt with "The" and another case: still the same paper.
    (corpus / "zz-saved-again.md").write_text(exact_copy("the wandsworth guardian"), encoding="utf-8")
    report, retriever = build(corpus, tmp_path / "index", hash_embedder)
    assert report.skipped == [("zz-saved-again.md", f"same text and publisher as {GUARDIAN}; not indexed twice")]
    assert report.copies == []
    assert retriever.retrieve(QUESTION, k=1)[0].also_published == ()
