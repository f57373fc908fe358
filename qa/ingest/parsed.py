"""Articles as they were read last time, so that an unchanged file is not parsed again, nor
even read.

A build keeps, beside its index, every document it read (``parsed.jsonl``, a line each):
its file, the sha256 of the file's bytes, what the reader made of them, and the file's
``stat`` as it was just before it was read (size, change time, inode). A build appends the
documents it read anew (the last line of a file wins), and writes the file afresh only once
lines of files no longer there outnumber the rest. The next build takes a file whose
``stat`` is the same from here without opening it; a file whose ``stat`` changed is read
and hashed, and if its path and sha256 match (the same bytes written again) it is still
not parsed: a corpus of 5,000 articles, one of them new, reads one file. Files changed
within :data:`SETTLE_SECONDS` of being read get no ``stat`` (a rewrite within the clock's
resolution could keep all three), so they are read again next time. It is only a cache:
one that is missing, damaged or written by other readers is ignored, and the corpus is
read in full.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import fields
from pathlib import Path
from typing import Collection

from ..files import write_atomic
from ..records import Document

FILE_NAME = "parsed.jsonl"
_OLD_FILE_NAME = "parsed.json"  # one JSON document, before the cache was appended to
SETTLE_SECONDS = 2.0
# How much of the file's end an update that adds a few files looks through for them.
TAIL_BYTES = 4 << 20
# What the cache keeps of a document: what the readers set (the syndicated copies are
# found again by each build).
_KEPT = [f.name for f in fields(Document) if f.name != "also_published"]

StatKey = tuple  # (size, change time in ns, inode)


def stat_key(path: str | Path, now: float | None = None) -> StatKey | None:
    """The file's size, change time and inode (a link's own), or None when it changed less
    than :data:`SETTLE_SECONDS` ago or cannot be looked at."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    changed = max(st.st_mtime_ns, st.st_ctime_ns)
    if changed / 1e9 > (time.time() if now is None else now) - SETTLE_SECONDS:
        return None
    return (st.st_size, changed, st.st_ino)


