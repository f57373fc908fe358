"""The web chat: reply rendering and uploads in-process, then the real app in headless Chromium.

The browser tests start ``python app.py`` once for the module, on a free port, over a
temporary copy of the seed corpus indexed with the real model, and share one Chromium.
"""
from __future__ import annotations

import html

import os
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.request

import pytest

from conftest import ROOT, SEED_CORPUS, ask, free_port, run_store_uri, wait_for_reply
from qa.answer.compose import Answer
from qa.records import Hit
from qa.records import SOURCE_FIELDS, Source
from qa.web import (
    ChatService,
    UploadError,
    escape_text,
    format_date,
    render_answer,
    safe_filename,
    safe_url,
    store_upload,
)

EXAMPLE = "When was the improvement notice closed?"
CLOSED = "this has been closed following Ofsted's latest visit"
CYP_NOW = "Children & Young People Now (CYP Now)"

BRIDGE = textwrap.dedent("""\
    Kingsport harbour bridge reopens after cable repairs
    Jane Smith
    Friday, March 13, 2020

    The Kingsport harbour bridge reopened to traffic on Friday after six months of repairs to its corroded suspension cables.

    Engineers replaced all 48 cables at a cost of £4 million, the county council said.

    Ferry operators, who carried commuters across the harbour while the bridge was shut, will return to their normal timetable next week.
    """)


def make_hit(**overrides) -> Hit:
    text = "First sentence here. The notice was closed in July 2018. Last one."
    fields = dict(passage_id="a#p0", doc_id="a", text=text, score=0.61, title="Headline",
                  publisher="Publisher", published="2018-07-23", url="https://example.org/a",
                  start=0, end=len(text), highlight=(21, 56))
    fields.update(overrides)
    source = Source(**{name: fields.pop(name) for name in SOURCE_FIELDS if name in fields})
    return Hit(source=source, **fields)


# --- rendering -----------------------------------------------------------------------------

def test_reply_opens_with_the_quoted_answer_then_numbered_sources():
    hit = make_hit()
    reply = render_answer(Answer(question="q", found=True, text=f"\u201c{hit.highlight_text}\u201d [1]",
                                 citations=[hit, make_hit(title="Second", score=0.4)], query="q"))
    # The marker reads as "[1]" in plain Markdown (the /chat API), not as an entity.
    assert reply.index("\u201cThe notice was closed in July 2018.\u201d [1]") < reply.index("Sources")
    assert "&#91;1&#93;" not in reply
    assert "**[1] Headline**" in reply and "**[2] Second**" in reply
    assert "<mark>The notice was closed in July 2018.</mark>" in reply
    # relevance: the probability that the source's sentence answers (its score), sources in its order
    assert "Publisher · 23 July 2018" in reply and "relevance 0.61" in reply and "relevance 0.40" in reply
    assert reply.index("relevance 0.61") < reply.index("relevance 0.40")
    assert '<a href="https://example.org/a"' in reply and ">example.org</a>" in reply
    assert "follow-up" not in reply


def test_only_a_source_whose_sentence_is_the_answer_is_highlighted():
    answer_hit = make_hit()
    overlapping = make_hit(passage_id="a#p1", title="Same article, next passage")  # the same sentence
    other = make_hit(doc_id="b", title="Council spokesman", text="A spokesman said it was welcome. More.",
                     highlight=(0, 32))
    found = render_answer(Answer(question="q", found=True, text=f"\u201c{answer_hit.highlight_text}\u201d [1]",
                                 citations=[answer_hit, overlapping, other], query="q"))
    assert found.count("<mark>The notice was closed in July 2018.</mark>") == 2
    assert "<mark>A spokesman" not in found
    assert '<span class="qa-closest" title="the closest sentence in this source; not the answer">' \
           "A spokesman said it was welcome.</span>" in found
    # When nothing answers, no sentence is shown as the answer.
    refused = render_answer(Answer(question="q", found=False, text="The documents do not answer this question.",
                                   citations=[answer_hit, other], query="q"))
    assert "<mark>" not in refused and refused.count('class="qa-closest"') == 2


