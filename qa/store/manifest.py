"""``manifest.json``: what is in an index and which files hold it, written last by every save
(:mod:`qa.store.index_files`) in one atomic rename, and read first by every load."""
from __future__ import annotations

import functools
from importlib import metadata
from pathlib import Path

import orjson

from ..config import missing_index_message
from ..errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError
from ..files import fsync_path, write_atomic
from .document_files import document_key, ids_key, read_documents

FORMAT = "qa-index"
FORMAT_VERSION = 6
FORMAT_CHANGES = {  # said when refusing an older index
    2: "passage vectors are now made from their sentences' vectors",
    3: "passages, sentence vectors and BM25 are kept in segments, so that an update writes only what it added",
    4: "each segment keeps its articles' shingles, so that adding an article reads no other",
    5: "the articles and the vectors an update adds are kept in files of their own, so that adding an article "
       "rewrites neither the list of articles nor the vector store",
    6: "the manifest names the articles' files, not every article, so that its size does not grow with the corpus",
}
MANIFEST = "manifest.json"
REBUILD_ADVICE = "run `qa index --rebuild` to build it again from the corpus"


@functools.lru_cache(maxsize=1)
def _installed_versions() -> tuple[tuple[str, str], ...]:
    versions = []
    for dist in ("qa-news", "faiss-cpu", "sentence-transformers", "torch", "onnxruntime", "numpy",
                 "pymilvus", "milvus-lite"):
        try:
            versions.append((dist, metadata.version(dist)))
        except metadata.PackageNotFoundError:
            continue
    return tuple(versions)


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shape the index, read without importing them (once a
    process: looking them up took 8 ms, on every save)."""
    return dict(_installed_versions())


def commit_manifest(index_dir: Path, manifest: dict) -> None:
    """The single step that makes a new generation current. One top-level key a line (the
    indented form's pure-Python encoder took 0.8 s over 20,000 documents)."""
    payload = b"{\n" + b",\n".join(orjson.dumps(key) + b": " + orjson.dumps(value)
                                     for key, value in manifest.items()) + b"\n}\n"
    write_atomic(index_dir / MANIFEST, lambda fh: fh.write(payload))
    fsync_path(index_dir)


def read_manifest_header(index_dir: Path) -> dict | None:
    """The manifest as plain JSON, its articles not read (``"documents"`` maps each generation
    whose file holds articles to their number: :mod:`qa.store.document_files`): what a save needs of
    the previous one, its generation, creation time, file names; None when there is none
    or it is not a qa index manifest."""
    try:
        manifest = orjson.loads((Path(index_dir) / MANIFEST).read_bytes())
        complete = all(key in manifest for key in ("model", "files", "segments", "documents", "next_id"))
        if manifest.get("format") == FORMAT and complete and not _manifest_shape_problem(manifest):
            return manifest
    except (OSError, UnicodeDecodeError, ValueError, TypeError, AttributeError, KeyError):
        pass
    return None


def read_manifest_quietly(index_dir: Path) -> dict | None:  # None: none, or unreadable (the caller rebuilds)
    try:
        return read_manifest(index_dir)
    except Exception:
        return None


def read_manifest(index_dir: str | Path, known_documents=None) -> dict:
    """The parsed manifest, its ``documents`` read from their files into
    :class:`~qa.records.IndexedDocument` records by id (``document_generations``: the
    generation whose file holds each); or an error saying how to get a usable one.
    ``known_documents(manifest)``: by generation, the records that need not be read again (a reload)."""
    index_dir = Path(index_dir)
    path = index_dir / MANIFEST
    if not path.is_file():
        raise IndexNotFoundError(missing_index_message(index_dir))
    try:
        manifest = orjson.loads(path.read_bytes())
    except (OSError, ValueError) as exc:  # orjson.JSONDecodeError is a ValueError
        raise IndexCorruptError(f"{path} cannot be read ({exc}); {REBUILD_ADVICE}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexCorruptError(f"{path} is not a qa index manifest; {REBUILD_ADVICE}")
    found = manifest.get("format_version")
    if found != FORMAT_VERSION:
        changes = [change for version, change in sorted(FORMAT_CHANGES.items())
                   if not isinstance(found, int) or version > found] or [f"format {found} is newer than this version"]
        raise IndexMismatchError(
            f"{index_dir} has index format {found}, this version reads {FORMAT_VERSION} "
            f"({'; '.join(changes)}); {REBUILD_ADVICE}"
        )
    for key in ("model", "files", "segments", "documents", "next_id"):
        if key not in manifest:
            raise IndexCorruptError(f"{path} lacks {key!r}; {REBUILD_ADVICE}")
    problem = _manifest_shape_problem(manifest)
    if problem:
        raise IndexCorruptError(f"{path}: {problem}; {REBUILD_ADVICE}")
    try:
        known = known_documents(manifest) if known_documents is not None else None
        manifest["documents"], manifest["document_generations"] = read_documents(index_dir, manifest, known=known)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise IndexCorruptError(f"{index_dir}: the list of articles cannot be read ({exc}); {REBUILD_ADVICE}") from exc
    return manifest


def _manifest_shape_problem(manifest: dict) -> str:
    """What is wrong with the manifest's structure, or ''. An edited or damaged manifest
    must fail here with a message, not later with a TypeError deep inside a search."""
    model = manifest["model"]
    if not (isinstance(model, dict) and isinstance(model.get("name"), str)
            and isinstance(model.get("dimension"), int) and model["dimension"] > 0):
        return "'model' is not a name with a positive dimension"
    if not isinstance(manifest["next_id"], int) or not isinstance(manifest["documents"], dict):
        return "'next_id' or 'documents' has the wrong type"
    documents = manifest["documents"]
    if not all(isinstance(g, str) and g.isdigit() and type(n) is int and n >= 0 for g, n in documents.items()):
        return "'documents' does not map each generation to its number of articles"
    segments = manifest["segments"]
    if not isinstance(segments, list) or not all(
            isinstance(record, dict) and all(isinstance(record.get(key), int) and record[key] >= 0
                                             for key in ("generation", "rows", "sentence_start", "sentences"))
            and isinstance(record.get("dead"), list) and all(isinstance(r, int) for r in record["dead"])
            for record in segments):
        return "'segments' is not a list of segments (generation, rows, sentences, dead rows)"
    files = manifest["files"]
    if not isinstance(files, dict):
        return "'files' is not a mapping"
    for key, entry in files.items():
        if not (isinstance(entry, dict) and isinstance(entry.get("name"), str)
                and isinstance(entry.get("bytes"), int) and isinstance(entry.get("sha256"), str)):
            return f"file entry {key!r} lacks name, bytes or sha256"
        # Data files live in the index folder itself: a path here would read outside it.
        name = entry["name"]
        if not name or name.startswith(".") or "/" in name or "\\" in name or name != Path(name).name:
            return f"file entry {key!r} names {name!r}, not a file in the index folder"
    missing = sorted(int(g) for g in documents if document_key(int(g)) not in files or ids_key(int(g)) not in files)
    if missing:
        return f"'documents' names generation {missing[0]}, whose articles' files the manifest does not name"
    return ""
