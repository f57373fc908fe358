"""Write errors on every path that changes the corpus or the index (`qa add`, `qa index`,
a web upload): the corpus and the index stay as they were, no temporary file is left, the
message says what happened and what to do, and the same action works once the cause is gone.

The write errors are real: a child process with a small RLIMIT_FSIZE (the kernel refuses
writes past it with EFBIG), and a corpus folder bind-mounted read-only in a private mount
namespace (as root, chmod does not stop writes)."""
from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, TINY_ARTICLES, write_articles

# The child lowers its own file size limit, then runs the code under test. SIGXFSZ would
# kill it at the first write past the limit; ignored, the write fails with EFBIG instead.
LIMITED = textwrap.dedent("""\
    import resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    exec(sys.argv[2])
""")

# About 500 bytes: under the child's limit of 1,000 bytes, while every index file of the
# corpus it joins (the passage table, the vectors) is over it.
NEW_ARTICLE = textwrap.dedent("""\
    ---
    title: Ferry service resumes after the storm
    publisher: Coast Times
    published: 2020-11-02
    ---

    The island ferry service resumed on Monday after the storm damaged the pier. Engineers
    worked through the weekend to repair the landing ramp and the mooring posts.

    The operator said the first crossing left at seven in the morning with forty passengers
    on board. Timetables return to normal on Wednesday, when the second vessel is back.
    """)


def child_env() -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), QA_MODEL="hash:64", PYTHONDONTWRITEBYTECODE="1")
    env.pop("QA_AUTH", None)
    return env


def run_limited(limit: int, code: str, prefix: list[str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*(prefix or []), sys.executable, "-c", LIMITED, str(limit), code],
                          capture_output=True, text=True, timeout=120, env=child_env(), cwd=ROOT)


def upload_limited(limit: int, corpus: Path, index: Path, new: Path) -> subprocess.CompletedProcess:
    """The web app's upload of ``new`` (``ChatService.add_files``) in a child whose files may
    not grow past ``limit`` bytes; the upload report is its output."""
    return run_limited(limit, "from qa.web import ChatService\n"
                              f"print(ChatService({str(corpus)!r}, {str(index)!r}).add_files([{str(new)!r}]))")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every entry under ``folder`` (hidden ones too) with its bytes."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else b"")
            for p in sorted(folder.rglob("*"))}


def site(tmp_path, monkeypatch) -> tuple[Path, Path, Path]:
    """A tiny corpus, its index (hash embedder), and a new article waiting outside it."""
    from qa.store.build import build_index

    monkeypatch.setenv("QA_MODEL", "hash:64")
    corpus = write_articles(tmp_path / "corpus", TINY_ARTICLES)
    index = tmp_path / "index"
    build_index(corpus_dir=corpus, index_dir=index)
    new = tmp_path / "incoming" / "ferry.md"
    new.parent.mkdir()
    new.write_text(NEW_ARTICLE, encoding="utf-8")
    assert 400 < new.stat().st_size < 1000
    return corpus, index, new


def assert_as_before(corpus, index, corpus_before, index_before):
    assert snapshot(corpus) == corpus_before, "the corpus changed"
    leftovers = [name for name in snapshot(index) if name.endswith(".tmp")]
    assert leftovers == []
    locks = (".lock", ".update.lock")
    index_after = {k: v for k, v in snapshot(index).items() if k not in locks}
    assert index_after == {k: v for k, v in index_before.items() if k not in locks}, "the index changed"


@pytest.mark.faiss_file
def test_qa_add_under_a_write_error_changes_nothing_and_works_once_it_is_gone(tmp_path, monkeypatch, capsys):
    from qa.cli import main
    from qa.store.index_files import load_index

    corpus, index, new = site(tmp_path, monkeypatch)
    corpus_before, index_before = snapshot(corpus), snapshot(index)
    child = run_limited(1000, f"from qa.cli import main; sys.exit(main(['add', {str(new)!r}, "
                              f"'--corpus', {str(corpus)!r}, '--index', {str(index)!r}]))")
    assert child.returncode == 1, child.stderr
    assert "Traceback" not in child.stderr
    message = child.stderr
    assert "qa: error:" in message and "file size limit" in message, message
    assert "corpus and the index are as they were" in message and "try again" in message, message
    assert_as_before(corpus, index, corpus_before, index_before)

    # Once the limit is gone, the same command works (no "already exists with other content").
    assert main(["add", str(new), "--corpus", str(corpus), "--index", str(index)]) == 0
    assert "added     ferry" in capsys.readouterr().out
    assert "ferry" in load_index(index).documents


