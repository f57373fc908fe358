"""Web addresses and feeds: `qa add https://...`, `qa add --feed URL`, served from a local
HTTP server on 127.0.0.1 started in the test. Every refusal says why and leaves nothing."""
from __future__ import annotations

import contextlib
import html as html_module
import time

import pytest

import qa
from conftest import local_site, served_app
from qa.cli import main
from qa.ingest.adding import AlreadyInCorpus, add_web_page
from qa.ingest.feeds import add_feed
from qa.ingest.fetch import FetchError, FetchLimits, fetch

ARTICLE = """<!doctype html><html><head><title>Ferry service restored | Coast Times</title>
<meta property="og:site_name" content="Coast Times">
<meta property="article:published_time" content="2021-05-04T08:00:00Z">
</head><body><nav>Home | News | Sport</nav><article><h1>Ferry service restored</h1>
<p>By Ana de Souza</p>
<p>The island ferry returned to service on Monday after engineers replaced its damaged propeller.</p>
<p>The operator said the repairs cost two hundred thousand pounds and took three weeks to complete.</p>
<p>Picture: Coast Times</p>
<p>Passengers were offered refunds for the cancelled crossings, and the timetable is back to normal.</p>
</article><footer>Share this article</footer></body></html>"""

UNDATED = """<html><head><title>Library opens on Sundays</title></head><body><article>
<h1>Library opens on Sundays</h1>
<p>The town library will open on Sundays from October, after an inspection in 2012 had found it little used.</p>
<p>Volunteers will staff the reading rooms, and the mayor praised the librarians for their work with schools.</p>
</article></body></html>"""

SCHOOL = """<html><head><title>School rated good</title><meta name="date" content="2022-11-02"></head><body><article>
<h1>School rated good</h1><p>Inspectors rated the village school good after a two-day visit in October.</p>
<p>The head teacher said staff and pupils had worked hard to improve reading and attendance.</p></article></body></html>"""

FULL_TEXT_ITEM = " ".join(["The harbour master said the new pontoon would open to visitors in spring."] * 6)

FEED = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Coast Times news</title><link>http://HOST/</link>
<item><title>Ferry service restored</title><link>http://HOST/ferry</link>
  <pubDate>Tue, 04 May 2021 08:00:00 GMT</pubDate></item>
<item><title>Library opens on Sundays</title><link>http://HOST/library</link>
  <pubDate>Fri, 10 Sep 2021 07:00:00 GMT</pubDate></item>
<item><title>School rated good</title><link>http://HOST/school-copy</link></item>
<item><title>Pontoon to open</title><link>http://HOST/gone</link>
  <pubDate>Mon, 07 Feb 2022 07:00:00 GMT</pubDate>
  <description>{FULL_TEXT_ITEM}</description></item>
