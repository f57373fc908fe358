"""Shared fixtures: tiny corpora on disk, a deterministic embedder, and (marked) the real model."""
from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import subprocess
import threading
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus"
DATA = Path(__file__).resolve().parent / "data"

# `QA_TEST_STORE=milvus python -m pytest` runs the suite with every new index in Milvus Lite
# (one database per test, and per shared fixture) instead of FAISS; `.ci/run` runs it both
# ways. Milvus Lite serves one process at a time, so before a test starts another process
# this one lets go of its Lite databases (its stores open them again when next used).
TEST_STORE = os.environ.get("QA_TEST_STORE", "faiss")
# Set while a test marked holds_lite runs: it keeps its Lite databases while it starts a
# process. Kept in the environment, as this file may be imported twice (as pytest's conftest
# and as `conftest` by tests that import its helpers).
HOLDING_LITE = "QA_TEST_HOLDING_LITE"
if TEST_STORE not in ("faiss", "milvus"):
    raise pytest.UsageError(f"QA_TEST_STORE={TEST_STORE!r}: write faiss or milvus")


def record_calls(monkeypatch, owner, name: str, note) -> list:
    """Every call of ``owner.name`` from now on, as ``note(*args)`` tells it; the calls go
    through as before."""
    calls: list = []
    real = getattr(owner, name)

    def recording(*args, **kwargs):
        calls.append(note(*args))
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, recording)
    return calls


def run_store_uri(folder: Path) -> str | None:
    """Where a test's new indexes keep their vectors: None (FAISS, the default) or a Milvus
    Lite database in ``folder``."""
    return f"milvus://{folder / 'milvus-store' / 'qa.db'}" if TEST_STORE == "milvus" else None


if TEST_STORE == "milvus" and not getattr(subprocess.Popen.__init__, "lets_go_of_lite", False):
    _start_process = subprocess.Popen.__init__

    def _letting_go_of_lite(self, *args, **kwargs):
        from qa.store.milvus_client import release_all

        if not os.environ.get(HOLDING_LITE):
            release_all()
        _start_process(self, *args, **kwargs)

    _letting_go_of_lite.lets_go_of_lite = True
    subprocess.Popen.__init__ = _letting_go_of_lite


@pytest.fixture(autouse=True)
def _vector_store_of_the_run(request, tmp_path_factory, monkeypatch):
    """Under ``QA_TEST_STORE=milvus``, the test's new indexes go to its own Lite database,
    except in a test marked ``faiss_file`` (it reads, damages or limits the size of the index
    folder's own files). A test marked ``holds_lite`` keeps this process's Lite databases
    open while it starts another process (it checks what that process is told)."""
    if TEST_STORE == "milvus" and not request.node.get_closest_marker("faiss_file"):
        monkeypatch.setenv("QA_VECTOR_STORE", run_store_uri(tmp_path_factory.mktemp("store")))
    if request.node.get_closest_marker("holds_lite"):
        monkeypatch.setenv(HOLDING_LITE, "1")

TINY_ARTICLES = {
    "harbour.md": """\
        ---
        title: Harbour bridge reopens after repairs
        publisher: Coast Times
        published: 2020-03-14
        url: https://example.org/harbour
        ---

        The harbour bridge reopened on Friday after six months of repairs. Engineers replaced the corroded cables.

        The council said the repairs cost four million pounds. Traffic is expected to return to normal next week.
        """,
    "library.md": """\
        ---
        title: Town library extends opening hours
        publisher: Inland Post
        published: 2021-09
        ---

        The town library will open on Sundays from October. Volunteers will staff the reading rooms.

        Membership has doubled since the new children's section opened. The mayor praised the librarians.
        """,
}


def write_articles(folder: Path, articles: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in articles.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def wandsworth_corpus(folder: Path) -> Path:
    """The seed articles plus the saved reports of the same story (tests/data/wandsworth)."""
    shutil.copytree(SEED_CORPUS, folder)
    for path in (DATA / "wandsworth").glob("*-*.md"):
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture
def tiny_corpus(tmp_path) -> Path:
    return write_articles(tmp_path / "corpus", TINY_ARTICLES)


@pytest.fixture
def env(tmp_path, monkeypatch, tiny_corpus) -> Path:
    """The tiny corpus as the default corpus, ``tmp_path / "index"`` as the default index and
    the hashing embedder as the model (what ``qa`` commands use when told nothing); returns
    ``tmp_path``."""
    monkeypatch.setenv("QA_MODEL", "hash:64")
    monkeypatch.setenv("QA_CORPUS_DIR", str(tiny_corpus))
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    return tmp_path


@pytest.fixture
def seed_corpus(tmp_path) -> Path:
    dest = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, dest)
    return dest


