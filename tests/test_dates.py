"""Finding date expressions and resolving them against the article's publication date."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

import qa
from qa.answer.compose import DateNote, date_note
from qa.ingest.dates import (
    dates_within,
    find_dates,
    format_date,
    parse_period,
    publication_bound,
    published_between,
)
from qa.ingest.documents import read_document
from qa.records import Hit
from qa.records import DateMention
from qa.records import Source
from conftest import SEED_CORPUS

CYP = SEED_CORPUS / "cypnow-2018-07-23-wandsworth-out-of-inadequate.md"
GUARDIAN = SEED_CORPUS / "wandsworth-guardian-2016-08-improvement-notice.md"


def _mentions(path):
    doc = read_document(path)
    return doc, {m.text: m for m in find_dates(doc.body, doc.published, doc.published_note)}


def test_seed_article_2018_dates_resolve_against_its_publication_date():
    doc, found = _mentions(CYP)
    assert found["May"].value == "2018-05" and found["May"].precision == "month"
    assert found["May"].relative and not found["May"].approximate  # the article is dated to the day
    assert found["December 2015"].value == "2015-12" and not found["December 2015"].relative
    assert found["August 2016"].value == "2016-08" and found["August 2016"].relation == "since"
    assert found["2015"].value == "2015" and found["2015"].precision == "year"
    # Offsets point at the very words in the body.
    m = found["May"]
    assert doc.body[m.start:m.end] == "May"
    assert doc.body[m.start - len("a visit in "):m.end] == "a visit in May"
    # "seven Ofsted monitoring visits", "aged between six and 18" carry no dates.
    assert set(found) == {"May", "December 2015", "2015", "August 2016"}


def test_seed_article_2016_dates_are_approximate_because_its_own_date_is():
    doc, found = _mentions(GUARDIAN)
    assert doc.published == "2016-08" and doc.published_note
    notice = found["August 11"]
    assert (notice.value, notice.precision) == ("2016-08-11", "day")
    assert notice.relative and notice.approximate
    assert (found["February"].value, found["February"].precision) == ("2016-02", "month")
    last_year = found["last year"]
    assert (last_year.value, last_year.precision, last_year.relation) == ("2015", "year", "since")
    assert set(found) == {"August 11", "February", "last year"}


@pytest.mark.parametrize("text, published, expected", [
    ("a visit in May", "2018-07-23", ("May", "2018-05", "month")),
    ("a visit in August", "2018-07-23", ("August", "2017-08", "month")),  # the latest August so far
    ("a visit in July", "2018-07-23", ("July", "2018-07", "month")),
    ("given on August 11.", "2016-08", ("August 11", "2016-08-11", "day")),
    ("on 11th of August, 2016", "2020-01-01", ("11th of August, 2016", "2016-08-11", "day")),
    ("on Thursday 11 August 2016", "2020-01-01", ("Thursday 11 August 2016", "2016-08-11", "day")),
    ("By Sept. 2016 it was done", "2020-01-01", ("Sept. 2016", "2016-09", "month")),
    ("it reopened on Friday.", "2020-03-14", ("Friday", "2020-03-13", "day")),  # 14 March 2020 was a Saturday
    ("it met last Monday", "2018-07-23", ("last Monday", "2018-07-16", "day")),
    ("It was busy last year.", "2018-07-23", ("last year", "2017", "year")),
    ("It opens next month.", "2018-07-23", ("next month", "2018-08", "month")),
    ("he left yesterday", "2018-07-23", ("yesterday", "2018-07-22", "day")),
    ("It will return to normal next week.", "2018-07-23", ("next week", "2018-W31", "week")),
    ("Inspectors came last week.", "2016-08-12", ("last week", "2016-W31", "week")),
    ("Earlier this month it closed.", "2016-08-12", ("this month", "2016-08", "month")),
    ("Elections are due next year.", "2016-08-12", ("next year", "2017", "year")),
    ("The board will meet on August 25.", "2016-08-12", ("August 25", "2016-08-25", "day")),
    ("The board met on August 25.", "2016-08-12", ("August 25", "2015-08-25", "day")),
    ("A review is due in March.", "2016-08-12", ("March", "2017-03", "month")),
    ("plans for mid-2015", "2018-07-23", ("2015", "2015", "year")),
    ("the report of 2016-08-11 said", "", ("2016-08-11", "2016-08-11", "day")),
])
def test_expressions_resolve_with_their_precision(text, published, expected):
    found = find_dates(text, published)
    assert [(m.text, m.value, m.precision) for m in found] == [expected]


@pytest.mark.parametrize("text", [
    "Theresa May said nothing.",  # a name
    "You may go.",  # a verb
    "April Jones said so.",  # a name
    "The 2000 people came.",  # a count
    "Prices rose 2015% and cost £2015.",
    "on Good Friday",
    "in 31 February 2016",
])
def test_words_that_only_look_like_dates_are_not_dates(text):
    assert find_dates(text, "2018-07-23") == []


def test_expressions_needing_a_more_precise_publication_date_are_left_out():
    # A weekday or "yesterday" cannot be placed in an article dated only by month...
    assert find_dates("It opened on Friday, yesterday.", "2016-08") == []
    # ...nor anything relative without a publication date; absolute dates still resolve.
    found = find_dates("In May, and in December 2015.", "")
    assert [(m.text, m.value) for m in found] == [("December 2015", "2015-12")]
    # A month alone in an article dated only by year is kept, marked approximate.
    (may,) = find_dates("a visit in May", "2018")
    assert (may.value, may.approximate) == ("2018-05", True)


def test_dates_within_shift_offsets_into_a_passage():
    text = "First in May. Then in December 2015."
    mentions = find_dates(text, "2018-07-23")
    inside = dates_within(mentions, 14, len(text))
    assert [d.text for d in inside] == ["December 2015"]
    passage = text[14:]
    assert passage[inside[0].start:inside[0].end] == "December 2015"


def test_periods_and_formatting():
    assert parse_period("2016-08").first == dt.date(2016, 8, 1)
    assert parse_period("2016-08").last == dt.date(2016, 8, 31)
    assert parse_period("2016").precision == "year"
    assert parse_period(dt.date(2018, 7, 23)).value == "2018-07-23"
    assert parse_period("2016-13") is None and parse_period("last week") is None
    assert format_date("2016-08-11") == "11 August 2016"
    assert format_date("2018-05") == "May 2018"
    assert format_date("2015") == "2015"


def test_publication_range_compares_partial_dates_sensibly():
    after, before = publication_bound("2016-01-01"), publication_bound("2017", "published_before")
    assert published_between("2016-08", after, before)
    assert not published_between("2018-07-23", after, before)
    assert published_between("2016-08", publication_bound("2016-08-15"), None)  # may be late August
    assert not published_between("2016-08", None, publication_bound("2016-08"))
    assert not published_between("", after, None)  # no date: cannot be said to be in range
    assert publication_bound(dt.date(2016, 8, 1)) == dt.date(2016, 8, 1)
    with pytest.raises(qa.QAError, match="ISO text such as '2016-08-11'"):
        publication_bound("last summer")
    with pytest.raises(ValueError, match="published_before must be a date"):
        publication_bound(2016, "published_before")


def _hit(text, highlight, published, dates, note=""):
    # score: the probability that the sentence answers, which qa.answer.abstention thresholds.
    return Hit(passage_id="d#p0", doc_id="d", text=text, score=1.0,
               source=Source(title="t", publisher="p", published=published, published_note=note),
               start=0, end=len(text), highlight=highlight, dates=dates)


def test_date_note_says_whether_the_date_is_the_events_or_the_reports():
    cyp_doc, _ = _mentions(CYP)
    closed = next(s for s in cyp_doc.body.split("\n\n") if "has been closed" in s)
    dates = find_dates(closed, cyp_doc.published)
    note = date_note(_hit(closed, (0, len(closed)), cyp_doc.published, dates))
    assert note.short == "reported 23 Jul 2018"  # a few words beside the quotation; why, on hover
    assert note.detail.startswith("date: reported 23 July 2018 (the article's publication date;")
    assert "\u201csince August 2016\u201d" in note.detail

    guardian, _ = _mentions(GUARDIAN)
    first = guardian.body.split("\n\n")[0]
    dates = find_dates(first, guardian.published, guardian.published_note)
    note = date_note(_hit(first, (0, len(first)), guardian.published, dates, guardian.published_note))
    assert note.short == "about 11 Aug 2016"
    assert note.detail.startswith("date: about 11 August 2016 (the date of the event, \u201cAugust 11\u201d")
    assert "August 2016, itself not certain" in note.detail

    plain = "The council met."
    assert date_note(_hit(plain, (0, len(plain)), "2018-07-23", [])) == DateNote(
        "reported 23 Jul 2018",
        "date: reported 23 July 2018 (the article's publication date; the sentence gives no date of its own)"
    )
    unknown = date_note(_hit(plain, (0, len(plain)), "", []))
    assert unknown.short == "date not known" and unknown.detail.startswith("date: not known")
    stated = "It was inspected in December 2015."
    dates = find_dates(stated, "2018-07-23")
    assert date_note(_hit(stated, (0, len(stated)), "2018-07-23", dates)) == DateNote(
        "Dec 2015", "date: December 2015 (the date of the event, as stated in the sentence)"
    )


def test_built_passages_store_resolved_dates(seed_corpus, tmp_path, hash_embedder):
    report = qa.build_index(corpus_dir=seed_corpus, index_dir=tmp_path / "index", embedder=hash_embedder)
    assert report.added
    from qa.store import index_files as store

    data = store.load_index(tmp_path / "index")
    assert data.extra["dates"] == qa.ingest.dates.VERSION
    values = {(d.text, d.value) for p in data.passages for d in p.dates}
    assert values == {("May", "2018-05"), ("December 2015", "2015-12"), ("2015", "2015"),
                      ("August 2016", "2016-08"), ("August 11", "2016-08-11"), ("February", "2016-02"),
                      ("last year", "2015")}
    for p in data.passages:
        for d in p.dates:
            assert p.text[d.start:d.end] == d.text
    # Every hit carries the dates of its passage, with offsets in the hit's text.
    hits = qa.Retriever(index_dir=tmp_path / "index", embedder=hash_embedder).retrieve("improvement notice", k=5)
    dated = [h for h in hits if h.dates]
    assert dated
    for h in dated:
        assert all(isinstance(d, DateMention) and h.text[d.start:d.end] == d.text for d in h.dates)
        assert json.loads(json.dumps(h.to_dict()))["dates"] == [d.to_dict() for d in h.dates]


def test_an_index_built_before_dates_is_rebuilt_in_full(seed_corpus, tmp_path, hash_embedder):

    index = tmp_path / "index"
    qa.build_index(corpus_dir=seed_corpus, index_dir=index, embedder=hash_embedder)
    manifest_path = index / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["dates"]  # as written before passages stored dates
    manifest_path.write_text(json.dumps(manifest))
    report = qa.build_index(corpus_dir=seed_corpus, index_dir=index, embedder=hash_embedder)
    assert report.full_rebuild and "date" in report.reason
    assert qa.build_index(corpus_dir=seed_corpus, index_dir=index, embedder=hash_embedder).changed is False


def test_retrieve_filters_by_publication_date(seed_corpus, tmp_path, hash_embedder):
    qa.build_index(corpus_dir=seed_corpus, index_dir=tmp_path / "index", embedder=hash_embedder)
    r = qa.Retriever(index_dir=tmp_path / "index", embedder=hash_embedder)
    both = {h.doc_id for h in r.retrieve("improvement notice", k=8)}
    assert len(both) == 2
    later = r.retrieve("improvement notice", k=8, published_after="2017")
    assert later and {h.doc_id for h in later} == {"cypnow-2018-07-23-wandsworth-out-of-inadequate"}
    earlier = r.retrieve("improvement notice", k=8, published_after=dt.date(2016, 1, 1), published_before="2017")
    assert earlier and {h.doc_id for h in earlier} == {"wandsworth-guardian-2016-08-improvement-notice"}
    assert r.retrieve("improvement notice", published_after="2019") == []
    with pytest.raises(qa.QAError, match="must be earlier than published_before"):
        r.retrieve("improvement notice", published_after="2018", published_before="2017")
    with pytest.raises(ValueError, match="published_after must be a date"):
        r.retrieve("improvement notice", published_after="soon")


def test_import_qa_does_not_load_dateparser():
    code = "import sys, qa, qa.ingest.dates; print('dateparser' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_answer_to_a_when_question_states_the_date_beside_the_quote():
    from qa.answer.compose import compose_answer

    sentence = "Wandsworth Council has been given an improvement notice given on August 11."
    dates = find_dates(sentence, "2016-08", "not stated in the article")
    hit = _hit(sentence, (0, len(sentence)), "2016-08", dates, note="not stated in the article")
    when = compose_answer("when was the notice given?", [hit], confidence=0.9, threshold=0.5)
    assert when.text == f"\u201c{sentence}\u201d [1] \u2014 about 11 Aug 2016"
    what = compose_answer("what was the council given?", [hit], confidence=0.9, threshold=0.5)
    assert what.text == f"\u201c{sentence}\u201d [1]"


@pytest.mark.integration
def test_chat_answer_says_the_closure_is_dated_only_by_the_report(real_retriever):
    answer = real_retriever.answer("When was the improvement notice closed?")
    assert answer.found and "has been closed following Ofsted's latest visit" in answer.text
    assert answer.text.endswith("\u2014 reported 23 Jul 2018")
    assert date_note(answer.citations[0]).detail == (
        "date: reported 23 July 2018 (the article's publication date; "
        "the sentence dates the event only as \u201csince August 2016\u201d)"
    )


def test_weekday_of_the_publication_day_is_that_day():
    from qa.ingest.dates import find_dates

    # 13 March 2020 was a Friday: "on Friday" in that day's paper is the same day, "on Monday" the 9th.
    found = {d.text: d.value for d in find_dates("It reopened on Friday after closing on Monday.", "2020-03-13")}
    assert found == {"Friday": "2020-03-13", "Monday": "2020-03-09"}


def test_a_plan_is_marked_future_and_a_week_is_a_period():
    [plan] = find_dates("The board will meet on August 25.", "2016-08-12")
    [past] = find_dates("The board met on August 11.", "2016-08-12")
    assert plan.future and not past.future
    week = parse_period("2016-W31")
    assert (week.precision, week.first, week.last) == ("week", dt.date(2016, 8, 1), dt.date(2016, 8, 7))
    assert format_date("2016-W31") == "the week of 1 August 2016"
    assert parse_period("2016-W54") is None
    # Without a publication date a plan's "August 25" cannot be placed either.
    assert find_dates("The board will meet on August 25.", "") == []


def test_dates_that_name_their_year_are_read_without_dateparser(monkeypatch):
    """Loading dateparser takes ~0.4 s of a process's first date: a date that names its year
    is read without it, to the values dateparser gives (checked over 793 dates of the seed,
    newsqa-dev, squad-dev and SciFact texts when this was written)."""
    from qa.ingest import dates

    def refused(*args, **kwargs):
        raise AssertionError("dateparser was asked")

    monkeypatch.setattr(dates, "_parser", refused)
    text = ("Issued on Friday, 12th of August, 2016, closed on July 23rd, 2018 (2018-07-23); reviewed in "
            "Sept. 2019 and in 2020. It never met on 31 February 2016.")
    found = [(m.text, m.value, m.precision) for m in dates.find_dates(text, "2021-01-04")]
    assert found == [("Friday, 12th of August, 2016", "2016-08-12", "day"), ("July 23rd, 2018", "2018-07-23", "day"),
                     ("2018-07-23", "2018-07-23", "day"), ("Sept. 2019", "2019-09", "month"),
                     ("2020", "2020", "year")]