def test_qa_add_whose_copy_into_the_corpus_fails_leaves_no_partial_file(tmp_path, monkeypatch):
    corpus, index, new = site(tmp_path, monkeypatch)
    corpus_before, index_before = snapshot(corpus), snapshot(index)
    child = run_limited(200, f"from qa.cli import main; sys.exit(main(['add', {str(new)!r}, "
                             f"'--corpus', {str(corpus)!r}, '--index', {str(index)!r}]))")
    assert child.returncode == 1 and "Traceback" not in child.stderr, child.stderr
    assert "could not write" in child.stderr and "file size limit" in child.stderr
    assert_as_before(corpus, index, corpus_before, index_before)


@pytest.mark.faiss_file
def test_qa_index_under_a_write_error_says_what_to_do_without_a_traceback(tmp_path, monkeypatch, capsys):
    from qa.cli import main

    corpus, index, new = site(tmp_path, monkeypatch)
    shutil.copy(new, corpus / new.name)  # a new article for `qa index` to write into the index
    corpus_before, index_before = snapshot(corpus), snapshot(index)
    child = run_limited(1000, f"from qa.cli import main; sys.exit(main(['index', "
                              f"'--corpus', {str(corpus)!r}, '--index', {str(index)!r}]))")
    assert child.returncode == 1, child.stderr
    assert "Traceback" not in child.stderr
    assert child.stderr.strip().splitlines()[-1].startswith("qa: error: could not write "), child.stderr
    assert "file size limit" in child.stderr and "try again" in child.stderr
    assert_as_before(corpus, index, corpus_before, index_before)
    assert main(["index", "--corpus", str(corpus), "--index", str(index)]) == 0
    assert "added     ferry" in capsys.readouterr().out


@pytest.mark.faiss_file
def test_web_upload_under_a_write_error_changes_nothing_and_works_once_it_is_gone(tmp_path, monkeypatch):
    from qa.web import ChatService

    corpus, index, new = site(tmp_path, monkeypatch)
    corpus_before, index_before = snapshot(corpus), snapshot(index)
    child = upload_limited(1000, corpus, index, new)
    assert child.returncode == 0, child.stderr
    report = child.stdout
    assert "**Not added:**" in report and "file size limit" in report, report
    assert "as they were" in report and "try again" in report, report
    assert_as_before(corpus, index, corpus_before, index_before)

    report = ChatService(corpus, index).add_files([str(new)])
    assert "**Added** ferry.md" in report, report
    assert (corpus / "ferry.md").read_bytes() == new.read_bytes()


def _read_only_bind_works(folder: Path) -> str:
    """'' when a read-only bind mount in a private mount namespace stops writes here, else why not."""
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    probe = subprocess.run(["unshare", "-m", "sh", "-c",
                            f"mount --bind {folder} {folder} && mount -o remount,ro,bind {folder} {folder} "
                            f"&& touch {folder}/probe"], capture_output=True, text=True)
    if "Read-only file system" in probe.stderr:
        return ""
    return f"cannot make a read-only folder here (no mount namespace: {probe.stderr.strip()[:120]})"


def test_web_upload_into_a_read_only_corpus_changes_nothing(tmp_path, monkeypatch):
    corpus, index, new = site(tmp_path, monkeypatch)
    why_not = _read_only_bind_works(corpus)
    if why_not:
        pytest.skip(why_not)
    corpus_before, index_before = snapshot(corpus), snapshot(index)
    code = ("from qa.web import ChatService\n"
            f"print(ChatService({str(corpus)!r}, {str(index)!r}).add_files([{str(new)!r}]))")
    script = (f"mount --bind {corpus} {corpus} && mount -o remount,ro,bind {corpus} {corpus} && "
              f"exec {sys.executable} -c \"$0\" 100000000 \"$1\"")
    child = subprocess.run(["unshare", "-m", "sh", "-c", script, LIMITED, code], capture_output=True,
                           text=True, timeout=120, env=child_env(), cwd=ROOT)
    assert child.returncode == 0, child.stderr
    report = html.unescape(child.stdout)  # the page's Markdown escapes "_" and the like
    assert f"**Not added:** could not write {corpus / 'ferry.md'}: Read-only file system" in report, report
    assert_as_before(corpus, index, corpus_before, index_before)


