"""Whether a corpus folder and its index may have changed since they were last compared,
from file listings and ``stat`` alone.

Comparing a corpus with its index (:func:`qa.store.build.corpus_state`) reads, cleans and
hashes every article: 0.3 s for 400 abstracts, seconds for thousands. ``qa.retrieve`` asks
before every question whether the index is stale, so it compares only when the
:func:`corpus_stamp` differs from the one taken at the last comparison.

A stamp is the relative path, size, change time and inode of every entry of the corpus
folder that is not hidden (its folders included, so an added or removed file shows), and
the same of the index's manifest. A file rewritten within the file system's clock
resolution of the stamp being taken could keep all four, so no stamp is given (``None``:
compare) while any of them changed less than :data:`SETTLE_SECONDS` ago. Listing 400
files takes about 2 ms, 5,000 about 20 ms.

>>> import tempfile, pathlib, os, time
>>> corpus = pathlib.Path(tempfile.mkdtemp())
>>> _ = (corpus / "a.md").write_text("The ferry sank.")
>>> corpus_stamp(corpus, corpus / "none") is None  # just written: not settled yet
True
>>> past = time.time() - 60
>>> os.utime(corpus / "a.md", (past, past))
>>> corpus_stamp(corpus, corpus / "none", now=time.time() + 60) == corpus_stamp(corpus, corpus / "none", now=time.time() + 60)
True

``qa index`` uses the same stamp to skip the comparison itself: each build leaves beside its
index the stamp of the corpus it just indexed (:func:`record_build`, ``corpus-stamp.json``,
with what it skipped and warned of), and the next build that finds the same stamp and the
same manifest generation has nothing to do (:func:`unchanged_since_build`): an unchanged
``qa index`` over 5,000 articles lists the folder instead of reading 5,000 files.
"""
from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from ..files import write_atomic
from ..ingest.parsed import SETTLE_SECONDS as PARSE_CACHE_SETTLE_SECONDS
from .index_files import MANIFEST

BUILD_STAMP = "corpus-stamp.json"

# A stamp is only trusted when every file in it is older than this (seconds): the parse
# cache's rule for a file's stat, the same clock resolution.
SETTLE_SECONDS = PARSE_CACHE_SETTLE_SECONDS

Stamp = tuple


def corpus_stamp(corpus_dir: Path, index_dir: Path | None, now: float | None = None) -> Stamp | None:
    """The stamp of the corpus's files (every entry not hidden, articles or not: a superset
    of what :func:`qa.ingest.documents.iter_corpus_files` reads) and the index's manifest;
    None when the corpus folder cannot be listed or some entry changed too recently to be
    told apart."""
    entries: list[tuple] = []
    try:
        _walk(str(corpus_dir), "", entries)
    except OSError:
        return None
    if index_dir is not None:  # None: the corpus alone
        try:
            st = os.stat(Path(index_dir) / MANIFEST)
            entries.append(("\0manifest", st.st_size, max(st.st_mtime_ns, st.st_ctime_ns), st.st_ino))
        except OSError:
            entries.append(("\0manifest", None))
    entries.sort(key=lambda e: e[0])
    newest = max((e[2] for e in entries if len(e) > 2), default=0)
    if newest / 1e9 > (time.time() if now is None else now) - SETTLE_SECONDS:
        return None
    return tuple(entries)


def _walk(folder: str, prefix: str, entries: list[tuple]) -> None:
    """Append ``(relative path, size, change time, inode)`` of every entry under ``folder``,
    hidden ones left out; linked folders are listed, not entered (as the corpus reader does).
    The caller sorts them: listing order is not fixed."""
    st = os.stat(folder)
    entries.append((prefix or ".", st.st_size, max(st.st_mtime_ns, st.st_ctime_ns), st.st_ino))
    with os.scandir(folder) as listing:
        for entry in listing:
            name = entry.name
            if name.startswith("."):
                continue
            if prefix:
                name = f"{prefix}/{name}"
            if entry.is_dir(follow_symlinks=False):
                _walk(entry.path, name, entries)
            else:
                st = entry.stat(follow_symlinks=False)
                entries.append((name, st.st_size, max(st.st_mtime_ns, st.st_ctime_ns), st.st_ino))


def record_build(index_dir: Path, corpus_dir: Path, generation: int, found: dict[str, list]) -> None:
    """Keep the stamp of ``corpus_dir`` as indexed by generation ``generation`` of the index,
    with what the build ``found`` (its skipped files, warnings and copies, which a build that
    compares nothing must still report). A corpus that changed too recently to be stamped
    leaves no stamp: the next build compares. Only a cache: failing to write it costs the
    next build its comparison."""
    path = Path(index_dir) / BUILD_STAMP
    stamp = corpus_stamp(Path(corpus_dir), None)
    with contextlib.suppress(OSError):
        if stamp is None:
            path.unlink(missing_ok=True)
            return
        payload = json.dumps({"generation": generation, "corpus": os.path.abspath(corpus_dir),
                              "entries": [list(e) for e in stamp], **found}, ensure_ascii=False)
        write_atomic(path, lambda fh: fh.write(payload.encode("utf-8")))


def unchanged_since_build(index_dir: Path, corpus_dir: Path, generation: int) -> dict[str, list] | None:
    """What the build of generation ``generation`` found, when ``corpus_dir`` has the stamp it
    left (nothing to compare, nothing to do); else None."""
    try:
        saved = json.loads((Path(index_dir) / BUILD_STAMP).read_text(encoding="utf-8"))
        if saved.get("generation") != generation or saved.get("corpus") != os.path.abspath(corpus_dir):
            return None
        stamp = corpus_stamp(Path(corpus_dir), None)
        if stamp is None or [list(e) for e in stamp] != saved["entries"]:
            return None
        return {key: value for key, value in saved.items() if key not in ("generation", "corpus", "entries")}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def forget_build(index_dir: Path) -> None:
    """Drop the last build's stamp: the next build compares the corpus and loads the whole
    index (after a load found a data file damaged, which the stamp does not see)."""
    with contextlib.suppress(OSError):
        (Path(index_dir) / BUILD_STAMP).unlink(missing_ok=True)
