"""One way into the corpus for every article: a file given to `qa add`, an upload, a web
page, a feed item.

Each comes in as a name and bytes, gets a plain corpus file name, passes the checks of
:func:`qa.ingest.readers.check_bytes` (the reader table, the one size limit) before
anything is written, and is then stored in one atomic rename. A web page is kept
as Markdown with front matter (title, publisher, author, published, published_source,
url: its address), so that what was read from it stays with it.

Use::

    path = store_article("report.pdf", Path("report.pdf").read_bytes(), "corpus")
    path = add_web_page("https://example.org/news/story", "corpus")
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from ..errors import DocumentError, QAError
from ..records import Document
from .readers import MAX_FILE_BYTES, READERS, check_bytes, describe_formats
from .syndication import duplicate_key


# A fetched page with fewer words than this holds no article, only page furniture.
MIN_PAGE_WORDS = 20
# Writes one corpus file, given its plain name and bytes; the stored path. A caller that
# updates the index afterwards passes a transaction's (qa.store.transaction.CorpusUpdate.put).
Put = Callable[..., Path]  # put(name, data), or put(name, data, document=...) when it was read already


class ArticleRefused(QAError):
    """An article cannot be added to the corpus; the message says why and what to do."""


class AlreadyInCorpus(QAError):
    """The very same article is in the corpus already: nothing to add."""


def corpus_file_name(name: str) -> str:
    """A corpus file name for ``name``: its last path part, letters, digits, ``.-_`` only,
    a supported lower-case suffix. Raises :class:`ArticleRefused` otherwise."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name))[-1]
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in READERS:  # asked when asked: a reader added to the table is known here too
        raise ArticleRefused(f"{base or name!r} is not a {describe_formats()} file (type {suffix or 'none'}); "
                             "save the article as one of those")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-_")[:100] or "article"
    if f"{stem}{suffix}".lower() == "readme.md":  # the corpus skips its README
        stem = "readme-article"
    return f"{stem}{suffix}"


def check_article(name: str, data: bytes, max_bytes: int = MAX_FILE_BYTES) -> Document:
    """The document ``data`` holds, read as a corpus file called ``name`` would be;
    :class:`ArticleRefused` (too big, unreadable, no text) before anything is stored."""
    name = corpus_file_name(name)
    try:
        return check_bytes(name, data, max_bytes=max_bytes)
    except DocumentError as exc:
        raise ArticleRefused(f"{name} {exc.reason}") from exc


def store_article(name: str, data: bytes, corpus_dir, replace: bool = False,
                  max_bytes: int = MAX_FILE_BYTES, put: Put | None = None, document: Document | None = None) -> Path:
    """Check ``data`` and store it in ``corpus_dir`` under a plain name; the stored path.

    Raises :class:`ArticleRefused` (see :func:`check_article`, or a different file of that
    name exists and ``replace`` is false) or :class:`AlreadyInCorpus` (the same bytes are there).
    ``put(name, data)`` writes the file when given: ``CorpusUpdate.put`` of
    :mod:`qa.store.transaction`, which takes it out again if the index update then fails.
    ``document``: what ``data`` reads as, when the caller has read it already (a web page):
    not read again here, and handed to ``put``, so that the build does not read it either.
    """
    name = corpus_file_name(name)
    if document is None or len(data) > max_bytes:
        check_article(name, data, max_bytes=max_bytes)
    corpus = Path(corpus_dir)
    corpus.mkdir(parents=True, exist_ok=True)
    dest = corpus / name
    if dest.resolve().parent != corpus.resolve():  # pragma: no cover - corpus_file_name rules it out
        raise ArticleRefused(f"{name}: not a plain file name")
    if os.path.lexists(dest):  # a link or a special file of that name is never read or written through
        if dest.is_file() and not dest.is_symlink() and dest.read_bytes() == data:
            raise AlreadyInCorpus(f"{name} is already in the corpus; nothing to do")
        if not replace:
            raise ArticleRefused(f"the corpus already has a different {name}; rename the file to add it as "
                                 "another article (or, with qa add, pass --replace)")
    if put is not None:
        if document is not None:
            document = dataclasses.replace(document, source=name)  # whoever reads it back sets its id
            return put(name, data, document=document)
        return put(name, data)
    tmp = corpus / f".adding-{os.getpid()}-{threading.get_ident()}-{name}"
    tmp.write_bytes(data)
    os.replace(tmp, dest)
    return dest


# --- web pages as articles ---------------------------------------------------------------

@dataclass
class WebArticle:
    """A fetched page read as an article, ready to store: file name and Markdown bytes."""

    name: str
    data: bytes
    document: Document