def test_corpus_update_rolls_back_on_any_exception(tmp_path, monkeypatch):
    """The transaction other write paths (URL and feed adds) use: a replaced file comes back,
    a new one goes, whatever the exception."""
    from qa.store.transaction import corpus_update

    corpus, index, new = site(tmp_path, monkeypatch)
    corpus_before, index_before = snapshot(corpus), snapshot(index)
    with pytest.raises(ZeroDivisionError):
        with corpus_update(corpus, index) as update:
            update.put("ferry.md", new.read_bytes())
            update.put("harbour.md", b"---\ntitle: Replaced\n---\n\nA replaced article.\n")
            update.build()
            1 / 0  # noqa: B018 - an error after the build, before the update ends
    # The build had switched the manifest: the index and the corpus stay in step (both new).
    assert (corpus / "ferry.md").exists()
    with pytest.raises(KeyError):
        with corpus_update(corpus, index) as update:
            update.put("other.md", NEW_ARTICLE.replace("ferry", "barge").encode())
            update.put("ferry.md", b"---\ntitle: Replaced\n---\n\nA replaced article.\n")
            raise KeyError("before the build")
    assert not (corpus / "other.md").exists()
    assert (corpus / "ferry.md").read_bytes() == new.read_bytes()
    assert not [p for p in corpus.iterdir() if p.name.startswith(".")]
    del corpus_before, index_before


@pytest.mark.faiss_file
def test_every_qa_index_removes_files_no_manifest_names(tmp_path, monkeypatch, capsys):
    """A build killed just after the manifest switch leaves the previous generation's files;
    the next `qa index` removes them even when nothing in the corpus changed."""
    from qa.cli import main
    from qa.store.index_files import load_index, read_manifest

    corpus, index, _ = site(tmp_path, monkeypatch)
    named = {entry["name"] for entry in read_manifest(index)["files"].values()}
    leftovers = ["vectors-0.faiss", "passages-0.jsonl", "sentences-0.npy", "lexical-0.params.json",
                 "vectors-9.faiss.tmp", "manifest.json.tmp"]
    for name in leftovers:
        (index / name).write_bytes(b"left by a killed build")
    (index / "notes.txt").write_text("not ours")  # a file the index does not own stays
    assert main(["index", "--corpus", str(corpus), "--index", str(index)]) == 0
    assert "0 added, 0 updated, 0 removed, 2 unchanged" in capsys.readouterr().out
    remaining = {p.name for p in index.iterdir()}
    assert remaining - {"corpus-stamp.json"} == named | {"manifest.json", "parsed.jsonl", ".lock", ".update.lock",
                                                         "notes.txt"}
    assert len(load_index(index).documents) == 2


def test_qa_index_into_a_read_only_index_folder_says_so(tmp_path, monkeypatch):
    corpus, index, new = site(tmp_path, monkeypatch)
    why_not = _read_only_bind_works(index)
    if why_not:
        pytest.skip(why_not)
    shutil.copy(new, corpus / new.name)
    corpus_before, index_before = snapshot(corpus), snapshot(index)
    code = (f"from qa.cli import main; sys.exit(main(['index', '--corpus', {str(corpus)!r}, "
            f"'--index', {str(index)!r}]))")
    script = (f"mount --bind {index} {index} && mount -o remount,ro,bind {index} {index} && "
              f"exec {sys.executable} -c \"$0\" 100000000 \"$1\"")
    child = subprocess.run(["unshare", "-m", "sh", "-c", script, LIMITED, code], capture_output=True,
                           text=True, timeout=120, env=child_env(), cwd=ROOT)
    assert child.returncode == 1 and "Traceback" not in child.stderr, child.stderr
    last = child.stderr.strip().splitlines()[-1]
    assert last.startswith("qa: error: could not write ") and "read-only file system" in last, last
    assert_as_before(corpus, index, corpus_before, index_before)


