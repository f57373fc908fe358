"""The timeline across articles: dated sentences in date order, each cited."""
from __future__ import annotations

import json

import pytest

import qa

CYP = "cypnow-2018-07-23-wandsworth-out-of-inadequate"
GUARDIAN = "wandsworth-guardian-2016-08-improvement-notice"


@pytest.fixture
def seed_index(seed_corpus, tmp_path, hash_embedder):
    index = tmp_path / "index"
    qa.build_index(corpus_dir=seed_corpus, index_dir=index, embedder=hash_embedder)
    return index


def test_seed_timeline_runs_from_the_2015_inspection_to_the_2018_report(seed_index):
    entries = qa.timeline(index_dir=seed_index)
    assert [(e.value, e.kind, e.doc_id) for e in entries] == [
        ("2015", "event", CYP),  # "during their 2015 visit"
        ("2015", "event", GUARDIAN),  # "Since last year's Ofsted inspection" (approximate)
        ("2015-12", "event", CYP),  # "graded them as “inadequate” overall in December 2015"
        ("2016-02", "event", GUARDIAN),  # "a February ruling by Ofsted"
        ("2016-08", "event", CYP),  # "improvement notice since August 2016"
        ("2016-08-11", "event", GUARDIAN),  # "given on August 11"
        ("2016-08", "published", GUARDIAN),  # a month-dated article after what it reports that month
        ("2018-05", "event", CYP),  # "Following a visit in May"
        ("2018-07-23", "published", CYP),
    ]
    first, december, last = entries[0], entries[2], entries[-1]
    assert "2015 visit" in first.text and "inadequate" in first.text
    assert "overall in December 2015" in december.text
    assert december.text[december.date_start:december.date_end] == "December 2015"
    assert last.kind == "published" and last.label == "23 July 2018"
    assert last.text == "London borough moves out of 'inadequate' following Ofsted inspection"


def test_every_entry_is_cited_and_points_into_its_article(seed_index, seed_corpus):
    from qa.ingest.documents import load_corpus

    bodies = {d.doc_id: d.body for d in load_corpus(seed_corpus)[0]}
    for e in qa.timeline(index_dir=seed_index):
        assert e.title and e.publisher and e.url.startswith("https://") and e.published
        assert e.publisher in e.citation() and e.url in e.citation()
        if e.kind == "event":
            assert bodies[e.doc_id][e.start:e.end] == e.text
            assert e.text[e.date_start:e.date_end] == e.date_text
        json.dumps(e.to_dict())  # plain data, ready for the web page or --json


def test_labels_are_honest_about_uncertain_dates(seed_index):
    by_text = {(e.doc_id, e.date_text): e for e in qa.timeline(index_dir=seed_index)}
    assert by_text[(GUARDIAN, "August 11")].label == "about 11 August 2016"
    assert by_text[(GUARDIAN, "last year")].label == "since about 2015"
    assert by_text[(CYP, "August 2016")].label == "since August 2016"
    assert by_text[(CYP, "May")].label == "May 2018"  # relative, but the article is dated to the day
    published = by_text[(GUARDIAN, "")]
    assert published.approximate and published.label == "about August 2016"


def test_timeline_of_one_document(seed_index):
    entries = qa.timeline(index_dir=seed_index, doc_id=GUARDIAN)
    assert {e.doc_id for e in entries} == {GUARDIAN}
    assert [e.value for e in entries] == ["2015", "2016-02", "2016-08-11", "2016-08"]
    assert all(e.kind == "event" for e in qa.timeline(index_dir=seed_index, doc_id=GUARDIAN,
                                                       include_published=False))
    with pytest.raises(qa.QAError, match="no article 'nope'.*choose one of: " + CYP):
        qa.timeline(index_dir=seed_index, doc_id="nope")


def test_an_index_without_dates_says_to_update_it(seed_index):
    manifest_path = seed_index / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["dates"]
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(qa.IndexMismatchError, match="run `qa index`"):
        qa.timeline(index_dir=seed_index)


def test_missing_index_says_how_to_build_it(tmp_path):
    with pytest.raises(qa.IndexNotFoundError, match="qa index"):
        qa.timeline(index_dir=tmp_path / "nowhere")
