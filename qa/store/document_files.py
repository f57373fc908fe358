"""The index's articles (:class:`~qa.records.IndexedDocument`), kept in files by generation.

Each generation that wrote articles wrote ``documents-<gen>.jsonl`` (one ``[doc_id, entry]``
a line) and ``documents-<gen>.ids.npy`` (its ids' 64-bit hashes, sorted: whether an id is
indexed is asked of these tables through a memory map, without reading an entry). The
manifest's ``"documents"`` maps each such generation to its number of articles, so that
its size does not grow with the corpus. Every indexed article is in exactly one file. A
full save writes every article into its own generation's file; a save that only adds
articles (:func:`qa.store.index_files.save_added`) writes theirs alone. Past
:data:`qa.store.segments.MAX_SEGMENTS` files, an addition takes the newest of them into its
own by the segments' tiers (:func:`take_in_newest`), so that they stay few.

>>> import tempfile
>>> from qa.records import IndexedDocument, Source
>>> folder = Path(tempfile.mkdtemp())
>>> names = write_documents(folder, 3, {"rye": IndexedDocument(Source(title="Rye", file="rye.md"))})
>>> files = {key: {"name": name, "bytes": (folder / name).stat().st_size} for key, name in names.items()}
>>> manifest = {"documents": {"3": 1}, "files": files}
>>> read_documents(folder, manifest)[0]["rye"].title
'Rye'
>>> "rye" in IndexedIds(folder, manifest), "usk" in IndexedIds(folder, manifest)
(True, False)
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import orjson

from ..files import save_array, write_atomic
from ..records import IndexedDocument
from .segments import sized_path, tiers_kept


KEY_PREFIX = "documents."
IDS_KEY_PREFIX = "document_ids."


def document_key(generation: int) -> str:
    """The manifest's file key of generation ``generation``'s articles."""
    return f"{KEY_PREFIX}{generation}"


def ids_key(generation: int) -> str:
    """The manifest's file key of the table of generation ``generation``'s article ids."""
    return f"{IDS_KEY_PREFIX}{generation}"


def document_file_generations(manifest: dict) -> list[int]:
    """The generations whose articles' files the manifest (as plain JSON) names, oldest first."""
    return sorted(map(int, manifest["documents"]))


def _id_table(index_dir: Path, manifest: dict, generation: int) -> np.ndarray:
    """Generation ``generation``'s table of id hashes, memory-mapped, once it has the size
    the manifest says (else ``ValueError``; ``OSError`` when it is gone)."""
    return np.load(sized_path(index_dir, manifest["files"][ids_key(generation)]), mmap_mode="r", allow_pickle=False)


def id_hashes(doc_ids: Iterable[str]) -> np.ndarray:
    """The 64-bit hashes by which the tables of ids are searched (blake2b, so the same in
    every process)."""
    return np.array([int.from_bytes(hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).digest(), "little")
                     for doc_id in doc_ids], dtype=np.uint64)


def write_documents(index_dir: Path, generation: int, documents: Mapping[str, IndexedDocument]) -> dict[str, str]:
    """Write ``documents`` as generation ``generation``'s files (atomically): the names of
    the articles' file and of their ids' table, by manifest key."""
    names = {document_key(generation): f"documents-{generation}.jsonl",
             ids_key(generation): f"documents-{generation}.ids.npy"}

    def write(fh):
        for doc_id, document in documents.items():
            fh.write(orjson.dumps([doc_id, document.to_json()]) + b"\n")

    write_atomic(Path(index_dir) / names[document_key(generation)], write)
    table = np.sort(id_hashes(documents))
    write_atomic(Path(index_dir) / names[ids_key(generation)], lambda fh: save_array(fh, table))
    return names


class IndexedIds(Sequence):
    """The ids of the articles an index holds, as its manifest (plain JSON) names their
    files: ``doc_id in ids`` searches the files' tables of hashes (a memory map each, so the
    cost does not grow with the corpus); ``len`` is the manifest's count; iterating reads
    the ids from the articles' files, only when asked."""

    def __init__(self, index_dir: Path, manifest: dict):
        self.index_dir, self.manifest = Path(index_dir), manifest
        self._tables: list[np.ndarray] | None = None
        self._ids: list[str] | None = None

    def __contains__(self, doc_id) -> bool:
        if self._tables is None:
            self._tables = [_id_table(self.index_dir, self.manifest, g) for g in document_file_generations(self.manifest)]
        wanted = id_hashes([doc_id])[0]
        for table in self._tables:
            at = int(np.searchsorted(table, wanted))
            if at < len(table) and table[at] == wanted:
                return True
        return False

    def __len__(self) -> int:
        return sum(self.manifest["documents"].values())

    def _all(self) -> list[str]:
        if self._ids is None:
            generations = document_file_generations(self.manifest)
            self._ids = [doc_id for doc_id, _ in _entries(self.index_dir, self.manifest, generations)]
        return self._ids

    def __getitem__(self, at):
        return self._all()[at]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and not isinstance(other, str) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"IndexedIds({len(self)} articles)"