def test_web_upload_whose_check_copy_fails_names_the_article(tmp_path, monkeypatch):
    corpus, index, new = site(tmp_path, monkeypatch)
    corpus_before, index_before = snapshot(corpus), snapshot(index)
    child = upload_limited(200, corpus, index, new)
    assert child.returncode == 0, child.stderr
    assert "**Not added:** could not write a temporary copy of ferry.md (to check it): File too large" in child.stdout, \
        child.stdout
    assert_as_before(corpus, index, corpus_before, index_before)


PAGE = ("<html><head><title>Ferry service resumes after the storm</title></head><body><article>"
        "<h1>Ferry service resumes after the storm</h1>"
        "<p>The island ferry service resumed on Monday after the storm damaged the pier. Engineers worked "
        "through the weekend to repair the landing ramp and the mooring posts.</p>"
        "<p>The operator said the first crossing left at seven in the morning with forty passengers on board.</p>"
        "</article></body></html>")


@pytest.fixture
def page_server():
    """One article page on 127.0.0.1, served from this test process."""
    import http.server
    import threading

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/ferry"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.faiss_file
def test_web_address_added_under_a_write_error_changes_nothing_and_works_once_it_is_gone(
        tmp_path, monkeypatch, page_server):
    from qa.web import ChatService

    monkeypatch.setenv("QA_FETCH_ALLOW_PRIVATE", "127.0.0.1")  # the page is served on this machine

    corpus, index, _ = site(tmp_path, monkeypatch)
    assert len(PAGE) < 1000
    corpus_before, index_before = snapshot(corpus), snapshot(index)
    child = run_limited(1000, "from qa.web import ChatService\n"
                              f"print(ChatService({str(corpus)!r}, {str(index)!r}).add_address({page_server!r}))")
    assert child.returncode == 0, child.stderr
    report = html.unescape(child.stdout)
    assert "**Not added:**" in report and "file size limit" in report and "as they were" in report, report
    assert_as_before(corpus, index, corpus_before, index_before)

    report = ChatService(corpus, index).add_address(page_server)
    assert "**Added**" in report and "Ferry service resumes" in report, report


def test_a_full_disk_while_writing_the_sentence_vectors_says_so(tmp_path, monkeypatch):
    """A real full disk: the index folder is a small tmpfs (in a private mount namespace)
    with room for the passage vectors and table, not for the sentence vectors."""
    from qa.store.build import build_index

    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed")
    monkeypatch.setenv("QA_MODEL", "hash:64")
    articles = dict(TINY_ARTICLES, **{"log.md": "---\ntitle: Harbour log\n---\n\n" + " ".join(
        f"Boat number {n} entered the harbour at dawn." for n in range(300)) + "\n"})
    corpus = write_articles(tmp_path / "corpus", articles)
    build_index(corpus_dir=corpus, index_dir=tmp_path / "reference")
    pages = lambda name: -(-next((tmp_path / "reference").glob(name)).stat().st_size // 4096) * 4096  # noqa: E731
    spare = 16384  # left once the vectors and the passage table are written: not enough for the sentences
    room = pages("vectors-*") + pages("passages-*") + spare
    assert pages("sentences-*") > 2 * spare
    index = tmp_path / "index"
    index.mkdir()
    code = (f"from qa.cli import main; sys.exit(main(['index', '--corpus', {str(corpus)!r}, "
            f"'--index', {str(index)!r}]))")
    script = f"mount -t tmpfs -o size={room} tmpfs {index} && exec {sys.executable} -c \"$0\" 100000000 \"$1\""
    child = subprocess.run(["unshare", "-m", "sh", "-c", script, LIMITED, code], capture_output=True,
                           text=True, timeout=120, env=child_env(), cwd=ROOT)
    if "mount" in child.stderr and child.returncode != 1:
        pytest.skip(f"cannot mount a tmpfs here: {child.stderr.strip()[:120]}")
    assert child.returncode == 1 and "Traceback" not in child.stderr, child.stderr
    last = child.stderr.strip().splitlines()[-1]
    assert f"could not write {index}/sentences-1.npy.tmp: No space left on device (the disk is full; " \
           "free some space)" in last, last
    assert "Errno None" not in child.stderr