def test_the_date_note_is_short_with_its_detail_on_hover():
    from qa.answer.compose import date_note

    text = "The notice was closed."
    hit = make_hit(text=text, highlight=(0, len(text)))
    answer = Answer(question="when was the notice closed?", found=True,
                    text=f"\u201c{text}\u201d [1] \u2014 {date_note(hit)}", citations=[hit])
    short = render_answer(answer).split("</div>")[0]
    assert short.endswith(
        '\u201cThe notice was closed.\u201d [1] <span class="qa-date-note" title="date: reported 23 July 2018 '
        "(the article&#x27;s publication date; the sentence gives no date of its own)\">\u2014 reported 23 Jul 2018</span>")


def test_the_web_docs_name_every_format_the_documents_tab_takes():
    from qa.ingest.readers import FORMATS

    documents_tab = (ROOT / "docs" / "web.md").read_text().split("The **Documents** tab")[1].split("\n\n")[0]
    for reader in FORMATS:
        assert f"`{reader.suffixes[0]}`" in documents_tab


def test_reply_for_a_follow_up_says_what_was_searched():
    reply = render_answer(Answer(question="and when?", found=True, text="\u201cX.\u201d [1]",
                                 citations=[make_hit()], query="and when? notice closed"))
    assert "searched for: \u201cand when? notice closed\u201d" in html.unescape(reply)


def test_an_address_the_asker_typed_stays_text_in_the_follow_up_line():
    question = "and when? see http://192.0.2.1/x or www.example.org [here](http://192.0.2.1/)"
    reply = render_answer(Answer(question=question, found=True, text="\u201cX.\u201d [1]",
                                 citations=[make_hit()], query=f"{question} notice closed"))
    line = next(line for line in reply.splitlines() if "searched for" in line)
    assert "http://" not in line and "www." not in line and "](" not in line  # nothing a renderer could link
    assert f"\u201c{question} notice closed\u201d" in html.unescape(line)


def test_reply_when_nothing_answers_says_so_and_keeps_the_passages_folded_away():
    reply = render_answer(Answer(question="q", found=False, text="The documents do not answer this question.",
                                 citations=[make_hit()], query="q"))
    assert reply.startswith('<div class="qa-short"><strong>The documents do not answer this question.')
    assert "<details>" in reply and "Sources" not in reply


def test_reply_when_no_sentence_is_sure_enough_says_how_sure_the_closest_is():
    from qa.answer.compose import NOT_SURE

    reply = render_answer(Answer(question="q", found=False, text=NOT_SURE, citations=[make_hit()], query="q",
                                 confidence=0.35, reason="the best sentence answers with probability 0.35",
                                 unsure=True))
    assert reply.startswith(f'<div class="qa-short"><strong>{NOT_SURE}')
    assert "<details><summary>The closest passages (the first answers with probability 0.35, too low to quote)" in reply
    assert "<mark>" not in reply and 'class="qa-closest"' in reply  # shown, not claimed as the answer


def test_only_the_answer_marker_is_left_unescaped():
    text = "The fund [1] costs *£5m*."
    hit = make_hit(text=text, highlight=(0, len(text)))
    reply = render_answer(Answer(question="q", found=True, text=f"\u201c{text}\u201d [1] \u2014 date: [x](y)",
                                 citations=[hit]))
    short = reply.split("</div>")[0]
    assert short.endswith("\u201cThe fund &#91;1&#93; costs &#42;£5m&#42;.\u201d [1] \u2014 date: &#91;x&#93;(y)")
    # an answer text that does not quote the first citation is escaped whole
    other = render_answer(Answer(question="q", found=True, text="[1] other", citations=[hit]))
    assert other.startswith('<div class="qa-short">&#91;1&#93; other')


def test_article_markup_is_shown_as_text():
    text = 'Intro <script>alert(1)</script>. [click](javascript:alert(2)) is *bold* <img src=x onerror=alert(3)>.'
    hit = make_hit(title="<b>Title</b> [x](javascript:y)", publisher="<i>Pub</i>", text=text,
                   highlight=(0, len(text)), url="javascript:alert(4)")
    reply = render_answer(Answer(question="q", found=True, text="\u201c<script>\u201d [1]", citations=[hit]))
    for raw in ("<script>", "<img", "<b>", "<i>", "](javascript", "javascript:alert(4)", "*bold*"):
        assert raw not in reply
    assert "&lt;script&gt;" in reply and "&lt;b&gt;Title&lt;/b&gt;" in reply


