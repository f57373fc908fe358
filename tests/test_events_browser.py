"""The Timeline tab's events chart and list, driven in headless Chromium over the seed corpus
plus the saved reports of the same story."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import qa

from conftest import launched_app, wandsworth_corpus

pytestmark = pytest.mark.browser

# Where a screenshot of the chart is kept for people to look at: QA_SCREENSHOT_DIR, else the
# test's own temporary folder.
SCREENSHOT_DIR = os.environ.get("QA_SCREENSHOT_DIR")


@pytest.fixture
def events_app(tmp_path, hash_embedder, monkeypatch):
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    from qa.web import ChatService

    corpus = wandsworth_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    qa.build_index(corpus_dir=corpus, index_dir=index, embedder=hash_embedder)
    service = ChatService(corpus_dir=corpus, index_dir=index)
    service.prepare()
    with launched_app(service) as url:
        yield url, service


def test_events_chart_marks_each_event_and_hover_shows_its_sentence_and_sources(events_app, chromium, tmp_path):
    url, service = events_app
    expected = service.events()
    context = chromium.new_context(viewport={"width": 1280, "height": 1400})
    try:
        page = context.new_page()
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_role("tab", name="Timeline").click()
        items = page.locator("#events li.qa-event")
        items.first.wait_for(timeout=30_000)
        page.locator("#events-chart .js-plotly-plot").wait_for(timeout=30_000)
        assert items.count() == len(expected)
        assert items.evaluate_all("els => els.map(e => e.dataset.value)") == [e.value for e in expected]

        # One mark per event (the "happened" and "planned" traces), one grey cross per other date.
        marks = page.evaluate(
            "() => document.querySelector('#events-chart .js-plotly-plot').data"
            ".filter(t => t.mode === 'markers').map(t => [t.name, t.x.length])")
        counted = dict(marks)
        assert counted.get("happened", 0) + counted.get("planned", 0) == len(expected)
        assert counted.get("another source's date", 0) == sum(len(e.conflicts) for e in expected)

        # Each event's sentence has its date marked; the list says who reports each event, and
        # where reports disagree.
        marks = items.evaluate_all("els => els.map(e => e.querySelector('mark').textContent)")
        assert marks == [next(c for c in e.sources if c.sentence == e.text).date.text for e in expected]
        disagreeing = page.locator("#events .qa-event-conflict")
        assert any("January 2016 (Your Local Guardian)" in t and "February 2016" in t
                   for t in disagreeing.all_inner_texts())
        sources = page.locator("#events .qa-event-sources").all_inner_texts()
        assert any("CYP Now, 16 February 2016" in s and " \u00b7 " in s for s in sources)

        # Hovering a mark shows the event's sentence, its sources and what they disagree about.
        past = [e for e in expected if not e.planned]
        disputed = next(e for e in past if e.conflicts)
        happened = page.locator("#events-chart .scatterlayer .trace").filter(
            has=page.locator("path.point")).first.locator("path.point").nth(past.index(disputed))
        happened.scroll_into_view_if_needed()
        box = happened.bounding_box()  # Plotly's drag layer lies over the marks: move the mouse there
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        hover = page.locator("#events-chart .hoverlayer")
        hover.locator("text").first.wait_for(timeout=10_000)
        shown = hover.text_content()
        assert disputed.label in shown and "sources disagree" in shown and "Your Local Guardian" in shown
        shots = Path(SCREENSHOT_DIR) if SCREENSHOT_DIR else tmp_path
        shots.mkdir(parents=True, exist_ok=True)
        page.locator("#events-chart").screenshot(path=str(shots / "timeline-events-chart.png"))
        page.screenshot(path=str(shots / "timeline-events.png"), full_page=False)

        # Filtered by what the events are about.
        page.locator("#events-query textarea, #events-query input").first.fill("improvement notice")
        page.locator("#events-query textarea, #events-query input").first.press("Enter")
        page.wait_for_function(
            "() => { const els = document.querySelectorAll('#events li.qa-event');"
            " return els.length === 1 && els[0].dataset.value === '2016-08-11'; }", timeout=30_000)
        assert "Wandsworth Guardian" in page.locator("#events").inner_text()
    finally:
        context.close()


def test_chat_answers_a_timeline_question_with_the_cited_events(events_app, chromium):
    url, service = events_app
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(url, wait_until="domcontentloaded")
        box = page.locator("#question textarea")
        box.wait_for(timeout=30_000)
        box.fill("timeline of the improvement notice")
        box.press("Enter")
        page.wait_for_function(
            "() => { const b = [...document.querySelectorAll('#answers [data-testid=\"bot\"]')].pop();"
            " return b && b.innerText.includes('Timeline of the improvement notice'); }", timeout=30_000)
        shown = page.locator('#answers [data-testid="bot"]').last.inner_text()
        assert "11 August 2016" in shown and "Wandsworth Guardian, August 2016" in shown
    finally:
        context.close()
    reply = service.reply("What happened to the improvement notice?")
    assert reply.startswith("**Timeline of the improvement notice** (1 event")
    assert "11 August 2016" in reply and "given an improvement notice" in reply
    assert "Wandsworth Guardian, August 2016 \u00b7 CYP Now, 23 July 2018" in reply
    # Nothing dated about it: answered as any other question, not with an empty timeline.
    assert "Timeline of" not in service.reply("what happened to the harbour bridge?")
