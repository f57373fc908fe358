"""Events: dated sentences grouped into happenings, with every source and the dates sources disagree on."""
from __future__ import annotations

import json

import pytest

import qa
from qa.chronology.dated_clauses import kinds_of
from qa.chronology.events import byline, conflicts_line, event_dict, events_topic, sources_line
from qa.records import Source

from conftest import wandsworth_corpus, write_articles

# Made-up reports of one made-up story: a bridge inspected, closed, and a planned meeting.
BRIDGE = {
    "coast-times.md": """\
        ---
        title: Harbour bridge closed after inspection
        publisher: Coast Times
        published: 2021-03-12
        url: https://example.org/coast/bridge-closed
        ---

        Engineers inspected the Harbour Bridge in Porthaven on 2 March 2021 and found corroded cables.

        Porthaven Council closed the Harbour Bridge on 5 March 2021 after the inspection.

        The council's transport committee will meet on March 25 to decide on repairs.
        """,
    "inland-post.md": """\
        ---
        title: Porthaven bridge shut
        publisher: Inland Post
        published: 2021-03-20
        url: https://example.org/inland/bridge-shut
        ---

        Porthaven Council closed the Harbour Bridge in March 2021 after engineers found corroded cables.

        The Harbour Bridge was last repainted in 2009.
        """,
    "valley-news.md": """\
        ---
        title: Bridge closure questioned
        publisher: Valley News
        published: 2021-05-02
        url: https://example.org/valley/bridge-questioned
        ---

        Residents said that in April 2021 Porthaven Council shut the Harbour Bridge to traffic, weeks later than reported.
        """,
    "undated-leaflet.md": """\
        ---
        title: Residents' leaflet on the bridge
        publisher: Porthaven Residents
        ---

        The leaflet says the bridge was shut in March and that councillors meet next week.

        Repair work on the crossing began on 1 June 2021.
        """,
}


@pytest.fixture
def bridge_index(tmp_path, hash_embedder):
    corpus = write_articles(tmp_path / "corpus", BRIDGE)
    index = tmp_path / "index"
    qa.build_index(corpus_dir=corpus, index_dir=index, embedder=hash_embedder)
    from qa.store.index_files import load_index

    # Four reports in their own words: none is taken for another's syndicated copy.
    assert {p.doc_id for p in load_index(index).passages} == {name[:-3] for name in BRIDGE}
    return index


def _closure(found):
    [closure] = [e for e in found if "closed" in e.kinds]
    return closure


def test_reports_of_one_happening_are_one_event_with_every_source(bridge_index):
    found = qa.events(index_dir=bridge_index)
    closure = _closure(found)
    assert closure.value == "2021-03-05"  # as precise as the sources allow
    assert closure.label == "5 March 2021"
    assert {c.source.publisher for c in closure.sources} == {"Coast Times", "Inland Post"}
    assert sources_line(closure) == "Coast Times, 12 March 2021 \u00b7 Inland Post, 20 March 2021"
    # The inspection three days before is another happening, not a source of the closure.
    inspection = [e for e in found if "inspected" in e.kinds and e.value == "2021-03-02"]
    assert len(inspection) == 1 and inspection[0] is not closure
    for c in closure.sources:
        assert c.sentence[c.date.start:c.date.end] == c.date.text
        assert c.passage_id and c.doc_id
    json.dumps([event_dict(e) for e in found])  # plain data for the page


def test_a_date_that_cannot_agree_is_a_conflict_not_another_event(bridge_index):
    closure = _closure(qa.events(index_dir=bridge_index))
    [april] = closure.conflicts
    assert april.value == "2021-04" and [c.source.publisher for c in april.sources] == ["Valley News"]
    assert conflicts_line(closure) == (
        "sources disagree: 5 March 2021 (Coast Times, Inland Post) \u00b7 April 2021 (Valley News)")


def test_a_plan_is_placed_in_the_future_of_its_article_and_marked(bridge_index):
    found = qa.events(index_dir=bridge_index)
    [meeting] = [e for e in found if "met" in e.kinds]
    assert meeting.value == "2021-03-25" and meeting.tense == "future" and meeting.planned
    assert found.index(meeting) > found.index(_closure(found))  # oldest first


def test_an_article_without_a_publication_date_gives_only_its_full_dates(bridge_index):
    found = qa.events(index_dir=bridge_index)
    leaflet = [c for e in found for c in e.sources + [s for k in e.conflicts for s in k.sources]
               if c.doc_id == "undated-leaflet"]
    # "in March" and "next week" cannot be placed without the leaflet's date: left out;
    # "1 June 2021" can.
    assert [(c.date.text, c.date.value) for c in leaflet] == [("1 June 2021", "2021-06-01")]
    [repairs] = [e for e in found if e.value == "2021-06-01"]
    assert sources_line(repairs) == "Porthaven Residents, date not known"
    assert byline(Source(publisher="Porthaven Residents")) == "Porthaven Residents, date not known"


def test_query_keeps_the_events_about_it_and_doc_id_those_an_article_reports(bridge_index):
    about = qa.events(index_dir=bridge_index, query="transport committee")
    assert [e.value for e in about] == ["2021-03-25"]
    inland = qa.events(index_dir=bridge_index, doc_id="inland-post")
    assert "2021-03-05" in [e.value for e in inland]
    assert all(any(c.doc_id == "inland-post" for c in e.sources + [s for k in e.conflicts for s in k.sources])
               for e in inland)
    with pytest.raises(qa.QAError, match="no article 'nope'"):
        qa.events(index_dir=bridge_index, doc_id="nope")
    with pytest.raises(qa.QAError, match="no words to look for"):
        qa.events(index_dir=bridge_index, query="the of")