def test_escape_text_neutralises_markdown_block_syntax():
    assert escape_text("# Heading") == "&#35; Heading"
    assert escape_text("- item\n2016. Then") == "&#45; item\n2016&#46; Then"
    assert escape_text("costs $5 and $6 | `code` ~x~ _y_ \\") == \
        "costs &#36;5 and &#36;6 &#124; &#96;code&#96; &#126;x&#126; &#95;y&#95; &#92;"


@pytest.mark.parametrize("url, expected", [
    ("https://example.org/a?b=c", "https://example.org/a?b=c"),
    ("http://example.org", "http://example.org"),
    ("javascript:alert(1)", None), ("data:text/html,<b>", None), ("ftp://example.org", None),
    ("https://", None), ("//example.org/x", None), ('https://e.org/"onmouseover=x', None), ("", None),
])
def test_only_http_links_are_linked(url, expected):
    assert safe_url(url) == expected


def test_dates_read_as_people_write_them():
    assert format_date("2018-07-23") == "23 July 2018"
    assert format_date("2016-08") == "August 2016"
    assert format_date("2016-08", note="not stated") == "August 2016 (date not stated in the article)"
    assert format_date("2016") == "2016" and format_date("") == "date unknown"
    assert format_date("2018-13-45") == "2018-13-45"


# --- uploads ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("article.md", "article.md"),
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\windows\\evil.HTML", "evil.html"),
    ("My Article (final).md", "My-Article-final.md"),
    (".hidden.md", "hidden.md"),
    ("....md", "article.md"),
    ("README.md", "readme-article.md"),
])
def test_upload_names_are_sanitised_to_a_plain_basename(name, expected):
    assert safe_filename(name) == expected


@pytest.mark.parametrize("name", ["notes.docx", "archive.tar.gz", "noext", "evil.md.exe", ""])
def test_uploads_of_other_types_are_refused(name):
    with pytest.raises(UploadError, match="not a .txt, .md, .html or .pdf file"):
        safe_filename(name)


def test_store_upload_checks_size_content_and_clashes(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    uploads = tmp_path / "uploads"
    uploads.mkdir()

    big = uploads / "big.txt"
    big.write_text("Headline\n\n" + "word " * 1_100_000)
    with pytest.raises(UploadError, match="up to 5 MB"):
        store_upload(big, corpus)

    empty = uploads / "empty.md"
    empty.write_text("   \n")
    with pytest.raises(UploadError, match="empty.md is empty"):
        store_upload(empty, corpus)

    binary = uploads / "photo.txt"
    binary.write_bytes(b"\x89PNG\x00\x00\x00binary")
    with pytest.raises(UploadError, match="binary"):
        store_upload(binary, corpus)

    good = uploads / "../uploads/Bridge News.txt"
    good.write_text(BRIDGE)
    stored = store_upload(good, corpus)
    assert stored == corpus / "Bridge-News.txt" and stored.read_text() == BRIDGE
    assert sorted(p.name for p in corpus.iterdir()) == ["Bridge-News.txt"]  # no staging leftovers

    with pytest.raises(FileExistsError, match="already in the corpus"):
        store_upload(good, corpus)
    good.write_text(BRIDGE + "\nA correction.\n")
    with pytest.raises(UploadError, match="already has a different Bridge-News.txt"):
        store_upload(good, corpus)
    assert stored.read_text() == BRIDGE
    assert not any(p.name.startswith(".") for p in corpus.iterdir())


def test_service_adds_uploads_and_lists_documents(tiny_corpus, tmp_path, hash_embedder):
    import qa

    # Updates keep the index's model: "hash:64" here, so no real model is loaded.
    qa.build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    service = ChatService(corpus_dir=tiny_corpus, index_dir=tmp_path / "index")
    service.prepare()
    upload = tmp_path / "kingsport.txt"
    upload.write_text(BRIDGE)
    bad = tmp_path / "notes.docx"
    bad.write_text("x")
    duplicate = tmp_path / "copy-of-harbour.md"
    duplicate.write_text((tiny_corpus / "harbour.md").read_text())
    seen = []

    report = service.add_files([str(upload), str(bad), str(duplicate)], progress=lambda *a: seen.append(a))
    assert "**Added** kingsport.txt: \u201cKingsport harbour bridge reopens after cable repairs\u201d" in report
    assert "**Not added:** 'notes.docx' is not a .txt, .md, .html or .pdf file" in report
    assert "**Not added:** copy-of-harbour.md: same text and publisher as harbour.md" in report
    assert not (tiny_corpus / "copy-of-harbour.md").exists()  # the corpus stays as the index describes it
    assert seen and seen[-1][0] == seen[-1][1]
    rows = {row[4]: row for row in service.documents()}
    assert set(rows) == {"harbour.md", "library.md", "kingsport.txt"}
    assert rows["kingsport.txt"][:3] == ["Kingsport harbour bridge reopens after cable repairs", "", "2020-03-13"]
    assert rows["kingsport.txt"][3] >= 1
    answer = service.answer("which ferry operators carried Kingsport commuters?")
    assert answer.citations[0].doc_id == "kingsport"
    assert service.add_files([]) == "Choose one or more articles (.txt, .md, .html or .pdf) first."


def test_an_upload_whose_index_update_fails_leaves_the_corpus_as_it_was(tiny_corpus, tmp_path, hash_embedder,
                                                                         monkeypatch):
    import qa
    from qa.errors import IndexLockedError

    qa.build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    service = ChatService(corpus_dir=tiny_corpus, index_dir=tmp_path / "index")
    service.prepare()

    def locked(**kwargs):
        raise IndexLockedError("another `qa index` is updating the index; wait for it to finish and try again")

    monkeypatch.setattr("qa.store.build.build_index", locked)
    upload = tmp_path / "kingsport.txt"
    upload.write_text(BRIDGE)
    report = service.add_files([str(upload)])
    assert report.startswith("- **Not added:** kingsport.txt: the index could not be updated: another &#96;qa index&#96;")
    assert report.endswith("nothing was changed: the corpus and the index are as they were")
    assert sorted(p.name for p in tiny_corpus.iterdir()) == ["harbour.md", "library.md"]


# --- the real app in a browser -----------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``python app.py --port N`` over a copy of the seed corpus (real model), closed at the end."""
    base = tmp_path_factory.mktemp("web")
    corpus = base / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    port = free_port()
    env = dict(os.environ, QA_CORPUS_DIR=str(corpus), QA_INDEX_DIR=str(base / "index"),
               GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1")
    if run_store_uri(base):
        env["QA_VECTOR_STORE"] = run_store_uri(base)
    log = open(base / "server.log", "w+")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)], cwd=base, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"app.py exited with {proc.returncode}:\n{log.read()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"app.py did not answer on {url} within 180 s:\n{log.read()}")
            time.sleep(0.5)
        yield {"url": url, "corpus": corpus, "base": base}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def page(chromium, server):
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.goto(server["url"], wait_until="domcontentloaded")
    try:
        yield page
    finally:
        context.close()


