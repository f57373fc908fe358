"""Reading articles from the corpus folder: Markdown with front matter, plain text, HTML.

Each file becomes one :class:`Document` with its metadata and a body cleaned of page
furniture. The body is what passages, offsets and citations refer to.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..errors import CorpusError, DocumentError

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm")
# A long news feature is under 100,000 characters. Beyond these limits a file is not an
# article (a book, a database dump) and embedding it would take many minutes, so it is
# skipped with a message rather than left to stall every build. Both are arguments too.
MAX_FILE_BYTES = 5 * 1024 * 1024  # what is read at all (the web app's upload limit too)
MAX_BODY_CHARS = 200_000  # article text after cleaning: about 33,000 words
METADATA_FIELDS = ("title", "publisher", "author", "published", "published_note", "url")


@dataclass
class Document:
    """One article: metadata plus the cleaned body that passages point into."""

    doc_id: str
    title: str
    body: str
    publisher: str = ""
    author: str = ""
    published: str = ""  # ISO date or partial: 2018-07-23, 2016-08, 2016
    published_note: str = ""  # why the date is uncertain, when it is
    url: str = ""
    source: str = ""  # path of the file it was read from, relative to the corpus
    sha256: str = ""  # of the file's bytes: what decides whether it changed
    extra: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def metadata(self) -> dict[str, Any]:
        meta = {name: getattr(self, name) for name in METADATA_FIELDS}
        meta.update(source=self.source, sha256=self.sha256)
        if self.extra:
            meta["extra"] = self.extra
        return meta


# --- cleaning -----------------------------------------------------------------------

# Lines that start the trailer of a news page (subscription offers, comment rules).
_TRAILER_START = re.compile(
    r"^\s*(comments\s*:\s*our rules|.*digital membership\s*$|subscribe\s*$|"
    r"report this comment|read the rules here|sign up to our newsletter|"
    r"share this article|related articles?\s*$|most read\s*$)",
    re.IGNORECASE,
)
_FURNITURE_LINE = re.compile(
    r"^\s*(•|·|\*)?\s*(advertisement|subscribe|from £\d+.*|last updated:?.*|cancel)\s*$",
    re.IGNORECASE,
)


def clean_body(text: str) -> str:
    """Remove page furniture: trailers, repeated photo captions, stray layout lines.

    Paragraphs are kept as they are, one blank line between them, so offsets into the
    cleaned body are stable for a given file.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    lines = [line.strip() for line in text.split("\n")]
    # Cut at the first trailer line found in the latter part of the article.
    nonblank = [i for i, line in enumerate(lines) if line]
    if nonblank:
        first_half_end = nonblank[len(nonblank) // 3]
        for i, line in enumerate(lines):
            if i > first_half_end and _TRAILER_START.match(line):
                lines = lines[:i]
                break
    paragraphs = [line for line in lines if line and not _FURNITURE_LINE.match(line)]
    # A paragraph printed twice in a row is a photo caption (image alt text + caption).
    repeated = {a for a, b in zip(paragraphs, paragraphs[1:]) if a == b}
    paragraphs = [p for p in paragraphs if p not in repeated]
    return "\n\n".join(paragraphs)


# --- readers --------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(\n|\Z)", re.DOTALL)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
)
_DATE_LINE = re.compile(
    rf"^((mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
    rf"(({_MONTHS})\s+\d{{1,2}}(st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(st|nd|rd|th)?\s+({_MONTHS}),?\s+\d{{4}})$",
    re.IGNORECASE,
)


_BINARY = "looks like a binary file, not text; save the article as .txt, .md or .html"
# Control characters other than tab, newline, carriage return and form feed: text has
# next to none, while any binary file decoded as cp1252/latin-1 is full of them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _decode(data: bytes, path: Path) -> str:
    # Text saved as UTF-16 is full of NUL bytes, so its byte-order mark is checked first.
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError(path, f"starts like UTF-16 text but does not decode ({exc.reason}); save it as UTF-8") from exc
    if b"\x00" in data[:4096]:
        raise DocumentError(path, _BINARY)
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - latin-1 decodes anything
        raise DocumentError(path, "cannot be decoded as text")
    sample = text[:65536]
    if len(_CONTROL.findall(sample)) > 0.02 * len(sample):
        raise DocumentError(path, _BINARY)
    return text


