"""The corpus folder is a boundary: only regular files inside it are articles. Symbolic
links (to files or folders) and special files are skipped with a reason, so nothing outside
the folder is ever indexed or served. And a Markdown article saved as .txt is read as one."""
from __future__ import annotations

import os
import socket
import textwrap
from pathlib import Path

import pytest

from conftest import TINY_ARTICLES, write_articles


def test_symlinks_and_special_files_in_the_corpus_are_skipped_with_a_reason(tmp_path, hash_embedder):
    from qa.ingest.documents import load_corpus
    from qa.store.build import build_index
    from qa.store.index_files import load_index

    corpus = write_articles(tmp_path / "corpus", TINY_ARTICLES)
    outside = write_articles(tmp_path / "outside", {"secret.md": "---\ntitle: Secret\n---\n\nThe vault code is 4711.\n"})
    os.symlink("/etc/passwd", corpus / "passwd.txt")
    os.symlink(outside / "secret.md", corpus / "secret.md")
    os.symlink(outside, corpus / "linked-folder")
    os.mkfifo(corpus / "pipe.txt")  # reading it would block every build forever
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(corpus / "socket.md"))
        documents, problems = load_corpus(corpus)
        report = build_index(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=hash_embedder)
    assert sorted(d.source for d in documents) == ["harbour.md", "library.md"]
    reasons = {p.path.removeprefix(str(corpus) + "/"): p.reason for p in problems}
    assert set(reasons) == {"passwd.txt", "secret.md", "linked-folder", "pipe.txt", "socket.md"}
    assert "symbolic link" in reasons["passwd.txt"] and "copy the article into" in reasons["passwd.txt"]
    assert "symbolic link" in reasons["linked-folder"]
    assert "not a regular file" in reasons["pipe.txt"]
    assert {Path(path).name for path, _ in report.skipped} >= {"passwd.txt", "secret.md", "pipe.txt"}
    data = load_index(tmp_path / "index")
    texts = " ".join(p.text for p in data.passages)
    assert "root:" not in texts and "4711" not in texts
    assert set(data.documents) == {"harbour", "library"}


def test_a_symlink_swapped_in_after_the_listing_is_not_followed(tmp_path):
    """The check and the read are one step: a file replaced by a link between them is refused."""
    from qa.errors import DocumentError
    from qa.ingest.documents import read_corpus_file

    corpus = write_articles(tmp_path / "corpus", TINY_ARTICLES)
    (corpus / "harbour.md").unlink()
    os.symlink("/etc/passwd", corpus / "harbour.md")
    with pytest.raises(DocumentError, match="symbolic link"):
        read_corpus_file(corpus / "harbour.md", corpus)


MARKDOWN = textwrap.dedent(TINY_ARTICLES["harbour.md"])  # the tiny corpus's article, saved as .txt below


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("name", ["copy.txt", "copy.md"])
def test_a_markdown_article_saved_as_txt_or_with_crlf_is_read_with_its_front_matter(tmp_path, name, newline):
    from qa.ingest.documents import read_document

    path = tmp_path / name
    path.write_bytes(("\ufeff" if newline == "\r\n" else "").encode() + MARKDOWN.replace("\n", newline).encode())
    doc = read_document(path, tmp_path)
    assert doc.title == "Harbour bridge reopens after repairs"
    assert (doc.publisher, doc.published, doc.url) == ("Coast Times", "2020-03-14", "https://example.org/harbour")
    assert doc.body.startswith("The harbour bridge reopened") and "---" not in doc.body and "\r" not in doc.body

