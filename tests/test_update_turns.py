"""Updates of the corpus and the index take turns: `qa add` of different files at the same
time each wait (a bounded wait, said so) instead of failing, and none sees another's
half-staged files. An update killed outright (kill -9) leaves `.replaced-…` files that the
next build or update puts right, losing nothing. The `qa` commands run as real processes."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from conftest import ROOT, TINY_ARTICLES, write_articles
from qa.cli import main
from qa.store.build import build_index
from qa.store.corpus_lock import UPDATE_OPEN, recover_interrupted, update_turn
from qa.store.index_files import load_index

ARTICLE = "---\ntitle: {title}\n---\n\nThe {thing} was repaired on Monday, the council said. Work took {n} weeks.\n"


def qa_process(*args: str, code: str = "") -> subprocess.Popen:
    """``qa ARGS`` in a process of its own (``code`` runs first), hashing embedder."""
    script = f"import sys\n{code}\nfrom qa.cli import main\nsys.exit(main(sys.argv[1:]))"
    env = dict(os.environ, PYTHONPATH=str(ROOT), QA_MODEL="hash:64", PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_MODEL", "hash:64")
    corpus = write_articles(tmp_path / "corpus", TINY_ARTICLES)
    index = tmp_path / "index"
    build_index(corpus_dir=corpus, index_dir=index)
    return corpus, index


def test_simultaneous_adds_of_different_files_each_wait_their_turn(site, tmp_path):
    corpus, index = site
    texts = {"pier": "Storm waves broke the pier's railings, and divers checked its piles for cracks.",
             "lighthouse": "The lighthouse keeper's cottage becomes a museum of shipwrecks next spring.",
             "slipway": "Fishermen asked the council for a longer slipway, since boats now queue at low tide."}
    new = []
    for thing, text in texts.items():
        path = tmp_path / f"{thing}.md"
        path.write_text(f"---\ntitle: News of the {thing}\n---\n\n{text}\n")
        new.append(path)
    things = list(texts)
    with update_turn(index):  # another update is running while all three start
        adds = [qa_process("add", str(path), "--corpus", str(corpus), "--index", str(index)) for path in new]
        said = [p.stderr.readline() for p in adds]  # each says it waits, and does
    outputs = [p.communicate(timeout=120) for p in adds]
    for p, first, (out, err) in zip(adds, said, outputs):
        assert p.returncode == 0, first + err
        assert "waiting for another update of" in first and "up to 300 s" in first, first
        assert "cannot be read" not in out + err and "another `qa index`" not in err
    documents = load_index(index).documents
    assert set(documents) == {"harbour", "library", *things}
    assert not [p.name for p in corpus.iterdir() if p.name.startswith(".")]


def test_the_wait_is_bounded_and_says_what_to_do(site, tmp_path, capsys):
    corpus, index = site
    pier = tmp_path / "pier.md"
    pier.write_text(ARTICLE.format(title="The pier reopens", thing="pier", n=3))
    with update_turn(index):
        began = time.monotonic()
        assert main(["add", str(pier), "--corpus", str(corpus), "--index", str(index), "--wait", "1"]) == 1
        assert time.monotonic() - began < 10
    err = capsys.readouterr().err
    assert "waiting for another update" in err
    assert "has been running for over 1 s; wait for it to finish and try again" in err
    assert not (corpus / "pier.md").exists()


@pytest.mark.parametrize("killed_in, kept", [
    ("CorpusUpdate.build", "old"),  # killed before the index took the new version: the old one comes back
    ("CorpusUpdate.commit", "new"),  # killed once the index describes the new one: the old one goes
])
def test_a_killed_add_replace_is_put_right_by_the_next_build(site, tmp_path, killed_in, kept):
    corpus, index = site
    old = (corpus / "harbour.md").read_bytes()
    replacement = tmp_path / "harbour.md"
    replacement.write_text(ARTICLE.format(title="Harbour bridge closes again", thing="bridge", n=9))
    cls, method = killed_in.split(".")
    kill = (f"import os, signal\nfrom qa.store import transaction\n"
            f"setattr(transaction.{cls}, {method!r}, lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL))")
    child = qa_process("add", str(replacement), "--replace", "--corpus", str(corpus), "--index", str(index),
                       code=kill)
    child.communicate(timeout=120)
    assert child.returncode == -9
    assert [p.name for p in corpus.iterdir() if p.name.startswith(".replaced-")]  # what kill -9 leaves
    assert main(["index", "--corpus", str(corpus), "--index", str(index)]) == 0
    assert not [p.name for p in corpus.iterdir() if p.name.startswith(".")]
    expected = old if kept == "old" else replacement.read_bytes()
    assert (corpus / "harbour.md").read_bytes() == expected
    title = load_index(index).documents["harbour"].title
    assert title == ("Harbour bridge reopens after repairs" if kept == "old" else "Harbour bridge closes again")


def test_leftovers_are_looked_for_only_after_an_update_that_did_not_finish(site, tmp_path):
    """An update marks the index folder while it runs: without the mark no update was killed,
    and the corpus folder is not listed (adding one article to 20,000 lists none)."""
    corpus, index = site
    pier = tmp_path / "pier.md"
    pier.write_text(ARTICLE.format(title="The pier reopens", thing="pier", n=3))
    assert main(["add", str(pier), "--corpus", str(corpus), "--index", str(index)]) == 0
    assert not (index / UPDATE_OPEN).exists()  # a finished update leaves no mark
    staged = corpus / f".staging-{os.getpid()}-1-pier.md"
    staged.write_text("half written")
    with update_turn(index):
        assert recover_interrupted(corpus, index) == [] and staged.exists()  # no mark: not looked for
        (index / UPDATE_OPEN).write_bytes(b"")  # as a killed update leaves it
        assert recover_interrupted(corpus, index) == [f"removed {staged.name}, half-written by an update that was stopped"]
    assert not staged.exists() and not (index / UPDATE_OPEN).exists()