def _entries(index_dir: Path, manifest: dict, generations: Iterable[int]):
    """(id, entry) of each line of the given generations' files, in order. Raises
    ``ValueError`` saying what does not fit."""
    for generation in generations:
        entry = manifest["files"].get(document_key(generation))
        if entry is None:
            raise ValueError(f"the manifest names no file for the articles of generation {generation}")
        path = sized_path(index_dir, entry)
        count = 0
        for number, line in enumerate(path.read_bytes().splitlines(), 1):
            try:
                doc_id, row = orjson.loads(line)
                if not isinstance(doc_id, str):
                    raise TypeError("its id is not text")
            except (ValueError, TypeError) as exc:
                raise ValueError(f"line {number} of {path.name} is not [id, entry] ({exc})") from exc
            count += 1
            yield doc_id, row
        said = manifest["documents"].get(str(generation))
        if count != said:
            raise ValueError(f"{path.name} holds {count} articles, the manifest says {said}")


def _check_ids(index_dir: Path, manifest: dict, generation: int, doc_ids: list[str]) -> None:
    """``ValueError`` unless generation ``generation``'s table of ids lists ``doc_ids`` (its
    file's): an addition asks the table alone whether an article is indexed."""
    table = _id_table(index_dir, manifest, generation)
    if table.dtype != np.uint64 or not np.array_equal(table, np.sort(id_hashes(doc_ids))):
        files = manifest["files"]
        raise ValueError(f"{files[ids_key(generation)]['name']} does not list the ids of "
                         f"{files[document_key(generation)]['name']}")


def read_documents(index_dir: Path, manifest: dict, only: Iterable[str] | None = None,
                   known: Mapping[int, Mapping[str, IndexedDocument]] | None = None
                   ) -> tuple[dict[str, IndexedDocument], dict[str, int]]:
    """The articles the manifest's files hold, in their order, and the generation whose file
    holds each. ``only``: just these ids (the files whose tables lack them are not read);
    ``known``: by generation, the articles of files read before, exactly as they are now
    (:func:`qa.store.reload.known_documents`), taken without reading. Raises ``ValueError``
    saying what does not fit."""
    generations = document_file_generations(manifest)
    wanted = None
    if only is not None:
        wanted = set(only)
        hashes = id_hashes(wanted)
        generations = [g for g in generations if np.isin(hashes, _id_table(index_dir, manifest, g)).any()]
    known = known or {}
    documents: dict[str, IndexedDocument] = {}
    held: dict[str, int] = {}
    for generation in generations:
        rows = known[generation].items() if generation in known else list(_entries(index_dir, manifest, [generation]))
        if generation not in known and wanted is None:
            _check_ids(index_dir, manifest, generation, [doc_id for doc_id, _ in rows])
        for doc_id, row in rows:
            if doc_id in held:
                raise ValueError(f"article {doc_id!r} is in the files of generations {held[doc_id]} and {generation}")
            held[doc_id] = generation
            if wanted is not None and doc_id not in wanted:
                continue
            try:
                documents[doc_id] = row if isinstance(row, IndexedDocument) else IndexedDocument.from_json(row)
            except ValueError as exc:
                raise ValueError(f"the entry of document {doc_id!r} {exc}") from exc
    return documents, held


def take_in_newest(index_dir: Path, manifest: dict, documents: dict[str, IndexedDocument]
                   ) -> tuple[dict[str, IndexedDocument], set[int]]:
    """What an addition writes as its articles' file: ``documents`` after the articles of
    the newest earlier files that the tiers merge (:func:`qa.store.segments.tiers_kept`, by
    their bytes), and the generations of those files (the manifest it writes drops them).
    Raises ``ValueError`` or ``OSError`` when one does not read as written."""
    generations = document_file_generations(manifest)
    sizes = [manifest["files"][document_key(g)]["bytes"] for g in generations]
    keep = tiers_kept(sizes + [sum(len(orjson.dumps(d.to_json())) for d in documents.values())])
    merged = set(generations[keep:])
    if not merged:
        return documents, set()
    older, _ = read_documents(index_dir, {"documents": {str(g): manifest["documents"][str(g)] for g in merged},
                                          "files": manifest["files"]})
    return {**older, **{doc_id: d for doc_id, d in documents.items() if doc_id not in older}}, merged
