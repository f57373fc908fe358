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
from typing import Any, BinaryIO, Callable


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
