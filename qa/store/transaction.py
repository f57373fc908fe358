"""Changing the corpus and the index as one step: either both change, or neither does.

Every path that adds articles (``qa add``, a web upload, URL and feed adds) stages its
files through :func:`corpus_update` and builds the index inside it, one update at a time
(:mod:`qa.store.corpus_lock`: a second waits its turn). On any exception
before the new manifest is in place (a full disk, a file size limit, a read-only folder,
a bug, Ctrl-C) the corpus files it wrote are removed, the files it replaced come back,
the index's half-written files are deleted, and an :class:`OSError` becomes a
:class:`~qa.errors.StorageError` whose message says what happened and what to do.

Used like this (``data`` being the article's bytes)::

    from qa.store.transaction import corpus_update

    with corpus_update("corpus", "index") as update:
        update.put("ferry.md", data)      # staged beside the corpus, then renamed in
        report = update.build()           # the index now describes the new corpus
"""
from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Callable, Iterator

from ..config import default_index_dir
from ..errors import QAError, StorageError
from . import corpus_lock, index_files


class CorpusUpdate:
    """Files staged into one corpus folder, undone by :meth:`rollback` unless built in.
    Made by :func:`corpus_update`, which holds the update's turn."""

    def __init__(self, corpus_dir, index_dir=None, wait_s: float = corpus_lock.WAIT_S):
        self.corpus_dir = Path(corpus_dir)
        self.index_dir = Path(index_dir) if index_dir is not None else default_index_dir(self.corpus_dir)
        self.wait_s = wait_s
        self.written: list[Path] = []  # files this update put where none was
        self.backups: dict[Path, Path] = {}  # replaced file -> where its old version waits
        self.documents: list = []  # what put files read as, when the caller had read them (web pages)
        self._manifest_before = _manifest_bytes(self.index_dir)

    def _hidden(self, kind: str, name: str) -> Path:
        # A leading dot: the corpus loader never reads these as articles.
        return self.corpus_dir / f".{kind}-{os.getpid()}-{threading.get_ident()}-{name}"

    def put(self, name: str, data: bytes, document=None) -> Path:
        """Write ``data`` as corpus file ``name`` (a plain file name), replacing what is there;
        the written file appears whole or not at all. ``document``: what ``data`` reads as,
        when the caller has read it (a web page): the build takes it instead of parsing the file."""
        if Path(name).name != name or name.startswith("."):
            raise QAError(f"{name!r} is not a plain file name for the corpus")
        self.corpus_dir.mkdir(parents=True, exist_ok=True)
        dest = self.corpus_dir / name
        staged = self._hidden("staging", name)
        try:
            with open(staged, "xb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            if dest in self.written or dest in self.backups:
                pass  # put twice in one update: the first state to return to is already kept
            elif os.path.lexists(dest):
                backup = self._hidden("replaced", name)
                os.replace(dest, backup)  # a rename, not a copy: it cannot fail for lack of space
                self.backups[dest] = backup
            else:
                self.written.append(dest)
            os.replace(staged, dest)
            if document is not None:
                self.documents.append(document)
        except OSError as exc:
            if exc.filename is None or os.fspath(exc.filename) == os.fspath(staged):
                exc.filename = str(dest)  # the message names the article, not the staging file
            raise
        finally:
            with contextlib.suppress(OSError):  # gone once renamed; on a read-only folder never made
                staged.unlink()
        return dest

    def build(self, **build_options):
        """Bring the index up to date with the corpus (:func:`~qa.store.build.build_index`)."""
        from ..ingest.parsed import remember
        from ..ingest.readers import READER_VERSION
        from .build import build_index

        if self.documents:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            remember(self.index_dir, self.documents, READER_VERSION)
            self.documents = []
        build_options.setdefault("wait", self.wait_s)  # a `qa index` running: wait for it, as for an update
        if self.written and not self.backups:  # only new files: the build need not list the corpus
            build_options.setdefault("new_files", [path.relative_to(self.corpus_dir).as_posix()
                                                   for path in self.written])
        return build_index(corpus_dir=self.corpus_dir, index_dir=self.index_dir, **build_options)

    def not_indexed(self, report) -> list[tuple[Path, str]]:
        """The files this update added that the build ``report`` skipped (the same text as
        another article, too many passages ...), with the reason: taken out of the corpus
        again, so that no file is kept that the index does not hold."""
        skipped = dict(report.skipped)
        taken = []
        for path in list(self.written):
            reason = skipped.get(path.relative_to(self.corpus_dir).as_posix())
            if reason is not None:
                path.unlink(missing_ok=True)
                self.written.remove(path)
                taken.append((path, reason))
        return taken

    def built(self) -> bool:
        """Whether the index has switched to a new manifest since this update began."""
        return _manifest_bytes(self.index_dir) != self._manifest_before

    def rollback(self) -> None:
        """Put the corpus back as it was (unless the index already describes the new one)
        and remove the index files no manifest names."""
        if not self.built():
            # Best effort, step by step: one step failing must not hide the error that
            # caused the rollback, nor stop the other files from coming back.
            for path in self.written:
                with contextlib.suppress(OSError):
                    path.unlink()
            for path, backup in self.backups.items():
                with contextlib.suppress(OSError):
                    os.replace(backup, path)
            self.written, self.backups = [], {}
        self.commit()
        clean_index_folder(self.index_dir)

    def commit(self) -> None:
        """Keep what was written: drop the old versions of replaced files."""
        for backup in self.backups.values():
            with contextlib.suppress(OSError):  # a hidden leftover is harmless; the update stands
                backup.unlink()
        self.backups = {}


@contextlib.contextmanager
def corpus_update(corpus_dir, index_dir=None, wait_s: float = corpus_lock.WAIT_S,
                  on_wait: Callable[[str], None] | None = None) -> Iterator[CorpusUpdate]:
    """Stage corpus files and update the index as one step (see the module's docstring).

    Waits its turn first: while another update runs, ``on_wait`` is told so and this waits
    up to ``wait_s`` seconds (then :class:`~qa.errors.IndexLockedError`); leftovers of an
    update that was killed are put right before this one starts. On an exception the
    update is rolled back and the exception re-raised; an :class:`OSError` is re-raised as
    :class:`StorageError` with a message for people."""
    corpus_dir = Path(corpus_dir)
    index_dir = Path(index_dir) if index_dir is not None else default_index_dir(corpus_dir)
    with corpus_lock.update_turn(index_dir, wait_s=wait_s, on_wait=on_wait):
        corpus_lock.recover_interrupted(corpus_dir, index_dir)
        update = CorpusUpdate(corpus_dir, index_dir, wait_s=wait_s)  # "before" is read with the turn held
        with corpus_lock.update_open(index_dir):  # a mark a kill leaves: the next one looks for leftovers
            try:
                yield update
            except BaseException as exc:
                update.rollback()
                with contextlib.suppress(Exception):  # what the rollback could not undo; then the mark goes
                    corpus_lock.recover_interrupted(corpus_dir, index_dir)
                if isinstance(exc, OSError) and not isinstance(exc, StorageError):
                    raise StorageError.from_os_error(exc) from exc
                raise
            update.commit()


def clean_index_folder(index_dir: Path) -> None:
    """Remove the index files no manifest names, unless a build is running (its files are
    not yet named by any manifest; it cleans up itself)."""
    if not Path(index_dir).is_dir():
        return
    try:
        with index_files.build_lock(index_dir):
            index_files.remove_unreferenced_files(index_dir)
    except (QAError, OSError):  # locked by a running build, or the folder cannot be written
        pass


def _manifest_bytes(index_dir: Path) -> bytes | None:
    try:
        return (Path(index_dir) / index_files.MANIFEST).read_bytes()
    except OSError:
        return None