def web_article(url: str, html_text: str, published: str = "", published_source: str = "") -> WebArticle:
    """The page ``html_text`` (fetched from ``url``) as a Markdown article with front matter;
    ``published``/``published_source`` (a feed's date) are used when the page states none.
    Raises :class:`ArticleRefused`, naming ``url``, when no article text can be read from it."""
    doc = _page_document(url, "page.html", html_text.encode("utf-8"))
    words = len(doc.body.split())
    if words < MIN_PAGE_WORDS:  # trafilatura returns a menu ("Home") for a page without an article
        raise ArticleRefused(f"{url} has no article text (only {words} word{'s' if words != 1 else ''} found); "
                             "check that the address is the article's own page")
    if not doc.published and published:
        doc.published, doc.published_source = published, published_source
    meta = {"title": doc.title, "publisher": doc.publisher, "author": doc.author, "published": doc.published,
            "published_source": doc.published_source, "url": url}
    meta = {k: v for k, v in meta.items() if v}
    # Each value a double-quoted string (JSON's quoting is valid YAML): a date stays text
    # ("2018-07-23", not a YAML date) and a headline with a colon stays one value.
    front = "".join(f"{key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in meta.items())
    data = f"---\n{front}---\n\n{doc.body}\n".encode("utf-8")
    host = (urlsplit(url).hostname or "web").removeprefix("www.")
    slug = re.sub(r"[^a-z0-9]+", "-", f"{host} {doc.title or urlsplit(url).path}".lower()).strip("-")[:90]
    return WebArticle(name=f"{slug or 'web-article'}.md", data=data, document=_page_document(url, f"{slug}.md", data))


def _page_document(url: str, name: str, data: bytes) -> Document:
    """``data`` read as the corpus file ``name`` would be; a refusal names the page's address."""
    try:
        return check_bytes(corpus_file_name(name), data)
    except DocumentError as exc:
        raise ArticleRefused(f"{url}: {exc.reason}; check that the address is the article's own page") from exc


def store_web_article(article: WebArticle, corpus_dir, put: Put | None = None) -> Path:
    """Store ``article`` under its name, or under name-2, name-3 ... when another article
    has that name; :class:`AlreadyInCorpus` when this very file is there."""
    corpus = Path(corpus_dir)
    stem = article.name[:-3]
    for n in range(1, 100):
        name = article.name if n == 1 else f"{stem}-{n}.md"
        try:
            return store_article(name, article.data, corpus, put=put, document=article.document)
        except ArticleRefused:
            if (corpus / name).exists():
                continue
            raise
    raise ArticleRefused(f"{article.name}: too many articles of that name in the corpus; rename some")


def known_articles(corpus_dir) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """The corpus's articles by address and by text and publisher
    (:func:`~qa.ingest.syndication.duplicate_key`): two maps to the file each is in. What a
    feed already added is found here on the next run; the same text from another publisher
    is a syndicated copy, added and cited as also published."""
    from ..config import default_index_dir
    from .documents import load_corpus
    from .parsed import ParsedDocuments
    from .readers import READER_VERSION

    by_url, by_text = {}, {}
    corpus = Path(corpus_dir)
    if not corpus.is_dir():
        return by_url, by_text
    # What the last build read (qa.ingest.parsed): files unchanged since are not opened again.
    parsed = ParsedDocuments.load(default_index_dir(corpus), READER_VERSION)
    for doc in load_corpus(corpus, parsed=parsed)[0]:
        if doc.url:
            by_url.setdefault(normal_url(doc.url), doc.source)
        by_text.setdefault(duplicate_key(doc.body, doc.publisher), doc.source)
    return by_url, by_text


def normal_url(url: str) -> str:
    """``url`` compared loosely: scheme and host in lower case, no fragment, no trailing slash."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}{parts.path.rstrip('/')}" + \
        (f"?{parts.query}" if parts.query else "")


def fetch_web_article(url: str, corpus_dir, limits=None) -> WebArticle:
    """The article at ``url``, fetched and read; nothing is written. The network part of
    adding a page, done before any lock is taken (:func:`store_fetched_article` stores it).

    Raises :class:`~qa.ingest.fetch.FetchError` (deadline, status, type, size, redirect,
    address), :class:`ArticleRefused` (no article text) or :class:`AlreadyInCorpus` (the
    corpus has an article from this address, so it is not fetched again)."""
    from .fetch import check_address, fetch

    url = check_address(url)
    by_url, _ = known_articles(corpus_dir)
    if normal_url(url) in by_url:
        raise AlreadyInCorpus(f"{url} is already in the corpus as {by_url[normal_url(url)]}; nothing to do")
    page = fetch(url, limits=limits)
    return web_article(page.url, page.text())


def store_fetched_article(url: str, article: WebArticle, corpus_dir, put: Put | None = None) -> Path:
    """Store ``article``, fetched from ``url``, unless the corpus has one from that address or
    with that text by now (:class:`AlreadyInCorpus`); the stored path."""
    by_url, by_text = known_articles(corpus_dir)
    if normal_url(url) in by_url:
        raise AlreadyInCorpus(f"{url} is already in the corpus as {by_url[normal_url(url)]}; nothing to do")
    key = duplicate_key(article.document.body, article.document.publisher)
    if key in by_text:
        raise AlreadyInCorpus(f"{url} has the same text and publisher as {by_text[key]}, already in the corpus; "
                              "nothing to do")
    return store_web_article(article, corpus_dir, put=put)


def add_web_page(url: str, corpus_dir, put: Put | None = None, limits=None) -> Path:
    """Fetch ``url``, read its article and store it in ``corpus_dir``; the stored path.
    :func:`fetch_web_article`, then :func:`store_fetched_article`: nothing is written unless
    it succeeds. ``limits``: a :class:`~qa.ingest.fetch.FetchLimits`."""
    from .fetch import check_address

    url = check_address(url)
    return store_fetched_article(url, fetch_web_article(url, corpus_dir, limits), corpus_dir, put=put)
