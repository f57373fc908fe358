"""Which files are articles and how each format is read: one table, used by the corpus
loader, ``qa add``, the web upload and every help text.

A new format is one module in this folder with a ``read(content, doc)`` function, and one
:class:`Reader` line in :data:`FORMATS`. Text is given LF line endings before a reader sees
it, so front matter, bylines and datelines are found in CRLF files too.

>>> sorted(READERS)
['.htm', '.html', '.markdown', '.md', '.pdf', '.txt']
>>> describe_formats()
'.txt, .md, .html or .pdf'
"""
from __future__ import annotations

import errno
import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import DocumentError
from ..records import Document
from . import html, markdown, pdf, plaintext
from .cleaning import decode_text
from .parsed import ParsedDocuments

@dataclass(frozen=True)
class Reader:
    """How one kind of article file is read: its suffixes (the first is the one named in
    messages), ``read(content, doc)`` that fills a :class:`Document`'s metadata and body,
    and a hint for people about what the file should hold. ``read`` gets the decoded text,
    or the file's bytes when ``binary`` (a format that is not text, such as PDF)."""

    suffixes: tuple[str, ...]
    read: Callable[[Any, Document], None]
    hint: str
    binary: bool = False


FORMATS = (
    Reader(plaintext.SUFFIXES, plaintext.read, "headline on the first line"),
    Reader(markdown.SUFFIXES, markdown.read, "YAML front matter: title, publisher, published, url"),
    Reader(html.SUFFIXES, html.read, "a saved news page"),
    Reader(pdf.SUFFIXES, pdf.read, "a report or judgment with a text layer", binary=True),
)
# Everything that asks which files are articles reads this table when it asks, so a reader
# added here (or by a plug-in at start-up) is known to all of them.
READERS: dict[str, Reader] = {suffix: reader for reader in FORMATS for suffix in reader.suffixes}
SUPPORTED_SUFFIXES = tuple(READERS)  # the suffixes as shipped; code asks READERS itself

# A long news feature is under 100,000 characters. Beyond these limits a file is not an
# article (a book, a database dump) and embedding it would take many minutes, so it is
# skipped with a message rather than left to stall every build. Both are arguments too.
# Stored with the index: when reading articles changes what a body or its metadata holds
# (2: dates only from what a page states, bylines, captions and list markers cleaned, PDF
# pages; 3: a byline's publication; 4: a line broken inside a sentence joined to the next),
# an index of an older version is rebuilt in full.
READER_VERSION = 4
MAX_FILE_BYTES = 5 * 1024 * 1024  # what is read at all, from the corpus, `qa add` or an upload
MAX_BODY_CHARS = 200_000  # article text after cleaning: about 33,000 words


def _readers() -> list[Reader]:
    return list(dict.fromkeys(READERS.values()))  # each reader once, in table order


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def describe_formats() -> str:
    """The formats for a message: ``".txt, .md or .html"``."""
    return _listed([reader.suffixes[0] for reader in _readers()])


def describe_formats_with_hints() -> str:
    """The formats with what each should hold, for an upload form."""
    return _listed([f"**{reader.suffixes[0]}** ({reader.hint})" for reader in _readers()])


def doc_id_for(path: Path, corpus_dir: Path) -> str:
    """The document's id: its path in the corpus without the suffix ('cypnow-2018-07-23-...')."""
    return doc_id_of(path.relative_to(corpus_dir).as_posix())


def doc_id_of(source: str) -> str:
    """The id of the document in ``source``, a file's path relative to the corpus:
    ``"later/ferry.md"`` -> ``"later/ferry"``."""
    return os.path.splitext(source)[0]


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 100_000 else f"{n:,} bytes"


_OUTSIDE = ("the corpus reads only regular files inside its folder; copy the article into the "
            "corpus folder instead")
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def _read_bytes(path: Path, max_bytes: int, follow_links: bool = True) -> bytes:
    """The file's bytes, checked on the open file itself: with ``follow_links=False`` a
    symbolic link is refused (O_NOFOLLOW), and whatever is not a regular file (a pipe
    would block the build forever, a device never ends) is refused before any read."""
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow_links else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_links:
            raise DocumentError(path, f"is a symbolic link; {_OUTSIDE}") from exc
        raise DocumentError(path, f"cannot be read ({exc.strerror})") from exc
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "a special file")
            raise DocumentError(path, f"is not a regular file ({kind}); {_OUTSIDE}")
        # Checked before reading: a huge file is refused without being loaded into memory.
        if info.st_size > max_bytes:
            raise DocumentError(
                path, f"is {_size(info.st_size)}, over the {_size(max_bytes)} limit for an article; "
                "split it into separate articles"
            )
        try:
            return fh.read(max_bytes + 1)
        except OSError as exc:
            raise DocumentError(path, f"cannot be read ({exc.strerror})") from exc


