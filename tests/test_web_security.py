"""The web app's edges: uploads land only in corpus/ under a safe name, with type and size
limits; the app listens on 127.0.0.1 unless told otherwise; QA_AUTH adds a login; a bad
question gets a clear reply in the chat."""
from __future__ import annotations

import argparse
import inspect
import socket

import pytest

from qa.errors import QAError
from qa.web import (
    DEFAULT_HOST,
    MAX_UPLOAD_BYTES,
    ChatService,
    UploadError,
    add_arguments,
    auth_from_env,
    safe_filename,
    serve,
    store_upload,
)

from conftest import TINY_ARTICLES, served_app, write_articles
from test_robust_questions import UNUSABLE

ARTICLE = "---\ntitle: Ferry sinks at dawn\n---\n\nThe ferry sank at dawn. All forty passengers were rescued.\n"


@pytest.mark.parametrize("name, stored", [
    ("../../etc/passwd.md", "passwd.md"),
    ("..\\..\\windows\\evil.md", "evil.md"),
    ("/etc/cron.d/evil.md", "evil.md"),
    ("C:\\Users\\x\\evil.txt", "evil.txt"),
    ("a\x00b.md", "a-b.md"),
    ("..md", "article.md"),
    (".hidden.md", "hidden.md"),
    ("résumé ünïcode.md", "r-sum-n-code.md"),
    ("\ufb01le.HTML", "file.html"),  # NFKC turns the ligature into "fi"
    ("README.md", "readme-article.md"),  # the corpus ignores its README
    ("x" * 300 + ".md", "x" * 100 + ".md"),
])
def test_upload_names_are_reduced_to_a_plain_file_name(name, stored):
    assert safe_filename(name) == stored


@pytest.mark.parametrize("name", ["evil.exe", "report.docx", "evil.md.exe", "noext", "x.md\x00.exe", "x.md.", ""])
def test_upload_types_other_than_articles_are_refused(name):
    with pytest.raises(UploadError, match="is not a .txt, .md, .html or .pdf file"):
        safe_filename(name)


