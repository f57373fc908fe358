"""The web app under faults and hostile input: a question shown as typed (never as markup),
login attempts limited per client, non-text /chat input refused like the Python API refuses
it, Gradio's upload copies deleted once handled, and a rebuild of a damaged index announced
in the chat. Servers run on 127.0.0.1 inside the tests."""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import TINY_ARTICLES, ask, served_app, write_articles

BRIDGE = "how much did the bridge repairs cost?"


@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    """``serve`` over a tiny corpus (hash embedder), Gradio's upload folder inside the test's."""
    base = tmp_path_factory.mktemp("faults")
    corpus = write_articles(base / "corpus", TINY_ARTICLES)
    with served_app(corpus, base / "index", GRADIO_TEMP_DIR=str(base / "gradio-uploads")) as (url, app):
        yield {"url": url, "port": app.server_port, "base": base, "corpus": corpus}


# --- 5: the question in its bubble is text ------------------------------------------------

@pytest.mark.browser
def test_the_question_is_shown_as_typed_and_fetches_nothing(app_server, chromium):
    port = app_server["port"]
    lure = "http://192.0.2.1/pixel.png"  # never contacted: every request is checked below first
    question = f"<img src={lure}> **what** did the [bridge](http://192.0.2.1/) repairs cost?"
    elsewhere = []

    def only_this_app(route):
        if route.request.url.startswith(f"http://127.0.0.1:{port}/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context = chromium.new_context()
    try:
        context.route("**/*", only_this_app)
        page = context.new_page()
        page.goto(app_server["url"], wait_until="domcontentloaded")
        ask(page, question)
        bubble = page.locator("#answers [data-testid='user']").first
        assert question in bubble.inner_text()
        assert bubble.locator("img, a, strong").count() == 0
        assert elsewhere == []
    finally:
        context.close()


@pytest.mark.browser
def test_an_address_in_a_follow_up_is_shown_as_text_not_as_a_link(app_server, chromium):
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(app_server["url"], wait_until="domcontentloaded")
        ask(page, "when did the harbour bridge reopen?")
        reply = ask(page, "and how much did it cost? see http://192.0.2.1/x or www.example.org")
        line = reply.locator(".qa-query")
        assert "see http://192.0.2.1/x or www.example.org" in line.inner_text()
        assert line.locator("a").count() == 0
    finally:
        context.close()


# --- 8: /chat refuses what is not text ------------------------------------------------------

@pytest.mark.parametrize("value", [None, 5, 2.5, True, [1, 2], ["when?"], {"text": "when?"}, {"a": 1}])
def test_chat_api_refuses_non_text_like_the_python_api(app_server, value):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    import qa
    from qa.errors import QuestionError

    with pytest.raises(QuestionError) as python_api:
        qa.Retriever(index_dir=app_server["base"] / "index").answer(value)
    client = Client(app_server["url"], verbose=False)
    with pytest.raises(AppError) as web_api:
        client.predict(value, api_name="/chat")
    assert str(python_api.value) in str(web_api.value)
    assert str(python_api.value).startswith("the question must be text")
    assert "four million pounds" in client.predict(BRIDGE, api_name="/chat")


# --- 9: Gradio's copies of uploads are deleted -----------------------------------------------

def test_uploaded_files_leave_no_copy_in_gradios_folder(app_server, tmp_path):
    from gradio_client import Client, handle_file

    good = tmp_path / "ferry-news.md"
    good.write_text("---\ntitle: Ferry resumes\n---\n\nThe ferry resumed its crossings on Monday morning.\n")
    refused = tmp_path / "empty-news.md"
    refused.write_text("   \n")
    client = Client(app_server["url"], verbose=False)
    status, _files, _table = client.predict([handle_file(str(good)), handle_file(str(refused))],
                                            api_name="/add_documents")
    assert "**Added** ferry-news.md" in status and "**Not added:** empty-news.md" in status, status
    uploads = app_server["base"] / "gradio-uploads"
    kept = [p.relative_to(uploads).as_posix() for p in uploads.rglob("*") if p.is_file()]
    assert kept == []  # neither the uploads nor an empty temporary file per upload
    assert (app_server["corpus"] / "ferry-news.md").exists()


def test_upload_clean_up_deletes_only_inside_gradios_folder(tmp_path, monkeypatch):
    from qa.web.app import delete_uploaded

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    inside = tmp_path / "gradio" / "0f3a" / "article.md"
    inside.parent.mkdir(parents=True)
    inside.write_text("x")
    outside = tmp_path / "mine.md"
    outside.write_text("x")
    delete_uploaded([str(inside), str(outside), str(tmp_path / "gradio" / ".." / "mine.md"), None])
    assert not inside.exists() and not inside.parent.exists()
    assert outside.exists()


# --- 7: login attempts are limited per client ---------------------------------------------

def test_login_limiter_counts_failures_per_client_within_a_minute():
    from qa.web.login_limit import LoginLimiter

    now = [1000.0]
    limiter = LoginLimiter(max_failures=3, window_s=60, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.wait_time("10.0.0.1") == 0
        assert limiter.try_start("10.0.0.1")
        limiter.finish("10.0.0.1", failed=True)
    assert limiter.wait_time("10.0.0.1") > 0
    assert limiter.wait_time("10.0.0.2") == 0  # another client is not held back
    now[0] += 61
    assert limiter.wait_time("10.0.0.1") == 0
    for _ in range(10):  # successful logins are not counted
        assert limiter.try_start("10.0.0.1")
        limiter.finish("10.0.0.1", failed=False)
    assert limiter.wait_time("10.0.0.1") == 0
    for _ in range(3):  # attempts still being answered are no failures, but a burst cannot slip past:
        assert limiter.try_start("10.0.0.3")
    assert limiter.wait_time("10.0.0.3") == 0 and not limiter.try_start("10.0.0.3")  # it waits for them
    limiter.finish("10.0.0.3", failed=False)
    assert limiter.try_start("10.0.0.3")


def test_the_table_of_addresses_stays_bounded():
    from qa.web.login_limit import LoginLimiter

    limiter = LoginLimiter(max_failures=3, max_clients=100)
    for n in range(5_000):  # a flood of addresses, each failing once
        client = f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"
        assert limiter.try_start(client)
        limiter.finish(client, failed=True)
    assert len(limiter) == 100
    for _ in range(3):  # a client failing now is remembered, whatever the flood
        assert limiter.try_start("192.0.2.1")
        limiter.finish("192.0.2.1", failed=True)
    assert limiter.wait_time("192.0.2.1") > 0 and len(limiter) == 100


def _login(url: str, user: str, password: str, forwarded_for: str = "") -> tuple[int, str]:
    body = urllib.parse.urlencode({"username": user, "password": password}).encode()
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    request = urllib.request.Request(url + "login", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_login_attempts_over_http_are_refused_after_ten_failures_a_minute(tmp_path):
    corpus = write_articles(tmp_path / "corpus", TINY_ARTICLES)
    with served_app(corpus, tmp_path / "index", QA_AUTH="ann:pa:ss") as (url, _):
        for _ in range(3):  # good logins do not use up the allowance
            assert _login(url, "ann", "pa:ss")[0] == 200
        answers = [_login(url, "ann", f"guess{i}") for i in range(10)]
        assert [code for code, _ in answers] == [400] * 10
        code, body = _login(url, "ann", "guess10")
        assert code == 429
        detail = json.loads(body)["detail"]
        assert "Too many failed logins from this address" in detail and "try again in" in detail, detail
        assert _login(url, "ann", "pa:ss")[0] == 429  # refused, even with the right password, for now
        assert _login(url, "ann", "guess11")[0] == 429


def test_a_forged_x_forwarded_for_does_not_escape_the_limit(tmp_path):
    corpus = write_articles(tmp_path / "corpus", TINY_ARTICLES)
    with served_app(corpus, tmp_path / "index", QA_AUTH="ann:pa:ss") as (url, _):
        codes = [_login(url, "ann", f"guess{i}", forwarded_for=f"203.0.113.{i}")[0] for i in range(15)]
    assert codes == [400] * 10 + [429] * 5


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(tmp_path):
    corpus = write_articles(tmp_path / "corpus", TINY_ARTICLES)
    with served_app(corpus, tmp_path / "index", QA_AUTH="ann:pa:ss", QA_TRUSTED_PROXIES="127.0.0.1") as (url, _):
        codes = [_login(url, "ann", f"guess{i}", forwarded_for="203.0.113.5")[0] for i in range(11)]
        assert codes == [400] * 10 + [429]
        assert _login(url, "ann", "guess", forwarded_for="203.0.113.6")[0] == 400  # another client behind it
        # the proxy's own address is not the one counted: it is not held back
        assert _login(url, "ann", "pa:ss")[0] == 200


def test_logins_at_once_are_no_failures(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    corpus = write_articles(tmp_path / "corpus", TINY_ARTICLES)
    with served_app(corpus, tmp_path / "index", QA_AUTH="ann:pa:ss") as (url, _):
        with ThreadPoolExecutor(20) as pool:
            right = list(pool.map(lambda _: _login(url, "ann", "pa:ss")[0], range(20)))
        with ThreadPoolExecutor(20) as pool:
            wrong = list(pool.map(lambda i: _login(url, "ann", f"guess{i}")[0], range(20)))
    assert right == [200] * 20
    assert sorted(wrong) == [400] * 10 + [429] * 10  # a burst still gets no more than ten answers


# --- 10: the chat says why it rebuilds -------------------------------------------------------

@pytest.mark.faiss_file
def test_the_chat_says_it_is_rebuilding_a_damaged_index_and_why(tmp_path, monkeypatch):
    from qa.web import ChatService

    monkeypatch.setenv("QA_MODEL", "hash:64")
    corpus = write_articles(tmp_path / "corpus", TINY_ARTICLES)
    service = ChatService(corpus_dir=corpus, index_dir=tmp_path / "index")
    service.prepare()
    assert "four million pounds" in service.reply(BRIDGE, [])
    vectors = next(Path(service.index_dir).glob("vectors-*.faiss"))
    vectors.write_bytes(vectors.read_bytes()[:-10])  # damaged while the app runs ...
    manifest = Path(service.index_dir) / "manifest.json"
    stamp = manifest.stat().st_mtime_ns + 1_000_000_000
    os.utime(manifest, ns=(stamp, stamp))  # ... and noticed when the index is next read
    with pytest.warns(RuntimeWarning):
        steps = list(service.reply_steps(BRIDGE, []))
    first, last = steps[0], steps[-1]
    assert "Rebuilding the index" in first and "truncated or changed" in first
    assert "four million pounds" not in first  # shown while the rebuild runs, before the answer
    assert "rebuilt" in last and "truncated or changed" in last and "four million pounds" in last
    assert "Rebuilding" not in service.reply(BRIDGE, [])  # once repaired, answers as usual


def test_chat_api_tells_the_asker_about_a_rebuild(app_server):
    from gradio_client import Client

    index = app_server["base"] / "index"
    manifest = index / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"format": "qa-index"', '"format": "other"'))
    reply = Client(app_server["url"], verbose=False).predict(BRIDGE, api_name="/chat")
    assert "rebuilt" in reply and "not a qa index manifest" in reply and "four million pounds" in reply
