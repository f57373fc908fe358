"""Corpus updates one at a time, and the clean-up after one killed part-way.

Every way of adding articles (``qa add``, an upload, an address or a feed added on the
page) changes the corpus and then the index, as one transaction
(:mod:`qa.store.transaction`). Two at once would see each other's half-staged files: one
used to fail with "another `qa index` is updating", roll back, and leave the other
reporting the file it took away as unreadable. So a transaction first takes its turn
(:func:`update_turn`, the lock ``index/.update.lock``), waiting a bounded time for the one
before it.

A transaction killed outright (``kill -9``, a power cut) cannot roll back: it may leave
``.staging-…`` files (a file half-written) and ``.replaced-…`` files (the old version of
an article that ``qa add --replace`` was replacing) in the corpus folder. With the turn
held no transaction is running, so :func:`recover_interrupted` knows they are leftovers:
a half-written file is deleted; an old version comes back unless the index already
describes the new one, in which case the update had finished and the old version goes.
The next update and the next build do this (a build only when no update is running), when
the mark an update leaves in the index folder while it runs (:data:`UPDATE_OPEN`) says one
was killed: otherwise the corpus folder is not listed for leftovers at all.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Callable, Iterator

from ..errors import IndexLockedError, StorageError
from ..records import IndexedDocument
from . import index_files
from ..files import file_sha256, fsync_path, held_lock

UPDATE_LOCK = ".update.lock"
# Present in the index folder while an update runs (from its first staged file to its commit
# or rollback): left behind, it says an update was killed and the corpus may hold leftovers.
# Without it, no folder is listed for them: adding one article to 20,000 lists none.
UPDATE_OPEN = ".update-open"
WAIT_S = 300.0  # how long an update waits for the one before it; a long build takes minutes
# The hidden files CorpusUpdate.put writes beside an article: ".<kind>-<pid>-<thread>-<name>".
STAGING, REPLACED = "staging", "replaced"


@contextlib.contextmanager
def update_turn(index_dir: str | Path, wait_s: float = WAIT_S,
                on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the update lock of ``index_dir`` (taking turns with every other update of it, in
    this process or another). While another update holds it, ``on_wait`` is told once and
    this waits up to ``wait_s`` seconds, then raises :class:`IndexLockedError`."""
    index_dir = Path(index_dir)
    busy = (f"another update of {index_dir} (qa add, or an upload in the web app) has been running for over "
            f"{wait_s:g} s; wait for it to finish and try again")
    waiting = (f"waiting for another update of {index_dir} (qa add, or an upload in the web app) to finish; "
               f"up to {wait_s:g} s")
    with held_lock(index_dir / UPDATE_LOCK, wait_s, busy, on_wait=on_wait, waiting=waiting):
        yield


def recover_if_free(corpus_dir: str | Path, index_dir: str | Path) -> list[str]:
    """:func:`recover_interrupted`, when no update is running (a build does this first); else
    nothing, as the running update's files are not leftovers."""
    try:
        with update_turn(index_dir, wait_s=0):
            return recover_interrupted(corpus_dir, index_dir)
    except (IndexLockedError, StorageError):  # an update runs, or the index folder cannot be written
        return []


def recover_interrupted(corpus_dir: str | Path, index_dir: str | Path) -> list[str]:
    """Put right what killed updates left in ``corpus_dir`` (see the module's docstring);
    call it holding :func:`update_turn`. What was done, one line per file."""
    corpus = Path(corpus_dir)
    marker = Path(index_dir) / UPDATE_OPEN
    if not corpus.is_dir() or not marker.exists():
        return []
    done = []
    indexed = None  # the index's documents, read at the first leftover (most builds find none)
    with os.scandir(corpus) as listing:  # leftovers are hidden files: the articles are passed by name alone
        hidden = sorted(entry.name for entry in listing if entry.name.startswith("."))
    for file_name in hidden:
        path = corpus / file_name
        kind, name = _leftover(file_name)
        if kind is None or not path.is_file() or path.is_symlink():
            continue
        if indexed is None:
            indexed = (index_files.read_manifest_quietly(Path(index_dir)) or {}).get("documents") or {}
        dest = corpus / name
        with contextlib.suppress(OSError):  # a read-only corpus: left for a later try
            if kind == STAGING:
                path.unlink()
                done.append(f"removed {path.name}, half-written by an update that was stopped")
            elif _describes(indexed, dest):
                path.unlink()
                done.append(f"removed {path.name}: the update that replaced {name} had finished")
            else:
                os.replace(path, dest)
                done.append(f"restored {name}: the update that was replacing it was stopped")
    with contextlib.suppress(OSError):  # else the next one looks again
        if not [name for name in hidden if _leftover(name)[0] is not None and (corpus / name).exists()]:
            marker.unlink()
    return done


@contextlib.contextmanager
def update_open(index_dir: str | Path) -> Iterator[None]:
    """Mark an update as running (:data:`UPDATE_OPEN`) while the block runs; call it holding
    :func:`update_turn`. The mark stays when the process is killed, so that the next update
    or build looks for what it left."""
    marker = Path(index_dir) / UPDATE_OPEN
    with open(marker, "wb") as fh:
        os.fsync(fh.fileno())
    fsync_path(Path(index_dir))
    yield
    marker.unlink(missing_ok=True)


def _leftover(file_name: str) -> tuple[str | None, str]:
    """(kind, article's name) of a file CorpusUpdate.put left, or (None, '')."""
    for kind in (STAGING, REPLACED):
        prefix = f".{kind}-"
        if file_name.startswith(prefix):
            pid, _, rest = file_name[len(prefix):].partition("-")
            thread, _, name = rest.partition("-")
            if pid.isdigit() and thread.isdigit() and name and not name.startswith("."):
                return kind, name
    return None, ""


def _describes(indexed: dict[str, IndexedDocument], path: Path) -> bool:
    """Whether the index's documents hold ``path`` as it is now (same sha256)."""
    if not path.is_file():
        return False
    entry = indexed.get(path.with_suffix("").name)
    return entry is not None and entry.sha256 == file_sha256(path)