def read_corpus_file(path: str | Path, corpus_dir: str | Path, max_bytes: int = MAX_FILE_BYTES,
                     max_chars: int = MAX_BODY_CHARS, parsed: ParsedDocuments | None = None) -> Document:
    """Read one article of the corpus: only a regular file inside the folder, never what a
    symbolic link points to (``corpus/passwd.txt -> /etc/passwd`` is refused). A file
    whose bytes ``parsed`` holds already (:mod:`qa.ingest.parsed`) is not parsed again."""
    if os.path.islink(path):  # also a link to a folder; the read below refuses links swapped in later
        raise DocumentError(path, f"is a symbolic link; {_OUTSIDE}")
    return read_document(path, corpus_dir, max_bytes=max_bytes, max_chars=max_chars, follow_links=False,
                         parsed=parsed)


def read_document(path: str | Path, corpus_dir: str | Path | None = None,
                  max_bytes: int = MAX_FILE_BYTES, max_chars: int = MAX_BODY_CHARS,
                  follow_links: bool = True, parsed: ParsedDocuments | None = None) -> Document:
    """Read one article. Raises :class:`DocumentError` naming the file when it is unusable.
    Files of the corpus are read with :func:`read_corpus_file`, which follows no link."""
    path = Path(path)
    corpus = Path(corpus_dir) if corpus_dir is not None else path.parent
    suffix = path.suffix.lower()
    if suffix not in READERS:
        raise DocumentError(path, f"unsupported type {suffix or '(none)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}")
    data = _read_bytes(path, max_bytes, follow_links=follow_links)
    doc = Document(
        doc_id=doc_id_for(path, corpus),
        title="",
        body="",
        source=path.relative_to(corpus).as_posix(),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    if not data.strip():
        raise DocumentError(path, "is empty")
    if parsed is not None and (known := parsed.get(doc.source, doc.sha256)) is not None:
        known.doc_id = doc.doc_id
        return known
    reader = READERS[suffix]
    try:
        if reader.binary:
            reader.read(data, doc)
        else:
            reader.read(decode_text(data, path).replace("\r\n", "\n").replace("\r", "\n"), doc)
    except DocumentError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a reader's library raises, this file is skipped, not the build
        raise DocumentError(doc.source, f"cannot be read as {suffix[1:].upper()} ({unreadable(exc)}); "
                            "check the file, or save it again from the program that made it") from exc
    if not doc.body.strip():
        raise DocumentError(path, "has no article text after removing page furniture")
    if len(doc.body) > max_chars:
        raise DocumentError(
            path, f"has {len(doc.body):,} characters of text, over the {max_chars:,} limit for an article; "
            "split it into separate articles"
        )
    if not doc.title:
        doc.title = doc.doc_id.rsplit("/", 1)[-1].replace("-", " ").replace("_", " ")
    return doc


def unreadable(exc: BaseException) -> str:
    """Why a reader's library gave up on a file, in a few words.

    >>> unreadable(RecursionError("maximum recursion depth exceeded"))
    'it nests too deeply to read (RecursionError)'
    """
    if isinstance(exc, RecursionError):
        return f"it nests too deeply to read ({type(exc).__name__})"
    if isinstance(exc, MemoryError):
        return f"it needs more memory than an article can ({type(exc).__name__})"
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _check_type(name: str) -> None:
    suffix = Path(name).suffix.lower()
    if suffix not in READERS:
        raise DocumentError(name, f"is not a {describe_formats()} file (type {suffix or 'none'}); "
                                  "save the article as one of those")


def check_candidate(path: str | Path, name: str | None = None, max_bytes: int = MAX_FILE_BYTES) -> Document:
    """The checks a file passes before it joins the corpus (``qa add``, a web upload): a
    supported type, at most ``max_bytes``, readable as an article. ``name`` is the file name
    it will have in the corpus (default: its own). Raises :class:`DocumentError` whose
    ``reason`` says what is wrong."""
    path = Path(path)
    name = name or path.name
    _check_type(name)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(name, f"cannot be read ({exc.strerror})") from exc
    if size > max_bytes:
        raise DocumentError(name, f"is {size / 1e6:.1f} MB; articles up to {max_bytes // (1024 * 1024)} MB are accepted")
    return check_bytes(name, path.read_bytes(), max_bytes=max_bytes)


def check_bytes(name: str, data: bytes, max_bytes: int = MAX_FILE_BYTES) -> Document:
    """:func:`check_candidate` for content in memory (a fetched web page, a feed item)."""
    _check_type(name)
    if len(data) > max_bytes:
        raise DocumentError(name, f"is {len(data) / 1e6:.1f} MB; articles up to {max_bytes // (1024 * 1024)} MB "
                                  "are accepted")
    # Read under its corpus name, in a folder of its own, exactly as the corpus will read it.
    with tempfile.TemporaryDirectory() as staging:
        staged = Path(staging) / name
        try:
            staged.write_bytes(data)
        except OSError as exc:  # a full /tmp or a file size limit: the message names the article
            exc.filename = f"a temporary copy of {name} (to check it)"
            raise
        return read_document(staged, staging, max_bytes=max_bytes)