<item><title>Teaser only</title><link>http://HOST/missing</link><description>Read on.</description></item>
</channel></rss>"""


@pytest.fixture(autouse=True)
def fetch_from_this_machine(monkeypatch):
    """The pages are served on 127.0.0.1, which qa fetches from only when told to."""
    monkeypatch.setenv("QA_FETCH_ALLOW_PRIVATE", "1")


@pytest.fixture
def server():
    """A local web server on 127.0.0.1: paths to (status, headers, body)."""
    html = {"Content-Type": "text/html; charset=utf-8"}

    def slow(_handler):
        time.sleep(1.5)
        return 200, html, ARTICLE.encode()

    routes = {}
    with local_site(routes) as (base, _):
        routes.update({
            "/ferry": (200, html, ARTICLE.encode()),
            "/library": (200, html, UNDATED.encode()),
            "/school": (200, html, SCHOOL.encode()),
            "/school-copy": (200, html, SCHOOL.encode()),
            "/feed.xml": (200, {"Content-Type": "application/rss+xml"}, FEED.replace("HOST", base[7:]).encode()),
            "/picture.png": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n"),
            "/huge": (200, html, b"<p>" + b"x" * (5 * 1024 * 1024 + 10) + b"</p>"),
            "/broken": (500, html, b"oops"),
            "/to-file": (302, {"Location": "file:///etc/passwd"}, b""),
            "/to-ferry": (301, {"Location": "/ferry"}, b""),
            "/slow": slow,
            "/nothing": (200, html, b"<html><head><title>Empty</title></head><body><script>var x = 1;</script>"
                                    b"</body></html>"),
            "/menu": (200, html, b"<html><head><title>News</title></head><body><nav>Home</nav></body></html>"),
        })
        yield base


def corpus_files(corpus):
    return sorted(p.name for p in corpus.iterdir())


def test_qa_add_web_address_stores_and_indexes_the_article(server, env, tiny_corpus, capsys):
    assert main(["index"]) == 0
    assert main(["add", f"{server}/ferry"]) == 0
    out = capsys.readouterr().out
    assert f"fetched   {server}/ferry ->" in out and "1 added" in out
    stored = tiny_corpus / "127-0-0-1-ferry-service-restored.md"
    text = stored.read_text()
    assert f'url: "{server}/ferry"' in text and 'published_source: "html meta"' in text
    assert "Picture:" not in text and "Share this" not in text and "Home | News" not in text
    # (The tiny corpus's harbour article also has "the repairs cost ...": ask what only the ferry article says.)
    hit = qa.Retriever(index_dir=env / "index").retrieve("when did the island ferry return to service?", k=1)[0]
    assert (hit.title, hit.publisher, hit.author) == ("Ferry service restored", "Coast Times", "Ana de Souza")
    assert (hit.published, hit.published_source, hit.url) == ("2021-05-04", "html meta", f"{server}/ferry")
    # The same address again: nothing to do, nothing written.
    assert main(["add", f"{server}/ferry"]) == 0
    assert "already in the corpus as 127-0-0-1-ferry-service-restored.md" in capsys.readouterr().out


def test_web_page_without_date_metadata_has_none(server, tmp_path):
    path = add_web_page(f"{server}/library", tmp_path)
    doc = qa.ingest.documents.read_document(path, tmp_path)
    assert (doc.published, doc.published_source) == ("", "")


def test_redirect_within_http_is_followed_and_its_target_kept(server):
    page = fetch(f"{server}/to-ferry")
    assert page.url == f"{server}/ferry" and page.content_type == "text/html"


@pytest.mark.parametrize("path, message", [
    ("/picture.png", "is not a web page (HTML): the server sent image/png"),
    ("/missing", "the server answered 404 Not Found; check the address"),
    ("/broken", "the server answered 500"),
    ("/huge", "over the 5 MB limit"),
    ("/to-file", "redirects to file:///etc/passwd, which is not an http(s) address; not followed"),
    ("/nothing", "no article text"),
    ("/menu", "has no article text (only 1 word found)"),
])
def test_refusals_say_why_and_leave_nothing(server, env, tiny_corpus, capsys, path, message):
    before = corpus_files(tiny_corpus)
    assert main(["add", f"{server}{path}"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("qa: error:") and message in err and "Traceback" not in err
    assert corpus_files(tiny_corpus) == before and not (env / "index").exists()


def test_time_out(server, tmp_path):
    with pytest.raises(FetchError, match=r"did not answer within 0.5 s"):
        fetch(f"{server}/slow", limits=FetchLimits(read_timeout_s=0.5))


@pytest.mark.parametrize("address", ["ftp://example.org/a", "file:///etc/passwd", "javascript:alert(1)", "https://"])
def test_other_schemes_are_refused_before_any_request(address, tmp_path):
    with pytest.raises(FetchError, match="web address|host name"):
        add_web_page(address, tmp_path)


def test_feed_adds_new_items_and_a_second_run_adds_nothing(server, env, tiny_corpus, capsys):
    (tiny_corpus / "school.md").write_text("---\ntitle: School rated good\npublished: 2022-11-02\n---\n\n"
                                   "Inspectors rated the village school good after a two-day visit in October.\n\n"
                                   "The head teacher said staff and pupils had worked hard to improve reading and attendance.\n")
    assert main(["add", "--feed", f"{server}/feed.xml"]) == 0
    out = capsys.readouterr().out
    assert "feed Coast Times news: 3 added, 2 skipped" in out
    assert "skipped   School rated good: same text and publisher as school.md, already in the corpus" in out
    assert "skipped   Teaser only:" in out and "404 Not Found" in out
    docs = qa.Retriever(index_dir=env / "index").data.documents
    by_title = {document.title: document for document in docs.values()}
    # The page's own date wins; the feed's date is used where the page states none.
    assert (by_title["Ferry service restored"].published, by_title["Ferry service restored"].published_source) \
        == ("2021-05-04", "html meta")
    assert (by_title["Library opens on Sundays"].published, by_title["Library opens on Sundays"].published_source) \
        == ("2021-09-10", "feed")
    # An item whose page is gone but which carries its text in the feed.
    assert by_title["Pontoon to open"].published_source == "feed"
    files = corpus_files(tiny_corpus)
    assert main(["add", "--feed", f"{server}/feed.xml"]) == 0
    out = capsys.readouterr().out
    assert "feed Coast Times news: 0 added, 5 skipped" in out and "0 added, 0 updated, 0 removed" in out
    assert corpus_files(tiny_corpus) == files


def test_feed_address_that_is_not_a_feed(server, tmp_path):
    with pytest.raises(FetchError, match="is not a feed"):
        add_feed(f"{server}/ferry", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_same_page_twice_by_text(server, tmp_path):
    add_web_page(f"{server}/school", tmp_path)
    with pytest.raises(AlreadyInCorpus, match="same text and publisher as"):
        add_web_page(f"{server}/school-copy", tmp_path)


def test_documents_tab_adds_an_address_and_a_feed(server, tmp_path, monkeypatch, tiny_corpus):
    from qa.web import ChatService

    monkeypatch.setenv("QA_MODEL", "hash:64")
    service = ChatService(corpus_dir=tiny_corpus, index_dir=tmp_path / "index")
    service.prepare()
    report = service.add_address(f"{server}/library")
    assert "**Added** 127-0-0-1-library-opens-on-sundays.md: \u201cLibrary opens on Sundays\u201d" in report
    row = [r for r in service.documents() if r[0] == "Library opens on Sundays"][0]
    assert row[2] == "date unknown" and row[5] == f"{server}/library"
    refused = html_module.unescape(service.add_address(f"{server}/picture.png"))  # addresses are shown as text
    assert "**Not added:**" in refused and "image/png" in refused
    report = service.add_address(f"{server}/feed.xml", feed=True)
    assert "Feed \u201cCoast Times news\u201d: 3 new, 2 skipped." in report
    assert "**Added** 127-0-0-1-ferry-service-restored.md" in report
    assert "already in the corpus" in service.add_address(f"{server}/ferry")


@pytest.mark.browser
def test_documents_tab_address_box_in_a_browser(server, tmp_path, chromium, tiny_corpus):
    with served_app(tiny_corpus, tmp_path / "index") as (url, _), contextlib.closing(chromium.new_context()) as context:
        page = context.new_page()
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_role("tab", name="Documents").click()
        box = page.locator("#address textarea, #address input").first
        box.wait_for(timeout=30_000)
        box.fill(f"{server}/library")
        page.locator("#add-page").click()
        page.wait_for_function(
            "() => { const t = document.querySelector('#documents-table'); "
            "return t && t.innerText.includes('Library opens on Sundays'); }", timeout=30_000)
        assert "Added" in page.locator("#upload-status").inner_text()
        assert "date unknown" in page.locator("#documents-table").inner_text()  # the only undated article
        box.fill(f"{server}/picture.png")
        page.locator("#add-page").click()
        page.wait_for_function(
            "() => document.querySelector('#upload-status').innerText.includes('image/png')", timeout=30_000)
        assert "Not added" in page.locator("#upload-status").inner_text()


# --- accents and curly quotes: fetched pages are decoded as files are -----------------------

TEXT = ("Caf\u00e9 owners in the old town said the \u201cnew\u201d rules, which cost \u00a35 a day, were na\u00efve "
        "and would close half the terraces by the end of the summer season.")
LATIN_TEXT = TEXT.replace("\u201c", '"').replace("\u201d", '"')  # Latin-1 has no curly quotes


def _page(text: str, head: str = "") -> str:
    return (f"<html><head>{head}<title>Terrace rules</title></head><body><article><h1>Terrace rules</h1>"
            f"<p>{text}</p><p>{text}</p></article></body></html>")


@pytest.mark.parametrize("content_type, page, expected", [
    ("text/html", _page(TEXT, "<meta charset=windows-1252>").encode("cp1252"), TEXT),
    ("text/html", _page(LATIN_TEXT).encode("latin-1"), LATIN_TEXT),  # declared nowhere
    ("text/html; charset=iso-8859-1", _page(TEXT).encode("cp1252"), TEXT),  # the label browsers read as cp1252
    ("text/html; charset=iso-8859-1", _page(TEXT).encode("utf-8"), TEXT),  # a wrong label on UTF-8
], ids=["meta-windows-1252", "undeclared-latin-1", "header-latin-1", "utf-8-labelled-latin-1"])
def test_fetched_pages_keep_accents_and_curly_quotes_as_files_do(tmp_path, content_type, page, expected):
    from qa.ingest.readers import check_bytes

    with local_site({"/terrace": (200, {"Content-Type": content_type}, page)}) as (base, _):
        stored = add_web_page(f"{base}/terrace", tmp_path / "corpus")
    text = stored.read_text(encoding="utf-8")
    assert expected in text and "\ufffd" not in text
    as_file = check_bytes("terrace.html", page)  # the same bytes added as a file
    assert as_file.body in text


# --- messages -------------------------------------------------------------------------------

@pytest.mark.parametrize("routes, start, message", [
    ({"/a": "/b", "/b": "/a"}, "/a", "redirects in a loop (back to {base}/b)"),
    ({"/self": "/self"}, "/self", "redirects in a loop (back to {base}/self)"),
    ({f"/hop-{n}": f"/hop-{n + 1}" for n in range(8)}, "/hop-0", "redirects more than 5 times"),
], ids=["two-pages", "itself", "too-many"])
def test_a_redirect_loop_is_named_as_one(env, capsys, routes, start, message):
    with local_site({path: (302, {"Location": target}, b"") for path, target in routes.items()}) as (base, _):
        assert main(["add", f"{base}{start}"]) == 1
    err = capsys.readouterr().err
    assert message.format(base=base) in err and "open the address in a browser" in err, err
    assert "infinite loop" not in err and "try again later" not in err


def test_a_page_without_an_article_is_named_by_its_address(server, env, capsys):
    assert main(["add", f"{server}/nothing"]) == 1
    err = capsys.readouterr().err
    assert f"qa: error: {server}/nothing: no article text found in the HTML; check that the address is the " \
           "article's own page" in err and "page.html" not in err, err


def test_a_web_page_is_read_as_html_once_and_its_markdown_never(server, env, tiny_corpus, monkeypatch):
    """The page is parsed as HTML when fetched; the Markdown file written from it is not
    parsed again, neither to store it nor by the build (it is handed to the parse cache)."""
    import dataclasses

    from qa.ingest import readers

    assert main(["index"]) == 0
    parsed: list[str] = []
    for suffix in (".md", ".html"):
        reader = readers.READERS[suffix]

        def counting(text, doc, original=reader.read, suffix=suffix):
            parsed.append(suffix)
            return original(text, doc)

        monkeypatch.setitem(readers.READERS, suffix, dataclasses.replace(reader, read=counting))
    assert main(["add", f"{server}/ferry"]) == 0
    # web_article parses the page, then its Markdown once (to make the WebArticle's record).
    assert parsed == [".html", ".md"]
    data = qa.Retriever(index_dir=env / "index").data
    assert "127-0-0-1-ferry-service-restored" in data.documents
