"""Where a corpus's index goes: each corpus its own by default, said when it is created, and
never rebuilt in place from another corpus."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

import qa
from qa.cli import main
from qa.config import PROJECT_ROOT, corpus_index_dir, default_index_dir
from qa.errors import IndexMismatchError, IndexNotFoundError

from conftest import TINY_ARTICLES, write_articles

QUESTION = "how much did the bridge repairs cost?"


@pytest.fixture
def news(tmp_path, monkeypatch):
    """Two corpora side by side in news/, the hashing embedder, no QA_* folders set, run from tmp_path."""
    monkeypatch.setenv("QA_MODEL", "hash:64")
    monkeypatch.delenv("QA_INDEX_DIR", raising=False)
    monkeypatch.delenv("QA_CORPUS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    write_articles(tmp_path / "news" / "articles", {"harbour.md": TINY_ARTICLES["harbour.md"]})
    write_articles(tmp_path / "news" / "other", {"library.md": TINY_ARTICLES["library.md"]})
    return tmp_path / "news"


def test_each_corpus_gets_its_own_index_and_the_project_keeps_index(news, capsys):
    assert main(["ask", QUESTION, "--corpus", "news/articles"]) == 0
    captured = capsys.readouterr()
    assert "No index of news/articles yet: building one in" in captured.err
    assert f"{news / 'articles-index'}" in captured.err
    assert main(["ask", "when does the library open on Sundays?", "--corpus", "news/other"]) == 0
    assert "[1] Town library extends opening hours" in capsys.readouterr().out
    assert sorted(p.name for p in news.iterdir()) == ["articles", "articles-index", "other", "other-index"]
    # Neither build touched the other's index: asking the first corpus again needs no build.
    assert main(["ask", QUESTION, "--corpus", "news/articles"]) == 0
    captured = capsys.readouterr()
    assert "building" not in captured.err and "[1] Harbour bridge reopens after repairs" in captured.out
    # The project's own corpus/ keeps index/ at the top of the repository, as the README says.
    assert corpus_index_dir(PROJECT_ROOT / "corpus") == PROJECT_ROOT / "index"
    assert default_index_dir(news / "articles") == news / "articles-index"


def test_qa_index_says_where_a_new_index_is(news, capsys):
    assert main(["index", "--corpus", "news/articles"]) == 0
    assert f"index: {news / 'articles-index'} (new)" in capsys.readouterr().out
    assert main(["index", "--corpus", "news/articles"]) == 0
    assert capsys.readouterr().out.rstrip().endswith(f"index: {news / 'articles-index'}")


def test_an_index_of_another_corpus_is_never_rebuilt_in_place(news, capsys, hash_embedder):
    shared = news / "shared-index"
    assert main(["index", "--corpus", "news/articles", "--index", str(shared)]) == 0
    record = json.loads((shared / "manifest.json").read_text())["corpus"]
    assert record == {"relative": "../articles", "absolute": (news / "articles").as_posix()}
    capsys.readouterr()
    assert main(["index", "--corpus", "news/other", "--index", str(shared)]) == 1
    err = capsys.readouterr().err
    assert f"{shared} holds the index of {news / 'articles'}, not of news/other" in err
    assert f"leave out --index and QA_INDEX_DIR to use {news / 'other-index'}" in err
    assert f"`qa index --corpus news/other --index {shared} --rebuild`" in err
    assert list(qa.Retriever(index_dir=shared, embedder=hash_embedder).data.documents) == ["harbour"]
    # The API and a shared QA_INDEX_DIR refuse the same way; the command it gives replaces it.
    with pytest.raises(IndexMismatchError, match="holds the index of"):
        qa.build_index(corpus_dir=news / "other", index_dir=shared, embedder=hash_embedder)
    assert main(["index", "--corpus", "news/other", "--index", str(shared), "--rebuild"]) == 0
    assert list(qa.Retriever(index_dir=shared, embedder=hash_embedder).data.documents) == ["library"]


def test_a_copy_of_the_same_articles_elsewhere_may_use_the_index(news, hash_embedder):
    qa.build_index(corpus_dir=news / "articles", index_dir=news / "shared-index", embedder=hash_embedder)
    copy = write_articles(news / "copy", {"harbour.md": TINY_ARTICLES["harbour.md"]})
    report = qa.build_index(corpus_dir=copy, index_dir=news / "shared-index", embedder=hash_embedder)
    assert report.unchanged == ["harbour"] and not report.changed
    (copy / "harbour.md").write_text(TINY_ARTICLES["library.md"])  # now another corpus: refused
    with pytest.raises(IndexMismatchError, match="holds the index of"):
        qa.build_index(corpus_dir=copy, index_dir=news / "shared-index", embedder=hash_embedder)


def test_moving_a_corpus_and_its_index_together_keeps_them_paired(news, hash_embedder):
    qa.build_index(corpus_dir=news / "articles", embedder=hash_embedder)
    moved = news.parent / "moved"
    news.rename(moved)
    report = qa.build_index(corpus_dir=moved / "articles", embedder=hash_embedder)
    assert report.unchanged == ["harbour"] and not report.changed


def test_no_index_names_the_command_that_builds_that_index(news, capsys):
    assert main(["ask", QUESTION, "--index", "news/noindex"]) == 1
    assert capsys.readouterr().err.strip() == (
        "qa: error: no index in news/noindex; build it with `qa index --index news/noindex`")
    # An index folder beside its corpus ("articles-index"): the command names that corpus too.
    with pytest.raises(IndexNotFoundError, match=r"build it with `qa index --corpus \S+/news/articles`$"):
        qa.Retriever(index_dir=news / "articles-index").data


def test_index_help_has_a_one_line_summary():
    out = subprocess.run([sys.executable, "-m", "qa", "index", "--help"], capture_output=True, text=True,
                         check=True, cwd=PROJECT_ROOT).stdout
    assert out.split("\n\n")[1] == "Build or update the index (only new and changed articles are embedded)."