def _iso_date(text: str) -> str:
    """An article date line ("Monday, July 23, 2018") as ISO, or '' if it is not one."""
    from datetime import datetime

    cleaned = re.sub(r"(\d)(st|nd|rd|th)", r"\1", text.strip())
    cleaned = re.sub(r"^\w+day,?\s+", "", cleaned, flags=re.IGNORECASE).replace(",", "")
    for fmt in ("%B %d %Y", "%d %B %Y"):
        try:
            return datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    return ""


def _normalise_published(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value).strip()


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:200]


def _load_yaml(text: str):
    """``yaml.safe_load`` without aliases: ``*name`` references let a few lines of front
    matter expand into billions of values (a "billion laughs" file), so they are refused."""
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                raise yaml.YAMLError("YAML aliases (*name) are not allowed in front matter; write the values out")
            return super().compose_node(parent, index)

    return yaml.load(text, Loader=NoAliasLoader)


_FIELD_LINE = re.compile(r"^(\w+)[ \t]*:[ \t]*(.*?)[ \t]*$")


def _fields_line_by_line(text: str) -> dict[str, str]:
    """The known fields of a front matter that is not valid YAML, one ``name: value`` per
    line. The usual culprit is a headline with a colon ("title: Breaking: ...")."""
    fields = {}
    for line in text.splitlines():
        match = _FIELD_LINE.match(line)
        if match and match.group(1) in METADATA_FIELDS and match.group(1) not in fields:
            value = match.group(2)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            if value:
                fields[match.group(1)] = value
    return fields


def _newlines(text: str) -> str:
    """Windows (CRLF) and old Mac (CR) line endings as ``\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_markdown(text: str, doc: Document) -> None:
    text = _newlines(text)  # a front matter saved with CRLF endings is still one
    match = _FRONT_MATTER.match(text)
    body = text
    if match:
        body = text[match.end():]
        try:
            meta = _load_yaml(match.group(1)) or {}
            if not isinstance(meta, dict):
                raise ValueError("front matter is not a mapping of field: value")
        except Exception as exc:  # malformed YAML must not lose the article's text
            meta = _fields_line_by_line(match.group(1))
            kept = f"; read {', '.join(meta)} line by line" if meta else "; no fields could be read"
            doc.warnings.append(f"front matter is not valid YAML ({type(exc).__name__}: {_first_line(exc)}){kept}")
        for name in METADATA_FIELDS:
            if name in meta and meta[name] is not None:
                value = meta.pop(name)
                setattr(doc, name, _normalise_published(value) if name == "published" else str(value).strip())
        doc.extra = {k: v if isinstance(v, (str, int, float, bool)) else str(v) for k, v in meta.items()}
    body = body.strip("\n")
    # A Markdown "# Headline" first line is the title when front matter has none.
    first = body.lstrip().split("\n", 1)[0]
    if first.startswith("# "):
        if not doc.title:
            doc.title = first[2:].strip()
        body = body.lstrip().split("\n", 1)[1] if "\n" in body.lstrip() else ""
    doc.body = clean_body(body)


def _read_text(text: str, doc: Document) -> None:
    text = _newlines(text)
    if _FRONT_MATTER.match(text):
        # A Markdown article saved as .txt: read as plain text its front matter would be the
        # body and "---" the headline, and the copy would outrank the original.
        _read_markdown(text, doc)
        return
    lines = text.split("\n")
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    if not nonblank:
        doc.body = ""
        return
    doc.title = lines[nonblank[0]].strip()
    consumed = nonblank[0] + 1
    # A byline and a date line may follow the headline ("Joe Lepper" / "Monday, July 23, 2018").
    for i in nonblank[1:4]:
        line = lines[i].strip()
        iso = _iso_date(line) if _DATE_LINE.match(line) else ""
        if iso:
            doc.published = iso
            consumed = i + 1
            break
        if len(line.split()) <= 4 and not re.search(r"[.!?:;\"“”]", line) and not doc.author:
            doc.author = line
            continue
        break
    if not doc.published:
        doc.author = ""
        consumed = nonblank[0] + 1
    doc.body = clean_body("\n".join(lines[consumed:]))


def _read_html(text: str, doc: Document) -> None:
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise DocumentError(
            doc.source, f"reading HTML needs trafilatura and its parts ({exc}); run: pip install -e ."
        ) from exc
    result = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False, favor_precision=True)
    if result is None:
        raise DocumentError(doc.source, "no article text found in the HTML")
    data = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    doc.title = (data.get("title") or "").strip()
    doc.author = (data.get("author") or "").strip()
    doc.publisher = (data.get("sitename") or "").strip()
    doc.published = (data.get("date") or "").strip()
    doc.url = (data.get("url") or "").strip()
    doc.body = clean_body(data.get("text") or "")


def doc_id_for(path: Path, corpus_dir: Path) -> str:
    """The document's id: its path in the corpus without the suffix ('cypnow-2018-07-23-...')."""
    rel = path.relative_to(corpus_dir).with_suffix("")
    return rel.as_posix()


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
                     max_chars: int = MAX_BODY_CHARS) -> Document:
    """Read one article of the corpus: only a regular file inside the folder, never what a
    symbolic link points to (``corpus/passwd.txt -> /etc/passwd`` is refused)."""
    if os.path.islink(path):  # also a link to a folder; the read below refuses links swapped in later
        raise DocumentError(path, f"is a symbolic link; {_OUTSIDE}")
    return read_document(path, corpus_dir, max_bytes=max_bytes, max_chars=max_chars, follow_links=False)


