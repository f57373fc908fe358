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

``qa index`` uses the same listing to skip the comparison itself: each build leaves beside
its index the listing of the corpus taken as it started (:func:`take`, :func:`record_build`,
``corpus-stamp.json``, with what it skipped and warned of). The next build that finds the
same listing and the same manifest generation has nothing to do (:func:`unchanged_since_build`):
an unchanged ``qa index`` over 5,000 articles lists the folder instead of reading 5,000
files. One that finds only new files (:func:`changes_since_build`) reads those alone
(:mod:`qa.store.appending`).
"""
from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from ..files import write_atomic
from ..ingest.parsed import SETTLE_SECONDS as PARSE_CACHE_SETTLE_SECONDS
from .index_files import MANIFEST

BUILD_STAMP = "corpus-stamp.json"
# What builds told which files they added (and that listed nothing) add to the last listing:
# one line each, ``{"after": generation, "generation": ..., "entries": [...], ...found}``.
ADDED_STAMP = "corpus-stamp-added.jsonl"

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
    hidden ones left out, a folder's path ending in "/"; linked folders are listed, not
    entered (as the corpus reader does). The caller sorts them: listing order is not fixed."""
    st = os.stat(folder)
    entries.append((f"{prefix}/" if prefix else "./", st.st_size, max(st.st_mtime_ns, st.st_ctime_ns), st.st_ino))
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


# The change time given to an entry changed less than SETTLE_SECONDS before it was listed:
# no later listing equals it, so its file is looked at again.
FRESH = -1


def take(corpus_dir: Path, now: float | None = None) -> list[list] | None:
    """The corpus's listing as a build starts reading it: ``[relative path, size, change time,
    inode]`` of every entry (a folder's path ends in "/"), an entry changed too recently to be
    told apart given the change time :data:`FRESH`. Taken before the build reads the corpus,
    so that a file changed while it runs is looked at by the next. None when the folder
    cannot be listed."""
    entries: list[tuple] = []
    try:
        _walk(str(corpus_dir), "", entries)
    except OSError:
        return None
    settled = ((time.time() if now is None else now) - SETTLE_SECONDS) * 1e9
    return sorted(([name, size, changed if changed <= settled else FRESH, inode]
                   for name, size, changed, inode in entries), key=lambda e: e[0])


def record_build(index_dir: Path, generation: int, corpus_dir: Path, entries: list[list] | None,
                 found: dict[str, list]) -> None:
    """Keep the listing of ``corpus_dir`` taken as the build of generation ``generation`` of the
    index started (:func:`take`), with what the build ``found`` (its skipped files, warnings
    and copies, which a build that compares nothing must still report). Without a listing, no
    stamp: the next build compares. Only a cache: failing to write it costs the next build
    its comparison."""
    path = Path(index_dir) / BUILD_STAMP
    with contextlib.suppress(OSError):
        if entries is None:
            path.unlink(missing_ok=True)
            return
        payload = orjson.dumps({"generation": generation, "corpus": os.path.abspath(corpus_dir),
                                "entries": entries, **found})
        write_atomic(path, lambda fh: fh.write(payload))
        # Its lines follow an older listing: none of them chains on to this one any more.
        (Path(index_dir) / ADDED_STAMP).unlink(missing_ok=True)


def record_added(index_dir: Path, after: int, generation: int, corpus_dir: Path, sources: list[str],
                 found: dict[str, list]) -> None:
    """Note that the build of generation ``generation``, which followed ``after``, added
    ``sources`` (files of ``corpus_dir`` it was told of and did not list the folder for) and
    ``found`` what it found of them: one line added to :data:`ADDED_STAMP`, whatever the
    corpus's size. The listing of the last build plus these lines is what the next build
    compares the folder with (:func:`_saved_build`). The ``stat`` of each file and of its
    folder is taken now; a file just written is :data:`FRESH`, so the next build that lists
    the folder looks at its bytes once more. Only a cache, as :func:`record_build`."""
    settled = (time.time() - SETTLE_SECONDS) * 1e9
    entries = []
    with contextlib.suppress(OSError):
        for name in sorted({*sources, *(_folder_of(source) for source in sources)}):
            st = os.lstat(Path(corpus_dir) / name)
            changed = max(st.st_mtime_ns, st.st_ctime_ns)
            entries.append([name, st.st_size, changed if changed <= settled else FRESH, st.st_ino])
        line = orjson.dumps({"after": after, "generation": generation, "entries": entries, **found})
        with open(Path(index_dir) / ADDED_STAMP, "ab") as fh:
            fh.write(line + b"\n")
            fh.flush()
            os.fsync(fh.fileno())


def _folder_of(source: str) -> str:
    """The listing's name of the folder that holds corpus file ``source``."""
    parent = source.rpartition("/")[0]
    return f"{parent}/" if parent else "./"


