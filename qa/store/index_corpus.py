"""Which corpus folder an index was built from: recorded in its manifest, checked before a
build changes the index, so that an index is never rebuilt in place from another corpus (a
copy of the same articles in another folder changes nothing, and may use it).

Two corpora sharing one index (``QA_INDEX_DIR`` set for both, or ``--index`` given twice)
would otherwise replace each other's index on every update, each build silently undoing
the last. The corpus is recorded both relative to the index folder (so that moving the
two together keeps them paired) and as an absolute path (so that moving the index alone
does too).
"""
from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

from ..config import corpus_index_dir
from ..errors import IndexMismatchError


def corpus_record(corpus_dir: str | os.PathLike, index_dir: str | os.PathLike) -> dict[str, str]:
    """What the manifest keeps of the corpus an index is built from."""
    corpus, index = Path(os.path.abspath(corpus_dir)), Path(os.path.abspath(index_dir))
    try:
        relative = Path(os.path.relpath(corpus, index)).as_posix()
    except ValueError:  # another drive (Windows): only the absolute path applies
        relative = ""
    return {"relative": relative, "absolute": corpus.as_posix()}


def recorded_corpus(record: Any, index_dir: str | os.PathLike) -> list[Path]:
    """The folders a manifest's record may name (empty for an index built before corpora
    were recorded, which any corpus may then update)."""
    if not isinstance(record, dict):
        return []
    index = Path(os.path.abspath(index_dir))
    places = []
    if record.get("relative"):
        places.append(Path(os.path.normpath(index / str(record["relative"]))))
    if record.get("absolute"):
        places.append(Path(os.path.normpath(str(record["absolute"]))))
    return places


def check_built_from(record: Any, corpus_dir: str | os.PathLike, index_dir: str | os.PathLike) -> None:
    """Refuse to update the index in ``index_dir`` from ``corpus_dir`` when its manifest
    records another corpus; the message says how to give the corpus its own index, or how
    to replace the index on purpose."""
    places = recorded_corpus(record, index_dir)
    corpus = Path(os.path.normpath(os.path.abspath(corpus_dir)))
    if not places or any(_same_folder(place, corpus) for place in places):
        return
    own = corpus_index_dir(corpus_dir)
    raise IndexMismatchError(
        f"{index_dir} holds the index of {places[-1]}, not of {corpus_dir}; building it from {corpus_dir} would "
        f"replace that index. Give this corpus its own index: leave out --index and QA_INDEX_DIR to use {own}, "
        f"or name another folder with --index. To replace it on purpose: "
        f"`qa index --corpus {shlex.quote(str(corpus_dir))} --index {shlex.quote(str(index_dir))} --rebuild`"
    )


def _same_folder(a: Path, b: Path) -> bool:
    if a == b:
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False
