"""Articles and passages: an article as read (:class:`Document`) and as the index keeps it
(:class:`IndexedDocument`), where a text comes from (:class:`Source`), a passage as the index
keeps it (:class:`Passage`) and a date found in a text (:class:`DateMention`)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Mapping

# What an article says about itself; the index manifest keeps these per document.
SOURCE_FIELDS = ("title", "publisher", "author", "published", "published_note", "published_source", "url")
# Where a publication date may be read (qa.ingest.metadata); '' when the article states none.
PUBLISHED_SOURCES = ("front matter", "html meta", "json-ld", "time element", "dateline", "feed", "pdf metadata", "")
# What a citation of a syndicated copy shows (and the manifest keeps of it, with its file).
CITATION_FIELDS = ("title", "publisher", "published", "url")


@dataclass(frozen=True)
class Source:
    """Where a passage comes from, as a citation shows it. ``published`` is ISO at the
    precision known (2018-07-23, 2016-08, 2016); ``published_note`` says why it is
    uncertain, when it is; ``published_source`` where it was read ('' when the article
    states no date: never guessed). ``also_published`` are syndicated copies of the
    article elsewhere (qa.ingest.syndication), cited with it; ``file`` is the corpus file
    the text was read from, relative to the corpus."""

    title: str = ""
    publisher: str = ""
    author: str = ""
    published: str = ""
    published_note: str = ""
    url: str = ""
    published_source: str = ""
    also_published: tuple["Source", ...] = ()
    file: str = ""

    @classmethod
    def of(cls, document: "Document") -> "Source":
        """What a citation of ``document`` shows, its syndicated copies included."""
        return cls(**{name: _text(getattr(document, name)) for name in SOURCE_FIELDS}, file=_text(document.source),
                   also_published=tuple(document.also_published))

    def as_copy(self) -> "Source":
        """What a citation of this text as a syndicated copy of another shows: :meth:`citation`'s fields and the file."""
        return Source(**self.citation(), file=self.file)

    def citation(self) -> dict[str, str]:
        """Title, publisher, published and url: what a citation of a copy shows."""
        return {name: getattr(self, name) for name in CITATION_FIELDS}


def _text(value: Any) -> str:
    """A text field as the manifest has always read it: missing, None or empty is ''."""
    return str(value or "")


class Cited:
    """A record that cites a :class:`Source` (a hit, a timeline entry, an indexed document):
    the source's fields read as its own, by the names citations have always used."""

    source: Source

    @property
    def title(self) -> str:
        return self.source.title

    @property
    def publisher(self) -> str:
        return self.source.publisher

    @property
    def author(self) -> str:
        return self.source.author

    @property
    def published(self) -> str:
        return self.source.published

    @property
    def published_note(self) -> str:
        return self.source.published_note

    @property
    def url(self) -> str:
        return self.source.url

    @property
    def published_source(self) -> str:
        return self.source.published_source

    @property
    def also_published(self) -> tuple[Source, ...]:
        return self.source.also_published


@dataclass
class DateMention:
    """One date expression in a text, resolved. ``start``/``end`` are offsets into the text
    searched; ``relative`` says the value was read against the publication date, and
    ``approximate`` that this date was itself uncertain."""

    text: str
    start: int
    end: int
    value: str  # ISO at its precision: 2016-08-11, 2018-05, 2015
    precision: str  # "day", "week" (2016-W31), "month" or "year"
    relative: bool = False
    approximate: bool = False
    relation: str = ""  # "since", "until", "by", "before", "after", "from"; "" for the date itself
    future: bool = False  # said as a plan ("will meet on August 25"), or after the article's date

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> "DateMention":
        return cls(**{f.name: row[f.name] for f in fields(cls) if f.name in row})

    def shifted(self, offset: int) -> "DateMention":
        """The same mention with offsets moved back by ``offset`` (into a passage)."""
        return replace(self, start=self.start - offset, end=self.end - offset)


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
    published_source: str = ""  # one of PUBLISHED_SOURCES
    # (start, end) of each page in ``body`` for paged documents (PDF), page 1 first; empty
    # for articles without pages. Passages never run across two pages.
    pages: list[tuple[int, int]] = field(default_factory=list)
    # Syndicated copies of this article in the corpus (each a Source with its file: see
    # Source.as_copy), found when the index is built; see qa.ingest.syndication.
    also_published: tuple[Source, ...] = ()



