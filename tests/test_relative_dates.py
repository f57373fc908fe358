"""Every relative date form the resolver handles, read against real datelines: the day a
paper came out (its weekday as the calendar has it), past tense backwards, plans forwards."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import qa
from qa.ingest.dates import find_dates
from qa.ingest.documents import read_document

NEWSQA = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "newsqa-dev" / "articles"

# Thursday 14 March 2024: a bare weekday is the latest one before it, a plan the next one after.
THURSDAY = "2024-03-14"


def test_the_datelines_are_the_weekdays_the_tests_say():
    assert dt.date(2024, 3, 14).strftime("%A") == "Thursday"
    assert dt.date(2023, 11, 29).strftime("%A") == "Wednesday"
    assert dt.date(2016, 8, 12).strftime("%A") == "Friday"


@pytest.mark.parametrize("sentence, value, future", [
    # A bare weekday in a report: the most recent such day before publication.
    ("The town council confirmed on Wednesday that the library will close.", "2024-03-13", False),
    ("The library will close in June, the town council confirmed on Wednesday.", "2024-03-13", False),
    ("Millbrook library will shut, it was announced on Monday.", "2024-03-11", False),
    ("Plans are set to go ahead after the board voted on Tuesday.", "2024-03-12", False),
    ("The council met on Saturday.", "2024-03-09", False),
    ("The bridge reopened on Thursday.", "2024-03-14", False),  # the paper's own day
    ("It happened last Wednesday.", "2024-03-13", False),
    # A plan points forward.
    ("The town council will meet on Wednesday.", "2024-03-20", True),
    ("The board will be told on Wednesday.", "2024-03-20", True),
    ("On Friday the council will decide.", "2024-03-15", True),
    ("The board meets again next Wednesday.", "2024-03-20", True),
    # Days, weeks, months and years around the dateline.
    ("The council decided yesterday.", "2024-03-13", False),
    ("The council will decide, officials said yesterday.", "2024-03-13", False),
    ("The council decides today.", "2024-03-14", False),
    ("The council decides tomorrow.", "2024-03-15", True),
    ("Inspectors came last week.", "2024-W10", False),
    ("Inspectors came this week.", "2024-W11", False),
    ("Inspectors return next week.", "2024-W12", True),
    ("Caseloads fell last month.", "2024-02", False),
    ("Earlier this month caseloads fell.", "2024-03", False),
    ("The office opens next month.", "2024-04", True),
    ("Caseloads rose last year.", "2023", False),
    ("This year caseloads fell.", "2024", False),
    ("Elections are due next year.", "2025", True),
    # A month or a day without a year: the latest before publication, unless a plan.
    ("Inspectors visited in May.", "2023-05", False),
    ("Inspectors visited in February.", "2024-02", False),
    ("A review is due in May.", "2024-05", True),
    ("The notice was given on March 11.", "2024-03-11", False),
    ("The board will meet on 25 March.", "2024-03-25", True),
])
def test_relative_dates_against_thursday_14_march_2024(sentence, value, future):
    *_, mention = find_dates(sentence, THURSDAY)  # the last date in the sentence
    assert (mention.value, mention.future) == (value, future)
    assert mention.relative


def test_a_plain_text_article_with_a_dateline_dates_its_weekdays_from_it(tmp_path):
    article = tmp_path / "corpus" / "library.txt"
    article.parent.mkdir()
    article.write_text(
        "Millbrook library to close\n\nBy Jane Porter, Millbrook Gazette\nThursday 14 March 2024\n\n"
        "Millbrook library will close in June, the town council confirmed on Wednesday. "
        "The council's cabinet will meet on Wednesday to agree the date.\n", encoding="utf-8")
    doc = read_document(article, article.parent)
    assert (doc.published, doc.published_source) == (THURSDAY, "dateline")
    found = [(m.text, m.value, m.future) for m in find_dates(doc.body, doc.published)]
    assert found == [("June", "2024-06", True), ("Wednesday", "2024-03-13", False),
                     ("Wednesday", "2024-03-20", True)]


def test_the_timeline_places_a_reported_weekday_before_the_article(tmp_path, hash_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "library.md").write_text(
        "---\ntitle: Millbrook library to close\npublisher: Millbrook Gazette\npublished: 2024-03-14\n---\n\n"
        "Millbrook library will close, the town council confirmed on Wednesday.\n", encoding="utf-8")
    qa.build_index(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=hash_embedder)
    entries = qa.timeline(index_dir=tmp_path / "index")
    assert [(e.value, e.kind) for e in entries] == [("2024-03-13", "event"), ("2024-03-14", "published")]
    assert entries[0].label == "13 March 2024"


@pytest.mark.skipif(not NEWSQA.is_dir(), reason="the shared newsqa-dev benchmark is not checked out beside the repository")
@pytest.mark.parametrize("name, expected", [
    # Wednesday 29 November 2023: "A report discussed this week", "Ross Brown, today issued ..."
    ("localgov-2023-11-29-nottingham-section-114-notice.md",
     [("this week", "2023-W48", False), ("today", "2023-11-29", False)]),
    # Monday 30 January 2023: "a meeting of Scotland's 32 council leaders last week"
    ("localgov-2023-01-30-scottish-councils-teacher-cuts.md", [("last week", "2023-W04", False)]),
])
def test_real_articles_relative_dates(name, expected):
    doc = read_document(NEWSQA / name, NEWSQA)
    found = [(m.text, m.value, m.future) for m in find_dates(doc.body, doc.published, doc.published_note) if m.relative]
    assert found == expected