class ParsedDocuments:
    """Documents read before, by (file relative to the corpus, sha256 of its bytes), and
    the ``stat`` each file had when it was read."""

    def __init__(self):
        self._saved: dict[tuple[str, str], dict] = {}
        self._stats: dict[str, tuple[StatKey, str]] = {}  # file -> (stat key, sha256) when last read
        self.seen: dict[str, StatKey] = {}  # file -> stat key, as this build found it before reading
        self._lines = -1  # document lines in the file this was loaded from (-1: none to append to)
        self._cut = False  # whether its last line was cut short (a crash while appending)

    def __len__(self) -> int:
        return len(self._saved)

    def get(self, source: str, sha256: str) -> Document | None:
        """The document read from this file with these bytes, or None (read it, as for an
        entry that does not make a document)."""
        saved = self._saved.get((source, sha256))
        if saved is None:
            return None
        try:
            return _document(saved)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def unchanged(self, source: str, key: StatKey | None) -> Document | None:
        """The document of ``source`` if the file's ``stat`` is still ``key`` (then its bytes
        are those read last time), or None (read the file)."""
        if key is None:
            return None
        known = self._stats.get(source)
        if known is None or known[0] != key:
            return None
        return self.get(source, known[1])

    @classmethod
    def load(cls, index_dir: str | Path, readers: int, sources: Collection[str] | None = None) -> "ParsedDocuments":
        """The cache of ``index_dir`` if the same readers' version (``readers``) wrote it; else
        empty. A line that does not read (cut short by a crash) is passed over. With
        ``sources`` (an update that adds a few files), only the last :data:`TAIL_BYTES` of the
        file are looked through, for those files' lines: where :func:`remember` and recent
        builds appended them, so that the look costs the same whatever the corpus's size (a
        line further back is missed, and its file parsed again). Such a cache is for
        :meth:`add`, not :meth:`save`."""
        cache = cls()
        cache._lines = -1
        marks = None if sources is None else [json.dumps(source, ensure_ascii=False) for source in sources]
        try:
            with open(Path(index_dir) / FILE_NAME, "rb") as fh:
                header = json.loads(fh.readline())
                if not isinstance(header, dict) or header.get("readers") != readers:
                    return cache
                cache._lines = 0
                if marks is not None:
                    start = fh.tell()
                    size = fh.seek(0, os.SEEK_END)
                    fh.seek(max(start, size - TAIL_BYTES))
                    tail = fh.read()
                    cache._cut = bool(tail) and not tail.endswith(b"\n")
                    whole = size - TAIL_BYTES <= start  # else the tail's first line may be a line's end
                    for source, mark in zip(sources, marks):
                        cache._keep_last(tail, source, mark.encode("utf-8"), whole)
                    return cache
                for raw in fh:
                    line = raw.decode("utf-8")
                    cache._lines += 1
                    cache._cut = not line.endswith("\n")
                    cache._keep(line)
        except (OSError, ValueError):
            cache._lines = -1
        return cache

    def _keep_last(self, tail: bytes, source: str, mark: bytes, whole: bool) -> None:
        """Take the last whole line of ``tail`` that is ``source``'s (the line ``mark``, its
        name in JSON, is found in and whose "source" it is), looking from the end."""
        end = len(tail)
        while (at := tail.rfind(mark, 0, end)) >= 0:
            first = tail.rfind(b"\n", 0, at) + 1
            last = tail.find(b"\n", at)
            end = first
            if last < 0 or (first == 0 and not whole):
                continue  # cut short by a crash, or the tail's first line, which may be a line's end
            try:
                values = json.loads(tail[first:last].decode("utf-8"))
                if values.get("source") != source:
                    continue  # the name inside another document
            except (ValueError, AttributeError):
                continue
            self._lines += 1
            self._keep_values(values)
            return

    def _keep(self, line: str) -> None:
        """Take one line of the file (the last line of a file wins)."""
        try:
            values = json.loads(line)
        except ValueError:
            return
        self._keep_values(values)

    def _keep_values(self, values) -> None:
        """Take one line's values, when they are a whole document's."""
        try:
            key = (values["source"], values["sha256"])
            if not all(name in values for name in _KEPT):
                return
        except (KeyError, TypeError, AttributeError):
            return
        self._saved[key] = values
        stat = values.get("stat")
        if isinstance(stat, list):
            self._stats[values["source"]] = (tuple(stat), values["sha256"])
        else:
            self._stats.pop(values["source"], None)

    def save(self, index_dir: str | Path, documents: list[Document], readers: int) -> None:
        """Keep ``documents`` (those of the corpus just indexed) for the next build, each with
        the ``stat`` its file had when this build looked at it: the lines that differ from
        what the file holds are appended, nothing is written when none do. A document whose
        fields do not come back from JSON as they are (a date object in its front matter) is
        left out: it is parsed each time, never read back changed."""
        new = [values for doc, values in zip(documents, map(self._line, documents))
               if self._saved.get((doc.source, doc.sha256)) != values and _storable(values)]
        wanted = {(doc.source, doc.sha256) for doc in documents}
        stale = self._lines + len(new) - len(wanted)
        if self._lines >= 0 and stale <= max(len(wanted), 100):
            self._append(index_dir, new)
        else:  # no file, another readers' version, or mostly lines of files gone: write it afresh
            for values in new:
                self._saved[(values["source"], values["sha256"])] = values
            self._write_afresh(index_dir, [self._saved[key] for key in sorted(wanted) if key in self._saved], readers)
        for values in new:
            self._saved[(values["source"], values["sha256"])] = values

    def add(self, index_dir: str | Path, documents: list[Document]) -> None:
        """Append ``documents``, read by this build (each with the ``stat`` it saw), to the file
        this was loaded from, the rest of it left as it is; nothing when there was none (the
        next build that reads the whole corpus writes it)."""
        if self._lines >= 0:
            self._append(index_dir, [values for values in map(self._line, documents) if _storable(values)])

    def _line(self, doc: Document) -> dict:
        """What the file keeps of ``doc``: its values, and the ``stat`` this build saw of its file."""
        values = _values(doc)
        if (key := self.seen.get(doc.source)) is not None:
            values["stat"] = list(key)
        return values

    def _append(self, index_dir: str | Path, lines: list[dict]) -> None:
        """Add ``lines`` to the end of the file (after a line a crash cut short, on a line of their own)."""
        if not lines:
            return
        payload = ("\n" if self._cut else "") + "".join(json.dumps(values, ensure_ascii=False) + "\n" for values in lines)
        with open(Path(index_dir) / FILE_NAME, "ab") as fh:
            fh.write(payload.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        self._lines += len(lines)
        self._cut = False

    def _write_afresh(self, index_dir: str | Path, lines: list[dict], readers: int) -> None:
        """Replace the file by the readers' version and ``lines``."""
        text = json.dumps({"readers": readers}) + "\n" + "".join(
            json.dumps(values, ensure_ascii=False) + "\n" for values in lines)
        write_atomic(Path(index_dir) / FILE_NAME, lambda fh: fh.write(text.encode("utf-8")))
        self._lines, self._cut = len(lines), False
        (Path(index_dir) / _OLD_FILE_NAME).unlink(missing_ok=True)


def remember(index_dir: str | Path, documents: list[Document], readers: int) -> None:
    """Add ``documents``, read just now from files just written (a web page stored as
    Markdown), to the cache of ``index_dir``: the build that follows finds their bytes here
    and does not parse them again. Only a cache: failing to write it costs that parse."""
    cache = ParsedDocuments.load(index_dir, readers)
    lines = [_values(doc) for doc in documents]
    try:
        if cache._lines < 0:  # none yet, or another readers' version: start the file
            cache._write_afresh(index_dir, lines, readers)
        else:
            cache._append(index_dir, lines)
    except OSError:
        pass


def _storable(values: dict) -> bool:
    """Whether ``values`` come back from JSON as they are (not so: a date object in front matter)."""
    try:
        return json.loads(json.dumps(values, ensure_ascii=False)) == values
    except (TypeError, ValueError):
        return False


def _values(doc: Document) -> dict:
    values = {name: getattr(doc, name) for name in _KEPT}
    values["pages"] = [list(page) for page in values["pages"]]
    return values


def _document(saved: dict) -> Document:
    """A new record from saved values: nothing mutable is shared with the cache."""
    values = {name: saved[name] for name in _KEPT}
    values["pages"] = [tuple(page) for page in values["pages"]]
    values["extra"] = json.loads(json.dumps(values["extra"])) if values["extra"] else {}
    values["warnings"] = list(values["warnings"])
    return Document(**values)
