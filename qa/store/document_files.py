"""The index's articles (:class:`~qa.records.IndexedDocument`), kept in files by generation.

``manifest.json`` maps each indexed article's id to the generation whose
``documents-<gen>.jsonl`` holds its entry (one ``[doc_id, entry]`` a line). A full save
writes every article into its own generation's file; a save that only adds articles
(:func:`qa.store.index_files.save_added`) writes theirs alone and maps them to it, so the
manifest it writes is a list of ids, not of every article's headline, publisher and copies
(7.6 MB at 20,000 articles, read and written again by each addition before). Past
:data:`qa.store.segments.MAX_SEGMENTS` files, an addition takes the newest of them into its
own by the segments' tiers (:func:`take_in_newest`), so that they stay few.

>>> import tempfile
>>> from qa.records import IndexedDocument, Source
>>> folder = Path(tempfile.mkdtemp())
>>> name = write_documents(folder, 3, {"rye": IndexedDocument(Source(title="Rye", file="rye.md"))})
>>> entry = {"name": name, "bytes": (folder / name).stat().st_size}
>>> manifest = {"documents": {"rye": 3}, "files": {document_key(3): entry}}
>>> read_documents(folder, manifest)["rye"].title
'Rye'
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

import orjson

from ..files import write_atomic
from ..records import IndexedDocument
from .segments import sized_path, tiers_kept


KEY_PREFIX = "documents."


def document_key(generation: int) -> str:
    """The manifest's file key of generation ``generation``'s articles."""
    return f"{KEY_PREFIX}{generation}"


def document_file_generations(files: dict[str, dict]) -> list[int]:
    """The generations whose articles' files a manifest's ``files`` names, oldest first."""
    return sorted(int(key[len(KEY_PREFIX):]) for key in files if key.startswith(KEY_PREFIX))


def write_documents(index_dir: Path, generation: int, documents: Mapping[str, IndexedDocument]) -> str:
    """Write ``documents`` as generation ``generation``'s file (atomically); its name."""
    name = f"documents-{generation}.jsonl"

    def write(fh):
        for doc_id, document in documents.items():
            fh.write(orjson.dumps([doc_id, document.to_json()]) + b"\n")

    write_atomic(Path(index_dir) / name, write)
    return name


def read_documents(index_dir: Path, manifest: dict, only: Iterable[str] | None = None,
                   known: Mapping[str, IndexedDocument] | None = None) -> dict[str, IndexedDocument]:
    """The articles the manifest maps (``manifest["documents"]``: id to generation), in its
    order, read from their generations' files; ``only``: just these ids (the files of the
    others are not read); ``known``: records already read from the very same files, taken
    as they are (:func:`qa.store.reload.known_documents`). Raises ``ValueError`` saying
    what does not fit."""
    mapping: dict[str, int] = manifest["documents"]
    wanted = mapping if only is None else {doc_id: mapping[doc_id] for doc_id in only if doc_id in mapping}
    known = known or {}
    entries: dict[str, dict] = {}
    for generation in sorted({g for doc_id, g in wanted.items() if doc_id not in known}):
        entry = manifest["files"].get(document_key(generation))
        if entry is None:
            raise ValueError(f"the manifest names no file for the articles of generation {generation}")
        path = sized_path(index_dir, entry)
        for number, line in enumerate(path.read_bytes().splitlines(), 1):
            try:
                doc_id, row = orjson.loads(line)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"line {number} of {path.name} is not [id, entry] ({exc})") from exc
            if wanted.get(doc_id) == generation:
                entries[doc_id] = row
    documents = {}
    for doc_id in wanted:
        if doc_id in known:
            documents[doc_id] = known[doc_id]
            continue
        if doc_id not in entries:
            raise ValueError(f"article {doc_id!r} is missing from {manifest['files'][document_key(wanted[doc_id])]['name']}")
        try:
            documents[doc_id] = IndexedDocument.from_json(entries[doc_id])
        except ValueError as exc:
            raise ValueError(f"the entry of document {doc_id!r} {exc}") from exc
    return documents


def take_in_newest(index_dir: Path, manifest: dict, documents: dict[str, IndexedDocument]) -> None:
    """Add to ``documents`` (what an addition writes) the articles of the newest earlier
    files that the tiers merge (:func:`qa.store.segments.tiers_kept`, by their bytes): the
    addition's file then holds them, and the manifest it writes maps them to it. Raises
    ``ValueError`` or ``OSError`` when one does not read as written."""
    generations = document_file_generations(manifest["files"])
    sizes = [manifest["files"][document_key(g)]["bytes"] for g in generations]
    keep = tiers_kept(sizes + [sum(len(orjson.dumps(d.to_json())) for d in documents.values())])
    merged = set(generations[keep:])
    if merged:
        taken = {doc_id: g for doc_id, g in manifest["documents"].items() if g in merged}
        older = read_documents(index_dir, {"documents": taken, "files": manifest["files"]})
        documents.update({doc_id: older[doc_id] for doc_id in older if doc_id not in documents})
