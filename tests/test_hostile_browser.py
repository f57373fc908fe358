"""Hostile content in an article (script tags, onerror images, javascript: links, in its
headline and body) shows as inert text in a real browser: in the chat, the documents
list and the timeline. One app server and one browser for the module."""
from __future__ import annotations

import contextlib

import pytest

from conftest import TINY_ARTICLES, served_app, write_articles

pytestmark = pytest.mark.browser


SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
MD_LINK = "[click here](javascript:window.__pwned=1)"
A_LINK = '<a href="javascript:window.__pwned=1">this link</a>'
HOSTILE = {
    # "[...](...)" in the title is not valid YAML: the fields are read line by line.
    "hostile.md": f"""\
        ---
        title: {SCRIPT} Budget {IMG} vote {MD_LINK}
        publisher: <b onmouseover="window.__pwned=1">Evil Times</b>
        published: 2021-03-04
        url: javascript:window.__pwned=1
        ---

        The council budget was approved on 2 March 2021 {SCRIPT} after a long debate.

        Residents can read the budget {IMG} online. Also {MD_LINK} and {A_LINK} appear in the text.
        """,
}

# Anything from the article that became live markup rather than text.
LIVE_MARKUP = """() => {
  const all = [...document.querySelectorAll('*')];
  return {
    pwned: typeof window.__pwned !== 'undefined',
    scripts: [...document.scripts].filter(s => s.textContent.includes('__pwned')).length,
    // event handlers built from the article; its text inside an ordinary attribute (aria-label) is fine
    handlers: all.flatMap(e => [...e.attributes].filter(a => a.name.startsWith('on') && a.value.includes('__pwned'))
                                                 .map(a => `${e.tagName} ${a.name}`)),
    jsLinks: all.flatMap(e => [...e.attributes].filter(a => ['href', 'src', 'action', 'formaction', 'xlink:href'].includes(a.name)
                                                       && a.value.trim().toLowerCase().startsWith('javascript:'))).length,
  };
}"""


@pytest.fixture(scope="module")
def page(tmp_path_factory, chromium):
    import textwrap

    base = tmp_path_factory.mktemp("hostile")
    corpus = write_articles(base / "corpus", TINY_ARTICLES)
    (corpus / "hostile.md").write_text(textwrap.dedent(HOSTILE["hostile.md"]))
    with served_app(corpus, base / "index") as (url, _), contextlib.closing(chromium.new_context()) as context:
        page = context.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(url, wait_until="domcontentloaded")
        page.dialogs = dialogs
        yield page


def assert_inert(page):
    found = page.evaluate(LIVE_MARKUP)
    assert found == {"pwned": False, "scripts": 0, "handlers": [], "jsLinks": 0}
    assert page.dialogs == []


def test_chat_shows_hostile_passage_and_citation_as_text(page):
    box = page.locator("#question textarea")
    box.wait_for(timeout=30_000)
    box.fill("When was the council budget approved after the debate?")
    box.press("Enter")
    reply = page.locator('#answers [data-testid="bot"]').last
    reply.wait_for(timeout=30_000)
    page.wait_for_function(
        "() => { const b = [...document.querySelectorAll('#answers [data-testid=\"bot\"]')].pop();"
        " return b && b.innerText.includes('long debate'); }", timeout=30_000)
    page.wait_for_timeout(500)  # let any onerror handler fire, were an image live
    text = reply.inner_text()
    for literal in (SCRIPT, IMG, "[click here](javascript:window.__pwned=1)", A_LINK):
        assert literal in text, literal
    assert "Budget" in text and "Evil Times" in text
    assert_inert(page)


def test_documents_list_shows_hostile_headline_as_text(page):
    page.get_by_role("tab", name="Documents").click()
    table = page.locator("#documents-table")
    page.wait_for_function(
        "() => { const t = document.querySelector('#documents-table'); return t && t.innerText.includes('Budget'); }",
        timeout=30_000)
    text = table.inner_text()
    assert SCRIPT in text and IMG in text and '<b onmouseover="window.__pwned=1">Evil Times</b>' in text
    assert_inert(page)


def test_timeline_shows_hostile_sentences_as_text(page):
    page.get_by_role("tab", name="Timeline").click()
    page.wait_for_function(
        "() => { const t = document.querySelector('#timeline'); return t && t.innerText.includes('long debate'); }",
        timeout=30_000)
    text = page.locator("#timeline").inner_text()
    assert SCRIPT in text and "Budget" in text
    page.locator("#timeline-filter input").click()
    page.get_by_role("option", name="Budget").first.wait_for(timeout=10_000)
    assert_inert(page)