@dataclass(frozen=True)
class IndexedDocument(Cited):
    """An article as the index keeps it: one line of a ``documents-<gen>.jsonl`` of the index
    (:mod:`qa.store.document_files`), under its document id. ``source`` is its citation
    (built once when the index is loaded and shared by every hit and timeline entry of the
    article; ``source.file`` is the file it was read from); ``sha256`` of that file's bytes
    decides whether it changed; ``passages`` and ``pages`` (0 for an article without pages)
    are counts; ``extra`` holds the reader's other fields (front matter the citation does
    not show)."""

    source: Source
    sha256: str = ""
    passages: int = 0
    pages: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def file(self) -> str:
        """The corpus file the article was read from, relative to the corpus."""
        return self.source.file

    @classmethod
    def of(cls, document: Document, passages: int) -> "IndexedDocument":
        """``document`` as the index keeps it once split into ``passages`` passages."""
        return cls(source=Source.of(document), sha256=document.sha256, passages=passages, pages=len(document.pages),
                   extra=dict(document.extra))

    def to_json(self) -> dict[str, Any]:
        """The index's entry: the source's fields at the top level, its file as "source"."""
        row: dict[str, Any] = {name: getattr(self.source, name) for name in SOURCE_FIELDS}
        row.update(source=self.file, sha256=self.sha256)
        if self.extra:
            row["extra"] = self.extra
        if self.pages:
            row["pages"] = self.pages
        if self.also_published:
            row["also_published"] = [{**copy.citation(), "source": copy.file} for copy in self.also_published]
        row["passages"] = self.passages
        return row

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> "IndexedDocument":
        """An entry of the index's articles. Raises ``ValueError`` saying what is
        wrong when a count, ``extra`` or a copy has the wrong shape; a text field that is
        missing or empty reads as ''."""
        if not isinstance(row, dict):  # a JSON object (typing.Mapping checks are slow per row)
            raise ValueError("is not a mapping")
        counts = {name: row.get(name, 0) for name in ("passages", "pages")}
        for name, count in counts.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(f"has {name!r} {count!r}, not a count")
        extra = row.get("extra") or {}
        copies = row.get("also_published") or []
        if not isinstance(extra, Mapping):
            raise ValueError("has an 'extra' that is not a mapping")
        if not isinstance(copies, list) or not all(isinstance(copy, Mapping) for copy in copies):
            raise ValueError("has an 'also_published' that is not a list of mappings")
        source = Source(**{name: _text(row.get(name)) for name in SOURCE_FIELDS}, file=_text(row.get("source")),
                        also_published=tuple(Source(**{name: _text(copy.get(name)) for name in CITATION_FIELDS},
                                                    file=_text(copy.get("source"))) for copy in copies))
        return cls(source=source, sha256=_text(row.get("sha256")), passages=counts["passages"], pages=counts["pages"],
                   extra=dict(extra))


@dataclass
class Passage:
    """A few consecutive sentences of one article, as the index stores and loads them.

    ``text`` is exactly ``body[start:end]`` of the article; ``sentences`` are offsets within
    ``text``; ``id`` is the passage's id in the vector store and ``sentence_rows`` the rows
    of its sentences' vectors (both given when it is embedded); ``dates`` are the date
    mentions inside it, offsets within ``text``.
    """

    passage_id: str  # "<doc_id>#p<n>": stable while the document is unchanged
    doc_id: str
    text: str
    start: int
    end: int
    sentences: list[tuple[int, int]] = field(default_factory=list)
    id: int = -1
    sentence_rows: list[int] = field(default_factory=list)
    dates: list[DateMention] = field(default_factory=list)
    page: int | None = None  # 1-based page of a paged document (PDF); None for an article

    def sentence(self, i: int) -> str:
        s, e = self.sentences[i]
        return self.text[s:e]

    def to_json(self) -> dict[str, Any]:
        """One line of ``passages-<gen>.jsonl``."""
        return {
            "passage_id": self.passage_id,
            "doc_id": self.doc_id,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "sentences": [list(s) for s in self.sentences],
            "sentence_rows": list(self.sentence_rows),
            "dates": [d.to_dict() for d in self.dates],
            "id": self.id,
            **({"page": self.page} if self.page is not None else {}),
        }

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> "Passage":
        """A passage from one line of the passage table. Raises ``KeyError``, ``TypeError``
        or ``ValueError`` when the row lacks a field or has one of the wrong shape."""
        if not isinstance(row, dict):  # a JSON object (typing.Mapping checks are slow per row)
            raise TypeError("a passage row is not a JSON object")
        return cls(
            passage_id=str(row["passage_id"]),
            doc_id=str(row["doc_id"]),
            text=str(row["text"]),
            start=int(row["start"]),
            end=int(row["end"]),
            sentences=[(int(s), int(e)) for s, e in row["sentences"]],
            id=int(row["id"]),
            sentence_rows=[int(r) for r in row["sentence_rows"]],
            dates=[DateMention.from_dict(d) for d in row.get("dates", [])],
            page=int(row["page"]) if row.get("page") is not None else None,
        )