@pytest.mark.browser
def test_example_question_shows_the_cyp_now_passage_highlighted(page, server):
    page.get_by_role("button", name=EXAMPLE).click()  # the example on the page
    reply = wait_for_reply(page, 0)
    text = reply.inner_text()
    short = text.split("Sources")[0]
    assert short.lstrip().startswith("\u201cWandsworth had been subject to")
    assert CLOSED in short and "[1]" in short
    first = text.split("Sources")[1].split("[2]")[0]
    assert "[1] London borough moves out of 'inadequate' following Ofsted inspection" in first
    assert CYP_NOW in first and "23 July 2018" in first and "relevance" in first
    marks = reply.locator("mark")
    assert CLOSED in marks.first.inner_text()
    link = reply.locator("a", has_text="cypnow.co.uk").first
    assert link.get_attribute("href").startswith("https://www.cypnow.co.uk/")
    page.screenshot(path=str(server["base"] / "chat.png"))


@pytest.mark.browser
def test_follow_up_is_read_with_the_previous_question(page):
    ask(page, "When was the improvement notice issued?")
    reply = ask(page, "and when was it closed?")
    text = reply.inner_text()
    assert "Read as a follow-up" in text and "improvement notice" in text and "notice issued" not in text
    assert CLOSED in reply.locator("mark").first.inner_text()
    assert CLOSED in text.split("Sources")[0]


