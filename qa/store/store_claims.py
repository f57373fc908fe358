"""Vector stores a build makes outside the index folder (a Milvus collection), noted in the
folder the moment they exist, so that one a killed build left behind is found and dropped.

A store in the index folder (FAISS) is a file: a build killed part-way leaves files that
no manifest names, and the next build deletes them. A Milvus collection lives elsewhere,
under a fresh name per full build; a first build killed before its manifest existed left
a collection (1,619 rows in one test) that nothing named, and nothing ever dropped. So a
build notes each store it makes in ``index/stores.json`` before writing a row to it
(:func:`claim`), and every build that ends, even one with nothing to do, drops the noted
stores that are not the index's own (:func:`release`).
"""
from __future__ import annotations

import json
from pathlib import Path

from ..files import write_atomic
from .open_store import drop_described
from .vectors import VectorStore

CLAIMS = "stores.json"


def _claimed(index_dir: Path) -> list[dict]:
    try:
        claims = json.loads((index_dir / CLAIMS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [c for c in claims if isinstance(c, dict)] if isinstance(claims, list) else []


def _write(index_dir: Path, claims: list[dict]) -> None:
    payload = json.dumps(claims, indent=1).encode("utf-8")
    write_atomic(index_dir / CLAIMS, lambda fh: fh.write(payload))


def claim(index_dir: str | Path, store: VectorStore) -> None:
    """Note ``store``, just made by a build of ``index_dir``, if it lives outside the folder."""
    if not store.outside_folder:
        return
    index_dir = Path(index_dir)
    _write(index_dir, _claimed(index_dir) + [store.describe()])


def pending(index_dir: str | Path, own: dict | None = None) -> bool:
    """Whether stores are noted that a build has yet to keep or drop: any but ``own`` (the
    description of the store the index's manifest names, which :func:`release` keeps noted)."""
    mine = _identity(own) if own is not None else None
    return any(_identity(description) != mine for description in _claimed(Path(index_dir)))


def release(index_dir: str | Path, keep: VectorStore) -> None:
    """Drop every noted store but ``keep`` (the store the index's manifest names), and
    forget them; call it holding the build lock."""
    index_dir = Path(index_dir)
    claims = _claimed(index_dir)
    if not claims:
        return
    mine = _identity(keep.describe())
    for description in claims:
        if _identity(description) != mine:
            drop_described(description)
    _write(index_dir, [keep.describe()] if keep.outside_folder else [])


def _identity(description: dict) -> tuple:
    return description.get("kind"), description.get("uri"), description.get("collection")