@pytest.fixture
def service(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_MODEL", "hash:64")
    corpus = write_articles(tmp_path / "site" / "corpus", TINY_ARTICLES)
    service = ChatService(corpus_dir=corpus, index_dir=tmp_path / "site" / "index")
    service.prepare()
    return service


def files_under(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_hostile_upload_names_are_stored_only_in_the_corpus(service, tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    # Linux allows backslashes and leading dots in a name: exactly what a client can send.
    hostile = ["..\\..\\evil.md", "...md", "..\\corpus\\..\\sneaky.txt"]
    for name, number in zip(hostile, ("one", "two", "three")):
        (incoming / name).write_text(f"Ferry {number} sinks\n\nThe ferry number {number} sank at dawn. All were rescued.\n")
    outside_before = files_under(tmp_path)
    report = service.add_files([str(incoming / name) for name in hostile])
    assert report.count("**Added**") == 3, report
    corpus = service.corpus_dir
    new = set(files_under(corpus)) - set(TINY_ARTICLES)
    assert new == {"evil.md", "article.md", "sneaky.txt"}
    grown = set(files_under(tmp_path)) - set(outside_before)
    assert all(path.startswith("site/corpus/") or path.startswith("site/index/") for path in grown), grown
    assert set(service.retriever.data.documents) == {"harbour", "library", "evil", "article", "sneaky"}


def test_wrong_type_oversize_and_binary_uploads_are_refused_and_nothing_is_lost(service, tmp_path):
    before = service.retriever.data.documents.copy()
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "tool.exe").write_bytes(b"MZ\x90\x00binary")
    (incoming / "big.md").write_text("# Big\n\n" + "The council met again today. " * (MAX_UPLOAD_BYTES // 29 + 10))
    (incoming / "photo.md").write_bytes(bytes(range(1, 256)) * 200)
    (incoming / "empty.txt").write_bytes(b"")
    (incoming / "harbour.md").write_text(ARTICLE)  # same name as an indexed article, other text
    report = service.add_files([str(p) for p in sorted(incoming.iterdir())])
    assert report.count("**Not added:**") == 5 and "**Added**" not in report
    assert "tool.exe" in report and "is not a .txt, .md, .html or .pdf file" in report
    assert "big.md is 5.2 MB; articles up to 5 MB are accepted" in report
    assert "photo.md looks like a binary file" in report and "empty.txt is empty" in report
    assert "already has a different harbour.md" in report
    assert files_under(service.corpus_dir) == sorted(TINY_ARTICLES)
    assert service.retriever.data.documents == before
    assert "repairs" in (service.corpus_dir / "harbour.md").read_text()


def test_store_upload_never_writes_outside_the_corpus(tmp_path):
    (tmp_path / "up").mkdir()
    upload = tmp_path / "up" / "..\\..\\..\\tmp\\x.md"
    upload.write_text(ARTICLE)
    dest = store_upload(upload, tmp_path / "corpus")
    assert dest == tmp_path / "corpus" / "x.md" and dest.read_text() == ARTICLE


def test_app_listens_on_loopback_by_default():
    assert DEFAULT_HOST == "127.0.0.1"
    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"
    assert add_arguments(argparse.ArgumentParser()).parse_args([]).host == "127.0.0.1"


@pytest.mark.parametrize("value, expected", [
    ("", None),
    ("   ", None),
    ("ann:secret", ("ann", "secret")),
    ("ann:pa:ss,word", ("ann", "pa:ss,word")),
])
def test_auth_from_environment(value, expected):
    assert auth_from_env(value) == expected


@pytest.mark.parametrize("value", ["ann", "ann:", ":secret"])
def test_malformed_auth_is_a_clear_error(value):
    with pytest.raises(QAError, match="QA_AUTH must be user:password"):
        auth_from_env(value)


@pytest.mark.parametrize("question, message", UNUSABLE[:9], ids=lambda v: repr(v)[:20])
def test_chat_replies_to_a_bad_question_with_the_reason(service, question, message):
    reply = service.reply(question, [])
    assert reply.startswith("**Cannot answer:** ") and message.split(";")[0].split(",")[0] in reply


def _outside_address() -> str | None:
    """An address of this machine other than loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # no packet is sent: this only picks a route
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.fixture(scope="module")
def guarded_app(tmp_path_factory):
    """The real ``serve`` with QA_AUTH set, on loopback, over a tiny corpus."""
    base = tmp_path_factory.mktemp("guarded")
    corpus = write_articles(base / "corpus", TINY_ARTICLES)
    with served_app(corpus, base / "index", QA_AUTH="ann:pa:ss") as (url, app):
        yield app, url


def test_login_is_required_when_qa_auth_is_set(guarded_app):
    import urllib.error
    import urllib.request

    from gradio_client import Client

    app, url = guarded_app
    assert app.server_name == "127.0.0.1"
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(url + "config", timeout=10)
    assert caught.value.code == 401
    with pytest.raises(Exception, match="credentials|login|Login"):
        Client(url, verbose=False)
    with pytest.raises(Exception):
        Client(url, auth=("ann", "wrong"), verbose=False)
    client = Client(url, auth=("ann", "pa:ss"), verbose=False)
    assert "four million pounds" in client.predict("how much did the bridge repairs cost?", api_name="/chat")
    for question in ("", "😀🎉", "x" * 20_000):
        assert client.predict(question, api_name="/chat").startswith("**Cannot answer:** the question")


def test_server_is_not_reachable_from_outside_addresses(guarded_app):
    app, url = guarded_app
    outside = _outside_address()
    if outside is None:
        pytest.skip("this machine has no address besides loopback")
    with socket.socket() as s:
        s.settimeout(2)
        assert s.connect_ex((outside, app.server_port)) != 0


def _load_script():
    from qa.bench import load

    return load


def test_load_script_runs_bounded_against_the_app(guarded_app):
    app, url = guarded_app
    result = _load_script().run_load(url, users=3, seconds=2, max_requests=12, think=0, auth=("ann", "pa:ss"))
    assert result["errors"] == 0, result["error_examples"]
    assert 0 < result["requests"] <= 12
    assert result["p50_s"] <= result["p95_s"] <= result["max_s"]


def test_load_script_only_targets_loopback(capsys):
    with pytest.raises(SystemExit) as caught:
        _load_script().main(["--url", "http://192.0.2.1:7860/", "--seconds", "1"])
    assert caught.value.code == 2 and "load tests stay on loopback" in capsys.readouterr().err


def test_chat_rebuilds_an_index_damaged_while_the_app_runs(service):
    assert "four million pounds" in service.reply("how much did the bridge repairs cost?", [])
    (service.index_dir / "manifest.json").write_text('{"format": "qa-index", "truncated')
    with pytest.warns(RuntimeWarning, match="rebuilt the index .*could not be used"):
        reply = service.reply("how much did the bridge repairs cost?", [])
    assert "four million pounds" in reply and "Cannot answer" not in reply