@pytest.fixture
def hash_embedder():
    from qa.embedding.embedder import HashingEmbedder

    return HashingEmbedder(64)


@pytest.fixture(scope="session")
def real_index(tmp_path_factory) -> Path:
    """The seed corpus indexed with the real all-MiniLM-L6-v2 (built once per test run)."""
    import qa

    base = tmp_path_factory.mktemp("real")
    corpus = base / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    qa.build_index(corpus_dir=corpus, index_dir=base / "index", store=run_store_uri(base))
    return base / "index"


@pytest.fixture(scope="session")
def real_retriever(real_index):
    import qa

    return qa.Retriever(index_dir=real_index)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Routes(http.server.BaseHTTPRequestHandler):
    """Answers GET from its server's ``routes``: path -> (status, headers, body), or a function
    of this handler that returns one (or writes the answer itself and returns None)."""

    def do_GET(self):  # noqa: N802 - http.server's name
        self.server.requests.append(self.path)
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404, "Not Found")
            return
        answer = route(self) if callable(route) else route
        if answer is None:
            return
        status, headers, body = answer
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def local_site(routes: dict, host: str = "127.0.0.1"):
    """A web server on ``host`` (a loopback address: nothing leaves this machine) answering
    ``routes``; yields its base address and the server, whose ``requests`` lists the paths
    asked for."""
    httpd = http.server.ThreadingHTTPServer((host, 0), _Routes)
    httpd.routes, httpd.requests = routes, []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://{host}:{httpd.server_address[1]}", httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def served_app(corpus: Path, index: Path, **env: str):
    """The real ``qa.web.serve`` on a free loopback port over ``corpus``, with the hashing
    embedder, no analytics and no login (unless ``env`` sets ``QA_AUTH``); ``env`` holds
    more variables, set while it runs. Yields ``(address, app)``; closed at the end."""
    from qa.web import serve

    port = free_port()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QA_MODEL", "hash:64")
        mp.setenv("GRADIO_ANALYTICS_ENABLED", "False")
        mp.delenv("QA_AUTH", raising=False)
        for name, value in env.items():
            mp.setenv(name, value)
        app = serve(port=port, corpus_dir=corpus, index_dir=index, block=False)
        try:
            yield f"http://127.0.0.1:{port}/", app
        finally:
            app.close()


@contextlib.contextmanager
def launched_app(service):
    """``qa.web.build_app`` over ``service``, launched on a free loopback port; yields its address."""
    from qa.web import build_app

    app = build_app(service=service)
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, ssr_mode=False, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


def ask(page, question: str):
    """Type ``question`` in the chat, wait for its reply to finish, return the reply's element."""
    before = page.locator("#answers [data-testid='bot']").count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    return wait_for_reply(page, before)


def wait_for_reply(page, index: int):
    """The chat's ``index``-th reply (0 first), once it is finished."""
    page.wait_for_function(
        "([i]) => { const b = document.querySelectorAll('#answers [data-testid=\"bot\"]')[i];"
        " return b && /Sources|do not answer|No sure answer|Cannot answer/.test(b.innerText); }",
        arg=[index], timeout=60_000,
    )
    return page.locator("#answers [data-testid='bot']").nth(index)


CHROMIUM = "/usr/bin/chromium"  # Debian's chromium; Playwright's own browser download is not used
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def pytest_collection_modifyitems(config, items):
    """A test that drives Chromium must be marked ``browser``: ``pytest -m "not browser"`` is
    the README's command for machines without Debian's chromium, and must need none."""
    unmarked = [item.nodeid for item in items
                if "chromium" in getattr(item, "fixturenames", ()) and item.get_closest_marker("browser") is None]
    if unmarked:
        raise pytest.UsageError(f"mark these tests @pytest.mark.browser, as they drive Chromium: {unmarked}")


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for every browser test in the run."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"the browser tests drive Debian's chromium at {CHROMIUM}, which is missing: install it "
                    "(apt-get install chromium, as root), or run the others: python -m pytest -m \"not browser\"")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def milvus_uri(tmp_path):
    """A Milvus Lite store in this test's folder, served in this process on 127.0.0.1."""
    pytest.importorskip("milvus_lite")
    from qa.store.milvus_client import release

    uri = f"milvus://{tmp_path / 'milvus' / 'qa.db'}"
    yield uri
    release(uri)


@pytest.fixture(params=["faiss", "milvus"])
def store_uri(request):
    """Each vector store in turn, for the core tests: FAISS (named, so that the suite run with
    another default store, ``QA_VECTOR_STORE``, still tests it) or Milvus Lite."""
    if request.param == "faiss":
        return "faiss"
    return request.getfixturevalue("milvus_uri")