def _saved_build(index_dir: Path, corpus_dir: Path, generation: int) -> dict | None:
    """The listing and findings the index's last builds left, up to generation ``generation``:
    the last listing (:func:`record_build`) with the files builds added since put in
    (:func:`record_added`, in order while each follows the one before); None when they do
    not reach ``generation`` or describe another corpus."""
    saved = orjson.loads((Path(index_dir) / BUILD_STAMP).read_bytes())
    if saved.get("corpus") != os.path.abspath(corpus_dir):
        return None
    if saved.get("generation") != generation:
        try:
            lines = (Path(index_dir) / ADDED_STAMP).read_bytes().splitlines()
        except FileNotFoundError:
            return None
        entries = {entry[0]: entry for entry in saved["entries"]}
        for line in lines:
            try:
                added = orjson.loads(line)
            except ValueError:
                break  # cut short by a crash: what follows it cannot be trusted
            if not isinstance(added, dict) or added.get("after") != saved["generation"]:
                continue  # a line of an older listing's
            entries.update((entry[0], entry) for entry in added["entries"])
            for key, value in _found(added).items():
                saved[key] = [*saved.get(key, []), *value]
            saved["generation"] = added["generation"]
        if saved["generation"] != generation:
            return None
        saved["entries"] = sorted(entries.values(), key=lambda e: e[0])
    return saved


def _found(saved: dict) -> dict[str, list]:
    """What a build found (skipped files, warnings, copies), of a stamp or one of its lines."""
    return {key: value for key, value in saved.items() if key not in ("generation", "corpus", "entries", "after")}


def unchanged_since_build(index_dir: Path, corpus_dir: Path, generation: int,
                          entries: list[list] | None = None) -> dict[str, list] | None:
    """What the build of generation ``generation`` found, when ``corpus_dir`` (or its listing
    ``entries``, from :func:`take`) has the stamp it left, with no entry too recent to tell
    apart: nothing to compare, nothing to do. Else None."""
    entries = take(Path(corpus_dir)) if entries is None else entries
    changes = changes_since_build(index_dir, corpus_dir, generation, entries)
    return changes.found if changes is not None and changes.unchanged else None


@dataclass
class CorpusChanges:
    """How a corpus differs from its listing at the index's last build, when no file of it
    went away: ``found`` what that build found (skipped files, warnings, copies), ``added``
    the files not listed then, ``suspect`` those whose ``stat`` is not as listed (or was too
    recent to tell): whether their bytes changed is for their sha256 to say."""

    found: dict[str, list]
    added: list[str]
    suspect: list[str]
    unchanged: bool = False  # the very listing the build left, none too recent: nothing to do
    told: bool = False  # given by the caller (told_added), not found by listing the folder


def told_added(sources: list[str]) -> CorpusChanges:
    """The changes a build was told of instead of listing the folder: ``sources`` were put
    into the corpus where no file was (:mod:`qa.store.transaction`). What earlier builds
    found (skipped files, copies) is not read: the report speaks of these files alone."""
    return CorpusChanges({"skipped": [], "warnings": [], "copies": []}, list(sources), [], told=True)


def changes_since_build(index_dir: Path, corpus_dir: Path, generation: int,
                        entries: list[list] | None) -> CorpusChanges | None:
    """The corpus's changes since the build of generation ``generation`` (``entries`` its
    listing now, from :func:`take`); None when there is no stamp of that build or a file
    listed then is gone (a removal: compare the whole corpus). ``unchanged`` when the
    listing is the one :func:`unchanged_since_build` looks for (one reading of the stamp
    serves both questions)."""
    try:
        saved = _saved_build(index_dir, corpus_dir, generation)
        if saved is None or entries is None:
            return None
        if saved["entries"] == entries and not any(e[2] == FRESH for e in entries):
            return CorpusChanges(_found(saved), [], [], unchanged=True)
        before = {e[0]: e for e in saved["entries"] if not e[0].endswith("/")}
        now = {e[0]: e for e in entries if not e[0].endswith("/")}
        if not set(before) <= set(now):
            return None
        added = [name for name in now if name not in before]
        suspect = [name for name, e in before.items() if e != now[name] or e[2] == FRESH]
        return CorpusChanges(_found(saved), added, suspect)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None


def forget_build(index_dir: Path) -> None:
    """Drop the last build's stamp: the next build compares the corpus and loads the whole
    index (after a load found a data file damaged, which the stamp does not see)."""
    with contextlib.suppress(OSError):
        (Path(index_dir) / BUILD_STAMP).unlink(missing_ok=True)
        (Path(index_dir) / ADDED_STAMP).unlink(missing_ok=True)