def read_document(path: str | Path, corpus_dir: str | Path | None = None,
                  max_bytes: int = MAX_FILE_BYTES, max_chars: int = MAX_BODY_CHARS,
                  follow_links: bool = True) -> Document:
    """Read one article. Raises :class:`DocumentError` naming the file when it is unusable.
    Files of the corpus are read with :func:`read_corpus_file`, which follows no link."""
    path = Path(path)
    corpus = Path(corpus_dir) if corpus_dir is not None else path.parent
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
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
    text = _decode(data, path)
    if suffix in (".md", ".markdown"):
        _read_markdown(text, doc)
    elif suffix == ".txt":
        _read_text(text, doc)
    else:
        _read_html(text, doc)
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


def iter_corpus_files(corpus_dir: str | Path) -> Iterable[Path]:
    """Every entry of the corpus that would be an article by its name, plus every symbolic
    link to a folder; :func:`read_corpus_file` refuses the links and special files among
    them, so that each is listed as skipped with its reason. Linked folders are not entered."""
    corpus = Path(corpus_dir)
    for path in sorted(corpus.rglob("*")):  # rglob does not descend into linked folders
        rel = path.relative_to(corpus)
        if any(part.startswith(".") for part in rel.parts) or rel.name.lower() == "readme.md":
            continue
        if path.is_symlink():
            if path.is_dir() or path.suffix.lower() in SUPPORTED_SUFFIXES:
                yield path
        elif not path.is_dir() and path.suffix.lower() in SUPPORTED_SUFFIXES:
            yield path


def load_corpus(corpus_dir: str | Path, max_bytes: int = MAX_FILE_BYTES,
                max_chars: int = MAX_BODY_CHARS) -> tuple[list[Document], list[DocumentError]]:
    """Every readable article in ``corpus_dir`` and, separately, the files skipped with why."""
    corpus = Path(corpus_dir)
    if not corpus.is_dir():
        raise CorpusError(f"corpus folder {corpus} does not exist; create it and put articles (.md, .txt, .html) in it")
    documents, problems = [], []
    for path in iter_corpus_files(corpus):
        try:
            documents.append(read_corpus_file(path, corpus, max_bytes=max_bytes, max_chars=max_chars))
        except DocumentError as exc:
            problems.append(exc)
    return documents, problems
