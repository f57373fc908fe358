"""The Timeline tab, driven in headless Chromium against the seed corpus."""
from __future__ import annotations


import pytest

import qa

from conftest import launched_app

pytestmark = pytest.mark.browser

GUARDIAN = "wandsworth-guardian-2016-08-improvement-notice"


@pytest.fixture
def timeline_app(seed_corpus, tmp_path, hash_embedder, monkeypatch):
    """The web app over the seed corpus, indexed with the hashing embedder (no torch)."""
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    from qa.web import ChatService

    index = tmp_path / "index"
    qa.build_index(corpus_dir=seed_corpus, index_dir=index, embedder=hash_embedder)
    service = ChatService(corpus_dir=seed_corpus, index_dir=index)
    service.prepare()
    with launched_app(service) as url:
        yield url


def test_timeline_tab_lists_dated_sentences_in_order_and_filters_by_article(timeline_app, chromium):
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(timeline_app, wait_until="domcontentloaded")
        page.get_by_role("tab", name="Timeline").click()
        entries = page.locator("#timeline li.qa-timeline-entry")
        entries.first.wait_for(timeout=30_000)
        values = entries.evaluate_all("els => els.map(e => e.dataset.value)")
        assert values == ["2015", "2015", "2015-12", "2016-02", "2016-08", "2016-08-11", "2016-08",
                          "2018-05", "2018-07-23"]
        december = entries.nth(2)
        assert december.locator("mark").inner_text() == "December 2015"
        assert "graded them as" in december.inner_text()
        assert "Children & Young People Now" in december.inner_text()
        assert december.locator("a").get_attribute("href").startswith("https://www.cypnow.co.uk/")
        last = entries.last
        assert "Article published" in last.inner_text() and "23 July 2018" in last.inner_text()

        # Only the Wandsworth Guardian article.
        page.locator("#timeline-filter input").click()
        page.get_by_role("option", name="Wandsworth Council put on notice").click()
        page.wait_for_function(
            "() => { const els = [...document.querySelectorAll('#timeline li.qa-timeline-entry')];"
            " return els.length === 4 && els.every(e => e.dataset.doc === '%s'); }" % GUARDIAN,
            timeout=30_000,
        )
        assert "about 11 August 2016" in page.locator("#timeline").inner_text()
    finally:
        context.close()


def test_about_narrows_every_dated_sentence_like_the_events(timeline_app, chromium):
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(timeline_app, wait_until="domcontentloaded")
        page.get_by_role("tab", name="Timeline").click()
        entries = page.locator("#timeline li.qa-timeline-entry")
        entries.first.wait_for(timeout=30_000)
        assert entries.count() == 9
        box = page.locator("#events-query textarea, #events-query input").first
        box.fill("improvement notice")
        box.press("Enter")
        page.wait_for_function("() => document.querySelectorAll('#timeline li.qa-timeline-entry').length === 4",
                               timeout=30_000)
        assert page.locator("#events li.qa-event").count() == 1
        dated = page.locator("#timeline li.qa-timeline-entry[data-kind='event']")
        # The two sentences that date the notice (given on August 11; in place since August 2016),
        # then the two articles' publications; nothing about care leavers or caseloads.
        assert dated.evaluate_all("els => els.map(e => e.dataset.value)") == ["2016-08", "2016-08-11"]
        assert all("improvement notice" in t for t in dated.all_inner_texts())
        box.fill("ferry timetable")
        box.press("Enter")
        page.locator("#timeline .qa-timeline-empty").wait_for(timeout=30_000)
        assert page.locator("#timeline").inner_text() == "No dated sentences about \u201cferry timetable\u201d."
    finally:
        context.close()


def test_a_single_event_keeps_a_readable_date_axis(tmp_path, hash_embedder, chromium, monkeypatch):
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    from qa.web import ChatService

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notice.md").write_text(
        "---\ntitle: Council put on notice\npublisher: Wandsworth Guardian\npublished: 2016-08-12\n---\n\n"
        "The council was given an improvement notice on August 10.\n", encoding="utf-8")
    qa.build_index(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=hash_embedder)
    service = ChatService(corpus_dir=corpus, index_dir=tmp_path / "index")
    service.prepare()
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        with launched_app(service) as url:
            page = context.new_page()
            page.goto(url, wait_until="domcontentloaded")
            page.get_by_role("tab", name="Timeline").click()
            ticks = page.locator("#events-chart .xtick text")
            ticks.first.wait_for(timeout=30_000)
            labels = ticks.all_text_contents()  # SVG text: no inner text
            page.screenshot(path=str(tmp_path / "single-event.png"), full_page=True)
            # Days and months, never clock times ("23:59:59.999") around the one date.
            assert len(labels) >= 2 and not any(":" in label or "." in label for label in labels), labels
            assert any("2016" in label for label in labels), labels
    finally:
        context.close()
