"""A slow server costs only its own fetch: a page has a whole-fetch deadline (not only one
per read), a feed run a deadline and an item cap, and the fetching happens outside the lock
that takes updates one at a time, so uploads and questions go on meanwhile. The slow
servers run on 127.0.0.1 inside the tests; the deadlines are made small for them."""
from __future__ import annotations

import threading
import time

import pytest

from conftest import TINY_ARTICLES, local_site, write_articles
from qa.ingest.feeds import add_feed
from qa.ingest.fetch import FetchError, FetchLimits, fetch

PAGE = ("<html><head><title>Ferry service resumes</title></head><body><article><h1>Ferry service resumes</h1>"
        "<p>The island ferry service resumed on Monday after the storm damaged the pier. Engineers worked "
        "through the weekend to repair the landing ramp and the mooring posts.</p>"
        "<p>The operator said the first crossing left at seven with forty passengers on board.</p>"
        "</article></body></html>").encode()
HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture(autouse=True)
def fetch_from_this_machine(monkeypatch):
    monkeypatch.setenv("QA_FETCH_ALLOW_PRIVATE", "127.0.0.1")


def dribble(head: bytes, every_s: float, for_s: float, rest: bytes = b""):
    """A route that sends ``head`` a byte every ``every_s`` seconds for at most ``for_s``
    seconds, then ``rest``: each read gets an answer quickly, the whole takes long."""
    def route(handler):
        ends = time.monotonic() + for_s
        sent = 0
        try:
            while sent < len(head) and time.monotonic() < ends:
                handler.wfile.write(head[sent:sent + 1])
                sent += 1
                time.sleep(every_s)
            handler.wfile.write(head[sent:] + rest)
        except OSError:  # the client hung up: its deadline passed
            pass
    return route


def slow_body(for_s: float, every_s: float = 0.1):
    """Headers at once, then the page a byte at a time."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(PAGE)
    return dribble(head + PAGE, every_s, for_s)


def test_a_page_that_dribbles_is_cut_off_at_the_whole_fetch_deadline():
    with local_site({"/slow": slow_body(for_s=30)}) as (base, _):
        began = time.monotonic()
        with pytest.raises(FetchError, match=r"did not send the whole page within 1 s \(the limit for one fetch\)"):
            fetch(f"{base}/slow", limits=FetchLimits(read_timeout_s=10, page_deadline_s=1))
        assert time.monotonic() - began < 4


def test_headers_that_dribble_are_cut_off_too():
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"a" * 400
    with local_site({"/slow-headers": dribble(head, every_s=0.1, for_s=30)}) as (base, _):
        began = time.monotonic()
        with pytest.raises(FetchError, match="did not send the whole page within 1 s"):
            fetch(f"{base}/slow-headers", limits=FetchLimits(read_timeout_s=10, page_deadline_s=1))
        assert time.monotonic() - began < 4


def feed_of(base: str, links: list[str]) -> bytes:
    items = "".join(f"<item><title>Item {n}</title><link>{base}{link}</link></item>" for n, link in enumerate(links))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Slow news</title>{items}</channel></rss>'.encode()


def test_a_feed_run_ends_by_its_deadline_and_says_which_items_it_did_not_read(tmp_path):
    routes = {f"/slow-{n}": slow_body(for_s=30) for n in range(6)}
    with local_site(routes) as (base, _):
        routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, feed_of(base, list(routes)))
        began = time.monotonic()
        report = add_feed(f"{base}/feed.xml", tmp_path / "corpus",
                          limits=FetchLimits(read_timeout_s=10, page_deadline_s=5, feed_deadline_s=1.5))
        assert time.monotonic() - began < 5
    assert report.added == [] and len(report.skipped) == 6
    assert all("the run's time limit of 1.5 s was used up; add the feed again" in reason
               for _, reason in report.skipped), report.skipped


def test_a_feed_run_reads_at_most_its_item_cap(tmp_path):
    links = [f"/gone-{n}" for n in range(300)]
    with local_site({}) as (base, site):
        site.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, feed_of(base, links))
        report = add_feed(f"{base}/feed.xml", tmp_path / "corpus", limits=FetchLimits(feed_max_items=5))
        asked = [path for path in site.requests if path.startswith("/gone-")]
    assert asked == links[:5]
    reasons = [reason for _, reason in report.skipped]
    assert len(reasons) == 300 and sum("404 Not Found" in r for r in reasons) == 5
    assert reasons[5:] == ["not read: one run reads at most 5 new items; add the feed again for the rest"] * 295


def test_uploads_and_questions_go_on_while_an_address_is_being_fetched(tmp_path, monkeypatch):
    from qa.web import ChatService

    monkeypatch.setenv("QA_MODEL", "hash:64")
    corpus = write_articles(tmp_path / "corpus", TINY_ARTICLES)
    service = ChatService(corpus, tmp_path / "index", fetch_limits=FetchLimits(read_timeout_s=10, page_deadline_s=4))
    service.prepare()
    upload = tmp_path / "incoming" / "ferry-news.md"
    upload.parent.mkdir()
    upload.write_text("---\ntitle: Ferry resumes\n---\n\nThe ferry resumed its crossings on Monday morning.\n")
    with local_site({"/slow": slow_body(for_s=6)}) as (base, _):
        fetching = {}
        thread = threading.Thread(target=lambda: fetching.update(report=service.add_address(f"{base}/slow")))
        thread.start()
        time.sleep(0.5)  # the fetch is under way
        began = time.monotonic()
        uploaded = service.add_files([str(upload)])
        upload_s = time.monotonic() - began
        still_fetching = thread.is_alive()
        began = time.monotonic()
        reply = service.reply("how much did the bridge repairs cost?", [])
        question_s = time.monotonic() - began
        thread.join(timeout=30)
    assert "**Added** ferry-news.md" in uploaded
    assert still_fetching and upload_s < 2.5, upload_s
    assert "four million pounds" in reply and question_s < 2.5
    assert "**Not added:**" in fetching["report"] and "within 4 s" in fetching["report"]