def test_what_a_clause_reports_and_which_chat_messages_ask_for_events():
    assert kinds_of("rated inadequate in January 2016") == {"rated"}
    assert "issued" not in kinds_of("children's services were praised")  # "services" is not "served"
    assert events_topic("timeline of the improvement notice") == "the improvement notice"
    assert events_topic("What happened to the improvement notice?") == "the improvement notice"
    assert events_topic("when was the improvement notice closed?") is None


# --- the done-when: the seed corpus plus real reports of the same story --------------------

@pytest.fixture
def wandsworth_index(tmp_path, hash_embedder):
    corpus = wandsworth_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    qa.build_index(corpus_dir=corpus, index_dir=index, embedder=hash_embedder)
    return index


def _check_wandsworth(found):
    late_2015 = [e for e in found if e.value in ("2015-11/2015-12", "2015-12") and "inspected" in e.kinds]
    assert late_2015, [(e.value, e.kinds) for e in found]
    assert any(len(e.publishers()) >= 2 for e in late_2015), [(e.value, e.publishers()) for e in late_2015]
    disagreements = [e for e in found if e.conflicts]
    lines = [conflicts_line(e) for e in disagreements]
    assert any("January 2016 (Your Local Guardian)" in line and "February 2016 (" in line and "CYP Now" in line
               for line in lines), lines


def test_wandsworth_late_2015_inspection_is_one_event_and_the_rating_dates_disagree(wandsworth_index):
    _check_wandsworth(qa.events(index_dir=wandsworth_index))


@pytest.mark.integration
def test_wandsworth_with_the_real_model(tmp_path):
    corpus = wandsworth_corpus(tmp_path / "corpus")
    qa.build_index(corpus_dir=corpus, index_dir=tmp_path / "index")
    found = qa.events(index_dir=tmp_path / "index")
    _check_wandsworth(found)
    notice = qa.events(index_dir=tmp_path / "index", query="improvement notice")
    assert [e.value for e in notice] == ["2016-08-11"]
    assert notice[0].publishers() == ["Wandsworth Guardian", "CYP Now"]


def test_the_chart_draws_one_mark_per_event_and_plans_apart(bridge_index):
    from qa.web.events_view import PLANNED_COLOUR, events_figure

    found = qa.events(index_dir=bridge_index)
    traces = {t.name: t for t in events_figure(found).data if t.mode == "markers"}
    assert len(traces["happened"].x) + len(traces["planned"].x) == len(found)
    planned = traces["planned"]
    assert planned.marker.symbol == "diamond-open" and planned.marker.color == PLANNED_COLOUR
    assert [str(x) for x in planned.x] == ["2021-03-25"]
    assert "(planned)" in planned.customdata[0] and "Coast Times, 12 March 2021" in planned.customdata[0]
    assert len(traces["another source's date"].x) == 1  # Valley News's April


def test_an_updated_index_gives_its_own_events(tmp_path, hash_embedder):
    from qa.chronology.events import events_of
    from qa.store.index_files import load_index

    corpus = write_articles(tmp_path / "corpus", {"coast-times.md": BRIDGE["coast-times.md"]})
    index = tmp_path / "index"
    qa.build_index(corpus_dir=corpus, index_dir=index, embedder=hash_embedder)
    data = load_index(index)
    before = events_of(data)
    assert events_of(data) == before  # asked again (a filter change): the same events
    write_articles(corpus, {"valley-news.md": BRIDGE["valley-news.md"]})
    qa.build_index(corpus_dir=corpus, index_dir=index, embedder=hash_embedder)
    after = events_of(load_index(index))
    assert _closure(after).conflicts and not _closure(before).conflicts


def test_a_syndicated_copy_is_named_among_the_sources(tmp_path, hash_embedder):
    copy = BRIDGE["inland-post.md"].replace("publisher: Inland Post", "publisher: Hill Courier").replace(
        "published: 2021-03-20", "published: 2021-03-21").replace("bridge-shut", "bridge-copy") + \
        "\n        Drivers face a long detour.\n"  # a paragraph of its own: a copy, not the same text
    corpus = write_articles(tmp_path / "corpus", {"coast-times.md": BRIDGE["coast-times.md"],
                                                  "inland-post.md": BRIDGE["inland-post.md"], "hill-courier.md": copy})
    qa.build_index(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=hash_embedder)
    closure = _closure(qa.events(index_dir=tmp_path / "index"))
    assert sources_line(closure) == (
        "Coast Times, 12 March 2021 \u00b7 Inland Post, 20 March 2021 \u00b7 Hill Courier, 21 March 2021")


def test_the_chart_axis_of_one_dated_event_spans_weeks_not_milliseconds(tmp_path, hash_embedder):
    import datetime as dt

    from qa.web.events_view import MIN_AXIS_DAYS, events_figure

    corpus = write_articles(tmp_path / "corpus", {"notice.md": (
        "---\ntitle: Council put on notice\npublisher: Wandsworth Guardian\npublished: 2016-08-12\n---\n\n"
        "The council was given an improvement notice on August 10.\n")})
    qa.build_index(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=hash_embedder)
    [event] = qa.events(index_dir=tmp_path / "index")
    first, last = (dt.date.fromisoformat(x) for x in events_figure([event]).layout.xaxis.range)
    assert first < dt.date(2016, 8, 10) < last and (last - first).days >= MIN_AXIS_DAYS