@pytest.mark.browser
def test_an_uploaded_article_is_indexed_listed_and_answers(page, server, tmp_path):
    upload = tmp_path / "Kingsport Bridge.txt"
    upload.write_text(BRIDGE)
    page.get_by_role("tab", name="Documents").click()
    table = page.locator("#documents-table")
    table.get_by_text("Wandsworth Guardian").first.wait_for(timeout=30_000)
    page.locator("#upload input[type=file]").set_input_files(str(upload))
    page.locator("#upload").get_by_text("Kingsport Bridge.txt").wait_for(timeout=60_000)  # gradio uploads it first
    page.get_by_role("button", name="Add to the index").click()
    status = page.locator("#upload-status")
    status.get_by_text("Index updated").wait_for(timeout=60_000)
    assert "Added Kingsport-Bridge.txt: \u201cKingsport harbour bridge reopens after cable repairs\u201d" in status.inner_text()
    assert (server["corpus"] / "Kingsport-Bridge.txt").read_text() == BRIDGE
    row = table.get_by_role("row").filter(has_text="Kingsport harbour bridge reopens")
    assert "2020-03-13" in row.inner_text() and "Kingsport-Bridge.txt" in row.inner_text()

    page.get_by_role("tab", name="Chat").click()
    reply = ask(page, "When did the Kingsport harbour bridge reopen?")
    assert "reopened to traffic on Friday" in reply.locator("mark").first.inner_text()
    assert "[1] Kingsport harbour bridge reopens after cable repairs" in reply.inner_text()
    assert "13 March 2020" in reply.inner_text()


@pytest.mark.browser
def test_the_chat_is_callable_from_gradio_client(server):
    from gradio_client import Client

    client = Client(server["url"], verbose=False)
    reply = client.predict(EXAMPLE, api_name="/chat")
    assert isinstance(reply, str)
    assert CLOSED in reply and "<mark>" in reply and CYP_NOW.replace("&", "&amp;") in reply
    assert "\u201d [1]" in reply and "&#91;1&#93;" not in reply  # plain Markdown marker


@pytest.mark.browser
def test_the_server_prints_its_address_and_no_public_link_hint(server):
    deadline = time.monotonic() + 30  # the server answers a moment before it prints its address
    while "Running on" not in (log := (server["base"] / "server.log").read_text()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert f"Running on {server['url'].rstrip('/')}" in log
    assert "share=True" not in log and "public link" not in log
    # A first start says what it is doing, step by step, the index build with its progress.
    steps = [f"[1/3] Preparing the index of {server['corpus']} in {server['base'] / 'index'}",
             f"No index of {server['corpus']} yet: building one in {server['base'] / 'index'}",
             "embedding:", "Index ready in", "[2/3] 2 articles, 23 passages indexed; loading the model",
             "[3/3] Starting the web server", "Running on"]
    positions = [log.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), log


@pytest.mark.browser
def test_the_answer_alone_is_highlighted_and_its_date_note_is_short(page, server):
    reply = ask(page, EXAMPLE)
    marks = reply.locator("mark").all_inner_texts()
    assert marks and all(CLOSED in m for m in marks)  # yellow only where the sentence is the answer
    closest = reply.locator(".qa-closest")
    assert closest.count() >= 1 and all(CLOSED not in t for t in closest.all_inner_texts())
    assert closest.first.evaluate("e => getComputedStyle(e).backgroundColor") == "rgba(0, 0, 0, 0)"
    note = reply.locator(".qa-short .qa-date-note")
    assert note.inner_text() == "\u2014 reported 23 Jul 2018"
    assert note.get_attribute("title").startswith("date: reported 23 July 2018 (the article's publication date;")
    page.screenshot(path=str(server["base"] / "answer.png"))


@pytest.mark.browser
def test_an_empty_question_is_refused_at_the_box_and_the_chat_fits_its_replies(page):
    page.get_by_role("button", name=EXAMPLE).wait_for()  # the page is ready to take questions
    box = page.locator("#question textarea")
    box.fill("   ")
    box.press("Enter")
    page.locator("#question textarea[placeholder='Type a question about the articles first.']").wait_for(timeout=5_000)
    box.fill("")
    page.locator("#question button").last.click()  # the send button
    page.wait_for_timeout(1_000)  # what Gradio would have added by now: a user bubble, a reply
    assert page.locator("#answers [data-testid='user']").count() == 0
    assert page.locator("#answers [data-testid='bot']").count() == 0
    ask(page, "What is the population of Wandsworth?")  # a short reply: the documents do not say
    chat = page.locator("#answers").bounding_box()
    question = page.locator("#question").bounding_box()
    assert chat["height"] < 420  # as tall as its messages, not 65% of the window
    assert 0 <= question["y"] - (chat["y"] + chat["height"]) < 40  # the question box right under it
