"""Writing index files that cannot half-happen, and checking them: atomic writes, fsync, sha256.

Every writer of the index folder (vectors, passages, BM25, the manifest) goes through these,
so a crash at any moment leaves either the old file or the new one, never a mix.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any, BinaryIO, Callable, Iterator

from .errors import IndexLockedError, StorageError


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fsync_path(path: Path) -> None:
    """Flush a file's or a folder's entry to disk (best effort: some filesystems refuse)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write through ``write(file_object)`` into ``path.tmp``, fsync, then rename onto ``path``."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()  # a full disk or a size limit must not leave a half-written .tmp
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = str(tmp)  # a failed flush names no file; the message should
        raise


def save_array(fh: BinaryIO, array: Any) -> None:
    """``array`` (a numpy array) in ``.npy`` format, written through ``fh.write``.

    Given a real file, numpy writes with ``tofile``, whose error on a full disk carries no
    errno ("64000 requested and 16352 written", which showed as "[Errno None] None");
    through ``write`` it is the OSError the disk gave: "No space left on device"."""
    import numpy as np

    np.save(SimpleNamespace(write=fh.write), array, allow_pickle=False)


@contextlib.contextmanager
def held_lock(path: Path, wait_s: float, busy: str, on_wait: Callable[[str], None] | None = None,
              waiting: str = "") -> Iterator[None]:
    """Hold the file lock ``path`` (its folder made first), waiting up to ``wait_s`` seconds
    for whoever holds it (-1: as long as it takes; ``on_wait(waiting)`` is told once).
    :class:`IndexLockedError` with the message ``busy`` when the time is up;
    :class:`StorageError` when the folder cannot be written."""
    from filelock import FileLock, Timeout

    path = Path(path)
    # The lock file stays: deleting it on release would let a waiting process lock a file
    # that no longer has a name while a third creates and locks a new one.
    lock = FileLock(path, preserve_lock_file=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if on_wait is not None and wait_s:
                on_wait(waiting)
            lock.acquire(timeout=wait_s)
    except Timeout as exc:
        raise IndexLockedError(busy) from exc
    except OSError as exc:  # a read-only folder, a full disk: say so, not a traceback
        raise StorageError.from_os_error(exc) from exc
    try:
        yield
    finally:
        lock.release()
